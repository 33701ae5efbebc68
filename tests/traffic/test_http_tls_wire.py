"""HTTP/1.x heads and TLS hellos/certificates from wire bytes: fields, fingerprints, partial data."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from collectors.traffic.http import (
    MAX_HEAD_BYTES,
    HttpRequest,
    HttpResponse,
    looks_like_request,
    looks_like_response,
    parse_request_head,
    parse_response_head,
)
from collectors.traffic.tls import (
    Certificate,
    ClientHello,
    ServerHello,
    looks_like_tls,
    parse_tls_records,
)

# --- HTTP ------------------------------------------------------------------------------------

REQUEST_CRLF = (
    b"POST /login.php?next=%2Fhome HTTP/1.1\r\n"
    b"hOsT: www.example.com:8080\r\n"
    b"Host: evil.example.org\r\n"
    b"USER-AGENT:   Mozilla/5.0 (X11; Linux x86_64)\r\n"
    b"\tGecko/20100101 Firefox/128.0\r\n"
    b"Referer: http://www.example.com/\r\n"
    b"Content-Type: application/x-www-form-urlencoded\r\n"
    b"Content-Length: 27\r\n"
    b"X-Folded: a\r\n"
    b" b\r\n"
    b"\r\n"
)
REQUEST_BODY = b"user=admin&password=hunter2"


def test_request_head_with_crlf_lines() -> None:
    parsed = parse_request_head(REQUEST_CRLF + REQUEST_BODY)
    assert parsed == HttpRequest(
        method="POST",
        uri="/login.php?next=%2Fhome",
        version="1.1",
        host="www.example.com:8080",  # the first Host wins
        user_agent="Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/128.0",  # folded line joined
        referrer="http://www.example.com/",
        content_type="application/x-www-form-urlencoded",
        content_length=27,
        head_bytes=len(REQUEST_CRLF),
    )


def test_request_head_with_bare_lf_lines_and_memoryview() -> None:
    head = b"GET /a%20b HTTP/1.0\nHost: example.org\nUser-Agent: curl/8.5.0\nAccept: */*\n\n"
    parsed = parse_request_head(memoryview(head + b"GET /next HTTP/1.0\n\n"))
    assert parsed == HttpRequest(
        method="GET",
        uri="/a%20b",
        version="1.0",
        host="example.org",
        user_agent="curl/8.5.0",
        referrer=None,
        content_type=None,
        content_length=None,
        head_bytes=len(head),
    )


def test_request_without_header_fields_and_odd_values() -> None:
    assert parse_request_head(b"OPTIONS * HTTP/1.1\r\n\r\n") == HttpRequest(
        "OPTIONS", "*", "1.1", None, None, None, None, None, 22
    )
    # extension methods are tokens too; spaces inside the target are kept (attack traffic has them)
    parsed = parse_request_head(b"BREW /pot of coffee HTTP/1.1\r\nContent-Length: 12abc\r\n\r\n")
    assert isinstance(parsed, HttpRequest)
    assert (parsed.method, parsed.uri, parsed.content_length) == ("BREW", "/pot of coffee", None)
    # latin-1 decoding never fails; the first User-Agent wins even when empty
    parsed = parse_request_head(b"GET / HTTP/1.1\r\nUser-Agent:\r\nUser-Agent: b\r\nHost: caf\xe9\r\n\r\n")
    assert isinstance(parsed, HttpRequest)
    assert (parsed.user_agent, parsed.host) == ("", "café")


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"G",
        b"GET",
        b"GET /index.html HT",
        b"GET /index.html HTTP/1.1\r\n",
        b"GET /index.html HTTP/1.1\r\nHost: www.exa",
        b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n",
        b"GET /index.html HTTP/1.1\r\nHost: www.example.com\r\n\r",
    ],
)
def test_partial_request_head_asks_for_more(data: bytes) -> None:
    assert parse_request_head(data) is None


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "not an HTTP request line: b'\\x16\\x03"),
        (b"SSH-2.0-OpenSSH_9.6\r\n", "not an HTTP request line: b'SSH-2.0"),
        (b" GET / HTTP/1.1\r\n\r\n", "not an HTTP request line"),
        (b"GET / HTTP/2.0\r\n\r\n", "not an HTTP/1.x request line: 'GET / HTTP/2.0'"),
        (b"GET HTTP/1.1\r\n\r\n", "not an HTTP/1.x request line"),
        (
            b"GET / HTTP/1.1\r\nHost example.com\r\n\r\n",
            "HTTP header line 2 has no colon: 'Host example.com'",
        ),
        (b"GET / HTTP/1.1\r\n: empty\r\n\r\n", "HTTP header line 2 has no field name"),
        (b"GET / HTTP/1.1\r\n folded: x\r\n\r\n", "HTTP header continuation line before any header field"),
    ],
)
def test_not_a_request_head_says_why(data: bytes, reason: str) -> None:
    result = parse_request_head(data)
    assert isinstance(result, str)
    assert result.startswith(reason)


def test_request_head_over_64_kib_is_refused() -> None:
    unfinished = b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * MAX_HEAD_BYTES
    assert parse_request_head(unfinished) == (
        f"HTTP head not ended within 65536 bytes ({len(unfinished)} bytes seen)"
    )
    # ended, but only after the limit
    assert isinstance(parse_request_head(unfinished + b"\r\n\r\n"), str)
    assert isinstance(parse_request_head(b"A" * (MAX_HEAD_BYTES + 10)), str)
    # exactly at the limit is still a head
    pad = MAX_HEAD_BYTES - len(b"GET / HTTP/1.1\r\nX-Pad: \r\n\r\n")
    exact = b"GET / HTTP/1.1\r\nX-Pad: " + b"a" * pad + b"\r\n\r\n"
    parsed = parse_request_head(exact)
    assert isinstance(parsed, HttpRequest)
    assert parsed.head_bytes == MAX_HEAD_BYTES


def test_response_heads() -> None:
    head = (
        b"HTTP/1.1 301 Moved Permanently\r\n"
        b"server: nginx/1.24.0\r\n"
        b"Content-Type: text/html\r\n"
        b"content-length: 162\r\n"
        b"LOCATION: https://www.example.com/\r\n"
        b"\r\n"
    )
    assert parse_response_head(head + b"<html>") == HttpResponse(
        status=301,
        reason="Moved Permanently",
        version="1.1",
        content_type="text/html",
        content_length=162,
        location="https://www.example.com/",
        server="nginx/1.24.0",
        head_bytes=len(head),
    )
    assert parse_response_head(b"HTTP/1.0 204\n\n") == HttpResponse(
        204, "", "1.0", None, None, None, None, head_bytes=14
    )


@pytest.mark.parametrize(
    "data", [b"", b"HTTP/1", b"HTTP/1.1 200 O", b"HTTP/1.1 200 OK\r\nServer: ng", b"HTTP/1.1 200 OK\n"]
)
def test_partial_response_head_asks_for_more(data: bytes) -> None:
    assert parse_response_head(data) is None


@pytest.mark.parametrize(
    "data",
    [
        b"HTTP/2 200\r\n\r\n",
        b"<html>",
        b"HTTP/1.1 20 OK\r\n\r\n",
        b"HTTP/1.1 OK\r\n\r\n",
        b"http/1.1 200 OK\r\n",
    ],
)
def test_not_a_response_head_says_why(data: bytes) -> None:
    result = parse_response_head(data)
    assert isinstance(result, str)
    assert result.startswith("not an HTTP/1.x status line")


def test_cheap_looks_like_checks() -> None:
    assert looks_like_request(b"GET / HTTP/1.1\r\n")
    assert looks_like_request(memoryview(b"PROPFIND /dav/ HTTP/1.1\r\n"))
    assert not looks_like_request(b"GETX / HTTP/1.1")
    assert not looks_like_request(b"get / HTTP/1.1")
    assert not looks_like_request(b"GET")
    assert looks_like_response(b"HTTP/1.1 200 OK")
    assert not looks_like_response(b"HTTP/2 200")


@given(st.binary(max_size=600))
def test_http_never_raises(data: bytes) -> None:
    for candidate in (data, b"GET / HTTP/1.1\r\n" + data, b"HTTP/1.1 200 OK\r\n" + data):
        request = parse_request_head(candidate)
        response = parse_response_head(candidate)
        assert request is None or isinstance(request, HttpRequest | str)
        assert response is None or isinstance(response, HttpResponse | str)


# --- TLS wire builders ---------------------------------------------------------------------


def _u16(value: int) -> bytes:
    return value.to_bytes(2, "big")


def _u24(value: int) -> bytes:
    return value.to_bytes(3, "big")


def _u16s(values: list[int]) -> bytes:
    return b"".join(_u16(value) for value in values)


def _ext(ext_type: int, body: bytes) -> bytes:
    return _u16(ext_type) + _u16(len(body)) + body


def _sni(name: bytes) -> bytes:
    entry = b"\x00" + _u16(len(name)) + name
    return _ext(0x0000, _u16(len(entry)) + entry)


def _alpn(*names: bytes) -> bytes:
    entries = b"".join(bytes([len(name)]) + name for name in names)
    return _ext(0x0010, _u16(len(entries)) + entries)


def _groups(values: list[int]) -> bytes:
    return _ext(0x000A, _u16(2 * len(values)) + _u16s(values))


def _sigalgs(values: list[int]) -> bytes:
    return _ext(0x000D, _u16(2 * len(values)) + _u16s(values))


def _client_versions(values: list[int]) -> bytes:
    return _ext(0x002B, bytes([2 * len(values)]) + _u16s(values))


def _handshake(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + _u24(len(body)) + body


def _client_hello(ciphers: list[int], extensions: list[bytes] | None, version: int = 0x0303) -> bytes:
    body = _u16(version) + bytes(range(32)) + b"\x20" + bytes(range(100, 132))
    body += _u16(2 * len(ciphers)) + _u16s(ciphers) + b"\x01\x00"
    if extensions is not None:
        joined = b"".join(extensions)
        body += _u16(len(joined)) + joined
    return _handshake(1, body)


def _server_hello(cipher: int, extensions: list[bytes], version: int = 0x0303) -> bytes:
    joined = b"".join(extensions)
    body = _u16(version) + bytes(range(32)) + b"\x00" + _u16(cipher) + b"\x00" + _u16(len(joined)) + joined
    return _handshake(2, body)


def _records(handshake: bytes, size: int = 16384, version: int = 0x0301) -> bytes:
    """``handshake`` cut into type-22 records of at most ``size`` bytes."""
    out = b""
    for start in range(0, len(handshake), size):
        piece = handshake[start : start + size]
        out += bytes([22]) + _u16(version) + _u16(len(piece)) + piece
    return out


CHANGE_CIPHER_SPEC = b"\x14\x03\x03\x00\x01\x01"
APPLICATION_DATA = b"\x17\x03\x03\x00\x05" + b"\x8a\x11\x02\x93\x44"

CHROME_CIPHERS = [0x3A3A, 4865, 4866, 4867, 49195, 49199, 49196, 49200, 52393, 52392, 49171, 49172]
CHROME_CIPHERS += [156, 157, 47, 53]
CHROME_SIGALGS = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]


def _chrome_hello() -> bytes:
    """A Chrome-style ClientHello with GREASE, in the extension order browserleaks.com published."""
    return _client_hello(
        CHROME_CIPHERS,
        [
            _ext(0x0A0A, b""),  # GREASE
            _ext(45, b"\x01\x01"),
            _ext(51, _u16(36) + _u16(29) + _u16(32) + bytes(32)),
            _alpn(b"h2", b"http/1.1"),
            _ext(65037, b"\x00\x00\x01\x00\x01\x2a\x00\x00\x00\x00"),
            _ext(23, b""),
            _ext(17613, b"\x00\x03\x02h2"),
            _sni(b"www.example.com"),
            _ext(11, b"\x01\x00"),
            _groups([0x4A4A, 4588, 29, 23, 24]),
            _client_versions([0x7A7A, 0x0304, 0x0303]),
            _ext(65281, b"\x00"),
            _ext(35, b""),
            _ext(18, b""),
            _ext(5, b"\x01\x00\x00\x00\x00"),
            _sigalgs(CHROME_SIGALGS),
            _ext(27, b"\x02\x00\x02"),
            _ext(0xBABA, b"\x00"),  # GREASE
        ],
    )


def _hello_of(data: bytes) -> ClientHello:
    result = parse_tls_records(data, from_client=True)
    assert not isinstance(result, str), result
    hello, certificate = result
    assert isinstance(hello, ClientHello)
    assert certificate is None
    return hello


# --- ClientHello ---------------------------------------------------------------------------


def test_client_hello_fields_ja3_and_ja4_match_published_values() -> None:
    hello = _hello_of(_records(_chrome_hello()) + CHANGE_CIPHER_SPEC)
    assert hello.version == "1.2"
    assert hello.supported_versions == [0x0304, 0x0303]
    assert hello.sni == "www.example.com"
    assert hello.alpn == ["h2", "http/1.1"]
    assert hello.ciphers == CHROME_CIPHERS[1:]
    assert hello.extensions == [45, 51, 16, 65037, 23, 17613, 0, 11, 10, 43, 65281, 35, 18, 5, 13, 27]
    # browserleaks.com's ja3_text, ja3_hash and ja4 for this Chrome build
    assert hello.ja3 == (
        "771,4865-4866-4867-49195-49199-49196-49200-52393-52392-49171-49172-156-157-47-53,"
        "45-51-16-65037-23-17613-0-11-10-43-65281-35-18-5-13-27,4588-29-23-24,0"
    )
    assert hello.ja3_hash == "98487aa16281980e7d1120d399efb6a4"
    assert hello.ja4 == "t13d1516h2_8daaf6152771_d8a2da3f94cd"


def _foxio_hello(signature_algorithms: list[int]) -> bytes:
    """The ClientHello of the JA4 specification's worked example (same lists, same order)."""
    ciphers = [0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8, 0xC013, 0xC014]
    ciphers += [0x009C, 0x009D, 0x002F, 0x0035]
    empty = [0x001B, 0x0033, 0x4469, 0x0017, 0x002D, 0x0005, 0x0023, 0x0012, 0xFF01, 0x000B, 0x0015]
    by_type = {ext_type: _ext(ext_type, b"\x00") for ext_type in empty}
    by_type[0x0000] = _sni(b"example.org")
    by_type[0x0010] = _alpn(b"h2")
    by_type[0x000D] = _sigalgs(signature_algorithms)
    by_type[0x002B] = _client_versions([0x0304, 0x0303])
    by_type[0x000A] = _groups([29, 23])
    order = [0x001B, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002D, 0x000D]
    order += [0x0005, 0x0023, 0x0012, 0x002B, 0xFF01, 0x000B, 0x000A, 0x0015]
    return _client_hello(ciphers, [by_type[ext_type] for ext_type in order])


