"""What a checked definition is (the engine's input) and how errors are collected.

``DefinitionError`` is the error every check raises or returns; its ``where`` is
``file.yaml:LINE``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from collectors.parsers.declarative.ecs import Converter, Target
from collectors.parsers.declarative.extract import Extractor
from soc_core.errors import ConfigError
from soc_core.events import ECS_ROOTS
from soc_core.regex import compile_pattern
from soc_core.yamlsrc import LineList, LineMap

__all__ = [
    "EXTRACT_KINDS",
    "FOUR_FIELDS",
    "ID_PATTERN",
    "KV_DEFAULTS",
    "OBSERVER_TYPE",
    "RESERVED_VENDORS",
    "SPEC_KEYS",
    "TARGET_FIELDS",
    "TOP_KEYS",
    "Check",
    "Definition",
    "DefinitionError",
    "FieldSpec",
    "Intrusion",
    "Matcher",
    "Sample",
]

ID_PATTERN = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")
OBSERVER_TYPE = re.compile(r"[a-z][a-z0-9_-]*")
# How a platform-wide namespace and the ECS roots would clash with a vendor namespace.
RESERVED_VENDORS = frozenset({*ECS_ROOTS, "shaowang", "extra"})
FOUR_FIELDS = ("source.ip", "rule.name", "rule.category")
TARGET_FIELDS = ("destination.ip", "url.domain", "url.original", "url.full")

TOP_KEYS = frozenset(
    {
        "id",
        "title",
        "notes",
        "verified",
        "override",
        "observer",
        "timezone",
        "match",
        "framing",
        "extract",
        "derive",
        "fields",
        "constants",
        "event",
        "verdict",
        "intrusion",
        "severity",
        "keep_unmapped",
        "require",
        "samples",
        "samples_file",
    }
)
EXTRACT_KINDS: dict[str, frozenset[str]] = {
    "kv": frozenset({"kind", "pair_separator", "kv_separator", "quotes", "key_pattern", "tail"}),
    "cn_kv": frozenset({"kind", "pair_separator", "kv_separator", "quotes", "key_pattern", "tail"}),
    "regex": frozenset({"kind", "pattern", "patterns"}),
    "json": frozenset({"kind"}),
    "csv": frozenset({"kind", "delimiter", "columns", "quote"}),
}
KV_DEFAULTS: dict[str, tuple[list[str], list[str]]] = {
    "kv": ([" ", ",", ";"], ["="]),
    "cn_kv": ([",", "，", ";", "；"], [":", "："]),
}
SPEC_KEYS = frozenset({"to", "type", "format", "map", "split"})


class DefinitionError(ConfigError):
    """A declarative parser definition is invalid; ``where`` is ``file.yaml:LINE``."""


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One source key → one target, with its conversion and value map."""

    key: str
    target: Target
    convert: Converter
    vmap: dict[str, Any] | None  # exact and lowercased vendor values → output (None: drop)
    split: str | None
    allowed: frozenset[str] | None  # closed ECS value lists (event.category ...)
    # precomputed for the engine's hot loop
    parent: tuple[str, ...] = ()
    leaf: str = ""
    is_list: bool = False
    plain: bool = False  # a scalar field without map or allowed-value check


@dataclass(frozen=True, slots=True)
class Matcher:
    """The ``--format auto`` sniff."""

    contains: tuple[str, ...]
    starts_with: tuple[str, ...]
    regex: re.Pattern[str] | None
    use_text: bool
    auto: bool


@dataclass(frozen=True, slots=True)
class Intrusion:
    """IDS/IPS/WAF alert settings."""

    blocked_when: tuple[tuple[str, frozenset[str]], ...]
    web: bool


@dataclass(frozen=True, slots=True)
class Sample:
    """A sample line and where it is written (``file:line``)."""

    data: bytes
    where: str


@dataclass(slots=True)
class Definition:
    """A checked definition, ready for the engine."""

    id: str
    path: str
    line: int
    title: str
    verified: bool
    override: bool
    vendor: str  # vendor namespace (first part of the id)
    product: str
    observer_vendor: str
    observer_product: str
    observer_type: str
    timezone: str | None
    match: Matcher
    input_text: bool
    prefix: re.Pattern[str] | None
    suffix: re.Pattern[str] | None
    extract_kind: str
    extract: Extractor
    derive: tuple[tuple[str, re.Pattern[str], bool], ...]
    fields: dict[str, tuple[FieldSpec, ...]]
    constants: tuple[tuple[Target, Any], ...]
    verdict: tuple[str, dict[str, str]] | None
    intrusion: Intrusion | None
    severity: tuple[str, dict[str, int]] | None
    keep_unmapped: bool
    consumed: frozenset[str]
    require: tuple[str, ...]
    samples: tuple[Sample, ...]
    lines: dict[str, int] = field(default_factory=dict)

    def where(self, key: str | None = None) -> str:
        """``file:line`` of a top-level key (of the id when ``key`` is None)."""
        return f"{self.path}:{self.lines.get(key, self.line) if key else self.line}"


class Check:
    """Collects errors for one file."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.errors: list[DefinitionError] = []

    def error(self, line: int, message: str) -> None:
        self.errors.append(DefinitionError(message, where=f"{self.path}:{line}"))

    # -- typed getters (an error and a fallback when the value is of the wrong type) ----------

    def text(self, node: LineMap, key: str, *, required: bool = False, default: str = "") -> str:
        value = node.get(key)
        if value is None:
            if required:
                self.error(node.line_of(key), f"{key}: required (text)")
            return default
        if not isinstance(value, str) or not value.strip():
            self.error(node.line_of(key), f"{key}: expected non-empty text, got {value!r}")
            return default
        return value

    def flag(self, node: LineMap, key: str, default: bool) -> bool:
        value = node.get(key, default)
        if not isinstance(value, bool):
            self.error(node.line_of(key), f"{key}: expected true or false, got {value!r}")
            return default
        return value

    def texts(self, node: LineMap, key: str, *, allow_empty_items: bool = False) -> list[str]:
        """A text or a list of texts."""
        value = node.get(key)
        if value is None:
            return []
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(
            isinstance(i, str) and (allow_empty_items or i) for i in items
        ):
            self.error(node.line_of(key), f"{key}: expected text or a list of texts, got {value!r}")
            return []
        return list(items)

    def mapping(self, node: LineMap, key: str, *, required: bool = False) -> LineMap | None:
        value = node.get(key)
        if value is None:
            if required:
                self.error(node.line_of(key), f"{key}: required (a mapping)")
            return None
        if not isinstance(value, LineMap):
            self.error(node.line_of(key), f"{key}: expected a mapping, got {value!r}")
            return None
        return value

    def known_keys(self, node: LineMap, allowed: frozenset[str], what: str) -> None:
        for key in node:
            if key not in allowed:
                self.error(
                    node.line_of(key),
                    f"unknown key {key!r} in {what} (allowed: {', '.join(sorted(allowed))})",
                )

    def regex(self, node: LineMap | LineList, key: str | int, pattern: Any) -> re.Pattern[str] | None:
        line = node.line_of(str(key)) if isinstance(node, LineMap) else node.line_of(int(key))
        if not isinstance(pattern, str) or not pattern:
            self.error(line, f"{key}: expected a regular expression (text), got {pattern!r}")
            return None
        try:
            return compile_pattern(pattern)
        except re.error as exc:
            self.error(line, f"{key}: bad regular expression: {exc.msg} at position {exc.pos}")
            return None
