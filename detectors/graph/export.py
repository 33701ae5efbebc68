"""The threat graph as JSON-ready dicts (the console's threat map) and as GraphML."""

from __future__ import annotations

import datetime as dt
import io
from typing import TYPE_CHECKING, Any

import networkx as nx

if TYPE_CHECKING:
    from detectors.graph.model import EdgeKey, GraphState

NODE_FIELDS = (
    "id", "ip", "zone", "risk", "kind", "subnet", "members",
    "asset_id", "name", "owner_unit", "level", "criticality",
)  # fmt: skip
EDGE_FIELDS = ("source", "target", "port", "transport", "count", "bytes", "first_seen", "last_seen", "risk")


def iso(ts: float) -> str:
    """Epoch seconds as ISO 8601 UTC, e.g. ``2026-11-27T08:00:00Z``."""
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat().replace("+00:00", "Z")


def _sort_key(key: EdgeKey) -> tuple[str, str, int, str]:
    return (key[0], key[1], -1 if key[2] is None else key[2], key[3])


def to_dict(
    state: GraphState, *, zone: str | None, since: float | None, min_risk: float, now: float
) -> dict[str, list[dict[str, Any]]]:
    """The selected part of the graph, nodes and edges sorted, times ISO 8601 UTC, risk at ``now``.

    Selection, in this order:

    1. candidate edges: every edge key, keeping only those with either end in ``zone`` (when
       given) and with ``last_seen >= since`` (when given);
    2. address nodes: the ends of candidate edges whose risk at ``now`` is ``>= min_risk``
       (with the default 0.0, every end);
    3. edges: the candidate edges whose two ends are both kept nodes;
    4. container nodes: one ``kind="subnet"`` node (id ``subnet:<cidr>``, /24 or /64) and one
       ``kind="zone"`` node (id ``zone:<name>``) for each subnet and zone of a kept address.
       Their ``risk`` is the highest of their kept members, ``members`` how many there are; a
       subnet's ``zone`` is its members' zone when they all agree, else None.

    Address nodes carry their ``subnet`` (the cidr) and ``zone`` (the name), which is how
    membership is expressed; asset fields are None for unknown hosts. Edge ``risk`` is the
    risk of alerts naming that source → target pair, shared by all its services.
    """
    nodes = state.nodes
    kept_edges: list[EdgeKey] = []
    for key, agg in state.edges.items():
        if zone is not None and nodes[key[0]].zone != zone and nodes[key[1]].zone != zone:
            continue
        if since is not None and agg[3] < since:
            continue
        kept_edges.append(key)

    ends = {ip for key in kept_edges for ip in (key[0], key[1])}
    risks = {ip: state.risk(ip, now) for ip in ends}
    kept = {ip for ip in ends if risks[ip] >= min_risk}
    kept_edges = [key for key in kept_edges if key[0] in kept and key[1] in kept]
    kept_edges.sort(key=_sort_key)

    node_rows: list[dict[str, Any]] = []
    containers: dict[str, dict[str, Any]] = {}
    for ip in sorted(kept):
        record = nodes[ip]
        info = record.info
        node_rows.append(
            {
                "id": ip,
                "ip": ip,
                "zone": record.zone,
                "risk": risks[ip],
                "kind": record.kind,
                "subnet": record.subnet,
                "members": None,
                "asset_id": info.asset_id if info else None,
                "name": info.name if info else None,
                "owner_unit": info.owner_unit if info else None,
                "level": info.level if info else None,
                "criticality": info.criticality if info else None,
            }
        )
        if record.subnet is not None:
            _join(containers, f"subnet:{record.subnet}", "subnet", record.subnet, record.zone, risks[ip])
        if record.zone is not None:
            _join(containers, f"zone:{record.zone}", "zone", None, record.zone, risks[ip])
    node_rows.extend(containers[name] for name in sorted(containers))

    edge_rows: list[dict[str, Any]] = []
    pair_risk = state.pair_risk
    for key in kept_edges:
        agg = state.edges[key]
        edge_rows.append(
            {
                "source": key[0],
                "target": key[1],
                "port": key[2],
                "transport": key[3],
                "count": int(agg[0]),
                "bytes": int(agg[1]),
                "first_seen": iso(agg[2]),
                "last_seen": iso(agg[3]),
                "risk": pair_risk((key[0], key[1]), now),
            }
        )
    return {"nodes": node_rows, "edges": edge_rows}


def _join(
    containers: dict[str, dict[str, Any]],
    node_id: str,
    kind: str,
    subnet: str | None,
    zone: str | None,
    risk: float,
) -> None:
    row = containers.get(node_id)
    if row is None:
        row = dict.fromkeys(NODE_FIELDS)
        row.update(id=node_id, kind=kind, subnet=subnet, zone=zone, risk=risk, members=1)
        containers[node_id] = row
        return
    row["members"] += 1
    row["risk"] = max(row["risk"], risk)
    if kind == "subnet" and row["zone"] != zone:
        row["zone"] = None  # members in different zones (or some in none): no single zone


def to_graphml(selection: dict[str, list[dict[str, Any]]]) -> bytes:
    """``selection`` (from ``to_dict``) as GraphML: a directed multigraph, one edge per service.

    GraphML has no null and no sets: absent values are left out, and each edge's key is its
    service (``443/tcp``, or the transport alone without a port).
    """
    graph = nx.MultiDiGraph()
    for row in selection["nodes"]:
        graph.add_node(row["id"], **{k: v for k, v in row.items() if k != "id" and v is not None})
    for row in selection["edges"]:
        service = row["transport"] if row["port"] is None else f"{row['port']}/{row['transport']}"
        attrs = {k: v for k, v in row.items() if k not in ("source", "target") and v is not None}
        graph.add_edge(row["source"], row["target"], key=service, **attrs)
    out = io.BytesIO()
    nx.write_graphml(graph, out, encoding="utf-8")
    return out.getvalue()
