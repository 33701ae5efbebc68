"""Building capture files byte by byte for the traffic tests (documentation addresses only)."""

from __future__ import annotations

import ipaddress
import struct

SECOND = 1_000_000_000
T0 = 1_795_766_400 * SECOND  # 2026-11-27T08:00:00Z


def ip_bytes(text: str) -> bytes:
    return ipaddress.ip_address(text).packed


def _checksum_free_ipv4(
    src: str, dst: str, proto: int, payload: bytes, *, ihl: int = 5, frag: int = 0
) -> bytes:
    total = ihl * 4 + len(payload)
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x40 | ihl, 0, total, 1, frag, 64, proto, 0, ip_bytes(src), ip_bytes(dst)
    )
    return header + b"\x00" * (ihl * 4 - 20) + payload


def ipv6(src: str, dst: str, proto: int, payload: bytes, *, hop_by_hop: bool = False) -> bytes:
    if hop_by_hop:
        payload = bytes((proto, 0)) + b"\x00" * 6 + payload
        proto = 0
    return (
        struct.pack("!IHBB16s16s", 0x60000000, len(payload), proto, 64, ip_bytes(src), ip_bytes(dst))
        + payload
    )


def tcp(
    sport: int, dport: int, *, seq: int = 1000, ack: int = 0, flags: str = "", payload: bytes = b""
) -> bytes:
    bits = sum(b for ch, b in zip("FSRPAUEC", (1, 2, 4, 8, 16, 32, 64, 128), strict=True) if ch in flags)
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, bits, 65535, 0, 0) + payload


def udp(sport: int, dport: int, payload: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload


def icmp(kind: int, code: int = 0, payload: bytes = b"") -> bytes:
    return bytes((kind, code, 0, 0)) + b"\x00\x01\x00\x01" + payload


def ipv4(src: str, dst: str, proto: int, payload: bytes, **kw: int) -> bytes:
    return _checksum_free_ipv4(src, dst, proto, payload, **kw)


def ether(ip_packet: bytes, *, vlans: tuple[int, ...] = (), v6: bool = False) -> bytes:
    head = b"\x02\x00\x00\x00\x00\x02" + b"\x02\x00\x00\x00\x00\x01"
    tags = b""
    for i, vid in enumerate(vlans):
        tags += struct.pack("!HH", 0x88A8 if i == 0 and len(vlans) > 1 else 0x8100, vid)
    return head + tags + struct.pack("!H", 0x86DD if v6 else 0x0800) + ip_packet


def pcap(
    frames: list[tuple[int, bytes]], *, linktype: int = 1, nano: bool = False, snaplen: int = 65535
) -> bytes:
    """A classic little-endian pcap: (ns since the epoch, frame) pairs; frames longer than
    ``snaplen`` are cut to it (wire length kept)."""
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    for ts, frame in frames:
        seconds, rest = divmod(ts, SECOND)
        fraction = rest if nano else rest // 1000
        cut = frame[:snaplen]
        out += struct.pack("<IIII", seconds, fraction, len(cut), len(frame)) + cut
    return out


def pcapng(
    frames: list[tuple[int, int, bytes]], *, linktypes: tuple[int, ...] = (1,), tsresol: int = 9
) -> bytes:
    """A little-endian pcapng: (interface, ns since the epoch, frame) triples."""

    def block(kind: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", kind, len(body) + 12) + body + struct.pack("<I", len(body) + 12)

    out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    for linktype in linktypes:
        options = struct.pack("<HHB3x", 9, 1, tsresol) + struct.pack("<HH", 0, 0)
        out += block(1, struct.pack("<HHI", linktype, 0, 65535) + options)
    for iface, ts, frame in frames:
        units = ts // 10 ** (9 - tsresol)
        out += block(
            6, struct.pack("<IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(frame), len(frame)) + frame
        )
    return out


def tcp_session(
    client: str, server: str, cport: int, sport: int, request: bytes, response: bytes, *, t0: int = T0
) -> list[tuple[int, bytes]]:
    """Handshake, one request, one response, FIN both ways: 8 frames (client sends 5)."""
    c, s = 1000, 5000
    steps = [
        (client, server, cport, sport, c, 0, "S", b""),
        (server, client, sport, cport, s, c + 1, "SA", b""),
        (client, server, cport, sport, c + 1, s + 1, "A", b""),
        (client, server, cport, sport, c + 1, s + 1, "PA", request),
        (server, client, sport, cport, s + 1, c + 1 + len(request), "PA", response),
        (client, server, cport, sport, c + 1 + len(request), s + 1 + len(response), "FA", b""),
        (server, client, sport, cport, s + 1 + len(response), c + 2 + len(request), "FA", b""),
        (client, server, cport, sport, c + 2 + len(request), s + 2 + len(response), "A", b""),
    ]
    return [
        (t0 + i * 1_000_000, ether(ipv4(a, b, 6, tcp(pa, pb, seq=seq, ack=ack, flags=fl, payload=data))))
        for i, (a, b, pa, pb, seq, ack, fl, data) in enumerate(steps)
    ]


def tcp_conversation(
    client: str,
    server: str,
    cport: int,
    sport: int,
    segments: list[tuple[str, bytes]],
    *,
    lost: frozenset[int] = frozenset(),
    t0: int = T0,
) -> list[tuple[int, bytes]]:
    """Handshake, then ``segments`` (``"c"`` client → server, ``"s"`` server → client), each
    acknowledged by the other side, then FIN both ways. Segments whose index is in ``lost``
    are sent and acknowledged but not captured."""
    seq = {"c": 1000, "s": 5000}
    ends = {"c": (client, server, cport, sport), "s": (server, client, sport, cport)}
    steps: list[tuple[str, int, int, str, bytes]] = [
        ("c", 1000, 0, "S", b""),
        ("s", 5000, 1001, "SA", b""),
        ("c", 1001, 5001, "A", b""),
    ]
    seq = {"c": 1001, "s": 5001}
    captured: list[bool] = [True, True, True]
    for index, (side, data) in enumerate(segments):
        peer = "s" if side == "c" else "c"
        steps.append((side, seq[side], seq[peer], "PA", data))
        captured.append(index not in lost)
        seq[side] += len(data)
        steps.append((peer, seq[peer], seq[side], "A", b""))
        captured.append(True)
    steps += [("c", seq["c"], seq["s"], "FA", b""), ("s", seq["s"], seq["c"] + 1, "FA", b"")]
    captured += [True, True]
    frames = []
    for i, ((side, s, a, flags, data), keep) in enumerate(zip(steps, captured, strict=True)):
        if keep:
            src, dst, ps, pd = ends[side]
            frames.append(
                (
                    t0 + i * 1_000_000,
                    ether(ipv4(src, dst, 6, tcp(ps, pd, seq=s, ack=a, flags=flags, payload=data))),
                )
            )
    return frames
