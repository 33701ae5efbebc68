"""Helpers every parser shares: value normalisation, the generic field map, event finishing.

``Fields`` maps vendor-neutral key names (``src``, ``dport``, ``action`` …) onto ECS; it
serves the generic ``syslog.kv`` and ``json.log`` parsers and is there for vendor parsers
whose keys are close to these. ``finish`` stamps what every event carries (``event.original``,
``event.kind``, ``event.dataset``, ``event.created``, ``log.syslog.*``, …).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
import socket
from collections.abc import Callable
from typing import Any, Final

from collectors.parsers.base import Envelope, SyslogHeader
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    Http,
    HttpRequest,
    Log,
    LogFile,
    Nat,
    Network,
    Observer,
    Related,
    Rule,
    Syslog,
    SyslogCode,
    Url,
    User,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import (
    DEFAULT_TIMEZONE,
    EventCategory,
    EventKind,
    EventOutcome,
    EventType,
    Severity,
)

# -- values --------------------------------------------------------------------------------


_AF_INET: Final = socket.AF_INET
_AF_INET6: Final = socket.AF_INET6


@functools.lru_cache(maxsize=65_536)
def canonical_ip(value: str) -> str | None:
    """The address in canonical form (``2001:db8::1``), or None if ``value`` is not one.

    Cached: the same few thousand addresses repeat in every busy log stream. A stream full of
    new addresses (a scan, a flood) misses the cache on every line, so the usual forms are
    read by the C library (a tenth of ``ipaddress``'s time); ``ipaddress`` decides the rest.
    The two agree on every address (``tests/parsers/test_common.py``).
    """
    text = value.strip().strip("[]")
    try:
        if ":" not in text:
            # inet_pton takes exactly the dotted quads ipaddress takes (four decimal octets,
            # no leading zeros), and such a quad is its own canonical form
            socket.inet_pton(_AF_INET, text)
            return text
        canonical = socket.inet_ntop(_AF_INET6, socket.inet_pton(_AF_INET6, text))
        if "." not in canonical:  # inet_ntop writes an embedded IPv4 dotted, ipaddress in hex
            return canonical
    except (OSError, ValueError):
        pass  # not an address in the C library's forms (or a scoped one): ipaddress decides
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def port(value: str) -> int | None:
    """A TCP/UDP port 0-65535, or None."""
    value = value.strip()
    if value.isdigit() and len(value) <= 5:
        number = int(value)
        if number <= 65_535:
            return number
    return None


def count(value: str) -> int | None:
    """A non-negative integer counter (bytes, packets), or None."""
    value = value.strip()
    if value.isdigit() and len(value) <= 19:
        return int(value)
    return None


_KEY_JUNK: Final = re.compile(r"[^a-z0-9_\u0080-\U0010ffff]+")


@functools.lru_cache(maxsize=8_192)
def sanitize_key(key: str) -> str:
    """A field-name-safe key: lowercase ASCII letters, digits and ``_``.

    Other ASCII characters become ``_`` (``Protocol(1001)`` → ``protocol_1001``,
    ``source-ip`` → ``source_ip``). Non-ASCII letters are kept as they are (``日志类型``): a
    transliteration would be lossy and ambiguous, and Elasticsearch and our store accept
    them. Returns ``""`` when nothing is left.
    """
    return _KEY_JUNK.sub("_", key.lower()).strip("_")


IANA_TRANSPORTS: Final[dict[str, str]] = {
    "1": "icmp",
    "2": "igmp",
    "6": "tcp",
    "17": "udp",
    "47": "gre",
    "50": "esp",
    "51": "ah",
    "58": "ipv6-icmp",
    "132": "sctp",
}
TRANSPORT_NAMES: Final[frozenset[str]] = frozenset(
    {"tcp", "udp", "icmp", "igmp", "gre", "esp", "ah", "ipv6-icmp", "icmpv6", "sctp"}
)

# Firewall verdict words, lowercased. event.action keeps the vendor's word; these decide
# event.type allowed/denied and event.outcome.
ALLOW_WORDS: Final[frozenset[str]] = frozenset(
    {
        "accept",
        "accepted",
        "allow",
        "allowed",
        "permit",
        "permitted",
        "pass",
        "passed",
        "允许",
        "通过",
        "放行",
        "接受",
    }
)
DENY_WORDS: Final[frozenset[str]] = frozenset(
    {
        "deny",
        "denied",
        "drop",
        "dropped",
        "block",
        "blocked",
        "reject",
        "rejected",
        "discard",
        "discarded",
        "拒绝",
        "阻断",
        "丢弃",
        "禁止",
        "阻止",
        "拦截",
    }
)

SEVERITY_WORDS: Final[dict[str, Severity]] = {
    # syslog level names follow the RFC 5424 mapping of soc_core.vocabulary
    "emerg": Severity.CRITICAL,
    "emergency": Severity.CRITICAL,
    "panic": Severity.CRITICAL,
    "alert": Severity.CRITICAL,
    "crit": Severity.HIGH,
    "critical": Severity.HIGH,
    "err": Severity.HIGH,
    "error": Severity.HIGH,
    "warn": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "notice": Severity.LOW,
    "info": Severity.INFORMATIONAL,
    "information": Severity.INFORMATIONAL,
    "informational": Severity.INFORMATIONAL,
    "debug": Severity.INFORMATIONAL,
    # risk words used by IDS/WAF boxes
    "low": Severity.LOW,
    "medium": Severity.MEDIUM,
    "middle": Severity.MEDIUM,
    "high": Severity.HIGH,
    "严重": Severity.CRITICAL,
    "紧急": Severity.CRITICAL,
    "高": Severity.HIGH,
    "高危": Severity.HIGH,
    "中": Severity.MEDIUM,
    "中危": Severity.MEDIUM,
    "低": Severity.LOW,
    "低危": Severity.LOW,
    "信息": Severity.INFORMATIONAL,
    "提示": Severity.INFORMATIONAL,
    "警告": Severity.MEDIUM,
    "错误": Severity.HIGH,
}


_ALLOWED, _DENIED = EventType.ALLOWED.value, EventType.DENIED.value


def verdict_of(
    word: str, *, allow: frozenset[str] = ALLOW_WORDS, deny: frozenset[str] = DENY_WORDS
) -> str | None:
    """``allowed``/``denied`` for a vendor's verdict word (case-insensitive), else None."""
    lowered = word.strip().lower()
    if lowered in allow:
        return _ALLOWED
    if lowered in deny:
        return _DENIED
    return None


def severity(value: str) -> int | None:
    """``event.severity`` (1-5) for a vendor level: syslog number 0-7 or a level word."""
    value = value.strip()
    if value.isdigit():
        number = int(value)
        return int(Severity.from_syslog(number)) if number <= 7 else None
    found = SEVERITY_WORDS.get(value.lower())
    return None if found is None else int(found)


DIRECTIONS: Final[frozenset[str]] = frozenset(
    {"ingress", "egress", "inbound", "outbound", "internal", "external", "unknown"}
)

# -- the generic field map -------------------------------------------------------------------

_TIME_OF_DAY: Final = re.compile(r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?", re.ASCII)


class Fields:
    """Accumulates ECS values from ``(key, value)`` pairs; ``add`` says if a pair was used.

    A value lands in exactly one place: in ECS when its key is known and the value is valid,
    otherwise the caller keeps it under its vendor namespace. A key seen twice keeps its first
    value in ECS; the repeat is refused so the caller keeps it too.
    """

    __slots__ = (
        "action",
        "application",
        "decision",
        "direction",
        "dst",
        "level",
        "message",
        "method",
        "network",
        "observer_host",
        "observer_ip",
        "referrer",
        "rule_id",
        "rule_name",
        "severity",
        "src",
        "times",
        "url",
        "user",
        "user_agent",
    )

    def __init__(self) -> None:
        self.src: dict[str, Any] = {}
        self.dst: dict[str, Any] = {}
        self.network: dict[str, Any] = {}
        self.action: str | None = None
        self.decision: str | None = None
        self.application: str | None = None
        self.direction: str | None = None
        self.message: str | None = None
        self.method: str | None = None
        self.observer_host: str | None = None
        self.observer_ip: str | None = None
        self.referrer: str | None = None
        self.rule_id: str | None = None
        self.rule_name: str | None = None
        self.severity: int | None = None
        self.level: str | None = None
        self.url: str | None = None
        self.user: str | None = None
        self.user_agent: str | None = None
        self.times: list[tuple[str, str, str]] = []  # (sanitised key, raw key, value)

    def add(self, raw_key: str, value: str) -> bool:
        """Use ``value`` for ECS if ``raw_key`` is a known key and the value fits."""
        key, handler = key_cache.get(raw_key) or key_info(raw_key)
        if handler is None:
            return False
        if handler is time_key:
            self.times.append((key, raw_key, value))
            return True
        return handler(self, value)

    # -- time -------------------------------------------------------------------------------

    def resolve_time(self, received_at: float, tz: str) -> tuple[dt.datetime | None, list[tuple[str, str]]]:
        """The event time from the time keys, and the (raw key, value) pairs not used."""
        times = self.times
        if not times:
            return None, []
        if len(times) == 1:
            try:
                return resolve_timestamp(times[0][2], received_at=received_at, tz=tz), []
            except ValueError:
                return None, [(times[0][1], times[0][2])]
        by_key = {key: (raw, value) for key, raw, value in reversed(times)}
        candidates: list[tuple[str, list[tuple[str, str]]]] = []
        date, clock = by_key.get("date"), by_key.get("time")
        # Fortinet style: date=2026-11-27 time=16:00:00
        if date is not None and clock is not None and _TIME_OF_DAY.fullmatch(clock[1].strip()):
            candidates.append((f"{date[1].strip()} {clock[1].strip()}", [date, clock]))
        candidates.extend((value, [(raw, value)]) for _, raw, value in times)
        for text, used in candidates:
            try:
                stamp = resolve_timestamp(text, received_at=received_at, tz=tz)
            except ValueError:
                continue
            return stamp, [(raw, value) for _, raw, value in times if (raw, value) not in used]
        return None, [(raw, value) for _, raw, value in times]

    # -- ECS ----------------------------------------------------------------------------------

    def apply(self, event: Event) -> None:
        """Write the collected values into ``event`` (which has no such field sets yet)."""
        info = event.event
        src, dst = self.src, self.dst
        if src:
            event.source = _endpoint(src)
        if dst:
            event.destination = _endpoint(dst)
        network = self.network
        if network or self.application or self.direction:
            # the dict's keys are Network's field names
            event.network = Network(**network, application=self.application, direction=self.direction)
        if self.action is not None:
            info.action = self.action
        if self.decision is not None:
            allowed = self.decision == EventType.ALLOWED
            info.outcome = EventOutcome.SUCCESS if allowed else EventOutcome.FAILURE
            if "ip" in src or "ip" in dst:
                info.category = [EventCategory.NETWORK]
                info.type = [EventType.CONNECTION, self.decision]
        if self.severity is not None:
            info.severity = self.severity
        if self.message is not None:
            event.message = self.message
        if self.user is not None:
            event.user = User(name=self.user)
        if self.url is not None:
            event.url = Url(original=self.url)
        if self.user_agent is not None:
            event.user_agent = UserAgent(original=self.user_agent)
        if self.method is not None or self.referrer is not None:
            event.http = Http(request=HttpRequest(method=self.method, referrer=self.referrer))
        if self.rule_id is not None or self.rule_name is not None:
            event.rule = Rule(id=self.rule_id, name=self.rule_name)
        if self.observer_host is not None or self.observer_ip is not None:
            event.observer = Observer(
                hostname=self.observer_host,
                ip=[self.observer_ip] if self.observer_ip is not None else None,
            )
        if self.level is not None:
            event.log = Log(level=self.level)
        candidates = (src.get("ip"), dst.get("ip"), src.get("nat_ip"), dst.get("nat_ip"))
        ips = [ip for ip in candidates if ip is not None]
        if ips:
            event.related = Related(ip=list(dict.fromkeys(ips)))


def _endpoint(values: dict[str, Any]) -> Endpoint:
    if "nat_ip" not in values:
        return Endpoint(**values)  # the other keys are Endpoint's field names
    rest = dict(values)
    nat = Nat(ip=rest.pop("nat_ip"))  # before the call: ``**rest`` is unpacked before ``nat=``
    return Endpoint(**rest, nat=nat)


Handler = Callable[[Fields, str], bool]


def _ip_into(side: str, name: str) -> Handler:
    def handle(f: Fields, value: str) -> bool:
        target: dict[str, Any] = getattr(f, side)
        if name in target:
            return False
        ip = canonical_ip(value)
        if ip is None:
            return False
        target[name] = ip
        return True

    return handle


def _number_into(side: str, name: str, convert: Callable[[str], int | None]) -> Handler:
    def handle(f: Fields, value: str) -> bool:
        target: dict[str, Any] = getattr(f, side)
        if name in target:
            return False
        number = convert(value)
        if number is None:
            return False
        target[name] = number
        return True

    return handle


def _text_into(attr: str, transform: Callable[[str], str] = str.strip) -> Handler:
    def handle(f: Fields, value: str) -> bool:
        if getattr(f, attr) is not None:
            return False
        text = transform(value)
        if not text or text == "-":  # "-" is how logs write "none"; it stays in the vendor fields
            return False
        setattr(f, attr, text)
        return True

    return handle


def _transport(f: Fields, value: str) -> bool:
    if "transport" in f.network or "protocol" in f.network:
        return False
    word = value.strip().lower()
    if not word:
        return False
    if word.isdigit():
        name = IANA_TRANSPORTS.get(word)
        if name is None:
            return False
        f.network["iana_number"] = word
        f.network["transport"] = name
    elif word in TRANSPORT_NAMES:
        f.network["transport"] = word
    else:  # "http", "dns": an application protocol named in the proto field
        f.network["protocol"] = word
    return True


def _action(f: Fields, value: str) -> bool:
    if f.action is not None:
        return False
    word = value.strip()
    if not word:
        return False
    f.action = word
    f.decision = verdict_of(word)
    return True


def _severity(f: Fields, value: str) -> bool:
    if f.level is not None:
        return False
    text = value.strip()
    if not text:
        return False
    f.level = text  # log.level keeps the vendor's own level
    f.severity = severity(text)
    return True


def _direction(f: Fields, value: str) -> bool:
    word = value.strip().lower()
    if f.direction is not None or word not in DIRECTIONS:
        return False
    f.direction = word
    return True


def _observer_ip(f: Fields, value: str) -> bool:
    if f.observer_ip is not None:
        return False
    f.observer_ip = canonical_ip(value)
    return f.observer_ip is not None


def time_key(f: Fields, value: str) -> bool:
    """Marker handler for time keys: ``Fields.add`` collects them, ``resolve_time`` uses them."""
    return False


def _keys(handler: Handler, *names: str) -> dict[str, Handler]:
    return dict.fromkeys(names, handler)


# Sanitised key → handler. One readable table: add a vendor's spelling here when it is
# unambiguous across vendors; vendor-specific keys belong in that vendor's parser.
_HANDLERS: Final[dict[str, Handler]] = {
    **_keys(
        _ip_into("src", "ip"),
        "src",
        "srcip",
        "src_ip",
        "source_ip",
        "sourceip",
        "sip",
        "saddr",
        "srcaddr",
        "src_addr",
        "addr_src",
        "source_address",
        "loginip",
        "login_ip",
        "client_ip",
        "clientip",
    ),
    **_keys(
        _ip_into("dst", "ip"),
        "dst",
        "dstip",
        "dst_ip",
        "destination_ip",
        "destinationip",
        "dip",
        "daddr",
        "dstaddr",
        "dst_addr",
        "addr_dst",
        "destination_address",
    ),
    **_keys(
        _number_into("src", "port", port), "sport", "srcport", "src_port", "source_port", "spt", "port_src"
    ),
    **_keys(
        _number_into("dst", "port", port),
        "dport",
        "dstport",
        "dst_port",
        "destination_port",
        "dpt",
        "port_dst",
    ),
    **_keys(_ip_into("src", "nat_ip"), "nat_src", "natsrc", "nat_src_ip", "natsrcip", "transip"),
    **_keys(_ip_into("dst", "nat_ip"), "nat_dst", "natdst", "nat_dst_ip", "natdstip"),
    **_keys(
        _number_into("src", "bytes", count),
        "sent",
        "sentbyte",
        "sentbytes",
        "sent_bytes",
        "bytes_sent",
        "send_bytes",
        "bytes_out",
        "out_bytes",
    ),
    **_keys(
        _number_into("dst", "bytes", count),
        "rcvd",
        "rcvdbyte",
        "rcvdbytes",
        "rcvd_bytes",
        "bytes_rcvd",
        "recv_bytes",
        "received_bytes",
        "bytes_received",
        "bytes_in",
        "in_bytes",
    ),
    **_keys(_number_into("src", "packets", count), "sentpkt", "sent_pkts", "sent_packets", "packets_sent"),
    **_keys(
        _number_into("dst", "packets", count),
        "rcvdpkt",
        "rcvd_pkts",
        "rcvd_packets",
        "packets_rcvd",
        "packets_received",
    ),
    **_keys(_number_into("network", "bytes", count), "bytes", "total_bytes"),
    **_keys(_number_into("network", "packets", count), "packets", "total_packets"),
    **_keys(_transport, "proto", "protocol", "transport"),
    **_keys(_action, "action", "act"),
    **_keys(_severity, "severity", "level", "pri", "priority", "loglevel", "log_level"),
    **_keys(_text_into("user"), "user", "username", "user_name", "usr", "uname", "srcuser", "src_user"),
    **_keys(_text_into("url"), "url", "uri"),
    **_keys(_text_into("user_agent"), "user_agent", "useragent", "ua"),
    **_keys(_text_into("method", lambda v: v.strip().upper()), "method", "http_method", "request_method"),
    **_keys(_text_into("referrer"), "referer", "referrer"),
    **_keys(_text_into("message"), "msg", "message"),
    **_keys(
        _text_into("observer_host"),
        "devname",
        "dev_name",
        "devicename",
        "device_name",
        "dname",
        "hostname",
        "host_name",
    ),
    **_keys(_observer_ip, "devip", "dev_ip", "deviceip", "device_ip"),
    **_keys(_text_into("rule_id"), "rule_id", "ruleid", "policyid", "policy_id", "sig_id", "signature_id"),
    **_keys(_text_into("rule_name"), "rule", "rule_name", "rulename", "policy", "policy_name", "policyname"),
    **_keys(_text_into("application", lambda v: v.strip().lower()), "app", "application"),
    **_keys(_direction, "direction", "dir"),
    **_keys(
        time_key,
        "time",
        "date",
        "timestamp",
        "datetime",
        "date_time",
        "logtime",
        "log_time",
        "event_time",
        "eventtime",
        "create_time",
        "ts",
        "@timestamp",
    ),
}
MAPPED_KEYS: Final[frozenset[str]] = frozenset(_HANDLERS)

key_cache: Final[dict[str, tuple[str, Handler | None]]] = {}
_KEY_CACHE_MAX: Final = 65_536


def key_info(raw_key: str) -> tuple[str, Handler | None]:
    """(sanitised key, its handler or None) for a raw key, memoised: keys repeat on every line."""
    info = key_cache.get(raw_key)
    if info is None:
        key = sanitize_key(raw_key)
        info = (key, _HANDLERS.get(key))
        if len(key_cache) < _KEY_CACHE_MAX:
            key_cache[raw_key] = info
    return info


# -- every event -------------------------------------------------------------------------------


def timezone_of(record: RawRecord) -> str:
    """The device's timezone: per-source setting, else the platform default."""
    return record.timezone or DEFAULT_TIMEZONE


def header_time(envelope: Envelope, record: RawRecord) -> dt.datetime:
    """The syslog header's time, else the receive time."""
    header = envelope.syslog
    if header is not None and header.timestamp_text:
        try:
            return resolve_timestamp(
                header.timestamp_text, received_at=record.received_at, tz=timezone_of(record)
            )
        except ValueError:
            pass
    return from_posix(record.received_at)


SYSLOG_FACILITIES: Final[tuple[str, ...]] = (
    "kern",
    "user",
    "mail",
    "daemon",
    "auth",
    "syslog",
    "lpr",
    "news",
    "uucp",
    "cron",
    "authpriv",
    "ftp",
    "ntp",
    "security",
    "console",
    "solaris-cron",
    "local0",
    "local1",
    "local2",
    "local3",
    "local4",
    "local5",
    "local6",
    "local7",
)
SYSLOG_SEVERITY_NAMES: Final[tuple[str, ...]] = (
    "emergency",
    "alert",
    "critical",
    "error",
    "warning",
    "notice",
    "informational",
    "debug",
)


# Possessive and unrolled ("[^"\\]*+(?:\\.[^"\\]*+)*+"): one pass per value, no backtracking,
# so a 30-parameter element costs microseconds, not tens of them.
_SD_ELEMENT: Final = compile_pattern(r'\[([^\s\]=]+)((?:\s+[^\s=\]]+="[^"\\]*+(?:\\.[^"\\]*+)*+")*+)\s*\]')
_SD_PARAM: Final = compile_pattern(r'([^\s=\]]+)="([^"\\]*+(?:\\.[^"\\]*+)*+)"')
_SD_UNESCAPE: Final = re.compile(r'\\(["\\\]])')


def parse_structured_data(text: str) -> dict[str, dict[str, str]] | None:
    """RFC 5424 STRUCTURED-DATA ``[id k="v"]…`` → ``{id: {k: v}}`` (None when malformed)."""
    elements: dict[str, dict[str, str]] = {}
    for match in _SD_ELEMENT.finditer(text):
        params = {
            k: _SD_UNESCAPE.sub(r"\1", v) if "\\" in v else v for k, v in _SD_PARAM.findall(match.group(2))
        }
        elements.setdefault(match.group(1), {}).update(params)
    return elements or None


_SYSLOG_TO_SEVERITY: Final[tuple[int, ...]] = tuple(int(Severity.from_syslog(code)) for code in range(8))


# The SyslogCode of every facility and severity, made once and shared by all events: nothing
# mutates a SyslogCode (a parser that edits log.syslog replaces fields of the Syslog, which
# stays per event), and building two Structs per line showed in profiles.
_FACILITY_CODES: Final[tuple[SyslogCode, ...]] = tuple(
    SyslogCode(code=code, name=SYSLOG_FACILITIES[code] if code < 24 else None) for code in range(32)
)
_SEVERITY_CODES: Final[tuple[SyslogCode, ...]] = tuple(
    SyslogCode(code=code, name=SYSLOG_SEVERITY_NAMES[code]) for code in range(8)
)


def _facility_code(facility: int) -> SyslogCode:
    # a header from the decoder has facility 0-31 (PRI <= 255); anything else is built fresh
    if 0 <= facility < 32:
        return _FACILITY_CODES[facility]
    return SyslogCode(code=facility, name=SYSLOG_FACILITIES[facility] if facility < 24 else None)


def syslog_fields(header: SyslogHeader, structured_data: dict[str, dict[str, str]] | None = None) -> Syslog:
    """ECS ``log.syslog`` for a header; ``structured_data`` when the parser has read it already."""
    facility, sev = header.facility, header.severity
    if structured_data is None and header.structured_data:
        structured_data = parse_structured_data(header.structured_data)
    return Syslog(
        priority=header.priority,
        facility=None if facility is None else _facility_code(facility),
        severity=None
        if sev is None
        else _SEVERITY_CODES[sev]
        if 0 <= sev < 8
        else SyslogCode(code=sev, name=SYSLOG_SEVERITY_NAMES[sev]),
        structured_data=structured_data,
        hostname=header.hostname,
        appname=header.appname,
        procid=header.procid,
        msgid=header.msgid,
        version=None if header.version is None else str(header.version),
    )


def finish(
    event: Event,
    envelope: Envelope,
    record: RawRecord,
    dataset: str,
    *,
    structured_data: dict[str, dict[str, str]] | None = None,
) -> Event:
    """Stamp what every event carries; fields the parser set are kept.

    ``structured_data``: the RFC 5424 structured data as the parser already read it, so it is
    not parsed a second time for ``log.syslog.structured_data``.

    ``event.created`` is the receive time: parsers have no clock, and the pipeline sets
    ``event.ingested`` when it stores the event.
    """
    info = event.event
    if info.kind is None:
        info.kind = EventKind.EVENT
    info.dataset = dataset
    info.original = envelope.text
    info.created = from_posix(record.received_at)
    header = envelope.syslog
    log = event.log
    if header is not None:
        if log is None:
            log = event.log = Log()
        log.syslog = syslog_fields(header, structured_data)
        if info.severity is None and header.severity is not None:
            info.severity = _SYSLOG_TO_SEVERITY[max(0, min(7, header.severity))]
        if header.hostname is not None:
            observer = event.observer
            if observer is None:
                observer = event.observer = Observer()
            # A device that names itself by address: that is observer.ip, not a hostname.
            ip = canonical_ip(header.hostname)
            if ip is None:
                if observer.hostname is None:
                    observer.hostname = header.hostname
            elif observer.ip is None:
                observer.ip = [ip]
    peer, origin = record.peer, record.origin
    from_file = origin.startswith("file:")
    if peer is not None or from_file:
        if log is None:
            log = event.log = Log()
        if peer is not None:
            log.source_address = peer
        if from_file:
            log.file = LogFile(path=origin[5:])
            log.offset = record.offset
    return event


def new_event(timestamp: dt.datetime) -> Event:
    """An empty event at ``timestamp``."""
    return Event(timestamp=timestamp, event=EventInfo())


def nest(path: tuple[str, ...], values: dict[str, Any]) -> dict[str, Any]:
    """``{"a": {"b": values}}`` for ``path=("a", "b")``: the shape ``Event.extra`` uses."""
    out: dict[str, Any] = values
    for part in reversed(path):
        out = {part: out}
    return out
