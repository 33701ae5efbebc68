"""Event routes: Lucene query-string search over the event store."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from starlette.concurrency import run_in_threadpool

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.events.models import EventPage
from soc_core.errors import QuerySyntaxError

router = APIRouter(prefix="/api/v1/events", tags=["events"])
_can_read_events = require(Permission.EVENTS_READ)


@router.get("", response_model=EventPage)
async def search_events(
    q: Annotated[
        str, Query(description="Lucene query string, e.g. source.ip:192.0.2.0/24 AND event.action:deny")
    ] = "*",
    from_: Annotated[
        dt.datetime | None, Query(alias="from", description="ISO-8601 start (inclusive)")
    ] = None,
    to: Annotated[dt.datetime | None, Query(description="ISO-8601 end (exclusive)")] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_events),
) -> EventPage:
    """Events matching ``q`` between ``from`` and ``to``, newest first."""
    start = _aware(from_)
    end = _aware(to)
    try:
        events = await run_in_threadpool(ctx.events.search, q, start=start, end=end, limit=limit)
    except QuerySyntaxError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, str(exc)) from None
    return EventPage(query=q, count=len(events), events=events)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value
