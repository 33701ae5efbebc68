"""From a rule match to an alert: building it, its GB/T 20986 category, dedup and suppression.

The engine turns each pySigma rule into a :class:`RuleMeta` once (:func:`rule_meta`), calls
:func:`build_alert` when the rule matches, and passes the alert through an
:class:`AlertDeduper`, which says whether it is new, folded into an open alert, or suppressed.

Per-rule behaviour comes from the custom Sigma attribute ``shaowang`` (pySigma keeps unknown
top-level keys in ``rule.custom_attributes``)::

    shaowang:
      dedup: {fields: [source.ip], window: 10m}   # or ``dedup: false``
      suppress: 1h
      gb20986: VAI

Everything here is pure and runs on event time, never on the wall clock, so replaying the
same events gives the same alerts, and the deduper's state can be saved and restored.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import msgspec

from detectors.gb20986 import Category, UnknownCategoryError, classify
from soc_core.alerts import Alert
from soc_core.errors import ShaowangError
from soc_core.events import Event, utc
from soc_core.vocabulary import Severity

ATTRIBUTE = "shaowang"
DEFAULT_DEDUP_FIELDS: tuple[str, ...] = ("source.ip", "destination.ip")
DEFAULT_DEDUP_WINDOW = dt.timedelta(minutes=5)
DEFAULT_MAX_EVENT_IDS = 100
DEFAULT_MAX_OPEN = 100_000
DEFAULT_SEVERITY = Severity.MEDIUM  # a rule without ``level``
_EXPIRE_EVERY = 1024  # offers between sweeps of expired entries
_SNAPSHOT_VERSION = 1
_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw]?)\s*$", re.IGNORECASE)
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class RuleConfigError(ShaowangError, ValueError):
    """A rule's ``shaowang`` attribute or GB/T 20986 code is invalid; ``where`` is the rule."""


def parse_duration(value: object, *, where: str | None = None) -> dt.timedelta:
    """``30s`` / ``10m`` / ``1h`` / ``2d`` / ``1w`` (Sigma timespan style) or plain seconds."""
    if isinstance(value, dt.timedelta):
        return value
    if isinstance(value, bool):
        raise RuleConfigError(f"not a duration: {value!r}", where=where)
    if isinstance(value, int | float):
        if value < 0:
            raise RuleConfigError(f"negative duration: {value!r}", where=where)
        return dt.timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise RuleConfigError(f"not a duration (use e.g. 30s, 10m, 1h, 2d): {value!r}", where=where)
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2).lower()])


# -- the rule as alerting sees it ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """How a rule's alerts are folded and silenced; ``None`` means the deduper's default."""

    dedup: bool = True
    fields: tuple[str, ...] | None = None
    window: dt.timedelta | None = None
    suppress: dt.timedelta | None = None


def parse_policy(custom_attributes: Mapping[str, Any], *, where: str | None = None) -> AlertPolicy:
    """The policy in a rule's ``shaowang`` custom attribute (defaults when absent)."""
    section = custom_attributes.get(ATTRIBUTE)
    if section is None:
        return AlertPolicy()
    if not isinstance(section, Mapping):
        raise RuleConfigError(f"{ATTRIBUTE!r} must be a mapping", where=where)
    dedup_spec = section.get("dedup", True)
    dedup, fields, window = True, None, None
    if isinstance(dedup_spec, bool):
        dedup = dedup_spec
    elif isinstance(dedup_spec, Mapping):
        if set(dedup_spec) - {"fields", "window"}:
            raise RuleConfigError(f"dedup takes 'fields' and 'window', got {sorted(dedup_spec)}", where=where)
        raw_fields = dedup_spec.get("fields")
        if raw_fields is not None:
            if isinstance(raw_fields, str):
                raw_fields = [raw_fields]
            if not isinstance(raw_fields, list) or not all(isinstance(f, str) and f for f in raw_fields):
                raise RuleConfigError("dedup.fields must be a list of field names", where=where)
            fields = tuple(raw_fields)
        if dedup_spec.get("window") is not None:
            window = parse_duration(dedup_spec["window"], where=where)
            dedup = window > dt.timedelta(0)
    else:
        raise RuleConfigError("dedup must be true, false or a mapping", where=where)
    suppress = None
    if section.get("suppress") is not None:
        suppress = parse_duration(section["suppress"], where=where) or None
    return AlertPolicy(dedup=dedup, fields=fields, window=window, suppress=suppress)


