"""Request and response bodies of the 通报 and notice routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from playbooks.reports import NOTICE_STATUS_LABELS_ZH, UNIT_TYPE_LABELS_ZH, notice_overdue, report_overdue
from soc_core.state.models import utc
from soc_core.state.response import Notice, ReportRecord
from soc_core.vocabulary import (
    REPORT_STATUS_LABELS_ZH,
    REPORT_TRANSITIONS,
    IncidentLevel,
    NoticeStatus,
    ReportStatus,
    UnitType,
)

_TEXT = 20_000
_LINE = 2_000


def _remaining(deadline: dt.datetime, now: dt.datetime) -> float:
    return round((utc(deadline) - utc(now)).total_seconds(), 3)


class ReportOut(BaseModel):
    """A 通报 record with its state in Chinese, its deadline and whether it was missed."""

    id: int
    incident_id: int | None
    status: str
    status_zh: str
    next_statuses: list[str] = Field(description="the states it may move to next")
    unit: str
    unit_type: str
    unit_type_zh: str
    affected_system: str | None
    discovered_at: dt.datetime
    place: str | None
    category: str
    category_label: str
    level: str
    level_label: str
    impact: str | None
    measures: str | None
    preliminary_cause: str | None
    investigation_leads: str | None
    next_steps: str | None
    contact: str | None
    deadline_at: dt.datetime
    remaining_s: float | None = Field(
        description="seconds left to the deadline while a draft (negative once missed); null once reported"
    )
    overdue: bool = Field(description="still a draft after its deadline: not reported in time")
    reported_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: ReportRecord, *, now: dt.datetime, category_label: str) -> ReportOut:
        """The record as the API shows it at ``now``."""
        status = ReportStatus(row.status)
        return cls(
            id=row.id,
            incident_id=row.incident_id,
            status=status.value,
            status_zh=REPORT_STATUS_LABELS_ZH[status],
            next_statuses=[s.value for s in ReportStatus if s in REPORT_TRANSITIONS[status]],
            unit=row.unit,
            unit_type=row.unit_type,
            unit_type_zh=UNIT_TYPE_LABELS_ZH[UnitType(row.unit_type)],
            affected_system=row.affected_system,
            discovered_at=row.discovered_at,
            place=row.place,
            category=row.category,
            category_label=category_label,
            level=row.level,
            level_label=IncidentLevel(row.level).label_zh,
            impact=row.impact,
            measures=row.measures,
            preliminary_cause=row.preliminary_cause,
            investigation_leads=row.investigation_leads,
            next_steps=row.next_steps,
            contact=row.contact,
            deadline_at=row.deadline_at,
            remaining_s=_remaining(row.deadline_at, now) if status is ReportStatus.DRAFT else None,
            overdue=report_overdue(row, now),
            reported_at=row.reported_at,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class ReportPage(BaseModel):
    """A page of 通报 records and how many match in all."""

    total: int
    items: list[ReportOut]


class ReportCreate(BaseModel):
    """A 通报 record not made from an incident; unit, unit type and contact default to ``[reports]``."""

    discovered_at: dt.datetime = Field(description="发现时间")
    category: str = Field(min_length=1, max_length=16, description="GB/T 20986 code, e.g. NAI")
    level: IncidentLevel = IncidentLevel.GENERAL
    unit: str | None = Field(default=None, min_length=1, max_length=_LINE)
    unit_type: UnitType | None = None
    affected_system: str | None = Field(default=None, max_length=_TEXT)
    place: str | None = Field(default=None, max_length=_TEXT)
    impact: str | None = Field(default=None, max_length=_TEXT)
    measures: str | None = Field(default=None, max_length=_TEXT)
    preliminary_cause: str | None = Field(default=None, max_length=_TEXT)
    investigation_leads: str | None = Field(default=None, max_length=_TEXT)
    next_steps: str | None = Field(default=None, max_length=_TEXT)
    contact: str | None = Field(default=None, max_length=_LINE)


class ReportChange(BaseModel):
    """Fields of the 办法 to change; those left out stay as they are."""

    discovered_at: dt.datetime | None = None
    category: str | None = Field(default=None, min_length=1, max_length=16)
    level: IncidentLevel | None = None
    unit: str | None = Field(default=None, min_length=1, max_length=_LINE)
    unit_type: UnitType | None = None
    affected_system: str | None = Field(default=None, max_length=_TEXT)
    place: str | None = Field(default=None, max_length=_TEXT)
    impact: str | None = Field(default=None, max_length=_TEXT)
    measures: str | None = Field(default=None, max_length=_TEXT)
    preliminary_cause: str | None = Field(default=None, max_length=_TEXT)
    investigation_leads: str | None = Field(default=None, max_length=_TEXT)
    next_steps: str | None = Field(default=None, max_length=_TEXT)
    contact: str | None = Field(default=None, max_length=_LINE)


class StatusIn(BaseModel):
    """The state to move a 通报 record to."""

    status: ReportStatus


class NoticeOut(BaseModel):
    """An inbound notice with its state in Chinese, its deadline and whether it was missed."""

    id: int
    issuer: str
    reference: str | None
    title: str
    content: str | None
    owner_unit: str
    asset: str | None
    status: str
    status_zh: str
    received_at: dt.datetime
    due_at: dt.datetime
    remaining_s: float | None = Field(
        description="seconds left in the rectification period (negative once missed); null once closed"
    )
    overdue: bool = Field(description="not closed after its rectification deadline")
    feedback: str | None
    feedback_by: str | None
    feedback_at: dt.datetime | None
    review: str | None
    reviewed_by: str | None
    reviewed_at: dt.datetime | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @classmethod
    def of(cls, row: Notice, *, now: dt.datetime) -> NoticeOut:
        """The notice as the API shows it at ``now``."""
        status = NoticeStatus(row.status)
        return cls(
            id=row.id,
            issuer=row.issuer,
            reference=row.reference,
            title=row.title,
            content=row.content,
            owner_unit=row.owner_unit,
            asset=row.asset,
            status=status.value,
            status_zh=NOTICE_STATUS_LABELS_ZH[status],
            received_at=row.received_at,
            due_at=row.due_at,
            remaining_s=None if status is NoticeStatus.CLOSED else _remaining(row.due_at, now),
            overdue=notice_overdue(row, now),
            feedback=row.feedback,
            feedback_by=row.feedback_by,
            feedback_at=row.feedback_at,
            review=row.review,
            reviewed_by=row.reviewed_by,
            reviewed_at=row.reviewed_at,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


class NoticePage(BaseModel):
    """A page of notices and how many match in all."""

    total: int
    items: list[NoticeOut]


class NoticeCreate(BaseModel):
    """An inbound notice to register; the period defaults to ``reports.notice_days`` from receipt."""

    issuer: str = Field(min_length=1, max_length=_LINE, description="通报单位, e.g. 区网信办")
    reference: str | None = Field(default=None, max_length=_LINE, description="文号")
    title: str = Field(min_length=1, max_length=_LINE)
    content: str | None = Field(default=None, max_length=_TEXT)
    owner_unit: str = Field(min_length=1, max_length=_LINE, description="整改责任单位")
    asset: str | None = Field(default=None, max_length=_LINE, description="涉及的系统或地址")
    received_at: dt.datetime | None = Field(default=None, description="default: now")
    due_at: dt.datetime | None = Field(default=None, description="整改期限")


class FeedbackIn(BaseModel):
    """The owner unit's answer: what was rectified."""

    text: str = Field(min_length=1, max_length=_TEXT)


class ReviewIn(BaseModel):
    """Accept the feedback (closes the notice) or send it back with what is still missing."""

    accept: bool
    text: str = Field(default="", max_length=_TEXT)
