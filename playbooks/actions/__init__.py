"""Step actions: one module per kind, registered by the ``action`` name playbooks use."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from playbooks.actions import block, enrich, escalate, incident, notify, report, wait
from playbooks.context import StepContext, StepResult

Handler = Callable[[Any, StepContext], StepResult]

ACTIONS: dict[str, Handler] = {
    "enrich": enrich.run,
    "notify": notify.run,
    "create_incident": incident.run,
    "block": block.run,
    "wait_for_approval": wait.run,
    "escalate_after": escalate.run,
    "report": report.run,
}
