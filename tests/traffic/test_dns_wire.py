"""DNS wire-format parsing: messages built byte by byte, cut, looped and fuzzed."""

from __future__ import annotations

import ipaddress
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.traffic.dns import DnsAnswer, DnsMessage, parse_dns

QNAME_POINTER = b"\xc0\x0c"  # the question name always starts at offset 12
A, NS, CNAME, SOA, MX, TXT, AAAA, SRV, HTTPS = 1, 2, 5, 6, 15, 16, 28, 33, 65


def name(text: str) -> bytes:
    """Uncompressed wire name; "" is the root."""
    wire = b""
    for label in text.split(".") if text else []:
        raw = label.encode("ascii")
        wire += bytes((len(raw),)) + raw
    return wire + b"\x00"


def labels(*raw: bytes) -> bytes:
    """Wire name from raw label bytes (for bytes a text name cannot carry)."""
    return b"".join(bytes((len(label),)) + label for label in raw) + b"\x00"


def header(
    *, ident: int = 0x1234, flags: int = 0x8180, qd: int = 1, an: int = 0, ns: int = 0, ar: int = 0
) -> bytes:
    return struct.pack("!HHHHHH", ident, flags, qd, an, ns, ar)


def question(qname: bytes, qtype: int = A, qclass: int = 1) -> bytes:
    return qname + struct.pack("!HH", qtype, qclass)


def rr(owner: bytes, rtype: int, rdata: bytes, *, ttl: int = 300, rclass: int = 1) -> bytes:
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def response(qname: str, qtype: int, *records: bytes, flags: int = 0x8180) -> bytes:
    return header(flags=flags, an=len(records)) + question(name(qname), qtype) + b"".join(records)


def parsed(payload: bytes | memoryview, *, tcp: bool = False) -> DnsMessage:
    result = parse_dns(payload, tcp=tcp)
    assert isinstance(result, DnsMessage), result
    return result


# --- header and question --------------------------------------------------------------------------


def test_query_header_and_question() -> None:
    msg = parsed(header(ident=0xBEEF, flags=0x0100) + question(name("www.example.com"), A))
    assert msg == DnsMessage(
        id=0xBEEF,
        is_response=False,
        opcode=0,
        rcode=0,
        rcode_name="NOERROR",
        header_flags=["RD"],
        question_name="www.example.com",
        question_type="A",
        question_class="IN",
        answers=[],
        truncated_answers=False,
    )


def test_question_name_keeps_case_as_sent() -> None:
    msg = parsed(header(flags=0x0100) + question(name("WwW.ExAmple.COM"), AAAA))
    assert (msg.question_name, msg.question_type) == ("WwW.ExAmple.COM", "AAAA")


@pytest.mark.parametrize(
    ("flags", "expected"),
    [
        (0x0000, []),
        (0x8180, ["RD", "RA"]),
        (0x87B0, ["AA", "TC", "RD", "RA", "AD", "CD"]),
        (0x8420, ["AA", "AD"]),
        (0x0210, ["TC", "CD"]),
        (0x0040, []),  # Z alone is not a flag ECS names
    ],
)
def test_header_flags_in_ecs_order(flags: int, expected: list[str]) -> None:
    assert parsed(header(flags=flags) + question(name("example.com"))).header_flags == expected


def test_opcode_and_response_bit() -> None:
    update = parsed(header(flags=0x2800, qd=1) + question(name("example.com"), SOA))
    assert (update.is_response, update.opcode) == (False, 5)
    notify_reply = parsed(header(flags=0xA400) + question(name("example.com"), SOA))
    assert (notify_reply.is_response, notify_reply.opcode, notify_reply.header_flags) == (True, 4, ["AA"])


@pytest.mark.parametrize(
    ("rcode", "expected"),
    [
        (0, "NOERROR"),
        (1, "FORMERR"),
        (2, "SERVFAIL"),
        (3, "NXDOMAIN"),
        (4, "NOTIMP"),
        (5, "REFUSED"),
        (9, "NOTAUTH"),
        (15, "15"),
    ],
)
def test_rcode_names(rcode: int, expected: str) -> None:
    msg = parsed(header(flags=0x8180 | rcode) + question(name("example.com")))
    assert (msg.rcode, msg.rcode_name) == (rcode, expected)


