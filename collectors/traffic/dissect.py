"""Link, network and transport headers: a captured frame → addresses, ports, flags, payload.

Link types: Ethernet (with 802.1Q/802.1ad VLAN tags, QinQ included), Linux cooked capture v1
and v2, raw IP (101, 228, 229, and 12 as most systems write it), BSD loopback (0). Network:
IPv4 (fragments: only the first carries ports) and IPv6 (hop-by-hop, routing, fragment and
destination-option headers skipped). Transport: TCP, UDP, ICMP, ICMPv6.

``decode`` never raises: a frame it cannot read returns a reason string (counted by the
caller); a frame that is not IP (ARP, LLDP …) returns None.
"""

from __future__ import annotations

import socket
import struct

ETHERNET, RAW, LINUX_SLL, LINUX_SLL2, NULL, RAW_OPENBSD, IPV4, IPV6 = 1, 101, 113, 276, 0, 12, 228, 229
TCP, UDP, ICMP, ICMPV6 = 6, 17, 1, 58
_ICMPS = frozenset({ICMP, ICMPV6})
_VLAN_TYPES = frozenset({0x8100, 0x88A8, 0x9100})
_IPV6_EXTENSIONS = frozenset({0, 43, 60})
_FRAGMENT = 44

_U16 = struct.Struct("!H")
_PORTS = struct.Struct("!HH")
_TCP_HEAD = struct.Struct("!HHIIBB")  # ports, seq, ack, data offset, flags
# Ethernet type; IPv4 version/IHL, total length, flags/fragment offset, protocol, addresses
_ETHER_IPV4 = struct.Struct("!12xHBxH2xHxB2x4s4s")

_text_cache: dict[bytes, str] = {}


def address_text(raw: bytes) -> str:
    """``192.0.2.1`` / ``2001:db8::1`` for 4 or 16 address bytes (cached: addresses repeat)."""
    text = _text_cache.get(raw)
    if text is None:
        text = socket.inet_ntop(socket.AF_INET if len(raw) == 4 else socket.AF_INET6, raw)
        if len(_text_cache) < 200_000:
            _text_cache[raw] = text
    return text


class Frame:
    """What a frame's headers say. ``src``/``dst`` are raw address bytes (see :func:`address_text`)."""

    __slots__ = (
        "ack",
        "dport",
        "dst",
        "flags",
        "fragment",
        "ip_version",
        "payload",
        "proto",
        "seq",
        "sport",
        "src",
        "ts_ns",
        "vlan",
        "wire_len",
    )

    def __init__(self, ts_ns: int, wire_len: int) -> None:
        self.ts_ns = ts_ns
        self.wire_len = wire_len
        self.vlan: int | None = None
        self.ip_version = 4
        self.src = b""
        self.dst = b""
        self.proto = 0
        self.sport = 0  # ICMP: type
        self.dport = 0  # ICMP: code
        self.flags = 0  # TCP flags
        self.seq = 0  # TCP sequence number
        self.ack = 0  # TCP acknowledgement number
        self.payload: bytes = b""
        self.fragment = False  # a non-first fragment: no transport header


def decode(linktype: int, data: bytes, ts_ns: int, wire_len: int) -> Frame | str | None:
    """The frame's headers; a reason string when they are damaged; None when it is not IP."""
    frame = Frame(ts_ns, wire_len)
    if linktype == ETHERNET and len(data) >= 54:
        # Most frames on a mirror port: untagged Ethernet, IPv4 without options, TCP or UDP.
        ethertype, version_ihl, total, frag, proto, src, dst = _ETHER_IPV4.unpack_from(data)
        if ethertype == 0x0800 and version_ihl == 0x45 and total >= 20 and not frag & 0x3FFF:
            end = 14 + total if 14 + total < len(data) else len(data)
            frame.src, frame.dst, frame.proto = src, dst, proto
            if proto == TCP:
                sport, dport, seq, ack, data_offset, flags = _TCP_HEAD.unpack_from(data, 34)
                header = (data_offset >> 4) * 4
                if header >= 20 and 34 + header <= end:
                    frame.sport, frame.dport, frame.seq, frame.ack, frame.flags = (
                        sport,
                        dport,
                        seq,
                        ack,
                        flags,
                    )
                    frame.payload = data[34 + header : end]
                    return frame
            elif proto == UDP and end >= 42:
                frame.sport, frame.dport = _PORTS.unpack_from(data, 34)
                frame.payload = data[42:end]
                return frame
            frame.src = frame.dst = b""
            frame.proto = 0
    offset = 0
    if linktype == ETHERNET:
        if len(data) < 14:
            return "Ethernet header cut short"
        ethertype = _U16.unpack_from(data, 12)[0]
        offset = 14
        while ethertype in _VLAN_TYPES:
            if len(data) < offset + 4:
                return "VLAN tag cut short"
            tci, ethertype = _PORTS.unpack_from(data, offset)
            if frame.vlan is None:
                frame.vlan = tci & 0x0FFF
            offset += 4
    elif linktype == LINUX_SLL:
        if len(data) < 16:
            return "Linux cooked header cut short"
        ethertype, offset = _U16.unpack_from(data, 14)[0], 16
    elif linktype == LINUX_SLL2:
        if len(data) < 20:
            return "Linux cooked v2 header cut short"
        ethertype, offset = _U16.unpack_from(data, 0)[0], 20
    elif linktype in (RAW, RAW_OPENBSD, IPV4, IPV6):
        if not data:
            return "empty raw IP frame"
        ethertype = 0x86DD if data[0] >> 4 == 6 else 0x0800
    elif linktype == NULL:
        if len(data) < 4:
            return "loopback header cut short"
        family = int.from_bytes(data[:4], "little") if data[0] else int.from_bytes(data[:4], "big")
        ethertype = 0x0800 if family == 2 else 0x86DD if family in (10, 24, 28, 30) else 0
        offset = 4
    else:
        return f"unknown link type {linktype}"
    if ethertype == 0x0800:
        return _ipv4(frame, data, offset)
    if ethertype == 0x86DD:
        return _ipv6(frame, data, offset)
    return None


