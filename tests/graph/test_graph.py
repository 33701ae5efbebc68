"""The threat graph: folding flows, register enrichment, decaying risk, queries, export, save/load."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import msgspec
import networkx as nx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from detectors.graph import (
    BlastEdge,
    EdgeStats,
    FlowObservation,
    GraphFileError,
    Hop,
    Neighbour,
    NodeInfo,
    ServiceStats,
    Talker,
    ThreatGraph,
)
from detectors.graph.model import subnet_of
from detectors.graph.store import GraphFile

T0 = 1_795_766_400.0  # 2026-11-27T08:00:00Z

WEB, APP, DB = "192.0.2.10", "192.0.2.20", "192.0.2.30"
CLIENT = "198.51.100.7"
ATTACKER, VISITOR = "203.0.113.5", "203.0.113.6"


def register() -> dict[str, NodeInfo]:
    return {
        WEB: NodeInfo(asset_id="A-1", name="www.example.com", zone="dmz", owner_unit="信息中心", level=3,
                      criticality="high"),
        APP: NodeInfo(asset_id="A-2", name="app.example.com", zone="dc", owner_unit="信息中心", level=3,
                      criticality="high"),
        DB: NodeInfo(asset_id="A-3", name="db.example.com", zone="dc", owner_unit="信息中心", level=4,
                     criticality="critical"),
        CLIENT: NodeInfo(zone="office"),
        ATTACKER: NodeInfo(zone="internet"),
        VISITOR: NodeInfo(zone="internet"),
    }  # fmt: skip


def obs(src: str, dst: str, port: int | None, at: float, *, count: int = 1, size: int = 0,
        transport: str = "tcp") -> FlowObservation:  # fmt: skip
    return FlowObservation(
        src=src, dst=dst, port=port, transport=transport, count=count, bytes=size, ts=T0 + at
    )


FIRST_BATCH = [
    obs(ATTACKER, WEB, 443, 100, count=2, size=1000),
    obs(VISITOR, WEB, 80, 200, size=300),
    obs(WEB, APP, 8080, 300, count=5, size=5000),
    obs(APP, DB, 5432, 400, count=3, size=9000),
    obs(CLIENT, APP, 8080, 50, size=200),
]
SECOND_BATCH = [
    obs(CLIENT, DB, 5432, 500, size=700),
    obs(ATTACKER, CLIENT, 3389, 600, size=4000),
    obs(CLIENT, DB, 5432, 700, size=800),
    obs(ATTACKER, WEB, 443, 50, size=500),  # reported late: moves first_seen back
]
A = (ATTACKER, WEB, 443, "tcp")
B = (VISITOR, WEB, 80, "tcp")
C = (WEB, APP, 8080, "tcp")
D = (APP, DB, 5432, "tcp")
E = (CLIENT, APP, 8080, "tcp")
F = (CLIENT, DB, 5432, "tcp")
G = (ATTACKER, CLIENT, 3389, "tcp")


def edge(key: tuple[str, str, int, str], count: int, size: int, first: float, last: float) -> EdgeStats:
    return EdgeStats(key[0], key[1], key[2], key[3], count, size, T0 + first, T0 + last)


EDGES = {
    A: edge(A, 3, 1500, 50, 100),
    B: edge(B, 1, 300, 200, 200),
    C: edge(C, 5, 5000, 300, 300),
    D: edge(D, 3, 9000, 400, 400),
    E: edge(E, 1, 200, 50, 50),
    F: edge(F, 2, 1500, 500, 700),
    G: edge(G, 1, 4000, 600, 600),
}


@pytest.fixture
def graph() -> ThreatGraph:
    known = register()
    built = ThreatGraph(describe=known.get)
    built.fold(FIRST_BATCH)
    built.fold(SECOND_BATCH)
    return built


def all_edges(graph: ThreatGraph) -> dict[tuple[str, str, int | None, str], EdgeStats]:
    return {(e.source, e.target, e.port, e.transport): e for e in graph.edges_since(0.0)}


# -- folding -------------------------------------------------------------------------------------


def test_fold_reports_first_seen_edges_once_and_aggregates() -> None:
    graph = ThreatGraph(describe=register().get)
    assert graph.fold(FIRST_BATCH) == [A, B, C, D, E]
    assert graph.fold(SECOND_BATCH) == [F, G]
    assert graph.fold(FIRST_BATCH + SECOND_BATCH) == []
    assert graph.fold([]) == []
    twice = {key: (e.count, e.bytes, e.first_seen, e.last_seen) for key, e in all_edges(graph).items()}
    assert twice == {key: (2 * e.count, 2 * e.bytes, e.first_seen, e.last_seen) for key, e in EDGES.items()}


def test_aggregates_after_two_batches(graph: ThreatGraph) -> None:
    assert all_edges(graph) == EDGES
    assert graph.stats() == {"nodes": 6, "edges": 7, "services": 5, "pairs": 7, "subnets": 3, "zones": 4}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["192.0.2.1", "192.0.2.2", "2001:db8::1"]),
            st.sampled_from(["198.51.100.1", "2001:db8::2"]),
            st.sampled_from([None, 53, 443]),
            st.integers(1, 5),
            st.integers(0, 10_000),
            st.integers(0, 1_000),
        ),
        max_size=40,
    ),
    st.integers(0, 40),
)
def test_fold_in_any_split_matches_a_plain_sum(
    rows: list[tuple[str, str, int | None, int, int, int]], split: int
) -> None:
    observations = [
        FlowObservation(src=s, dst=d, port=p, transport="udp", count=c, bytes=b, ts=T0 + t)
        for s, d, p, c, b, t in rows
    ]
    graph = ThreatGraph()
    new = graph.fold(observations[:split]) + graph.fold(observations[split:])
    expected: dict[tuple[str, str, int | None, str], list[float]] = {}
    for o in observations:
        key = (o.src, o.dst, o.port, o.transport)
        if key in expected:
            agg = expected[key]
            expected[key] = [agg[0] + o.count, agg[1] + o.bytes, min(agg[2], o.ts), max(agg[3], o.ts)]
        else:
            expected[key] = [o.count, o.bytes, o.ts, o.ts]
    assert new == list(expected)
    got = {k: [e.count, e.bytes, e.first_seen, e.last_seen] for k, e in all_edges(graph).items()}
    assert got == expected


# -- nodes ---------------------------------------------------------------------------------------


def test_describe_enriches_nodes_once_and_refresh_picks_up_changes() -> None:
    known = register()
    asked: list[str] = []

    def describe(ip: str) -> NodeInfo | None:
        asked.append(ip)
        return known.get(ip)

    graph = ThreatGraph(describe=describe)
    graph.fold(FIRST_BATCH + SECOND_BATCH + [obs("203.0.113.99", WEB, 443, 1)])
    assert sorted(asked) == sorted([*known, "203.0.113.99"])
    db = graph.node(DB)
    assert db is not None
    assert (db.kind, db.zone, db.subnet, db.info) == ("asset", "dc", "192.0.2.0/24", known[DB])
    client = graph.node(CLIENT)
    assert client is not None and (client.kind, client.zone) == ("host", "office")
    stranger = graph.node("203.0.113.99")
    assert stranger is not None and (stranger.kind, stranger.zone, stranger.info) == ("host", None, None)
    assert graph.node("192.0.2.254") is None

    known[CLIENT] = NodeInfo(
        asset_id="A-9", name="pc9.example.org", zone="office", level=2, criticality="low"
    )
    known["203.0.113.99"] = NodeInfo(zone="internet")
    del known[VISITOR]
    asked.clear()
    assert graph.refresh_nodes() == 3
    assert len(asked) == 7
    client = graph.node(CLIENT)
    assert client is not None and (client.kind, client.info) == ("asset", known[CLIENT])
    visitor = graph.node(VISITOR)
    assert visitor is not None and (visitor.kind, visitor.zone) == ("host", None)
    assert graph.refresh_nodes() == 0
    assert ThreatGraph().refresh_nodes() == 0


def test_ipv6_nodes_and_subnets() -> None:
    graph = ThreatGraph(describe=lambda ip: NodeInfo(zone="v6") if ip.startswith("2001:db8:") else None)
    assert graph.fold(
        [
            FlowObservation(src="2001:db8::1", dst="2001:db8:0:1::10", port=443, transport="tcp", ts=T0),
            FlowObservation(src="2001:db8::1", dst="2001:db8:0:1::10", port=None, transport="icmp", ts=T0),
            FlowObservation(src="2001:db8::2", dst="192.0.2.1", port=53, transport="udp", ts=T0),
        ]
    ) == [
        ("2001:db8::1", "2001:db8:0:1::10", 443, "tcp"),
        ("2001:db8::1", "2001:db8:0:1::10", None, "icmp"),
        ("2001:db8::2", "192.0.2.1", 53, "udp"),
    ]
    node = graph.node("2001:db8:0:1::10")
    assert node is not None and (node.subnet, node.zone) == ("2001:db8:0:1::/64", "v6")
    exported = graph.to_dict(now=T0)
    assert [n["id"] for n in exported["nodes"]] == [
        "192.0.2.1", "2001:db8:0:1::10", "2001:db8::1", "2001:db8::2",
        "subnet:192.0.2.0/24", "subnet:2001:db8:0:1::/64", "subnet:2001:db8::/64", "zone:v6",
    ]  # fmt: skip
    members = {n["id"]: n["members"] for n in exported["nodes"] if n["kind"] != "host"}
    assert members == {
        "subnet:192.0.2.0/24": 1, "subnet:2001:db8:0:1::/64": 1, "subnet:2001:db8::/64": 2, "zone:v6": 3,
    }  # fmt: skip
    assert [(e["port"], e["transport"]) for e in exported["edges"]] == [
        (None, "icmp"),
        (443, "tcp"),
        (53, "udp"),
    ]


def test_subnet_of() -> None:
    assert subnet_of("203.0.113.77") == "203.0.113.0/24"
    assert subnet_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert subnet_of("2001:db8::") == "2001:db8::/64"
    assert subnet_of("www.example.com") is None
    assert subnet_of("192.0.2") is None
    assert subnet_of("192.0.2.300") is None


# -- threat overlay ------------------------------------------------------------------------------


def test_risk_halves_every_half_life_and_adds_up() -> None:
    graph = ThreatGraph(half_life_s=3600.0)
    graph.add_threat(source=ATTACKER, destination=WEB, score=80.0, ts=T0)
    assert graph.risk(ATTACKER, T0) == 80.0
    assert graph.risk(ATTACKER, T0 + 3600) == 40.0
    assert graph.risk(WEB, T0 + 7200) == 20.0
    assert graph.risk(ATTACKER, T0 - 10) == 80.0  # before the alert: no growth
    assert graph.edge_risk(ATTACKER, WEB, T0 + 3600) == 40.0
    assert graph.edge_risk(WEB, ATTACKER, T0 + 3600) == 0.0
    assert graph.risk(CLIENT, T0) == 0.0

    graph.add_threat(source=None, destination=WEB, score=10.0, ts=T0 + 3600)
    assert graph.risk(WEB, T0 + 3600) == 50.0
    assert graph.risk(WEB, T0 + 7200) == 25.0
    assert graph.edge_risk(ATTACKER, WEB, T0 + 3600) == 40.0  # one end only: no pair risk
    # An alert older than the stored one adds its score decayed to the stored time.
    graph.add_threat(source=None, destination=WEB, score=20.0, ts=T0)
    assert graph.risk(WEB, T0 + 3600) == 60.0


def test_default_half_life_is_a_day() -> None:
    graph = ThreatGraph()
    graph.add_threat(source=ATTACKER, destination=None, score=64.0, ts=T0)
    assert graph.half_life_s == 86400.0
    assert graph.risk(ATTACKER, T0 + 3 * 86400) == 8.0
    with pytest.raises(ValueError, match="half_life_s"):
        ThreatGraph(half_life_s=0.0)


# -- queries -------------------------------------------------------------------------------------


def services(*stats: EdgeStats) -> tuple[ServiceStats, ...]:
    return tuple(
        ServiceStats(e.port, e.transport, e.count, e.bytes, e.first_seen, e.last_seen) for e in stats
    )


def test_neighbours(graph: ThreatGraph) -> None:
    out_db = Neighbour(DB, "out", "dc", "asset", 3, 9000, T0 + 400, T0 + 400, services(EDGES[D]))
    in_web = Neighbour(WEB, "in", "dmz", "asset", 5, 5000, T0 + 300, T0 + 300, services(EDGES[C]))
    in_client = Neighbour(CLIENT, "in", "office", "host", 1, 200, T0 + 50, T0 + 50, services(EDGES[E]))
    assert graph.neighbours(APP) == [out_db, in_web, in_client]
    assert graph.neighbours(APP, direction="in") == [in_web, in_client]
    assert graph.neighbours(APP, direction="out") == [out_db]
    assert graph.neighbours("192.0.2.254") == []


def test_neighbours_aggregate_several_services() -> None:
    graph = ThreatGraph()
    graph.fold(
        [obs(CLIENT, WEB, 443, 10, size=100), obs(CLIENT, WEB, 80, 20, size=50), obs(CLIENT, WEB, 443, 30)]
    )
    [peer] = graph.neighbours(CLIENT)
    http = ServiceStats(80, "tcp", 1, 50, T0 + 20, T0 + 20)
    https = ServiceStats(443, "tcp", 2, 100, T0 + 10, T0 + 30)
    assert peer == Neighbour(WEB, "out", None, "host", 3, 150, T0 + 10, T0 + 30, (http, https))


def test_edges_since(graph: ThreatGraph) -> None:
    assert graph.edges_since(T0 + 400) == [EDGES[D], EDGES[F], EDGES[G]]
    assert graph.edges_since(T0 + 400, by="last_seen") == [EDGES[D], EDGES[G], EDGES[F]]
    assert graph.edges_since(T0 + 701) == []


def test_paths_shortest_first(graph: ThreatGraph) -> None:
    found = graph.paths(from_zone="internet", to=DB)
    assert [p.nodes for p in found] == [
        (ATTACKER, CLIENT, DB),
        (ATTACKER, CLIENT, APP, DB),
        (ATTACKER, WEB, APP, DB),
        (VISITOR, WEB, APP, DB),
    ]
    assert found[0].hops == (Hop(ATTACKER, CLIENT, services(EDGES[G])), Hop(CLIENT, DB, services(EDGES[F])))
    assert [p.nodes for p in graph.paths(from_zone="internet", to=DB, limit=2)] == [
        (ATTACKER, CLIENT, DB),
        (ATTACKER, CLIENT, APP, DB),
    ]
    assert [p.nodes for p in graph.paths(from_zone="internet", to=DB, max_hops=2)] == [(ATTACKER, CLIENT, DB)]
    assert [p.nodes for p in graph.paths(from_zone="dmz", to=DB)] == [(WEB, APP, DB)]
    # Paths leave the zone once: DB's zone-mate APP starts a path, it is not passed through.
    assert [p.nodes for p in graph.paths(from_zone="dc", to=DB)] == [(APP, DB)]
    assert graph.paths(from_zone="internet", to=ATTACKER) == []
    assert graph.paths(from_zone="nowhere", to=DB) == []
    assert graph.paths(from_zone="internet", to="192.0.2.254") == []


def test_paths_ignore_cycles() -> None:
    graph = ThreatGraph(describe=register().get)
    graph.fold(
        [obs(ATTACKER, WEB, 443, 1), obs(WEB, APP, 80, 2), obs(APP, WEB, 80, 3), obs(APP, DB, 5432, 4)]
    )
    assert [p.nodes for p in graph.paths(from_zone="internet", to=DB)] == [(ATTACKER, WEB, APP, DB)]


def test_blast_radius(graph: ThreatGraph) -> None:
    at = T0 + 250
    blast = graph.blast_radius(ATTACKER, at=at, window_s=1000)
    assert blast.edges == (
        BlastEdge(EDGES[A], 1, -200.0, -150.0, False),
        BlastEdge(EDGES[G], 1, 350.0, 350.0, True),
        BlastEdge(EDGES[C], 2, 50.0, 50.0, True),
        # CLIENT → APP (last seen T0+50) predates the contact at T0+600, so it is not onward movement.
        BlastEdge(EDGES[F], 2, 250.0, 450.0, True),
    )
    assert blast.reached == (WEB, CLIENT)
    assert blast.next_hop == (APP, DB)
    assert (blast.source, blast.at, blast.window_s) == (ATTACKER, at, 1000)

    narrow = graph.blast_radius(ATTACKER, at=at, window_s=100)
    assert (narrow.edges, narrow.reached, narrow.next_hop) == ((), (), ())
    nobody = graph.blast_radius("192.0.2.254", at=at)
    assert (nobody.edges, nobody.reached) == ((), ())


def test_top_talkers(graph: ThreatGraph) -> None:
    assert graph.top_talkers() == [
        Talker(APP, "dc", 3, 9000, 1, 1),
        Talker(ATTACKER, "internet", 4, 5500, 2, 2),
        Talker(WEB, "dmz", 5, 5000, 1, 1),
        Talker(CLIENT, "office", 3, 1700, 2, 2),
        Talker(VISITOR, "internet", 1, 300, 1, 1),
    ]
    assert [t.ip for t in graph.top_talkers(by="count")] == [WEB, ATTACKER, APP, CLIENT, VISITOR]
    assert [t.ip for t in graph.top_talkers(from_zone="internet")] == [ATTACKER, VISITOR]
    assert [t.ip for t in graph.top_talkers(to_zone="dc", n=2)] == [APP, WEB]
    assert graph.top_talkers(from_zone="internet", to_zone="office") == [
        Talker(ATTACKER, "internet", 1, 4000, 1, 1)
    ]


# -- export --------------------------------------------------------------------------------------


def ip_node(ip: str, info: NodeInfo, subnet: str, risk: float = 0.0) -> dict[str, object]:
    return {
        "id": ip, "ip": ip, "zone": info.zone, "risk": risk, "kind": "asset" if info.asset_id else "host",
        "subnet": subnet, "members": None, "asset_id": info.asset_id, "name": info.name,
        "owner_unit": info.owner_unit, "level": info.level, "criticality": info.criticality,
    }  # fmt: skip


def container(
    node_id: str, kind: str, zone: str | None, members: int, risk: float = 0.0
) -> dict[str, object]:
    return {
        "id": node_id, "ip": None, "zone": zone, "risk": risk, "kind": kind,
        "subnet": node_id.removeprefix("subnet:") if kind == "subnet" else None, "members": members,
        "asset_id": None, "name": None, "owner_unit": None, "level": None, "criticality": None,
    }  # fmt: skip


def test_to_dict_since_exact(graph: ThreatGraph) -> None:
    known = register()
    assert graph.to_dict(since=T0 + 500, now=T0 + 600) == {
        "nodes": [
            ip_node(DB, known[DB], "192.0.2.0/24"),
            ip_node(CLIENT, known[CLIENT], "198.51.100.0/24"),
            ip_node(ATTACKER, known[ATTACKER], "203.0.113.0/24"),
            container("subnet:192.0.2.0/24", "subnet", "dc", 1),
            container("subnet:198.51.100.0/24", "subnet", "office", 1),
            container("subnet:203.0.113.0/24", "subnet", "internet", 1),
            container("zone:dc", "zone", "dc", 1),
            container("zone:internet", "zone", "internet", 1),
            container("zone:office", "zone", "office", 1),
        ],
        "edges": [
            {"source": CLIENT, "target": DB, "port": 5432, "transport": "tcp", "count": 2, "bytes": 1500,
             "first_seen": "2026-11-27T08:08:20Z", "last_seen": "2026-11-27T08:11:40Z", "risk": 0.0},
            {"source": ATTACKER, "target": CLIENT, "port": 3389, "transport": "tcp", "count": 1,
             "bytes": 4000, "first_seen": "2026-11-27T08:10:00Z", "last_seen": "2026-11-27T08:10:00Z",
             "risk": 0.0},
        ],
    }  # fmt: skip


def ids(selection: dict[str, list[dict[str, object]]]) -> tuple[list[object], list[tuple[object, ...]]]:
    return [n["id"] for n in selection["nodes"]], [
        (e["source"], e["target"], e["port"]) for e in selection["edges"]
    ]


def test_to_dict_zone(graph: ThreatGraph) -> None:
    selection = graph.to_dict(zone="office", now=T0)
    assert ids(selection) == (
        [APP, DB, CLIENT, ATTACKER, "subnet:192.0.2.0/24", "subnet:198.51.100.0/24", "subnet:203.0.113.0/24",
         "zone:dc", "zone:internet", "zone:office"],
        [(CLIENT, APP, 8080), (CLIENT, DB, 5432), (ATTACKER, CLIENT, 3389)],
    )  # fmt: skip
    by_id = {n["id"]: n for n in selection["nodes"]}
    assert by_id["subnet:192.0.2.0/24"]["members"] == 2
    assert by_id["subnet:192.0.2.0/24"]["zone"] == "dc"
    everything = graph.to_dict(now=T0)
    assert len(everything["edges"]) == 7
    subnet = next(n for n in everything["nodes"] if n["id"] == "subnet:192.0.2.0/24")
    assert (subnet["members"], subnet["zone"]) == (3, None)  # WEB is in dmz, APP and DB in dc


def test_to_dict_min_risk(graph: ThreatGraph) -> None:
    graph.add_threat(source=ATTACKER, destination=CLIENT, score=80.0, ts=T0 + 600)
    graph.add_threat(source=None, destination=DB, score=40.0, ts=T0 + 600)
    now = T0 + 600
    high = graph.to_dict(min_risk=50.0, now=now)
    assert ids(high) == (
        [CLIENT, ATTACKER, "subnet:198.51.100.0/24", "subnet:203.0.113.0/24", "zone:internet", "zone:office"],
        [(ATTACKER, CLIENT, 3389)],
    )
    assert [n["risk"] for n in high["nodes"]] == [80.0] * 6
    assert high["edges"][0]["risk"] == 80.0
    medium = graph.to_dict(min_risk=40.0, now=now)
    assert ids(medium)[1] == [(CLIENT, DB, 5432), (ATTACKER, CLIENT, 3389)]
    assert [e["risk"] for e in medium["edges"]] == [0.0, 80.0]
    zone_dc = next(n for n in medium["nodes"] if n["id"] == "zone:dc")
    assert (zone_dc["risk"], zone_dc["members"]) == (40.0, 1)
    # A day later (the default half-life) everything has halved.
    assert ids(graph.to_dict(min_risk=40.0, now=now + 86400))[1] == [(ATTACKER, CLIENT, 3389)]


def test_to_dict_filters_combine(graph: ThreatGraph) -> None:
    graph.add_threat(source=ATTACKER, destination=CLIENT, score=80.0, ts=T0 + 600)
    # CLIENT → DB is the only edge active since 650; DB has no risk, so min_risk drops it and the
    # edge with it, while CLIENT (an end of an active edge, risky enough) stays.
    assert ids(graph.to_dict(min_risk=50.0, since=T0 + 650, now=T0 + 600)) == (
        [CLIENT, "subnet:198.51.100.0/24", "zone:office"],
        [],
    )
    assert ids(graph.to_dict(zone="dmz", since=T0 + 150, now=T0)) == (
        [WEB, APP, VISITOR, "subnet:192.0.2.0/24", "subnet:203.0.113.0/24", "zone:dc", "zone:dmz",
         "zone:internet"],
        [(WEB, APP, 8080), (VISITOR, WEB, 80)],
    )  # fmt: skip


def test_graphml_parses_back_with_the_same_counts(graph: ThreatGraph) -> None:
    graph.fold([obs(CLIENT, DB, None, 800, transport="icmp", size=84)])
    graph.add_threat(source=ATTACKER, destination=CLIENT, score=80.0, ts=T0 + 600)
    for filters in ({}, {"zone": "office"}, {"min_risk": 50.0}):
        selection = graph.to_dict(now=T0 + 600, **filters)
        parsed = nx.read_graphml(io.BytesIO(graph.to_graphml(now=T0 + 600, **filters)))
        assert parsed.number_of_nodes() == len(selection["nodes"])
        assert parsed.number_of_edges() == len(selection["edges"])
    parsed = nx.read_graphml(io.BytesIO(graph.to_graphml(now=T0 + 600)))
    assert parsed.nodes[DB]["criticality"] == "critical"
    assert parsed.nodes[DB]["level"] == 4
    assert parsed.nodes["zone:dc"]["members"] == 2
    assert "asset_id" not in parsed.nodes[CLIENT]
    assert parsed.edges[CLIENT, DB, "icmp"]["bytes"] == 84
    assert "port" not in parsed.edges[CLIENT, DB, "icmp"]
    assert parsed.edges[CLIENT, DB, "5432/tcp"]["last_seen"] == "2026-11-27T08:11:40Z"
    assert parsed.edges[ATTACKER, CLIENT, "3389/tcp"]["risk"] == 80.0


# -- persistence ---------------------------------------------------------------------------------


def test_save_load_round_trip(graph: ThreatGraph, tmp_path: Path) -> None:
    graph.fold([obs("2001:db8::5", CLIENT, None, 900, transport="icmp")])
    graph.add_threat(source=ATTACKER, destination=CLIENT, score=80.0, ts=T0 + 600)
    graph.add_threat(source=None, destination=DB, score=12.5, ts=T0 + 700)
    path = tmp_path / "graph.msgpack"
    graph.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["graph.msgpack"]  # no temporary file left
    loaded = ThreatGraph.load(path, describe=register().get)
    assert loaded.stats() == graph.stats()
    assert all_edges(loaded) == all_edges(graph)
    assert loaded.to_dict(now=T0 + 1000) == graph.to_dict(now=T0 + 1000)
    for now in (T0 + 600, T0 + 700, T0 + 90_000):
        for ip in (ATTACKER, CLIENT, DB, WEB):
            assert loaded.risk(ip, now) == graph.risk(ip, now)
        assert loaded.edge_risk(ATTACKER, CLIENT, now) == graph.edge_risk(ATTACKER, CLIENT, now)
    assert loaded.paths(from_zone="internet", to=DB) == graph.paths(from_zone="internet", to=DB)
    assert loaded.fold(FIRST_BATCH) == []  # first-seen knowledge survives
    # Risk is stored as value and time, so a different half-life applies from the saved values on.
    hourly = ThreatGraph.load(path, describe=register().get, half_life_s=3600.0)
    assert hourly.half_life_s == 3600.0
    assert hourly.edge_risk(ATTACKER, CLIENT, T0 + 4200) == 40.0
    assert hourly.risk(DB, T0 + 700 + 7200) == 3.125

    graph.fold([obs(VISITOR, DB, 22, 1000)])
    graph.save(path)  # replaces the file
    assert ThreatGraph.load(path).stats()["edges"] == 9


def test_load_errors_name_the_file(tmp_path: Path) -> None:
    missing = tmp_path / "missing.msgpack"
    with pytest.raises(FileNotFoundError):
        ThreatGraph.load(missing)

    garbage = tmp_path / "garbage.msgpack"
    garbage.write_bytes(b"\xc1 not msgpack")
    with pytest.raises(GraphFileError, match=r"garbage\.msgpack") as caught:
        ThreatGraph.load(garbage)
    assert caught.value.where == str(garbage)

    wrong = tmp_path / "wrong.msgpack"
    wrong.write_bytes(msgspec.msgpack.encode({"format": "something-else"}))
    with pytest.raises(GraphFileError, match=r"wrong\.msgpack"):
        ThreatGraph.load(wrong)

    graph = ThreatGraph()
    graph.fold(FIRST_BATCH)
    good = tmp_path / "good.msgpack"
    graph.save(good)
    content = msgspec.msgpack.decode(good.read_bytes(), type=GraphFile)
    for name, broken in (
        ("format", msgspec.structs.replace(content, format="other")),
        ("version", msgspec.structs.replace(content, version=99)),
        ("index", msgspec.structs.replace(content, src=[*content.src[:-1], 99])),
        ("length", msgspec.structs.replace(content, count=content.count[:-1])),
        ("duplicate", _duplicated(content)),
    ):
        path = tmp_path / f"{name}.msgpack"
        path.write_bytes(msgspec.msgpack.encode(broken))
        with pytest.raises(GraphFileError, match=rf"{name}\.msgpack: not a threat graph file"):
            ThreatGraph.load(path)

    truncated = tmp_path / "truncated.msgpack"
    truncated.write_bytes(msgspec.msgpack.encode(content)[:-7])
    with pytest.raises(GraphFileError, match=r"truncated\.msgpack"):
        ThreatGraph.load(truncated)


def _duplicated(content: GraphFile) -> GraphFile:
    columns = ("src", "dst", "port", "transport", "count", "bytes", "first_seen", "last_seen")
    return msgspec.structs.replace(content, **{name: [*getattr(content, name), getattr(content, name)[0]]
                                              for name in columns})  # fmt: skip


# -- threads -------------------------------------------------------------------------------------


def test_readers_while_one_writer_folds() -> None:
    graph = ThreatGraph(describe=register().get)
    batches = [
        [obs(f"198.51.100.{n % 250 + 1}", f"192.0.2.{n % 7 + 1}", 443 + n % 3, n + i) for i in range(50)]
        for n in range(200)
    ]
    failures: list[BaseException] = []

    def write() -> None:
        try:
            for batch in batches:
                graph.fold(batch)
                graph.add_threat(source=batch[0].src, destination=batch[0].dst, score=1.0, ts=batch[0].ts)
        except BaseException as exc:  # reported below, on the main thread
            failures.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    while writer.is_alive():
        graph.to_dict(now=T0)
        graph.top_talkers()
        graph.neighbours("192.0.2.1")
    writer.join()
    assert failures == []
    assert graph.stats()["edges"] == len({(o.src, o.dst, o.port, o.transport) for b in batches for o in b})


def test_a_failing_register_lookup_leaves_the_graph_consistent() -> None:
    broken = {VISITOR}

    def describe(ip: str) -> NodeInfo | None:
        if ip in broken:
            raise LookupError(f"register unavailable for {ip}")
        return None

    graph = ThreatGraph(describe=describe)
    with pytest.raises(LookupError, match=r"203\.0\.113\.6"):
        graph.fold(FIRST_BATCH)
    assert graph.edges_since(0.0) == [EdgeStats(ATTACKER, WEB, 443, "tcp", 2, 1000, T0 + 100, T0 + 100)]
    broken.clear()
    assert graph.fold(FIRST_BATCH[1:]) == [B, C, D, E]
    assert graph.stats()["edges"] == 5
