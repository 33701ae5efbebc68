"""Approvals: a step that needs a person's yes waits here; the decision is read on the next pass."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from playbooks.context import StepContext
from soc_core.audit import append_audit
from soc_core.state.response import Approval
from soc_core.vocabulary import ApprovalStatus


def decision(ctx: StepContext, *, summary: str, timeout_s: int | None) -> Approval:
    """The step's approval: requested now if there is none yet (audited), expired when overdue."""
    row = ctx.session.scalar(
        select(Approval).where(Approval.run_id == ctx.run.id, Approval.step_index == ctx.step_index)
    )
    if row is None:
        row = Approval(
            run_id=ctx.run.id,
            step_index=ctx.step_index,
            summary=summary,
            status=ApprovalStatus.PENDING.value,
            requested_at=ctx.now,
            expires_at=None if timeout_s is None else ctx.now + dt.timedelta(seconds=timeout_s),
        )
        ctx.session.add(row)
        ctx.session.flush()
        append_audit(
            ctx.session,
            actor=ctx.actor,
            action="playbook.approval_requested",
            target=str(row.id),
            detail={"run": ctx.run.id, "step": ctx.step_name, "summary": summary},
            now=ctx.now,
        )
    elif row.status == ApprovalStatus.PENDING and row.expires_at is not None and row.expires_at <= ctx.now:
        row.status = ApprovalStatus.EXPIRED.value
        row.decided_at = ctx.now
        append_audit(
            ctx.session,
            actor=ctx.actor,
            action="playbook.approval_expired",
            target=str(row.id),
            detail={"run": ctx.run.id, "step": ctx.step_name},
            now=ctx.now,
        )
    return row