def test_ja4_matches_the_specification_example() -> None:
    assert _hello_of(_records(_foxio_hello(CHROME_SIGALGS))).ja4 == "t13d1516h2_8daaf6152771_e5627efa2ab1"
    # no signature algorithms: the extension list is hashed without the trailing underscore
    assert _hello_of(_records(_foxio_hello([]))).ja4 == "t13d1516h2_8daaf6152771_6d807ffa2a79"


def test_bare_client_hello_without_extensions() -> None:
    hello = _hello_of(_records(_client_hello([0x002F, 0x0035, 0x00FF], None, version=0x0301)))
    assert hello.version == "1.0"
    assert (hello.sni, hello.alpn, hello.supported_versions, hello.extensions) == (None, [], [], [])
    assert hello.ja3 == "769,47-53-255,,,"
    assert hello.ja3_hash == hashlib.md5(b"769,47-53-255,,,").hexdigest()
    cipher_hash = hashlib.sha256(b"002f,0035,00ff").hexdigest()[:12]
    assert hello.ja4 == f"t10i030000_{cipher_hash}_000000000000"


@pytest.mark.parametrize(
    ("first_alpn", "mark"),
    [
        (b"http/1.1", "h1"),
        (b"h", "hh"),
        (b"\xab", "ab"),
        (b"\xab\xcd", "ad"),
        (b"0\xab", "3b"),
        (b"01\xab\xcd", "3d"),
    ],
)
def test_ja4_alpn_characters(first_alpn: bytes, mark: str) -> None:
    hello = _hello_of(_records(_client_hello([0x1301], [_alpn(first_alpn, b"h2")])))
    assert hello.ja4[:10] == f"t12i0101{mark}"


