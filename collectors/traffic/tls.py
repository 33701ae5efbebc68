"""TLS handshakes at the start of a TCP stream → ClientHello, ServerHello and server certificate.

``parse_tls_records`` reads the plaintext handshake records one direction of a connection
begins with, joining handshake bytes across consecutive records of content type 22. From the
client it decodes the ClientHello (SNI, ALPN, JA3, JA4); from the server the ServerHello (JA3S)
and, when the negotiated version is TLS 1.2 or older so the Certificate message is sent in
clear, the first certificate of the chain. It returns ``(None, None)`` while the messages it
needs are still arriving, and a string saying what and where when the bytes are not TLS.
``parse_client_hello_message`` reads a bare ClientHello handshake message, as QUIC carries it
in CRYPTO frames instead of records.

GREASE values (RFC 8701) are left out of every list and fingerprint except JA3S, whose
definition keeps the server's extensions as sent. JA4 follows the FoxIO specification.
Certificates are read with a small DER walker: subject and issuer in RFC 4514 form (last RDN
first, known attribute names, dotted OIDs otherwise), validity in ISO 8601 UTC, serial in
upper-case hex; a field that cannot be decoded stays ``None``.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "Certificate",
    "ClientHello",
    "ServerHello",
    "looks_like_tls",
    "parse_client_hello_message",
    "parse_tls_records",
]

_RECORD_HEADER = struct.Struct("!BBBH")
_U16 = struct.Struct("!H")
_U16_PAIR = struct.Struct("!HH")
_U8_U16 = struct.Struct("!BH")

_HANDSHAKE = 22
# Change cipher spec, alert, application data, heartbeat: the handshake flight is over.
_OTHER_RECORD_TYPES = frozenset({20, 21, 23, 24})
_MAX_RECORD_LENGTH = 2**14 + 2048  # largest TLSCiphertext fragment (RFC 8446 §5.2)
# Real hellos are a few KiB; a larger claimed length would only make the caller buffer forever.
_MAX_HELLO_LENGTH = 2**16

_CLIENT_HELLO = 1
_SERVER_HELLO = 2
_CERTIFICATE = 11

_EXT_SERVER_NAME = 0
_EXT_SUPPORTED_GROUPS = 10
_EXT_POINT_FORMATS = 11
_EXT_SIGNATURE_ALGORITHMS = 13
_EXT_ALPN = 16
_EXT_SUPPORTED_VERSIONS = 43

_TLS_1_2 = 0x0303
_GREASE = frozenset(0x0A0A + 0x1010 * step for step in range(16))

_VERSION_NAMES = {0x0300: "3.0", 0x0301: "1.0", 0x0302: "1.1", 0x0303: "1.2", 0x0304: "1.3"}
_JA4_VERSIONS = {
    0x0304: "13",
    0x0303: "12",
    0x0302: "11",
    0x0301: "10",
    0x0300: "s3",
    0x0002: "s2",
    0xFEFF: "d1",
    0xFEFD: "d2",
    0xFEFC: "d3",
}
_JA4_EMPTY_HASH = "000000000000"
_ALNUM = frozenset(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


@dataclass(slots=True)
class ClientHello:
    """What a ClientHello says about the client; lists are in wire order without GREASE."""

    version: str  # legacy_version: "1.2" for 0x0303
    supported_versions: list[int]
    sni: str | None
    alpn: list[str]
    ja3: str
    ja3_hash: str
    ja4: str
    ciphers: list[int]
    extensions: list[int]


@dataclass(slots=True)
class ServerHello:
    """The server's choice: negotiated version, cipher suite and ALPN protocol."""

    version: str  # from supported_versions when present, else legacy_version
    cipher: int
    ja3s: str
    ja3s_hash: str
    alpn: str | None


@dataclass(slots=True)
class Certificate:
    """The server certificate fields worth recording; ``None`` where the DER did not decode."""

    subject: str | None
    issuer: str | None
    not_before: str | None  # "2024-01-01T00:00:00Z"
    not_after: str | None
    serial: str | None  # upper-case hex, "0123AB"


