"""Stats routes: what was received, stored, dead-lettered and dropped."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext

router = APIRouter(prefix="/api/v1/stats", tags=["stats"])
_can_read_stats = require(Permission.STATS_READ)


@router.get("/ingest")
def ingest_stats(
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read_stats),
) -> dict[str, Any]:
    """Intake and pipeline counters, latency percentiles and per-peer figures."""
    return ctx.ingest_stats()