@dataclass(frozen=True)
class RuleMeta:
    """What alerting needs to know about a rule (filled from a pySigma rule by :func:`rule_meta`).

    An invalid level, ``shaowang`` attribute or GB/T 20986 code never stops alerting: the
    default takes its place and :attr:`problems` says what was wrong (for rule health and
    ``soc rules check``); :meth:`check` raises instead.
    """

    id: str
    title: str
    level: str | None = None
    tags: tuple[str, ...] = ()
    description: str | None = None
    category: str | None = None  # the logsource category
    custom: Mapping[str, Any] = field(default_factory=dict, hash=False, compare=False)
    path: str | None = None

    @property
    def where(self) -> str:
        """How errors name the rule: its path, else its id."""
        return self.path or self.id

    @functools.cached_property
    def _resolved(self) -> tuple[Severity, AlertPolicy, Category, tuple[str, ...]]:
        problems: list[str] = []
        severity = DEFAULT_SEVERITY
        if self.level:
            try:
                severity = Severity.from_sigma_level(self.level)
            except KeyError:
                problems.append(f"unknown level {self.level!r}")
        try:
            policy = parse_policy(self.custom)
        except RuleConfigError as exc:
            problems.append(exc.message)
            policy = AlertPolicy()
        try:
            category = classify(self.tags, self.custom)
        except UnknownCategoryError as exc:
            problems.append(str(exc))
            category = classify([t for t in self.tags if not t.lower().startswith("gb20986.")])
        return severity, policy, category, tuple(problems)

    @property
    def severity(self) -> Severity:
        """Severity from the Sigma ``level`` (medium when it has none)."""
        return self._resolved[0]

    @property
    def policy(self) -> AlertPolicy:
        """Dedup and suppression settings from the ``shaowang`` custom attribute."""
        return self._resolved[1]

    @property
    def gb20986(self) -> Category:
        """The GB/T 20986 category of the rule's alerts."""
        return self._resolved[2]

    @property
    def problems(self) -> tuple[str, ...]:
        """What is wrong with the rule's alerting settings (empty when nothing is)."""
        return self._resolved[3]

    def check(self) -> None:
        """Raise :class:`RuleConfigError` if the level, policy or category is invalid."""
        if self.problems:
            raise RuleConfigError("; ".join(self.problems), where=self.where)


def rule_meta(rule: Any, *, path: str | None) -> RuleMeta:
    """A :class:`RuleMeta` from a pySigma ``SigmaRule`` or ``SigmaCorrelationRule``."""
    source = getattr(rule, "source", None)
    if path is None and source is not None and getattr(source, "path", None) is not None:
        path = str(source.path)
    title = str(rule.title or "")
    rule_id = str(rule.id or getattr(rule, "name", None) or path or title or "unnamed")
    level = getattr(rule, "level", None)
    logsource = getattr(rule, "logsource", None)
    return RuleMeta(
        id=rule_id,
        title=title or rule_id,
        level=None if level is None else str(getattr(level, "name", level)).lower(),
        tags=tuple(str(tag) for tag in (rule.tags or ())),
        description=rule.description,
        category=None if logsource is None else logsource.category,
        custom=dict(rule.custom_attributes or {}),
        path=path,
    )


# -- building ------------------------------------------------------------------------------


def format_group(pairs: Iterable[tuple[str, object]]) -> str | None:
    """``field=value,field=value`` for the pairs that have a value (None when none has)."""
    parts = [f"{name}={value}" for name, value in pairs if value is not None and value != ""]
    return ",".join(parts) or None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        items = [str(v) for v in value if v is not None]
        return ",".join(items) if items else None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