def test_nxdomain_response_keeps_authority_out_of_answers() -> None:
    soa = name("ns1.example.com") + name("hostmaster.example.com") + struct.pack("!IIIII", 1, 2, 3, 4, 5)
    payload = (
        header(flags=0x8183, an=0, ns=1) + question(name("nope.example.com")) + rr(b"\xc0\x11", SOA, soa)
    )
    msg = parsed(payload)
    assert (msg.rcode, msg.rcode_name, msg.question_name) == (3, "NXDOMAIN", "nope.example.com")
    assert msg.answers == []
    assert msg.truncated_answers is False


def test_question_classes_and_unknown_types() -> None:
    chaos = parsed(header(flags=0x0000) + question(name("version.bind"), TXT, 3))
    assert (chaos.question_type, chaos.question_class) == ("TXT", "CH")
    assert parsed(header() + question(name("example.com"), 255, 255)).question_class == "ANY"
    assert parsed(header() + question(name("example.com"), A, 4)).question_class == "HS"
    odd = parsed(header() + question(name("example.com"), 65280, 0x8001))
    assert (odd.question_type, odd.question_class) == ("TYPE65280", "CLASS32769")


@pytest.mark.parametrize(
    ("qtype", "expected"),
    [(HTTPS, "HTTPS"), (64, "SVCB"), (257, "CAA"), (252, "AXFR"), (46, "RRSIG"), (35, "NAPTR"), (12, "PTR")],
)
def test_type_names(qtype: int, expected: str) -> None:
    assert parsed(header() + question(name("example.com"), qtype)).question_type == expected


def test_root_name_is_shown_as_tshark_does() -> None:
    msg = parsed(header(flags=0x0100) + question(name(""), NS))
    assert msg.question_name == "<Root>"


def test_question_count_zero_has_no_question() -> None:
    msg = parsed(header(flags=0x8181, qd=0))
    assert (msg.rcode_name, msg.question_name, msg.question_type, msg.question_class) == (
        "FORMERR",
        None,
        None,
        None,
    )


def test_later_questions_are_skipped_before_the_answers() -> None:
    payload = (
        header(qd=2, an=1)
        + question(name("www.example.com"))
        + question(name("mail.example.org"), AAAA)
        + rr(QNAME_POINTER, A, bytes((192, 0, 2, 1)))
    )
    msg = parsed(payload)
    assert msg.question_name == "www.example.com"
    assert msg.answers == [DnsAnswer("www.example.com", "A", 300, "192.0.2.1")]


# --- answer records -------------------------------------------------------------------------------


def test_a_answers_through_compression_pointer() -> None:
    payload = response(
        "www.example.com",
        A,
        rr(QNAME_POINTER, A, bytes((192, 0, 2, 10)), ttl=60),
        rr(QNAME_POINTER, A, bytes((198, 51, 100, 7)), ttl=4294967295),
    )
    msg = parsed(payload)
    assert msg.answers == [
        DnsAnswer("www.example.com", "A", 60, "192.0.2.10"),
        DnsAnswer("www.example.com", "A", 4294967295, "198.51.100.7"),
    ]
    assert msg.truncated_answers is False


def test_answers_without_compression() -> None:
    payload = response("example.org", A, rr(name("example.org"), A, bytes((203, 0, 113, 5))))
    assert parsed(payload).answers == [DnsAnswer("example.org", "A", 300, "203.0.113.5")]


@pytest.mark.parametrize(
    "address",
    [
        "2001:db8::1",
        "2001:db8:0:1:0:0:0:1",
        "2001:db8:1:2:3:4:5:6",
        "::1",
        "::",
        "::ffff:192.0.2.1",
        "::192.0.2.1",
    ],
)
def test_aaaa_answers_read_as_ipaddress_writes_them(address: str) -> None:
    raw = ipaddress.IPv6Address(address).packed
    msg = parsed(response("www.example.com", AAAA, rr(QNAME_POINTER, AAAA, raw)))
    assert msg.answers == [DnsAnswer("www.example.com", "AAAA", 300, str(ipaddress.IPv6Address(raw)))]


@given(st.binary(min_size=16, max_size=16))
@settings(max_examples=300)
def test_aaaa_text_matches_ipaddress_for_any_address(raw: bytes) -> None:
    msg = parsed(response("www.example.com", AAAA, rr(QNAME_POINTER, AAAA, raw)))
    assert msg.answers[0].data == str(ipaddress.IPv6Address(raw))


