"""DNS wire format (RFC 1035) → header, first question and answer records.

``parse_dns`` returns a ``DnsMessage`` or a string saying why the bytes are not a DNS message.
Only the answer section is decoded; authority and additional records are not read, so the
rcode is the 4-bit header value (no EDNS extended rcode).

Names are written in presentation form without the trailing dot and keep their case as sent.
Label bytes outside 0x21-0x7e become ``\\DDD`` (decimal, RFC 4343), a ``.`` inside a label
becomes ``\\.`` and a backslash ``\\\\``; the root name is ``<Root>``, as tshark prints it.
TXT strings keep spaces but otherwise escape the same way, and are joined by one space.
Compression pointers may point anywhere in the message; a name may follow at most 64 of
them and must stay within 255 bytes, which bounds the work on hostile input.
"""

from __future__ import annotations

import ipaddress
import socket
import struct
from dataclasses import dataclass

__all__ = ["DnsAnswer", "DnsMessage", "parse_dns"]

ROOT_NAME = "<Root>"

_HEADER = struct.Struct("!HHHHHH")
_QUESTION_TAIL = struct.Struct("!HH")
_RECORD_TAIL = struct.Struct("!HHIH")
_SRV_FIXED = struct.Struct("!HHH")
_SOA_FIXED = struct.Struct("!IIIII")

_MAX_POINTER_HOPS = 64
_MAX_NAME_WIRE_LENGTH = 255

_TYPE_NAMES: dict[int, str] = {
    1: "A",
    2: "NS",
    3: "MD",
    4: "MF",
    5: "CNAME",
    6: "SOA",
    7: "MB",
    8: "MG",
    9: "MR",
    10: "NULL",
    11: "WKS",
    12: "PTR",
    13: "HINFO",
    14: "MINFO",
    15: "MX",
    16: "TXT",
    17: "RP",
    18: "AFSDB",
    24: "SIG",
    25: "KEY",
    28: "AAAA",
    29: "LOC",
    30: "NXT",
    33: "SRV",
    35: "NAPTR",
    36: "KX",
    37: "CERT",
    38: "A6",
    39: "DNAME",
    41: "OPT",
    42: "APL",
    43: "DS",
    44: "SSHFP",
    45: "IPSECKEY",
    46: "RRSIG",
    47: "NSEC",
    48: "DNSKEY",
    49: "DHCID",
    50: "NSEC3",
    51: "NSEC3PARAM",
    52: "TLSA",
    53: "SMIMEA",
    55: "HIP",
    59: "CDS",
    60: "CDNSKEY",
    61: "OPENPGPKEY",
    62: "CSYNC",
    63: "ZONEMD",
    64: "SVCB",
    65: "HTTPS",
    99: "SPF",
    249: "TKEY",
    250: "TSIG",
    251: "IXFR",
    252: "AXFR",
    253: "MAILB",
    254: "MAILA",
    255: "ANY",
    256: "URI",
    257: "CAA",
}

_CLASS_NAMES: dict[int, str] = {1: "IN", 3: "CH", 4: "HS", 254: "NONE", 255: "ANY"}

_RCODE_NAMES: tuple[str, ...] = (
    "NOERROR",
    "FORMERR",
    "SERVFAIL",
    "NXDOMAIN",
    "NOTIMP",
    "REFUSED",
    "YXDOMAIN",
    "YXRRSET",
    "NXRRSET",
    "NOTAUTH",
    "NOTZONE",
    "DSOTYPENI",
    "12",
    "13",
    "14",
    "15",
)

# Indexed by (flags >> 4) & 0x7F: bits AA, TC, RD, RA, Z, AD, CD from high to low.
_FLAG_BITS = (("AA", 0x40), ("TC", 0x20), ("RD", 0x10), ("RA", 0x08), ("AD", 0x02), ("CD", 0x01))
_HEADER_FLAGS: tuple[tuple[str, ...], ...] = tuple(
    tuple(name for name, bit in _FLAG_BITS if index & bit) for index in range(128)
)

_NAME_TYPES = frozenset((2, 3, 4, 5, 7, 8, 9, 12, 39))  # NS MD MF CNAME MB MG MR PTR DNAME

# Bytes that stand for themselves; the rest take the escape from the tables below.
_LABEL_PLAIN = bytes(b for b in range(0x21, 0x7F) if b not in b".\\")
_LABEL_PLAIN_OR_DOT = _LABEL_PLAIN + b"."
_TEXT_PLAIN = bytes(b for b in range(0x20, 0x7F) if b != 0x5C)


