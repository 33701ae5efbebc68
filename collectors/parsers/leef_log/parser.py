"""``leef.log``: IBM QRadar Log Event Extended Format 1.0 and 2.0, with or without a syslog header.

::

    LEEF:1.0|Vendor|Product|Version|EventID|key=value<TAB>key=value...
    LEEF:2.0|Vendor|Product|Version|EventID|^|key=value^key=value...     (delimiter: a character,
                                                                           or its hex: x5E, 0x5E)

* Header → ``observer.vendor/product/version``; EventID → ``event.code`` (and ``event.action``
  unless an ``action`` attribute says what was done). A 2.0 header without the delimiter field
  uses the tab; a 1.0 line whose tabs a relay turned into spaces is split like CEF (a value runs
  to the space before the next ``key=``).
* Predefined attributes → ECS: ``src``/``dst``/``srcPort``/``dstPort``, NAT (``srcPreNAT`` is the
  source before translation, ``srcPostNAT`` → ``source.nat.ip``; ``dstPreNAT`` is the address the
  client aimed at, ``dstPostNAT`` → ``destination.nat.ip``; ports likewise), ``srcMAC``/``dstMAC``,
  ``srcBytes``/``dstBytes``/``srcPackets``/``dstPackets``/``totalPackets``, ``proto`` → transport,
  ``usrName`` → ``user.name``, ``sev`` (1-10) → ``event.severity`` (as CEF: ≤3 → 2, ≤6 → 3,
  ≤8 → 4, else 5), ``cat`` → ``rule.category`` (and an ECS category when it names one),
  ``devTime`` with ``devTimeFormat`` (Java ``SimpleDateFormat``) → ``@timestamp``, ``identSrc``
  (the address of an identity event: ``source.ip`` when there is no ``src``), ``url`` → ``url.*``,
  ``action`` → ``event.action`` (an allow/deny word makes a firewall decision), ``msg`` → ``message``,
  ``policy`` → ``rule.name``. A detection (``cat`` naming an attack or malware) gets ``rule.id``
  from the EventID and, without a ``policy``, ``rule.name`` from ``msg`` (else the EventID).
* Other attributes, and mapped ones whose value is invalid, are kept under
  ``leef.attributes.<key in snake case>``; ``leef.version`` keeps the format version.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.cef_log.parser import (
    NONE_WORDS,
    classify,
    device_time,
    find_marker,
    mac,
    scaled_severity,
    snake,
    spaced_pairs,
)
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    count,
    finish,
    header_time,
    port,
    timezone_of,
)
from collectors.parsers.nginx_access.combined import url_of
from collectors.parsers.timeparse import zone
from collectors.parsers.vendor import not_ours
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, EventInfo, Nat, Network, Observer, Related, Rule, User
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventKind

_VERSION = re.compile(r" ?([12])(?:\.0)?\|", re.ASCII)
_FIELD = r"([^|]*+)\|"
_HEADER = re.compile(_FIELD * 4)

# LEEF attribute → (endpoint side, field) for addresses, ports and counters
_SIDES: dict[str, tuple[str, str]] = {
    "src": ("src", "ip"),
    "dst": ("dst", "ip"),
    "srcPort": ("src", "port"),
    "dstPort": ("dst", "port"),
    "srcPreNAT": ("src", "ip"),
    "dstPreNAT": ("dst", "ip"),
    "srcPreNATPort": ("src", "port"),
    "dstPreNATPort": ("dst", "port"),
    "srcPostNAT": ("src_nat", "ip"),
    "dstPostNAT": ("dst_nat", "ip"),
    "srcPostNATPort": ("src_nat", "port"),
    "dstPostNATPort": ("dst_nat", "port"),
    "srcMAC": ("src", "mac"),
    "dstMAC": ("dst", "mac"),
    "srcBytes": ("src", "bytes"),
    "dstBytes": ("dst", "bytes"),
    "srcPackets": ("src", "packets"),
    "dstPackets": ("dst", "packets"),
    "identSrc": ("ident", "ip"),
}
_EVENT, _ALERT = EventKind.EVENT.value, EventKind.ALERT.value
_TEXT_KEYS = frozenset(
    {"usrName", "sev", "cat", "devTime", "devTimeFormat", "url", "action", "msg", "policy"}
)


_CONVERT: dict[str, Callable[[str], Any]] = {
    "ip": canonical_ip,
    "port": port,
    "mac": mac,
    "bytes": count,
    "packets": count,
}


def _delimiter(text: str) -> str | None:
    """The 2.0 delimiter field: one character, or its hex (``x09``, ``0x5E``, ``\\x09``)."""
    if len(text) == 1:
        return text
    lowered = text.lower().removeprefix("\\").removeprefix("0")
    if lowered.startswith("x") and 2 <= len(lowered) <= 5:
        try:
            return chr(int(lowered[1:], 16))
        except ValueError:
            return None
    return None


# Java SimpleDateFormat letters → strptime (runs of the same letter)
_JAVA = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^A-Za-z']+")


@functools.lru_cache(maxsize=256)
def _strptime_pattern(java: str) -> str | None:
    """``MMM dd yyyy HH:mm:ss.SSS Z`` → ``%b %d %Y %H:%M:%S.%f %z``; None if a letter is unknown."""
    out: list[str] = []
    for m in _JAVA.finditer(java):
        token = m.group()
        if token.startswith("'"):
            out.append(token[1:-1].replace("''", "'").replace("%", "%%") if len(token) > 2 else "'")
            continue
        letter = m.group(1)
        if letter is None:
            out.append(token.replace("%", "%%"))
            continue
        size = len(token)
        mapped = {
            "y": "%y" if size == 2 else "%Y",
            "M": "%B" if size >= 4 else "%b" if size == 3 else "%m",
            "d": "%d",
            "H": "%H",
            "k": "%H",
            "h": "%I",
            "m": "%M",
            "s": "%S",
            "S": "%f",
            "E": "%A" if size >= 4 else "%a",
            "a": "%p",
            "Z": "%z",
            "X": "%z",
        }.get(letter)
        if mapped is None or mapped in out:  # a field twice: strptime cannot read it
            return None
        out.append(mapped)
    pattern = "".join(out)
    return pattern if "%Y" in pattern or "%y" in pattern else None


def _dev_time(text: str, java: str | None, received_at: float, tz: str) -> dt.datetime | None:
    """``devTime``: the common shapes first (cached, fast; they are unambiguous), else the line's
    own ``devTimeFormat`` (``dd/MM/yyyy``-style formats only it can read)."""
    found = device_time(text, received_at=received_at, tz=tz)
    if found is None and java:
        found = _java_time(text.strip(), java.strip(), tz)
    return found


@functools.lru_cache(maxsize=1024)
def _java_time(text: str, java: str, tz: str) -> dt.datetime | None:
    pattern = _strptime_pattern(java)
    if pattern is None:
        return None
    try:
        stamp = dt.datetime.strptime(text, pattern)
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=zone(tz))
    return stamp.astimezone(dt.UTC)


class LeefParser(Parser):
    """``leef.log``."""

    dataset: ClassVar[str] = "leef.log"

    def sniff(self, envelope: Envelope) -> bool:
        """``LEEF:1.0|`` or ``LEEF:2.0|`` near the start of the message."""
        message = envelope.message
        at = find_marker(message, "LEEF:")
        return at >= 0 and _VERSION.match(message, at + 5) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        at = find_marker(message, "LEEF:")
        version = _VERSION.match(message, at + 5) if at >= 0 else None
        if version is None:
            raise not_ours(record, "LEEF")
        header = _HEADER.match(message, version.end())
        if header is None:
            raise ParseError(
                "LEEF header incomplete: vendor|product|version|event id| expected",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        vendor, product, device_version, event_id = (f.strip() for f in header.groups())
        body = message[header.end() :]
        delimiter: str | None = "\t"
        if version.group(1) == "2":
            field, bar, rest = body.partition("|")
            if body.startswith("||"):  # the delimiter is the pipe itself
                field, rest = "|", body[2:]
            if bar and "=" not in field:
                delimiter = _delimiter(field) if field else "\t"
                body = rest
        pairs = _split(body, delimiter)
        return [
            finish(
                self._event(
                    pairs, vendor, product, device_version, event_id, version.group(1), envelope, record
                ),
                envelope,
                record,
                self.dataset,
            )
        ]

    @staticmethod
    def _event(
        pairs: list[tuple[str, str]],
        vendor: str,
        product: str,
        device_version: str,
        event_id: str,
        version: str,
        envelope: Envelope,
        record: RawRecord,
    ) -> Event:
        sides: dict[str, dict[str, Any]] = {"src": {}, "dst": {}, "src_nat": {}, "dst_nat": {}, "ident": {}}
        text: dict[str, str] = {}
        attributes: dict[str, Any] = {}
        network: dict[str, Any] = {}
        for key, value in pairs:
            if not value or value in NONE_WORDS:  # "N/A", "-": nothing to keep
                continue
            side = _SIDES.get(key)
            if side is not None:
                converted = _CONVERT[side[1]](value)
                target = sides[side[0]]
                if converted is not None and side[1] not in target:
                    target[side[1]] = converted
                    continue
            elif key in _TEXT_KEYS and key not in text:
                text[key] = value
                continue
            elif key == "proto" and "transport" not in network:
                word = value.strip().lower()
                name = (
                    IANA_TRANSPORTS.get(word) if word.isdigit() else word if word in TRANSPORT_NAMES else None
                )
                if name is not None:
                    network["transport"] = name
                    if word.isdigit():
                        network["iana_number"] = word
                    continue
            elif key == "totalPackets" and "packets" not in network:
                packets = count(value)
                if packets is not None:
                    network["packets"] = packets
                    continue
            attributes.setdefault(snake(key), value)
        tz = timezone_of(record)
        stamp = None
        if "devTime" in text:
            stamp = _dev_time(text["devTime"], text.get("devTimeFormat"), record.received_at, tz)
            if stamp is None:
                attributes["dev_time"] = text["devTime"]
                if "devTimeFormat" in text:
                    attributes["dev_time_format"] = text["devTimeFormat"]
        action = text.get("action")
        info = EventInfo(
            kind=_EVENT,
            code=event_id or None,
            # a textual EventID (``UserLogin``) says what happened; a number is only a code
            action=action or (event_id if event_id and not event_id.isdigit() else None),
            severity=scaled_severity(text["sev"]) if "sev" in text else None,
        )
        event = Event(timestamp=stamp or header_time(envelope, record), event=info, message=text.get("msg"))
        src, dst, ident = sides["src"], sides["dst"], sides["ident"]
        if "ip" not in src and "ip" in ident:
            src["ip"] = ident["ip"]
        elif "ip" in ident:
            attributes["ident_src"] = ident["ip"]
        src_nat, dst_nat = sides["src_nat"], sides["dst_nat"]
        if src or src_nat:
            event.source = Endpoint(**src, nat=Nat(**src_nat) if src_nat else None)
        if dst or dst_nat:
            event.destination = Endpoint(**dst, nat=Nat(**dst_nat) if dst_nat else None)
        if network:
            event.network = Network(**network)
        user = text.get("usrName")
        if user:
            event.user = User(name=user)
        if "cat" in text or "policy" in text:
            event.rule = Rule(name=text.get("policy"), category=text.get("cat"))
        if "url" in text:
            event.url = url_of(text["url"])
        if "sev" in text:
            attributes["sev"] = text["sev"]
        event.observer = Observer(
            vendor=vendor or None, product=product or None, version=device_version or None
        )
        classify(event, action, text.get("cat"), has_ips="ip" in src or "ip" in dst)
        if info.kind == _ALERT:
            # a detection names its rule: the EventID is the signature, policy or msg its name
            rule = event.rule or Rule()
            rule.id = event_id or None
            rule.name = rule.name or text.get("msg") or event_id or None
            event.rule = rule
        ips = [
            ip
            for ip in (src.get("ip"), src_nat.get("ip"), dst.get("ip"), dst_nat.get("ip"), ident.get("ip"))
            if ip is not None
        ]
        if ips or user:
            event.related = Related(ip=list(dict.fromkeys(ips)) or None, user=[user] if user else None)
        leef: dict[str, Any] = {"version": f"{version}.0"}
        if attributes:
            leef["attributes"] = attributes
        event.extra = {"leef": leef}
        return event


def _split(body: str, delimiter: str | None) -> list[tuple[str, str]]:
    """``key=value`` pairs of the attribute part."""
    if delimiter is not None and delimiter in body:
        out: list[tuple[str, str]] = []
        for item in body.split(delimiter):
            key, sep, value = item.partition("=")
            key = key.strip()
            if sep and key:
                out.append((key, value.strip()))
        return out
    # one attribute, or a relay replaced the delimiters with spaces: split like CEF
    return [(key, value.strip()) for key, value in spaced_pairs(body)]