def test_cname_chain_with_pointers_into_rdata() -> None:
    # www.example.com CNAME cdn.example.org; cdn.example.org A 192.0.2.80
    head = header(an=2) + question(name("www.example.com"))
    cname_rdata_offset = len(head) + 2 + 10
    payload = (
        head
        + rr(QNAME_POINTER, CNAME, name("cdn.example.org"))
        + rr(struct.pack("!H", 0xC000 | cname_rdata_offset), A, bytes((192, 0, 2, 80)))
    )
    assert parsed(payload).answers == [
        DnsAnswer("www.example.com", "CNAME", 300, "cdn.example.org"),
        DnsAnswer("cdn.example.org", "A", 300, "192.0.2.80"),
    ]


def test_name_mixing_labels_and_a_pointer() -> None:
    # "mail" + pointer to "example.com" inside the question name (offset 12 + len("\x03www"))
    payload = response(
        "www.example.com", MX, rr(QNAME_POINTER, MX, struct.pack("!H", 10) + b"\x04mail\xc0\x10")
    )
    assert parsed(payload).answers == [DnsAnswer("www.example.com", "MX", 300, "10 mail.example.com")]


def test_ns_and_ptr_answers() -> None:
    ns = parsed(response("example.com", NS, rr(QNAME_POINTER, NS, b"\x03ns1" + QNAME_POINTER)))
    assert ns.answers == [DnsAnswer("example.com", "NS", 300, "ns1.example.com")]
    ptr = parsed(response("5.113.0.203.in-addr.arpa", 12, rr(QNAME_POINTER, 12, name("host.example.org"))))
    assert ptr.answers == [DnsAnswer("5.113.0.203.in-addr.arpa", "PTR", 300, "host.example.org")]


def test_txt_strings_are_joined_by_a_space() -> None:
    rdata = b"\x0bv=spf1 -all" + b"\x06second" + b"\x00" + b"\x05a\x00b\\c"
    msg = parsed(response("example.com", TXT, rr(QNAME_POINTER, TXT, rdata)))
    assert msg.answers == [DnsAnswer("example.com", "TXT", 300, "v=spf1 -all second  a\\000b\\\\c")]


def test_srv_answer() -> None:
    rdata = struct.pack("!HHH", 10, 60, 5060) + name("sipserver.example.com")
    msg = parsed(response("_sip._tcp.example.com", SRV, rr(QNAME_POINTER, SRV, rdata)))
    assert msg.answers == [DnsAnswer("_sip._tcp.example.com", "SRV", 300, "10 60 5060 sipserver.example.com")]


def test_soa_answer() -> None:
    rdata = b"\x03ns1" + QNAME_POINTER + b"\x0ahostmaster" + QNAME_POINTER
    rdata += struct.pack("!IIIII", 2024010101, 7200, 3600, 1209600, 300)
    msg = parsed(response("example.com", SOA, rr(QNAME_POINTER, SOA, rdata, ttl=3600)))
    assert msg.answers == [
        DnsAnswer(
            "example.com",
            "SOA",
            3600,
            "ns1.example.com hostmaster.example.com 2024010101 7200 3600 1209600 300",
        )
    ]


def test_types_without_text_form_and_unknown_types() -> None:
    payload = response(
        "example.com",
        HTTPS,
        rr(QNAME_POINTER, HTTPS, b"\x00\x01\x00\x00\x01\x00\x03\x02h2"),
        rr(QNAME_POINTER, 65280, b"\xde\xad"),
        rr(QNAME_POINTER, A, bytes((192, 0, 2, 3))),
    )
    assert parsed(payload).answers == [
        DnsAnswer("example.com", "HTTPS", 300, None),
        DnsAnswer("example.com", "TYPE65280", 300, None),
        DnsAnswer("example.com", "A", 300, "192.0.2.3"),
    ]


def test_bad_rdata_keeps_the_record_without_data() -> None:
    payload = response(
        "example.com",
        A,
        rr(QNAME_POINTER, A, bytes((192, 0, 2, 1, 9))),  # five address bytes
        rr(QNAME_POINTER, CNAME, b"\x03cdn"),  # name runs past its rdata
        rr(QNAME_POINTER, TXT, b"\x09short"),  # string longer than the rdata
        rr(QNAME_POINTER, MX, b"\x00"),
        rr(QNAME_POINTER, A, bytes((192, 0, 2, 2))),
    )
    msg = parsed(payload)
    assert [(a.type, a.data) for a in msg.answers] == [
        ("A", None),
        ("CNAME", None),
        ("TXT", None),
        ("MX", None),
        ("A", "192.0.2.2"),
    ]
    assert msg.truncated_answers is False


