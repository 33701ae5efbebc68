"""Triage on the StateStore: the queue, similar-alert groups, status/assignee/disposition changes
and comments, each change written to the operation log with its before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from soc_api.alerts.models import TriageChange
from soc_api.audit.service import record
from soc_api.auth.deps import Principal
from soc_api.errors import ApiError
from soc_core.state.models import AlertComment, AlertRecord, IncidentAlert, User, UserRole, utc
from soc_core.vocabulary import ALERT_TRANSITIONS, AlertStatus, Role

SortKey = Literal["last_seen", "severity", "count", "timestamp"]
_SORT_COLUMNS = {
    "last_seen": AlertRecord.last_seen,
    "severity": AlertRecord.severity,
    "count": AlertRecord.count,
    "timestamp": AlertRecord.timestamp,
}
TRIAGE_ROLES = (Role.ANALYST, Role.SECURITY_ADMIN)
UNASSIGNED = "none"


class TriageError(ApiError):
    """A triage change that cannot be made."""


@dataclass(frozen=True, slots=True)
class AlertFilter:
    """What the queue narrows to. ``assignee`` ``none`` means unassigned."""

    status: AlertStatus | None = None
    severity_min: int | None = None
    rule_id: str | None = None
    assignee: str | None = None
    source_ip: str | None = None
    text: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None

    def apply(self, query: Any) -> Any:
        """``query`` (a Select of any columns: queue rows or group aggregates) narrowed."""
        if self.status is not None:
            query = query.where(AlertRecord.status == self.status.value)
        if self.severity_min is not None:
            query = query.where(AlertRecord.severity >= self.severity_min)
        if self.rule_id:
            query = query.where(AlertRecord.rule_id == self.rule_id)
        if self.assignee == UNASSIGNED:
            query = query.where(AlertRecord.assignee.is_(None))
        elif self.assignee:
            query = query.where(AlertRecord.assignee == self.assignee)
        if self.source_ip:
            query = query.where(AlertRecord.source_ip == self.source_ip)
        if self.text:
            escaped = self.text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = f"%{escaped}%"
            query = query.where(
                or_(
                    func.lower(AlertRecord.rule_name).like(like, escape="\\"),
                    func.lower(AlertRecord.attack_type).like(like, escape="\\"),
                    func.lower(AlertRecord.target).like(like, escape="\\"),
                    AlertRecord.rule_id == self.text,
                )
            )
        if self.start is not None:
            query = query.where(AlertRecord.last_seen >= utc(self.start))
        if self.end is not None:
            query = query.where(AlertRecord.timestamp < utc(self.end))
        return query


def list_queue(
    session: Session,
    *,
    filters: AlertFilter,
    sort: SortKey = "last_seen",
    order: Literal["asc", "desc"] = "desc",
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[AlertRecord]]:
    """A page of matching alerts and how many match in all."""
    query = filters.apply(select(AlertRecord))
    total = session.scalar(filters.apply(select(func.count()).select_from(AlertRecord))) or 0
    column = _SORT_COLUMNS[sort]
    ordered = column.desc() if order == "desc" else column.asc()
    tie = AlertRecord.last_seen.desc() if sort != "last_seen" else AlertRecord.id
    rows = session.scalars(query.order_by(ordered, tie, AlertRecord.id).limit(limit).offset(offset))
    return int(total), list(rows)


def alert_groups(session: Session, *, filters: AlertFilter, limit: int = 200) -> list[dict[str, Any]]:
    """Similar alerts grouped by rule and source, with counts per status, most recent first."""
    query = filters.apply(
        select(
            AlertRecord.rule_id,
            AlertRecord.source_ip,
            AlertRecord.status,
            func.max(AlertRecord.rule_name),
            func.max(AlertRecord.severity),
            func.count(),
            func.sum(AlertRecord.count),
            func.max(AlertRecord.last_seen),
        )
    ).group_by(AlertRecord.rule_id, AlertRecord.source_ip, AlertRecord.status)
    groups: dict[tuple[str, str | None], dict[str, Any]] = {}
    for rule_id, source_ip, status, name, severity, alerts, matches, last_seen in session.execute(query):
        group = groups.setdefault(
            (rule_id, source_ip),
            {
                "rule_id": rule_id,
                "rule_name": name,
                "source_ip": source_ip,
                "severity": 0,
                "alerts": 0,
                "matches": 0,
                "last_seen": last_seen,
                "statuses": {},
            },
        )
        group["severity"] = max(group["severity"], int(severity))
        group["alerts"] += int(alerts)
        group["matches"] += int(matches or 0)
        group["last_seen"] = max(group["last_seen"], utc(last_seen))
        group["statuses"][status] = int(alerts)
    ranked = sorted(groups.values(), key=lambda g: (g["last_seen"], g["alerts"]), reverse=True)
    return ranked[:limit]


def similar_alerts(session: Session, *, alert: AlertRecord, limit: int = 100) -> list[AlertRecord]:
    """Other alerts of the same rule from the same source, most recent first."""
    query = select(AlertRecord).where(AlertRecord.rule_id == alert.rule_id, AlertRecord.id != alert.id)
    if alert.source_ip is None:
        query = query.where(AlertRecord.source_ip.is_(None))
    else:
        query = query.where(AlertRecord.source_ip == alert.source_ip)
    return list(session.scalars(query.order_by(AlertRecord.last_seen.desc()).limit(limit)))


def get_or_404(session: Session, *, alert_id: str) -> AlertRecord:
    """The alert, or a 404 :class:`TriageError`."""
    row = session.get(AlertRecord, alert_id)
    if row is None:
        raise TriageError(f"no alert {alert_id!r}", status=404)
    return row


def comments_of(session: Session, *, alert_id: str) -> list[AlertComment]:
    """The alert's comments, oldest first."""
    query = select(AlertComment).where(AlertComment.alert_id == alert_id).order_by(AlertComment.id)
    return list(session.scalars(query))


