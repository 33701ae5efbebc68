"""ECS targets and value conversions for declarative parsers.

A target is a dotted ECS path checked against the real event model (the ``msgspec`` Struct
tree of ``soc_core.events.Event``, through ``msgspec.inspect``), or a path under the
definition's own vendor namespace (``sangfor.*`` for ``sangfor.ac``). Each target has a leaf
kind (text, integer, time, list of text ...) that decides which conversions fit it and
which one applies when the definition names none.

Conversions take the extracted value (text, or a JSON scalar) plus the record's receive
time and timezone, and return the converted value or None when the value does not fit; the
engine then keeps the raw value under the vendor namespace so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgspec
import msgspec.inspect as mi

from collectors.parsers.common import DIRECTIONS, IANA_TRANSPORTS, TRANSPORT_NAMES, canonical_ip, port
from collectors.parsers.timeparse import from_posix, resolve_timestamp, zone
from soc_core.events import Event
from soc_core.vocabulary import EventCategory, EventKind, EventOutcome, EventType

__all__ = [
    "CONVERSIONS",
    "ENUM_TARGETS",
    "Converter",
    "Target",
    "converter_for",
    "default_conversion",
    "resolve_target",
    "time_with_format",
]

Converter = Callable[[Any, float, str], Any]
"""``(value, received_at, tz) -> converted value or None``."""


# -- conversions -------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A value as stripped text; None for empty text and for ``-`` (how logs write "none")."""
    if isinstance(value, str):
        text = value.strip()
    elif value is None:
        return None
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    else:  # a JSON list or object
        text = msgspec.json.encode(value).decode()
    return text if text and text != "-" else None


def _str(value: Any, received_at: float, tz: str) -> Any:
    if isinstance(value, str):  # the common case, inline
        text = value.strip()
        return text if text and text != "-" else None
    return _text(value)


def _lower(value: Any, received_at: float, tz: str) -> Any:
    text = _text(value)
    return None if text is None else text.lower()


def _upper(value: Any, received_at: float, tz: str) -> Any:
    text = _text(value)
    return None if text is None else text.upper()


def _ip(value: Any, received_at: float, tz: str) -> Any:
    return canonical_ip(value) if isinstance(value, str) else None


def _int(value: Any, received_at: float, tz: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if -(2**63) <= value < 2**63 else None
    if isinstance(value, str):
        text = value.strip()
        digits = text[1:] if text[:1] in "+-" else text
        if digits.isdigit() and digits.isascii() and len(digits) <= 18:
            return int(text)
    return None


def _port(value: Any, received_at: float, tz: str) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 0 <= value <= 65_535 else None
    return port(value) if isinstance(value, str) else None


def _float(value: Any, received_at: float, tz: str) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str) and len(value) <= 64:
        try:
            number = float(value.strip())
        except ValueError:
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def _epoch_of(value: Any, scale: float) -> dt.datetime | None:
    number = _float(value, 0.0, "")
    if number is None or number <= 0:
        return None
    seconds = number / scale
    if seconds > 253_402_300_799:  # after 9999-12-31: not a time
        return None
    return from_posix(seconds)


def _epoch(value: Any, received_at: float, tz: str) -> Any:
    return _epoch_of(value, 1.0)


def _epoch_ms(value: Any, received_at: float, tz: str) -> Any:
    return _epoch_of(value, 1000.0)


def _time(value: Any, received_at: float, tz: str) -> Any:
    text = _text(value)
    if text is None or len(text) > 64:
        return None
    try:
        return resolve_timestamp(text, received_at=received_at, tz=tz)
    except ValueError:
        return None


def time_with_format(fmt: str) -> Converter:
    """A ``time`` conversion with an explicit ``strptime`` format (local time in ``tz`` unless
    the format has ``%z``)."""

    def convert(value: Any, received_at: float, tz: str) -> Any:
        text = _text(value)
        if text is None or len(text) > 128:
            return None
        try:
            parsed = dt.datetime.strptime(text, fmt)
        except ValueError:
            return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone(tz))
        try:
            return parsed.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            return None

    return convert


