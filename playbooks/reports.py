"""通报 records and inbound notices (通报预警) on the StateStore.

A 通报 record carries the fields 《国家网络安全事件报告管理办法》 asks a unit to report, and
the deadline the 办法 sets from discovery: shorter for 关键信息基础设施运营者 and 党政机关 than
for other network operators (hours configurable in ``[reports]``). A record that is still a
draft when its deadline passes was not reported in time.

An inbound notice (from 网信, 公安 …) is a rectification task for an owner unit: the unit
answers with feedback, the security admin accepts it (closed) or sends it back (open).

Every change is written to the operation log with before and after; ``now`` and the caller
(``actor``, ``actor_roles``) always come from outside, so these functions are pure over the
session they are given.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, select
from sqlalchemy.orm import Session

from soc_core.audit import append_audit
from soc_core.config import ReportSettings
from soc_core.errors import ConfigError, ShaowangError
from soc_core.state.models import AlertRecord, IncidentAlert, IncidentRecord, utc
from soc_core.state.response import Notice, ReportRecord
from soc_core.vocabulary import (
    REPORT_STATUS_LABELS_ZH,
    REPORT_TRANSITIONS,
    IncidentLevel,
    NoticeStatus,
    ReportStatus,
    UnitType,
)

__all__ = [
    "EDITABLE_FIELDS",
    "NOTICE_STATUS_LABELS_ZH",
    "UNIT_TYPE_LABELS_ZH",
    "RecordNotFoundError",
    "ReportError",
    "StateRefusedError",
    "count_notices",
    "count_reports",
    "create_notice",
    "create_report",
    "create_report_for_incident",
    "deadline_for",
    "get_notice",
    "get_report",
    "list_notices",
    "list_reports",
    "notice_feedback",
    "notice_overdue",
    "report_overdue",
    "review_notice",
    "transition_report",
    "update_report",
]

UNIT_TYPE_LABELS_ZH: dict[UnitType, str] = {
    UnitType.CRITICAL_INFRASTRUCTURE: "关键信息基础设施运营者",
    UnitType.PARTY_GOVERNMENT: "党政机关",
    UnitType.NETWORK_OPERATOR: "其他网络运营者",
}
NOTICE_STATUS_LABELS_ZH: dict[NoticeStatus, str] = {
    NoticeStatus.OPEN: "待整改",
    NoticeStatus.FEEDBACK: "已反馈待审核",
    NoticeStatus.CLOSED: "已办结",
}

# The fields of the 办法 a person may edit; status, deadline and bookkeeping are not among them.
_REQUIRED_TEXT = ("unit", "category")
_OPTIONAL_TEXT = (
    "affected_system",
    "place",
    "impact",
    "measures",
    "preliminary_cause",
    "investigation_leads",
    "next_steps",
    "contact",
)
EDITABLE_FIELDS: tuple[str, ...] = (
    "unit",
    "unit_type",
    "affected_system",
    "discovered_at",
    "place",
    "category",
    "level",
    "impact",
    "measures",
    "preliminary_cause",
    "investigation_leads",
    "next_steps",
    "contact",
)
_CATEGORY_MAX = 16
_AFFECTED_TARGETS = 5


class ReportError(ShaowangError):
    """A 通报 or notice change that cannot be made (bad value, unknown field)."""


class RecordNotFoundError(ReportError):
    """No 通报 record, notice or incident with that id."""


class StateRefusedError(ReportError):
    """The record's state does not allow the change (refused transition, closed record)."""


def _status_text(status: ReportStatus) -> str:
    return f"{REPORT_STATUS_LABELS_ZH[status]} ({status.value})"


def _notice_status_text(status: NoticeStatus) -> str:
    return f"{NOTICE_STATUS_LABELS_ZH[status]} ({status.value})"


def _unit_type(value: UnitType | str, *, error: type[ShaowangError], where: str) -> UnitType:
    try:
        return UnitType(value)
    except ValueError:
        known = ", ".join(u.value for u in UnitType)
        raise error(f"unknown unit type {value!r} (one of {known})", where=where) from None


