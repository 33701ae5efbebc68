"""Request and response bodies of the incident routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from soc_core.state.models import IncidentEvidence, IncidentRecord, IncidentTimelineEntry
from soc_core.vocabulary import EvidenceKind, IncidentLevel, IncidentStatus

_TEXT = 20_000


class IncidentSummary(BaseModel):
    """One row of the incident list."""

    id: int
    title: str
    category: str
    category_label: str
    level: str
    level_label: str
    status: str
    owner: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    closed_at: dt.datetime | None
    alert_count: int

    @classmethod
    def of(cls, row: IncidentRecord, *, category_label: str) -> IncidentSummary:
        """The list row of an incident."""
        return cls(
            id=row.id,
            title=row.title,
            category=row.category,
            category_label=category_label,
            level=row.level,
            level_label=IncidentLevel(row.level).label_zh,
            status=row.status,
            owner=row.owner,
            created_by=row.created_by,
            created_at=row.created_at,
            updated_at=row.updated_at,
            closed_at=row.closed_at,
            alert_count=len(row.alert_links),
        )


class TimelineOut(BaseModel):
    """One timeline entry."""

    id: int
    at: dt.datetime
    author: str
    kind: str
    text: str

    @classmethod
    def of(cls, row: IncidentTimelineEntry) -> TimelineOut:
        """The entry as the API shows it."""
        return cls(id=row.id, at=row.at, author=row.author, kind=row.kind, text=row.text)


class EvidenceOut(BaseModel):
    """One piece of evidence."""

    id: int
    kind: str
    ref: str
    note: str | None
    sha256: str | None
    added_by: str
    added_at: dt.datetime
    download: str | None = Field(default=None, description="URL of an uploaded file")

    @classmethod
    def of(cls, row: IncidentEvidence) -> EvidenceOut:
        """The evidence as the API shows it."""
        uploaded = row.ref.startswith("evidence/")
        return cls(
            download=f"/api/v1/incidents/{row.incident_id}/evidence/{row.id}/file" if uploaded else None,
            id=row.id,
            kind=row.kind,
            ref=row.ref,
            note=row.note,
            sha256=row.sha256,
            added_by=row.added_by,
            added_at=row.added_at,
        )


class Incident(IncidentSummary):
    """An incident with its handling record, timeline and evidence."""

    description: str | None
    cause_analysis: str | None
    handling_record: str | None
    lessons_learned: str | None
    alert_ids: list[str]
    timeline: list[TimelineOut]
    evidence: list[EvidenceOut]

    @classmethod
    def build(cls, row: IncidentRecord, *, category_label: str) -> Incident:
        """The detail view of an incident."""
        return cls(
            **IncidentSummary.of(row, category_label=category_label).model_dump(),
            description=row.description,
            cause_analysis=row.cause_analysis,
            handling_record=row.handling_record,
            lessons_learned=row.lessons_learned,
            alert_ids=row.alert_ids,
            timeline=[TimelineOut.of(t) for t in row.timeline],
            evidence=[EvidenceOut.of(e) for e in row.evidence],
        )


class IncidentPage(BaseModel):
    """A page of incidents and how many match in all."""

    total: int
    items: list[IncidentSummary]


class IncidentCreate(BaseModel):
    """A new incident."""

    title: str = Field(min_length=1, max_length=500)
    category: str = Field(min_length=1, max_length=16, description="GB/T 20986 code, e.g. NAI")
    level: IncidentLevel = IncidentLevel.GENERAL
    description: str | None = Field(default=None, max_length=_TEXT)
    owner: str | None = Field(default=None, max_length=64)
    alert_ids: list[str] = Field(default_factory=list, max_length=1000)


class IncidentChange(BaseModel):
    """Fields to change; those left out stay as they are."""

    title: str | None = Field(default=None, min_length=1, max_length=500)
    category: str | None = Field(default=None, min_length=1, max_length=16)
    level: IncidentLevel | None = None
    status: IncidentStatus | None = None
    owner: str | None = Field(default=None, max_length=64)
    description: str | None = Field(default=None, max_length=_TEXT)
    cause_analysis: str | None = Field(default=None, max_length=_TEXT)
    handling_record: str | None = Field(default=None, max_length=_TEXT)
    lessons_learned: str | None = Field(default=None, max_length=_TEXT)
    add_alert_ids: list[str] = Field(default_factory=list, max_length=1000)


class TimelineIn(BaseModel):
    """A note on the timeline."""

    text: str = Field(min_length=1, max_length=_TEXT)


class EvidenceIn(BaseModel):
    """A piece of evidence to add."""

    kind: EvidenceKind
    ref: str = Field(min_length=1, max_length=2000, description="event id, alert id, pcap or file path")
    note: str | None = Field(default=None, max_length=_TEXT)
    sha256: str | None = Field(default=None, pattern=r"^[0-9a-fA-F]{64}$")


class CategoryOut(BaseModel):
    """A GB/T 20986 category with its subcategories."""

    code: str
    label_zh: str
    subcategories: list[CategoryOut] = Field(default_factory=list)


class LevelOut(BaseModel):
    """An incident grade."""

    code: str
    label_zh: str


class Catalogue(BaseModel):
    """What an incident can be classified and graded as."""

    edition: str
    categories: list[CategoryOut]
    levels: list[LevelOut]
    statuses: list[str]
