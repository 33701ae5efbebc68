"""Incidents (事件) on the StateStore: open from alerts, grade, work through to closure.

Closing needs the cause analysis, handling record and lessons learned filled in: that record
is what 等保 8.1.10.12 c) asks a site to keep for every incident. Every change goes to the
operation log with before and after, and to the incident's own timeline.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from detectors.gb20986 import UnknownCategoryError, default_table
from soc_api.alerts.service import assignee_named
from soc_api.audit.service import record
from soc_api.auth.deps import Principal
from soc_api.errors import ApiError
from soc_api.incidents.models import EvidenceIn, IncidentChange, IncidentCreate
from soc_core.state.models import (
    AlertRecord,
    IncidentAlert,
    IncidentEvidence,
    IncidentRecord,
    IncidentTimelineEntry,
    utc,
)
from soc_core.vocabulary import IncidentStatus

_HANDLING_FIELDS = ("cause_analysis", "handling_record", "lessons_learned")
_TEXT_FIELDS = ("title", "owner", "description", *_HANDLING_FIELDS)


class IncidentError(ApiError):
    """An incident change that cannot be made."""


def category_label(code: str) -> str:
    """The Chinese name of a GB/T 20986 category code (the code itself when unknown)."""
    try:
        return default_table().get(code).name
    except UnknownCategoryError:
        return code


def _category(code: str) -> str:
    try:
        return default_table().get(code).code
    except UnknownCategoryError as exc:
        raise IncidentError(str(exc)) from None


def _snapshot(row: IncidentRecord) -> dict[str, Any]:
    return {
        "title": row.title,
        "category": row.category,
        "level": row.level,
        "status": row.status,
        "owner": row.owner,
        "alert_ids": row.alert_ids,
        **{name: getattr(row, name) for name in ("description", *_HANDLING_FIELDS)},
    }


def _link_alerts(session: Session, row: IncidentRecord, alert_ids: list[str]) -> list[str]:
    wanted = [a for a in dict.fromkeys(alert_ids) if a not in row.alert_ids]
    if not wanted:
        return []
    known = set(session.scalars(select(AlertRecord.id).where(AlertRecord.id.in_(wanted))))
    missing = [a for a in wanted if a not in known]
    if missing:
        raise IncidentError(f"no alert {missing[0]!r}", status=404)
    row.alert_links.extend(IncidentAlert(alert_id=a) for a in wanted)
    return wanted


def _timeline(row: IncidentRecord, *, principal: Principal, kind: str, text: str, now: dt.datetime) -> None:
    row.timeline.append(IncidentTimelineEntry(at=utc(now), author=principal.username, kind=kind, text=text))


def _owner(session: Session, username: str | None) -> str | None:
    return assignee_named(session, username) if username else None


def get_or_404(session: Session, *, incident_id: int) -> IncidentRecord:
    """The incident, or a 404 :class:`IncidentError`."""
    row = session.get(IncidentRecord, incident_id)
    if row is None:
        raise IncidentError(f"no incident {incident_id}", status=404)
    return row


def list_incidents(
    session: Session, *, status: IncidentStatus | None, limit: int, offset: int
) -> tuple[int, list[IncidentRecord]]:
    """A page of incidents, most recently changed first, and how many match in all."""
    query = select(IncidentRecord)
    count = select(func.count()).select_from(IncidentRecord)
    if status is not None:
        query = query.where(IncidentRecord.status == status.value)
        count = count.where(IncidentRecord.status == status.value)
    rows = session.scalars(
        query.order_by(IncidentRecord.updated_at.desc(), IncidentRecord.id.desc()).limit(limit).offset(offset)
    )
    return int(session.scalar(count) or 0), list(rows)


def create_incident(
    session: Session, *, body: IncidentCreate, principal: Principal, now: dt.datetime
) -> IncidentRecord:
    """Open an incident, linking the alerts it comes from."""
    when = utc(now)
    row = IncidentRecord(
        title=body.title,
        category=_category(body.category),
        level=body.level.value,
        status=IncidentStatus.OPEN.value,
        owner=_owner(session, body.owner or principal.username),
        description=body.description,
        created_by=principal.username,
        created_at=when,
        updated_at=when,
    )
    session.add(row)
    _link_alerts(session, row, body.alert_ids)
    _timeline(row, principal=principal, kind="created", text=body.title, now=now)
    session.flush()
    record(
        session,
        principal=principal,
        action="incident.create",
        target=str(row.id),
        after=_snapshot(row),
        now=now,
    )
    return row


def update_incident(
    session: Session, *, incident_id: int, change: IncidentChange, principal: Principal, now: dt.datetime
) -> IncidentRecord:
    """Change fields, link more alerts, move status; closing needs the handling record."""
    row = get_or_404(session, incident_id=incident_id)
    before = _snapshot(row)
    given = change.model_fields_set
    for name in _TEXT_FIELDS:
        if name in given and (name != "title" or change.title):
            value = getattr(change, name)
            setattr(row, name, _owner(session, value) if name == "owner" else value)
    if change.category is not None:
        row.category = _category(change.category)
    if change.level is not None and change.level.value != row.level:
        _timeline(row, principal=principal, kind="level", text=f"{row.level} → {change.level.value}", now=now)
        row.level = change.level.value
    added = _link_alerts(session, row, change.add_alert_ids)
    if added:
        _timeline(row, principal=principal, kind="alerts", text=", ".join(added), now=now)
    if change.status is not None and change.status.value != row.status:
        if change.status is IncidentStatus.CLOSED:
            row.closed_at = utc(now)
        else:
            row.closed_at = None
        _timeline(
            row, principal=principal, kind="status", text=f"{row.status} → {change.status.value}", now=now
        )
        row.status = change.status.value
    if row.status == IncidentStatus.CLOSED:
        # A closed incident keeps its whole handling record, whenever it is edited.
        missing = [name for name in _HANDLING_FIELDS if not (getattr(row, name) or "").strip()]
        if missing:
            what = "closing an incident" if before["status"] != row.status else "a closed incident"
            raise IncidentError(f"{what} needs its " + ", ".join(missing) + " (等保 8.1.10.12 c)")
    after = _snapshot(row)
    if after != before:
        row.updated_at = utc(now)
        session.flush()
        record(
            session,
            principal=principal,
            action="incident.update",
            target=str(row.id),
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
            now=now,
        )
    return row


def add_timeline_entry(
    session: Session, *, incident_id: int, text: str, principal: Principal, now: dt.datetime
) -> IncidentTimelineEntry:
    """A note on the incident's timeline."""
    row = get_or_404(session, incident_id=incident_id)
    _timeline(row, principal=principal, kind="note", text=text, now=now)
    row.updated_at = utc(now)
    session.flush()
    record(
        session,
        principal=principal,
        action="incident.note",
        target=str(row.id),
        detail={"text": text},
        now=now,
    )
    return row.timeline[-1]


def add_evidence(
    session: Session, *, incident_id: int, body: EvidenceIn, principal: Principal, now: dt.datetime
) -> IncidentEvidence:
    """Attach evidence; an alert reference must name a known alert."""
    row = get_or_404(session, incident_id=incident_id)
    if body.kind.value == "alert" and session.get(AlertRecord, body.ref) is None:
        raise IncidentError(f"no alert {body.ref!r}", status=404)
    evidence = IncidentEvidence(
        kind=body.kind.value,
        ref=body.ref,
        note=body.note,
        sha256=None if body.sha256 is None else body.sha256.lower(),
        added_by=principal.username,
        added_at=utc(now),
    )
    row.evidence.append(evidence)
    _timeline(row, principal=principal, kind="evidence", text=f"{body.kind.value}: {body.ref}", now=now)
    row.updated_at = utc(now)
    session.flush()
    record(
        session,
        principal=principal,
        action="incident.evidence",
        target=str(row.id),
        after={"kind": evidence.kind, "ref": evidence.ref, "sha256": evidence.sha256, "note": evidence.note},
        now=now,
    )
    return evidence