def deadline_for(
    *, settings: ReportSettings, unit_type: UnitType | str, discovered_at: dt.datetime
) -> dt.datetime:
    """When a 通报 is due: ``discovered_at`` plus the hours configured for ``unit_type`` (aware UTC)."""
    kind = _unit_type(unit_type, error=ConfigError, where="reports.unit_type")
    key = f"reports.deadline_hours.{kind.value}"
    if kind.value not in settings.deadline_hours:
        raise ConfigError(f"no deadline configured for unit type {kind.value!r}", where=key)
    hours = settings.deadline_hours[kind.value]
    if not math.isfinite(hours) or hours <= 0:
        raise ConfigError(f"deadline must be a positive number of hours, not {hours!r}", where=key)
    return utc(discovered_at) + dt.timedelta(hours=hours)


def report_overdue(record: ReportRecord, now: dt.datetime) -> bool:
    """True when the record is still a draft after its deadline: it was not reported in time."""
    return record.status == ReportStatus.DRAFT and utc(now) > utc(record.deadline_at)


def notice_overdue(notice: Notice, now: dt.datetime) -> bool:
    """True when the notice is not closed and its rectification period has ended."""
    return notice.status != NoticeStatus.CLOSED and utc(now) > utc(notice.due_at)


def _snapshot(record: ReportRecord) -> dict[str, Any]:
    return {
        "incident_id": record.incident_id,
        "status": record.status,
        **{name: getattr(record, name) for name in EDITABLE_FIELDS},
        "deadline_at": record.deadline_at,
        "reported_at": record.reported_at,
    }


def _notice_snapshot(notice: Notice) -> dict[str, Any]:
    return {
        name: getattr(notice, name)
        for name in (
            "issuer",
            "reference",
            "title",
            "content",
            "owner_unit",
            "asset",
            "status",
            "received_at",
            "due_at",
            "feedback",
            "feedback_by",
            "review",
            "reviewed_by",
        )
    }


def _audit(
    session: Session,
    *,
    actor: str,
    actor_roles: Iterable[str],
    action: str,
    target: str,
    now: dt.datetime,
    source_ip: str | None,
    before: Any = None,
    after: Any = None,
    detail: Any = None,
) -> None:
    append_audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action=action,
        target=target,
        before=before,
        after=after,
        detail=detail,
        source_ip=source_ip,
        now=now,
    )


# -- 通报 records -----------------------------------------------------------------------------------


def get_report(session: Session, *, report_id: int) -> ReportRecord:
    """The 通报 record, or :class:`RecordNotFoundError`."""
    record = session.get(ReportRecord, report_id)
    if record is None:
        raise RecordNotFoundError(f"no 通报 record {report_id}")
    return record


def _affected_targets(session: Session, incident_id: int) -> str | None:
    """What the incident's alerts hit (their targets, else destination addresses), if anything."""
    rows = session.execute(
        select(AlertRecord.target, AlertRecord.destination_ip)
        .join(IncidentAlert, IncidentAlert.alert_id == AlertRecord.id)
        .where(IncidentAlert.incident_id == incident_id)
        .order_by(AlertRecord.timestamp, AlertRecord.id)
    )
    found: list[str] = [hit for target, address in rows if (hit := target or address)]
    targets = list(dict.fromkeys(found))
    if not targets:
        return None
    shown = "、".join(targets[:_AFFECTED_TARGETS])
    return shown if len(targets) <= _AFFECTED_TARGETS else f"{shown} 等 {len(targets)} 个目标"


def _text(value: str | None) -> str | None:
    return value if value and value.strip() else None


def create_report_for_incident(
    session: Session,
    *,
    incident_id: int,
    settings: ReportSettings,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    source_ip: str | None = None,
) -> ReportRecord:
    """The 通报 draft of an incident, made from it the first time and returned as is afterwards.

    Unit, unit type and contact come from ``settings``; category, level and discovery time
    (the incident's creation) from the incident; the impact from its description, the measures
    and preliminary cause from its handling record and cause analysis, the affected system from
    what its alerts hit.
    """
    existing = session.scalars(select(ReportRecord).where(ReportRecord.incident_id == incident_id)).first()
    if existing is not None:
        return existing
    incident = session.get(IncidentRecord, incident_id)
    if incident is None:
        raise RecordNotFoundError(f"no incident {incident_id}")
    discovered = utc(incident.created_at)
    when = utc(now)
    record = ReportRecord(
        incident_id=incident.id,
        status=ReportStatus.DRAFT.value,
        unit=settings.unit,
        unit_type=_unit_type(settings.unit_type, error=ConfigError, where="reports.unit_type").value,
        contact=settings.contact,
        category=incident.category,
        level=incident.level,
        discovered_at=discovered,
        affected_system=_affected_targets(session, incident.id),
        impact=_text(incident.description),
        measures=_text(incident.handling_record),
        preliminary_cause=_text(incident.cause_analysis),
        deadline_at=deadline_for(settings=settings, unit_type=settings.unit_type, discovered_at=discovered),
        created_by=actor,
        created_at=when,
        updated_at=when,
    )
    session.add(record)
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="report.create",
        target=str(record.id),
        after=_snapshot(record),
        detail={"incident_id": incident.id},
        now=when,
        source_ip=source_ip,
    )
    return record


