"""The whole-network threat graph: observed flows aggregated per service, assets, decaying risk.

Flows are folded into plain dicts keyed by ``(src, dst, port, transport)``: the hot path is a
dict lookup and four in-place updates. The networkx ``DiGraph`` holds adjacency only — one edge
per ``(src, dst)`` pair whose ``services`` attribute is the set of edge keys of that pair — and
is touched only when a pair is first seen, so folding keeps up with the pipeline while path
queries still get networkx adjacency.

Risk from alerts decays exponentially; each node and pair stores ``(value, at)`` and the decay
is applied when read, so no timer sweeps the graph.

Thread-safety: one writer (the pipeline folding flows and adding threats) and any number of
readers (the API). Every public method of ``ThreatGraph`` holds one re-entrant lock while it
reads or changes the graph, so readers see it between two ``fold`` batches, never in the middle
of one. Register lookups in ``refresh_nodes``, GraphML encoding and file writing run outside it.
"""

from __future__ import annotations

import math
import socket
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, Literal

import msgspec
import networkx as nx

from detectors.graph import export, queries, store

EdgeKey = tuple[str, str, int | None, str]
"""``(src, dst, port, transport)``: one observed service between two addresses."""

Pair = tuple[str, str]
Aggregate = list[float]
"""``[count, bytes, first_seen, last_seen]``; a list so that folding updates it in place."""

Describe = Callable[[str], "NodeInfo | None"]


