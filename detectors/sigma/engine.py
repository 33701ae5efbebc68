"""The streaming detection engine: events in, alerts out.

For each event: the route (which rules its logsource keys admit, cached per event shape),
then the prefilter (which of those can match its literals), then the compiled matchers of the
candidates only. A match feeds the correlation windows of the rules that reference it and,
unless it is only a correlation's building block, becomes an alert (deduplicated per rule and
group fields within a window). Correlation and dedup state can be snapshotted and restored,
so a restart of ``soc run`` keeps open windows.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from detectors.alerting import AlertDeduper, Decision, DedupResult, RuleMeta, build_alert, rule_meta
from detectors.correlation import BaseMatch, CorrelationEngine, CorrelationFiring
from detectors.sigma.logsources import event_keys, is_live
from detectors.sigma.pipeline import map_field
from detectors.sigma.prefilter import RuleIndex
from detectors.sigma.rules import CompiledRule, RuleFailure, RuleSet, load_rules
from detectors.sigma.view import EventView
from soc_core.alerts import Alert
from soc_core.events import Event
from soc_core.vocabulary import DATASETS, DEFAULT_TIMEZONE


@dataclass(slots=True)
class RuleStats:
    """What rule health reports for one rule."""

    evaluations: int = 0
    matches: int = 0
    alerts: int = 0
    cost_ns: int = 0
    last_fired: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class LoadReport:
    """Outcome of loading: counts and every refusal with its reason."""

    rules: int
    compiled: int
    failed: list[RuleFailure]
    correlations: int
    files: int


@dataclass(slots=True)
class _Route:
    rules: list[int]  # positions in DetectionEngine.rules
    index: RuleIndex


@dataclass(slots=True)
class _Loaded:
    compiled: CompiledRule
    meta: RuleMeta
    live: bool
    listened: bool  # a correlation rule references it
    generates: bool  # raises alerts of its own
    stats: RuleStats = field(default_factory=RuleStats)


class DetectionEngine:
    """Sigma rules (with correlations) over a stream of ECS events."""

    def __init__(
        self,
        ruleset: RuleSet,
        *,
        dedup: bool = True,
        timezone: str = DEFAULT_TIMEZONE,
        dedup_window: dt.timedelta | None = None,
        datasets: frozenset[str] = DATASETS,
    ) -> None:
        self.ruleset = ruleset
        self.timezone = ZoneInfo(timezone)
        self._dedup_enabled = dedup
        self._dedup_window = dedup_window
        self.correlation = CorrelationEngine([rule for rule, _ in ruleset.correlations], map_field=map_field)
        listened = self.correlation.referenced()
        quiet = _quiet_refs(ruleset)
        self.rules: list[_Loaded] = []
        for compiled in ruleset.rules:
            refs = compiled.refs
            hears = any(ref in listened for ref in refs)
            self.rules.append(
                _Loaded(
                    compiled=compiled,
                    meta=rule_meta(compiled.rule, path=compiled.path),
                    live=is_live(compiled.keys, datasets),
                    listened=hears,
                    generates=not any(ref in quiet for ref in refs),
                )
            )
        self.correlation_meta: dict[str, RuleMeta] = {
            str(rule.id): rule_meta(rule, path=path) for rule, path in ruleset.correlations
        }
        self.correlation_stats: dict[str, RuleStats] = {key: RuleStats() for key in self.correlation_meta}
        self.deduper = AlertDeduper(window=dedup_window) if dedup_window is not None else AlertDeduper()
        self._routes: dict[tuple[Any, ...], _Route] = {}

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def from_paths(
        cls,
        paths: Sequence[Path],
        *,
        dedup: bool = True,
        placeholders: Mapping[str, Sequence[str]] | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> DetectionEngine:
        """Load and compile every rule under ``paths`` (bad rules are reported, not fatal)."""
        return cls(load_rules(paths, placeholders=placeholders), dedup=dedup, timezone=timezone)

    def fresh(self) -> DetectionEngine:
        """The same compiled rules with empty windows, dedup state and counters."""
        return DetectionEngine(
            self.ruleset,
            dedup=self._dedup_enabled,
            timezone=str(self.timezone),
            dedup_window=self._dedup_window,
        )

    @property
    def report(self) -> LoadReport:
        rs = self.ruleset
        return LoadReport(
            rules=rs.total,
            compiled=rs.compiled,
            failed=list(rs.failed),
            correlations=len(rs.correlations),
            files=rs.files,
        )

    # -- the stream --------------------------------------------------------------------------

    def process(self, events: Sequence[Event]) -> list[Alert]:
        """Alerts raised or (with dedup) updated by ``events``: each once, in order of first change."""
        result = self.process_detailed(events)
        return result.new + [a for a in result.updated if a.id not in {n.id for n in result.new}]

    def process_detailed(self, events: Sequence[Event]) -> DedupResult:
        """New alerts and open alerts that ``events`` updated (each listed once)."""
        result = DedupResult()
        seen: set[str] = set()
        for event in events:
            route = self._route(event)
            if not route.rules:
                continue
            view = EventView.of(event, timezone=self.timezone)
            for number in route.index.candidates(view):
                loaded = self.rules[route.rules[number]]
                stats = loaded.stats
                started = time.perf_counter_ns()
                matched = loaded.compiled.matcher(view)
                stats.cost_ns += time.perf_counter_ns() - started
                stats.evaluations += 1
                if not matched:
                    continue
                stats.matches += 1
                stats.last_fired = event.timestamp
                if loaded.listened:
                    for firing in self.correlation.observe(
                        BaseMatch(loaded.compiled.refs, event.ensure_id(), event.timestamp, view.flat)
                    ):
                        key = str(firing.rule.id)
                        alert = self._correlation_alert(firing, event)
                        self._emit(self.correlation_meta[key], alert, event, result, seen)
                if loaded.generates:
                    alert = build_alert(rule=loaded.meta, events=[event])
                    if self._emit(loaded.meta, alert, event, result, seen):
                        stats.alerts += 1
        return result

    def _emit(self, meta: RuleMeta, alert: Alert, event: Event, result: DedupResult, seen: set[str]) -> bool:
        """Dedup ``alert``; record it in ``result``; whether it raised a new alert."""
        if not self._dedup_enabled:
            result.new.append(alert)
            return True
        decision, standing = self.deduper.offer(alert, rule=meta, events=[event])
        if decision is Decision.SUPPRESSED:
            result.suppressed += 1
            return False
        if standing.id not in seen:
            seen.add(standing.id)
            (result.new if decision is Decision.NEW else result.updated).append(standing)
        return decision is Decision.NEW

    def _correlation_alert(self, firing: CorrelationFiring, event: Event) -> Alert:
        key = str(firing.rule.id)
        meta = self.correlation_meta[key]
        alert = build_alert(rule=meta, events=[event], group=firing.group, count=firing.count)
        alert.event_ids = list(firing.event_ids)
        alert.timestamp = firing.first_seen
        alert.last_seen = firing.last_seen
        stats = self.correlation_stats[key]
        stats.matches += 1
        stats.last_fired = firing.last_seen
        return alert

    def _route(self, event: Event) -> _Route:
        info = event.event
        observer = event.observer
        shape = (
            info.dataset,
            tuple(info.category or ()),
            info.kind,
            observer.type if observer is not None else None,
            event.dns is not None and event.dns.question is not None,
            event.url is not None,
        )
        route = self._routes.get(shape)
        if route is None:
            keys = event_keys(
                dataset=shape[0],
                categories=shape[1],
                kind=shape[2],
                observer_type=shape[3],
                has_dns=shape[4],
                has_url=shape[5],
            )
            numbers = [n for n, loaded in enumerate(self.rules) if loaded.compiled.keys <= keys]
            route = _Route(numbers, RuleIndex([self.rules[n].compiled.requirement for n in numbers]))
            if len(self._routes) < 4096:
                self._routes[shape] = route
        return route

    # -- state across restarts ----------------------------------------------------------------

    def snapshot(self) -> bytes:
        """Correlation windows and dedup state, for :meth:`restore` after a restart."""
        return msgspec.msgpack.encode(
            {"version": 1, "correlation": self.correlation.snapshot(), "dedup": self.deduper.snapshot()}
        )

    def restore(self, data: bytes) -> None:
        """Take back state saved by :meth:`snapshot` (state of changed or removed rules is dropped)."""
        doc = msgspec.msgpack.decode(data)
        if not isinstance(doc, dict) or doc.get("version") != 1:
            return
        self.correlation.restore(doc["correlation"])
        self.deduper.restore(doc["dedup"])


def _quiet_refs(ruleset: RuleSet) -> frozenset[str]:
    """Base rules that only feed correlations (``generate: false``, the Sigma default)."""
    quiet: set[str] = set()
    for rule, _ in ruleset.correlations:
        if getattr(rule, "generate", False):
            continue
        for reference in rule.rules:
            target = getattr(reference, "rule", None)
            if target is not None:
                if target.id is not None:
                    quiet.add(str(target.id))
                if getattr(target, "name", None):
                    quiet.add(target.name)
            quiet.add(str(getattr(reference, "reference", "")))
    return frozenset(quiet)