def test_ja4_counts_stop_at_99() -> None:
    hello = _hello_of(_records(_client_hello(list(range(1, 121)), [_sni(b"example.com")])))
    assert hello.ja4.startswith("t12d9901")
    assert len(hello.ciphers) == 120


def test_client_hello_spanning_records_and_partial_data() -> None:
    hello_bytes = _chrome_hello()
    whole = _records(hello_bytes)
    spanning = _records(hello_bytes, size=100)
    assert spanning.count(b"\x16\x03\x01") >= 3
    assert _hello_of(spanning) == _hello_of(whole)
    for cut in (1, 3, 5, 9, 100, len(spanning) - 1):
        assert parse_tls_records(spanning[:cut], from_client=True) == (None, None)
    # a truncated hello followed by another record type never completes
    truncated = _records(hello_bytes[:150]) + CHANGE_CIPHER_SPEC
    assert parse_tls_records(truncated, from_client=True) == (
        f"ClientHello truncated: 146 of {len(hello_bytes) - 4} bytes"
    )
    assert isinstance(parse_tls_records(whole[:150], from_client=True, final=True), str)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"GET / HTTP/1.1\r\n\r\n", "not a TLS handshake record: content type 71 at offset 0"),
        (b"\x16\x02\x00\x00\x05", "not a TLS record: version major 2 at offset 1"),
        (b"\x16\x03\x01\x00\x00", "TLS handshake record version 3.1 length 0 at offset 0"),
        (b"\x16\x03\x01\x50\x00\x01", "TLS handshake record version 3.1 length 20480 at offset 0"),
        (_records(b"\x02\x00\x00\x00"), "expected a ClientHello (handshake type 1), got type 2"),
        (_records(_handshake(1, b"\x03\x03")), "ClientHello of 2 bytes ends before its session id"),
        (
            _records(_handshake(1, bytes(38) + b"\x00\x10")),
            "ClientHello extensions length overruns at offset 38",
        ),
        (_records(_client_hello([1], [_ext(0, b"\x00\x09")])), "server_name list length overruns at offset"),
        (_records(_client_hello([1, 2, 3], [b"\x00\x00\x00\x09"])), "ClientHello extension 0 length 9 at"),
    ],
)
def test_not_tls_or_malformed_says_why(data: bytes, reason: str) -> None:
    result = parse_tls_records(data, from_client=True)
    assert isinstance(result, str)
    assert result.startswith(reason)