class FlowObservation(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One flow as seen by a sensor or firewall session log; ``ts`` is epoch seconds (its end).

    A msgspec Struct rather than a NamedTuple: building one is about five times faster and
    reading its fields in ``fold`` costs the same. ``gc=False``: it holds only plain values.
    """

    src: str
    dst: str
    port: int | None
    transport: str
    count: int = 1
    bytes: int = 0
    ts: float


class NodeInfo(msgspec.Struct, frozen=True, kw_only=True):
    """What the asset register says of an address; ``level`` is the 等保 level (1–4)."""

    asset_id: str | None = None
    name: str | None = None
    zone: str | None = None
    owner_unit: str | None = None
    level: int | None = None
    criticality: str | None = None  # "low" / "medium" / "high" / "critical"


class NodeRecord:
    """An address in the graph: its register entry, zone, kind and /24 or /64 subnet."""

    __slots__ = ("info", "kind", "subnet", "zone")

    def __init__(self, info: NodeInfo | None, subnet: str | None) -> None:
        self.info = info
        self.zone = info.zone if info is not None else None
        self.kind: Literal["asset", "host"] = "asset" if info is not None and info.asset_id else "host"
        self.subnet = subnet


def subnet_of(ip: str) -> str | None:
    """The /24 (IPv4) or /64 (IPv6) holding ``ip``; None when ``ip`` is not an address.

    ``inet_pton`` rather than ``ipaddress``: it is asked once per new address while folding,
    and is several times faster.
    """
    try:
        socket.inet_pton(socket.AF_INET, ip)
    except OSError:
        pass
    else:
        return f"{ip[: ip.rfind('.')]}.0/24"
    try:
        packed = socket.inet_pton(socket.AF_INET6, ip)
    except OSError:
        return None
    return f"{socket.inet_ntop(socket.AF_INET6, packed[:8] + bytes(8))}/64"


def decayed(value: float, at: float, now: float, half_life_s: float) -> float:
    """``value`` set at ``at``, halved every ``half_life_s``; never grows when ``now`` < ``at``."""
    if now <= at:
        return value
    return value * math.pow(2.0, (at - now) / half_life_s)


class GraphState:
    """The graph's containers and mutation primitives; callers hold ``ThreatGraph``'s lock."""

    def __init__(self, describe: Describe | None, half_life_s: float) -> None:
        if not half_life_s > 0:
            raise ValueError(f"half_life_s must be positive, got {half_life_s!r}")
        self.describe = describe
        self.half_life_s = half_life_s
        self.edges: dict[EdgeKey, Aggregate] = {}
        # The same set objects as the DiGraph's ``services`` edge attributes: a pair lookup here
        # is a plain dict hit, cheaper than networkx's adjacency views.
        self.services: dict[Pair, set[EdgeKey]] = {}
        self.graph: Any = nx.DiGraph()  # networkx ships no type information
        self.nodes: dict[str, NodeRecord] = {}
        self.node_risk: dict[str, tuple[float, float]] = {}
        self.edge_risk: dict[Pair, tuple[float, float]] = {}

    def add_node(self, ip: str) -> None:
        self.nodes[ip] = NodeRecord(self.describe(ip) if self.describe else None, subnet_of(ip))
        self.graph.add_node(ip)

    def add_key(self, key: EdgeKey) -> None:
        """Index a new edge key under its pair, adding the pair and its ends to the DiGraph."""
        pair = (key[0], key[1])
        keys = self.services.get(pair)
        if keys is None:
            for ip in pair:
                if ip not in self.nodes:
                    self.add_node(ip)
            keys = self.services[pair] = set()
            self.graph.add_edge(key[0], key[1], services=keys)
        keys.add(key)

    def fold(self, observations: Iterable[FlowObservation]) -> list[EdgeKey]:
        edges = self.edges
        get = edges.get
        add_key = self.add_key
        new: list[EdgeKey] = []
        for obs in observations:
            ts = obs.ts
            key = (obs.src, obs.dst, obs.port, obs.transport)
            agg = get(key)
            if agg is None:
                add_key(key)  # first: if ``describe`` raises, the key is not half-added
                edges[key] = [obs.count, obs.bytes, ts, ts]
                new.append(key)
            else:
                agg[0] += obs.count
                agg[1] += obs.bytes
                # Sensors and firewalls report out of order, so both ends may move.
                if ts < agg[2]:
                    agg[2] = ts
                elif ts > agg[3]:
                    agg[3] = ts
        return new

    def add_risk(self, table: dict[Any, tuple[float, float]], item: Any, score: float, ts: float) -> None:
        """Add ``score`` at ``ts``; a late alert (older than the stored time) adds its decayed score."""
        stored = table.get(item)
        if stored is None:
            table[item] = (score, ts)
            return
        value, at = stored
        if ts >= at:
            table[item] = (decayed(value, at, ts, self.half_life_s) + score, ts)
        else:
            table[item] = (value + decayed(score, ts, at, self.half_life_s), at)

    def risk(self, ip: str, now: float) -> float:
        stored = self.node_risk.get(ip)
        return 0.0 if stored is None else decayed(stored[0], stored[1], now, self.half_life_s)

    def pair_risk(self, pair: Pair, now: float) -> float:
        stored = self.edge_risk.get(pair)
        return 0.0 if stored is None else decayed(stored[0], stored[1], now, self.half_life_s)

    def zone(self, ip: str) -> str | None:
        record = self.nodes.get(ip)
        return record.zone if record is not None else None


class ThreatGraph:
    """Observed flows between addresses, enriched from the asset register, with a threat overlay.

    ``describe(ip)`` returns the register's entry for an address (or None for an unknown host);
    it is asked once per new address and again by ``refresh_nodes``. Risk halves every
    ``half_life_s`` seconds. All methods are safe to call from a writer and readers at once.
    """

    def __init__(self, *, describe: Describe | None = None, half_life_s: float = 86400.0) -> None:
        self._state = GraphState(describe, half_life_s)
        self._lock = threading.RLock()

    @property
    def half_life_s(self) -> float:
        return self._state.half_life_s

    # -- writing -----------------------------------------------------------------------------

    def fold(self, observations: Iterable[FlowObservation]) -> list[EdgeKey]:
        """Aggregate flows into their edges; return the keys seen for the first time, in order.

        Should ``describe`` raise, the exception propagates with the observations before it folded.
        The lock is held while ``observations`` is consumed: pass a batch, not a slow generator.
        """
        with self._lock:
            return self._state.fold(observations)

    def add_threat(self, *, source: str | None, destination: str | None, score: float, ts: float) -> None:
        """Raise the risk of an alert's addresses (and of the pair, when both are given) by ``score``.

        Scores add up (no cap); an address not in the graph keeps its risk and shows it once
        flows bring it in. An alert older than the stored one adds its score decayed to then.
        """
        with self._lock:
            state = self._state
            for ip in (source, destination):
                if ip is not None:
                    state.add_risk(state.node_risk, ip, score, ts)
            if source is not None and destination is not None:
                state.add_risk(state.edge_risk, (source, destination), score, ts)

    def refresh_nodes(self) -> int:
        """Ask ``describe`` again for every address (after the register changed); return how many changed.

        ``describe`` runs outside the lock, so readers are not held up by register lookups.
        """
        describe = self._state.describe
        if describe is None:
            return 0
        with self._lock:
            addresses = list(self._state.nodes)
        fresh = [(ip, describe(ip)) for ip in addresses]
        changed = 0
        with self._lock:
            nodes = self._state.nodes
            for ip, info in fresh:
                record = nodes[ip]
                if record.info != info:
                    nodes[ip] = NodeRecord(info, record.subnet)
                    changed += 1
        return changed

    # -- reading -----------------------------------------------------------------------------

    def risk(self, ip: str, now: float) -> float:
        """The address's decayed risk at ``now`` (0.0 when it never appeared in an alert)."""
        with self._lock:
            return self._state.risk(ip, now)

    def edge_risk(self, src: str, dst: str, now: float) -> float:
        """The decayed risk of alerts naming ``src`` → ``dst`` at ``now``."""
        with self._lock:
            return self._state.pair_risk((src, dst), now)

    def node(self, ip: str) -> queries.NodeSummary | None:
        """The address's kind, zone, subnet and register entry; None when not in the graph."""
        with self._lock:
            return queries.node(self._state, ip)

    def neighbours(
        self, ip: str, *, direction: Literal["both", "in", "out"] = "both"
    ) -> list[queries.Neighbour]:
        """Who ``ip`` talks to ("out"), who talks to it ("in"), with per-service aggregates."""
        with self._lock:
            return queries.neighbours(self._state, ip, direction)

    def edges_since(
        self, ts: float, *, by: Literal["first_seen", "last_seen"] = "first_seen"
    ) -> list[queries.EdgeStats]:
        """Edges first seen at or after ``ts`` (new communication); ``by="last_seen"``: active since."""
        with self._lock:
            return queries.edges_since(self._state, ts, by)

    def paths(
        self, *, from_zone: str, to: str, max_hops: int = 6, limit: int = 10
    ) -> list[queries.ObservedPath]:
        """Up to ``limit`` directed paths along observed edges from a ``from_zone`` node to ``to``.

        Shortest first (ties in address order); simple paths of at most ``max_hops`` edges whose
        intermediate nodes are outside ``from_zone`` (a path leaves the zone once).
        """
        with self._lock:
            return queries.paths(self._state, from_zone, to, max_hops, limit)

    def blast_radius(self, ip: str, *, at: float, window_s: float = 86400.0) -> queries.BlastRadius:
        """What ``ip`` touched within ``window_s`` either side of ``at``, and where those went next."""
        with self._lock:
            return queries.blast_radius(self._state, ip, at, window_s)

    def top_talkers(
        self,
        *,
        from_zone: str | None = None,
        to_zone: str | None = None,
        n: int = 10,
        by: Literal["bytes", "count"] = "bytes",
    ) -> list[queries.Talker]:
        """The ``n`` sources sending the most to ``to_zone`` from ``from_zone`` (None: any zone)."""
        with self._lock:
            return queries.top_talkers(self._state, from_zone, to_zone, n, by)

    def stats(self) -> dict[str, int]:
        """Counts: ``nodes`` (addresses), ``edges`` (edge keys), ``services`` (distinct
        destination, port, transport), ``pairs`` (src → dst), ``subnets``, ``zones``."""
        with self._lock:
            return queries.stats(self._state)

    # -- export and persistence --------------------------------------------------------------

    def to_dict(
        self, *, zone: str | None = None, since: float | None = None, min_risk: float = 0.0, now: float
    ) -> dict[str, list[dict[str, Any]]]:
        """The graph (or a filtered part) as ``{"nodes": [...], "edges": [...]}``; see ``export.to_dict``."""
        with self._lock:
            return export.to_dict(self._state, zone=zone, since=since, min_risk=min_risk, now=now)

    def to_graphml(
        self, *, zone: str | None = None, since: float | None = None, min_risk: float = 0.0, now: float
    ) -> bytes:
        """The same selection as ``to_dict`` as GraphML (a directed multigraph, one edge per service)."""
        return export.to_graphml(self.to_dict(zone=zone, since=since, min_risk=min_risk, now=now))

    def save(self, path: Path) -> None:
        """Write edge aggregates and the threat overlay to ``path`` atomically (msgpack).

        The lock is held only while the aggregates are copied, not while encoding and writing.
        """
        with self._lock:
            snapshot = store.snapshot(self._state)
        store.write(path, snapshot)

    @classmethod
    def load(
        cls, path: Path, *, describe: Describe | None = None, half_life_s: float = 86400.0
    ) -> ThreatGraph:
        """Rebuild a graph saved by ``save``, asking ``describe`` afresh for every address.

        Raises FileNotFoundError when ``path`` does not exist and ``GraphFileError`` (naming
        the file) when it is not a readable graph file.
        """
        graph = cls(describe=describe, half_life_s=half_life_s)
        store.restore(graph._state, path)
        return graph
