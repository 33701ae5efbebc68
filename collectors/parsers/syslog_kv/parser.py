"""Generic ``key=value`` lines: WELF-like firewalls, Chinese devices, home-grown scripts.

Grammar (after any syslog header): pairs ``key=value`` separated by spaces, commas or
semicolons (ASCII or full-width ``，；``; a full-width ``＝`` also works). A value is
``"double quoted"`` (``\\"`` and ``\\\\`` unescaped), ``'single quoted'`` or bare. A bare value
runs until the separator in front of the next ``key=``, so ``type=Signature Rule sev=1``
gives ``type`` the value ``Signature Rule``; text before the first key is ignored (it stays
in ``event.original``). Keys are at most 64 characters. Every quantifier that could
backtrack is possessive, so a 1 MiB line costs linear time.

The colon form ``key:value;key:value;`` (bastion hosts and other Chinese boxes, full-width
``：；`` too) is accepted when the message has no ``key=value`` pairs: values run to the next
``;`` and may contain colons (``time:2026-11-27 10:00:00;``); trailing text after the last pair
becomes ``message``.

Known keys go to ECS (see ``collectors.parsers.common``); the rest, and known keys whose value
is invalid (``src=not-an-ip``), are kept as strings under ``syslog.kv.<key>`` with the key
sanitised by ``sanitize_key`` (lowercase ASCII, Chinese kept). A repeated key becomes a list.
Empty values are dropped: they carry nothing that ``event.original`` does not keep.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    Fields,
    finish,
    header_time,
    key_cache,
    key_info,
    new_event,
    time_key,
    timezone_of,
)
from soc_core.errors import ParseError
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import DeadLetterReason

_SEP = r"\s,;，；"
_SEP_CHARS = " \t\r\n\f\v,;，；"
_KEY = rf"(?<![^{_SEP}])[^{_SEP}=＝\"']{{1,64}}"
_PAIR = compile_pattern(
    rf"(?P<k>{_KEY})[=＝]"
    rf'(?:"(?P<dq>(?:[^"\\]++|\\.)*+)"(?=[{_SEP}]|$)'
    rf"|'(?P<sq>[^']*+)'(?=[{_SEP}]|$)"
    # bare: words, and separators not followed by the next key= (no trailing separators:
    # the message is right-stripped first)
    rf"|(?P<v>[^{_SEP}]*+(?:[{_SEP}]++(?!{_KEY}[=＝])[^{_SEP}]*+)*+))",
    re.DOTALL,
)
_SNIFF = re.compile(rf"{_KEY}[=＝]")
_ESCAPE = re.compile(r'\\(["\\])')
# key:value; form — two pairs at least, each ended by ; (the last may end the message)
_COLON_KEY = r"[^\s:：;；=\"']{1,64}"
_COLON_SNIFF = re.compile(rf"(?:^|[;；]\s*){_COLON_KEY}[:：][^;；]*+[;；]\s*{_COLON_KEY}[:：]")
_COLON_PAIR = re.compile(rf"\s*({_COLON_KEY})[:：]([^;；]*+)(?:[;；]|$)")

NAMESPACE = ("syslog", "kv")


def pairs(message: str) -> list[tuple[str, str]]:
    """The ``(key, value)`` pairs of a key=value message, values unquoted, empty ones kept."""
    out: list[tuple[str, str]] = []
    for key, dq, sq, bare in _PAIR.findall(message.rstrip(_SEP_CHARS)):
        if dq:
            out.append((key, _ESCAPE.sub(r"\1", dq) if "\\" in dq else dq))
        else:
            out.append((key, sq or bare))
    return out


def keep(store: dict[str, Any], raw_key: str, value: Any) -> None:
    """Keep ``value`` under the sanitised ``raw_key``; a repeated key becomes a list."""
    key = key_info(raw_key)[0]
    if not key:
        return
    existing = store.get(key)
    if existing is None:
        store[key] = value
    elif isinstance(existing, list):
        existing.append(value)
    else:
        store[key] = [existing, value]


def _colon_pairs(message: str) -> tuple[list[tuple[str, str, str, str]], str | None]:
    """``key:value;`` pairs in the shape ``_PAIR.findall`` gives, and the text after them."""
    found: list[tuple[str, str, str, str]] = []
    first = _COLON_SNIFF.search(message)
    if first is None:
        return found, None
    # text before the first pair is ignored, as in the key=value form (event.original keeps it)
    position = first.start() + (1 if message[first.start() : first.start() + 1] in (";", "；") else 0)
    while (match := _COLON_PAIR.match(message, position)) is not None and match.end() > position:
        value = match.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] == '"':
            value = value[1:-1]
        found.append((match.group(1), "", "", value))
        position = match.end()
    rest = message[position:].strip()
    return found, rest or None


class KvParser(Parser):
    """``syslog.kv``: at least two ``key=value`` pairs."""

    dataset: ClassVar[str] = "syslog.kv"

    def sniff(self, envelope: Envelope) -> bool:
        """Two key=value pairs; stops scanning at the second."""
        found = _SNIFF.finditer(envelope.message)
        if next(found, None) is not None and next(found, None) is not None:
            return True
        return _COLON_SNIFF.search(envelope.message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        found = _PAIR.findall(message.rstrip(_SEP_CHARS))
        trailing: str | None = None
        if len(found) < 2:
            colon, trailing = _colon_pairs(message)
            if colon:
                found = colon
        if not found:
            raise ParseError(
                "no key=value pairs in the message",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        fields = Fields()
        times = fields.times
        extra: dict[str, Any] = {}
        cached = key_cache.get
        # The hot loop of the generic parser: kept inline (no helper calls per pair).
        for raw_key, dq, sq, bare in found:
            if dq:
                value = _ESCAPE.sub(r"\1", dq) if "\\" in dq else dq
            else:
                value = sq or bare
                if not value:
                    continue
            key, handler = cached(raw_key) or key_info(raw_key)
            if handler is not None:
                if handler is time_key:
                    times.append((key, raw_key, value))
                    continue
                if handler(fields, value):
                    continue
            if key:
                existing = extra.get(key)
                if existing is None:
                    extra[key] = value
                elif type(existing) is list:
                    existing.append(value)
                else:
                    extra[key] = [existing, value]
        stamp, unused = fields.resolve_time(record.received_at, timezone_of(record))
        for raw_key, value in unused:
            keep(extra, raw_key, value)
        event = new_event(stamp if stamp is not None else header_time(envelope, record))
        fields.apply(event)
        if trailing and event.message is None:
            event.message = trailing
        if extra:
            event.extra = {NAMESPACE[0]: {NAMESPACE[1]: extra}}
        return [finish(event, envelope, record, self.dataset)]
