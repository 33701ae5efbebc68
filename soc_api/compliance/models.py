"""Request and response bodies of the compliance routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field

from compliance.models import CatalogueItem, ItemResult


class ComplianceStatusOut(BaseModel):
    """Every item's verdict for a period, high-risk and worst first."""

    period_start: dt.datetime
    period_end: dt.datetime
    generated_at: dt.datetime
    totals: dict[str, int] = Field(
        description="items per status: compliant, partial, non_compliant, undetermined"
    )
    high_risk_failing: int = Field(description="high-risk items that are not compliant or partial")
    items: list[ItemResult]


class CatalogueOut(BaseModel):
    """The level-3 items the platform evidences."""

    items: list[CatalogueItem]


class ExportIn(BaseModel):
    """The period of an evidence pack (default: the last ``compliance.period_days`` days)."""

    start: dt.datetime | None = Field(default=None, alias="from")
    end: dt.datetime | None = Field(default=None, alias="to")

    model_config = {"populate_by_name": True}
