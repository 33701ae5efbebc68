"""Event routes: Lucene query-string search, the field sidebar, the histogram, saved queries."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response, status
from starlette.concurrency import run_in_threadpool

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.events.models import (
    Bucket,
    EventPage,
    FieldInfo,
    FieldSummary,
    Histogram,
    SavedQueryIn,
    SavedQueryList,
    SavedQueryOut,
)
from soc_api.events.service import (
    delete_query,
    field_summary,
    histogram_interval,
    list_saved,
    save_query,
)
from soc_api.params import RowId, optional_utc, time_window
from soc_core.errors import QuerySyntaxError

router = APIRouter(prefix="/api/v1/events", tags=["events"])
queries_router = APIRouter(prefix="/api/v1/queries", tags=["events"])
_can_read_events = require(Permission.EVENTS_READ)
_can_manage_queries = require(Permission.QUERIES_MANAGE)
FIELD_SAMPLE = 500
_Q = Annotated[
    str,
    Query(
        max_length=10_000,
        description="Lucene query string, e.g. source.ip:192.0.2.0/24 AND event.action:deny",
    ),
]
_FROM = Annotated[dt.datetime | None, Query(alias="from", description="ISO-8601 start (inclusive)")]
_TO = Annotated[dt.datetime | None, Query(description="ISO-8601 end (exclusive)")]


def _bad_query(exc: QuerySyntaxError) -> HTTPException:
    return HTTPException(status.HTTP_400_BAD_REQUEST, str(exc))


@router.get("", response_model=EventPage)
async def search_events(
    q: _Q = "*",
    from_: _FROM = None,
    to: _TO = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_events),
) -> EventPage:
    """Events matching ``q`` between ``from`` and ``to``, newest first."""
    try:
        events = await run_in_threadpool(
            ctx.events.search, q, start=optional_utc(from_), end=optional_utc(to), limit=limit
        )
    except QuerySyntaxError as exc:
        raise _bad_query(exc) from None
    return EventPage(query=q, count=len(events), events=events)


@router.get("/fields", response_model=FieldSummary)
async def fields(
    q: _Q = "*",
    from_: _FROM = None,
    to: _TO = None,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_events),
) -> FieldSummary:
    """Fields of the newest matching events with their top values (the search sidebar)."""
    try:
        sample = await run_in_threadpool(
            ctx.events.search, q, start=optional_utc(from_), end=optional_utc(to), limit=FIELD_SAMPLE
        )
    except QuerySyntaxError as exc:
        raise _bad_query(exc) from None
    return FieldSummary(sampled=len(sample), fields=[FieldInfo(**f) for f in field_summary(sample)])


@router.get("/histogram", response_model=Histogram)
async def histogram(
    q: _Q = "*",
    from_: _FROM = None,
    to: _TO = None,
    interval: Annotated[str, Query(pattern=r"^(auto|\d{1,4}[smhd])$")] = "auto",
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_events),
) -> Histogram:
    """Matching events per time bucket (``auto`` picks about 60 bars; default the last 24 h)."""
    start, end = time_window(from_, to)
    chosen = histogram_interval(start, end) if interval == "auto" else interval
    if int(chosen[:-1]) == 0:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, "interval must be positive")
    try:
        rows = await run_in_threadpool(
            ctx.events.date_histogram, interval=chosen, query=q, start=start, end=end
        )
    except QuerySyntaxError as exc:
        raise _bad_query(exc) from None
    return Histogram(interval=chosen, buckets=[Bucket(t=t, count=c) for t, c in rows])


@queries_router.get("", response_model=SavedQueryList)
def saved_queries(
    ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_manage_queries)
) -> SavedQueryList:
    """The caller's saved queries and the shared ones."""
    with ctx.state.session(readonly=True) as session:
        return SavedQueryList(items=[SavedQueryOut.of(r) for r in list_saved(session, principal=principal)])


@queries_router.post("", response_model=SavedQueryOut, status_code=status.HTTP_201_CREATED)
def create_saved_query(
    body: SavedQueryIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage_queries),
) -> SavedQueryOut:
    """Save a query."""
    with ctx.state.session() as session:
        row = save_query(
            session,
            name=body.name,
            query=body.query,
            shared=body.shared,
            principal=principal,
            now=dt.datetime.now(dt.UTC),
        )
        return SavedQueryOut.of(row)


@queries_router.delete("/{query_id}", status_code=status.HTTP_204_NO_CONTENT)
def remove_saved_query(
    query_id: RowId,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage_queries),
) -> Response:
    """Delete one of one's own saved queries."""
    with ctx.state.session() as session:
        delete_query(session, query_id=query_id, principal=principal, now=dt.datetime.now(dt.UTC))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
