"""``cef.log``: ArcSight Common Event Format, from any vendor, with or without a syslog header.

``CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension``

* Header: ``\\|`` and ``\\\\`` are unescaped; vendor/product/version → ``observer.*``, Signature
  ID → ``rule.id`` and ``event.code``, Name → ``rule.name`` (and ``message`` when there is no
  ``msg``), Severity (0-10 or Unknown/Low/Medium/High/Very-High) → ``event.severity``
  (0-3 → 2, 4-6 → 3, 7-8 → 4, 9-10 → 5), the raw values under ``cef.version``/``cef.severity``.
* Extension: ``key=value`` pairs; a value runs to the space before the next ``key=``, so it may
  hold spaces and (as devices do write them) unescaped ``=`` not preceded by a space. ``\\=``,
  ``\\\\``, ``\\|``, ``\\n``, ``\\r`` are unescaped. Keys are understood in both spellings (``src`` /
  ``sourceAddress``) and mapped to ECS (table ``_HANDLERS``): addresses, ports, MACs, NAT
  (``*TranslatedAddress/Port`` → ``*.nat.*``), users, bytes, transport, application protocol,
  URL and HTTP fields, file name/size/hash, observer (``dvc``, ``dvchost``, ``deviceExternalId``,
  interfaces), ``rt`` → ``@timestamp`` (epoch ms or the CEF date formats, ``dtz`` honoured),
  ``start``/``end`` → ``event.start``/``end``, ``act`` → ``event.action``, ``outcome``, ``reason``,
  ``msg`` → ``message``, ``cat`` → ``rule.category``.
* Everything else (and mapped keys whose value is invalid) is kept under
  ``cef.extensions.<key>``: the key in snake case of its full name (``cnt`` and
  ``baseEventCount`` → ``base_event_count``), custom fields (``cs1``…``cs6``, ``cn1``…, ``cfp1``…,
  ``c6a1``…, ``flexString1``…, ``deviceCustomDate1``…) under their label, sanitised
  (``cs1Label=Threat Name`` → ``threat_name``), ``cn*`` as integers.
* Event classification for an unknown vendor: ``cat`` mapped to an ECS category when it names
  one (``/Attack/...`` → intrusion_detection (an alert), ``Authentication``, ``Malware`` (an
  alert) …); an ``act`` that is an allow/deny word gives ``allowed``/``denied`` and the outcome,
  and with addresses and no other category it reads as a firewall decision.

Also claimed: the 安华金和 (Anhua Jinhe) database firewall's "CEF" (``CEF:<ip>:<port>|发生时间:...|
服务器IP:...``): not CEF, but the vendor's own ``key:value|`` layout behind the same marker. Its
risk alerts are worth having as events rather than dead letters, so ``_dbfw`` reads them (see
there); ``observer.vendor``/``product`` say what they really are.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    ALLOW_WORDS,
    DENY_WORDS,
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    count,
    finish,
    header_time,
    port,
    sanitize_key,
    timezone_of,
)
from collectors.parsers.nginx_access.combined import url_of
from collectors.parsers.timeparse import from_posix, resolve_timestamp, zone
from collectors.parsers.vendor import firewall_verdict, intrusion, not_ours
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    File,
    Hash,
    Http,
    HttpRequest,
    Interface,
    Nat,
    Network,
    Observer,
    ObserverSide,
    Process,
    Related,
    Rule,
    User,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventKind, EventOutcome, EventType

__all__ = [
    "CefParser",
    "category_of",
    "classify",
    "device_time",
    "find_marker",
    "mac",
    "scaled_severity",
    "snake",
    "spaced_pairs",
]

# -- shared with leef.log ------------------------------------------------------------------------


def find_marker(message: str, marker: str) -> int:
    """Where ``marker`` (``CEF:``/``LEEF:``) starts: at most a short prefix (a second host name,
    a relay's time) before it, with no ``=`` or ``|`` that would make it some other format."""
    at = message.find(marker, 0, 256)
    if at > 0:
        prefix = message[:at]
        if "=" in prefix or "|" in prefix:
            return -1
    return at


_known_keys: dict[str, bool] = {}


def _is_key(token: str) -> bool:
    found = _known_keys.get(token)
    if found is None:
        found = _KEY_NAME.fullmatch(token) is not None
        if len(_known_keys) < 16_384:  # keys repeat; junk tokens must not grow the table forever
            _known_keys[token] = found
    return found


def spaced_pairs(text: str) -> list[tuple[str, str]]:
    """``k=v with spaces k2=v2`` → pairs (values raw: not stripped, not unescaped).

    A key is a name after whitespace (or at the start) followed by ``=``; a value runs to the
    whitespace before the next key, so it may hold spaces, and an ``=`` that is not preceded by
    a whitespace-separated name (``?id=1``, ``\\=``) stays in the value. Text before the first
    key is ignored. Linear, and no regex scan over the text (that costs more than the rest).
    """
    if "\t" in text:
        text = text.replace("\t", " ")
    segments = text.split("=")
    count_ = len(segments)
    if count_ < 2:
        return []
    out: list[tuple[str, str]] = []
    key = segments[0].rpartition(" ")[2]
    valid = _is_key(key)
    pending: list[str] = []  # value text that held "=" of its own (joined once: a run of "=" stays linear)
    for index in range(1, count_ - 1):
        segment = segments[index]
        head, space, candidate = segment.rpartition(" ")
        if space and _is_key(candidate):
            if pending:
                pending.append(head)
                head = "=".join(pending)
                pending = []
            if valid:
                out.append((key, head))
            key, valid = candidate, True
        else:
            pending.append(segment)
    last = "=".join([*pending, segments[-1]]) if pending else segments[-1]
    if valid:
        out.append((key, last))
    return out


def scaled_severity(text: str) -> int | None:
    """CEF/LEEF severity 0-10 or a word → ``event.severity`` 1-5 (None when unknown)."""
    text = text.strip()
    if text.isdigit():
        value = int(text)
        if value > 10:
            return None
        return 2 if value <= 3 else 3 if value <= 6 else 4 if value <= 8 else 5
    return _SEVERITY_WORDS.get(text.lower())


_SEVERITY_WORDS: dict[str, int] = {
    "low": 2,
    "medium": 3,
    "high": 4,
    "very-high": 5,
    "very high": 5,
    "veryhigh": 5,
    "very_high": 5,
    "critical": 5,
}

_CATEGORY_WORDS: dict[str, str] = {
    **{c.value: c.value for c in EventCategory},
    "attack": EventCategory.INTRUSION_DETECTION.value,
    "intrusion": EventCategory.INTRUSION_DETECTION.value,
    "exploit": EventCategory.INTRUSION_DETECTION.value,
    "ids": EventCategory.INTRUSION_DETECTION.value,
    "ips": EventCategory.INTRUSION_DETECTION.value,
    "virus": EventCategory.MALWARE.value,
    "antivirus": EventCategory.MALWARE.value,
    "auth": EventCategory.AUTHENTICATION.value,
    "login": EventCategory.AUTHENTICATION.value,
    "logon": EventCategory.AUTHENTICATION.value,
    "firewall": EventCategory.NETWORK.value,
    "traffic": EventCategory.NETWORK.value,
    "proxy": EventCategory.WEB.value,
}
_WORDS = re.compile(r"[a-z_]+")


@functools.lru_cache(maxsize=1024)
def category_of(text: str) -> str | None:
    """The ECS category a vendor's category names (``/Attack/Exploit`` → intrusion_detection)."""
    for word in _WORDS.findall(text.lower()):
        found = _CATEGORY_WORDS.get(word)
        if found is not None:
            return found
    return None


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@functools.lru_cache(maxsize=4096)
def snake(key: str) -> str:
    """``baseEventCount`` → ``base_event_count``; then sanitised like every vendor key."""
    return sanitize_key(_CAMEL.sub("_", key))


_MAC_SEPARATORS = str.maketrans("", "", ":-. ")


def mac(value: str) -> str | None:
    """A MAC address in ECS form (``00-00-5E-00-53-23``), or None."""
    digits = value.translate(_MAC_SEPARATORS)
    if len(digits) != 12:
        return None
    try:
        int(digits, 16)
    except ValueError:
        return None
    digits = digits.upper()
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2))