def _checked(name: str, value: Any) -> Any:
    """``value`` for field ``name`` as stored, or :class:`ReportError` saying what is wrong."""
    if name in _REQUIRED_TEXT:
        if not isinstance(value, str) or not value.strip():
            raise ReportError(f"{name} must be a non-empty text")
        if name == "category":
            if len(value.strip()) > _CATEGORY_MAX:
                raise ReportError(f"category must be a GB/T 20986 code of at most {_CATEGORY_MAX} characters")
            return value.strip().upper()
        return value.strip()
    if name in _OPTIONAL_TEXT:
        if value is not None and not isinstance(value, str):
            raise ReportError(f"{name} must be a text or null")
        return _text(value)
    if name == "unit_type":
        if value is None:
            raise ReportError("unit_type cannot be null")
        return _unit_type(value, error=ReportError, where="unit_type").value
    if name == "level":
        try:
            return IncidentLevel(value).value
        except ValueError:
            known = ", ".join(level.value for level in IncidentLevel)
            raise ReportError(f"unknown level {value!r} (one of {known})") from None
    if name == "discovered_at":
        if not isinstance(value, dt.datetime):
            raise ReportError("discovered_at must be a date and time")
        return utc(value)
    raise ReportError(f"{name!r} is not a field of a 通报 record (editable: {', '.join(EDITABLE_FIELDS)})")


def create_report(
    session: Session,
    *,
    discovered_at: dt.datetime,
    category: str,
    level: IncidentLevel | str,
    settings: ReportSettings,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    unit: str | None = None,
    unit_type: UnitType | str | None = None,
    affected_system: str | None = None,
    place: str | None = None,
    impact: str | None = None,
    measures: str | None = None,
    preliminary_cause: str | None = None,
    investigation_leads: str | None = None,
    next_steps: str | None = None,
    contact: str | None = None,
    source_ip: str | None = None,
) -> ReportRecord:
    """A 通报 draft not tied to an incident; unit, unit type and contact default to ``settings``."""
    fields = {
        "unit": settings.unit if unit is None else unit,
        "unit_type": settings.unit_type if unit_type is None else unit_type,
        "affected_system": affected_system,
        "discovered_at": discovered_at,
        "place": place,
        "category": category,
        "level": level,
        "impact": impact,
        "measures": measures,
        "preliminary_cause": preliminary_cause,
        "investigation_leads": investigation_leads,
        "next_steps": next_steps,
        "contact": settings.contact if contact is None else contact,
    }
    values = {name: _checked(name, value) for name, value in fields.items()}
    when = utc(now)
    record = ReportRecord(
        incident_id=None,
        status=ReportStatus.DRAFT.value,
        deadline_at=deadline_for(
            settings=settings, unit_type=values["unit_type"], discovered_at=values["discovered_at"]
        ),
        created_by=actor,
        created_at=when,
        updated_at=when,
        **values,
    )
    session.add(record)
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="report.create",
        target=str(record.id),
        after=_snapshot(record),
        now=when,
        source_ip=source_ip,
    )
    return record


