"""The playbook language: a trigger and ordered steps, validated from YAML.

```yaml
id: brute-force-block
name: 暴力破解 → 审批后封禁来源 24 小时
trigger: {on: alert, tags_any: [attack.credential_access], severity_at_least: medium}
steps:
  - {action: enrich}
  - {action: block, address: source_ip, responder: edge, approval: true, ttl: 24h}
```
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from soc_core.vocabulary import Criticality, IncidentLevel, Severity

_DURATION = re.compile(r"^(\d+)\s*([smhd])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
PLAYBOOK_ID = r"^[a-z0-9][a-z0-9_.-]{0,127}$"


def duration_s(text: str) -> int:
    """``30m`` → 1800; ``24h`` → 86400. Raises ValueError for anything else."""
    match = _DURATION.match(text.strip())
    if not match:
        raise ValueError(f"not a duration: {text!r} (use e.g. 90s, 30m, 24h, 7d)")
    return int(match.group(1)) * _UNITS[match.group(2)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Strict):
    """When a playbook starts. Every condition given must hold; lists match any of their values."""

    on: Literal["alert", "incident"] = "alert"
    severity_at_least: Literal["informational", "low", "medium", "high", "critical"] | None = None
    tags_any: tuple[str, ...] = Field(default=(), description="rule tags, e.g. attack.credential_access")
    rules: tuple[str, ...] = Field(default=(), description="rule ids")
    categories: tuple[str, ...] = Field(default=(), description="GB/T 20986 category codes, e.g. NAI, MCI")
    zones: tuple[str, ...] = Field(default=(), description="zone of the source or destination asset")
    criticality_at_least: Criticality | None = None
    levels: tuple[IncidentLevel, ...] = Field(default=(), description="incident levels (on: incident)")

    @property
    def min_severity(self) -> Severity | None:
        """The severity floor as our scale."""
        return None if self.severity_at_least is None else Severity.from_sigma_level(self.severity_at_least)


class _Step(_Strict):
    name: str | None = Field(default=None, max_length=128, description="shown in the run record")


class EnrichStep(_Step):
    """Asset register and recent-alert context for the source and destination."""

    action: Literal["enrich"]


class NotifyStep(_Step):
    """Send a Chinese message with a console link through channels."""

    action: Literal["notify"]
    channels: tuple[str, ...] = Field(min_length=1)
    title: str | None = Field(
        default=None, description="override; {rule}, {severity}, {source_ip} … filled in"
    )
    recipients: tuple[str, ...] = ()


class CreateIncidentStep(_Step):
    """Open an incident for the alert (once per run)."""

    action: Literal["create_incident"]
    level: IncidentLevel = IncidentLevel.GENERAL
    category: str | None = Field(default=None, description="GB/T 20986 code; default the alert's")
    owner: str | None = None


class BlockStep(_Step):
    """Block an address through a responder, optionally after approval, optionally for a time."""

    action: Literal["block"]
    responder: str
    address: Literal["source_ip", "destination_ip"] = "source_ip"
    approval: bool = True
    approval_timeout: str | None = Field(default=None, description="no decision by then counts as rejected")
    ttl: str | None = Field(default=None, description="lift the block after this long, e.g. 24h")

    @field_validator("ttl", "approval_timeout")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_s(value)
        return value


class WaitForApprovalStep(_Step):
    """Stop until a security admin approves; a rejection cancels the rest of the run."""

    action: Literal["wait_for_approval"]
    summary: str = Field(min_length=1, description="what is being approved, in Chinese")
    timeout: str | None = None

    @field_validator("timeout")
    @classmethod
    def _duration(cls, value: str | None) -> str | None:
        if value is not None:
            duration_s(value)
        return value


class EscalateAfterStep(_Step):
    """If the alert is still unacknowledged (status new) after a while, notify more people."""

    action: Literal["escalate_after"]
    after: str
    channels: tuple[str, ...] = Field(min_length=1)
    recipients: tuple[str, ...] = ()

    @field_validator("after")
    @classmethod
    def _duration(cls, value: str) -> str:
        duration_s(value)
        return value


class ReportStep(_Step):
    """Create the 通报 record of the run's incident, with its deadline clock."""

    action: Literal["report"]


Step = Annotated[
    EnrichStep
    | NotifyStep
    | CreateIncidentStep
    | BlockStep
    | WaitForApprovalStep
    | EscalateAfterStep
    | ReportStep,
    Field(discriminator="action"),
]


class Playbook(_Strict):
    """One playbook file."""

    id: str = Field(pattern=PLAYBOOK_ID)
    name: str = Field(min_length=1)
    description: str | None = None
    enabled: bool = True
    trigger: Trigger
    steps: tuple[Step, ...] = Field(min_length=1)
    path: str | None = Field(default=None, exclude=True, description="where it was loaded from")

    def step_name(self, index: int) -> str:
        """A step's name, or ``<index>-<action>``."""
        step = self.steps[index]
        return step.name or f"{index + 1}-{step.action}"
