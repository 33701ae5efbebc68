"""Request and response bodies of the triage routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from soc_core.alerts import attack_techniques
from soc_core.state.models import AlertComment, AlertRecord
from soc_core.vocabulary import AlertStatus, Disposition, Severity


class AlertSummary(BaseModel):
    """One row of the queue."""

    id: str
    rule_id: str
    rule_name: str
    severity: int
    severity_label: str
    status: str
    assignee: str | None
    disposition: str | None
    timestamp: dt.datetime
    last_seen: dt.datetime
    count: int
    source_ip: str | None
    destination_ip: str | None
    target: str | None
    attack_type: str | None
    gb20986_category: str | None
    tags: list[str]
    group_key: str | None
    demo: bool = False

    @classmethod
    def of(cls, row: AlertRecord, *, demo: bool = False) -> AlertSummary:
        """The queue row of an alert record."""
        return cls(
            id=row.id,
            rule_id=row.rule_id,
            rule_name=row.rule_name,
            severity=row.severity,
            severity_label=Severity(row.severity).label_zh,
            status=row.status,
            assignee=row.assignee,
            disposition=row.disposition,
            timestamp=row.timestamp,
            last_seen=row.last_seen,
            count=row.count,
            source_ip=row.source_ip,
            destination_ip=row.destination_ip,
            target=row.target,
            attack_type=row.attack_type,
            gb20986_category=row.gb20986,
            tags=list(row.tags),
            group_key=row.group_key,
            demo=demo,
        )


class CommentOut(BaseModel):
    """An analyst's comment."""

    id: int
    author: str
    text: str
    created_at: dt.datetime

    @classmethod
    def of(cls, row: AlertComment) -> CommentOut:
        """The comment as the API shows it."""
        return cls(id=row.id, author=row.author, text=row.text, created_at=row.created_at)


class AlertDetail(AlertSummary):
    """An alert with its description, comments and linked events."""

    description: str | None = None
    rule_path: str | None = None
    url: str | None = None
    gb20986_name: str | None = None
    techniques: list[str] = Field(default_factory=list)
    event_ids: list[str] = Field(default_factory=list)
    comments: list[CommentOut] = Field(default_factory=list)
    events: list[dict[str, Any]] = Field(default_factory=list)
    incident_ids: list[int] = Field(default_factory=list)

    @classmethod
    def build(
        cls,
        row: AlertRecord,
        *,
        comments: list[AlertComment],
        events: list[dict[str, Any]],
        incident_ids: list[int],
        demo: bool = False,
    ) -> AlertDetail:
        """The detail view of an alert record."""
        payload = row.payload
        return cls(
            **AlertSummary.of(row, demo=demo).model_dump(),
            description=payload.get("description"),
            rule_path=payload.get("rule_path"),
            url=payload.get("url"),
            gb20986_name=payload.get("gb20986_name"),
            techniques=attack_techniques(list(row.tags)),
            event_ids=list(row.event_ids),
            comments=[CommentOut.of(c) for c in comments],
            events=events,
            incident_ids=incident_ids,
        )


class AlertPage(BaseModel):
    """A page of the queue and how many alerts match in all."""

    total: int
    items: list[AlertSummary]


class AlertList(BaseModel):
    """Alerts without paging."""

    items: list[AlertSummary]


class AlertGroup(BaseModel):
    """Similar alerts: the same rule from the same source."""

    rule_id: str
    rule_name: str
    source_ip: str | None
    severity: int
    alerts: int
    matches: int
    last_seen: dt.datetime
    statuses: dict[str, int]


class AlertGroups(BaseModel):
    """Groups of similar alerts, the most recent first."""

    items: list[AlertGroup]


class TriageChange(BaseModel):
    """What an analyst changes on an alert; fields left out stay as they are."""

    status: AlertStatus | None = None
    assignee: str | None = Field(default=None, max_length=64, description='"" or null unassigns')
    disposition: Disposition | None = None
    comment: str | None = Field(default=None, max_length=10_000)


class BulkTriage(TriageChange):
    """The same change to several alerts at once (all or none)."""

    ids: list[str] = Field(min_length=1, max_length=1000)


class BulkResult(BaseModel):
    """How many alerts changed."""

    updated: int


class CommentIn(BaseModel):
    """A new comment."""

    text: str = Field(min_length=1, max_length=10_000)


class Assignee(BaseModel):
    """Someone alerts can be assigned to."""

    username: str
    display_name: str | None


class Assignees(BaseModel):
    """Everyone alerts can be assigned to."""

    items: list[Assignee]