def test_memoryview_input() -> None:
    payload = response("www.example.com", A, rr(QNAME_POINTER, A, bytes((192, 0, 2, 10))))
    assert parsed(memoryview(payload)) == parsed(payload)
    assert parsed(memoryview(b"\xff" + payload)[1:]) == parsed(payload)


# --- escaping -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        (labels(b"xn--caf-dma", b"example", b"com"), "xn--caf-dma.example.com"),
        (labels("café".encode(), b"example", b"com"), "caf\\195\\169.example.com"),
        (labels(b"a.b", b"example", b"com"), "a\\.b.example.com"),
        (labels(b"my host", b"example", b"org"), "my\\032host.example.org"),
        (labels(b"back\\slash", b"example", b"org"), "back\\\\slash.example.org"),
        (labels(b"\x00\x7f\xff", b"example", b"org"), "\\000\\127\\255.example.org"),
        (labels(b"_dmarc", b"-x-", b"example", b"com"), "_dmarc.-x-.example.com"),
        (labels(b"*", b"example", b"com"), "*.example.com"),
    ],
)
def test_label_bytes_are_escaped(wire: bytes, expected: str) -> None:
    assert parsed(header(flags=0x0100) + question(wire)).question_name == expected


def test_escaped_name_in_answer_and_rdata() -> None:
    odd = labels(b"a b", b"example", b"com")
    payload = response(
        "www.example.com", CNAME, rr(QNAME_POINTER, CNAME, odd), rr(odd, A, bytes((192, 0, 2, 4)))
    )
    assert parsed(payload).answers == [
        DnsAnswer("www.example.com", "CNAME", 300, "a\\032b.example.com"),
        DnsAnswer("a\\032b.example.com", "A", 300, "192.0.2.4"),
    ]


# --- hostile names --------------------------------------------------------------------------------


def test_question_pointer_to_itself_is_a_loop() -> None:
    assert parse_dns(header() + QNAME_POINTER + struct.pack("!HH", A, 1)) == (
        "DNS name pointer loop at offset 12 in the question"
    )


def test_two_pointers_pointing_at_each_other() -> None:
    payload = header() + b"\xc0\x0e\xc0\x0c" + struct.pack("!HH", A, 1)
    result = parse_dns(payload)
    assert isinstance(result, str)
    assert result.startswith("DNS name pointer loop at offset ")


def test_loop_through_labels_stops_at_the_length_limit() -> None:
    payload = header() + b"\x03abc" + QNAME_POINTER + struct.pack("!HH", A, 1)
    assert parse_dns(payload) == "DNS name at offset 12 longer than 255 bytes in the question"


def test_answer_name_loop_keeps_the_question_and_earlier_answers() -> None:
    head = header(an=3) + question(name("www.example.com"))
    first = rr(QNAME_POINTER, A, bytes((192, 0, 2, 1)))
    loop_offset = len(head) + len(first)
    payload = head + first + rr(struct.pack("!H", 0xC000 | loop_offset), A, bytes((192, 0, 2, 2))) + first
    msg = parsed(payload)
    assert msg.question_name == "www.example.com"
    assert msg.answers == [DnsAnswer("www.example.com", "A", 300, "192.0.2.1")]
    assert msg.truncated_answers is True


def test_pointer_past_the_end() -> None:
    assert parse_dns(header() + b"\xc0\xff" + struct.pack("!HH", A, 1)) == (
        "DNS name pointer at offset 12 to 255, past the message end 18 in the question"
    )


def test_reserved_label_types() -> None:
    assert parse_dns(header() + b"\x41abc\x00" + struct.pack("!HH", A, 1)) == (
        "DNS label type 0x40 at offset 12 not supported in the question"
    )
    assert parse_dns(header() + b"\x81abc\x00" + struct.pack("!HH", A, 1)) == (
        "DNS label type 0x80 at offset 12 not supported in the question"
    )


def test_name_length_limit_is_255_bytes_on_the_wire() -> None:
    longest = labels(b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 61)
    assert len(longest) == 255
    assert parsed(header() + question(longest)).question_name == ".".join(
        ("a" * 63, "b" * 63, "c" * 63, "d" * 61)
    )
    too_long = labels(b"a" * 63, b"b" * 63, b"c" * 63, b"d" * 62)
    assert (
        parse_dns(header() + question(too_long))
        == "DNS name at offset 12 longer than 255 bytes in the question"
    )


