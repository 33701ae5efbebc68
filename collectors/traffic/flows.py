"""The flow table: packets → bidirectional flows with Community IDs, counts and timeouts.

A flow is keyed by protocol and its two endpoints in a canonical order; its *source* is the
side that spoke first (for TCP, the side that sent the SYN when the capture shows it). A flow
ends when it has been idle for ``idle_timeout`` (of capture time), shortly after a TCP RST
or both FINs, or at the end of the input; one that lasts longer than ``active_timeout`` is
reported every ``active_timeout`` with the counts since the previous report. Bytes are frame
lengths on the wire, as tshark's conversation statistics count them.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import struct
from dataclasses import dataclass

from collectors.traffic.dissect import ICMP, ICMPV6, TCP, UDP, Frame

SECOND = 1_000_000_000
CLOSED_LINGER = 5 * SECOND  # a closed TCP flow may still see a last ACK or retransmission
SCTP = 132
_ICMPS = frozenset({ICMP, ICMPV6})

_ICMP4_PAIRS = {8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 9: 10, 17: 18, 18: 17}
_ICMP6_PAIRS = {
    128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135,
    130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
}  # fmt: skip
_WITH_PORTS = frozenset({TCP, UDP, SCTP})
_FIN, _SYN, _RST, _ACK = 0x01, 0x02, 0x04, 0x10
_PORTS = struct.Struct("!HH")


def community_id(proto: int, src: bytes, dst: bytes, sport: int, dport: int, *, seed: int = 0) -> str:
    """Community ID v1 of a flow (for ICMP, ``sport``/``dport`` are the message type and code)."""
    one_way = False
    if proto in _ICMPS:
        pairs = _ICMP4_PAIRS if proto == ICMP else _ICMP6_PAIRS
        if sport in pairs:
            dport = pairs[sport]
        else:
            one_way = True
        has_ports = True
    else:
        has_ports = proto in _WITH_PORTS
    if not one_way and (src > dst or (src == dst and has_ports and sport > dport)):
        src, dst, sport, dport = dst, src, dport, sport
    data = seed.to_bytes(2, "big") + src + dst + bytes((proto, 0))
    if has_ports:
        data += _PORTS.pack(sport, dport)
    return "1:" + base64.b64encode(hashlib.sha1(data, usedforsecurity=False).digest()).decode("ascii")


@dataclass(slots=True)
class Flow:
    """One flow's state; ``src`` spoke first."""

    proto: int
    ip_version: int
    src: bytes
    dst: bytes
    sport: int
    dport: int
    first_ns: int
    last_ns: int
    vlan: int | None = None
    src_packets: int = 0
    src_bytes: int = 0
    dst_packets: int = 0
    dst_bytes: int = 0
    src_flags: int = 0
    dst_flags: int = 0
    closed_ns: int | None = None  # when RST or the second FIN was seen
    fin_from: int = 0  # bit 1: source sent FIN, bit 2: destination did
    report_from_ns: int = 0  # start of the span the next report covers
    reports: int = 0  # reports already made (active timeouts)
    community: str = ""  # its Community ID, once asked for


@dataclass(slots=True, frozen=True)
class FlowReport:
    """A flow's counts over one span: the whole flow, or one active-timeout slice of it."""

    flow: Flow
    start_ns: int
    end_ns: int
    final: bool  # the flow ended (not an active-timeout interim report)
    reason: str  # "idle", "closed", "active", "end_of_input"