class _Malformed(Exception):
    """Bytes that cannot be what they should; the message says what and where."""


def looks_like_tls(data: bytes | memoryview) -> bool:
    """Whether ``data`` starts like a TLS handshake record (content type 22, version 3.x)."""
    return len(data) >= 2 and data[0] == _HANDSHAKE and data[1] == 3


def parse_tls_records(
    data: bytes | memoryview, *, from_client: bool, final: bool = False
) -> tuple[ClientHello | ServerHello | None, Certificate | None] | str:
    """The hello (and server certificate) at the start of one direction of a TLS connection.

    ``data`` begins at the first byte that direction sent. ``(None, None)`` means the hello is
    not complete yet. From the server, a TLS 1.2 flight whose Certificate is still arriving
    also gives ``(None, None)``, unless ``final`` says no more bytes will come: then the
    ServerHello is returned without a certificate.
    """
    try:
        stream = _handshake_bytes(data)
        if stream is None:
            return None, None
        handshake, flight_over = stream
        if from_client:
            return _client_side(handshake, flight_over or final)
        return _server_side(handshake, flight_over or final)
    except _Malformed as exc:
        return str(exc)


def parse_client_hello_message(
    data: bytes | memoryview, *, transport: Literal["t", "q", "d"] = "t"
) -> ClientHello | str:
    """The ClientHello handshake message (type 1, 24-bit length, body) at the start of ``data``.

    For hellos that do not travel in TLS records, such as QUIC's CRYPTO stream. ``transport`` is
    the first character of JA4: "t" TCP, "q" QUIC, "d" DTLS. Bytes after the message are ignored;
    a message cut short gives a string, as does anything that is not a ClientHello.
    """
    try:
        end = _message(data, 0, _CLIENT_HELLO, "ClientHello", complete=True)
        if end is None:  # only an incomplete message gives None, and complete=True rules that out
            return "ClientHello incomplete"
        return _client_hello(bytes(data[4:end]), transport)
    except _Malformed as exc:
        return str(exc)


def _handshake_bytes(data: bytes | memoryview) -> tuple[bytes | memoryview, bool] | None:
    """Handshake bytes of the leading type-22 records, and whether another record type follows.

    The last record may be cut short: its bytes so far still count. A record that cannot
    follow a handshake record ends the flight instead of failing it, so that trailing junk does
    not hide a hello that was already complete.
    """
    size = len(data)
    if size == 0:
        return None
    if data[0] != _HANDSHAKE:
        raise _Malformed(f"not a TLS handshake record: content type {data[0]} at offset 0")
    if size >= 2 and data[1] != 3:
        raise _Malformed(f"not a TLS record: version major {data[1]} at offset 1")
    pieces: list[bytes | memoryview] = []
    pos = 0
    flight_over = False
    while pos + 5 <= size:
        content_type, major, minor, length = _RECORD_HEADER.unpack_from(data, pos)
        if content_type != _HANDSHAKE or major != 3 or not 0 < length <= _MAX_RECORD_LENGTH:
            if pos == 0:
                raise _Malformed(f"TLS handshake record version {major}.{minor} length {length} at offset 0")
            flight_over = True
            break
        start = pos + 5
        pos = start + length
        pieces.append(data[start : min(pos, size)])
    if not pieces:
        return None
    return (pieces[0] if len(pieces) == 1 else b"".join(pieces)), flight_over


def _message(handshake: bytes | memoryview, pos: int, expected: int, name: str, complete: bool) -> int | None:
    """End offset of the handshake message of type ``expected`` at ``pos``; None if incomplete."""
    size = len(handshake)
    if size > pos and handshake[pos] != expected:
        raise _Malformed(f"expected a {name} (handshake type {expected}), got type {handshake[pos]}")
    if size < pos + 4:
        if complete:
            raise _Malformed(f"TLS handshake ends {size - pos} bytes into the {name} header")
        return None
    length = int.from_bytes(handshake[pos + 1 : pos + 4], "big")
    if length > _MAX_HELLO_LENGTH:
        raise _Malformed(f"{name} length {length} exceeds {_MAX_HELLO_LENGTH}")
    end = pos + 4 + length
    if size < end:
        if complete:
            raise _Malformed(f"{name} truncated: {size - pos - 4} of {length} bytes")
        return None
    return end