_OFFSET = re.compile(r"[+-]\d{2}:?\d{2}", re.ASCII)
_IANA = re.compile(r"[A-Z][A-Za-z_]+(?:/[A-Za-z_+\-0-9]+){1,2}|UTC|GMT", re.ASCII)


@functools.lru_cache(maxsize=256)
def _known_zone(word: str) -> bool:
    """Whether ``word`` is an IANA zone name (``Asia/Shanghai``, ``UTC``). The shape is checked
    first: a failed ``ZoneInfo`` lookup searches the disk, which a junk word must not cost."""
    if _IANA.fullmatch(word) is None:
        return False
    try:
        zone(word)
    except ValueError:
        return False
    return True


_UTC_WORDS = frozenset({"Z", "UTC", "GMT"})


def device_time(text: str, *, received_at: float, tz: str) -> dt.datetime | None:
    """A device time: epoch s/ms, ISO 8601, ``MMM dd [yyyy] HH:mm:ss[.SSS] [zone]``, else None.

    The zone word may be ``UTC``/``GMT``/``Z``, an offset or an IANA name; an abbreviation
    such as ``CST`` is ambiguous (China or US Central) and is ignored: ``tz`` applies.
    """
    text = text.strip()
    if not text:
        return None
    if text.isdigit():
        value = int(text)
        if len(text) > 13:
            return None
        return from_posix(value / 1000.0 if value >= 100_000_000_000 else float(value))
    try:
        return resolve_timestamp(text, received_at=received_at, tz=tz)
    except ValueError:
        pass
    head, _, word = text.rpartition(" ")
    if not head:
        return None
    try:
        if word in _UTC_WORDS:
            return resolve_timestamp(head, received_at=received_at, tz="UTC")
        if _OFFSET.fullmatch(word):
            sign = -1 if word[0] == "-" else 1
            digits = word[1:].replace(":", "")
            delta = dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:]))
            return resolve_timestamp(head, received_at=received_at, tz="UTC") - sign * delta
        if _known_zone(word):
            return resolve_timestamp(head, received_at=received_at, tz=word)
        return resolve_timestamp(head, received_at=received_at, tz=tz)
    except (ValueError, OverflowError):
        return None


