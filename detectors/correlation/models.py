"""What the correlation layer receives (``BaseMatch``), what it emits (``CorrelationFiring``) and
each Sigma correlation rule prepared for fast evaluation (``CompiledCorrelation``)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from sigma.correlations import (
    CorrelationConditionAND,
    CorrelationConditionItem,
    CorrelationConditionNOT,
    CorrelationConditionOR,
    SigmaCorrelationCondition,
    SigmaCorrelationConditionOperator,
    SigmaCorrelationRule,
    SigmaCorrelationType,
    SigmaExtendedCorrelationCondition,
    SigmaRuleReference,
)

# Threshold rules above this many events per window cannot be held in memory and are refused.
DEFAULT_MAX_WINDOW_EVENTS = 10_000
FIRING_EVENT_IDS = 100


@dataclass(frozen=True, slots=True)
class BaseMatch:
    """One event matched by one base Sigma rule."""

    rule_refs: tuple[str, ...]  # the base rule's id and its `name` (if any)
    event_id: str
    timestamp: datetime  # event time, UTC aware
    fields: Mapping[str, Any]  # the event as a flat dotted ECS dict


@dataclass(frozen=True, slots=True)
class CorrelationFiring:
    """A correlation rule's condition met for one group."""

    rule: SigmaCorrelationRule
    group: dict[str, Any]  # group-by field (ECS name, or alias name) -> value; {} without group-by
    event_ids: list[str]  # the newest FIRING_EVENT_IDS events of the window, oldest first
    count: int  # events (event_count, temporal*) or distinct values (value_count)
    first_seen: datetime
    last_seen: datetime


class UnsupportedCorrelation(Exception):
    """The rule cannot be evaluated by this engine; the message is the reason shown to the user."""


def rule_key(rule: SigmaCorrelationRule) -> str:
    """Stable identity of a correlation rule across restarts: its id, else its name, else its title."""
    if rule.id is not None:
        return str(rule.id)
    return rule.name or rule.title


def reference_keys(ref: SigmaRuleReference) -> set[str]:
    """Every string a base match may carry for ``ref``: the reference as written, the id and name."""
    keys = {ref.reference}
    with contextlib.suppress(ValueError):
        keys.add(str(UUID(ref.reference)))
    target = getattr(ref, "rule", None)  # set only after the collection resolved references
    if target is not None:
        if target.id is not None:
            keys.add(str(target.id))
        if target.name:
            keys.add(target.name)
    return keys


_OPERATORS: dict[SigmaCorrelationConditionOperator, Callable[[int, int], bool]] = {
    SigmaCorrelationConditionOperator.GTE: lambda c, n: c >= n,
    SigmaCorrelationConditionOperator.GT: lambda c, n: c > n,
    SigmaCorrelationConditionOperator.LTE: lambda c, n: c <= n,
    SigmaCorrelationConditionOperator.LT: lambda c, n: c < n,
    SigmaCorrelationConditionOperator.EQ: lambda c, n: c == n,
    SigmaCorrelationConditionOperator.NEQ: lambda c, n: c != n,
}
_GROWING = frozenset({SigmaCorrelationConditionOperator.GTE, SigmaCorrelationConditionOperator.GT})
_SUPPORTED = frozenset(
    {
        SigmaCorrelationType.EVENT_COUNT,
        SigmaCorrelationType.VALUE_COUNT,
        SigmaCorrelationType.TEMPORAL,
        SigmaCorrelationType.TEMPORAL_ORDERED,
    }
)


def _expression(node: Any, index_of: Mapping[str, int]) -> Callable[[frozenset[int]], bool]:
    """An extended temporal condition (``a and not b``) as a predicate over the rules seen."""
    if isinstance(node, SigmaRuleReference):
        if node.reference not in index_of:
            raise UnsupportedCorrelation(f"condition names unknown rule {node.reference!r}")
        wanted = index_of[node.reference]
        return lambda seen: wanted in seen
    if isinstance(node, CorrelationConditionItem):
        parts = [_expression(arg, index_of) for arg in node.args]
        if isinstance(node, CorrelationConditionNOT):
            inner = parts[0]
            return lambda seen: not inner(seen)
        if isinstance(node, CorrelationConditionAND):
            return lambda seen: all(part(seen) for part in parts)
        if isinstance(node, CorrelationConditionOR):
            return lambda seen: any(part(seen) for part in parts)
    raise UnsupportedCorrelation(f"unsupported condition element {type(node).__name__}")


