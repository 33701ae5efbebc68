"""通报 routes (list, write, move along its states, download as PDF/DOCX, make from an incident)
and inbound-notice routes (register, answer, review)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Response, status

from playbooks.report_export import TITLE, write_report_docx, write_report_pdf
from playbooks.reports import (
    count_notices,
    count_reports,
    create_notice,
    create_report,
    create_report_for_incident,
    get_notice,
    get_report,
    list_notices,
    list_reports,
    notice_feedback,
    review_notice,
    transition_report,
    update_report,
)
from soc_api.audit.service import record
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.params import RowId
from soc_api.reports.models import (
    FeedbackIn,
    NoticeCreate,
    NoticeOut,
    NoticePage,
    ReportChange,
    ReportCreate,
    ReportOut,
    ReportPage,
    ReviewIn,
    StatusIn,
)
from soc_api.reports.service import caller, category_code, category_label, refusals
from soc_core.state.models import utc
from soc_core.state.response import ReportRecord
from soc_core.vocabulary import NoticeStatus, ReportStatus

router = APIRouter(tags=["reports"])
notices_router = APIRouter(prefix="/api/v1/notices", tags=["notices"])
_reports_read = require(Permission.REPORTS_READ)
_reports_manage = require(Permission.REPORTS_MANAGE)
_notices_read = require(Permission.NOTICES_READ)
_notices_manage = require(Permission.NOTICES_MANAGE)
_notices_feedback = require(Permission.NOTICES_FEEDBACK)

REPORTS = "/api/v1/reports"
_MEDIA = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _out(row: ReportRecord, now: dt.datetime) -> ReportOut:
    return ReportOut.of(row, now=now, category_label=category_label(row.category))


@router.get(REPORTS, response_model=ReportPage)
def list_all(
    status_: Annotated[ReportStatus | None, Query(alias="status")] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_reports_read),
) -> ReportPage:
    """通报 records, newest first; ``overdue=true`` lists the drafts past their deadline."""
    now = _now()
    with ctx.state.session(readonly=True) as session:
        rows = list_reports(session, status=status_, overdue=overdue, now=now, limit=limit, offset=offset)
        total = count_reports(session, status=status_, overdue=overdue, now=now)
        return ReportPage(total=total, items=[_out(r, now) for r in rows])


@router.post(REPORTS, response_model=ReportOut, status_code=status.HTTP_201_CREATED)
def new_report(
    body: ReportCreate,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_reports_manage),
) -> ReportOut:
    """A 通报 draft not made from an incident; its deadline runs from ``discovered_at``."""
    now = _now()
    fields = body.model_dump(exclude_unset=True)
    fields["category"] = category_code(body.category)
    fields["level"] = body.level
    with ctx.state.session() as session, refusals():
        row = create_report(session, settings=ctx.settings.reports, now=now, **fields, **caller(principal))
        principal.audited = True
        return _out(row, now)


@router.post(
    "/api/v1/incidents/{incident_id}/report", response_model=ReportOut, status_code=status.HTTP_201_CREATED
)
def report_incident(
    incident_id: RowId,
    response: Response,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_reports_manage),
) -> ReportOut:
    """The incident's 通报 draft: made from the incident the first time (201), the same one after (200)."""
    now = _now()
    with ctx.state.session() as session, refusals():
        row = create_report_for_incident(
            session, incident_id=incident_id, settings=ctx.settings.reports, now=now, **caller(principal)
        )
        made = utc(row.created_at) == now
        principal.audited = made
        if not made:
            response.status_code = status.HTTP_200_OK
        return _out(row, now)


@router.get(REPORTS + "/{report_id}", response_model=ReportOut)
def get_one(
    report_id: RowId, ctx: AppContext = Depends(get_context), _: Principal = Depends(_reports_read)
) -> ReportOut:
    """One 通报 record with its deadline and the states it may move to."""
    now = _now()
    with ctx.state.session(readonly=True) as session, refusals():
        return _out(get_report(session, report_id=report_id), now)


@router.patch(REPORTS + "/{report_id}", response_model=ReportOut)
def change_report(
    report_id: RowId,
    body: ReportChange,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_reports_manage),
) -> ReportOut:
    """Change fields of the 办法 while the record is not closed (409 once it is)."""
    now = _now()
    changes = body.model_dump(exclude_unset=True)
    if changes.get("category") is not None:
        changes["category"] = category_code(changes["category"])
    with ctx.state.session() as session, refusals():
        row = update_report(
            session,
            report_id=report_id,
            changes=changes,
            settings=ctx.settings.reports,
            now=now,
            **caller(principal),
        )
        principal.audited = utc(row.updated_at) == now
        return _out(row, now)


