"""``EventView``: one event as compiled rules see it — flat ECS fields, their lower-case forms.

A rule asks for a field by its dotted ECS name (``source.ip``). The view reads ECS fields
straight from the event's attributes (flattening every event cost more than all the lookups
rules make), flattens only when a vendor field or a map is asked for, gives every value as a
tuple of scalars (a list-valued field matches when any element does) and keeps the lower-case
string forms it computed, because several rules usually ask for the same field of the same
event.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from soc_core.events import Event, flat_getter

Scalar = str | int | float | bool
# Fields searched by Sigma keywords (values without a field name): the record as received,
# and the message when the parser set one.
KEYWORD_FIELDS: tuple[str, ...] = ("event.original", "message")
_EMPTY: tuple[Any, ...] = ()
_FLATTEN = object()  # "read this field from the flat document"


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

    __slots__ = ("_event", "_flat", "_lists", "_local", "_lower", "_text", "timestamp", "timezone")

    def __init__(
        self,
        flat: dict[str, Any] | None = None,
        *,
        timestamp: dt.datetime,
        timezone: dt.tzinfo,
        event: Event | None = None,
    ) -> None:
        if flat is None and event is None:
            raise TypeError("EventView needs the flat document or the event")
        self._flat = flat
        self._event = event
        self.timestamp = timestamp
        self.timezone = timezone
        self._lower: dict[str, tuple[str, ...]] = {}
        self._text: dict[str, tuple[str, ...]] = {}
        self._local: dt.datetime | None = None
        self._lists: list[str] | None = None

    @classmethod
    def of(cls, event: Event, *, timezone: dt.tzinfo) -> EventView:
        """The view of an event (fields are read on demand)."""
        return cls(timestamp=event.timestamp, timezone=timezone, event=event)

    @property
    def event(self) -> Event | None:
        """The event, when the view was built from one."""
        return self._event

    @property
    def flat(self) -> dict[str, Any]:
        """The whole dotted-key document (built on first use)."""
        if self._flat is None:
            assert self._event is not None
            self._flat = self._event.to_flat()
        return self._flat

    def _attribute(self, field: str) -> Any:
        """The value read from the event's attributes, or ``_FLATTEN`` when only the flat
        document can answer (a key inside a map, or a view built from a flat document)."""
        event = self._event
        if event is None or self._flat is not None:
            return _FLATTEN
        getter = flat_getter(field)
        return _FLATTEN if getter is None else getter(event)

    def get(self, field: str) -> Any:
        """The field's value as the flat document holds it (a list stays a list), or None."""
        value = self._attribute(field)
        return self.flat.get(field) if value is _FLATTEN else value

    def project(self, fields: tuple[str, ...]) -> dict[str, Any]:
        """The flat document restricted to ``fields`` (missing ones left out)."""
        return {name: value for name in fields if (value := self.get(name)) is not None}

    def values(self, field: str) -> tuple[Any, ...]:
        """The field's scalar values (empty when missing or null)."""
        value = self._attribute(field)
        if value is not _FLATTEN:
            return _scalars(value)
        flat = self.flat
        value = flat.get(field)
        if value is None and field not in flat:
            return self._nested(field)
        return _scalars(value)

    def present(self, field: str) -> bool:
        """Whether the field has a value (not missing, not null, not an empty list)."""
        return bool(self.values(field))

    def texts(self, field: str) -> tuple[str, ...]:
        """The field's values as strings, case kept."""
        found = self._text.get(field)
        if found is None:
            values = self.values(field)
            if len(values) == 1 and values[0].__class__ is str:
                found = values  # the common case, without a generator
            else:
                found = tuple(text_of(v) for v in values)
            self._text[field] = found
        return found

    def lowered(self, field: str) -> tuple[str, ...]:
        """The field's values as lower-case strings (Sigma matches case-insensitively)."""
        found = self._lower.get(field)
        if found is None:
            # the prefilter asks ~20 fields per event, mostly absent or one string: shortcut
            value = self._attribute(field)
            if value is not _FLATTEN:
                if value is None:
                    self._lower[field] = self._text[field] = _EMPTY
                    return _EMPTY
                if value.__class__ is str:
                    self._text[field] = (value,)
                    found = self._lower[field] = (value.lower(),)
                    return found
            texts = self.texts(field)
            found = (texts[0].lower(),) if len(texts) == 1 else tuple(t.lower() for t in texts)
            self._lower[field] = found
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
