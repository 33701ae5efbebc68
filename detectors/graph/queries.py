"""Questions asked of the threat graph: neighbours, new edges, paths, blast radius, top talkers.

Functions here read a ``GraphState`` whose lock the caller (``ThreatGraph``) holds; they
return frozen dataclasses of plain values, safe to hand to another thread.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from detectors.graph.model import Aggregate, EdgeKey, GraphState, NodeInfo

# Bounds the work of one ``paths`` call: neighbours looked at while enumerating longer paths
# through hubs could otherwise grow without limit.
PATH_SEARCH_BUDGET = 500_000


@dataclass(frozen=True, slots=True)
class ServiceStats:
    port: int | None
    transport: str
    count: int
    bytes: int
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class EdgeStats:
    source: str
    target: str
    port: int | None
    transport: str
    count: int
    bytes: int
    first_seen: float
    last_seen: float


@dataclass(frozen=True, slots=True)
class NodeSummary:
    ip: str
    kind: str  # "asset" (the register knows it) or "host"
    zone: str | None
    subnet: str | None
    info: NodeInfo | None


@dataclass(frozen=True, slots=True)
class Neighbour:
    """A peer of the asked address; ``direction`` "out": the address talks to it, "in": it talks to us."""

    ip: str
    direction: Literal["in", "out"]
    zone: str | None
    kind: str
    count: int
    bytes: int
    first_seen: float
    last_seen: float
    services: tuple[ServiceStats, ...]


@dataclass(frozen=True, slots=True)
class Hop:
    source: str
    target: str
    services: tuple[ServiceStats, ...]


@dataclass(frozen=True, slots=True)
class ObservedPath:
    nodes: tuple[str, ...]
    hops: tuple[Hop, ...]


@dataclass(frozen=True, slots=True)
class BlastEdge:
    """An edge in a blast radius; offsets are seconds relative to the blast's ``at``."""

    edge: EdgeStats
    depth: int  # 1: out of the source; 2: out of a host the source reached
    first_seen_offset_s: float
    last_seen_offset_s: float
    new: bool  # first seen at or after ``at``


@dataclass(frozen=True, slots=True)
class BlastRadius:
    source: str
    at: float
    window_s: float
    edges: tuple[BlastEdge, ...]
    reached: tuple[str, ...]  # depth-1 targets
    next_hop: tuple[str, ...]  # depth-2 targets not already the source or reached


@dataclass(frozen=True, slots=True)
class Talker:
    ip: str
    zone: str | None
    count: int
    bytes: int
    peers: int
    services: int


def _sort_key(key: EdgeKey) -> tuple[str, str, int, str]:
    """Orders edge keys; a missing port (ICMP) sorts first."""
    return (key[0], key[1], -1 if key[2] is None else key[2], key[3])


def edge_stats(key: EdgeKey, agg: Aggregate) -> EdgeStats:
    return EdgeStats(key[0], key[1], key[2], key[3], int(agg[0]), int(agg[1]), agg[2], agg[3])


def _service_stats(state: GraphState, keys: Iterable[EdgeKey]) -> tuple[ServiceStats, ...]:
    edges = state.edges
    return tuple(
        ServiceStats(key[2], key[3], int(agg[0]), int(agg[1]), agg[2], agg[3])
        for key in sorted(keys, key=_sort_key)
        for agg in (edges[key],)
    )


def node(state: GraphState, ip: str) -> NodeSummary | None:
    record = state.nodes.get(ip)
    if record is None:
        return None
    return NodeSummary(ip, record.kind, record.zone, record.subnet, record.info)


def neighbours(state: GraphState, ip: str, direction: Literal["both", "in", "out"]) -> list[Neighbour]:
    """Peers sorted by bytes (most first), then direction and address."""
    if ip not in state.nodes:
        return []
    graph = state.graph
    sides: list[tuple[Literal["in", "out"], Iterable[str]]] = []
    if direction in ("both", "out"):
        sides.append(("out", graph.succ[ip]))
    if direction in ("both", "in"):
        sides.append(("in", graph.pred[ip]))
    out: list[Neighbour] = []
    for side, peers in sides:
        for peer in peers:
            pair = (ip, peer) if side == "out" else (peer, ip)
            services = _service_stats(state, state.services[pair])
            record = state.nodes[peer]
            out.append(
                Neighbour(
                    peer,
                    side,
                    record.zone,
                    record.kind,
                    sum(s.count for s in services),
                    sum(s.bytes for s in services),
                    min(s.first_seen for s in services),
                    max(s.last_seen for s in services),
                    services,
                )
            )
    out.sort(key=lambda n: (-n.bytes, n.direction, n.ip))
    return out


def edges_since(state: GraphState, ts: float, by: Literal["first_seen", "last_seen"]) -> list[EdgeStats]:
    """Edges whose ``by`` time is at or after ``ts``, in order of that time, then key."""
    slot = 2 if by == "first_seen" else 3
    hits = [(key, agg) for key, agg in state.edges.items() if agg[slot] >= ts]
    hits.sort(key=lambda hit: (hit[1][slot], _sort_key(hit[0])))
    return [edge_stats(key, agg) for key, agg in hits]


def _distances_to(state: GraphState, target: str, max_hops: int) -> dict[str, int]:
    """Hops from each node to ``target`` along observed edges, up to ``max_hops`` (reverse BFS)."""
    pred = state.graph.pred
    dist = {target: 0}
    frontier = [target]
    for hops in range(1, max_hops + 1):
        following: list[str] = []
        for node_ip in frontier:
            for before in pred[node_ip]:
                if before not in dist:
                    dist[before] = hops
                    following.append(before)
        if not following:
            break
        frontier = following
    return dist