def test_length_limit_counts_labels_reached_through_pointers() -> None:
    head = header(an=1) + question(labels(b"a" * 63, b"b" * 63, b"c" * 63))
    # 4 + 64 more bytes in front of a 193-byte name: 261 bytes
    payload = head + rr(b"\x03www\x3f" + b"x" * 63 + QNAME_POINTER, A, bytes((192, 0, 2, 1)))
    msg = parsed(payload)
    assert msg.answers == []
    assert msg.truncated_answers is True


def pointer_chain(qname: bytes, links: list[bytes]) -> tuple[bytes, int]:
    """Question, then a record whose rdata holds the links, each followed by a pointer to the previous one.

    The first link points at the question name; returns the bytes after the header and the
    offset of the last link.
    """
    body = question(qname)
    rdata_start = 12 + len(body) + 1 + 10
    rdata = b""
    previous = 12
    for link in links:
        offset = rdata_start + len(rdata)
        rdata += link + struct.pack("!H", 0xC000 | previous)
        previous = offset
    return body + rr(b"\x00", 65280, rdata), previous


CHAIN_RECORD = DnsAnswer("<Root>", "TYPE65280", 300, None)


def test_long_backward_pointer_chain_is_followed() -> None:
    # Each link is one label and a pointer to the previous link: 20 hops down to the question.
    body, last = pointer_chain(name("example.com"), [bytes((1, ord("a") + index)) for index in range(20)])
    payload = header(an=2) + body + rr(struct.pack("!H", 0xC000 | last), A, bytes((192, 0, 2, 9)))
    expected_name = ".".join(chr(ord("a") + index) for index in reversed(range(20))) + ".example.com"
    assert parsed(payload).answers == [CHAIN_RECORD, DnsAnswer(expected_name, "A", 300, "192.0.2.9")]


@pytest.mark.parametrize(("links", "followed"), [(63, True), (64, False), (70, False)])
def test_pointer_hop_limit(links: int, followed: bool) -> None:
    # The answer owner's pointer plus the chain's: 64 hops are allowed, 65 count as a loop.
    body, last = pointer_chain(name(""), [b""] * links)
    payload = header(an=2) + body + rr(struct.pack("!H", 0xC000 | last), A, bytes((192, 0, 2, 9)))
    msg = parsed(payload)
    assert msg.question_name == "<Root>"
    if followed:
        assert msg.answers == [CHAIN_RECORD, DnsAnswer("<Root>", "A", 300, "192.0.2.9")]
    else:
        assert msg.answers == [CHAIN_RECORD]
    assert msg.truncated_answers is not followed


# --- cut messages ---------------------------------------------------------------------------------


def test_short_header() -> None:
    assert parse_dns(b"\x12\x34\x01\x00\x00") == "DNS header needs 12 bytes, got 5"
    assert parse_dns(b"") == "DNS header needs 12 bytes, got 0"


def test_cut_question() -> None:
    full = header(flags=0x0100) + question(name("www.example.com"))
    assert parse_dns(full[:20]) == "DNS label cut at offset 16 in the question"
    assert parse_dns(full[:-4]) == "DNS question cut at offset 29"
    assert parse_dns(full[:28]) == "DNS name cut at offset 28 in the question"


def test_snaplen_cut_keeps_complete_answers() -> None:
    first = rr(QNAME_POINTER, A, bytes((192, 0, 2, 1)))
    second = rr(QNAME_POINTER, AAAA, ipaddress.IPv6Address("2001:db8::2").packed)
    full = response("www.example.com", A, first, second)
    cut_in_second = parsed(full[:-5])
    assert cut_in_second.question_name == "www.example.com"
    assert cut_in_second.answers == [DnsAnswer("www.example.com", "A", 300, "192.0.2.1")]
    assert cut_in_second.truncated_answers is True
    cut_in_first = parsed(full[: -len(second) - 2])
    assert (cut_in_first.answers, cut_in_first.truncated_answers) == ([], True)
    whole = parsed(full)
    assert (len(whole.answers), whole.truncated_answers) == (2, False)