def _first(events: Sequence[Event], dotted: str) -> str | None:
    for event in events:
        value = _text(event.get(dotted))
        if value:
            return value
    return None


ALERT_FIELDS: tuple[str, ...] = (
    "@timestamp",
    "event.id",
    "source.ip",
    "destination.ip",
    "url.original",
    "url.full",
    "url.domain",
    "destination.domain",
    "rule.category",
    "labels",
)
"""The event fields :func:`build_alert` reads (a correlation carries these from its matches)."""


def build_alert(
    *,
    rule: RuleMeta,
    events: Sequence[Event],
    group: Mapping[str, Any] | None = None,
    count: int | None = None,
) -> Alert:
    """The alert for ``rule`` matching ``events`` (for a correlation: its ``group`` and ``count``).

    Source and destination come from the first event that has them (or the group), the target
    is the destination ip or else the url, the time is that of the earliest event.
    """
    if not events:
        raise ValueError(f"an alert needs at least one event (rule {rule.id})")
    times = [utc(event.timestamp) for event in events]
    group_text = {str(k): v for k, v in ((k, _text(v)) for k, v in (group or {}).items()) if v is not None}
    source_ip = group_text.get("source.ip") or _first(events, "source.ip")
    destination_ip = group_text.get("destination.ip") or _first(events, "destination.ip")
    url = _first(events, "url.original") or _first(events, "url.full")
    target = destination_ip or _first(events, "url.domain") or url or _first(events, "destination.domain")
    ids_category = _first(events, "rule.category")
    attack_type = rule.title
    if ids_category and ids_category.lower() != rule.title.lower():
        attack_type = f"{rule.title} ({ids_category})"
    category = rule.gb20986
    return Alert(
        rule_id=rule.id,
        rule_name=rule.title,
        severity=rule.severity,
        timestamp=min(times),
        last_seen=max(times),
        tags=list(rule.tags),
        gb20986_category=category.code,
        gb20986_name=category.name,
        source_ip=source_ip,
        destination_ip=destination_ip,
        url=url,
        attack_type=attack_type,
        target=target,
        event_ids=[event.ensure_id() for event in events],
        group=group_text or None,
        group_key=format_group(group_text.items()),
        count=count if count is not None else len(events),
        description=rule.description,
        rule_path=rule.path,
        labels=_common_labels(events),
    )


def _common_labels(events: Sequence[Event]) -> dict[str, str] | None:
    """The labels (key and value) that every event carries."""
    common: dict[str, str] | None = None
    for event in events:
        labels = event.labels or {}
        common = dict(labels) if common is None else {k: v for k, v in common.items() if labels.get(k) == v}
        if not common:
            return None
    return common or None


# -- dedup and suppression -----------------------------------------------------------------


class Decision(StrEnum):
    """What the deduper did with an alert."""

    NEW = "new"
    UPDATED = "updated"  # folded into an open alert, which is returned
    SUPPRESSED = "suppressed"  # dropped: the rule is silenced for this key


@dataclass(slots=True)
class DedupResult:
    """Alerts to raise, open alerts that changed, and how many matches were suppressed."""

    new: list[Alert] = field(default_factory=list)
    updated: list[Alert] = field(default_factory=list)
    suppressed: int = 0


class _Entry(msgspec.Struct, kw_only=True):
    rule_id: str
    key: list[str | None]
    alert: Alert | None  # None when the rule does not dedup but is suppressed
    window_end: dt.datetime | None = None
    suppress_until: dt.datetime | None = None

    def ends(self) -> dt.datetime:
        ends = [t for t in (self.window_end, self.suppress_until) if t is not None]
        return max(ends) if ends else dt.datetime.min.replace(tzinfo=dt.UTC)


