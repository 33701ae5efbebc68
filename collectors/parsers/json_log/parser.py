"""One JSON object per record, after an optional syslog header.

ECS-shaped objects (an ``@timestamp``, an ``event`` object, ``ecs``, dotted ECS keys such as
``source.ip``, or an ECS field set such as ``"source": {...}``) are taken as ECS, leniently: a
field that does not fit the model (``"source": {"port": "http"}``) is kept under
``json.<path>`` instead of failing the record, and non-ECS roots (``fortinet.*``) stay as they
are. An ECS ``@timestamp`` without an offset is UTC, as ECS defines it. The object's own
``event.kind`` is kept when it is an ECS kind (an upstream ``alert`` stays an alert); its
``event.dataset`` is replaced by ``json.log`` and kept as ``json.event.dataset``.

Other objects are kept whole under ``json`` (nested as they came), and their top-level keys
go through the same key map as ``syslog.kv`` (``src_ip``, ``dport``, ``time`` …); a value
used for ECS is removed from ``json``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import Fields, finish, header_time, new_event, timezone_of
from collectors.parsers.json_depth import MAX_JSON_DEPTH, too_deep
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from soc_core.errors import InvalidEventError, ParseError
from soc_core.events import ECS_ROOTS, Event, unflatten
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventKind

NAMESPACE = "json"
# Deeper objects are refused: serialising them later would hit recursion limits.
MAX_DEPTH = MAX_JSON_DEPTH

_decoder = msgspec.json.Decoder()
_ROOT_TYPES: dict[str, Any] = {
    f.encode_name: f.type for f in msgspec.structs.fields(Event) if f.name != "extra"
}
_SCALAR_ROOTS = frozenset({"message", "tags", "labels", "@timestamp"})
_KINDS = frozenset(k.value for k in EventKind)


def _ecs_shaped(doc: dict[str, Any]) -> bool:
    if "@timestamp" in doc or "ecs" in doc:
        return True
    for key, value in doc.items():
        if "." in key:
            if key.partition(".")[0] in ECS_ROOTS:
                return True
        elif isinstance(value, dict) and key in ECS_ROOTS and key not in _SCALAR_ROOTS:
            return True
    return False


def _fits(root: str, value: Any) -> bool:
    try:
        msgspec.convert(value, _ROOT_TYPES[root], strict=False)
    except msgspec.ValidationError:
        return False
    return True


def _as_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class JsonParser(Parser):
    """``json.log``: a JSON object."""

    dataset: ClassVar[str] = "json.log"

    def sniff(self, envelope: Envelope) -> bool:
        """Starts with ``{`` and ends with ``}``."""
        message = envelope.message
        return message.lstrip()[:1] == "{" and message.rstrip()[-1:] == "}"

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per object."""
        text = envelope.message.strip()
        try:
            doc = _decoder.decode(text)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ParseError(
                f"not valid JSON: {exc}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
            ) from None
        if not isinstance(doc, dict):
            raise ParseError(
                f"JSON {type(doc).__name__} where an object was expected",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        if too_deep(text, lambda: doc):
            raise ParseError(
                f"JSON nested deeper than {MAX_DEPTH} levels",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        if _ecs_shaped(doc):
            event = self._from_ecs(doc, envelope, record)
        else:
            event = self._from_plain(doc, envelope, record)
        return [finish(event, envelope, record, self.dataset)]

    # -- ECS-shaped ------------------------------------------------------------------------------

    def _from_ecs(self, doc: dict[str, Any], envelope: Envelope, record: RawRecord) -> Event:
        nested = unflatten(doc) if any("." in key for key in doc) else dict(doc)
        leftover: dict[str, Any] = {}
        raw_time = nested.pop("@timestamp", None)
        stamp = None
        if raw_time is not None:
            stamp = self._time(raw_time, record.received_at, "UTC")
            if stamp is None:
                leftover["@timestamp"] = raw_time
        info = nested.get("event")
        if isinstance(info, dict):
            info = nested["event"] = dict(info)
            # Ours to set: what the record is, when we received it, which parser made it.
            info.pop("original", None)
            info.pop("created", None)
            info.pop("ingested", None)
            dataset = info.pop("dataset", None)
            if dataset is not None and dataset != self.dataset:
                leftover["event"] = {"dataset": dataset}
            kind = info.get("kind")
            if kind is not None and (not isinstance(kind, str) or kind not in _KINDS):
                leftover.setdefault("event", {})["kind"] = info.pop("kind")
        if stamp is None:
            stamp = header_time(envelope, record)
        nested["@timestamp"] = stamp
        try:
            event = Event.from_dict(nested)
        except InvalidEventError:
            event = Event.from_dict(self._fit(nested, leftover))
        if leftover:
            extra = event.extra if event.extra is not None else {}
            mine = extra.get(NAMESPACE)
            if isinstance(mine, dict):
                leftover = {**mine, **leftover}
            elif mine is not None:
                leftover[NAMESPACE] = mine
            extra[NAMESPACE] = leftover
            event.extra = extra
        return event

    @staticmethod
    def _fit(nested: dict[str, Any], leftover: dict[str, Any]) -> dict[str, Any]:
        """The parts of ``nested`` that fit ECS; the rest goes to ``leftover`` (two levels)."""
        fitted: dict[str, Any] = {}
        for key, value in nested.items():
            if key == "@timestamp" or key not in ECS_ROOTS or _fits(key, value):
                fitted[key] = value
            elif isinstance(value, dict):
                kept = {sub: v for sub, v in value.items() if _fits(key, {sub: v})}
                rejected = {sub: v for sub, v in value.items() if sub not in kept}
                if kept:
                    fitted[key] = kept
                target = leftover.setdefault(key, {})
                if isinstance(target, dict):
                    target.update(rejected)
            else:
                leftover[key] = value
        return fitted

    # -- anything else ---------------------------------------------------------------------------

    def _from_plain(self, doc: dict[str, Any], envelope: Envelope, record: RawRecord) -> Event:
        fields = Fields()
        leftover = dict(doc)
        for key, value in doc.items():
            text = _as_text(value)
            if text is not None and text and fields.add(key, text):
                del leftover[key]
        stamp, unused = fields.resolve_time(record.received_at, timezone_of(record))
        for raw_key, _ in unused:
            leftover[raw_key] = doc[raw_key]
        event = new_event(stamp if stamp is not None else header_time(envelope, record))
        fields.apply(event)
        if leftover:
            event.extra = {NAMESPACE: leftover}
        return event

    @staticmethod
    def _time(value: Any, received_at: float, tz: str) -> dt.datetime | None:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            try:
                return from_posix(value / 1000.0 if value >= 1e12 else float(value))
            except OverflowError:  # an integer too large for a float
                return None
        if isinstance(value, str):
            try:
                return resolve_timestamp(value, received_at=received_at, tz=tz)
            except ValueError:
                return None
        return None
