"""Playbook routes: loaded playbooks, runs, approvals (security admin decides), blocks."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query
from sqlalchemy import func, select
from starlette.concurrency import run_in_threadpool

from playbooks.errors import PlaybookError
from soc_api.auth.deps import Principal, get_context, require
from soc_api.auth.permissions import Permission
from soc_api.context import AppContext
from soc_api.errors import ApiError
from soc_api.params import RowId
from soc_api.playbooks.models import (
    ApprovalList,
    ApprovalOut,
    BlockList,
    BlockOut,
    DecisionIn,
    PlaybookList,
    PlaybookOut,
    PlaybookProblemOut,
    RunOut,
    RunPage,
)
from soc_core.state.response import Approval, BlockRecord, PlaybookRun
from soc_core.vocabulary import ApprovalStatus, BlockStatus, RunStatus

if TYPE_CHECKING:
    from playbooks.runner import PlaybookEngine

router = APIRouter(prefix="/api/v1", tags=["playbooks"])
_can_read = require(Permission.PLAYBOOKS_READ)
_can_approve = require(Permission.PLAYBOOKS_APPROVE)
_can_lift = require(Permission.BLOCKS_MANAGE)


def _engine(ctx: AppContext) -> PlaybookEngine:
    if ctx.playbooks is None:
        raise ApiError("the playbook engine is not running on this node", status=503)
    return ctx.playbooks


@router.get("/playbooks", response_model=PlaybookList)
def list_playbooks(ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)) -> PlaybookList:
    """Loaded playbooks and the files refused (with file and line)."""
    engine = ctx.playbooks
    items = [] if engine is None else sorted(engine.playbooks.values(), key=lambda p: p.id)
    return PlaybookList(
        running=engine is not None,
        items=[
            PlaybookOut(
                id=p.id,
                name=p.name,
                description=p.description,
                path=p.path,
                trigger=p.trigger.model_dump(mode="json", exclude_defaults=True),
                steps=[s.model_dump(mode="json", exclude_none=True) for s in p.steps],
            )
            for p in items
        ],
        problems=[PlaybookProblemOut(**p.to_json()) for p in ctx.playbook_problems],
    )


@router.get("/playbooks/runs", response_model=RunPage)
def list_runs(
    status_: Annotated[RunStatus | None, Query(alias="status")] = None,
    playbook: Annotated[str | None, Query(max_length=128)] = None,
    alert_id: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> RunPage:
    """Runs, newest first, filtered by status, playbook or alert."""
    query = select(PlaybookRun)
    if status_ is not None:
        query = query.where(PlaybookRun.status == status_.value)
    if playbook is not None:
        query = query.where(PlaybookRun.playbook_id == playbook)
    if alert_id is not None:
        query = query.where(PlaybookRun.alert_id == alert_id)
    with ctx.state.session(readonly=True) as session:
        total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
        rows = session.scalars(query.order_by(PlaybookRun.id.desc()).limit(limit).offset(offset))
        return RunPage(total=total, items=[RunOut.of(r) for r in rows])


@router.get("/playbooks/runs/{run_id}", response_model=RunOut)
def get_run(
    run_id: RowId, ctx: AppContext = Depends(get_context), _: Principal = Depends(_can_read)
) -> RunOut:
    """One run with every step attempt: inputs, outputs, errors, who approved."""
    with ctx.state.session(readonly=True) as session:
        row = session.get(PlaybookRun, run_id)
        if row is None:
            raise ApiError(f"no run {run_id}", status=404)
        return RunOut.of(row, steps=True)


@router.get("/approvals", response_model=ApprovalList)
def list_approvals(
    status_: Annotated[ApprovalStatus | None, Query(alias="status")] = None,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> ApprovalList:
    """Approvals, pending first, newest first within."""
    query = select(Approval)
    if status_ is not None:
        query = query.where(Approval.status == status_.value)
    with ctx.state.session(readonly=True) as session:
        rows = list(session.scalars(query.order_by(Approval.id.desc()).limit(500)))
    rows.sort(key=lambda r: r.status != ApprovalStatus.PENDING)
    return ApprovalList(items=[ApprovalOut.of(r) for r in rows])


@router.post("/approvals/{approval_id}", response_model=ApprovalOut)
async def decide(
    approval_id: RowId,
    body: DecisionIn,
    ctx: AppContext = Depends(get_context),
    principal: Principal = Depends(_can_approve),
) -> ApprovalOut:
    """Approve or reject a pending response action (security admin; written to the operation log)."""
    engine = _engine(ctx)
    try:
        row = await run_in_threadpool(
            engine.decide,
            approval_id,
            approve=body.approve,
            actor=principal.username,
            roles=principal.role_names,
            source_ip=principal.source_ip,
            reason=body.reason,
        )
    except PlaybookError as exc:
        raise ApiError(str(exc), status=409) from None
    principal.audited = True
    return ApprovalOut.of(row)


@router.get("/blocks", response_model=BlockList)
def list_blocks(
    status_: Annotated[BlockStatus | None, Query(alias="status")] = None,
    ctx: AppContext = Depends(get_context),
    _: Principal = Depends(_can_read),
) -> BlockList:
    """Blocks, newest first."""
    query = select(BlockRecord)
    if status_ is not None:
        query = query.where(BlockRecord.status == status_.value)
    with ctx.state.session(readonly=True) as session:
        rows = session.scalars(query.order_by(BlockRecord.id.desc()).limit(500))
        return BlockList(items=[BlockOut.of(r) for r in rows])


@router.post("/blocks/{block_id}/lift", response_model=BlockOut)
async def lift(
    block_id: RowId, ctx: AppContext = Depends(get_context), principal: Principal = Depends(_can_lift)
) -> BlockOut:
    """Lift a block now (security admin; written to the operation log)."""
    engine = _engine(ctx)
    try:
        row = await run_in_threadpool(
            engine.lift_block,
            block_id,
            actor=principal.username,
            roles=principal.role_names,
            source_ip=principal.source_ip,
        )
    except PlaybookError as exc:
        raise ApiError(str(exc), status=409) from None
    principal.audited = True
    return BlockOut.of(row)