def _client_side(handshake: bytes | memoryview, complete: bool) -> tuple[ClientHello | None, None]:
    end = _message(handshake, 0, _CLIENT_HELLO, "ClientHello", complete)
    if end is None:
        return None, None
    return _client_hello(bytes(handshake[4:end])), None


def _server_side(
    handshake: bytes | memoryview, complete: bool
) -> tuple[ServerHello | None, Certificate | None]:
    end = _message(handshake, 0, _SERVER_HELLO, "ServerHello", complete)
    if end is None:
        return None, None
    hello, negotiated = _server_hello(bytes(handshake[4:end]))
    if negotiated > _TLS_1_2:
        return hello, None  # the Certificate message is encrypted from TLS 1.3 on
    pending = (None, None) if not complete else (hello, None)
    # Certificate header (4), certificate_list length (3), first certificate length (3).
    size = len(handshake)
    if size < end + 1:
        return pending
    if handshake[end] != _CERTIFICATE:
        return hello, None  # resumption or an anonymous suite: no certificate in this flight
    if size < end + 10:
        return pending
    message_length = int.from_bytes(handshake[end + 1 : end + 4], "big")
    list_length = int.from_bytes(handshake[end + 4 : end + 7], "big")
    first_length = int.from_bytes(handshake[end + 7 : end + 10], "big")
    if list_length == 0 or list_length + 3 > message_length or first_length + 3 > list_length:
        return hello, None
    if size < end + 10 + first_length:
        return pending
    return hello, _certificate(bytes(handshake[end + 10 : end + 10 + first_length]))


def _client_hello(body: bytes, transport: str = "t") -> ClientHello:
    size = len(body)
    if size < 35:
        raise _Malformed(f"ClientHello of {size} bytes ends before its session id")
    legacy_version = _U16.unpack_from(body, 0)[0]
    session_id_length = body[34]
    if session_id_length > 32:
        raise _Malformed(f"ClientHello session id length {session_id_length} at offset 34")
    pos = 35 + session_id_length
    if pos + 2 > size:
        raise _Malformed(f"ClientHello ends before its cipher suites at offset {pos}")
    suites_length = _U16.unpack_from(body, pos)[0]
    if suites_length % 2 or pos + 2 + suites_length > size:
        raise _Malformed(f"ClientHello cipher suites length {suites_length} at offset {pos}")
    ciphers = _without_grease(struct.unpack_from(f"!{suites_length // 2}H", body, pos + 2))
    pos += 2 + suites_length
    if pos >= size or pos + 1 + body[pos] > size:
        raise _Malformed(f"ClientHello compression methods overrun at offset {pos}")
    pos += 1 + body[pos]

    extensions: list[int] = []
    sni: str | None = None
    alpn_raw: list[bytes] = []
    groups: list[int] = []
    point_formats: list[int] = []
    signature_algorithms: list[int] = []
    supported_versions: list[int] = []
    seen: set[int] = set()
    for ext_type, start, end in _extensions(body, pos, size, "ClientHello"):
        if ext_type in _GREASE:
            continue
        extensions.append(ext_type)
        if ext_type in seen:
            continue  # duplicates are illegal; the first one is what a server would act on
        seen.add(ext_type)
        if ext_type == _EXT_SERVER_NAME:
            sni = _server_name(body, start, end)
        elif ext_type == _EXT_ALPN:
            alpn_raw = _protocol_names(body, start, end)
        elif ext_type == _EXT_SUPPORTED_GROUPS:
            groups = _without_grease(_u16_vector(body, start, end, 2, "supported groups"))
        elif ext_type == _EXT_POINT_FORMATS:
            point_formats = list(_u8_vector(body, start, end, "EC point formats"))
        elif ext_type == _EXT_SIGNATURE_ALGORITHMS:
            signature_algorithms = _without_grease(_u16_vector(body, start, end, 2, "signature algorithms"))
        elif ext_type == _EXT_SUPPORTED_VERSIONS:
            supported_versions = _without_grease(_u16_vector(body, start, end, 1, "supported versions"))

    ja3 = ",".join(
        (
            str(legacy_version),
            _dashed(ciphers),
            _dashed(extensions),
            _dashed(groups),
            _dashed(point_formats),
        )
    )
    ja4 = _ja4(
        transport,
        max(supported_versions) if supported_versions else legacy_version,
        sni_present=_EXT_SERVER_NAME in seen,
        ciphers=ciphers,
        extensions=extensions,
        first_alpn=alpn_raw[0] if alpn_raw else b"",
        signature_algorithms=signature_algorithms,
    )
    return ClientHello(
        version=_version_name(legacy_version),
        supported_versions=supported_versions,
        sni=sni,
        alpn=[name.decode("ascii", "backslashreplace") for name in alpn_raw],
        ja3=ja3,
        ja3_hash=hashlib.md5(ja3.encode("ascii"), usedforsecurity=False).hexdigest(),
        ja4=ja4,
        ciphers=ciphers,
        extensions=extensions,
    )


