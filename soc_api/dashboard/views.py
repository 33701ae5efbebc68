"""The dashboard route: one call for every figure on the page."""

from __future__ import annotations

import datetime as dt
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission, allowed
from soc_api.context import AppContext
from soc_api.dashboard.service import alert_figures, event_figures, response_figures, rule_figures
from soc_api.events.service import histogram_interval
from soc_api.params import time_window
from soc_api.sources.service import source_health

router = APIRouter(prefix="/api/v1/dashboard", tags=["dashboard"])
_can_read = require(Permission.DASHBOARD_READ)


@router.get("")
async def dashboard(
    from_: Annotated[dt.datetime | None, Query(alias="from")] = None,
    to: dt.datetime | None = None,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_read),
) -> dict[str, Any]:
    """Events/s per source and dataset, alerts by severity over time, top attack sources and
    targets, log-source health, dead letters and rule health (default: the last 24 hours), and
    the 通报 records and notices overdue now (for a caller who may read them)."""
    start, end = time_window(from_, to)
    interval = histogram_interval(start, end, buckets=48)

    def state_figures() -> dict[str, Any]:
        with ctx.state.session(readonly=True) as session:
            return {
                **alert_figures(session, start=start, end=end, interval=interval),
                "rules": rule_figures(session),
                "response": response_figures(
                    session,
                    now=dt.datetime.now(dt.UTC),
                    reports=allowed(principal.roles, Permission.REPORTS_READ),
                    notices=allowed(principal.roles, Permission.NOTICES_READ),
                ),
            }

    events = await run_in_threadpool(event_figures, ctx.events, start=start, end=end, interval=interval)
    state = await run_in_threadpool(state_figures)
    peers = ctx.ingest_stats().get("peers", [])
    sources = source_health(
        peers, now=time.time(), expected_interval_s=ctx.settings.detection.silence_after_s
    )
    return {
        "from": start,
        "to": end,
        "interval": interval,
        **events,
        **state,
        "sources": [s.model_dump() for s in sources],
    }
