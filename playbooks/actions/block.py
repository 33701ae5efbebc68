"""``block``: an address blocked through a responder, after approval when asked, lifted after its TTL."""

from __future__ import annotations

import datetime as dt
import ipaddress

from sqlalchemy import select

from playbooks.actions.approval import decision
from playbooks.context import StepContext, StepResult
from playbooks.models import BlockStep, duration_s
from playbooks.responders.base import BlockRequest, ResponderError
from soc_core.audit import append_audit
from soc_core.state.response import BlockRecord
from soc_core.vocabulary import ApprovalStatus, BlockStatus


def run(step: BlockStep, ctx: StepContext) -> StepResult:
    """Ask, wait, then block (or not); the block record is the proof either way."""
    address = ctx.alert.get(step.address)
    if not address:
        return StepResult(status="skipped", outputs={"reason": f"the alert has no {step.address}"})
    try:
        ipaddress.ip_network(str(address), strict=False)
    except ValueError:
        return StepResult(status="failed", error=f"{step.address} {address!r} is not an IP address")
    responder = ctx.responders.get(step.responder)
    if responder is None:
        return StepResult(status="failed", error=f"no responder {step.responder!r} in [playbooks] responders")
    ttl_s = duration_s(step.ttl) if step.ttl else None
    approved_by = None
    if step.approval:
        summary = f"封禁 {address}（{responder.id}）" + (f"，{step.ttl} 后自动解除" if step.ttl else "")
        timeout = duration_s(step.approval_timeout) if step.approval_timeout else None
        approval = decision(ctx, summary=summary, timeout_s=timeout)
        if approval.status == ApprovalStatus.PENDING:
            return StepResult(
                status="waiting",
                outputs={"approval_id": approval.id, "address": address},
                wake_at=approval.expires_at,
            )
        if approval.status != ApprovalStatus.APPROVED:
            return StepResult(
                status="skipped",
                outputs={"approval_id": approval.id, "decision": approval.status, "blocked": False},
                approved_by=approval.decided_by,
            )
        approved_by = approval.decided_by
    existing = ctx.session.scalar(
        select(BlockRecord).where(BlockRecord.run_id == ctx.run.id, BlockRecord.address == str(address))
    )
    if existing is not None:  # applied before a crash: never twice
        return StepResult(
            status="succeeded", outputs={"block_id": existing.id, "blocked": True}, approved_by=approved_by
        )
    try:
        handle = responder.block(
            BlockRequest(address=str(address), comment=f"run {ctx.run.id} {ctx.playbook_id}")
        )
    except ResponderError as exc:
        return StepResult(status="retry", error=exc.message, approved_by=approved_by)
    expires = None if ttl_s is None else ctx.now + dt.timedelta(seconds=ttl_s)
    record = BlockRecord(
        run_id=ctx.run.id,
        address=str(address),
        responder=responder.id,
        dry_run=responder.dry_run,
        status=(BlockStatus.DRY_RUN if responder.dry_run else BlockStatus.ACTIVE).value,
        reason=f"{ctx.alert.get('rule_name', '')}（剧本 {ctx.playbook_id}）",
        handle=handle,
        approved_by=approved_by,
        created_at=ctx.now,
        expires_at=expires,
    )
    ctx.session.add(record)
    ctx.session.flush()
    append_audit(
        ctx.session,
        actor=ctx.actor,
        action="response.block",
        target=str(address),
        detail={
            "block": record.id,
            "responder": responder.id,
            "dry_run": responder.dry_run,
            "approved_by": approved_by,
            "expires_at": None if expires is None else expires.isoformat(),
            "run": ctx.run.id,
        },
        now=ctx.now,
    )
    if expires is not None and ctx.timers is not None:
        ctx.timers.block_expiry(record.id, expires)
    return StepResult(
        status="succeeded",
        outputs={"block_id": record.id, "blocked": True, "dry_run": responder.dry_run},
        approved_by=approved_by,
    )