# -- CEF -------------------------------------------------------------------------------------

_VERSION = re.compile(r" ?\d{1,2}(?:\.\d{1,3})?\|", re.ASCII)
_FIELD = r"((?:[^|\\]++|\\.)*+)\|"
_HEADER = compile_pattern(r" ?" + _FIELD * 7, re.DOTALL)
_KEY_NAME = re.compile(r"[A-Za-z_][\w.\-\[\]]{0,63}", re.ASCII)
_HASH_BY_LENGTH = {32: "md5", 40: "sha1", 64: "sha256"}
# plain strings: an Enum member's .value costs a descriptor call on every line
_EVENT, _ALERT = EventKind.EVENT.value, EventKind.ALERT.value
_ALLOWED, _DENIED, _INFO = EventType.ALLOWED.value, EventType.DENIED.value, EventType.INFO.value
_SUCCESS, _FAILURE = EventOutcome.SUCCESS.value, EventOutcome.FAILURE.value
_IDS, _MALWARE = EventCategory.INTRUSION_DETECTION.value, EventCategory.MALWARE.value
_NETWORK = EventCategory.NETWORK.value


# str.replace chains: far cheaper than re.sub with a template or a callback. An escaped
# backslash (two characters) is parked on NUL first (a record never holds NUL: the decoder
# refuses it), so that an escaped backslash followed by "n" stays a backslash and an "n".
def _unescape_header(field: str) -> str:
    """``\\|`` → ``|`` and ``\\\\`` → ``\\`` (CEF header escapes)."""
    return field.replace("\\\\", "\0").replace("\\|", "|").replace("\0", "\\")


def _unescape_value(value: str) -> str:
    """``\\=``, ``\\\\``, ``\\n``, ``\\r`` (and ``\\|``, which devices write too) in an extension value."""
    return (
        value.replace("\\\\", "\0")
        .replace("\\=", "=")
        .replace("\\n", "\n")
        .replace("\\r", "\r")
        .replace("\\|", "|")
        .replace("\0", "\\")
    )