def _ipv4(frame: Frame, data: bytes, offset: int) -> Frame | str:
    if len(data) < offset + 20:
        return "IPv4 header cut short"
    first = data[offset]
    if first >> 4 != 4:
        return f"IPv4 header with version {first >> 4}"
    header = (first & 0x0F) * 4
    if header < 20:
        return f"bogus IPv4 header length {header}"
    if len(data) < offset + header:
        return "IPv4 options cut short"
    total = _U16.unpack_from(data, offset + 2)[0]
    if total < header:
        return f"bogus IPv4 total length {total} (header {header})"
    frag = _U16.unpack_from(data, offset + 6)[0]
    frame.proto = data[offset + 9]
    frame.src = data[offset + 12 : offset + 16]
    frame.dst = data[offset + 16 : offset + 20]
    end = min(len(data), offset + total)  # Ethernet padding is not payload
    if frag & 0x1FFF:
        frame.fragment = True
        return frame
    return _transport(frame, data, offset + header, end)


def _ipv6(frame: Frame, data: bytes, offset: int) -> Frame | str:
    if len(data) < offset + 40:
        return "IPv6 header cut short"
    if data[offset] >> 4 != 6:
        return f"IPv6 header with version {data[offset] >> 4}"
    frame.ip_version = 6
    payload_len = _U16.unpack_from(data, offset + 4)[0]
    nxt = data[offset + 6]
    frame.src = data[offset + 8 : offset + 24]
    frame.dst = data[offset + 24 : offset + 40]
    offset += 40
    end = min(len(data), offset + payload_len) if payload_len else len(data)  # 0: a jumbogram
    for _ in range(8):  # a bounded chain of extension headers
        if nxt in _IPV6_EXTENSIONS:
            if end < offset + 8:
                return "IPv6 extension header cut short"
            nxt, offset = data[offset], offset + (data[offset + 1] + 1) * 8
        elif nxt == _FRAGMENT:
            if end < offset + 8:
                return "IPv6 fragment header cut short"
            fragment_offset = _U16.unpack_from(data, offset + 2)[0] >> 3
            nxt, offset = data[offset], offset + 8
            if fragment_offset:
                frame.proto = nxt
                frame.fragment = True
                return frame
        else:
            break
    frame.proto = nxt
    return _transport(frame, data, offset, end)


def _transport(frame: Frame, data: bytes, offset: int, end: int) -> Frame | str:
    proto = frame.proto
    if proto == TCP:
        if end < offset + 20:
            return "TCP header cut short"
        frame.sport, frame.dport, frame.seq, frame.ack, data_offset, frame.flags = _TCP_HEAD.unpack_from(
            data, offset
        )
        header = (data_offset >> 4) * 4
        if header < 20:
            return f"bogus TCP header length {header}"
        if end < offset + header:
            return "TCP options cut short"
        frame.payload = data[offset + header : end]
    elif proto == UDP:
        if end < offset + 8:
            return "UDP header cut short"
        frame.sport, frame.dport = _PORTS.unpack_from(data, offset)
        frame.payload = data[offset + 8 : end]
    elif proto in _ICMPS:
        if end < offset + 2:
            return "ICMP header cut short"
        frame.sport, frame.dport = data[offset], data[offset + 1]
    return frame