def _escape_table(plain: bytes) -> tuple[str, ...]:
    return tuple(
        chr(b) if b in plain else ("\\" + chr(b) if b in b".\\" else f"\\{b:03d}") for b in range(256)
    )


_LABEL_ESCAPES = _escape_table(_LABEL_PLAIN)
_TEXT_ESCAPES = _escape_table(_TEXT_PLAIN)


@dataclass(slots=True)
class DnsAnswer:
    """One answer-section record.

    ``data`` is the rdata as text: the address for A/AAAA, the name for CNAME/NS/PTR/DNAME,
    ``"pref exchange"`` for MX, ``"priority weight port target"`` for SRV, ``"mname rname serial
    refresh retry expire minimum"`` for SOA, the strings for TXT; None for other types.
    """

    name: str
    type: str
    ttl: int
    data: str | None


@dataclass(slots=True)
class DnsMessage:
    """Header, first question and answer records of one DNS message."""

    id: int
    is_response: bool
    opcode: int
    rcode: int
    rcode_name: str
    header_flags: list[str]
    question_name: str | None
    question_type: str | None
    question_class: str | None
    answers: list[DnsAnswer]
    truncated_answers: bool


class _Malformed(Exception):
    """Internal: carries the reason out of nested readers; never leaves this module."""


_NameCache = dict[int, tuple[str, int, int]]


def _read_name(msg: bytes, offset: int, cache: _NameCache) -> tuple[str, int]:
    """Decode the name at ``offset``; return it and the offset just after it in place.

    ``cache`` maps start offsets of names already decoded in this message to (name, wire
    length, pointer hops), so the usual pointer back to the question costs one lookup.
    """
    end = len(msg)
    parts: list[bytes] = []
    suffix = ""
    pos = offset
    resume = -1
    wire_length = 1
    hops = 0
    while True:
        if pos >= end:
            raise _Malformed(f"DNS name cut at offset {pos}")
        length = msg[pos]
        if length < 0x40:
            if length == 0:
                pos += 1
                break
            wire_length += length + 1
            if wire_length > _MAX_NAME_WIRE_LENGTH:
                raise _Malformed(f"DNS name at offset {offset} longer than 255 bytes")
            start = pos + 1
            pos = start + length
            if pos > end:
                raise _Malformed(f"DNS label cut at offset {start - 1}")
            parts.append(msg[start:pos])
            continue
        if length < 0xC0:
            raise _Malformed(f"DNS label type 0x{length & 0xC0:02x} at offset {pos} not supported")
        if pos + 1 >= end:
            raise _Malformed(f"DNS name pointer cut at offset {pos}")
        target = ((length & 0x3F) << 8) | msg[pos + 1]
        if resume < 0:
            resume = pos + 2
        hops += 1
        if hops > _MAX_POINTER_HOPS:
            raise _Malformed(f"DNS name pointer loop at offset {pos}")
        if target >= end:
            raise _Malformed(f"DNS name pointer at offset {pos} to {target}, past the message end {end}")
        known = cache.get(target)
        if known is not None:
            known_name, known_length, known_hops = known
            hops += known_hops
            if hops > _MAX_POINTER_HOPS:
                raise _Malformed(f"DNS name pointer loop at offset {pos}")
            wire_length += known_length - 1
            if wire_length > _MAX_NAME_WIRE_LENGTH:
                raise _Malformed(f"DNS name at offset {offset} longer than 255 bytes")
            if known_length > 1:
                suffix = known_name
            break
        pos = target
    if parts:
        joined = b".".join(parts)
        # One check for the whole name; a dot beyond the separators is a dot inside a label.
        if joined.translate(None, _LABEL_PLAIN_OR_DOT) or joined.count(46) >= len(parts):
            name = ".".join(["".join([_LABEL_ESCAPES[b] for b in part]) for part in parts])
        else:
            name = joined.decode("ascii")
        if suffix:
            name = name + "." + suffix
    else:
        name = suffix or ROOT_NAME
    cache[offset] = (name, wire_length, hops)
    return name, (pos if resume < 0 else resume)


def _text(raw: bytes) -> str:
    if raw.translate(None, _TEXT_PLAIN):
        return "".join([_TEXT_ESCAPES[b] for b in raw])
    return raw.decode("ascii")


def _ipv6_text(raw: bytes) -> str:
    text = socket.inet_ntop(socket.AF_INET6, raw)
    # libc writes IPv4-mapped/compatible addresses with a dotted tail; ipaddress does not.
    return str(ipaddress.IPv6Address(raw)) if "." in text else text


