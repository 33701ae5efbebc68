"""``wait_for_approval``: the run stops until a security admin decides; a no ends the run."""

from __future__ import annotations

from playbooks.actions.approval import decision
from playbooks.context import StepContext, StepResult
from playbooks.models import WaitForApprovalStep, duration_s
from soc_core.vocabulary import ApprovalStatus


def run(step: WaitForApprovalStep, ctx: StepContext) -> StepResult:
    """Wait, go on when approved, cancel the rest when rejected or expired."""
    timeout = duration_s(step.timeout) if step.timeout else None
    approval = decision(ctx, summary=step.summary, timeout_s=timeout)
    if approval.status == ApprovalStatus.PENDING:
        return StepResult(status="waiting", outputs={"approval_id": approval.id}, wake_at=approval.expires_at)
    outputs = {"approval_id": approval.id, "decision": approval.status}
    if approval.status == ApprovalStatus.APPROVED:
        return StepResult(status="succeeded", outputs=outputs, approved_by=approval.decided_by)
    return StepResult(status="skipped", outputs=outputs, approved_by=approval.decided_by, cancel=True)