def _server_hello(body: bytes) -> tuple[ServerHello, int]:
    """The ServerHello and the negotiated version number."""
    size = len(body)
    if size < 35:
        raise _Malformed(f"ServerHello of {size} bytes ends before its session id")
    legacy_version = _U16.unpack_from(body, 0)[0]
    session_id_length = body[34]
    if session_id_length > 32:
        raise _Malformed(f"ServerHello session id length {session_id_length} at offset 34")
    pos = 35 + session_id_length
    if pos + 3 > size:
        raise _Malformed(f"ServerHello ends before its cipher suite at offset {pos}")
    cipher = _U16.unpack_from(body, pos)[0]
    pos += 3  # cipher suite and compression method

    extensions: list[int] = []
    negotiated = legacy_version
    alpn: str | None = None
    for ext_type, start, end in _extensions(body, pos, size, "ServerHello"):
        extensions.append(ext_type)
        if ext_type == _EXT_SUPPORTED_VERSIONS:
            if end - start != 2:
                raise _Malformed(f"ServerHello supported_versions length {end - start} at offset {start}")
            negotiated = _U16.unpack_from(body, start)[0]
        elif ext_type == _EXT_ALPN:
            names = _protocol_names(body, start, end)
            alpn = names[0].decode("ascii", "backslashreplace") if names else None

    ja3s = f"{legacy_version},{cipher},{_dashed(extensions)}"
    hello = ServerHello(
        version=_version_name(negotiated),
        cipher=cipher,
        ja3s=ja3s,
        ja3s_hash=hashlib.md5(ja3s.encode("ascii"), usedforsecurity=False).hexdigest(),
        alpn=alpn,
    )
    return hello, negotiated


def _extensions(body: bytes, pos: int, size: int, hello: str) -> Iterator[tuple[int, int, int]]:
    """(type, data start, data end) of each extension in the optional block at ``pos``."""
    if pos + 2 > size:
        return
    extensions_end = pos + 2 + _U16.unpack_from(body, pos)[0]
    if extensions_end > size:
        raise _Malformed(f"{hello} extensions length overruns at offset {pos}")
    pos += 2
    while pos < extensions_end:
        if pos + 4 > extensions_end:
            raise _Malformed(f"{hello} extension header truncated at offset {pos}")
        ext_type, ext_length = _U16_PAIR.unpack_from(body, pos)
        start = pos + 4
        pos = start + ext_length
        if pos > extensions_end:
            raise _Malformed(f"{hello} extension {ext_type} length {ext_length} at offset {start - 4}")
        yield ext_type, start, pos


