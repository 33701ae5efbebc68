"""The detection hook between parsing and storage (filled by the detection package).

Detection has two halves. ``match`` is stateless: it tests events against rules and can run
in any process (the parse workers run it beside parsing). ``settle`` is stateful: correlation
windows and alert dedup see every match of the node in order, so it runs in one place (the
process that commits). In-process, ``settle(match(events))`` is the whole of detection.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import msgspec

from soc_core.alerts import Alert
from soc_core.events import Event


class Match(msgspec.Struct, kw_only=True, array_like=True):
    """One event matched by one rule, as it travels from ``match`` to ``settle``."""

    rule_id: str
    event_id: str
    timestamp: dt.datetime
    alert: Alert | None = None  # built where the event was, for rules that alert on their own
    fields: dict[str, Any] | None = None  # the flat event, for rules that feed correlations


class RuleCost(msgspec.Struct, kw_only=True, array_like=True):
    """Evaluation work done for one rule (summed across processes for rule health)."""

    evaluations: int = 0
    matches: int = 0
    cost_ns: int = 0


class MatchBatch(msgspec.Struct, kw_only=True):
    """What ``match`` found in a batch, and what it cost per rule."""

    matches: list[Match] = msgspec.field(default_factory=list)
    costs: dict[str, RuleCost] = msgspec.field(default_factory=dict)


@dataclass(slots=True)
class Outcome:
    """What ``settle`` decided: alerts raised, open alerts updated, matches suppressed."""

    new: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    suppressed: int = 0


class Detector(Protocol):
    """Rules over event batches."""

    def match(self, events: Sequence[Event]) -> MatchBatch:
        """Stateless: which rules the events match."""
        ...

    def settle(self, batch: MatchBatch) -> Outcome:
        """Stateful: correlation and dedup over matches, in order; the alerts that result."""
        ...


class Enricher(Protocol):
    """Context added to parsed events before detection (asset register, zones)."""

    def enrich(self, events: Sequence[Event]) -> None:
        """Add context to ``events`` in place."""
        ...


class GraphSink(Protocol):
    """The network graph: flows and threats of each committed batch; alerts it raises itself."""

    def update(
        self,
        *,
        flows: Sequence[tuple[str, str, int | None, str, int, int, float]],
        threats: Sequence[tuple[str, str, float, float]],
        alerts: Sequence[Alert],
    ) -> list[Alert]:
        """Fold a batch in; the alerts it raises (e.g. a first communication into a critical asset)."""
        ...


class NoDetector:
    """The detector used until rules are configured: raises nothing."""

    def match(self, events: Sequence[Event]) -> MatchBatch:
        """No rules, no matches."""
        return MatchBatch()

    def settle(self, batch: MatchBatch) -> Outcome:
        """Nothing to settle."""
        return Outcome()