def update_report(
    session: Session,
    *,
    report_id: int,
    changes: Mapping[str, Any],
    settings: ReportSettings,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    source_ip: str | None = None,
) -> ReportRecord:
    """Change fields of the 办法 (see :data:`EDITABLE_FIELDS`) on a record that is not closed.

    A new unit type or discovery time moves the deadline with it.
    """
    record = get_report(session, report_id=report_id)
    if record.status == ReportStatus.CLOSED:
        raise StateRefusedError(
            f"通报 {report_id} is {_status_text(ReportStatus.CLOSED)} and can no longer be changed"
        )
    values = {name: _checked(name, value) for name, value in changes.items()}
    before = _snapshot(record)
    for name, value in values.items():
        setattr(record, name, value)
    if before["unit_type"] != record.unit_type or utc(before["discovered_at"]) != utc(record.discovered_at):
        record.deadline_at = deadline_for(
            settings=settings, unit_type=record.unit_type, discovered_at=record.discovered_at
        )
    after = _snapshot(record)
    changed = [k for k in after if after[k] != before[k]]
    if changed:
        record.updated_at = utc(now)
        session.flush()
        _audit(
            session,
            actor=actor,
            actor_roles=actor_roles,
            action="report.update",
            target=str(record.id),
            before={k: before[k] for k in changed},
            after={k: after[k] for k in changed},
            now=now,
            source_ip=source_ip,
        )
    return record


def transition_report(
    session: Session,
    *,
    report_id: int,
    to: ReportStatus | str,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    source_ip: str | None = None,
) -> ReportRecord:
    """Move the record along :data:`REPORT_TRANSITIONS`; moving to reported stamps ``reported_at``."""
    try:
        target = ReportStatus(to)
    except ValueError:
        known = ", ".join(s.value for s in ReportStatus)
        raise ReportError(f"unknown 通报 status {to!r} (one of {known})") from None
    record = get_report(session, report_id=report_id)
    current = ReportStatus(record.status)
    allowed = REPORT_TRANSITIONS[current]
    if target not in allowed:
        onward = (
            "、".join(_status_text(s) for s in ReportStatus if s in allowed) or "nothing (终态 final state)"
        )
        raise StateRefusedError(
            f"通报 {report_id} cannot go from {_status_text(current)} to {_status_text(target)}; "
            f"from {_status_text(current)} it may go to {onward}"
        )
    when = utc(now)
    record.status = target.value
    if target is ReportStatus.REPORTED:
        record.reported_at = when
    record.updated_at = when
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="report.status",
        target=str(record.id),
        before={"status": current.value},
        after={"status": target.value, **({"reported_at": when} if target is ReportStatus.REPORTED else {})},
        now=when,
        source_ip=source_ip,
    )
    return record


def _report_filter(status: ReportStatus | str | None, overdue: bool | None, now: dt.datetime) -> list[Any]:
    conditions: list[Any] = []
    if status is not None:
        conditions.append(ReportRecord.status == ReportStatus(status).value)
    if overdue is not None:
        late: ColumnElement[bool] = and_(
            ReportRecord.status == ReportStatus.DRAFT.value, ReportRecord.deadline_at < utc(now)
        )
        conditions.append(late if overdue else not_(late))
    return conditions


def list_reports(
    session: Session,
    *,
    status: ReportStatus | str | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
    limit: int | None = None,
    offset: int = 0,
) -> list[ReportRecord]:
    """Records in a status and/or (not) overdue at ``now``, newest first."""
    query = (
        select(ReportRecord)
        .where(*_report_filter(status, overdue, now))
        .order_by(ReportRecord.created_at.desc(), ReportRecord.id.desc())
        .offset(offset)
    )
    return list(session.scalars(query if limit is None else query.limit(limit)))


def count_reports(
    session: Session,
    *,
    status: ReportStatus | str | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
) -> int:
    """How many records :func:`list_reports` finds without a limit."""
    query = select(func.count()).select_from(ReportRecord).where(*_report_filter(status, overdue, now))
    return int(session.scalar(query) or 0)


# -- inbound notices ----------------------------------------------------------------------------------


def get_notice(session: Session, *, notice_id: int) -> Notice:
    """The notice, or :class:`RecordNotFoundError`."""
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise RecordNotFoundError(f"no notice {notice_id}")
    return notice


def _required(name: str, value: str) -> str:
    if not value or not value.strip():
        raise ReportError(f"{name} must be a non-empty text")
    return value.strip()


