"""Compliance use cases: evaluate the catalogue for a period, write and record an evidence pack."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

from compliance.models import ComplianceReport
from compliance.pack import MANIFEST_NAME, PACK_FILES, write_pack
from compliance.report import build_report, gap_order
from soc_api.audit.service import record
from soc_api.auth.deps import Principal
from soc_api.auth.permissions import MATRIX
from soc_api.compliance.models import ComplianceStatusOut
from soc_core.config import Settings
from soc_core.digests import file_digests
from soc_core.state.db import StateStore
from soc_core.storage.base import EventStore
from soc_core.vocabulary import ComplianceStatus

EXPORTS_DIR = "compliance"


def role_matrix() -> dict[str, list[str]]:
    """The API's role matrix as permission → roles (what the pack shows the assessor)."""
    return {p.value: sorted(r.value for r in roles) for p, roles in MATRIX.items()}


def period(
    *, settings: Settings, start: dt.datetime | None, end: dt.datetime | None, now: dt.datetime | None = None
) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)``: ``end`` defaults to now, ``start`` to ``compliance.period_days`` before it."""
    stop = end or now or dt.datetime.now(dt.UTC)
    begin = start or stop - dt.timedelta(days=settings.compliance.period_days)
    if begin >= stop:
        raise ValueError("the period must start before it ends")
    return begin, stop


def report(
    *, events: EventStore, state: StateStore, settings: Settings, start: dt.datetime, end: dt.datetime
) -> ComplianceReport:
    """The whole report for the period."""
    return build_report(
        events=events, state=state, settings=settings, start=start, end=end, role_matrix=role_matrix()
    )


def status(report: ComplianceReport) -> ComplianceStatusOut:
    """The gap view of a report."""
    failing = {ComplianceStatus.NON_COMPLIANT, ComplianceStatus.PARTIAL}
    return ComplianceStatusOut(
        period_start=report.period_start,
        period_end=report.period_end,
        generated_at=report.generated_at,
        totals=report.totals,
        high_risk_failing=sum(r.high_risk and r.status in failing for r in report.items),
        items=gap_order(report.items),
    )


def export_pack(
    *,
    events: EventStore,
    state: StateStore,
    settings: Settings,
    principal: Principal,
    start: dt.datetime,
    end: dt.datetime,
) -> Path:
    """Write the pack under ``<data>/compliance/<time>-<user>/``, zip it, and record the export.

    Returns the zip's path. The operation-log entry names the period and every file's SHA-256.
    """
    made = build_report(
        events=events, state=state, settings=settings, start=start, end=end, role_matrix=role_matrix()
    )
    stamp = made.generated_at.strftime("%Y%m%dT%H%M%SZ")
    safe_user = re.sub(r"[^A-Za-z0-9_.@-]", "_", principal.username)
    out_dir = settings.data_dir / EXPORTS_DIR / f"{stamp}-{safe_user}"
    write_pack(made, out_dir, font=settings.compliance.font)
    archive = out_dir.with_suffix(".zip")
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        for name in (*PACK_FILES, MANIFEST_NAME):
            zipped.write(out_dir / name, arcname=f"{out_dir.name}/{name}")
    with state.session() as session:
        record(
            session,
            principal=principal,
            action="compliance.export",
            target=out_dir.name,
            detail={
                "from": start.isoformat(),
                "to": end.isoformat(),
                "totals": made.totals,
                "sha256": {name: file_digests(out_dir / name)[0] for name in (*PACK_FILES, MANIFEST_NAME)},
            },
        )
    return archive
