"""Sigma values → predicates over an ``EventView`` field, with the Sigma semantics.

Strings match case-insensitively unless ``|cased``; ``*`` and ``?`` are wildcards (``\\*``
a literal star); ``|re`` searches (not anchored) with its ``i``/``m``/``s`` flags; numbers
equal numerically or as their decimal text; ``null`` means missing or null; ``|exists``
tests presence; ``|cidr`` parses the value as an address; ``|lt``… compare numbers (numeric
strings count); ``|fieldref`` compares with another field of the same event; timestamp parts
(``|hour``…) read ``@timestamp`` in the platform timezone. A list-valued field matches when
any element does.

Several values of one field joined by OR (``field: [a, b, c]``) become one predicate: a set
lookup for exact strings, one ``startswith``/``endswith`` with a tuple, one regular
expression for the rest.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sigma.types import (
    CompareOperators,
    Placeholder,
    SigmaBool,
    SigmaCasedString,
    SigmaCIDRExpression,
    SigmaCompareExpression,
    SigmaExists,
    SigmaExpansion,
    SigmaFieldReference,
    SigmaNull,
    SigmaNumber,
    SigmaRegularExpression,
    SigmaRegularExpressionFlag,
    SigmaString,
    SigmaTimestampPart,
    SigmaType,
    SpecialChars,
    TimestampPart,
)

from detectors.sigma.view import KEYWORD_FIELDS, EventView, text_of
from soc_core.regex import compile_pattern

Predicate = Callable[[EventView], bool]


class UnsupportedValueError(Exception):
    """A value this engine cannot evaluate (the rule is refused with this reason)."""


class UnresolvedPlaceholderError(UnsupportedValueError):
    """A ``%name%`` placeholder with no configured values: the value matches nothing."""

    def __init__(self, name: str) -> None:
        super().__init__(f"placeholder %{name}% has no values (set [detection.placeholders])")
        self.name = name


# -- string patterns -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Pattern:
    """A Sigma string reduced to what matching needs."""

    kind: str  # "exact" | "prefix" | "suffix" | "contains" | "regex"
    text: str  # the literal (exact/prefix/suffix/contains) or the regex source
    cased: bool
    literal: str  # the longest literal run: a substring every match contains

    def key(self) -> str:
        return self.text if self.cased else self.text.lower()


def pattern_of(value: SigmaString) -> Pattern:
    """Classify a Sigma string; wildcards anywhere but the ends need a regular expression."""
    parts = list(value.s)
    for part in parts:
        if isinstance(part, Placeholder):
            raise UnresolvedPlaceholderError(part.name)
    cased = isinstance(value, SigmaCasedString)
    runs: list[str] = []
    current: list[str] = []
    for part in parts:
        if isinstance(part, str):
            current.append(part)
        else:
            runs.append("".join(current))
            current = []
    runs.append("".join(current))
    literal = max(runs, key=len) if runs else ""
    plain = [p for p in parts if isinstance(p, str)]
    specials = [p for p in parts if isinstance(p, SpecialChars)]
    text = "".join(plain)
    if not specials:
        return Pattern("exact", text, cased, literal)
    multi = SpecialChars.WILDCARD_MULTI
    inner = parts[1:-1]
    only_ends = all(isinstance(p, str) for p in inner)
    if only_ends and len(parts) >= 2 and parts[0] is multi and parts[-1] is multi and len(parts) == 3:
        return Pattern("contains", text, cased, literal)
    if only_ends and len(parts) == 2 and parts[0] is multi and isinstance(parts[1], str):
        return Pattern("suffix", text, cased, literal)
    if only_ends and len(parts) == 2 and parts[1] is multi and isinstance(parts[0], str):
        return Pattern("prefix", text, cased, literal)
    if parts == [multi]:
        return Pattern("regex", ".*", cased, "")
    source = "".join(re.escape(p) if isinstance(p, str) else (".*" if p is multi else ".") for p in parts)
    return Pattern("regex", source, cased, literal)


def keyword_pattern(pattern: Pattern) -> Pattern:
    """A keyword is searched anywhere in the text: ``evil``, ``evil*``, ``rm *history`` alike."""
    if pattern.kind in ("exact", "prefix", "suffix"):
        return Pattern("contains", pattern.text, pattern.cased, pattern.literal)
    if pattern.kind == "regex":
        return Pattern("regex", ".*(?:" + pattern.text + ").*", pattern.cased, pattern.literal)
    return pattern


@lru_cache(maxsize=4096)
def _compile(source: str, flags: int) -> re.Pattern[str]:
    return compile_pattern(source, flags)


def strings_predicate(fields: tuple[str, ...], patterns: Sequence[Pattern]) -> Predicate:
    """True when any value of any of ``fields`` matches any of ``patterns`` (OR)."""
    checks: list[Callable[[tuple[str, ...]], bool]] = []
    for cased in (False, True):
        group = [p for p in patterns if p.cased is cased]
        if not group:
            continue
        exact = frozenset(p.key() for p in group if p.kind == "exact")
        prefixes = tuple(p.key() for p in group if p.kind == "prefix")
        suffixes = tuple(p.key() for p in group if p.kind == "suffix")
        contains = tuple(p.key() for p in group if p.kind == "contains")
        regexes = [p.text for p in group if p.kind == "regex"]
        flags = re.DOTALL | (0 if cased else re.IGNORECASE)
        regex = _compile("(?:" + ")|(?:".join(regexes) + r")\Z", flags) if regexes else None
        checks.append(_string_check(exact, prefixes, suffixes, contains, regex, cased))
    lowered = [not cased for cased in (False, True) if any(p.cased is cased for p in patterns)]

    if len(fields) == 1:
        field = fields[0]
        if len(checks) == 1:
            check, low = checks[0], lowered[0]
            if low:
                return lambda view: check(view.lowered(field))
            return lambda view: check(view.texts(field))

    def predicate(view: EventView) -> bool:
        for field in fields:
            for check, low in zip(checks, lowered, strict=True):
                if check(view.lowered(field) if low else view.texts(field)):
                    return True
        return False

    return predicate


def _string_check(
    exact: frozenset[str],
    prefixes: tuple[str, ...],
    suffixes: tuple[str, ...],
    contains: tuple[str, ...],
    regex: re.Pattern[str] | None,
    cased: bool,
) -> Callable[[tuple[str, ...]], bool]:
    def check(values: tuple[str, ...]) -> bool:
        for value in values:
            if value in exact:
                return True
            if prefixes and value.startswith(prefixes):
                return True
            if suffixes and value.endswith(suffixes):
                return True
            for needle in contains:
                if needle in value:
                    return True
            if regex is not None and regex.match(value) is not None:
                return True
        return False

    return check


# -- other value types ---------------------------------------------------------------------


def number_of(value: Any) -> float | None:
    """The value read as a number (``"80"`` → 80.0), None when it is not one (booleans are not)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def number_predicate(field: str, number: int | float) -> Predicate:
    """Numeric equality; a string value equal to the number's text also matches."""
    target = float(number)
    text = text_of(number)

    def predicate(view: EventView) -> bool:
        for value in view.values(field):
            if isinstance(value, bool):
                continue
            if isinstance(value, int | float):
                if value == target:
                    return True
            elif isinstance(value, str) and (value == text or number_of(value) == target):
                return True
        return False

    return predicate


