"""``report``: the 通报 record of the run's incident, with its deadline clock."""

from __future__ import annotations

from playbooks.context import StepContext, StepResult
from playbooks.models import ReportStep
from playbooks.reports import create_report_for_incident


def run(step: ReportStep, ctx: StepContext) -> StepResult:
    """Create (or find) the record; schedule its deadline."""
    if ctx.incident_id is None:
        return StepResult(status="skipped", outputs={"reason": "the run has no incident"})
    record = create_report_for_incident(
        ctx.session, incident_id=ctx.incident_id, settings=ctx.settings.reports, actor=ctx.actor, now=ctx.now
    )
    if ctx.timers is not None:
        ctx.timers.report_deadline(record.id, record.deadline_at)
    return StepResult(
        status="succeeded", outputs={"report_id": record.id, "deadline_at": record.deadline_at.isoformat()}
    )