def test_every_cut_of_a_response_keeps_header_and_question() -> None:
    full = response(
        "www.example.com",
        CNAME,
        rr(QNAME_POINTER, CNAME, name("cdn.example.org")),
        rr(name("cdn.example.org"), A, bytes((192, 0, 2, 80))),
        rr(name("cdn.example.org"), TXT, b"\x05hello"),
    )
    question_end = 12 + len(question(name("www.example.com")))
    for size in range(len(full) + 1):
        result = parse_dns(full[:size])
        if size < question_end:
            assert isinstance(result, str)
            continue
        assert isinstance(result, DnsMessage)
        assert result.question_name == "www.example.com"
        assert result.truncated_answers is (size < len(full))


# --- TCP framing ----------------------------------------------------------------------------------


def test_tcp_length_prefix() -> None:
    message = response("www.example.com", A, rr(QNAME_POINTER, A, bytes((192, 0, 2, 10))))
    assert parsed(struct.pack("!H", len(message)) + message, tcp=True) == parsed(message)


def test_tcp_reads_only_the_first_message() -> None:
    first = response("www.example.com", A, rr(QNAME_POINTER, A, bytes((192, 0, 2, 10))))
    second = header(ident=0x9999) + question(name("example.org"))
    payload = struct.pack("!H", len(first)) + first + struct.pack("!H", len(second)) + second
    msg = parsed(payload, tcp=True)
    assert (msg.id, msg.question_name, msg.truncated_answers) == (0x1234, "www.example.com", False)


def test_tcp_message_cut_short() -> None:
    first = rr(QNAME_POINTER, A, bytes((192, 0, 2, 1)))
    message = response("www.example.com", A, first, rr(QNAME_POINTER, A, bytes((192, 0, 2, 2))))
    msg = parsed(struct.pack("!H", len(message)) + message[:-3], tcp=True)
    assert msg.answers == [DnsAnswer("www.example.com", "A", 300, "192.0.2.1")]
    assert msg.truncated_answers is True


def test_tcp_framing_errors() -> None:
    assert parse_dns(b"\x00", tcp=True) == "DNS over TCP needs a 2-byte length prefix, got 1 bytes"
    assert parse_dns(b"\x00\x05" + b"\x00" * 20, tcp=True) == (
        "DNS over TCP length prefix 5 is shorter than the 12-byte header"
    )
    assert parse_dns(b"\x00\x40" + b"\x00" * 6, tcp=True) == "DNS header needs 12 bytes, got 6"


# --- any bytes ------------------------------------------------------------------------------------


@given(st.binary(max_size=600), st.booleans())
@settings(max_examples=1500)
def test_any_bytes_give_a_message_or_a_reason(payload: bytes, tcp: bool) -> None:
    result = parse_dns(payload, tcp=tcp)
    assert isinstance(result, DnsMessage | str)


_POINTERISH = st.lists(
    st.one_of(
        st.sampled_from(
            [b"\x00", b"\xc0\x0c", b"\xc0\x0e", b"\xc0\x10", b"\x01a", b"\x3f", b"\x00\x01\x00\x01"]
        ),
        st.binary(min_size=1, max_size=6),
    ),
    max_size=60,
).map(b"".join)


@given(
    st.integers(0, 0xFFFF),
    st.integers(0, 3),
    st.integers(0, 40),
    _POINTERISH,
    st.booleans(),
)
@settings(max_examples=1500)
def test_plausible_headers_with_hostile_bodies(flags: int, qd: int, an: int, body: bytes, tcp: bool) -> None:
    message = header(flags=flags, qd=qd, an=an) + body
    payload = struct.pack("!H", len(message)) + message if tcp else message
    result = parse_dns(payload, tcp=tcp)
    assert isinstance(result, DnsMessage | str)
    if isinstance(result, DnsMessage):
        assert len(result.answers) <= an
        for answer in result.answers:
            assert len(answer.name) <= 4 * 255
        if qd:
            assert result.question_name is not None


def test_largest_message_of_longest_pointer_chains() -> None:
    # As many answers as fit in 64 KiB, each owner a pointer to the end of a 63-pointer chain:
    # every owner takes the full 64 hops allowed.
    body, last = pointer_chain(name(""), [b""] * 63)
    record = rr(struct.pack("!H", 0xC000 | last), 65280, b"")
    count = (0xFFFF - 2 - 12 - len(body)) // len(record)
    message = header(an=count + 1) + body + record * count
    for tcp in (False, True):
        payload = struct.pack("!H", len(message)) + message if tcp else message
        msg = parsed(payload, tcp=tcp)
        assert msg.answers == [CHAIN_RECORD] * (count + 1)
        assert msg.truncated_answers is False