_COMPARE: dict[CompareOperators, Callable[[float, float], bool]] = {
    CompareOperators.LT: lambda a, b: a < b,
    CompareOperators.LTE: lambda a, b: a <= b,
    CompareOperators.GT: lambda a, b: a > b,
    CompareOperators.GTE: lambda a, b: a >= b,
    CompareOperators.NEQ: lambda a, b: a != b,
}


def compare_predicate(field: str, op: CompareOperators, number: int | float) -> Predicate:
    compare, bound = _COMPARE[op], float(number)

    def predicate(view: EventView) -> bool:
        for value in view.values(field):
            found = number_of(value)
            if found is not None and compare(found, bound):
                return True
        return False

    return predicate


@lru_cache(maxsize=65_536)
def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip().strip("[]"))
    except ValueError:
        return None


def cidr_predicate(
    field: str, networks: Sequence[ipaddress.IPv4Network | ipaddress.IPv6Network]
) -> Predicate:
    nets = tuple(networks)

    def predicate(view: EventView) -> bool:
        for text in view.texts(field):
            address = _address(text)
            if address is not None:
                for net in nets:
                    if address.version == net.version and address in net:
                        return True
        return False

    return predicate


def fieldref_predicate(field: str, other: str, *, starts_with: bool, ends_with: bool) -> Predicate:
    """The field equals (starts/ends with) the other field's value, case-insensitively."""

    def predicate(view: EventView) -> bool:
        theirs = view.lowered(other)
        for ours in view.lowered(field):
            for value in theirs:
                if starts_with and ours.startswith(value):
                    return True
                if ends_with and ours.endswith(value):
                    return True
                if not starts_with and not ends_with and ours == value:
                    return True
        return False

    return predicate


