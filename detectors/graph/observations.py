"""What the graph learns from a batch of events: flows observed and threats seen.

Extracted where the events are (the parse workers), so the process that owns the graph
receives compact tuples instead of decoding every stored event again.
"""

from __future__ import annotations

from collections.abc import Sequence

from soc_core.events import Event
from soc_core.vocabulary import SEVERITY_RISK

# (source ip, destination ip, destination port, transport, flows, bytes, epoch seconds)
FlowTuple = tuple[str, str, int | None, str, int, int, float]
# (source ip or "", destination ip or "", score 0–100, epoch seconds)
ThreatTuple = tuple[str, str, float, float]

_DENIED = frozenset({"denied", "deny", "drop", "blocked"})


def flow_tuples(events: Sequence[Event]) -> list[FlowTuple]:
    """One tuple per event that shows two hosts communicating: flows, firewall sessions and
    permits, proxy and web logs; refused attempts are not communication and are left out."""
    out: list[FlowTuple] = []
    for event in events:
        info = event.event
        source, destination = event.source, event.destination
        if (
            info.kind != "event"
            or source is None
            or destination is None
            or not source.ip
            or not destination.ip
            or info.outcome == "failure"
            or not info.category
            or "network" not in info.category
        ):
            continue
        if info.type and not _DENIED.isdisjoint(info.type):
            continue
        network = event.network
        transport = (network.transport if network is not None else None) or "ip"
        size = network.bytes if network is not None and network.bytes is not None else None
        if size is None:
            size = (source.bytes or 0) + (destination.bytes or 0)
        when = info.end or event.timestamp
        out.append((source.ip, destination.ip, destination.port, transport, 1, size, when.timestamp()))
    return out


def threat_tuples(events: Sequence[Event]) -> list[ThreatTuple]:
    """One tuple per alert a device raised (IDS/IPS/WAF detections parsed as ``event.kind: alert``)."""
    out: list[ThreatTuple] = []
    for event in events:
        if event.event.kind != "alert":
            continue
        source = event.source.ip if event.source is not None and event.source.ip else ""
        destination = event.destination.ip if event.destination is not None and event.destination.ip else ""
        if not source and not destination:
            continue
        score = SEVERITY_RISK.get(event.event.severity or 3, 50.0)
        out.append((source, destination, score, event.timestamp.timestamp()))
    return out
