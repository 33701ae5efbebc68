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


class HuntOut(BaseModel):
    """One scheduled hunt: its settings and where it stands."""

    name: str
    rules: list[str]
    every_s: int
    delay_s: int
    watermark: dt.datetime | None  # stored events before this have been hunted
    last_run: dt.datetime | None
    scanned: int
    windows: int
    matches: int
    alerts: int
    error: str | None


class HuntPage(BaseModel):
    """The configured hunt schedules."""

    count: int
    hunts: list[HuntOut]