# short key → full name (the CEF dictionary's spellings)
_SHORT_NAMES = """
    act=deviceAction app=applicationProtocol cat=deviceEventCategory cnt=baseEventCount
    dhost=destinationHostName dmac=destinationMacAddress dntdom=destinationNtDomain
    dpid=destinationProcessId dpriv=destinationUserPrivileges dproc=destinationProcessName
    dpt=destinationPort dst=destinationAddress dtz=deviceTimeZone duid=destinationUserId
    duser=destinationUserName dvc=deviceAddress dvchost=deviceHostName dvcmac=deviceMacAddress
    dvcpid=deviceProcessId end=endTime fname=fileName fsize=fileSize in=bytesIn msg=message out=bytesOut
    outcome=eventOutcome proto=transportProtocol request=requestUrl rt=deviceReceiptTime
    shost=sourceHostName smac=sourceMacAddress sntdom=sourceNtDomain spid=sourceProcessId
    spriv=sourceUserPrivileges sproc=sourceProcessName spt=sourcePort src=sourceAddress start=startTime
    suid=sourceUserId suser=sourceUserName ahost=agentHostName art=agentReceiptTime at=agentType
    aid=agentId amac=agentMacAddress agt=agentAddress av=agentVersion atz=agentTimeZone
    dlat=destinationGeoLatitude dlong=destinationGeoLongitude slat=sourceGeoLatitude
    slong=sourceGeoLongitude
"""
SHORT_KEYS: dict[str, str] = {
    **{short: full for short, _, full in (pair.partition("=") for pair in _SHORT_NAMES.split())},
    # the standard numbers 1-6 / 1-3 / 1-4; devices go beyond (F5 writes cn4)
    **{
        f"{short}{i}{label}": f"{full}{i}{label}"
        for short, full in (
            ("cs", "deviceCustomString"),
            ("cn", "deviceCustomNumber"),
            ("cfp", "deviceCustomFloatingPoint"),
            ("c6a", "deviceCustomIPv6Address"),
        )
        for i in range(1, 10)
        for label in ("", "Label")
    },
}
_CUSTOM_KEYS: frozenset[str] = frozenset(
    f"{base}{i}{label}"
    for base in (
        "deviceCustomString",
        "deviceCustomNumber",
        "deviceCustomFloatingPoint",
        "deviceCustomIPv6Address",
        "deviceCustomDate",
        "flexString",
        "flexNumber",
        "flexDate",
    )
    for i in range(1, 10)
    for label in ("", "Label")
)


class _Acc:
    """What one line's pairs add up to, before it becomes an ``Event``."""

    __slots__ = (
        "action",
        "category",
        "customs",
        "dst",
        "dst_nat",
        "dst_user",
        "ext",
        "file",
        "hashes",
        "http",
        "message",
        "network",
        "observer",
        "outcome",
        "process",
        "reason",
        "src",
        "src_nat",
        "src_user",
        "times",
        "url",
        "user_agent",
    )

    def __init__(self) -> None:
        self.src: dict[str, Any] = {}
        self.dst: dict[str, Any] = {}
        self.src_nat: dict[str, Any] = {}
        self.dst_nat: dict[str, Any] = {}
        self.src_user: dict[str, Any] = {}
        self.dst_user: dict[str, Any] = {}
        self.network: dict[str, Any] = {}
        self.observer: dict[str, Any] = {}
        self.file: dict[str, Any] = {}
        self.hashes: dict[str, Any] = {}
        self.http: dict[str, Any] = {}
        self.process: dict[str, Any] = {}
        self.times: dict[str, str] = {}
        self.ext: dict[str, Any] = {}
        self.customs: dict[str, str] = {}
        self.action: str | None = None
        self.category: str | None = None
        self.message: str | None = None
        self.outcome: str | None = None
        self.reason: str | None = None
        self.url: str | None = None
        self.user_agent: str | None = None


Handler = Callable[[_Acc, str], bool]


def _ip(side: str, name: str = "ip") -> Handler:
    def handle(acc: _Acc, value: str) -> bool:
        target: dict[str, Any] = getattr(acc, side)
        ip = canonical_ip(value)
        if ip is None or name in target:
            return False
        target[name] = ip
        return True

    return handle


def _number(side: str, name: str, convert: Callable[[str], int | None]) -> Handler:
    def handle(acc: _Acc, value: str) -> bool:
        target: dict[str, Any] = getattr(acc, side)
        number = convert(value)
        if number is None or name in target:
            return False
        target[name] = number
        return True

    return handle


def _text(side: str, name: str, transform: Callable[[str], str | None] = str.strip) -> Handler:
    def handle(acc: _Acc, value: str) -> bool:
        target: dict[str, Any] = getattr(acc, side)
        text = transform(value)
        if not text or name in target:
            return False
        target[name] = text
        return True

    return handle