_PARTS: dict[TimestampPart, Callable[[Any], int]] = {
    TimestampPart.MINUTE: lambda t: int(t.minute),
    TimestampPart.HOUR: lambda t: int(t.hour),
    TimestampPart.DAY: lambda t: int(t.day),
    TimestampPart.WEEK: lambda t: int(t.isocalendar()[1]),
    TimestampPart.MONTH: lambda t: int(t.month),
    TimestampPart.YEAR: lambda t: int(t.year),
}


def timestamp_predicate(part: TimestampPart, numbers: frozenset[int]) -> Predicate:
    read = _PARTS[part]
    return lambda view: read(view.local_time()) in numbers


def value_predicate(field: str | None, value: SigmaType) -> Predicate:
    """The predicate for one field (None: keywords) and one value."""
    fields = KEYWORD_FIELDS if field is None else (field,)
    if isinstance(value, SigmaString):
        pattern = pattern_of(value)
        return strings_predicate(fields, [keyword_pattern(pattern) if field is None else pattern])
    if field is None and isinstance(value, SigmaNumber) and not isinstance(value, SigmaTimestampPart):
        text = text_of(value.number)  # a number keyword is searched as its text
        return strings_predicate(fields, [Pattern("contains", text, False, text)])
    if field is None:
        raise UnsupportedValueError(f"keyword of type {type(value).__name__} (only strings are searched)")
    if isinstance(value, SigmaTimestampPart):
        return timestamp_predicate(value.timestamp_part, frozenset({int(value.number)}))
    if isinstance(value, SigmaBool):
        wanted = value.boolean
        text = "true" if wanted else "false"
        return lambda view: any(
            v is wanted or (isinstance(v, str) and v.lower() == text) for v in view.values(field)
        )
    if isinstance(value, SigmaNumber):
        return number_predicate(field, value.number)
    if isinstance(value, SigmaNull):
        return lambda view: not view.present(field)
    if isinstance(value, SigmaExists):
        if value.exists:
            return lambda view: view.present(field)
        return lambda view: not view.present(field)
    if isinstance(value, SigmaRegularExpression):
        flags = 0
        for flag in value.flags:
            flags |= SigmaRegularExpression.sigma_to_python_flags[flag]
        regex = _compile(str(value.regexp), flags)
        return lambda view: any(regex.search(t) is not None for t in view.texts(field))
    if isinstance(value, SigmaCIDRExpression):
        return cidr_predicate(field, [value.network])
    if isinstance(value, SigmaCompareExpression):
        return compare_predicate(field, value.op, value.number.number)
    if isinstance(value, SigmaFieldReference):
        return fieldref_predicate(
            field, value.field, starts_with=value.starts_with, ends_with=value.ends_with
        )
    if isinstance(value, SigmaExpansion):
        parts = [value_predicate(field, v) for v in value.values]
        return lambda view: any(p(view) for p in parts)
    raise UnsupportedValueError(f"value type {type(value).__name__} is not supported")


__all__ = [
    "Pattern",
    "Predicate",
    "SigmaRegularExpressionFlag",
    "UnresolvedPlaceholderError",
    "UnsupportedValueError",
    "keyword_pattern",
    "pattern_of",
    "strings_predicate",
    "value_predicate",
]