def _transport(value: Any, received_at: float, tz: str) -> Any:
    text = _text(value)
    if text is None:
        return None
    word = text.lower()
    if word.isdigit():
        return IANA_TRANSPORTS.get(word)
    return word if word in TRANSPORT_NAMES else None


# name → (converter, what it produces)
CONVERSIONS: dict[str, tuple[Converter, str]] = {
    "str": (_str, "text"),
    "lower": (_lower, "text"),
    "upper": (_upper, "text"),
    "ip": (_ip, "ip"),
    "transport": (_transport, "text"),
    "int": (_int, "int"),
    "port": (_port, "int"),
    "float": (_float, "float"),
    "epoch": (_epoch, "datetime"),
    "epoch_ms": (_epoch_ms, "datetime"),
    "time": (_time, "datetime"),
}


def converter_for(name: str) -> Converter:
    """The conversion function called ``name`` (a key of ``CONVERSIONS``)."""
    return CONVERSIONS[name][0]


# -- targets --------------------------------------------------------------------------------

# Allowed values of the ECS fields whose values form a closed list.
ENUM_TARGETS: dict[str, frozenset[str]] = {
    "event.kind": frozenset(k.value for k in EventKind),
    "event.category": frozenset(c.value for c in EventCategory),
    "event.type": frozenset(t.value for t in EventType),
    "event.outcome": frozenset(o.value for o in EventOutcome),
    "network.direction": DIRECTIONS,
}

# Set by the platform (``finish``, the pipeline) or by a dedicated section of the definition.
_RESERVED: dict[str, str] = {
    "event.dataset": "is the definition's id",
    "event.original": "is the raw record, kept by the platform",
    "event.created": "is the receive time, set by the platform",
    "event.ingested": "is set by the pipeline",
    "event.id": "is the platform's unique event id; keep the vendor's id in event.code or <vendor>.*",
    "event.severity": "comes from the severity: section",
    "log.offset": "is set by the platform",
    "log.source_address": "is set by the platform",
    "log.file.path": "is set by the platform",
}
_RESERVED_PREFIXES: tuple[str, ...] = ("log.syslog.",)

# Leaf kinds and the conversion results each accepts.
_ACCEPTS: dict[str, frozenset[str]] = {
    "text": frozenset({"text", "ip"}),
    "ip": frozenset({"ip"}),
    "list": frozenset({"text", "ip"}),
    "ip_list": frozenset({"ip"}),
    "int": frozenset({"int"}),
    "float": frozenset({"int", "float"}),
    "datetime": frozenset({"datetime"}),
    "vendor": frozenset({"text", "ip", "int", "float", "datetime"}),
}
_LIST_KINDS = frozenset({"list", "ip_list"})
_KIND_WORDS: dict[str, str] = {
    "text": "text",
    "ip": "an IP address",
    "list": "a list of text",
    "ip_list": "a list of IP addresses",
    "int": "an integer",
    "float": "a number",
    "datetime": "a time",
    "vendor": "any value",
}


@dataclass(frozen=True, slots=True)
class Target:
    """Where a value goes: the path in the event document and what the leaf holds."""

    dotted: str
    path: tuple[str, ...]  # keys in the document given to msgspec (``extra`` first for vendor fields)
    kind: str  # a key of _ACCEPTS
    vendor: bool

    @property
    def is_list(self) -> bool:
        """The leaf is a list (values are appended)."""
        return self.kind in _LIST_KINDS

    def accepts(self, produces: str) -> bool:
        """Does a conversion producing ``produces`` fit this leaf?"""
        return produces in _ACCEPTS[self.kind]

    @property
    def wants(self) -> str:
        """The leaf kind in words, for error messages."""
        return _KIND_WORDS[self.kind]


