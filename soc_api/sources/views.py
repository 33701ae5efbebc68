"""Log-source routes."""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends
from pydantic import BaseModel

from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.sources.service import SourceHealth, source_health

router = APIRouter(prefix="/api/v1/sources", tags=["sources"])
_can_read = require(Permission.SOURCES_READ)


class SourceList(BaseModel):
    """Every sender seen since the platform started, silent ones first."""

    items: list[SourceHealth]


@router.get("", response_model=SourceList)
def list_sources(ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)) -> SourceList:
    """Senders with their counters and whether they went silent."""
    peers = ctx.ingest_stats().get("peers", [])
    expected = ctx.settings.detection.silence_after_s
    return SourceList(items=source_health(peers, now=time.time(), expected_interval_s=expected))