def _fingerprint(rule: SigmaCorrelationRule) -> str:
    """Digest of everything that gives window state its meaning (not title, level or tags)."""
    condition = rule.condition.to_dict()
    definition = {
        "type": rule.type.name,
        "rules": [ref.reference for ref in rule.referenced_rules or rule.rules or []],
        "group_by": rule.group_by or [],
        "timespan": rule.timespan.seconds,
        "condition": condition,
        "aliases": rule.aliases.to_dict(),
    }
    encoded = json.dumps(definition, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


@dataclass(slots=True)
class CompiledCorrelation:
    """A correlation rule with its lookups precomputed.

    ``group_fields[i]`` / ``value_fields[i]`` are the event fields read for a match of the i-th
    referenced rule (aliases resolved, names mapped to ECS). ``eager`` rules are evaluated on each
    event (``gte``/``gt`` and extended temporal conditions); the others (``lt``, ``lte``, ``eq``,
    ``neq``) only when their window closes, because a count can only be known to stay low once
    the window is over.
    """

    rule: SigmaCorrelationRule
    key: str
    fingerprint: str
    kind: SigmaCorrelationType
    span_us: int
    refs: tuple[frozenset[str], ...]
    group_names: tuple[str, ...]
    group_fields: tuple[tuple[str, ...], ...]
    value_fields: tuple[str | None, ...]
    threshold: int
    compare: Callable[[int, int], bool] | None
    expression: Callable[[frozenset[int]], bool] | None
    eager: bool

    def holds(self, count: int, seen: frozenset[int] | None = None) -> bool:
        if self.expression is not None:
            return self.expression(seen if seen is not None else frozenset())
        assert self.compare is not None
        return self.compare(count, self.threshold)

    @classmethod
    def build(
        cls, rule: SigmaCorrelationRule, *, map_field: Callable[[str], str], max_window_events: int
    ) -> CompiledCorrelation:
        if rule.type not in _SUPPORTED:
            raise UnsupportedCorrelation(f"correlation type {rule.type.name.lower()} is not supported")
        references = list(rule.referenced_rules or rule.rules or [])
        if not references:
            raise UnsupportedCorrelation("correlation rule references no rules")
        refs = tuple(frozenset(reference_keys(ref)) for ref in references)
        index_of = {key: i for i, keys in enumerate(refs) for key in keys}

        def field_for(name: str, i: int) -> str:
            alias = rule.aliases.aliases.get(name)
            if alias is not None:
                for alias_ref, target in alias.mapping.items():
                    if alias_ref.reference in refs[i] or reference_keys(alias_ref) & refs[i]:
                        return map_field(target)
            return map_field(name)

        group_by = list(rule.group_by or [])
        group_names = tuple(name if name in rule.aliases.aliases else map_field(name) for name in group_by)
        group_fields = tuple(tuple(field_for(name, i) for name in group_by) for i in range(len(refs)))

        condition = rule.condition
        compare: Callable[[int, int], bool] | None = None
        expression: Callable[[frozenset[int]], bool] | None = None
        threshold = 0
        value_fields: tuple[str | None, ...] = (None,) * len(refs)
        if isinstance(condition, SigmaExtendedCorrelationCondition):
            if rule.type is not SigmaCorrelationType.TEMPORAL:
                raise UnsupportedCorrelation("extended conditions are supported for temporal rules only")
            expression = _expression(condition.parsed, index_of)
            eager = True
        else:
            assert isinstance(condition, SigmaCorrelationCondition)
            compare = _OPERATORS[condition.op]
            threshold = condition.count
            eager = condition.op in _GROWING
            if rule.type is SigmaCorrelationType.VALUE_COUNT:
                fieldref = condition.fieldref
                if isinstance(fieldref, list):
                    if len(fieldref) != 1:
                        raise UnsupportedCorrelation("value_count counts exactly one field")
                    fieldref = fieldref[0]
                if not fieldref:
                    raise UnsupportedCorrelation("value_count without condition field")
                value_fields = tuple(field_for(fieldref, i) for i in range(len(refs)))
            if rule.type is SigmaCorrelationType.EVENT_COUNT and threshold >= max_window_events:
                raise UnsupportedCorrelation(
                    f"threshold {threshold} exceeds the {max_window_events} events kept per window"
                )
        return cls(
            rule=rule,
            key=rule_key(rule),
            fingerprint=_fingerprint(rule),
            kind=rule.type,
            span_us=rule.timespan.seconds * 1_000_000,
            refs=refs,
            group_names=group_names,
            group_fields=group_fields,
            value_fields=value_fields,
            threshold=threshold,
            compare=compare,
            expression=expression,
            eager=eager,
        )