def test_looks_like_tls() -> None:
    assert looks_like_tls(_records(_chrome_hello()))
    assert looks_like_tls(memoryview(b"\x16\x03\x03"))
    assert not looks_like_tls(b"\x17\x03\x03\x00\x10")
    assert not looks_like_tls(b"GET /")
    assert not looks_like_tls(b"\x16")


# --- ServerHello and certificate -----------------------------------------------------------

NOT_BEFORE = datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
NOT_AFTER = datetime.datetime(2051, 6, 30, 12, 0, 0, tzinfo=datetime.UTC)  # GeneralizedTime from 2050


def _certificate_der(subject: x509.Name, issuer: x509.Name, serial: int) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(NOT_AFTER)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("www.example.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(Encoding.DER)


SITE = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "CN"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Example, Inc."),
        x509.NameAttribute(NameOID.COMMON_NAME, "www.example.com"),
    ]
)
CA = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example CA")])


def _server_flight(leaf: bytes, chain: list[bytes]) -> bytes:
    hello = _server_hello(
        0xC02F, [_ext(65281, b"\x00"), _ext(0, b""), _ext(11, b"\x01\x00"), _ext(35, b""), _alpn(b"h2")]
    )
    certificates = b"".join(_u24(len(der)) + der for der in [leaf, *chain])
    certificate_message = _handshake(11, _u24(len(certificates)) + certificates)
    return hello + certificate_message + _handshake(14, b"")


