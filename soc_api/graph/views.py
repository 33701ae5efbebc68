"""Graph routes: the map (nodes and edges), neighbours, paths, blast radius, top talkers.

Times in and out are ISO 8601; views translate HTTP only, the graph answers.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any, Literal

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query
from starlette.concurrency import run_in_threadpool

from detectors.graph import ThreatGraph
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext

router = APIRouter(prefix="/api/v1/graph", tags=["graph"])
_can_read_graph = require(Permission.GRAPH_READ)


def _graph(ctx: AppContext) -> ThreatGraph:
    if ctx.graph is None:
        raise HTTPException(status_code=503, detail="the network graph is not running in this process")
    return ctx.graph.graph


def _epoch(value: dt.datetime | None) -> float | None:
    if value is None:
        return None
    return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).timestamp()


def _plain(value: Any) -> Any:
    return msgspec.to_builtins(value)


@router.get("")
async def graph_map(
    zone: Annotated[str | None, Query(description="edges with either end in this zone")] = None,
    since: Annotated[dt.datetime | None, Query(description="edges last seen at or after this time")] = None,
    min_risk: Annotated[
        float, Query(ge=0, description="nodes at or above this risk, edges between them")
    ] = 0.0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """Nodes (assets, hosts, subnets, zones, with risk) and edges (per service: counts, bytes,
    first and last seen)."""
    graph = _graph(ctx)
    selection = await run_in_threadpool(
        graph.to_dict, zone=zone, since=_epoch(since), min_risk=min_risk, now=time.time()
    )
    return {**selection, "stats": ctx.graph.stats() if ctx.graph is not None else {}}


@router.get("/neighbours/{ip}")
async def neighbours(
    ip: str,
    direction: Literal["both", "in", "out"] = "both",
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """Who the address talks to and who talks to it, per service."""
    found = await run_in_threadpool(_graph(ctx).neighbours, ip, direction=direction)
    return {"ip": ip, "neighbours": _plain(found)}


@router.get("/new")
async def new_edges(
    since: dt.datetime,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """Edges first seen at or after ``since``: what is new on the network."""
    start = _epoch(since)
    assert start is not None
    found = await run_in_threadpool(_graph(ctx).edges_since, start)
    return {"since": since.isoformat(), "edges": _plain(found)}


@router.get("/paths")
async def paths(
    from_zone: str,
    to: str,
    max_hops: Annotated[int, Query(ge=1, le=10)] = 6,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """Observed paths from a zone (e.g. the internet zone) to an address."""
    found = await run_in_threadpool(
        _graph(ctx).paths, from_zone=from_zone, to=to, max_hops=max_hops, limit=limit
    )
    return {"from_zone": from_zone, "to": to, "paths": _plain(found)}


@router.get("/blast-radius/{ip}")
async def blast_radius(
    ip: str,
    at: dt.datetime,
    window_h: Annotated[float, Query(gt=0, le=24 * 90)] = 24.0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """What an alert's source touched before and after ``at``, and where those hosts went next."""
    moment = _epoch(at)
    assert moment is not None
    found = await run_in_threadpool(_graph(ctx).blast_radius, ip, at=moment, window_s=window_h * 3600)
    return _plain(found)  # type: ignore[no-any-return]


@router.get("/top-talkers")
async def top_talkers(
    from_zone: str | None = None,
    to_zone: str | None = None,
    n: Annotated[int, Query(ge=1, le=1000)] = 10,
    by: Literal["bytes", "count"] = "bytes",
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_graph),
) -> dict[str, Any]:
    """The sources sending the most from one zone to another."""
    found = await run_in_threadpool(_graph(ctx).top_talkers, from_zone=from_zone, to_zone=to_zone, n=n, by=by)
    return {"from_zone": from_zone, "to_zone": to_zone, "by": by, "talkers": _plain(found)}
