"""Capture files built byte by byte: test traffic, benchmark captures and demonstration data.

Addresses are the caller's; ours come from the documentation ranges. Checksums are left zero
(sensors reading mirrored traffic must not insist on them: offloading leaves them unset).
"""

from __future__ import annotations

import ipaddress
import struct

__all__ = [
    "SECOND",
    "T0",
    "dns_message",
    "ether",
    "icmp",
    "ip_bytes",
    "ipv4",
    "ipv6",
    "pcap",
    "pcapng",
    "tcp",
    "tcp_conversation",
    "tcp_session",
    "tls_client_hello",
    "tls_server_hello",
    "udp",
]

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
    out = [struct.pack("<IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)]
    for ts, frame in frames:
        seconds, rest = divmod(ts, SECOND)
        fraction = rest if nano else rest // 1000
        cut = frame[:snaplen]
        out.append(struct.pack("<IIII", seconds, fraction, len(cut), len(frame)) + cut)
    return b"".join(out)


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


# -- application messages ----------------------------------------------------------------------


def dns_message(
    ident: int, name: str, qtype: int = 1, *, answers: tuple[str, ...] = (), response: bool = False
) -> bytes:
    """A DNS query (or its response with A/AAAA ``answers`` pointing back at the question)."""
    qname = b"".join(bytes([len(label)]) + label.encode() for label in name.strip(".").split(".")) + b"\x00"
    flags = 0x8180 if response else 0x0100
    out = struct.pack("!HHHHHH", ident, flags, 1, len(answers), 0, 0) + qname + struct.pack("!HH", qtype, 1)
    for address in answers:
        rdata = ip_bytes(address)
        out += b"\xc0\x0c" + struct.pack("!HHIH", 28 if len(rdata) == 16 else 1, 1, 300, len(rdata)) + rdata
    return out


def _vector(body: bytes, width: int) -> bytes:
    return len(body).to_bytes(width, "big") + body


def _extension(kind: int, body: bytes) -> bytes:
    return struct.pack("!HH", kind, len(body)) + body


def tls_client_hello(sni: str, *, alpn: tuple[str, ...] = ("h2", "http/1.1"), random: bytes = b"") -> bytes:
    """One TLS record holding a TLS 1.3-capable ClientHello with SNI, ALPN, groups and versions."""
    host = sni.encode()
    extensions = b"".join(
        (
            _extension(0x0000, _vector(b"\x00" + _vector(host, 2), 2)),
            _extension(0x000A, _vector(struct.pack("!HHH", 0x001D, 0x0017, 0x0018), 2)),
            _extension(0x000B, b"\x01\x00"),
            _extension(0x000D, _vector(struct.pack("!HHHH", 0x0403, 0x0804, 0x0401, 0x0503), 2)),
            _extension(0x0010, _vector(b"".join(_vector(p.encode(), 1) for p in alpn), 2)),
            _extension(0x002B, _vector(struct.pack("!HH", 0x0304, 0x0303), 1)),
        )
    )
    ciphers = struct.pack("!HHHHHH", 0x1301, 0x1302, 0x1303, 0xC02B, 0xC02F, 0x009C)
    body = b"\x03\x03" + (random or bytes(32))[:32].ljust(32, b"\x00") + b"\x00"
    body += _vector(ciphers, 2) + b"\x01\x00" + _vector(extensions, 2)
    handshake = b"\x01" + _vector(body, 3)
    return b"\x16\x03\x01" + _vector(handshake, 2)


def tls_server_hello(*, cipher: int = 0x1301) -> bytes:
    """One TLS record holding a TLS 1.3 ServerHello (supported_versions names 1.3)."""
    extensions = _extension(0x002B, b"\x03\x04")
    body = (
        b"\x03\x03"
        + bytes(range(32))
        + b"\x00"
        + struct.pack("!H", cipher)
        + b"\x00"
        + _vector(extensions, 2)
    )
    handshake = b"\x02" + _vector(body, 3)
    return b"\x16\x03\x03" + _vector(handshake, 2)