def _rdata_text(msg: bytes, rtype: int, start: int, end: int, cache: _NameCache) -> str | None:
    """Text form of the rdata in ``msg[start:end]``; None for other types or bad rdata."""
    size = end - start
    try:
        if rtype == 1:
            return socket.inet_ntoa(msg[start:end]) if size == 4 else None
        if rtype == 28:
            return _ipv6_text(msg[start:end]) if size == 16 else None
        if rtype in _NAME_TYPES:
            name, after = _read_name(msg, start, cache)
            return name if after <= end else None
        if rtype == 15:
            if size < 3:
                return None
            name, after = _read_name(msg, start + 2, cache)
            return f"{(msg[start] << 8) | msg[start + 1]} {name}" if after <= end else None
        if rtype == 16:
            strings: list[str] = []
            pos = start
            while pos < end:
                stop = pos + 1 + msg[pos]
                if stop > end:
                    return None
                strings.append(_text(msg[pos + 1 : stop]))
                pos = stop
            return " ".join(strings)
        if rtype == 33:
            if size < 7:
                return None
            priority, weight, port = _SRV_FIXED.unpack_from(msg, start)
            name, after = _read_name(msg, start + 6, cache)
            return f"{priority} {weight} {port} {name}" if after <= end else None
        if rtype == 6:
            mname, after = _read_name(msg, start, cache)
            rname, after = _read_name(msg, after, cache)
            if after + 20 > end:
                return None
            serial, refresh, retry, expire, minimum = _SOA_FIXED.unpack_from(msg, after)
            return f"{mname} {rname} {serial} {refresh} {retry} {expire} {minimum}"
    except _Malformed:
        return None
    return None


def parse_dns(payload: bytes | memoryview, *, tcp: bool = False) -> DnsMessage | str:
    """Parse one DNS message; return it, or a reason string when the bytes are not DNS.

    With ``tcp`` the payload starts with the 2-byte length prefix (RFC 1035 4.2.2); only the
    first message is read, and one cut short (by the capture snaplen or segmenting) is parsed
    as far as it goes. A bad or cut answer record ends the answer list and sets
    ``truncated_answers``; a record whose rdata alone is bad is kept with ``data`` None.
    """
    msg = payload if type(payload) is bytes else bytes(payload)
    if tcp:
        if len(msg) < 2:
            return f"DNS over TCP needs a 2-byte length prefix, got {len(msg)} bytes"
        declared = (msg[0] << 8) | msg[1]
        if declared < 12:
            return f"DNS over TCP length prefix {declared} is shorter than the 12-byte header"
        msg = msg[2 : 2 + declared]
    end = len(msg)
    if end < 12:
        return f"DNS header needs 12 bytes, got {end}"
    ident, flags, qdcount, ancount, _nscount, _arcount = _HEADER.unpack_from(msg)
    rcode = flags & 0xF
    cache: _NameCache = {}
    question_name = question_type = question_class = None
    pos = 12
    try:
        if qdcount:
            question_name, pos = _read_name(msg, pos, cache)
            if pos + 4 > end:
                return f"DNS question cut at offset {pos}"
            qtype, qclass = _QUESTION_TAIL.unpack_from(msg, pos)
            question_type = _TYPE_NAMES.get(qtype) or f"TYPE{qtype}"
            question_class = _CLASS_NAMES.get(qclass) or f"CLASS{qclass}"
            pos += 4
    except _Malformed as error:
        return f"{error} in the question"

    answers: list[DnsAnswer] = []
    truncated = False
    if ancount:
        try:
            for _ in range(qdcount - 1):
                pos = _read_name(msg, pos, cache)[1] + 4
            if pos > end:
                raise _Malformed("question cut")
            for _ in range(ancount):
                name, pos = _read_name(msg, pos, cache)
                if pos + 10 > end:
                    raise _Malformed("record cut")
                rtype, _rclass, ttl, rdlength = _RECORD_TAIL.unpack_from(msg, pos)
                pos += 10
                rdend = pos + rdlength
                if rdend > end:
                    raise _Malformed("rdata cut")
                answers.append(
                    DnsAnswer(
                        name,
                        _TYPE_NAMES.get(rtype) or f"TYPE{rtype}",
                        ttl,
                        _rdata_text(msg, rtype, pos, rdend, cache),
                    )
                )
                pos = rdend
        except _Malformed:
            truncated = True

    return DnsMessage(
        ident,
        bool(flags & 0x8000),
        (flags >> 11) & 0xF,
        rcode,
        _RCODE_NAMES[rcode],
        list(_HEADER_FLAGS[(flags >> 4) & 0x7F]),
        question_name,
        question_type,
        question_class,
        answers,
        truncated,
    )
