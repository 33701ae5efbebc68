"""Triage routes: the queue, an alert with its events, similar alerts, changes and comments."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, status
from starlette.concurrency import run_in_threadpool

from soc_api.alerts.models import (
    AlertDetail,
    AlertGroup,
    AlertGroups,
    AlertList,
    AlertPage,
    AlertSummary,
    Assignee,
    Assignees,
    BulkResult,
    BulkTriage,
    CommentIn,
    CommentOut,
    TriageChange,
)
from soc_api.alerts.service import (
    AlertFilter,
    SortKey,
    add_comment,
    alert_groups,
    assignees,
    comments_of,
    get_or_404,
    incidents_of,
    list_queue,
    similar_alerts,
    triage,
)
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_core.errors import QuerySyntaxError
from soc_core.vocabulary import AlertStatus

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
users_router = APIRouter(prefix="/api/v1/users", tags=["users"])
_can_read = require(Permission.ALERTS_READ)
_can_triage = require(Permission.ALERTS_TRIAGE)
_can_list_assignees = require(Permission.ASSIGNEES_READ)
_EVENT_WINDOW = dt.timedelta(days=1)


async def _filters(
    status_: Annotated[AlertStatus | None, Query(alias="status")] = None,
    severity_min: Annotated[int | None, Query(ge=1, le=5)] = None,
    rule_id: Annotated[str | None, Query(max_length=255)] = None,
    assignee: Annotated[str | None, Query(max_length=64, description="a username, or 'none'")] = None,
    source_ip: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=256, description="text in rule name/attack/target")] = None,
    from_: Annotated[dt.datetime | None, Query(alias="from")] = None,
    to: dt.datetime | None = None,
) -> AlertFilter:
    return AlertFilter(
        status=status_,
        severity_min=severity_min,
        rule_id=rule_id,
        assignee=assignee,
        source_ip=source_ip,
        text=q,
        start=from_,
        end=to,
    )


@router.get("", response_model=AlertPage)
def list_alerts(
    filters: AlertFilter = Depends(_filters),
    sort: SortKey = "last_seen",
    order: Literal["asc", "desc"] = "desc",
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> AlertPage:
    """The alert queue, filtered and sorted."""
    with ctx.state.session(readonly=True) as session:
        total, rows = list_queue(session, filters=filters, sort=sort, order=order, limit=limit, offset=offset)
        return AlertPage(total=total, items=[AlertSummary.of(r, demo=ctx.demo) for r in rows])


@router.get("/groups", response_model=AlertGroups)
def list_groups(
    filters: AlertFilter = Depends(_filters),
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> AlertGroups:
    """Similar alerts grouped by rule and source."""
    with ctx.state.session(readonly=True) as session:
        return AlertGroups(items=[AlertGroup(**g) for g in alert_groups(session, filters=filters)])


@router.post("/bulk", response_model=BulkResult)
def bulk_update(
    body: BulkTriage,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_triage),
) -> BulkResult:
    """The same change to many alerts: all are changed, or none when one cannot be."""
    change = TriageChange(**body.model_dump(exclude={"ids"}, exclude_unset=True))
    with ctx.state.session() as session:
        _, changed = triage(
            session, alert_ids=body.ids, change=change, principal=principal, now=dt.datetime.now(dt.UTC)
        )
    return BulkResult(updated=changed)


@router.get("/{alert_id}", response_model=AlertDetail)
async def get_alert(
    alert_id: str, ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> AlertDetail:
    """An alert with its comments, incidents and the events it was raised on."""

    def load() -> tuple[Any, ...]:
        with ctx.state.session(readonly=True) as session:
            row = get_or_404(session, alert_id=alert_id)
            session.expunge(row)
            return row, comments_of(session, alert_id=alert_id), incidents_of(session, alert_id=alert_id)

    row, comments, incidents = await run_in_threadpool(load)
    events = await run_in_threadpool(_linked_events, ctx, row.event_ids, row.timestamp, row.last_seen)
    return AlertDetail.build(row, comments=comments, events=events, incident_ids=incidents, demo=ctx.demo)


def _linked_events(
    ctx: AppContext, event_ids: list[str], first: dt.datetime, last: dt.datetime
) -> list[dict[str, Any]]:
    ids = [i for i in event_ids if i.replace("-", "").isalnum()][:100]
    if not ids:
        return []
    query = "event.id:(" + " OR ".join(f'"{i}"' for i in ids) + ")"
    try:
        return ctx.events.search(
            query, start=first - _EVENT_WINDOW, end=last + _EVENT_WINDOW, limit=len(ids), order="asc"
        )
    except QuerySyntaxError:
        return []


@router.get("/{alert_id}/similar", response_model=AlertList)
def get_similar(
    alert_id: str, ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> AlertList:
    """Other alerts of the same rule from the same source."""
    with ctx.state.session(readonly=True) as session:
        row = get_or_404(session, alert_id=alert_id)
        return AlertList(
            items=[AlertSummary.of(r, demo=ctx.demo) for r in similar_alerts(session, alert=row)]
        )


@router.patch("/{alert_id}", response_model=AlertSummary)
def update_alert(
    alert_id: str,
    body: TriageChange,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_triage),
) -> AlertSummary:
    """Assign, move status, set the disposition and/or comment, in one change."""
    with ctx.state.session() as session:
        (row,), _ = triage(
            session, alert_ids=[alert_id], change=body, principal=principal, now=dt.datetime.now(dt.UTC)
        )
        return AlertSummary.of(row, demo=ctx.demo)


@router.post("/{alert_id}/comments", response_model=CommentOut, status_code=status.HTTP_201_CREATED)
def comment(
    alert_id: str,
    body: CommentIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_triage),
) -> CommentOut:
    """Add a comment to an alert."""
    with ctx.state.session() as session:
        row = add_comment(
            session, alert_id=alert_id, text=body.text, principal=principal, now=dt.datetime.now(dt.UTC)
        )
        return CommentOut.of(row)


@users_router.get("/assignable", response_model=Assignees)
def assignable(
    ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_list_assignees)
) -> Assignees:
    """Accounts alerts can be assigned to."""
    with ctx.state.session(readonly=True) as session:
        return Assignees(
            items=[Assignee(username=u.username, display_name=u.display_name) for u in assignees(session)]
        )