@router.post(REPORTS + "/{report_id}/status", response_model=ReportOut)
def move_report(
    report_id: RowId,
    body: StatusIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_reports_manage),
) -> ReportOut:
    """草稿 → 已上报 → 处置中 → 已反馈 → 已结案 (or back to 处置中); other moves are refused (409)."""
    now = _now()
    with ctx.state.session() as session, refusals():
        row = transition_report(session, report_id=report_id, to=body.status, now=now, **caller(principal))
        principal.audited = True
        return _out(row, now)


@router.get(REPORTS + "/{report_id}/export", response_class=Response)
def export_report(
    report_id: RowId,
    format_: Annotated[Literal["pdf", "docx"], Query(alias="format")] = "pdf",
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_reports_read),
) -> Response:
    """The record as the 网络安全事件报告 form, PDF or DOCX, for sending to the authority."""
    with ctx.state.session(readonly=True) as session, refusals():
        row = get_report(session, report_id=report_id)
    with tempfile.TemporaryDirectory(prefix="shaowang-report-") as tmp:
        path = Path(tmp) / f"report.{format_}"
        with refusals():
            if format_ == "pdf":
                write_report_pdf(row, path, font=ctx.settings.compliance.font)
            else:
                write_report_docx(row, path)
        content = path.read_bytes()
    with ctx.state.session() as session:
        record(
            session,
            principal=principal,
            action="report.export",
            target=str(report_id),
            detail={"format": format_},
        )
    ascii_name = f"shaowang-report-{report_id}.{format_}"
    chinese_name = quote(f"{TITLE}-{report_id}.{format_}")
    return Response(
        content,
        media_type=_MEDIA[format_],
        headers={
            "Content-Disposition": f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{chinese_name}"
        },
    )


# -- inbound notices --------------------------------------------------------------------------------


@notices_router.get("", response_model=NoticePage)
def list_all_notices(
    status_: Annotated[NoticeStatus | None, Query(alias="status")] = None,
    overdue: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_notices_read),
) -> NoticePage:
    """Notices, most recently received first; ``overdue=true`` lists those past their period."""
    now = _now()
    with ctx.state.session(readonly=True) as session:
        rows = list_notices(session, status=status_, overdue=overdue, now=now, limit=limit, offset=offset)
        total = count_notices(session, status=status_, overdue=overdue, now=now)
        return NoticePage(total=total, items=[NoticeOut.of(r, now=now) for r in rows])


@notices_router.post("", response_model=NoticeOut, status_code=status.HTTP_201_CREATED)
def new_notice(
    body: NoticeCreate,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_notices_manage),
) -> NoticeOut:
    """Register an inbound notice as a rectification task for its owner unit."""
    now = _now()
    with ctx.state.session() as session, refusals():
        row = create_notice(
            session,
            issuer=body.issuer,
            reference=body.reference,
            title=body.title,
            content=body.content,
            owner_unit=body.owner_unit,
            asset=body.asset,
            received_at=body.received_at or now,
            due_at=body.due_at,
            settings=ctx.settings.reports,
            now=now,
            **caller(principal),
        )
        principal.audited = True
        return NoticeOut.of(row, now=now)


@notices_router.get("/{notice_id}", response_model=NoticeOut)
def get_one_notice(
    notice_id: RowId, ctx: AppContext = Depends(get_context), _: Principal = Depends(_notices_read)
) -> NoticeOut:
    """One notice with its feedback and review."""
    now = _now()
    with ctx.state.session(readonly=True) as session, refusals():
        return NoticeOut.of(get_notice(session, notice_id=notice_id), now=now)


@notices_router.post("/{notice_id}/feedback", response_model=NoticeOut)
def answer_notice(
    notice_id: RowId,
    body: FeedbackIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_notices_feedback),
) -> NoticeOut:
    """The owner unit's answer to an open notice; it then waits for review."""
    now = _now()
    with ctx.state.session() as session, refusals():
        row = notice_feedback(session, notice_id=notice_id, text=body.text, now=now, **caller(principal))
        principal.audited = True
        return NoticeOut.of(row, now=now)


@notices_router.post("/{notice_id}/review", response_model=NoticeOut)
def review(
    notice_id: RowId,
    body: ReviewIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_notices_manage),
) -> NoticeOut:
    """Accept the feedback (closed) or send it back (open again, the text says what is missing)."""
    now = _now()
    with ctx.state.session() as session, refusals():
        row = review_notice(
            session, notice_id=notice_id, accept=body.accept, text=body.text, now=now, **caller(principal)
        )
        principal.audited = True
        return NoticeOut.of(row, now=now)
