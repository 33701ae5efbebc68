"""The dashboard's figures: event rates, alerts over time, top attackers/targets, health."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from soc_core.state.alerts import list_rule_health
from soc_core.state.models import AlertRecord, AssetRecord, IncidentRecord, utc
from soc_core.state.response import Notice, ReportRecord
from soc_core.storage.base import EventStore
from soc_core.storage.embedded_query import parse_interval
from soc_core.vocabulary import DEAD_LETTER_DATASET, NoticeStatus, ReportStatus, RuleState, Severity

TOP = 10
MAX_ALERT_POINTS = 200_000


def event_figures(
    store: EventStore, *, start: dt.datetime, end: dt.datetime, interval: str
) -> dict[str, Any]:
    """Events per dataset and per source (with rates), over time, and dead letters by reason."""
    span = max(1.0, (end - start).total_seconds())

    def rated(rows: list[tuple[Any, int]], key: str) -> list[dict[str, Any]]:
        return [{key: value, "count": count, "rate_per_s": round(count / span, 3)} for value, count in rows]

    by_dataset = store.terms("event.dataset", start=start, end=end, size=30)
    by_source = store.terms("observer.hostname", start=start, end=end, size=30)
    over_time = store.date_histogram(interval=interval, start=start, end=end)
    dead = store.terms(
        "error.type", query=f"event.dataset:{DEAD_LETTER_DATASET}", start=start, end=end, size=20
    )
    return {
        "events_by_dataset": rated(by_dataset, "dataset"),
        "events_by_source": rated(by_source, "source"),
        "events_over_time": [{"t": t, "count": c} for t, c in over_time],
        "dead_letters": {"total": sum(c for _, c in dead), "by_reason": {str(k): c for k, c in dead}},
    }


def _bucket(ts: dt.datetime, step: int) -> dt.datetime:
    """The start of ``ts``'s bucket, aligned to the epoch like the event store's histogram."""
    return dt.datetime.fromtimestamp(int(ts.timestamp()) // step * step, dt.UTC)


def alert_figures(session: Session, *, start: dt.datetime, end: dt.datetime, interval: str) -> dict[str, Any]:
    """Alerts by severity over time, in all, and the top attack sources and targets."""
    start, end = utc(start), utc(end)
    in_range = (AlertRecord.timestamp >= start, AlertRecord.timestamp < end)
    step = int(parse_interval(interval).total_seconds())
    buckets: dict[dt.datetime, dict[str, int]] = {}
    rows = session.execute(
        select(AlertRecord.timestamp, AlertRecord.severity).where(*in_range).limit(MAX_ALERT_POINTS)
    )
    for ts, severity in rows:
        counts = buckets.setdefault(_bucket(utc(ts), step), {str(int(s)): 0 for s in Severity})
        counts[str(int(severity))] += 1
    by_severity = {str(int(s)): 0 for s in Severity}
    for severity, count in session.execute(
        select(AlertRecord.severity, func.count()).where(*in_range).group_by(AlertRecord.severity)
    ):
        by_severity[str(int(severity))] = int(count)

    def top(column: Any) -> list[dict[str, Any]]:
        found = session.execute(
            select(column, func.count().label("n"))
            .where(*in_range, column.is_not(None))
            .group_by(column)
            .order_by(func.count().desc(), column)
            .limit(TOP)
        ).all()
        ips = [ip for ip, _ in found]
        assets = (
            {a.ip: a for a in session.scalars(select(AssetRecord).where(AssetRecord.ip.in_(ips)))}
            if ips
            else {}
        )
        return [
            {
                "ip": ip,
                "alerts": int(n),
                "asset": None
                if ip not in assets
                else {
                    "hostname": assets[ip].hostname,
                    "owner_unit": assets[ip].owner_unit,
                    "zone": assets[ip].zone,
                },
            }
            for ip, n in found
        ]

    return {
        "alerts_over_time": [{"t": t, "by_severity": c} for t, c in sorted(buckets.items())],
        "alerts_by_severity": by_severity,
        "top_sources": top(AlertRecord.source_ip),
        "top_targets": top(AlertRecord.destination_ip),
    }


def rule_figures(session: Session) -> dict[str, Any]:
    """How many rules run, failed or see no source; the failing ones and the busiest."""
    rows = list_rule_health(session)
    states = {s.value: 0 for s in RuleState}
    for row in rows:
        states[row.state] = states.get(row.state, 0) + 1
    busiest = sorted((r for r in rows if r.matches), key=lambda r: (-r.matches, r.rule_id))[:TOP]
    return {
        **states,
        "failing": [
            {"rule_id": r.rule_id, "path": r.path, "reason": r.reason} for r in rows if r.state == "failed"
        ],
        "top": [
            {
                "rule_id": r.rule_id,
                "title": r.title,
                "matches": r.matches,
                "last_fired": r.last_fired,
                "cost_ns_per_event": r.cost_ns_per_event,
            }
            for r in busiest
        ],
    }


def response_figures(session: Session, *, now: dt.datetime, reports: bool, notices: bool) -> dict[str, Any]:
    """通报 records not reported in time and notices past their rectification period, with counts
    of those still open; each half only for a caller who may read it (else nulls and no items)."""
    when = utc(now)
    figures: dict[str, Any] = {
        "reports_overdue": None,
        "reports_open": None,
        "notices_overdue": None,
        "notices_open": None,
        "overdue_reports": [],
        "overdue_notices": [],
    }
    if reports:
        late = and_(ReportRecord.status == ReportStatus.DRAFT.value, ReportRecord.deadline_at < when)
        overdue, open_ = session.execute(
            select(
                func.count(case((late, 1))),
                func.count(case((ReportRecord.status != ReportStatus.CLOSED.value, 1))),
            )
        ).one()
        rows = session.execute(
            select(
                ReportRecord.id,
                ReportRecord.incident_id,
                IncidentRecord.title,
                ReportRecord.affected_system,
                ReportRecord.unit,
                ReportRecord.deadline_at,
            )
            .outerjoin(IncidentRecord, IncidentRecord.id == ReportRecord.incident_id)
            .where(late)
            .order_by(ReportRecord.deadline_at, ReportRecord.id)
            .limit(TOP)
        )
        figures.update(
            reports_overdue=int(overdue),
            reports_open=int(open_),
            overdue_reports=[
                {
                    "id": id_,
                    "incident_id": incident_id,
                    "title": title or system or unit,
                    "deadline_at": utc(deadline),
                }
                for id_, incident_id, title, system, unit, deadline in rows
            ],
        )
    if notices:
        late = and_(Notice.status != NoticeStatus.CLOSED.value, Notice.due_at < when)
        overdue, open_ = session.execute(
            select(
                func.count(case((late, 1))), func.count(case((Notice.status != NoticeStatus.CLOSED.value, 1)))
            )
        ).one()
        notice_rows = session.execute(
            select(Notice.id, Notice.title, Notice.owner_unit, Notice.due_at)
            .where(late)
            .order_by(Notice.due_at, Notice.id)
            .limit(TOP)
        )
        figures.update(
            notices_overdue=int(overdue),
            notices_open=int(open_),
            overdue_notices=[
                {"id": id_, "title": title, "owner_unit": owner, "due_at": utc(due)}
                for id_, title, owner, due in notice_rows
            ],
        )
    return figures