def _ja4(
    transport: str,
    version: int,
    *,
    sni_present: bool,
    ciphers: list[int],
    extensions: list[int],
    first_alpn: bytes,
    signature_algorithms: list[int],
) -> str:
    """JA4 (FoxIO) of a ClientHello sent over ``transport`` ("t", "q" or "d"); lists free of GREASE."""
    prefix = (
        f"{transport}{_JA4_VERSIONS.get(version, '00')}{'d' if sni_present else 'i'}"
        f"{min(len(ciphers), 99):02d}{min(len(extensions), 99):02d}{_alpn_mark(first_alpn)}"
    )
    cipher_hash = _sha12(_hex_list(sorted(ciphers))) if ciphers else _JA4_EMPTY_HASH
    hashed_extensions = sorted(ext for ext in extensions if ext not in (_EXT_SERVER_NAME, _EXT_ALPN))
    if hashed_extensions:
        text = _hex_list(hashed_extensions)
        if signature_algorithms:
            text = f"{text}_{_hex_list(signature_algorithms)}"
        extension_hash = _sha12(text)
    else:
        extension_hash = _JA4_EMPTY_HASH
    return f"{prefix}_{cipher_hash}_{extension_hash}"


def _alpn_mark(name: bytes) -> str:
    """First and last character of the first ALPN value, or of its hex form if not alphanumeric."""
    if not name:
        return "00"
    first, last = name[0], name[-1]
    if first in _ALNUM and last in _ALNUM:
        return chr(first) + chr(last)
    digits = name.hex()
    return digits[0] + digits[-1]


def _sha12(text: str) -> str:
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:12]


def _hex_list(values: list[int]) -> str:
    return ",".join([f"{value:04x}" for value in values])


def _dashed(values: list[int]) -> str:
    return "-".join([str(value) for value in values])


def _without_grease(values: tuple[int, ...]) -> list[int]:
    return [value for value in values if value not in _GREASE]


def _version_name(version: int) -> str:
    return _VERSION_NAMES.get(version) or f"0x{version:04x}"


def _u16_vector(body: bytes, start: int, end: int, prefix: int, what: str) -> tuple[int, ...]:
    """The 16-bit values of a vector with a ``prefix``-byte length, filling ``start:end``."""
    if start + prefix > end:
        raise _Malformed(f"{what} extension truncated at offset {start}")
    length = int.from_bytes(body[start : start + prefix], "big")
    if length % 2 or start + prefix + length > end:
        raise _Malformed(f"{what} length {length} at offset {start}")
    return struct.unpack_from(f"!{length // 2}H", body, start + prefix)


def _u8_vector(body: bytes, start: int, end: int, what: str) -> bytes:
    if start >= end or start + 1 + body[start] > end:
        raise _Malformed(f"{what} length overruns at offset {start}")
    return body[start + 1 : start + 1 + body[start]]


def _server_name(body: bytes, start: int, end: int) -> str | None:
    """The first host_name of a server_name extension."""
    if start + 2 > end or start + 2 + _U16.unpack_from(body, start)[0] > end:
        raise _Malformed(f"server_name list length overruns at offset {start}")
    list_end = start + 2 + _U16.unpack_from(body, start)[0]
    pos = start + 2
    while pos + 3 <= list_end:
        name_type, length = _U8_U16.unpack_from(body, pos)
        pos += 3
        if pos + length > list_end:
            raise _Malformed(f"server_name entry length {length} at offset {pos - 3}")
        if name_type == 0:
            return body[pos : pos + length].decode("ascii", "backslashreplace")
        pos += length
    return None