def _attr(name: str) -> Handler:
    def handle(acc: _Acc, value: str) -> bool:
        if getattr(acc, name) is not None:
            return False
        setattr(acc, name, value)
        return True

    return handle


_TIME_NAMES = {"rt": "device_receipt_time", "start": "start_time", "end": "end_time"}


def _time(name: str) -> Handler:
    def handle(acc: _Acc, value: str) -> bool:
        acc.times[name] = value
        return True

    return handle


def _transport(acc: _Acc, value: str) -> bool:
    word = value.strip().lower()
    if "transport" in acc.network:
        return False
    if word.isdigit():
        name = IANA_TRANSPORTS.get(word)
        if name is None:
            return False
        acc.network["iana_number"] = word
        acc.network["transport"] = name
        return True
    if word in TRANSPORT_NAMES:
        acc.network["transport"] = word
        return True
    return False


def _file_hash(acc: _Acc, value: str) -> bool:
    value = value.strip()
    kind = _HASH_BY_LENGTH.get(len(value))
    if kind is None or kind in acc.hashes:
        return False
    try:
        int(value, 16)
    except ValueError:
        return False
    acc.hashes[kind] = value.lower()
    return True


_DIRECTIONS = {"0": "inbound", "1": "outbound"}


def _direction(acc: _Acc, value: str) -> bool:
    word = _DIRECTIONS.get(value.strip())
    if word is None or "direction" in acc.network:
        return False
    acc.network["direction"] = word
    return True


def _outcome(acc: _Acc, value: str) -> bool:
    word = value.strip().lower()
    if word in ("success", "succeeded", "successful"):
        acc.outcome = _SUCCESS
    elif word in ("failure", "failed", "fail"):
        acc.outcome = _FAILURE
    else:
        return False
    return True


def _pid(value: str) -> int | None:
    value = value.strip()
    return int(value) if value.isdigit() and len(value) <= 10 else None


def _lower(value: str) -> str | None:
    return value.strip().lower() or None


_HANDLERS: dict[str, Handler] = {
    "sourceAddress": _ip("src"),
    "sourcePort": _number("src", "port", port),
    "sourceMacAddress": _text("src", "mac", mac),
    "sourceHostName": _text("src", "domain"),
    "sourceTranslatedAddress": _ip("src_nat"),
    "sourceTranslatedPort": _number("src_nat", "port", port),
    "sourceUserName": _text("src_user", "name"),
    "sourceUserId": _text("src_user", "id"),
    "sourceNtDomain": _text("src_user", "domain"),
    "destinationAddress": _ip("dst"),
    "destinationPort": _number("dst", "port", port),
    "destinationMacAddress": _text("dst", "mac", mac),
    "destinationHostName": _text("dst", "domain"),
    "destinationTranslatedAddress": _ip("dst_nat"),
    "destinationTranslatedPort": _number("dst_nat", "port", port),
    "destinationUserName": _text("dst_user", "name"),
    "destinationUserId": _text("dst_user", "id"),
    "destinationNtDomain": _text("dst_user", "domain"),
    "bytesIn": _number("src", "bytes", count),
    "bytesOut": _number("dst", "bytes", count),
    "transportProtocol": _transport,
    "applicationProtocol": _text("network", "protocol", _lower),
    "deviceDirection": _direction,
    "deviceAddress": _ip("observer"),
    "deviceHostName": _text("observer", "hostname"),
    "deviceExternalId": _text("observer", "name"),
    "deviceInboundInterface": _text("observer", "ingress"),
    "deviceOutboundInterface": _text("observer", "egress"),
    "deviceProcessName": _text("process", "name"),
    "deviceProcessId": _number("process", "pid", _pid),
    "deviceAction": _attr("action"),
    "deviceEventCategory": _attr("category"),
    "eventOutcome": _outcome,
    "reason": _attr("reason"),
    "message": _attr("message"),
    "requestUrl": _attr("url"),
    "requestMethod": _text("http", "method"),
    "requestContext": _text("http", "referrer"),
    "requestClientApplication": _attr("user_agent"),
    "fileName": _text("file", "name"),
    "filePath": _text("file", "path"),
    "fileSize": _number("file", "size", count),
    "fileHash": _file_hash,
    "deviceReceiptTime": _time("rt"),
    "startTime": _time("start"),
    "endTime": _time("end"),
    "deviceTimeZone": _time("dtz"),
}


