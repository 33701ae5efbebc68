"""The compliance domain's data: catalogue items, their verdicts, and the report a pack is made of."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from soc_core.vocabulary import ComplianceStatus

MANUAL = "manual"  # the measure id of an item the platform cannot judge from its own data


class Link(BaseModel):
    """A console page holding the data behind an item (``#/search?q=…``, ``#/sources``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    label: str = Field(min_length=1)
    href: str = Field(pattern=r"^#/")


class CatalogueItem(BaseModel):
    """One GB/T 22239-2019 level-3 item the platform evidences, as written in ``catalogue.yaml``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    clause: str = Field(pattern=r"^8\.1\.\d+\.\d+$", description="clause number, e.g. 8.1.3.3")
    item: str = Field(pattern=r"^[a-f]$", description="the lettered item, e.g. d")
    control: str = Field(min_length=1, description="the control's Chinese name, e.g. 入侵防范")
    text: str = Field(min_length=1, description="the requirement as the standard words it")
    evidenced_by: str = Field(min_length=1, description="which platform data evidences it")
    method: str = Field(min_length=1, description="how the status is measured")
    measure: str = Field(min_length=1, description="a measure id from compliance.measures, or 'manual'")
    high_risk: bool = Field(description="a failure is 高风险 under the 高风险判定指引")
    high_risk_note: str | None = Field(default=None, description="the 高风险 case it corresponds to")
    links: tuple[Link, ...] = ()

    @property
    def key(self) -> str:
        """``8.1.3.3 d)`` as reports cite it."""
        return f"{self.clause} {self.item})"


class Finding(BaseModel):
    """What a measure concluded: the verdict, one Chinese sentence, and the numbers behind it."""

    status: ComplianceStatus
    summary: str
    numbers: dict[str, Any] = Field(default_factory=dict)


class ItemResult(BaseModel):
    """A catalogue item with its verdict on the live data."""

    clause: str
    item: str
    control: str
    text: str
    evidenced_by: str
    method: str
    measure: str
    high_risk: bool
    high_risk_note: str | None
    status: ComplianceStatus
    status_zh: str
    summary: str
    evidence: dict[str, Any]
    links: list[Link]

    @property
    def key(self) -> str:
        """``8.1.3.3 d)`` as reports cite it."""
        return f"{self.clause} {self.item})"


class SourceRow(BaseModel):
    """One registered log source (a ``[[sources]]`` mapping) or an unregistered sender."""

    match: str
    dataset: str | None
    registered: bool
    events_in_period: int
    first_retained: dt.datetime | None
    last_seen: dt.datetime | None
    expected_interval_s: int
    silent: bool
    silent_for_s: float | None


class RetentionRow(BaseModel):
    """Retention proof for one dataset: the oldest event still held and when 180 days are reached."""

    dataset: str
    events: int
    oldest_day: str
    days_retained: int
    meets_minimum: bool
    projected_date: str | None = Field(description="when the oldest day reaches the minimum, if not yet")


class RoleHolder(BaseModel):
    """Who holds a role (三员分立 evidence)."""

    username: str
    display_name: str | None
    roles: list[str]
    disabled: bool
    locked: bool


class ComplianceReport(BaseModel):
    """Everything an evidence pack is made of, computed once."""

    generated_at: dt.datetime
    period_start: dt.datetime
    period_end: dt.datetime
    platform: str
    items: list[ItemResult]
    totals: dict[str, int]
    sources: list[SourceRow]
    retention_days_policy: int
    retention: list[RetentionRow]
    samples: list[dict[str, Any]] = Field(description="the newest event per dataset, as stored")
    rules: list[dict[str, Any]]
    alerts: list[dict[str, Any]]
    incidents: list[dict[str, Any]]
    role_matrix: dict[str, list[str]] = Field(description="permission → roles that hold it")
    role_holders: list[RoleHolder]
    operation_log: list[dict[str, Any]]
    operation_log_truncated: bool
    checks: dict[str, Any] = Field(description="store manifest and operation-log chain verification")
