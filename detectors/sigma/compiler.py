"""Sigma detection → one Python function over an ``EventView``.

pySigma parses the rule and our pipeline (``shaowang_ecs``) renames its fields to ECS; the
parsed condition tree is then turned into Python source whose leaves are predicates from
:mod:`detectors.sigma.values` (``P[3](v)``) joined with ``and``/``or``/``not``, compiled once.
Only indices go into the generated source, never rule text. Alongside, :func:`requirement`
derives from the same tree the literals an event must contain for the rule to have a chance
(the prefilter indexes them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sigma.conditions import (
    ConditionAND,
    ConditionFieldEqualsValueExpression,
    ConditionNOT,
    ConditionOR,
    ConditionValueExpression,
)
from sigma.rule import SigmaRule
from sigma.types import SigmaNumber, SigmaString, SigmaTimestampPart

from detectors.sigma.values import (
    Pattern,
    Predicate,
    UnresolvedPlaceholderError,
    UnsupportedValueError,
    keyword_pattern,
    pattern_of,
    strings_predicate,
    value_predicate,
)
from detectors.sigma.view import KEYWORD_FIELDS, EventView, text_of

Matcher = Callable[[EventView], bool]
KEYWORDS = "\x00keywords"  # the prefilter's name for "the keyword fields"


class CompileError(Exception):
    """The rule cannot be compiled; the message is the reason shown to the user."""


@dataclass(frozen=True, slots=True)
class Needle:
    """``text`` (lower case) must occur in ``field``: ``exact`` when it must be the whole value.

    A ``number`` needle is a numeric equality: the field's value, read as a number, equals it
    (``80``, ``80.0`` and ``"80"`` all hold the needle ``80``).
    """

    field: str
    text: str
    exact: bool
    number: float | None = None


# A requirement is a set of alternatives (any one suffices), or None: no literal is necessary.
Requirement = frozenset[Needle] | None


@dataclass
class _Builder:
    predicates: list[Predicate] = field(default_factory=list)
    unresolved: set[str] = field(default_factory=set)  # placeholder names without values

    def leaf(self, predicate: Predicate) -> str:
        self.predicates.append(predicate)
        return f"P[{len(self.predicates) - 1}](v)"


def _string_leaf(node: Any) -> tuple[str | None, Pattern] | None:
    """(field, pattern) when ``node`` is a plain string comparison we can merge into an OR."""
    try:
        if isinstance(node, ConditionFieldEqualsValueExpression) and isinstance(node.value, SigmaString):
            return node.field, pattern_of(node.value)
        if isinstance(node, ConditionValueExpression) and isinstance(node.value, SigmaString):
            return None, keyword_pattern(pattern_of(node.value))
    except UnresolvedPlaceholderError:
        return None
    return None


def _source(node: Any, builder: _Builder) -> str:
    if isinstance(node, ConditionAND):
        return "(" + " and ".join(_source(arg, builder) for arg in node.args) + ")"
    if isinstance(node, ConditionOR):
        merged: dict[str | None, list[Pattern]] = {}
        others: list[str] = []
        for arg in node.args:
            leaf = _string_leaf(arg)
            if leaf is None:
                others.append(_source(arg, builder))
            else:
                merged.setdefault(leaf[0], []).append(leaf[1])
        parts = [
            builder.leaf(strings_predicate(KEYWORD_FIELDS if name is None else (name,), patterns))
            for name, patterns in merged.items()
        ]
        return "(" + " or ".join(parts + others) + ")"
    if isinstance(node, ConditionNOT):
        return "(not " + _source(node.args[0], builder) + ")"
    try:
        if isinstance(node, ConditionFieldEqualsValueExpression):
            return builder.leaf(value_predicate(node.field, node.value))
        if isinstance(node, ConditionValueExpression):
            return builder.leaf(value_predicate(None, node.value))
    except UnresolvedPlaceholderError as exc:
        # as an empty value list: this value matches nothing (rule health names the placeholder)
        builder.unresolved.add(exc.name)
        return "False"
    raise UnsupportedValueError(f"condition element {type(node).__name__} is not supported")


def compile_tree(tree: Any, builder: _Builder | None = None) -> Matcher:
    """A matcher for one parsed condition tree."""
    builder = builder or _Builder()
    body = _source(tree, builder)
    namespace: dict[str, Any] = {"P": tuple(builder.predicates)}
    exec(f"def match(v):\n    return {body}\n", namespace)  # body holds only P[i](v), and/or/not
    matcher: Matcher = namespace["match"]
    return matcher


def parsed_conditions(rule: SigmaRule) -> list[Any]:
    """The parsed condition trees of a rule (pySigma parses lazily and raises here)."""
    return [condition.parsed for condition in rule.detection.parsed_condition]


@dataclass(frozen=True, slots=True)
class Compiled:
    """A rule's matcher, the literals it requires and the placeholders left without values."""

    matcher: Matcher
    requirement: Requirement
    unresolved: frozenset[str]


