"""One Zeek line being mapped, and taking its values: a key is removed only when its value fits
ECS, so what is left is exactly what the parser keeps under ``zeek.<log>.*``."""

from __future__ import annotations

import math
from typing import Any

from collectors.parsers.common import canonical_ip
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from soc_core.events import Endpoint, Event, Network

__all__ = [
    "Line",
    "take_bool",
    "take_count",
    "take_first",
    "take_ip",
    "take_mac",
    "take_nanos",
    "take_port",
    "take_text",
    "take_time",
]


class Line:
    """One Zeek line being mapped: its remaining fields, the event, and what goes beside it."""

    __slots__ = ("doc", "event", "namespace", "net", "ports", "related_hashes", "related_ips", "session_id")

    def __init__(self, doc: dict[str, Any], event: Event, namespace: str) -> None:
        self.doc = doc
        self.event = event
        self.namespace = namespace
        self.net = Network()
        self.session_id: str | None = None
        self.related_ips: list[str] = []
        self.related_hashes: list[str] = []
        # The flow's ports when they are not source/destination.port (ICMP type and code).
        self.ports: tuple[int | None, int | None] | None = None

    def source(self, ip: str | None = None, port: int | None = None) -> Endpoint:
        side = self.event.source
        if side is None:
            side = self.event.source = Endpoint(ip=ip, port=port)
        return side

    def destination(self, ip: str | None = None, port: int | None = None) -> Endpoint:
        side = self.event.destination
        if side is None:
            side = self.event.destination = Endpoint(ip=ip, port=port)
        return side


# -- taking values --------------------------------------------------------------------------


def take_text(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if isinstance(value, str) and value:
        del doc[key]
        return value
    return None


def take_ip(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if isinstance(value, str):
        ip = canonical_ip(value)
        if ip is not None:
            del doc[key]
            return ip
    return None


def take_port(doc: dict[str, Any], key: str) -> int | None:
    value = doc.get(key)
    if type(value) is int and 0 <= value <= 65_535:
        del doc[key]
        return value
    return None


def take_count(doc: dict[str, Any], key: str) -> int | None:
    value = doc.get(key)
    if type(value) is int and 0 <= value < 2**63:
        del doc[key]
        return value
    return None


def take_bool(doc: dict[str, Any], key: str) -> bool | None:
    value = doc.get(key)
    if isinstance(value, bool):
        del doc[key]
        return value
    return None


def take_nanos(doc: dict[str, Any], key: str) -> int | None:
    """A duration in seconds as ``event.duration`` nanoseconds."""
    value = doc.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value < 1e9:
        del doc[key]
        return round(value * 1_000_000_000)
    return None


def take_first(doc: dict[str, Any], key: str) -> str | None:
    """The first string of a list; the list is kept (as vendor field) when it holds more."""
    value = doc.get(key)
    if isinstance(value, list) and value and isinstance(value[0], str) and value[0]:
        if len(value) == 1:
            del doc[key]
        return value[0]
    return take_text(doc, key)


def take_time(doc: dict[str, Any], key: str) -> Any:
    value = doc.get(key)
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        if 0 <= value < 1e11:
            del doc[key]
            return from_posix(float(value))
    elif isinstance(value, str) and value:
        try:
            stamp = resolve_timestamp(value, received_at=0.0, tz="UTC")
        except ValueError:
            return None
        del doc[key]
        return stamp
    return None


def _mac(value: str) -> str | None:
    """ECS MAC form: upper case, hyphens."""
    parts = value.replace("-", ":").split(":")
    if len(parts) != 6 or not all(len(p) == 2 for p in parts):
        return None
    text = "-".join(parts).upper()
    return text if all(c in "0123456789ABCDEF-" for c in text) else None


def take_mac(doc: dict[str, Any], key: str) -> str | None:
    value = doc.get(key)
    if isinstance(value, str):
        mac = _mac(value)
        if mac is not None:
            del doc[key]
            return mac
    return None
