"""``EventView``: one event as compiled rules see it — flat ECS fields, their lower-case forms.

A rule asks for a field by its dotted ECS name (``source.ip``). The view flattens the event
once, gives every value as a tuple of scalars (a list-valued field matches when any element
does) and keeps the lower-case string forms it computed, because several rules usually ask
for the same field of the same event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from soc_core.events import Event

Scalar = str | int | float | bool
# Fields searched by Sigma keywords (values without a field name): the record as received,
# and the message when the parser set one.
KEYWORD_FIELDS: tuple[str, ...] = ("event.original", "message")
_EMPTY: tuple[Any, ...] = ()


def _scalars(value: Any) -> tuple[Any, ...]:
    if value is None:
        return _EMPTY
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            if isinstance(item, list):
                out.extend(_scalars(item))
            elif item is not None and not isinstance(item, dict):
                out.append(item)
        return tuple(out)
    if isinstance(value, dict):
        return _EMPTY
    return (value,)


def text_of(value: Any) -> str:
    """The string form a pattern is matched against (``true`` / ``false`` for booleans)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


class EventView:
    """Field access for matchers; built once per event that meets at least one rule."""

    __slots__ = ("_lists", "_local", "_lower", "_text", "flat", "timestamp", "timezone")

    def __init__(self, flat: dict[str, Any], *, timestamp: dt.datetime, timezone: dt.tzinfo) -> None:
        self.flat = flat
        self.timestamp = timestamp
        self.timezone = timezone
        self._lower: dict[str, tuple[str, ...]] = {}
        self._text: dict[str, tuple[str, ...]] = {}
        self._local: dt.datetime | None = None
        self._lists: list[str] | None = None

    @classmethod
    def of(cls, event: Event, *, timezone: dt.tzinfo) -> EventView:
        """The view of an event (flattened once, here)."""
        return cls(event.to_flat(), timestamp=event.timestamp, timezone=timezone)

    def values(self, field: str) -> tuple[Any, ...]:
        """The field's scalar values (empty when missing or null)."""
        value = self.flat.get(field)
        if value is None and field not in self.flat:
            return self._nested(field)
        return _scalars(value)

    def present(self, field: str) -> bool:
        """Whether the field has a value (not missing, not null, not an empty list)."""
        return bool(self.values(field))

    def texts(self, field: str) -> tuple[str, ...]:
        """The field's values as strings, case kept."""
        found = self._text.get(field)
        if found is None:
            found = self._text[field] = tuple(text_of(v) for v in self.values(field))
        return found

    def lowered(self, field: str) -> tuple[str, ...]:
        """The field's values as lower-case strings (Sigma matches case-insensitively)."""
        found = self._lower.get(field)
        if found is None:
            found = self._lower[field] = tuple(t.lower() for t in self.texts(field))
        return found

    def local_time(self) -> dt.datetime:
        """``@timestamp`` in the platform timezone (timestamp-part modifiers use it)."""
        if self._local is None:
            self._local = self.timestamp.astimezone(self.timezone)
        return self._local

    def _nested(self, field: str) -> tuple[Any, ...]:
        """Values of ``a.b.c`` when ``a.b`` is a list of objects (``dns.answers.data``)."""
        if self._lists is None:
            self._lists = [
                k for k, v in self.flat.items() if isinstance(v, list) and any(isinstance(i, dict) for i in v)
            ]
        for key in self._lists:
            if field.startswith(key + "."):
                rest = field[len(key) + 1 :].split(".")
                out: list[Any] = []
                for item in self.flat[key]:
                    node: Any = item
                    for part in rest:
                        node = node.get(part) if isinstance(node, dict) else None
                    out.extend(_scalars(node))
                return tuple(out)
        return _EMPTY
