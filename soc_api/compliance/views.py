"""Compliance routes: the catalogue, the live status (gap view) and the evidence-pack export."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from compliance.report import catalogue
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.compliance import service
from soc_api.compliance.models import CatalogueOut, ComplianceStatusOut, ExportIn
from soc_api.context import AppContext
from soc_api.errors import ApiError
from soc_api.params import optional_utc

router = APIRouter(prefix="/api/v1/compliance", tags=["compliance"])
_can_read = require(Permission.COMPLIANCE_READ)
_can_export = require(Permission.COMPLIANCE_EXPORT)


def _period(
    ctx: AppContext, start: dt.datetime | None, end: dt.datetime | None
) -> tuple[dt.datetime, dt.datetime]:
    try:
        return service.period(settings=ctx.settings, start=optional_utc(start), end=optional_utc(end))
    except ValueError as exc:
        raise ApiError(str(exc)) from None


@router.get("/catalogue", response_model=CatalogueOut)
def get_catalogue(_: Principal = Depends(_can_read)) -> CatalogueOut:
    """The GB/T 22239-2019 level-3 items the platform evidences, with how each is measured."""
    return CatalogueOut(items=catalogue())


@router.get("/status", response_model=ComplianceStatusOut)
async def get_status(
    start: Annotated[dt.datetime | None, Query(alias="from")] = None,
    end: Annotated[dt.datetime | None, Query(alias="to")] = None,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> ComplianceStatusOut:
    """Each item's status on live data, high-risk items first, with the numbers behind it."""
    begin, stop = _period(ctx, start, end)
    made = await run_in_threadpool(
        service.report, events=ctx.events, state=ctx.state, settings=ctx.settings, start=begin, end=stop
    )
    return service.status(made)


@router.post(
    "/export",
    response_class=FileResponse,
    responses={200: {"content": {"application/zip": {}}, "description": "the evidence pack"}},
)
async def export(
    body: ExportIn | None = None,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_export),
) -> FileResponse:
    """The evidence pack (report.pdf, evidence.xlsx, evidence.json, MANIFEST) as a zip; recorded."""
    given = body or ExportIn()
    begin, stop = _period(ctx, given.start, given.end)
    archive = await run_in_threadpool(
        service.export_pack,
        events=ctx.events,
        state=ctx.state,
        settings=ctx.settings,
        principal=principal,
        start=begin,
        end=stop,
    )
    return FileResponse(archive, media_type="application/zip", filename=archive.name)