def test_tls12_server_hello_and_certificate() -> None:
    leaf = _certificate_der(SITE, CA, 0x8F0123456789ABCDEF)
    ca = _certificate_der(CA, CA, 1)
    flight = _server_flight(leaf, [ca])
    result = parse_tls_records(_records(flight, version=0x0303), from_client=False)
    assert not isinstance(result, str), result
    hello, certificate = result
    assert hello == ServerHello(
        version="1.2",
        cipher=0xC02F,
        ja3s="771,49199,65281-0-11-35-16",
        ja3s_hash=hashlib.md5(b"771,49199,65281-0-11-35-16").hexdigest(),
        alpn="h2",
    )
    assert certificate == Certificate(
        subject="CN=www.example.com,O=Example\\, Inc.,C=CN",
        issuer="CN=Example CA",
        not_before="2024-01-02T03:04:05Z",
        not_after="2051-06-30T12:00:00Z",
        serial="8F0123456789ABCDEF",  # DER's leading sign byte dropped
    )
    decoded = x509.load_der_x509_certificate(leaf)
    assert certificate.subject == decoded.subject.rfc4514_string()
    assert certificate.issuer == decoded.issuer.rfc4514_string()


def test_certificate_spanning_records_and_partial_flight() -> None:
    leaf = _certificate_der(SITE, CA, 4660)
    flight = _server_flight(leaf, [])
    whole = parse_tls_records(_records(flight), from_client=False)
    spanning_data = _records(flight, size=97)
    assert parse_tls_records(spanning_data, from_client=False) == whole
    assert not isinstance(whole, str)
    assert isinstance(whole[1], Certificate)
    assert whole[1].serial == "1234"
    # the ServerHello alone, then part of the certificate: wait for more
    hello_end = len(_records(flight[: 4 + flight[3]], size=97))
    for cut in (10, hello_end, hello_end + 20, len(spanning_data) - 100):
        assert parse_tls_records(spanning_data[:cut], from_client=False) == (None, None)
    # nothing more will come: keep the ServerHello
    assert parse_tls_records(spanning_data[: len(spanning_data) - 100], from_client=False, final=True) == (
        whole[0],
        None,
    )