class _Snapshot(msgspec.Struct, kw_only=True):
    version: int
    watermark: dt.datetime | None
    suppressed: int
    entries: list[_Entry]


_snapshot_decoder = msgspec.msgpack.Decoder(_Snapshot)
_snapshot_encoder = msgspec.msgpack.Encoder()

_Key = tuple[str, tuple[str | None, ...]]


class AlertDeduper:
    """Folds repeated matches of a rule for the same key into one open alert; silences noisy rules.

    The key is the rule id plus the values of the dedup fields (default source.ip and
    destination.ip). A match whose time falls within ``window`` of the open alert's first
    event is folded into it (count, last seen, event ids up to ``max_event_ids``); the window
    does not slide, so a steady attack raises one alert per window. With ``suppress``, matches
    for the key are dropped entirely until that long after the alert was raised.
    """

    def __init__(
        self,
        *,
        fields: Sequence[str] = DEFAULT_DEDUP_FIELDS,
        window: dt.timedelta = DEFAULT_DEDUP_WINDOW,
        max_event_ids: int = DEFAULT_MAX_EVENT_IDS,
        max_open: int = DEFAULT_MAX_OPEN,
        rules: Iterable[RuleMeta] = (),
    ) -> None:
        self.fields = tuple(fields)
        self.window = window
        self.max_event_ids = max_event_ids
        self.max_open = max_open
        self.suppressed = 0  # matches dropped since start (kept across snapshots)
        self._entries: dict[_Key, _Entry] = {}
        self._watermark: dt.datetime | None = None
        self._offers = 0
        self._policies: dict[str, AlertPolicy] = {}
        for rule in rules:
            self.register(rule)

    def register(self, rule: RuleMeta) -> None:
        """Remember ``rule``'s policy, for alerts offered without their rule (:meth:`admit`)."""
        self._policies[rule.id] = rule.policy

    # -- the decision ----------------------------------------------------------------------

    def offer(
        self, alert: Alert, *, rule: RuleMeta | None = None, events: Sequence[Event] = ()
    ) -> tuple[Decision, Alert]:
        """Decide about a freshly built ``alert``; returns the decision and the alert that stands.

        For ``UPDATED`` that is the open alert (changed in place), otherwise ``alert`` itself.
        Without ``rule``, the policy registered for ``alert.rule_id`` applies (else the defaults);
        dedup field values come from the alert's group, then ``events``, then its ip fields.
        """
        policy = rule.policy if rule is not None else self._policies.get(alert.rule_id, AlertPolicy())
        fields = policy.fields or self.fields
        window = policy.window if policy.window is not None else self.window
        values = tuple(self._value(name, alert, events) for name in fields)
        if alert.group_key is None:
            alert.group_key = format_group(zip(fields, values, strict=True))
        key: _Key = (alert.rule_id, values)
        start = utc(alert.timestamp)
        self._advance(utc(alert.last_seen or alert.timestamp))

        entry = self._entries.get(key)
        if entry is not None and entry.suppress_until is not None and start < entry.suppress_until:
            self.suppressed += 1
            return Decision.SUPPRESSED, entry.alert or alert
        if (
            entry is not None
            and entry.alert is not None
            and policy.dedup
            and entry.window_end is not None
            and utc(entry.alert.timestamp) - window <= start < entry.window_end
        ):
            self._fold(entry.alert, alert)
            return Decision.UPDATED, entry.alert

        # A late event from before the open alert raises its own alert but leaves the open one be.
        if entry is None or entry.alert is None or start >= utc(entry.alert.timestamp):
            self._entries.pop(key, None)  # re-inserted last: the dict stays ordered oldest first
            self._entries[key] = _Entry(
                rule_id=alert.rule_id,
                key=list(values),
                alert=alert if policy.dedup else None,
                window_end=start + window if policy.dedup else None,
                suppress_until=start + policy.suppress if policy.suppress else None,
            )
            if not policy.dedup and not policy.suppress:
                del self._entries[key]  # nothing to remember for this rule
        self._housekeep()
        return Decision.NEW, alert

    def admit(
        self, alert: Alert, *, rule: RuleMeta | None = None, events: Sequence[Event] = ()
    ) -> Alert | None:
        """The alert to pass on: ``alert``, or the open alert it was folded into; None if suppressed."""
        decision, standing = self.offer(alert, rule=rule, events=events)
        return None if decision is Decision.SUPPRESSED else standing

    def process(self, matches: Iterable[tuple[RuleMeta, Alert, Sequence[Event]]]) -> DedupResult:
        """Offer a batch of (rule, alert, events); the alerts to raise and the open ones changed."""
        result = DedupResult()
        new_ids: set[str] = set()
        updated: dict[str, Alert] = {}
        for rule, alert, events in matches:
            decision, standing = self.offer(alert, rule=rule, events=events)
            if decision is Decision.NEW:
                result.new.append(standing)
                new_ids.add(standing.id)
            elif decision is Decision.UPDATED:
                if standing.id not in new_ids:
                    updated[standing.id] = standing
            else:
                result.suppressed += 1
        result.updated = list(updated.values())
        return result

    def _value(self, name: str, alert: Alert, events: Sequence[Event]) -> str | None:
        if alert.group and name in alert.group:
            return alert.group[name]
        found = _first(events, name)
        if found is not None:
            return found
        if name == "source.ip":
            return alert.source_ip
        if name == "destination.ip":
            return alert.destination_ip
        return None

    def _fold(self, into: Alert, alert: Alert) -> None:
        into.count += alert.count
        room = self.max_event_ids - len(into.event_ids)
        if room > 0:
            known = set(into.event_ids)
            into.event_ids.extend([i for i in alert.event_ids if i not in known][:room])
        last = utc(alert.last_seen or alert.timestamp)
        if into.last_seen is None or last > utc(into.last_seen):
            into.last_seen = last
        if utc(alert.timestamp) < utc(into.timestamp):
            into.timestamp = utc(alert.timestamp)

    # -- bounded memory --------------------------------------------------------------------

    def _advance(self, time: dt.datetime) -> None:
        if self._watermark is None or time > self._watermark:
            self._watermark = time

    def _housekeep(self) -> None:
        self._offers += 1
        if self._offers % _EXPIRE_EVERY == 0 or len(self._entries) > self.max_open:
            self.expire()
        while len(self._entries) > self.max_open:
            del self._entries[next(iter(self._entries))]

    def expire(self, now: dt.datetime | None = None) -> int:
        """Forget keys whose window and suppression ended by ``now`` (default: latest event time)."""
        horizon = utc(now) if now is not None else self._watermark
        if horizon is None:
            return 0
        dead = [key for key, entry in self._entries.items() if entry.ends() <= horizon]
        for key in dead:
            del self._entries[key]
        return len(dead)

    def open_alerts(self) -> list[Alert]:
        """The alerts still open for folding, oldest first."""
        return [entry.alert for entry in self._entries.values() if entry.alert is not None]

    def __len__(self) -> int:
        return len(self._entries)

    # -- surviving a restart ---------------------------------------------------------------

    def snapshot(self) -> bytes:
        """The state as bytes (for ``save_detection_state``)."""
        self.expire()
        return _snapshot_encoder.encode(
            _Snapshot(
                version=_SNAPSHOT_VERSION,
                watermark=self._watermark,
                suppressed=self.suppressed,
                entries=list(self._entries.values()),
            )
        )

    def restore(self, data: bytes) -> None:
        """Replace the state with a :meth:`snapshot`; settings stay those of this deduper."""
        snap = _snapshot_decoder.decode(data)
        if snap.version != _SNAPSHOT_VERSION:
            raise ValueError(f"unsupported dedup snapshot version {snap.version}")
        self._watermark = None if snap.watermark is None else utc(snap.watermark)
        self.suppressed = snap.suppressed
        self._entries = {(e.rule_id, tuple(e.key)): e for e in snap.entries}
