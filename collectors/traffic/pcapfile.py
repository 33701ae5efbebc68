"""Capture files → packets: classic pcap (µs and ns, either byte order) and pcapng.

Pure: ``read_capture(data)`` takes the file's bytes. A damaged file never raises: what can be
read is yielded, and each problem is counted in :class:`ReadStats` with a reason (a file cut
inside a packet, an unknown block, a packet longer than its block …).
"""

from __future__ import annotations

import struct
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

PCAP_MAGICS: dict[bytes, tuple[str, int]] = {
    b"\xd4\xc3\xb2\xa1": ("<", 1_000),  # microseconds, little-endian
    b"\xa1\xb2\xc3\xd4": (">", 1_000),
    b"\x4d\x3c\xb2\xa1": ("<", 1),  # nanoseconds
    b"\xa1\xb2\x3c\x4d": (">", 1),
}
PCAPNG_MAGIC = b"\x0a\x0d\x0d\x0a"
MAX_PACKET = 262_144  # larger captured lengths are damage, not packets

_SHB, _IDB, _PB, _SPB, _EPB = 0x0A0D0D0A, 1, 2, 3, 6


@dataclass(slots=True)
class ReadStats:
    """What reading a capture file met: packets, and problems by reason."""

    packets: int = 0
    errors: Counter[str] = field(default_factory=Counter)

    def error(self, reason: str) -> None:
        self.errors[reason] += 1


class Packet(NamedTuple):
    """One captured frame: time in ns since the epoch, link type, bytes, length on the wire."""

    ts_ns: int
    linktype: int
    data: bytes
    wire_len: int


def read_capture(data: bytes, stats: ReadStats | None = None) -> Iterator[Packet]:
    """The packets of a pcap or pcapng file (its whole bytes)."""
    stats = stats if stats is not None else ReadStats()
    head = data[:4]
    if head in PCAP_MAGICS:
        yield from _read_pcap(data, stats)
    elif head == PCAPNG_MAGIC:
        yield from _read_pcapng(data, stats)
    else:
        stats.error("not a pcap or pcapng file")


def _read_pcap(data: bytes, stats: ReadStats) -> Iterator[Packet]:
    order, unit_ns = PCAP_MAGICS[data[:4]]
    if len(data) < 24:
        stats.error("pcap file header cut short")
        return
    linktype = struct.unpack_from(order + "I", data, 20)[0] & 0x0FFFFFFF
    record = struct.Struct(order + "IIII")
    offset, end = 24, len(data)
    while offset < end:
        if offset + 16 > end:
            stats.error("pcap file cut inside a packet header")
            return
        seconds, fraction, caplen, wire_len = record.unpack_from(data, offset)
        offset += 16
        if caplen > MAX_PACKET:
            stats.error(f"pcap packet length {caplen} is not plausible: rest of file skipped")
            return
        if offset + caplen > end:
            stats.error("pcap file cut inside a packet")
            return
        stats.packets += 1
        yield Packet(
            seconds * 1_000_000_000 + fraction * unit_ns, linktype, data[offset : offset + caplen], wire_len
        )
        offset += caplen


def _read_pcapng(data: bytes, stats: ReadStats) -> Iterator[Packet]:
    offset, end = 0, len(data)
    order = "<"
    interfaces: list[tuple[int, int]] = []  # (linktype, ns per timestamp unit or -1 for binary)
    while offset < end:
        if offset + 12 > end:
            stats.error("pcapng file cut inside a block header")
            return
        if data[offset : offset + 4] == PCAPNG_MAGIC:
            magic = data[offset + 8 : offset + 12]
            order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">" if magic == b"\x1a\x2b\x3c\x4d" else ""
            if not order:
                stats.error("pcapng section header with an unknown byte-order magic")
                return
            interfaces = []  # interface ids are per section
        block_type, length = struct.unpack_from(order + "II", data, offset)
        if length < 12 or length % 4 or offset + length > end:
            stats.error(
                "pcapng file cut inside a block" if offset + length > end else "pcapng block length invalid"
            )
            return
        body = offset + 8
        if block_type == _IDB:
            linktype = struct.unpack_from(order + "H", data, body)[0]
            interfaces.append((linktype, _resolution(data, order, body + 8, offset + length - 4)))
        elif block_type in (_EPB, _PB):
            if block_type == _EPB:
                iface, high, low, caplen, wire_len = struct.unpack_from(order + "IIIII", data, body)
            else:
                iface, _drops, high, low, caplen, wire_len = struct.unpack_from(order + "HHIIII", data, body)
            start = body + 20
            packet = _packet(
                data,
                interfaces,
                iface,
                (high << 32) | low,
                start,
                caplen,
                wire_len,
                offset + length - 4,
                stats,
            )
            if packet is not None:
                yield packet
        elif block_type == _SPB:
            wire_len = struct.unpack_from(order + "I", data, body)[0]
            caplen = min(wire_len, length - 16)
            packet = _packet(
                data, interfaces, 0, None, body + 4, caplen, wire_len, offset + length - 4, stats
            )
            if packet is not None:
                yield packet
        offset += length


def _packet(
    data: bytes,
    interfaces: list[tuple[int, int]],
    iface: int,
    stamp: int | None,
    start: int,
    caplen: int,
    wire_len: int,
    block_end: int,
    stats: ReadStats,
) -> Packet | None:
    if iface >= len(interfaces):
        stats.error("pcapng packet for an interface that was never described")
        return None
    if start + caplen > block_end:
        stats.error("pcapng packet longer than its block")
        return None
    linktype, unit = interfaces[iface]
    if stamp is None:
        ts_ns = 0  # simple packet blocks carry no time
    elif unit > 0:
        ts_ns = stamp * unit
    else:  # a binary resolution (2^-n s)
        ts_ns = (stamp * 1_000_000_000) >> -unit
    stats.packets += 1
    return Packet(ts_ns, linktype, data[start : start + caplen], wire_len)


def _resolution(data: bytes, order: str, offset: int, end: int) -> int:
    """ns per timestamp unit from an interface's ``if_tsresol`` option (default µs); a negative
    number -n means 2^-n seconds."""
    while offset + 4 <= end:
        code, length = struct.unpack_from(order + "HH", data, offset)
        if code == 0:
            break
        if code == 9 and length >= 1 and offset + 5 <= end:
            value = data[offset + 4]
            if value & 0x80:
                return -(value & 0x7F)
            exponent = value & 0x7F
            return 10 ** (9 - exponent) if exponent <= 9 else 1
        offset += 4 + (length + 3) // 4 * 4
    return 1_000