def paths(state: GraphState, from_zone: str, to: str, max_hops: int, limit: int) -> list[ObservedPath]:
    """Enumerates by length (iterative deepening); the BFS distances prune every branch that
    cannot reach ``to`` within the length, so shortest paths cost no backtracking at all."""
    if to not in state.nodes or limit <= 0 or max_hops <= 0:
        return []
    dist = _distances_to(state, to, max_hops)
    nodes = state.nodes
    starts = sorted((hops, ip) for ip, hops in dist.items() if ip != to and nodes[ip].zone == from_zone)
    if not starts:
        return []
    succ = state.graph.succ
    found: list[tuple[str, ...]] = []
    budget = PATH_SEARCH_BUDGET

    def extend(route: list[str], on_route: set[str], length: int) -> None:
        nonlocal budget
        here = route[-1]
        left = length - (len(route) - 1)  # edges still to take
        steps = []
        for nxt in succ[here]:
            budget -= 1
            hops = dist.get(nxt)
            if hops is None or hops > left - 1 or nxt in on_route:
                continue
            if nxt == to:
                if left == 1:
                    steps.append(nxt)
            elif left > 1 and nodes[nxt].zone != from_zone:
                steps.append(nxt)
        for nxt in sorted(steps, key=lambda ip: (dist[ip], ip)):
            if len(found) >= limit or budget <= 0:
                return
            if nxt == to:
                found.append((*route, to))
                continue
            route.append(nxt)
            on_route.add(nxt)
            extend(route, on_route, length)
            on_route.discard(nxt)
            route.pop()

    for length in range(starts[0][0], max_hops + 1):
        for hops, start in starts:
            if hops > length:
                break
            if len(found) >= limit or budget <= 0:
                break
            extend([start], {start}, length)
    return [
        ObservedPath(
            route,
            tuple(
                Hop(a, b, _service_stats(state, state.services[(a, b)])) for a, b in itertools.pairwise(route)
            ),
        )
        for route in found
    ]


def blast_radius(state: GraphState, ip: str, at: float, window_s: float) -> BlastRadius:
    """Edges active within ``[at - window_s, at + window_s]`` (last seen ≥ start, first seen ≤ end).

    Depth 1: out of ``ip``. Depth 2: out of each host ``ip`` reached, counted only if still
    seen at or after the first contact from ``ip`` within the window — onward movement cannot
    precede the contact.
    """
    low, high = at - window_s, at + window_s
    edges = state.edges
    graph = state.graph
    found: list[BlastEdge] = []

    def active(keys: Iterable[EdgeKey], since: float, depth: int) -> float | None:
        """Adds the active edges among ``keys``; returns their earliest first-seen, if any."""
        earliest: float | None = None
        for key in keys:
            agg = edges[key]
            if agg[3] >= since and agg[2] <= high:
                found.append(BlastEdge(edge_stats(key, agg), depth, agg[2] - at, agg[3] - at, agg[2] >= at))
                earliest = agg[2] if earliest is None else min(earliest, agg[2])
        return earliest

    reached: list[str] = []
    next_hop: set[str] = set()
    if ip in state.nodes:
        contacts: list[tuple[str, float]] = []
        for peer in graph.succ[ip]:
            earliest = active(state.services[(ip, peer)], low, 1)
            if earliest is not None:
                reached.append(peer)
                contacts.append((peer, max(earliest, low)))
        for peer, contact in contacts:
            if peer == ip:
                continue
            for onward in graph.succ[peer]:
                if active(state.services[(peer, onward)], contact, 2) is not None:
                    next_hop.add(onward)
    seen = {ip, *reached}
    found.sort(key=lambda b: (b.depth, b.edge.first_seen, _sort_key(_key_of(b.edge))))
    return BlastRadius(ip, at, window_s, tuple(found), tuple(sorted(reached)), tuple(sorted(next_hop - seen)))


def _key_of(edge: EdgeStats) -> EdgeKey:
    return (edge.source, edge.target, edge.port, edge.transport)


def top_talkers(
    state: GraphState,
    from_zone: str | None,
    to_zone: str | None,
    n: int,
    by: Literal["bytes", "count"],
) -> list[Talker]:
    """Sources ranked by the bytes (or flow count) they sent over matching pairs; ties by address."""
    nodes = state.nodes
    edges = state.edges
    zone_of = {ip: record.zone for ip, record in nodes.items()}  # one plain lookup per pair end
    totals: dict[str, list[float]] = {}  # source: [count, bytes, peers, services]
    for (src, dst), keys in state.services.items():
        if (from_zone is not None and zone_of[src] != from_zone) or (
            to_zone is not None and zone_of[dst] != to_zone
        ):
            continue
        total = totals.get(src)
        if total is None:
            total = totals[src] = [0, 0, 0, 0]
        count = size = 0.0
        for key in keys:
            agg = edges[key]
            count += agg[0]
            size += agg[1]
        total[0] += count
        total[1] += size
        total[2] += 1
        total[3] += len(keys)
    slot = 1 if by == "bytes" else 0
    best = heapq.nsmallest(n, totals.items(), key=lambda item: (-item[1][slot], item[0]))
    return [Talker(ip, zone_of[ip], int(t[0]), int(t[1]), int(t[2]), int(t[3])) for ip, t in best]


def stats(state: GraphState) -> dict[str, int]:
    records = state.nodes.values()
    return {
        "nodes": len(state.nodes),
        "edges": len(state.edges),
        "services": len({(key[1], key[2], key[3]) for key in state.edges}),
        "pairs": len(state.services),
        "subnets": len({r.subnet for r in records if r.subnet is not None}),
        "zones": len({r.zone for r in records if r.zone is not None}),
    }
