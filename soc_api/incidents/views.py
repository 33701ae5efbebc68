"""Incident routes: list, open, view, change, timeline notes and evidence."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import FileResponse
from starlette.concurrency import run_in_threadpool

from detectors.gb20986 import default_table
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.errors import ApiError
from soc_api.incidents.evidence import MAX_EVIDENCE_BYTES, evidence_path, store_upload, upload_ref
from soc_api.incidents.models import (
    Catalogue,
    CategoryOut,
    EvidenceIn,
    EvidenceOut,
    Incident,
    IncidentChange,
    IncidentCreate,
    IncidentPage,
    IncidentSummary,
    LevelOut,
    TimelineIn,
    TimelineOut,
)
from soc_api.incidents.service import (
    add_evidence,
    add_timeline_entry,
    category_label,
    create_incident,
    get_or_404,
    list_incidents,
    update_incident,
)
from soc_api.params import RowId
from soc_core.state.models import IncidentEvidence
from soc_core.vocabulary import EvidenceKind, IncidentLevel, IncidentStatus

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
_can_read = require(Permission.INCIDENTS_READ)
_can_manage = require(Permission.INCIDENTS_MANAGE)


@router.get("", response_model=IncidentPage)
def list_all(
    status_: Annotated[IncidentStatus | None, Query(alias="status")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> IncidentPage:
    """Incidents, most recently changed first."""
    with ctx.state.session(readonly=True) as session:
        total, rows = list_incidents(session, status=status_, limit=limit, offset=offset)
        return IncidentPage(
            total=total,
            items=[IncidentSummary.of(r, category_label=category_label(r.category)) for r in rows],
        )


@router.get("/catalogue", response_model=Catalogue)
def catalogue(_: Principal = Depends(_can_read)) -> Catalogue:
    """GB/T 20986 categories (with subcategories), grades and statuses."""
    table = default_table()
    tops = [c for c in table.categories.values() if c.parent is None]
    return Catalogue(
        edition=table.edition,
        categories=[
            CategoryOut(
                code=top.code,
                label_zh=top.name,
                subcategories=[
                    CategoryOut(code=c.code, label_zh=c.name)
                    for c in table.categories.values()
                    if c.parent == top.code
                ],
            )
            for top in tops
        ],
        levels=[LevelOut(code=level.value, label_zh=level.label_zh) for level in IncidentLevel],
        statuses=[s.value for s in IncidentStatus],
    )


@router.post("", response_model=Incident, status_code=status.HTTP_201_CREATED)
def open_incident(
    body: IncidentCreate, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_manage)
) -> Incident:
    """Open an incident (optionally from alerts)."""
    with ctx.state.session() as session:
        row = create_incident(session, body=body, principal=principal, now=dt.datetime.now(dt.UTC))
        created = Incident.build(row, category_label=category_label(row.category))
    if ctx.playbooks is not None:  # playbooks `on: incident` (通报 for 较大 and above)
        ctx.playbooks.submit_incident(created.id)
    return created


@router.get("/{incident_id}", response_model=Incident)
def get_incident(
    incident_id: RowId, ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> Incident:
    """An incident with its handling record, timeline and evidence."""
    with ctx.state.session(readonly=True) as session:
        row = get_or_404(session, incident_id=incident_id)
        return Incident.build(row, category_label=category_label(row.category))


@router.patch("/{incident_id}", response_model=Incident)
def change_incident(
    incident_id: RowId,
    body: IncidentChange,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> Incident:
    """Change fields, grade, status, or link more alerts."""
    with ctx.state.session() as session:
        row = update_incident(
            session,
            incident_id=incident_id,
            change=body,
            principal=principal,
            now=dt.datetime.now(dt.UTC),
        )
        changed = Incident.build(row, category_label=category_label(row.category))
    if ctx.playbooks is not None and body.level is not None:
        ctx.playbooks.submit_incident(changed.id)
    return changed


@router.post("/{incident_id}/timeline", response_model=TimelineOut, status_code=status.HTTP_201_CREATED)
def note(
    incident_id: RowId,
    body: TimelineIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> TimelineOut:
    """Add a note to the timeline."""
    with ctx.state.session() as session:
        entry = add_timeline_entry(
            session,
            incident_id=incident_id,
            text=body.text,
            principal=principal,
            now=dt.datetime.now(dt.UTC),
        )
        return TimelineOut.of(entry)


@router.post("/{incident_id}/evidence", response_model=EvidenceOut, status_code=status.HTTP_201_CREATED)
def evidence(
    incident_id: RowId,
    body: EvidenceIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> EvidenceOut:
    """Attach a piece of evidence."""
    with ctx.state.session() as session:
        row = add_evidence(
            session, incident_id=incident_id, body=body, principal=principal, now=dt.datetime.now(dt.UTC)
        )
        return EvidenceOut.of(row)


_RAW_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
}


@router.post(
    "/{incident_id}/evidence/upload",
    response_model=EvidenceOut,
    status_code=status.HTTP_201_CREATED,
    openapi_extra=_RAW_BODY,
)
async def upload_evidence(
    incident_id: RowId,
    request: Request,
    filename: Annotated[str, Query(min_length=1, max_length=255, description="the file's name")],
    kind: Annotated[Literal["pcap", "file"], Query()] = "file",
    note: Annotated[str | None, Query(max_length=2000)] = None,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_manage),
) -> EvidenceOut:
    """Attach a file (a capture, a screenshot, an exported log) as the raw request body; it is
    stored by its SHA-256 under the data directory."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_EVIDENCE_BYTES:
        raise ApiError(f"evidence larger than {MAX_EVIDENCE_BYTES} bytes", status=413)

    def exists() -> None:
        with ctx.state.session(readonly=True) as session:
            get_or_404(session, incident_id=incident_id)

    await run_in_threadpool(exists)  # nothing is written for an incident that is not there
    stored = await store_upload(ctx.settings.data_dir, incident_id, request.stream())
    body = EvidenceIn(
        kind=EvidenceKind(kind), ref=upload_ref(stored, filename), note=note, sha256=stored.sha256
    )

    def attach() -> EvidenceOut:
        with ctx.state.session() as session:
            row = add_evidence(
                session, incident_id=incident_id, body=body, principal=principal, now=dt.datetime.now(dt.UTC)
            )
            return EvidenceOut.of(row)

    return await run_in_threadpool(attach)


@router.get("/{incident_id}/evidence/{evidence_id}/file", response_class=FileResponse)
def download_evidence(
    incident_id: RowId,
    evidence_id: RowId,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> FileResponse:
    """The uploaded file of a piece of evidence, byte for byte."""
    with ctx.state.session(readonly=True) as session:
        row = session.get(IncidentEvidence, evidence_id)
        ref = None if row is None or row.incident_id != incident_id else row.ref
    found = None if ref is None else evidence_path(ctx.settings.data_dir, ref)
    if found is None:
        raise ApiError(f"no uploaded file for evidence {evidence_id} of incident {incident_id}", status=404)
    path, name = found
    return FileResponse(path, filename=name, media_type="application/octet-stream")