def test_tls13_server_hello_has_no_visible_certificate() -> None:
    hello = _server_hello(0x1301, [_ext(43, _u16(0x0304)), _ext(51, _u16(29) + _u16(32) + bytes(32))])
    data = _records(hello, version=0x0303) + CHANGE_CIPHER_SPEC + APPLICATION_DATA
    assert parse_tls_records(data, from_client=False) == (
        ServerHello(
            version="1.3",
            cipher=0x1301,
            ja3s="771,4865,43-51",
            ja3s_hash=hashlib.md5(b"771,4865,43-51").hexdigest(),
            alpn=None,
        ),
        None,
    )
    # complete without the records that follow: TLS 1.3 never shows a certificate in clear
    assert parse_tls_records(_records(hello), from_client=False) == parse_tls_records(data, from_client=False)


def test_resumed_tls12_session_has_no_certificate() -> None:
    hello = _server_hello(0xC02F, [])
    assert parse_tls_records(_records(hello), from_client=False) == (None, None)
    result = parse_tls_records(_records(hello) + CHANGE_CIPHER_SPEC, from_client=False)
    assert not isinstance(result, str)
    assert isinstance(result[0], ServerHello)
    assert result[0].ja3s == "771,49199,"
    assert result[1] is None


def test_server_side_expects_a_server_hello() -> None:
    assert parse_tls_records(_records(_chrome_hello()), from_client=False) == (
        "expected a ServerHello (handshake type 2), got type 1"
    )


def test_damaged_certificate_keeps_what_decoded() -> None:
    leaf = bytearray(_certificate_der(SITE, CA, 77))
    subject_at = leaf.rfind(SITE.public_bytes())
    leaf[subject_at + 2] = 0x04  # the first RDN is no longer a SET
    result = parse_tls_records(_records(_server_flight(bytes(leaf), [])), from_client=False)
    assert not isinstance(result, str)
    assert result[1] == Certificate(
        subject=None,
        issuer="CN=Example CA",
        not_before="2024-01-02T03:04:05Z",
        not_after="2051-06-30T12:00:00Z",
        serial="4D",
    )
    # a length that overruns the certificate stops the walk there
    leaf[1] = 0x84
    result = parse_tls_records(_records(_server_flight(bytes(leaf), [])), from_client=False)
    assert not isinstance(result, str)
    assert result[1] == Certificate(None, None, None, None, None)


# --- hostile input -------------------------------------------------------------------------


@given(st.binary(max_size=400), st.booleans(), st.booleans())
def test_tls_never_raises_on_any_bytes(data: bytes, from_client: bool, final: bool) -> None:
    for candidate in (data, b"\x16\x03\x01" + data, _records(b"\x01" + data), _records(b"\x02" + data)):
        result = parse_tls_records(candidate, from_client=from_client, final=final)
        assert isinstance(result, str | tuple)


FUZZ_CLIENT = _records(_chrome_hello(), size=300)
FUZZ_SERVER = _records(_server_flight(_certificate_der(SITE, CA, 99), []), size=300)


@given(st.data())
def test_tls_never_raises_on_damaged_handshakes(data: st.DataObject) -> None:
    from_client = data.draw(st.booleans())
    damaged = bytearray(FUZZ_CLIENT if from_client else FUZZ_SERVER)
    for _ in range(data.draw(st.integers(1, 6))):
        damaged[data.draw(st.integers(0, len(damaged) - 1))] = data.draw(st.integers(0, 255))
    cut = data.draw(st.integers(0, len(damaged)))
    result = parse_tls_records(bytes(damaged[:cut]), from_client=from_client, final=data.draw(st.booleans()))
    assert isinstance(result, str | tuple)