def create_notice(
    session: Session,
    *,
    issuer: str,
    title: str,
    owner_unit: str,
    received_at: dt.datetime,
    settings: ReportSettings,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    reference: str | None = None,
    content: str | None = None,
    asset: str | None = None,
    due_at: dt.datetime | None = None,
    source_ip: str | None = None,
) -> Notice:
    """Register an inbound notice as an open rectification task for ``owner_unit``.

    Without ``due_at`` the period is ``settings.notice_days`` from receipt.
    """
    received = utc(received_at)
    due = received + dt.timedelta(days=settings.notice_days) if due_at is None else utc(due_at)
    if due <= received:
        raise ReportError("the rectification deadline (due_at) must be after the notice was received")
    when = utc(now)
    notice = Notice(
        issuer=_required("issuer", issuer),
        reference=_text(reference),
        title=_required("title", title),
        content=_text(content),
        owner_unit=_required("owner_unit", owner_unit),
        asset=_text(asset),
        status=NoticeStatus.OPEN.value,
        received_at=received,
        due_at=due,
        created_by=actor,
        created_at=when,
        updated_at=when,
    )
    session.add(notice)
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="notice.create",
        target=str(notice.id),
        after=_notice_snapshot(notice),
        now=when,
        source_ip=source_ip,
    )
    return notice


def _expect(notice: Notice, status: NoticeStatus, doing: str) -> None:
    current = NoticeStatus(notice.status)
    if current is not status:
        raise StateRefusedError(
            f"notice {notice.id} is {_notice_status_text(current)}: {doing} needs it "
            f"{_notice_status_text(status)}"
        )


def notice_feedback(
    session: Session,
    *,
    notice_id: int,
    text: str,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    source_ip: str | None = None,
) -> Notice:
    """The owner unit's answer (what was rectified): open → feedback."""
    notice = get_notice(session, notice_id=notice_id)
    _expect(notice, NoticeStatus.OPEN, "feedback")
    answer = _required("feedback", text)
    when = utc(now)
    notice.status = NoticeStatus.FEEDBACK.value
    notice.feedback, notice.feedback_by, notice.feedback_at = answer, actor, when
    notice.updated_at = when
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="notice.feedback",
        target=str(notice.id),
        before={"status": NoticeStatus.OPEN.value},
        after={"status": notice.status, "feedback": answer},
        now=when,
        source_ip=source_ip,
    )
    return notice


def review_notice(
    session: Session,
    *,
    notice_id: int,
    accept: bool,
    text: str,
    actor: str,
    actor_roles: Iterable[str] = (),
    now: dt.datetime,
    source_ip: str | None = None,
) -> Notice:
    """Review the feedback: accepted → closed; not accepted → back to open (the text says why)."""
    notice = get_notice(session, notice_id=notice_id)
    _expect(notice, NoticeStatus.FEEDBACK, "a review")
    review = text.strip() if text else ""
    if not accept and not review:
        raise ReportError("sending feedback back needs a review text saying what is still missing")
    when = utc(now)
    notice.status = (NoticeStatus.CLOSED if accept else NoticeStatus.OPEN).value
    notice.review, notice.reviewed_by, notice.reviewed_at = review or None, actor, when
    notice.updated_at = when
    session.flush()
    _audit(
        session,
        actor=actor,
        actor_roles=actor_roles,
        action="notice.review",
        target=str(notice.id),
        before={"status": NoticeStatus.FEEDBACK.value},
        after={"status": notice.status, "review": notice.review},
        detail={"accept": accept},
        now=when,
        source_ip=source_ip,
    )
    return notice


def _notice_filter(status: NoticeStatus | str | None, overdue: bool | None, now: dt.datetime) -> list[Any]:
    conditions: list[Any] = []
    if status is not None:
        conditions.append(Notice.status == NoticeStatus(status).value)
    if overdue is not None:
        late: ColumnElement[bool] = and_(Notice.status != NoticeStatus.CLOSED.value, Notice.due_at < utc(now))
        conditions.append(late if overdue else not_(late))
    return conditions


def list_notices(
    session: Session,
    *,
    status: NoticeStatus | str | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
    limit: int | None = None,
    offset: int = 0,
) -> list[Notice]:
    """Notices in a status and/or (not) overdue at ``now``, most recently received first."""
    query = (
        select(Notice)
        .where(*_notice_filter(status, overdue, now))
        .order_by(Notice.received_at.desc(), Notice.id.desc())
        .offset(offset)
    )
    return list(session.scalars(query if limit is None else query.limit(limit)))


def count_notices(
    session: Session,
    *,
    status: NoticeStatus | str | None = None,
    overdue: bool | None = None,
    now: dt.datetime,
) -> int:
    """How many notices :func:`list_notices` finds without a limit."""
    query = select(func.count()).select_from(Notice).where(*_notice_filter(status, overdue, now))
    return int(session.scalar(query) or 0)
