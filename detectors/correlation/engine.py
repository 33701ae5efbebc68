"""``CorrelationEngine``: per (correlation rule, group key) sliding windows fed by base-rule matches.

See the package docstring for the window edges, firing and reset rules.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import msgspec
from sigma.correlations import SigmaCorrelationRule, SigmaCorrelationType

from detectors.correlation.models import (
    DEFAULT_MAX_WINDOW_EVENTS,
    FIRING_EVENT_IDS,
    BaseMatch,
    CompiledCorrelation,
    CorrelationFiring,
    UnsupportedCorrelation,
)
from detectors.correlation.windows import Entry, Window

log = logging.getLogger(__name__)

SNAPSHOT_VERSION = 1
DEFAULT_MAX_GROUPS = 100_000  # per rule; the least recently fed group goes first
DEFAULT_MAX_PER_RULE = 32  # temporal windows: newest matches kept per referenced rule
_MAX_CHAIN_DEPTH = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EVENT_COUNT = SigmaCorrelationType.EVENT_COUNT
_VALUE_COUNT = SigmaCorrelationType.VALUE_COUNT
_TEMPORAL = SigmaCorrelationType.TEMPORAL
_TEMPORAL_ORDERED = SigmaCorrelationType.TEMPORAL_ORDERED

GroupKey = tuple[Hashable, ...]


class _Header(msgspec.Struct):
    version: int


class _WindowState(msgspec.Struct, array_like=True):
    group: list[Any]
    opened: int
    entries: list[tuple[int, int, int, str, list[Any]]]


class _RuleState(msgspec.Struct):
    fingerprint: str
    windows: list[_WindowState]


class _Snapshot(msgspec.Struct):
    version: int
    sequence: int
    rules: dict[str, _RuleState]


def _micros(ts: datetime) -> int:
    if ts.tzinfo is None:
        ts = ts.replace(tzinfo=UTC)
    return (ts - _EPOCH) // _MICROSECOND


def _datetime(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


def _freeze(value: Any) -> Hashable:
    """A hashable form that survives the JSON snapshot unchanged (lists become tuples)."""
    if value is None or isinstance(value, str | int | float | bool):
        return cast(Hashable, value)
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value)
    return str(value)


def _thaw(value: Hashable) -> Any:
    if isinstance(value, tuple):
        return [_thaw(item) for item in value]
    return value


def _marks_of(value: Any) -> tuple[Hashable, ...]:
    """The distinct-countable values of one field: each element of a list, nothing for null."""
    if value is None:
        return ()
    if isinstance(value, list | tuple):
        return tuple(_freeze(item) for item in value if item is not None)
    return (_freeze(value),)


class CorrelationEngine:
    """Stateful evaluation of Sigma correlation rules over a stream of base-rule matches.

    Rules this engine cannot evaluate are left out and listed in ``rejected`` (rule key → reason).
    """

    def __init__(
        self,
        rules: Sequence[SigmaCorrelationRule],
        *,
        map_field: Callable[[str], str] = lambda f: f,
        max_window_events: int = DEFAULT_MAX_WINDOW_EVENTS,
        max_groups: int = DEFAULT_MAX_GROUPS,
        max_per_rule: int = DEFAULT_MAX_PER_RULE,
    ) -> None:
        self._max_window_events = max_window_events
        self._max_per_rule = max_per_rule
        self._max_groups = max_groups
        self.rejected: dict[str, str] = {}
        self._compiled: list[CompiledCorrelation] = []
        keys: set[str] = set()
        for rule in rules:
            try:
                compiled = CompiledCorrelation.build(
                    rule, map_field=map_field, max_window_events=max_window_events
                )
            except UnsupportedCorrelation as error:
                self.rejected[rule.title if rule.id is None else str(rule.id)] = str(error)
                continue
            while compiled.key in keys:  # rules without id sharing a title: still distinct state
                compiled.key += "+"
            keys.add(compiled.key)
            self._compiled.append(compiled)
        self._windows: list[dict[GroupKey, Window]] = [{} for _ in self._compiled]
        # ref string → (position in _compiled, index of the referenced rule)
        self._listeners: dict[str, list[tuple[int, int]]] = {}
        for position, compiled in enumerate(self._compiled):
            for index, ref_keys in enumerate(compiled.refs):
                for ref in ref_keys:
                    self._listeners.setdefault(ref, []).append((position, index))
        # what a firing of each correlation rule is known by, for rules that chain on it
        self._own_refs: list[tuple[str, ...]] = [
            tuple(ref for ref in (str(c.rule.id) if c.rule.id else None, c.rule.name) if ref)
            for c in self._compiled
        ]
        correlation_refs = {ref for refs in self._own_refs for ref in refs}
        self._referenced = frozenset(ref for ref in self._listeners if ref not in correlation_refs)
        self._sequence = 0

    @property
    def rules(self) -> list[SigmaCorrelationRule]:
        return [compiled.rule for compiled in self._compiled]

    def fields_read(self) -> frozenset[str]:
        """Every event field a window reads (group-by, value and alias fields, after mapping)."""
        names: set[str] = set()
        for compiled in self._compiled:
            for group in compiled.group_fields:
                names.update(group)
            names.update(f for f in compiled.value_fields if f)
        return frozenset(names)

    def referenced(self) -> frozenset[str]:
        """Ids and names of the base rules whose matches this engine wants."""
        return self._referenced

    def window_count(self) -> int:
        return sum(len(windows) for windows in self._windows)

    # -- feeding ---------------------------------------------------------------------------------

    def observe(self, match: BaseMatch) -> list[CorrelationFiring]:
        """Add one base-rule match; return the correlations (including chained ones) it completes."""
        out: list[CorrelationFiring] = []
        self._dispatch(match, out, 0)
        return out

    def _targets(self, refs: tuple[str, ...]) -> Sequence[tuple[int, int]]:
        listeners = self._listeners
        if len(refs) == 1:
            return listeners.get(refs[0], ())
        found: list[tuple[int, int]] = []
        for ref in refs:
            for target in listeners.get(ref, ()):
                if target not in found:
                    found.append(target)
        return found

    def _dispatch(self, match: BaseMatch, out: list[CorrelationFiring], depth: int) -> None:
        targets = self._targets(match.rule_refs)
        if not targets:
            return
        ts = _micros(match.timestamp)
        for position, index in targets:
            firing = self._update(position, index, match, ts)
            if firing is not None:
                out.append(firing)
                self._chain(position, firing, match.fields, out, depth)

    def _chain(
        self,
        position: int,
        firing: CorrelationFiring,
        fields: Mapping[str, Any],
        out: list[CorrelationFiring],
        depth: int,
    ) -> None:
        """Feed a firing to the correlation rules that reference this one."""
        own = self._own_refs[position]
        if depth >= _MAX_CHAIN_DEPTH or not any(ref in self._listeners for ref in own):
            return
        merged = {**fields, **firing.group}
        event_id = firing.event_ids[-1] if firing.event_ids else ""
        self._dispatch(BaseMatch(own, event_id, firing.last_seen, merged), out, depth + 1)

    def _update(self, position: int, index: int, match: BaseMatch, ts: int) -> CorrelationFiring | None:
        compiled = self._compiled[position]
        fields = match.fields
        kind = compiled.kind
        if kind is _VALUE_COUNT:
            value_field = compiled.value_fields[index]
            marks = _marks_of(fields.get(value_field)) if value_field else ()
            if not marks:
                return None  # nothing to count; a null value is not a distinct value
        elif kind is _EVENT_COUNT:
            marks = ()
        else:
            marks = (index,)
        key = tuple([_freeze(fields.get(name)) for name in compiled.group_fields[index]])
        windows = self._windows[position]
        window = windows.pop(key, None)
        if window is None:
            window = Window()
            if len(windows) >= self._max_groups:
                del windows[next(iter(windows))]
        windows[key] = window  # re-inserted: the dict's order is least recently fed first
        per_rule = kind is _TEMPORAL or kind is _TEMPORAL_ORDERED
        if window.repeats(match.event_id, index if per_rule else None):
            return None  # the same event through a second referenced rule counts once
        self._sequence += 1
        entry: Entry = (ts, self._sequence, index, match.event_id, marks)
        if not compiled.eager:
            return self._feed_closing(compiled, key, window, entry)
        window.add(entry)
        window.drop_through(window.newest - compiled.span_us)
        if not window.entries or ts <= window.newest - compiled.span_us:
            return None  # too late: outside the window of the newest event of the group
        if per_rule:
            window.limit_mark(index, self._max_per_rule)
        window.trim(self._max_window_events)
        if not self._met(compiled, window):
            return None
        firing = self._firing(compiled, key, window)
        window.clear()
        return firing

    def _feed_closing(
        self, compiled: CompiledCorrelation, key: GroupKey, window: Window, entry: Entry
    ) -> CorrelationFiring | None:
        firing = None
        if window.entries and entry[0] >= window.opened + compiled.span_us:
            firing = self._close(compiled, key, window)
        if not window.entries:
            window.opened = entry[0]
        window.add(entry)
        window.trim(self._max_window_events)
        return firing

    def _close(
        self, compiled: CompiledCorrelation, key: GroupKey, window: Window
    ) -> CorrelationFiring | None:
        firing = self._firing(compiled, key, window) if self._met(compiled, window) else None
        window.clear()
        return firing

    @staticmethod
    def _met(compiled: CompiledCorrelation, window: Window) -> bool:
        kind = compiled.kind
        if kind is _EVENT_COUNT:
            return compiled.holds(len(window))
        if kind is _VALUE_COUNT:
            return compiled.holds(window.distinct())
        if kind is _TEMPORAL:
            if compiled.expression is not None:
                return compiled.expression(cast(frozenset[int], frozenset(window.tally)))
            return compiled.holds(window.distinct())
        # temporal_ordered: the count is how many referenced rules matched one after another
        if compiled.eager and not compiled.holds(window.distinct()):
            return False  # the ordered count never exceeds the unordered one
        return compiled.holds(window.ordered_prefix(len(compiled.refs)))

    @staticmethod
    def _firing(compiled: CompiledCorrelation, key: GroupKey, window: Window) -> CorrelationFiring:
        entries = window.entries
        event_ids = list(dict.fromkeys(entry[3] for entry in entries))
        count = window.distinct() if compiled.kind is _VALUE_COUNT else len(event_ids)
        return CorrelationFiring(
            rule=compiled.rule,
            group={name: _thaw(value) for name, value in zip(compiled.group_names, key, strict=True)},
            event_ids=event_ids[-FIRING_EVENT_IDS:],
            count=count,
            first_seen=_datetime(entries[0][0]),
            last_seen=_datetime(entries[-1][0]),
        )

    # -- housekeeping ----------------------------------------------------------------------------

    def expire(self, now: datetime) -> list[CorrelationFiring]:
        """Drop windows that can no longer fire at event time ``now``.

        Rules evaluated when their window ends (``lt``/``lte``/``eq``/``neq``) are evaluated here
        for every window that ended at or before ``now``; their firings are returned.
        """
        limit = _micros(now)
        out: list[CorrelationFiring] = []
        for position, compiled in enumerate(self._compiled):
            windows = self._windows[position]
            stale: list[GroupKey] = []
            for key, window in windows.items():
                if compiled.eager:
                    if not window.entries or window.newest <= limit - compiled.span_us:
                        stale.append(key)
                elif not window.entries or window.opened + compiled.span_us <= limit:
                    stale.append(key)
                    if window.entries:
                        firing = self._close(compiled, key, window)
                        if firing is not None:
                            out.append(firing)
            for key in stale:
                del windows[key]
        chained: list[CorrelationFiring] = []
        for firing in out:
            position = next(p for p, c in enumerate(self._compiled) if c.rule is firing.rule)
            self._chain(position, firing, {}, chained, 0)
        return out + chained

    # -- persistence -----------------------------------------------------------------------------

    def snapshot(self) -> bytes:
        """All window state as versioned JSON."""
        rules: dict[str, _RuleState] = {}
        for position, compiled in enumerate(self._compiled):
            states = [
                _WindowState(
                    group=list(key),
                    opened=window.opened,
                    entries=[(e[0], e[1], e[2], e[3], list(e[4])) for e in window.entries],
                )
                for key, window in self._windows[position].items()
                if window.entries
            ]
            rules[compiled.key] = _RuleState(fingerprint=compiled.fingerprint, windows=states)
        return msgspec.json.encode(_Snapshot(version=SNAPSHOT_VERSION, sequence=self._sequence, rules=rules))

    def restore(self, data: bytes) -> None:
        """Replace all window state with a snapshot's.

        State of rules that are gone or whose definition changed (references, group-by, timespan,
        condition, aliases) is dropped. Raises ``ValueError`` for data that is not a snapshot of
        this version.
        """
        try:
            header = msgspec.json.decode(data, type=_Header)
            if header.version != SNAPSHOT_VERSION:
                raise ValueError(f"correlation snapshot version {header.version} is not {SNAPSHOT_VERSION}")
            snapshot = msgspec.json.decode(data, type=_Snapshot)
        except msgspec.MsgspecError as error:
            raise ValueError(f"not a correlation snapshot: {error}") from error
        self._windows = [{} for _ in self._compiled]
        self._sequence = max(self._sequence, snapshot.sequence)
        for position, compiled in enumerate(self._compiled):
            state = snapshot.rules.get(compiled.key)
            if state is None:
                continue
            if state.fingerprint != compiled.fingerprint:
                log.info("correlation rule %s changed; its window state is dropped", compiled.key)
                continue
            windows = self._windows[position]
            for saved in state.windows:
                window = Window()
                window.opened = saved.opened
                for ts, sequence, index, event_id, marks in saved.entries:
                    if 0 <= index < len(compiled.refs):
                        window.add((ts, sequence, index, event_id, tuple(_freeze(m) for m in marks)))
                if window.entries:
                    windows[tuple(_freeze(value) for value in saved.group)] = window
