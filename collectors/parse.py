"""One raw record → events, or one dead-letter event. Pure, and it never raises.

Which parser: ``fmt`` naming a dataset forces that parser; otherwise the record's ``hint``
(the per-source dataset) is used when a parser for it exists; otherwise the parsers of
``AUTO_ORDER`` are asked in turn and the first whose ``sniff`` says yes parses the record.
A hint naming a dataset we have no parser for yet falls back to auto-detection, so a source
configured ahead of its vendor parser still yields events.

Whatever goes wrong (bad bytes, no parser, a parser error, an event that does not fit the
model, a bug) becomes a ``shaowang.deadletter`` event that carries the reason, a message
saying where, and the exact bytes (base64), so the record can be replayed once fixed.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final, Protocol

import msgspec

from collectors.decode import decode_record, refuse_binary
from collectors.parsers import PARSERS, Envelope, Parser, auto_order
from collectors.parsers.timeparse import from_posix, zone
from soc_core.errors import InvalidEventError, ParseError
from soc_core.events import Error, Event, EventInfo, Log, LogFile
from soc_core.records import RawRecord
from soc_core.vocabulary import (
    DEAD_LETTER_DATASET,
    DEFAULT_TIMEZONE,
    MAX_RECORD_BYTES,
    DeadLetterReason,
    EventKind,
)

__all__ = ["ParseOutcome", "dead_letter", "parse_record", "parser_for"]


class ParseOutcome(msgspec.Struct, kw_only=True, gc=False):
    """Events from one record, or the dead letter standing in for it (never both)."""

    events: list[Event]
    dead_letter: Event | None = None


@dataclass
class _Cache:
    """Parser instances and the auto-detection list, valid for one version of the registry."""

    version: int = -1
    instances: dict[str, Parser] = field(default_factory=dict)
    order: tuple[str, ...] = ()
    auto: list[Parser] = field(default_factory=list)


_cache: Final = _Cache()


def _synced() -> _Cache:
    if _cache.version != PARSERS.version:  # a parser was added, replaced or removed
        _cache.version, _cache.instances, _cache.order, _cache.auto = PARSERS.version, {}, (), []
    return _cache


def parser_for(dataset: str) -> Parser | None:
    """The (shared, stateless) parser instance for ``dataset``, or None if there is none."""
    instances = _synced().instances
    parser = instances.get(dataset)
    if parser is None and dataset in PARSERS:
        parser = instances[dataset] = PARSERS.get(dataset)()
    return parser


def _auto_parsers() -> list[Parser]:
    """The parsers ``--format auto`` asks, in order (rebuilt when the registry changes)."""
    cache = _synced()
    order = auto_order()
    if order != cache.order:
        found = [parser_for(dataset) for dataset in order]
        cache.order, cache.auto = order, [p for p in found if p is not None]
    return cache.auto


def _choose(envelope: Envelope, record: RawRecord, fmt: str) -> Parser:
    if fmt != "auto":
        forced = parser_for(fmt)
        if forced is None:
            known = ", ".join(PARSERS)
            raise ParseError(
                f"unknown format {fmt!r} (known: auto, {known})",
                where=record.where,
                reason=DeadLetterReason.NO_PARSER.value,
            )
        return forced
    if record.hint is not None:
        hinted = parser_for(record.hint)
        if hinted is not None:
            return hinted
    for parser in _auto_parsers():
        if parser.sniff(envelope):
            return parser
    raise ParseError(
        "no parser recognised the record (not a known device format, not JSON, not key=value)",
        where=record.where,
        reason=DeadLetterReason.NO_PARSER.value,
    )


class HostSource(Protocol):
    """Per-source settings found by the syslog hostname: the dataset and timezone to use."""

    dataset: str | None
    timezone: str | None


def parse_record(
    record: RawRecord,
    *,
    fmt: str = "auto",
    default_timezone: str = DEFAULT_TIMEZONE,
    source_for_host: Callable[[str], HostSource | None] | None = None,
) -> ParseOutcome:
    """Events for ``record``, or exactly one dead letter. Never raises.

    ``fmt`` is ``"auto"`` or a dataset id; ``default_timezone`` applies to records without a
    per-source ``timezone``. ``source_for_host`` finds per-source settings by the hostname in
    the syslog header, for records the peer address did not already map (a relay forwards
    many devices from one address; the header still names each).
    """
    envelope: Envelope | None = None
    parser: Parser | None = None
    unchecked = False  # a JSON record whose binary share nobody has counted yet
    try:
        envelope = decode_record(record)
        unchecked = not envelope.binary_checked
        header = envelope.syslog
        if source_for_host is not None and header is not None and header.hostname and record.hint is None:
            mapped = source_for_host(header.hostname)
            if mapped is not None:
                record = msgspec.structs.replace(
                    record, hint=mapped.dataset, timezone=record.timezone or mapped.timezone
                )
        if record.timezone is None and default_timezone != DEFAULT_TIMEZONE:
            record = msgspec.structs.replace(record, timezone=default_timezone)
        if record.timezone is not None:
            try:
                zone(record.timezone)
            except ValueError as exc:
                raise ParseError(
                    f"{exc} configured for this source",
                    where=record.where,
                    reason=DeadLetterReason.PARSE_ERROR.value,
                ) from None
        parser = _choose(envelope, record, fmt)
        if unchecked and not parser.strict_json:  # only a strict JSON reader makes it needless
            unchecked = False
            refuse_binary(record.data, record)
        events = parser.parse(envelope, record)
        if not events:
            raise ParseError(
                "the parser produced no events", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
            )
        return ParseOutcome(events=events)
    except ParseError as exc:
        reason, message = exc.reason, exc.message
        if unchecked:
            try:  # the dead letter of an unchecked JSON record says binary content if it is
                refuse_binary(record.data, record)
            except ParseError as binary:
                reason, message = binary.reason, binary.message
    except InvalidEventError as exc:
        reason, message = DeadLetterReason.INVALID_EVENT.value, f"event does not fit ECS: {exc.message}"
    except Exception as exc:  # a parser bug must not stop the pipeline or lose the record
        name = parser.dataset if parser is not None else "decoder"
        reason = DeadLetterReason.PARSE_ERROR.value
        message = f"internal error in {name}: {type(exc).__name__}: {exc}"
    return ParseOutcome(
        events=[],
        dead_letter=dead_letter(
            record,
            reason,
            message,
            text=envelope.text if envelope is not None else None,
            parser=parser.dataset if parser is not None else None,
        ),
    )


def dead_letter(
    record: RawRecord, reason: str, message: str, *, text: str | None = None, parser: str | None = None
) -> Event:
    """The ``shaowang.deadletter`` event for a record that could not be parsed.

    ``event.original`` is ``text`` (the decoded record) when decoding got that far, else the
    bytes decoded as UTF-8 with replacement characters; either is capped at 1 MiB. The exact
    bytes are in ``shaowang.deadletter.raw_b64`` whatever their size.
    """
    if text is None:
        text = record.data[:MAX_RECORD_BYTES].decode("utf-8", "replace")
    elif len(text) > MAX_RECORD_BYTES:
        text = text[:MAX_RECORD_BYTES]
    log = Log(source_address=record.peer)
    if record.origin.startswith("file:"):
        log.file = LogFile(path=record.origin[5:])
    log.offset = record.offset
    info: dict[str, str] = {
        "raw_b64": base64.b64encode(record.data).decode("ascii"),
        "origin": record.origin,
    }
    if parser is not None:
        info["parser"] = parser
    if record.hint is not None:
        info["hint"] = record.hint
    received = from_posix(record.received_at)
    return Event(
        timestamp=received,
        event=EventInfo(
            kind=EventKind.PIPELINE_ERROR,
            dataset=DEAD_LETTER_DATASET,
            original=text,
            created=received,
        ),
        error=Error(type=reason, message=f"{record.where}: {message}"),
        log=log,
        extra={"shaowang": {"deadletter": info}},
    )