def _endpoint(values: dict[str, Any], nat: dict[str, Any], user: dict[str, Any]) -> Endpoint:
    return Endpoint(**values, nat=Nat(**nat) if nat else None, user=User(**user) if user else None)


class CefParser(Parser):
    """``cef.log``."""

    dataset: ClassVar[str] = "cef.log"

    def sniff(self, envelope: Envelope) -> bool:
        """``CEF:<version>|`` near the start of the message (or the DBFW variant)."""
        message = envelope.message
        at = find_marker(message, "CEF:")
        if at < 0:
            return False
        return _VERSION.match(message, at + 4) is not None or _dbfw_like(message, at + 4)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        at = find_marker(message, "CEF:")
        if at < 0:
            raise not_ours(record, "CEF")
        if _VERSION.match(message, at + 4) is None:
            if _dbfw_like(message, at + 4):
                return [finish(_dbfw(message, at + 4, envelope, record), envelope, record, self.dataset)]
            raise not_ours(record, "CEF")
        header = _HEADER.match(message, at + 4)
        if header is None:
            raise ParseError(
                "CEF header incomplete: fewer than 7 '|'-separated fields",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        fields = header.groups()
        if "\\" in header.group():
            fields = tuple(_unescape_header(field) if "\\" in field else field for field in fields)
        version, vendor, product, device_version, signature, name, level = [f.strip() for f in fields]
        acc = _Acc()
        _pairs(message, header.end(), acc)
        tz = timezone_of(record)
        dtz = acc.times.pop("dtz", None)
        if dtz:
            if _known_zone(dtz.strip()):
                tz = dtz.strip()
            else:
                acc.ext["device_time_zone"] = dtz
        times: dict[str, dt.datetime] = {}
        for key, text in acc.times.items():
            stamp = device_time(text, received_at=record.received_at, tz=tz)
            if stamp is None:
                acc.ext[_TIME_NAMES[key]] = text
            else:
                times[key] = stamp
        stamp = times.get("rt") or times.get("start") or times.get("end") or header_time(envelope, record)
        info = EventInfo(
            kind=_EVENT,
            code=signature or None,
            severity=scaled_severity(level),
            action=acc.action,
            reason=acc.reason,
            outcome=acc.outcome,
            start=times.get("start"),
            end=times.get("end"),
        )
        event = Event(
            timestamp=stamp,
            event=info,
            message=acc.message or name or None,
            rule=Rule(id=signature or None, name=name or None, category=acc.category),
        )
        _build(event, acc)
        observer = event.observer
        if observer is None:
            observer = event.observer = Observer()
        observer.vendor = vendor or None
        observer.product = product or None
        observer.version = device_version or None
        classify(event, acc.action, acc.category, has_ips="ip" in acc.src or "ip" in acc.dst)
        cef: dict[str, Any] = {"version": version}
        if level:
            cef["severity"] = level
        _customs(acc)
        if acc.ext:
            cef["extensions"] = acc.ext
        event.extra = {"cef": cef}
        return [finish(event, envelope, record, self.dataset)]


# raw key (either spelling) → (full name, handler, name under cef.extensions); unknown keys are
# added on first sight (bounded): one dict lookup per pair on the hot path.
_KeyInfo = tuple[str, Handler | None, str]
_key_table: dict[str, _KeyInfo] = {}


def _key_info(raw: str) -> _KeyInfo:
    full = SHORT_KEYS.get(raw, raw)
    info = (full, _HANDLERS.get(full), snake(full))
    if len(_key_table) < 16_384:
        _key_table[raw] = info
    return info


NONE_WORDS = frozenset({"-", "N/A", "n/a", "NA", "null", "NULL", "None", "none"})


def _pairs(message: str, start: int, acc: _Acc) -> None:
    """Walk the extension's ``key=value`` pairs into ``acc``."""
    ext, customs, table = acc.ext, acc.customs, _key_table
    for raw, value in spaced_pairs(message[start:]):
        value = value.strip()
        if "\\" in value:
            value = _unescape_value(value)
        elif value in NONE_WORDS:  # how devices write "no value": nothing to keep
            continue
        full, handler, name = table.get(raw) or _key_info(raw)
        if handler is not None:
            if value and handler(acc, value):
                continue
        elif full in _CUSTOM_KEYS:
            customs[full] = value
            continue
        if value and name not in ext:
            ext[name] = value


def _customs(acc: _Acc) -> None:
    """``cs1=x cs1Label=Threat Name`` → ``threat_name: x``; ``cn*`` as integers."""
    customs = acc.customs
    if not customs:
        return
    ext = acc.ext
    for key, value in customs.items():
        if key.endswith("Label") or not value:
            continue
        label = customs.get(key + "Label")
        name = snake(label) if label else ""
        if not name or name in ext:
            name = snake(key)
        typed: Any = value
        if "Number" in key and value.lstrip("-").isdigit() and len(value) <= 19:
            typed = int(value)
        ext[name] = typed
    for key, value in customs.items():  # a label without its value: keep it visible
        if key.endswith("Label") and key[:-5] not in customs and value:
            ext.setdefault(snake(key), value)


def _build(event: Event, acc: _Acc) -> None:
    """The ECS field sets from the accumulated values."""
    src, dst, src_nat, dst_nat, src_user, dst_user = (
        acc.src,
        acc.dst,
        acc.src_nat,
        acc.dst_nat,
        acc.src_user,
        acc.dst_user,
    )
    if src or src_nat or src_user:
        event.source = _endpoint(src, src_nat, src_user)
    if dst or dst_nat or dst_user:
        event.destination = _endpoint(dst, dst_nat, dst_user)
    if acc.network:
        event.network = Network(**acc.network)
    obs = acc.observer
    if obs:
        ingress, egress = obs.pop("ingress", None), obs.pop("egress", None)
        ip = obs.pop("ip", None)
        event.observer = Observer(
            **obs,
            ip=[ip] if ip else None,
            ingress=ObserverSide(interface=Interface(name=ingress)) if ingress else None,
            egress=ObserverSide(interface=Interface(name=egress)) if egress else None,
        )
    if acc.url is not None:
        event.url = url_of(acc.url)
    if acc.http:
        event.http = Http(request=HttpRequest(**acc.http))
    if acc.user_agent is not None:
        event.user_agent = UserAgent(original=acc.user_agent)
    if acc.file or acc.hashes:
        event.file = File(**acc.file, hash=Hash(**acc.hashes) if acc.hashes else None)
    if acc.process:
        event.process = Process(**acc.process)
    users: list[str] = []
    if src_user or dst_user:
        users = [u for u in (src_user.get("name"), dst_user.get("name")) if u is not None]
        if users:
            event.user = User(name=users[0])
    ips: list[str] = []
    if src or dst or src_nat or dst_nat:
        ips = [
            ip
            for ip in (src.get("ip"), src_nat.get("ip"), dst.get("ip"), dst_nat.get("ip"))
            if ip is not None
        ]
    if ips or users:
        event.related = Related(ip=list(dict.fromkeys(ips)) or None, user=list(dict.fromkeys(users)) or None)


def classify(event: Event, action: str | None, category_text: str | None, *, has_ips: bool) -> None:
    """``event.category``/``type``/``kind`` from a vendor's category and action words.

    For a vendor we know nothing about: a category naming an attack makes an IDS alert, malware
    a malware alert, another ECS category is used as it is; an allow/deny action with addresses
    and no other category reads as a firewall decision; the action alone still sets the outcome.
    """
    info = event.event
    word = (action or "").strip().lower()
    verdict = _ALLOWED if word in ALLOW_WORDS else _DENIED if word in DENY_WORDS else None
    category = category_of(category_text) if category_text else None
    if category == _IDS:
        blocked = None if verdict is None else verdict == _DENIED
        intrusion(info, blocked=blocked, web=event.url is not None)
        return
    if category == _MALWARE:
        info.kind = _ALERT
        info.category = [category]
        info.type = [_INFO, verdict] if verdict else [_INFO]
    elif verdict is not None and has_ips and category in (None, _NETWORK):
        firewall_verdict(info, action, decision=verdict)
        return
    elif category is not None:
        info.category = [category]
        info.type = [_INFO]
    if verdict is not None and info.outcome is None:
        info.outcome = _SUCCESS if verdict == _ALLOWED else _FAILURE


# -- 安华金和 DBFW ---------------------------------------------------------------------------------

_DBFW_START = re.compile(r"\d{1,3}(?:\.\d{1,3}){3}(?::\d{1,5})?\|[^|=:]{1,64}:", re.ASCII)
_DBFW_RISK = re.compile(r"(?P<type>[^\[]*)\[(?P<level>[^\]]*)\]\s*")
_DBFW_SQL = "SQL报文"
# the vendor keys ECS has no field for → their name under anhuajinhe.dbfw (others: sanitised)
_DBFW_KEYS: dict[str, str] = {
    "数据库实例名": "database_instance",
    "数据库版本": "database_version",
    "操作系统用户": "os_user",
    _DBFW_SQL: "sql_statement",
}
DBFW_VENDOR, DBFW_PRODUCT = "Anhua Jinhe", "DBFW"


def _dbfw_like(message: str, pos: int) -> bool:
    return _DBFW_START.match(message, pos) is not None


def _dbfw(message: str, pos: int, envelope: Envelope, record: RawRecord) -> Event:
    """``CEF:<ip>:<port>|发生时间:...|服务器IP:...|客户端IP:...|风险类型[风险级别]:操作违规[高]|...``.

    Server → ``destination``, client → ``source``, 数据库用户 → ``user.name``, 引擎动作 →
    ``event.action`` (放行 allowed, 阻断 denied), 规则名称 → ``rule.name``, 风险类型 →
    ``rule.category`` and its level → ``event.severity``: a rule hit is an alert (the 等保 four:
    source, rule, target, time). The SQL text and database details go to ``anhuajinhe.dbfw.*``.
    The SQL comes last and may itself hold ``|``: from its key on, the rest of the line is its value.
    """
    parts = message[pos:].split("|")
    ns: dict[str, Any] = {"header": parts[0]}
    values: dict[str, str] = {}
    for index in range(1, len(parts)):
        key, sep, value = parts[index].partition(":")
        if not sep:
            continue
        key = key.strip()
        if key == _DBFW_SQL:
            value = "|".join([value, *parts[index + 1 :]])
            values[key] = value.strip()
            break
        values.setdefault(key, value.strip())
    stamp = None
    when = values.pop("发生时间", None)
    if when:
        try:
            stamp = resolve_timestamp(when, received_at=record.received_at, tz=timezone_of(record))
        except ValueError:
            ns["time"] = when
    info = EventInfo(kind=_EVENT)
    event = Event(timestamp=stamp or header_time(envelope, record), event=info)
    source, destination = _side(values, "客户端"), _side(values, "服务器")
    event.source, event.destination = source, destination
    user = values.pop("数据库用户", None)
    if user:
        event.user = User(name=user)
    action = values.pop("引擎动作", None)
    rule_name = values.pop("规则名称", None)
    risk = values.pop("风险类型[风险级别]", None)
    category = level = None
    if risk:
        m = _DBFW_RISK.fullmatch(risk)
        if m is not None:
            category, level = m.group("type").strip() or None, m.group("level").strip() or None
        else:
            category = risk
    if level:
        ns["risk_level"] = level
        info.severity = _level(level)
    info.action = action or None
    if rule_name or category:
        event.rule = Rule(name=rule_name or None, category=category)
        word = (action or "").lower()
        intrusion(info, blocked=True if word in DENY_WORDS else False if word in ALLOW_WORDS else None)
        info.category = [EventCategory.DATABASE.value, *(info.category or [])]
    else:
        info.category = [EventCategory.DATABASE.value]
        info.type = [EventType.ACCESS.value]
    for key, value in values.items():
        name = _DBFW_KEYS.get(key) or sanitize_key(key)
        if name and value:
            ns.setdefault(name, value)
    ips = [side.ip for side in (source, destination) if side is not None and side.ip is not None]
    if ips:
        event.related = Related(ip=ips, user=[user] if user else None)
    event.observer = Observer(vendor=DBFW_VENDOR, product=DBFW_PRODUCT, type="firewall")
    event.extra = {"anhuajinhe": {"dbfw": ns}}
    return event


def _level(word: str) -> int | None:
    return {"高": 4, "中": 3, "低": 2, "严重": 5, "紧急": 5, "信息": 1}.get(word)


def _side(values: dict[str, str], prefix: str) -> Endpoint | None:
    """``客户端IP``/``客户端端口``/``客户端MAC`` → an ``Endpoint`` (an all-zero MAC means none)."""
    ip = canonical_ip(values.pop(prefix + "IP", ""))
    number = port(values.pop(prefix + "端口", ""))
    address = mac(values.pop(prefix + "MAC", ""))
    if address == "00-00-00-00-00-00":
        address = None
    if ip is None and number is None and address is None:
        return None
    return Endpoint(ip=ip, port=number, mac=address)