def _protocol_names(body: bytes, start: int, end: int) -> list[bytes]:
    """The protocol names of an ALPN extension, in the sender's order."""
    if start + 2 > end or start + 2 + _U16.unpack_from(body, start)[0] > end:
        raise _Malformed(f"ALPN list length overruns at offset {start}")
    list_end = start + 2 + _U16.unpack_from(body, start)[0]
    names: list[bytes] = []
    pos = start + 2
    while pos < list_end:
        length = body[pos]
        pos += 1
        if pos + length > list_end:
            raise _Malformed(f"ALPN protocol name length {length} at offset {pos - 1}")
        names.append(body[pos : pos + length])
        pos += length
    return names


# --- X.509 (DER) -------------------------------------------------------------------------

_SEQUENCE = 0x30
_SET = 0x31
_INTEGER = 0x02
_OBJECT_IDENTIFIER = 0x06
_EXPLICIT_VERSION = 0xA0
_UTC_TIME = 0x17
_GENERALIZED_TIME = 0x18

# RFC 4514 §3 short names.
_ATTRIBUTE_NAMES = {
    "2.5.4.3": "CN",
    "2.5.4.7": "L",
    "2.5.4.8": "ST",
    "2.5.4.10": "O",
    "2.5.4.11": "OU",
    "2.5.4.6": "C",
    "2.5.4.9": "STREET",
    "0.9.2342.19200300.100.1.25": "DC",
    "0.9.2342.19200300.100.1.1": "UID",
}
_STRING_CODECS = {
    0x0C: "utf-8",  # UTF8String
    0x12: "latin-1",  # NumericString
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # TeletexString, in practice latin-1
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_DN_SPECIALS = frozenset('\\"+,;<>')


def _certificate(der: bytes) -> Certificate:
    """Serial, issuer, validity and subject of a DER certificate, as far as they decode."""
    found = Certificate(subject=None, issuer=None, not_before=None, not_after=None, serial=None)
    try:
        tag, start, end = _tlv(der, 0, len(der))
        _expect(tag, _SEQUENCE, "Certificate", 0)
        tag, tbs_start, tbs_end = _tlv(der, start, end)
        _expect(tag, _SEQUENCE, "TBSCertificate", start)
        tag, start, end = _tlv(der, tbs_start, tbs_end)
        if tag == _EXPLICIT_VERSION:  # absent in version 1 certificates
            tag, start, end = _tlv(der, end, tbs_end)
        if tag == _INTEGER:
            found.serial = _serial(der[start:end])
        _, start, end = _tlv(der, end, tbs_end)  # signature algorithm
        tag, start, end = _tlv(der, end, tbs_end)
        if tag == _SEQUENCE:
            found.issuer = _name_or_none(der, start, end)
        tag, validity_start, validity_end = _tlv(der, end, tbs_end)
        if tag == _SEQUENCE:
            tag, start, end = _tlv(der, validity_start, validity_end)
            found.not_before = _time(tag, der[start:end])
            tag, start, end = _tlv(der, end, validity_end)
            found.not_after = _time(tag, der[start:end])
        tag, start, end = _tlv(der, validity_end, tbs_end)
        if tag == _SEQUENCE:
            found.subject = _name_or_none(der, start, end)
    except _Malformed:
        pass  # keep the fields decoded before the damage
    return found


def _tlv(der: bytes, pos: int, limit: int) -> tuple[int, int, int]:
    """Tag, content start and content end of the DER element at ``pos``, within ``limit``."""
    if pos + 2 > limit:
        raise _Malformed(f"DER element truncated at offset {pos}")
    tag = der[pos]
    if tag & 0x1F == 0x1F:
        raise _Malformed(f"DER high tag number at offset {pos}")
    first = der[pos + 1]
    start = pos + 2
    if first < 0x80:
        length = first
    else:
        count = first & 0x7F
        if count == 0 or count > 4 or start + count > limit:
            raise _Malformed(f"DER length form 0x{first:02x} at offset {pos + 1}")
        length = int.from_bytes(der[start : start + count], "big")
        start += count
    end = start + length
    if end > limit:
        raise _Malformed(f"DER element length {length} overruns at offset {pos}")
    return tag, start, end


def _expect(tag: int, expected: int, what: str, pos: int) -> None:
    if tag != expected:
        raise _Malformed(f"{what} has DER tag 0x{tag:02x} at offset {pos}")


def _serial(content: bytes) -> str | None:
    if not content:
        return None
    skip = 0
    while skip < len(content) - 1 and content[skip] == 0:
        skip += 1
    return content[skip:].hex().upper()


def _name_or_none(der: bytes, start: int, end: int) -> str | None:
    try:
        return _name(der, start, end)
    except _Malformed:
        return None


def _name(der: bytes, start: int, end: int) -> str:
    """RFC 4514 string of the Name whose RDNSequence content is ``der[start:end]``."""
    rdns: list[str] = []
    pos = start
    while pos < end:
        tag, set_start, set_end = _tlv(der, pos, end)
        _expect(tag, _SET, "RelativeDistinguishedName", pos)
        attributes: list[str] = []
        inner = set_start
        while inner < set_end:
            tag, pair_start, pair_end = _tlv(der, inner, set_end)
            _expect(tag, _SEQUENCE, "AttributeTypeAndValue", inner)
            tag, oid_start, oid_end = _tlv(der, pair_start, pair_end)
            _expect(tag, _OBJECT_IDENTIFIER, "attribute type", pair_start)
            oid = _oid(der[oid_start:oid_end], oid_start)
            value_tag, value_start, value_end = _tlv(der, oid_end, pair_end)
            codec = _STRING_CODECS.get(value_tag)
            if codec is None:
                value = "#" + der[oid_end:value_end].hex()  # RFC 4514 §2.4: the DER in hex
            else:
                value = _escape(der[value_start:value_end].decode(codec, "replace"))
            attributes.append(f"{_ATTRIBUTE_NAMES.get(oid, oid)}={value}")
            inner = pair_end
        rdns.append("+".join(attributes))
        pos = set_end
    rdns.reverse()  # RFC 4514 writes the most specific RDN first
    return ",".join(rdns)


def _oid(content: bytes, pos: int) -> str:
    if not content or content[-1] & 0x80:
        raise _Malformed(f"object identifier truncated at offset {pos}")
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = min(arcs[0] // 40, 2)
    return ".".join([str(first), str(arcs[0] - 40 * first), *[str(arc) for arc in arcs[1:]]])


def _escape(value: str) -> str:
    """RFC 4514 §2.4 escaping of an attribute value."""
    if not value:
        return value
    if any(char in _DN_SPECIALS for char in value) or "\0" in value:
        value = "".join(
            "\\" + char if char in _DN_SPECIALS else "\\00" if char == "\0" else char for char in value
        )
    trailing_space = len(value) > 1 and value[-1] == " "
    if value[0] in "# ":
        value = "\\" + value
    if trailing_space:
        value = value[:-1] + "\\ "
    return value


def _time(tag: int, content: bytes) -> str | None:
    """ISO 8601 UTC text of a UTCTime or GeneralizedTime; None for anything else."""
    text = content.decode("latin-1")
    if not text.endswith("Z") or not text.isascii():
        return None
    if tag == _UTC_TIME and len(text) in (11, 13):
        digits = text[:-1]
        if not digits.isdigit():
            return None
        year = int(digits[:2])
        year += 2000 if year < 50 else 1900  # RFC 5280 §4.1.2.5.1
        rest = digits[2:]
    elif tag == _GENERALIZED_TIME and len(text) >= 15:
        digits = text[:14]
        fraction = text[14:-1]
        if not digits.isdigit() or (fraction and (fraction[0] != "." or not fraction[1:].isdigit())):
            return None
        year = int(digits[:4])
        rest = digits[4:]
    else:
        return None
    month, day, hour, minute = int(rest[0:2]), int(rest[2:4]), int(rest[4:6]), int(rest[6:8])
    second = int(rest[8:10]) if len(rest) >= 10 else 0
    if not (1 <= month <= 12 and 1 <= day <= 31 and hour <= 23 and minute <= 59 and second <= 60):
        return None
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"