def compile_rule(rule: SigmaRule) -> Compiled:
    """The matcher of a (pipeline-processed) rule and the literals it requires."""
    builder = _Builder()
    try:
        trees = parsed_conditions(rule)
        matchers = [compile_tree(tree, _Builder(unresolved=builder.unresolved)) for tree in trees]
        needs = _any_of([requirement(tree) for tree in trees])
    except UnsupportedValueError as exc:
        raise CompileError(str(exc)) from None
    unresolved = frozenset(builder.unresolved)
    if len(matchers) == 1:
        return Compiled(matchers[0], needs, unresolved)
    return Compiled(lambda view: any(m(view) for m in matchers), needs, unresolved)


# -- necessary literals (for the prefilter) ----------------------------------------------------

_MIN_NEEDLE = 3  # shorter literals select nothing: better evaluate the rule


def _any_of(options: Sequence[Requirement]) -> Requirement:
    out: set[Needle] = set()
    for option in options:
        if option is None:
            return None
        out |= option
    return frozenset(out)


# Fields with a handful of values across all traffic: a literal on them (``event.type:
# allowed``, ``http.request.method: GET``) holds for a large share of events, so another
# condition of the same rule is the better needle even when it has more alternatives.
_FEW_VALUES = frozenset(
    {
        "event.kind", "event.category", "event.type", "event.outcome", "event.action",
        "event.module", "event.dataset", "event.severity", "log.level",
        "network.transport", "network.direction", "network.protocol", "network.type",
        "http.request.method", "http.version", "url.scheme", "dns.question.type",
    }
)  # fmt: skip


def _few_values(field_name: str) -> bool:
    return field_name in _FEW_VALUES or field_name.startswith("observer.")


def _score(option: frozenset[Needle]) -> tuple[bool, bool, int, int]:
    """Higher is more selective: not a few-valued field, exact needles, fewer alternatives,
    longer literals."""
    shortest = min(len(n.text) for n in option)
    return (
        not any(_few_values(n.field) for n in option),
        all(n.exact for n in option),
        -len(option),
        shortest,
    )


def requirement(node: Any) -> Requirement:
    """Needles one of which every matching event contains (None when nothing is certain)."""
    if isinstance(node, ConditionAND):
        options = [r for r in (requirement(arg) for arg in node.args) if r]
        return max(options, key=_score) if options else None
    if isinstance(node, ConditionOR):
        return _any_of([requirement(arg) for arg in node.args])
    if isinstance(node, ConditionNOT):
        return None
    if isinstance(node, ConditionFieldEqualsValueExpression | ConditionValueExpression):
        value = node.value
        field_name = node.field if isinstance(node, ConditionFieldEqualsValueExpression) else None
        if isinstance(value, SigmaNumber) and not isinstance(value, SigmaTimestampPart) and field_name:
            number = float(value.number)
            return frozenset({Needle(field_name, text_of(value.number), True, number)})
        if not isinstance(value, SigmaString):
            return None
        try:
            pattern = pattern_of(value)
        except UnsupportedValueError:
            return None
        exact = pattern.kind == "exact" and field_name is not None
        text = pattern.literal
        if not exact and len(text) < _MIN_NEEDLE:
            return None
        # needles are looked up in lower-case text, |cased ones too (a necessary condition still)
        return frozenset({Needle(KEYWORDS if field_name is None else field_name, text.lower(), exact)})
    return None
