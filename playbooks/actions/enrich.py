"""``enrich``: who owns the source and destination, and how busy the source has been."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from playbooks.context import StepContext, StepResult
from playbooks.models import EnrichStep
from soc_core.state.models import AlertRecord, AssetRecord

_ASSET_FIELDS = ("ip", "hostname", "owner_unit", "zone", "device_type", "level", "criticality", "contact")


def asset_for(ctx: StepContext, ip: str | None) -> dict[str, Any] | None:
    """The register's entry for an address, as a dict (None when unregistered)."""
    if not ip:
        return None
    row = ctx.session.scalar(select(AssetRecord).where(AssetRecord.ip == ip))
    return None if row is None else {name: getattr(row, name) for name in _ASSET_FIELDS}


def run(step: EnrichStep, ctx: StepContext) -> StepResult:
    """Asset context for both ends and the source's alerts over the last day."""
    alert = ctx.alert
    source = alert.get("source_ip")
    recent = 0
    if source:
        recent = int(
            ctx.session.scalar(
                select(func.count())
                .select_from(AlertRecord)
                .where(
                    AlertRecord.source_ip == source, AlertRecord.timestamp >= ctx.now - dt.timedelta(days=1)
                )
            )
            or 0
        )
    return StepResult(
        status="succeeded",
        outputs={
            "asset": {
                "source": asset_for(ctx, source),
                "destination": asset_for(ctx, alert.get("destination_ip")),
            },
            "source_alerts_24h": recent,
        },
    )