def default_conversion(target: Target) -> str:
    """The conversion used when a field names no ``type``."""
    last = target.path[-1]
    if target.dotted == "network.transport":
        return "transport"
    if target.dotted in ENUM_TARGETS or target.dotted == "network.protocol":
        return "lower"
    return {
        "ip": "ip",
        "ip_list": "ip",
        "int": "port" if last == "port" else "int",
        "float": "float",
        "datetime": "time",
    }.get(target.kind, "str")


@functools.cache
def _event_type() -> mi.StructType:
    info = mi.type_info(Event)
    assert isinstance(info, mi.StructType)
    return info


def _unwrap(t: mi.Type) -> mi.Type:
    """``X | None`` → ``X``."""
    if isinstance(t, mi.UnionType):
        rest = [member for member in t.types if not isinstance(member, mi.NoneType)]
        if len(rest) == 1:
            return rest[0]
    return t


def _leaf_kind(t: mi.Type, last: str) -> str | None:
    if isinstance(t, mi.StrType):
        return "ip" if last == "ip" else "text"
    if isinstance(t, mi.IntType):
        return "int"
    if isinstance(t, mi.FloatType):
        return "float"
    if isinstance(t, mi.DateTimeType):
        return "datetime"
    if isinstance(t, mi.ListType) and isinstance(t.item_type, mi.StrType):
        return "ip_list" if last in ("ip", "resolved_ip") else "list"
    return None


def resolve_target(dotted: str, vendor: str, product: str) -> Target:
    """The target for ``dotted``; raises ``ValueError`` saying what is wrong with it."""
    if not dotted or dotted.startswith(".") or dotted.endswith(".") or ".." in dotted:
        raise ValueError(f"{dotted!r} is not a dotted field name")
    parts = tuple(dotted.split("."))
    if parts[0] == vendor:
        if len(parts) < 2 or (len(parts) == 2 and parts[1] == product):
            raise ValueError(
                f"{dotted!r}: name a field inside the vendor namespace ({vendor}.{product}.<name>)"
            )
        return Target(dotted, ("extra", *parts), "vendor", True)
    why = _RESERVED.get(dotted)
    if why is not None:
        raise ValueError(f"{dotted} cannot be mapped: it {why}")
    if dotted.startswith(_RESERVED_PREFIXES):
        raise ValueError(f"{dotted} cannot be mapped: log.syslog.* comes from the syslog header")
    node: mi.StructType = _event_type()
    for index, part in enumerate(parts):
        fields = {f.encode_name: f for f in node.fields if f.name != "extra"}
        found = fields.get(part)
        where = ".".join(parts[:index]) or "the event"
        if found is None:
            close = difflib.get_close_matches(part, list(fields), n=1)
            hint = f" (did you mean {'.'.join((*parts[:index], close[0]))}?)" if close else ""
            vendor_hint = f"; vendor fields go under {vendor}.{product}.*" if index == 0 else ""
            raise ValueError(f"unknown ECS field {dotted!r}: {where} has no {part!r}{hint}{vendor_hint}")
        t = _unwrap(found.type)
        last = index == len(parts) - 1
        if isinstance(t, mi.StructType):
            if last:
                raise ValueError(f"{dotted} is an object; name a field inside it")
            node = t
            continue
        if isinstance(t, mi.DictType):  # labels.<name>
            if index == len(parts) - 2 and isinstance(_unwrap(t.value_type), mi.StrType):
                return Target(dotted, parts, "text", False)
            raise ValueError(f"{dotted}: {'.'.join(parts[: index + 1])} takes one level of <name> below it")
        if not last:
            raise ValueError(f"{dotted}: {'.'.join(parts[: index + 1])} has no fields below it")
        kind = _leaf_kind(t, part)
        if kind is None:
            raise ValueError(f"{dotted} cannot be set from a log field (its type is not supported)")
        return Target(dotted, parts, kind, False)
    raise ValueError(f"{dotted!r} is not a field")  # pragma: no cover - the loop always returns
