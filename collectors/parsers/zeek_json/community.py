"""Community ID v1 flow hashes (https://github.com/corelight/community-id-spec).

The same flow gets the same ``network.community_id`` whichever sensor saw it (Zeek, Suricata,
our own flows), so analysts can pivot between them. Pure and cached: the packed form of an
address is looked up once.
"""

from __future__ import annotations

import functools
import ipaddress
import socket
import struct
from binascii import b2a_base64
from hashlib import sha1

__all__ = ["community_id"]

_PORTED = frozenset({1, 6, 17, 58, 132})  # ICMP, TCP, UDP, ICMPv6, SCTP carry ports (or type/code)
# ICMP types whose reply is a known type: such a pair is a two-way "flow" keyed by (type, reply).
_ICMP4_PAIRS: dict[int, int] = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
_ICMP6_PAIRS: dict[int, int] = {
    128: 129,
    129: 128,
    133: 134,
    134: 133,
    135: 136,
    136: 135,
    130: 131,
    131: 130,
    139: 140,
    140: 139,
    144: 145,
    145: 144,
}
_PORTS = struct.Struct("!HH")
_PROTO_BYTES: dict[int, bytes] = {number: bytes((number, 0)) for number in range(256)}


@functools.lru_cache(maxsize=65_536)
def packed_address(address: str) -> bytes:
    """The address's bytes (ValueError if it is not one): the C library reads the usual forms
    (a flow log of a scan is all new addresses), ``ipaddress`` the rest (a scoped IPv6)."""
    try:
        return socket.inet_pton(socket.AF_INET6 if ":" in address else socket.AF_INET, address)
    except (OSError, ValueError):
        return ipaddress.ip_address(address).packed


def community_id(saddr: str, daddr: str, sport: int, dport: int, proto: int, seed: int = 0) -> str | None:
    """``1:<base64 sha1>`` for a flow; None when the addresses are not of one IP family.

    ``saddr``/``daddr`` are canonical addresses; for ICMP, ``sport``/``dport`` are the
    message type and code, as Zeek logs them.
    """
    try:
        src, dst = packed_address(saddr), packed_address(daddr)
    except ValueError:
        return None
    if len(src) != len(dst):
        return None
    if proto == 1 and len(src) == 16:
        proto = 58  # Zeek says "icmp" for ICMPv6 too
    if proto == 1 or proto == 58:
        pairs = _ICMP4_PAIRS if proto == 1 else _ICMP6_PAIRS
        reply = pairs.get(sport)
        if reply is not None:  # a request/reply pair: ordered like a two-way flow
            dport = reply
            if src > dst or (src == dst and sport > dport):
                src, dst, sport, dport = dst, src, dport, sport
    elif src > dst or (src == dst and sport > dport):
        src, dst, sport, dport = dst, src, dport, sport
    parts = [seed.to_bytes(2, "big"), src, dst, _PROTO_BYTES[proto & 0xFF]]
    if proto in _PORTED:
        parts.append(_PORTS.pack(sport & 0xFFFF, dport & 0xFFFF))
    return "1:" + b2a_base64(sha1(b"".join(parts)).digest(), newline=False).decode("ascii")