class FlowTable:
    """Bidirectional flows of a packet stream, in capture time."""

    def __init__(self, *, idle_timeout_s: float = 60.0, active_timeout_s: float = 1800.0) -> None:
        self.idle_ns = int(idle_timeout_s * SECOND)
        self.active_ns = int(active_timeout_s * SECOND)
        self.flows: dict[tuple[int, bytes, int, bytes, int], Flow] = {}
        self._next_sweep = 0

    def add(self, frame: Frame) -> tuple[Flow, bool, list[FlowReport]]:
        """Count ``frame`` in its flow; returns the flow, whether the frame went from its
        source, and the reports of flows that timed out by this frame's time."""
        proto, src, dst, sport, dport = frame.proto, frame.src, frame.dst, frame.sport, frame.dport
        if proto in _ICMPS:
            key = _icmp_key(proto, src, dst, sport, dport)
        elif src < dst or (src == dst and sport <= dport):
            key = (proto, src, sport, dst, dport)
        else:
            key = (proto, dst, dport, src, sport)
        now = frame.ts_ns
        reports: list[FlowReport] = []
        if now >= self._next_sweep:  # before counting: a flow idle until now ends without this packet
            reports = self.sweep(now)
            self._next_sweep = now + SECOND
        flow = self.flows.get(key)
        if flow is None:
            if proto == TCP and frame.flags & (_SYN | _ACK) == (_SYN | _ACK):
                src, dst, sport, dport = dst, src, dport, sport  # we missed the SYN: the server answered
            flow = Flow(
                proto, frame.ip_version, src, dst, sport, dport, now, now, frame.vlan, report_from_ns=now
            )
            self.flows[key] = flow
        forward = frame.src == flow.src and (frame.sport == flow.sport or proto in _ICMPS)
        if forward:
            flow.src_packets += 1
            flow.src_bytes += frame.wire_len
            flow.src_flags |= frame.flags
        else:
            flow.dst_packets += 1
            flow.dst_bytes += frame.wire_len
            flow.dst_flags |= frame.flags
        if now > flow.last_ns:
            flow.last_ns = now
        if proto == TCP and frame.flags & (_FIN | _RST):
            if frame.flags & _FIN:
                flow.fin_from |= 1 if forward else 2
            if frame.flags & _RST or flow.fin_from == 3:
                flow.closed_ns = now
        return flow, forward, reports

    def sweep(self, now: int) -> list[FlowReport]:
        """Reports of flows idle, closed or active for too long at ``now``."""
        out: list[FlowReport] = []
        ended: list[tuple[int, bytes, int, bytes, int]] = []
        for key, flow in self.flows.items():
            if flow.closed_ns is not None and now - flow.last_ns > CLOSED_LINGER:
                out.append(FlowReport(flow, flow.report_from_ns, flow.last_ns, True, "closed"))
                ended.append(key)
            elif now - flow.last_ns > self.idle_ns:
                out.append(FlowReport(flow, flow.report_from_ns, flow.last_ns, True, "idle"))
                ended.append(key)
            elif now - flow.report_from_ns >= self.active_ns:
                out.append(FlowReport(_slice(flow), flow.report_from_ns, now, False, "active"))
                _restart(flow, now)
        for key in ended:
            del self.flows[key]
        return out

    def flush(self) -> list[FlowReport]:
        """Reports of every flow still open (the input ended)."""
        out = [
            FlowReport(
                flow, flow.report_from_ns, flow.last_ns, True, "closed" if flow.closed_ns else "end_of_input"
            )
            for flow in self.flows.values()
        ]
        self.flows.clear()
        return out


def _icmp_key(proto: int, src: bytes, dst: bytes, kind: int, code: int) -> tuple[int, bytes, int, bytes, int]:
    """Requests and their replies (echo 8/0 …) share a flow; other messages are flows of their own."""
    pairs = _ICMP4_PAIRS if proto == ICMP else _ICMP6_PAIRS
    partner = pairs.get(kind)
    if partner is None:
        return (proto, src, kind, dst, code)
    low, high = (kind, partner) if kind < partner else (partner, kind)
    if src <= dst:
        return (proto, src, low, dst, high)
    return (proto, dst, low, src, high)


def _slice(flow: Flow) -> Flow:
    """A copy of the flow's counts for an interim report."""
    return dataclasses.replace(flow)


def _restart(flow: Flow, now: int) -> None:
    flow.src_packets = flow.src_bytes = flow.dst_packets = flow.dst_bytes = 0
    flow.report_from_ns = now
    flow.reports += 1
