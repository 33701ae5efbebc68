"""Response bodies of the rule routes."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel


class RuleHealthOut(BaseModel):
    """One rule's health: loaded / failed (why) / unrouted, matches, last fired, cost."""

    rule_id: str
    title: str | None
    path: str | None
    state: str
    reason: str | None
    matches: int
    last_fired: dt.datetime | None
    evaluations: int
    mean_cost_ns: float | None
    updated_at: dt.datetime


class RulePage(BaseModel):
    """Every rule the engine knows, with counts per state."""

    count: int
    states: dict[str, int]
    rules: list[RuleHealthOut]
