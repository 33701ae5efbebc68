"""``escalate_after``: a timer that notifies more people if the alert is still new when it fires."""

from __future__ import annotations

import datetime as dt

from playbooks.context import StepContext, StepResult
from playbooks.models import EscalateAfterStep, duration_s


def run(step: EscalateAfterStep, ctx: StepContext) -> StepResult:
    """Schedule the check (persistently) and go on; the run does not wait for it."""
    due = ctx.now + dt.timedelta(seconds=duration_s(step.after))
    if ctx.timers is not None:
        ctx.timers.escalation(ctx.run.id, ctx.step_index, due)
    return StepResult(status="succeeded", outputs={"due_at": due.isoformat(), "fired": False})