def incidents_of(session: Session, *, alert_id: str) -> list[int]:
    """Ids of the incidents the alert is linked to."""
    query = select(IncidentAlert.incident_id).where(IncidentAlert.alert_id == alert_id)
    return sorted(session.scalars(query))


def assignees(session: Session) -> list[User]:
    """Enabled accounts that triage alerts (analysts and the security admin)."""
    query = (
        select(User)
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role.in_([r.value for r in TRIAGE_ROLES]), User.disabled.is_(False))
        .order_by(User.username)
        .distinct()
    )
    return list(session.scalars(query))


def _triage_state(row: AlertRecord) -> dict[str, Any]:
    return {"status": row.status, "assignee": row.assignee, "disposition": row.disposition}


def assignee_named(session: Session, username: str) -> str:
    """The exact username of the enabled analyst or security admin called ``username`` (any case);
    a 400 :class:`TriageError` for anyone else (alerts and incidents go only to those who triage)."""
    match = {u.username.lower(): u.username for u in assignees(session)}
    found = match.get(username.lower())
    if found is None:
        raise TriageError(f"{username!r} is not an enabled analyst or security admin", status=400)
    return found


def _apply(session: Session, row: AlertRecord, change: TriageChange) -> None:
    if change.status is not None and change.status.value != row.status:
        current = AlertStatus(row.status)
        if change.status not in ALERT_TRANSITIONS[current]:
            raise TriageError(f"alert {row.id}: cannot go from {current.value} to {change.status.value}")
        row.status = change.status.value
        if change.status is not AlertStatus.CLOSED:
            row.disposition = None  # a reopened alert is judged again when closed again
    if "assignee" in change.model_fields_set:
        row.assignee = assignee_named(session, change.assignee) if change.assignee else None
    if change.disposition is not None:
        if row.status != AlertStatus.CLOSED:
            raise TriageError(f"alert {row.id}: a disposition is given when closing, not while {row.status}")
        row.disposition = change.disposition.value
    if row.status == AlertStatus.CLOSED and row.disposition is None:
        raise TriageError(
            f"alert {row.id}: closing needs a disposition (true_positive, false_positive or benign)"
        )


def _add_comment(
    session: Session, *, row: AlertRecord, principal: Principal, text: str, now: dt.datetime
) -> AlertComment:
    comment = AlertComment(alert_id=row.id, author=principal.username, text=text, created_at=now)
    session.add(comment)
    return comment


def triage(
    session: Session,
    *,
    alert_ids: Sequence[str],
    change: TriageChange,
    principal: Principal,
    now: dt.datetime,
) -> tuple[list[AlertRecord], int]:
    """Apply ``change`` to every alert (all or none) and record each in the operation log.

    Returns the alerts and how many of them actually changed (or got the comment).
    """
    rows = [get_or_404(session, alert_id=alert_id) for alert_id in dict.fromkeys(alert_ids)]
    befores = [_triage_state(row) for row in rows]
    for row in rows:
        _apply(session, row, change)
    changed = 0
    for row, before in zip(rows, befores, strict=True):
        after = _triage_state(row)
        if after != before:
            row.updated_at = utc(now)
        comment = None
        if change.comment:
            comment = _add_comment(session, row=row, principal=principal, text=change.comment, now=now)
        if after != before or comment is not None:
            changed += 1
            record(
                session,
                principal=principal,
                action="alert.update",
                target=row.id,
                before=before,
                after=after,
                detail={"comment": change.comment, "bulk": len(rows) > 1} if comment else None,
                now=now,
            )
    session.flush()
    return rows, changed


def add_comment(
    session: Session, *, alert_id: str, text: str, principal: Principal, now: dt.datetime
) -> AlertComment:
    """Comment on an alert."""
    row = get_or_404(session, alert_id=alert_id)
    comment = _add_comment(session, row=row, principal=principal, text=text, now=now)
    session.flush()
    record(
        session,
        principal=principal,
        action="alert.comment",
        target=row.id,
        detail={"comment": text},
        now=now,
    )
    return comment
