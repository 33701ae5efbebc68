"""Response bodies of the playbook routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field

from soc_core.state.response import Approval, BlockRecord, PlaybookRun, PlaybookStep


class PlaybookOut(BaseModel):
    """A loaded playbook."""

    id: str
    name: str
    description: str | None
    path: str | None
    trigger: dict[str, Any]
    steps: list[dict[str, Any]]


class PlaybookProblemOut(BaseModel):
    """A playbook file that is not loaded, and why (file and line)."""

    path: str
    line: int
    message: str


class PlaybookList(BaseModel):
    """Loaded playbooks and refused files; ``running`` is false when the engine is off."""

    running: bool
    items: list[PlaybookOut]
    problems: list[PlaybookProblemOut]


class StepOut(BaseModel):
    """One attempt at one step."""

    step_index: int
    name: str
    action: str
    attempt: int
    status: str
    inputs: dict[str, Any]
    outputs: dict[str, Any] | None
    error: str | None
    approved_by: str | None
    started_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def of(cls, row: PlaybookStep) -> StepOut:
        """From the state row."""
        return cls.model_validate(row, from_attributes=True)


class RunOut(BaseModel):
    """A playbook run; ``steps`` only in the detail view."""

    id: int
    playbook_id: str
    trigger_key: str
    alert_id: str | None
    status: str
    step_index: int
    error: str | None
    wake_at: dt.datetime | None
    created_at: dt.datetime
    updated_at: dt.datetime
    incident_id: int | None = None
    steps: list[StepOut] = Field(default_factory=list)

    @classmethod
    def of(cls, row: PlaybookRun, *, steps: bool = False) -> RunOut:
        """From the state row."""
        return cls(
            id=row.id,
            playbook_id=row.playbook_id,
            trigger_key=row.trigger_key,
            alert_id=row.alert_id,
            status=row.status,
            step_index=row.step_index,
            error=row.error,
            wake_at=row.wake_at,
            created_at=row.created_at,
            updated_at=row.updated_at,
            incident_id=row.context.get("incident_id"),
            steps=[StepOut.of(s) for s in row.steps] if steps else [],
        )


class RunPage(BaseModel):
    """A page of runs, newest first."""

    total: int
    items: list[RunOut]


class ApprovalOut(BaseModel):
    """An approval request and its decision."""

    id: int
    run_id: int
    step_index: int
    summary: str
    status: str
    requested_at: dt.datetime
    expires_at: dt.datetime | None
    decided_by: str | None
    decided_at: dt.datetime | None
    reason: str | None

    @classmethod
    def of(cls, row: Approval) -> ApprovalOut:
        """From the state row."""
        return cls.model_validate(row, from_attributes=True)


class ApprovalList(BaseModel):
    """Approvals, pending first."""

    items: list[ApprovalOut]


class DecisionIn(BaseModel):
    """Approve or reject."""

    approve: bool
    reason: str | None = Field(default=None, max_length=2000)


class BlockOut(BaseModel):
    """A block and its state."""

    id: int
    run_id: int | None
    address: str
    responder: str
    dry_run: bool
    status: str
    reason: str | None
    approved_by: str | None
    created_at: dt.datetime
    expires_at: dt.datetime | None
    lifted_at: dt.datetime | None
    error: str | None

    @classmethod
    def of(cls, row: BlockRecord) -> BlockOut:
        """From the state row."""
        return cls.model_validate(row, from_attributes=True)


class BlockList(BaseModel):
    """Blocks, newest first."""

    items: list[BlockOut]
