"""Operation-log routes: read and verify. There is no route that changes the log."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from soc_api.audit.models import AuditEntryOut, AuditPage, ChainVerification
from soc_api.audit.service import AuditFilter, search_audit
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_core.audit import verify_audit_chain

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
_can_read = require(Permission.AUDIT_READ)


@router.get("", response_model=AuditPage)
def list_entries(
    actor: str | None = None,
    action: Annotated[str | None, Query(description="an action, or a prefix ending in '.'")] = None,
    outcome: Literal["success", "failure", "unknown"] | None = None,
    from_: Annotated[dt.datetime | None, Query(alias="from")] = None,
    to: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> AuditPage:
    """Operation-log entries, newest first."""
    filters = AuditFilter(actor=actor, action=action, outcome=outcome, start=from_, end=to)
    with ctx.state.session(readonly=True) as session:
        total, rows = search_audit(session, filters=filters, limit=limit, offset=offset)
        return AuditPage(total=total, items=[AuditEntryOut.of(r) for r in rows])


@router.get("/verify", response_model=ChainVerification)
async def verify(
    ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> ChainVerification:
    """Walk the whole chain: sequence, links and every entry's hash."""

    def run() -> ChainVerification:
        with ctx.state.session(readonly=True) as session:
            result = verify_audit_chain(session)
        return ChainVerification(
            ok=result.ok,
            entries=result.entries,
            first_bad_seq=result.first_bad_seq,
            reason=result.reason,
            head_seq=result.head_seq,
            head_hash=result.head_hash,
        )

    return await run_in_threadpool(run)
