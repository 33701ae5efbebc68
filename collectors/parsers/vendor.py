"""Building blocks for vendor parsers: verdicts, intrusion events, observer, vendor fields.

Every vendor parser builds its ``Event`` with the ECS field sets of ``soc_core.events`` and
these helpers, so the same decision reads the same way whatever the box:

* a firewall decision → ``event.category: [network]``, ``event.type: [connection, allowed|denied]``,
  ``event.outcome`` success/failure, ``event.action`` keeps the vendor's own word;
* an IDS/IPS/WAF detection → ``event.kind: alert``, ``event.category: [network,
  intrusion_detection]`` (web attacks add ``web``), ``event.type: [info]`` plus ``denied`` when the
  box blocked it, and the 等保 8.1.3.3 d) four (source IP, rule name/category, target, time);
* vendor fields ECS lacks → ``<vendor>.<product>.*`` in ``Event.extra``.
"""

from __future__ import annotations

from typing import Any, Final

from collectors.parsers.base import Envelope
from collectors.parsers.common import (
    canonical_ip,
    header_time,
    nest,
    new_event,
    timezone_of,
    verdict_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, EventInfo, Network, Observer, Related
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventKind, EventOutcome, EventType

# Enum values resolved once: these helpers run on every line.
_NETWORK: Final = EventCategory.NETWORK.value
_INTRUSION: Final = EventCategory.INTRUSION_DETECTION.value
_WEB: Final = EventCategory.WEB.value
_CONNECTION: Final = EventType.CONNECTION.value
_ALLOWED: Final = EventType.ALLOWED.value
_DENIED: Final = EventType.DENIED.value
_INFO: Final = EventType.INFO.value
_ALERT: Final = EventKind.ALERT.value
_SUCCESS: Final = EventOutcome.SUCCESS.value
_FAILURE: Final = EventOutcome.FAILURE.value
_UNKNOWN: Final = EventOutcome.UNKNOWN.value

__all__ = [
    "add_counters",
    "add_related_ips",
    "event_at",
    "firewall_verdict",
    "intrusion",
    "not_ours",
    "request_head",
    "set_observer",
    "vendor_fields",
    "verdict_of",
]


def firewall_verdict(info: EventInfo, word: str | None, *, decision: str | None = None) -> None:
    """Stamp a network connection decided by a firewall.

    ``word`` is the vendor's word (kept in ``event.action`` when ``action`` is unset);
    ``decision`` (``allowed``/``denied``) overrides what ``word`` says.
    """
    if word and info.action is None:
        info.action = word
    decided = decision or (verdict_of(word) if word else None)
    info.category = [_NETWORK]
    if decided is not None:
        info.type = [_CONNECTION, decided]
        info.outcome = _SUCCESS if decided == _ALLOWED else _FAILURE
    else:
        info.type = [_CONNECTION]


def intrusion(info: EventInfo, *, blocked: bool | None, web: bool = False) -> None:
    """Stamp an IDS/IPS/WAF detection (an alert from the device).

    ``blocked`` True adds ``denied`` and outcome failure (the attack did not get through),
    False adds ``allowed``; None (the line does not say) adds neither and leaves the outcome
    unknown.
    """
    info.kind = _ALERT
    info.category = [_NETWORK, _INTRUSION, _WEB] if web else [_NETWORK, _INTRUSION]
    if blocked is True:
        info.type = [_INFO, _DENIED]
        info.outcome = _FAILURE
    elif blocked is False:
        info.type = [_INFO, _ALLOWED]
        info.outcome = _UNKNOWN
    else:
        info.type = [_INFO]


def set_observer(
    event: Event, *, vendor: str, product: str, type_: str, hostname: str | None = None, **more: Any
) -> Observer:
    """``observer.vendor/product/type`` (and hostname or other Observer fields) on ``event``."""
    observer = event.observer
    if observer is None:
        observer = event.observer = Observer()
    observer.vendor, observer.product, observer.type = vendor, product, type_
    if hostname:
        ip = canonical_ip(hostname)
        if ip is None:
            observer.hostname = hostname
        else:
            observer.ip = [ip]
    for name, value in more.items():
        if value is not None:
            setattr(observer, name, value)
    return observer


def vendor_fields(event: Event, vendor: str, product: str, values: dict[str, Any]) -> None:
    """Keep ``values`` under ``<vendor>.<product>.*`` (empty strings and None dropped)."""
    kept = {k: v for k, v in values.items() if v is not None and v != ""}
    if not kept:
        return
    extra = event.extra
    if extra is None:
        event.extra = nest((vendor, product), kept)
        return
    target = extra.setdefault(vendor, {}).setdefault(product, {})
    target.update(kept)


def add_related_ips(event: Event) -> None:
    """``related.ip`` from source, destination and their NAT addresses (order kept, no repeats)."""
    found: list[str] = []
    for side in (event.source, event.destination, event.client, event.server):
        if side is None:
            continue
        if side.ip is not None:
            found.append(side.ip)
        if side.nat is not None and side.nat.ip is not None:
            found.append(side.nat.ip)
    if not found:
        return
    related = event.related
    if related is None:
        related = event.related = Related()
    existing = related.ip or []
    related.ip = list(dict.fromkeys([*existing, *found]))


def event_at(values: dict[str, str], key: str, envelope: Envelope, record: RawRecord) -> Event:
    """A new event at the device time popped from ``values[key]``, else the header's time.

    A time that cannot be read goes back into ``values`` so the vendor fields keep it.
    """
    stamp = None
    when = values.pop(key, "")
    if when:
        try:
            stamp = resolve_timestamp(when, received_at=record.received_at, tz=timezone_of(record))
        except ValueError:
            values[key] = when
    return new_event(stamp or header_time(envelope, record))


def add_counters(
    source: Endpoint | None,
    destination: Endpoint | None,
    network: Network,
    *,
    sent: int | None,
    received: int | None,
    sent_packets: int | None,
    received_packets: int | None,
) -> tuple[Endpoint | None, Endpoint | None]:
    """Byte and packet counters: the sender's side on ``source``, totals on ``network``."""
    if sent is not None or sent_packets is not None:
        source = source or Endpoint()
        source.bytes, source.packets = sent, sent_packets
    if received is not None or received_packets is not None:
        destination = destination or Endpoint()
        destination.bytes, destination.packets = received, received_packets
    if sent is not None and received is not None:
        network.bytes = sent + received
    if sent_packets is not None and received_packets is not None:
        network.packets = sent_packets + received_packets
    return source, destination


def not_ours(record: RawRecord, what: str) -> ParseError:
    """The error a parser raises for a record that is not in its format (dead-letter reason)."""
    return ParseError(f"not a {what} record", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value)


def request_head(text: str, headers: tuple[str, ...]) -> dict[str, str]:
    """Request-line parts (``method``, ``target``, ``version``) and the first value of each of
    ``headers`` (lowercase names) in a raw HTTP request head, as IPS/WAF logs quote it."""
    found: dict[str, str] = {}
    lines = text.replace("\r\n", "\n").split("\n")
    first = lines[0].strip().split(" ")
    if len(first) >= 3 and first[-1].startswith("HTTP/"):
        found["method"], found["target"], found["version"] = first[0], " ".join(first[1:-1]), first[-1][5:]
    elif len(lines) == 1 and len(first) == 2 and first[0].isalpha() and first[0].isupper():
        found["method"], found["target"] = first  # a head cut short inside its request line
    for line in lines[1:]:
        if not line.strip():
            break  # the end of the head: what follows is the body
        name, sep, value = line.partition(":")
        if sep:
            lowered = name.strip().lower()
            if lowered in headers and lowered not in found:
                found[lowered] = value.strip()
    return found
