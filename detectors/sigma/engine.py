"""The streaming detection engine: events in, alerts out.

For each event: the route (which rules its logsource keys admit, cached per event shape),
then the prefilter (which of those can match its literals), then the compiled matchers of the
candidates only. A match feeds the correlation windows of the rules that reference it and,
unless it is only a correlation's building block, becomes an alert (deduplicated per rule and
group fields within a window). Correlation and dedup state can be snapshotted and restored,
so a restart of ``soc run`` keeps open windows.
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import msgspec

from detectors.alerting import ALERT_FIELDS, AlertDeduper, Decision, RuleMeta, build_alert, rule_meta
from detectors.correlation import BaseMatch, CorrelationEngine, CorrelationFiring
from detectors.correlation.models import reference_keys, rule_key
from detectors.sigma.logsources import event_shape, is_live, shape_keys
from detectors.sigma.pipeline import map_field
from detectors.sigma.prefilter import RuleIndex
from detectors.sigma.rules import CompiledRule, RuleFailure, RuleSet, load_rules
from detectors.sigma.view import EventView
from soc_core.alerts import Alert
from soc_core.detection import Match, MatchBatch, Outcome, RuleCost
from soc_core.events import Event
from soc_core.state.alerts import RuleHealthEntry
from soc_core.vocabulary import DATASETS, DEFAULT_TIMEZONE, RuleState

EXPIRE_EVERY = dt.timedelta(seconds=10)  # of event time, between sweeps of stale windows
COST_SAMPLE = 8  # matcher time is measured on one event in this many (rule health's cost)


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
    dedup_fields: tuple[str, ...] = ()  # the rule's own dedup fields, when it sets them


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
        # what a match hands to correlation: the fields windows and correlation alerts read
        self._carried = tuple(dict.fromkeys([*ALERT_FIELDS, *sorted(self.correlation.fields_read())]))
        quiet = _quiet_refs(ruleset)
        self.rules: list[_Loaded] = []
        for compiled in ruleset.rules:
            refs = compiled.refs
            hears = any(ref in listened for ref in refs)
            meta = rule_meta(compiled.rule, path=compiled.path)
            self.rules.append(
                _Loaded(
                    compiled=compiled,
                    meta=meta,
                    dedup_fields=tuple(meta.policy.fields or ()),
                    live=is_live(compiled.keys, datasets),
                    listened=hears,
                    generates=not any(ref in quiet for ref in refs),
                )
            )
        self.correlation_meta: dict[str, RuleMeta] = {
            rule_key(rule): rule_meta(rule, path=path) for rule, path in ruleset.correlations
        }
        # correlations that only feed another correlation raise no alerts of their own
        self._quiet_correlations = frozenset(
            rule_key(rule) for rule, _ in ruleset.correlations if quiet & {rule_key(rule), rule.name or ""}
        )
        self._expired_at: dt.datetime | None = None
        self.correlation_stats: dict[str, RuleStats] = {key: RuleStats() for key in self.correlation_meta}
        self.deduper = self._new_deduper()
        self._routes: dict[tuple[Any, ...], _Route] = {}
        self._by_id: dict[str, _Loaded] = {}
        for loaded in self.rules:
            self._by_id.setdefault(loaded.compiled.id, loaded)

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
        """The same compiled rules with empty windows, dedup state and counters.

        Rule metadata and the route cache (both stateless) are shared, so this is cheap.
        """
        other = copy.copy(self)
        other.correlation = CorrelationEngine(
            [rule for rule, _ in self.ruleset.correlations], map_field=map_field
        )
        other.rules = [dataclasses.replace(loaded, stats=RuleStats()) for loaded in self.rules]
        other._by_id = {}
        for loaded in other.rules:
            other._by_id.setdefault(loaded.compiled.id, loaded)
        other.correlation_stats = {key: RuleStats() for key in self.correlation_meta}
        other.deduper = self._new_deduper()
        other._expired_at = None
        return other

    def _new_deduper(self) -> AlertDeduper:
        window = self._dedup_window
        return AlertDeduper(window=window) if window is not None else AlertDeduper()

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
        outcome = self.settle(self.match(events))
        return outcome.new + outcome.updated

    def match(self, events: Sequence[Event]) -> MatchBatch:
        """Stateless half: the rules each event matches (routing, prefilter, matchers).

        Evaluations and matches are counted exactly; the time matchers take is measured on
        every ``COST_SAMPLE``-th event and scaled up (timing every call cost more than most
        matchers do).
        """
        batch = MatchBatch()
        rules, timezone, clock = self.rules, self.timezone, time.perf_counter_ns
        evaluations = [0] * len(rules)  # by rule position
        matched_count = [0] * len(rules)
        spent = [0] * len(rules)
        for index, event in enumerate(events):
            route = self._route(event)
            positions = route.rules
            if not positions:
                continue
            view = EventView.of(event, timezone=timezone)
            timed = index % COST_SAMPLE == 0
            for number in route.index.candidates(view):
                position = positions[number]
                loaded = rules[position]
                evaluations[position] += 1
                if timed:
                    started = clock()
                    matched = loaded.compiled.matcher(view)
                    spent[position] += (clock() - started) * COST_SAMPLE
                else:
                    matched = loaded.compiled.matcher(view)
                if matched:
                    matched_count[position] += 1
                    batch.matches.append(self._match(loaded, event, view))
        for position, count in enumerate(evaluations):
            if count:
                cost = batch.costs.setdefault(rules[position].compiled.id, RuleCost())
                cost.evaluations += count
                cost.matches += matched_count[position]
                cost.cost_ns += spent[position]
        return batch

    def _match(self, loaded: _Loaded, event: Event, view: EventView) -> Match:
        alert = None
        if loaded.generates:
            alert = build_alert(rule=loaded.meta, events=[event])
            if loaded.dedup_fields and alert.group is None:
                # settle() dedups without the event: carry the rule's own dedup fields
                alert.group = {f: v[0] for f in loaded.dedup_fields if (v := view.texts(f))}
        return Match(
            rule_id=loaded.compiled.id,
            event_id=event.ensure_id(),
            timestamp=event.timestamp,
            alert=alert,
            fields=view.project(self._carried) if loaded.listened else None,
        )

    def settle(self, batch: MatchBatch) -> Outcome:
        """Stateful half: correlation windows and dedup over ``batch``, in order."""
        outcome = Outcome()
        seen: set[str] = set()
        for rule_id, cost in batch.costs.items():
            loaded = self._by_id.get(rule_id)
            if loaded is not None:
                stats = loaded.stats
                stats.evaluations += cost.evaluations
                stats.matches += cost.matches
                stats.cost_ns += cost.cost_ns
        for match in batch.matches:
            loaded = self._by_id.get(match.rule_id)
            if loaded is None:  # rules changed under a worker: nothing to settle it against
                continue
            loaded.stats.last_fired = match.timestamp
            if match.fields is not None and loaded.listened:
                base = BaseMatch(loaded.compiled.refs, match.event_id, match.timestamp, match.fields)
                for firing in self.correlation.observe(base):
                    meta_alert = self._correlation_alert(firing, match.fields)
                    if meta_alert is not None:
                        self._emit(*meta_alert, outcome, seen)
            if match.alert is not None and self._emit(loaded.meta, match.alert, outcome, seen):
                loaded.stats.alerts += 1
        if batch.matches:
            self._expire(max(m.timestamp for m in batch.matches), outcome, seen)
        return outcome

    def _expire(self, now: dt.datetime, outcome: Outcome, seen: set[str]) -> None:
        """Close windows the stream has moved past (every ``EXPIRE_EVERY`` of event time).

        Bounds memory, and decides the rules that can only be judged once a window ends
        (``lt``/``lte``/``eq``/``neq`` counts).
        """
        if self._expired_at is not None and now - self._expired_at < EXPIRE_EVERY:
            return
        self._expired_at = now
        for firing in self.correlation.expire(now):
            meta_alert = self._correlation_alert(firing, dict(firing.group))
            if meta_alert is not None:
                self._emit(*meta_alert, outcome, seen)

    def _emit(self, meta: RuleMeta, alert: Alert, outcome: Outcome, seen: set[str]) -> bool:
        """Dedup ``alert``; record it in ``outcome``; whether it raised a new alert."""
        if not self._dedup_enabled:
            outcome.new.append(alert)
            return True
        decision, standing = self.deduper.offer(alert, rule=meta)
        if decision is Decision.SUPPRESSED:
            outcome.suppressed += 1
            return False
        if standing.id not in seen:
            seen.add(standing.id)
            (outcome.new if decision is Decision.NEW else outcome.updated).append(standing)
        return decision is Decision.NEW

    def _correlation_alert(
        self, firing: CorrelationFiring, fields: dict[str, Any]
    ) -> tuple[RuleMeta, Alert] | None:
        key = rule_key(firing.rule)
        meta = self.correlation_meta.get(key)
        if meta is None or key in self._quiet_correlations:
            return None
        event = Event.from_dict(fields)
        alert = build_alert(rule=meta, events=[event], group=firing.group, count=firing.count)
        alert.event_ids = list(firing.event_ids)
        alert.timestamp = firing.first_seen
        alert.last_seen = firing.last_seen
        stats = self.correlation_stats[key]
        stats.matches += 1
        stats.alerts += 1
        stats.last_fired = firing.last_seen
        return meta, alert

    def _route(self, event: Event) -> _Route:
        shape = event_shape(event)
        route = self._routes.get(shape)
        if route is None:
            keys = shape_keys(shape)
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
        if not getattr(rule, "generate", False):
            for reference in rule.rules or ():
                quiet |= reference_keys(reference)
    return frozenset(quiet)


def health_rows(engine: DetectionEngine) -> list[RuleHealthEntry]:
    """Rule health: every rule loaded (or unrouted), every refusal, with counters since start."""
    rows: list[RuleHealthEntry] = []
    for loaded in engine.rules:
        compiled, stats = loaded.compiled, loaded.stats
        reason = None
        if compiled.unresolved:
            reason = f"placeholder {', '.join(sorted(compiled.unresolved))} has no values: matches nothing"
        rows.append(
            RuleHealthEntry(
                rule_id=compiled.id,
                state=RuleState.LOADED if loaded.live else RuleState.UNROUTED,
                path=compiled.path,
                title=compiled.rule.title,
                reason=reason if loaded.live else "no live source for its logsource",
                level=loaded.meta.level,
                matches=stats.matches,
                last_fired=stats.last_fired,
                cost_ns_total=stats.cost_ns,
                evaluations=stats.evaluations,
            )
        )
    for key, meta in engine.correlation_meta.items():
        stats = engine.correlation_stats[key]
        rejected = engine.correlation.rejected.get(key)
        rows.append(
            RuleHealthEntry(
                rule_id=key,
                state=RuleState.FAILED if rejected else RuleState.LOADED,
                reason=rejected,
                path=meta.path,
                title=meta.title,
                kind="correlation",
                level=meta.level,
                matches=stats.matches,
                last_fired=stats.last_fired,
            )
        )
    for failure in engine.ruleset.failed:
        rows.append(
            RuleHealthEntry(
                rule_id=failure.id or failure.path,
                state=RuleState.FAILED,
                path=failure.path,
                title=failure.title,
                reason=failure.reason,
            )
        )
    return rows
