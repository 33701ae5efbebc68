"""``panw.panos``: Palo Alto Networks PAN-OS syslog in the default CSV format.

Every PAN-OS log starts ``FUTURE_USE,Receive Time,Serial Number,Type,Subtype,FUTURE_USE,
Generated Time`` and then has the columns of its type in the order PAN-OS documents them; new
releases only append columns, so one table per type reads 6.x to 11.x lines (a short line
simply lacks the newer columns). Values with commas are double-quoted (``""`` escapes a quote).

* ``TRAFFIC`` — a firewall decision: ``event.type`` connection + allowed/denied, ``start`` /
  ``end`` from the subtype; NAT addresses and ports, bytes and packets per direction, zones and
  interfaces, ``event.start``/``event.duration``, session end reason;
* ``THREAT`` — an intrusion alert (``event.kind: alert``, categories network,
  intrusion_detection and threat, as ECS describes PAN-OS threat logs): ``vulnerability``,
  ``spyware``, ``virus``, ``wildfire``, ``scan``, ``flood``, ``packet``, ``file``, ``data`` put
  the threat name and ID in ``rule.name``/``rule.id``, the threat category in ``rule.category``
  and the security rule in ``rule.ruleset``; ``url`` (URL filtering) is a web access (adds the
  web category, ``url.*``, ``http.*``) under the security rule ``rule.name`` with the URL
  category as ``rule.category``;
* ``SYSTEM`` — device events (GlobalProtect and admin authentication events as authentication);
* ``CONFIG`` — configuration changes (``user.name`` is the admin, ``source.ip`` their client);
* ``GLOBALPROTECT`` (PAN-OS 9.1+) — VPN logins and connections;
* other types keep their raw columns under ``panw.panos.columns``.

``event.action`` is the vendor's own word: the Action column for TRAFFIC/THREAT, the command
for CONFIG, the event ID for SYSTEM/GLOBALPROTECT. Times have no offset and are read in the
source's timezone, except the high-resolution timestamp (PAN-OS 10+, ISO 8601 with offset),
which is used for ``@timestamp`` when present.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, count, finish, header_time, port, severity, timezone_of
from collectors.parsers.panw_panos.columns import CONFIG_SHORT_LAYOUT, LAYOUTS, OTHER, SESSION_TYPES
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import add_related_ips, firewall_verdict, intrusion, not_ours
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    File,
    Hash,
    Host,
    Http,
    HttpRequest,
    HttpResponse,
    Interface,
    Log,
    Nat,
    Network,
    Observer,
    ObserverSide,
    Related,
    Rule,
    Url,
    User,
    UserAgent,
    Vulnerability,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import EventCategory, EventOutcome, EventType

VENDOR = "Palo Alto Networks"
PRODUCT = "PAN-OS"
NAMESPACE = ("panw", "panos")
# Vocabulary values as plain strings (an enum's .value costs a descriptor call per use).
_C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
_C_CONFIGURATION = EventCategory.CONFIGURATION.value
_C_HOST = EventCategory.HOST.value
_C_MALWARE = EventCategory.MALWARE.value
_C_NETWORK = EventCategory.NETWORK.value
_C_SESSION = EventCategory.SESSION.value
_C_THREAT = EventCategory.THREAT.value
_O_FAILURE = EventOutcome.FAILURE.value
_O_SUCCESS = EventOutcome.SUCCESS.value
_T_ALLOWED = EventType.ALLOWED.value
_T_CHANGE = EventType.CHANGE.value
_T_CREATION = EventType.CREATION.value
_T_DELETION = EventType.DELETION.value
_T_DENIED = EventType.DENIED.value
_T_END = EventType.END.value
_T_INFO = EventType.INFO.value
_T_START = EventType.START.value

_HEAD = re.compile(
    r"\d{1,4},(?:\d{4}/\d{1,2}/\d{1,2} \d{1,2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T[\d:.]+(?:Z|[+-][\d:]+)?),"
    r"[^,]{0,64},[A-Z][A-Z-]{1,30}(?:,|$)",
    re.ASCII,
)
_CVE = re.compile(r"CVE-\d{4}-\d{4,}", re.ASCII)
_THREAT_ID = re.compile(r"(.*)\((\d+)\)\s*$", re.DOTALL)
_DESC_FROM = re.compile(r"(?:Login from|From):? ([0-9A-Fa-f.:]+?)[,.]?(?:\s|$)")
_DESC_USER = re.compile(r"(?:User name: |for user ')([^,']+)")
_DROP = frozenset({"", "N/A", "0", "0x0", "0.0.0.0", "any", "none"})

# Action column words.
_ALLOW = frozenset({"allow", "alert", "continue", "override"})
_BLOCK = frozenset(
    {
        "deny",
        "drop",
        "drop-icmp",
        "drop icmp",
        "drop-all-packets",
        "reset-client",
        "reset-server",
        "reset-both",
        "reset client",
        "reset server",
        "reset both",
        "block",
        "block-url",
        "block-ip",
        "block-continue",
        "block-override",
        "override-lockout",
        "random-drop",
        "sinkhole",
        "syncookie-sent",
    }
)
_MALWARE_SUBTYPES = frozenset({"virus", "wildfire", "wildfire-virus", "ml-virus", "spyware"})


def _columns(message: str) -> list[str]:
    if '"' not in message:
        return message.split(",")
    try:
        return next(csv.reader([message]), [])
    except csv.Error:  # a quoted field beyond csv's size limit: split as it stands
        return message.split(",")


def _col(cols: list[str], index: int) -> str | None:
    """Column ``index`` stripped, or None when absent, empty or a placeholder."""
    if index >= len(cols):
        return None
    value = cols[index].strip()
    return value if value and value != "N/A" else None


def _ip(cols: list[str], index: int) -> str | None:
    value = _col(cols, index)
    return canonical_ip(value) if value else None


def _port(cols: list[str], index: int) -> int | None:
    value = _col(cols, index)
    return port(value) if value else None


def _count(cols: list[str], index: int) -> int | None:
    value = _col(cols, index)
    return count(value) if value else None


def _nat(cols: list[str], ip_index: int, port_index: int, original: Endpoint) -> Nat | None:
    """The translated address, when NAT changed the original address or port."""
    ip = _ip(cols, ip_index)
    if ip is None or ip in ("0.0.0.0", "::"):
        return None
    number = _port(cols, port_index) or None
    if ip == original.ip and number in (None, original.port):
        return None
    return Nat(ip=ip, port=number)


def _user(value: str | None) -> User | None:
    """``domain\\user`` / ``user@domain`` / ``user``."""
    if not value:
        return None
    domain, backslash, name = value.rpartition("\\")
    if backslash and name:
        return User(name=name, domain=domain.rstrip("\\") or None)
    return User(name=value)


def _local(text: str | None, record: RawRecord, tz: str) -> dt.datetime | None:
    if not text:
        return None
    try:
        return resolve_timestamp(text, received_at=record.received_at, tz=tz)
    except ValueError:
        return None


class PanosParser(Parser):
    """``panw.panos``: PAN-OS CSV syslog (TRAFFIC, THREAT, SYSTEM, CONFIG, GLOBALPROTECT, …)."""

    dataset: ClassVar[str] = "panw.panos"

    def sniff(self, envelope: Envelope) -> bool:
        """``<n>,<date time>,<serial>,<TYPE>,`` at the start of the message."""
        return _HEAD.match(envelope.message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        if _HEAD.match(message) is None:
            raise not_ours(record, "PAN-OS CSV")
        cols = _columns(message)
        kind = cols[3].strip()
        subtype = _col(cols, 4) or ""
        info = EventInfo()
        tz = timezone_of(record)
        header = envelope.syslog
        if header is not None and header.rfc == 5424 and header.timestamp_text:
            # An RFC 5424 header carries the device's UTC offset: the CSV times are in it.
            stamp_text = header.timestamp_text
            if stamp_text[-6:-5] in ("+", "-") and stamp_text[-3:-2] == ":":
                tz = stamp_text[-6:]
            elif stamp_text.endswith(("Z", "z")):
                tz = "UTC"
        layout = LAYOUTS.get(kind, OTHER)
        if kind == "CONFIG" and (_col(cols, 15) or "").startswith("0x"):
            layout = CONFIG_SHORT_LAYOUT
        names, keep, high_res, device_index = layout
        stamp = self._time(cols, high_res, record, tz, info)
        event = Event(timestamp=stamp if stamp is not None else header_time(envelope, record), event=info)
        event.observer = Observer(
            vendor=VENDOR,
            product=PRODUCT,
            type="firewall",
            hostname=_col(cols, device_index) if device_index >= 0 else None,
            serial_number=_col(cols, 2),
        )
        spill: dict[str, str] = {}
        if kind == "TRAFFIC" or kind in SESSION_TYPES:
            self._session(event, cols, spill)
            self._traffic(event, cols, subtype, record, tz, is_traffic=kind == "TRAFFIC")
        elif kind == "THREAT":
            self._session(event, cols, spill)
            self._threat(event, cols, subtype)
        elif kind == "SYSTEM":
            self._system(event, cols, subtype)
        elif kind == "CONFIG":
            self._config(event, cols)
        elif kind == "GLOBALPROTECT":
            self._globalprotect(event, cols)
        else:
            info.category = [_C_HOST]
            info.type = [_T_INFO]
            info.action = subtype or kind.lower()
        _prune(event)
        add_related_ips(event)
        kept: dict[str, str | list[str]] = {
            name: value
            for name, value in zip(keep, cols, strict=False)
            if name and value.strip() not in _DROP
        }
        if len(cols) > len(names):
            extra_cols = cols[len(names) :]
            if any(value not in _DROP for value in extra_cols):
                kept["columns"] = extra_cols  # newer than our table: keep them as they came
        if spill:
            kept.update(spill)
        if kept:
            event.extra = {NAMESPACE[0]: {NAMESPACE[1]: kept}}
        return [finish(event, envelope, record, self.dataset)]

    # -- time --------------------------------------------------------------------------------

    @staticmethod
    def _time(
        cols: list[str], high_res: int, record: RawRecord, tz: str, info: EventInfo
    ) -> dt.datetime | None:
        """High-resolution time (with offset) → generated time → receive time, in the device zone."""
        precise = _col(cols, high_res) if high_res >= 0 else None
        if precise is not None and "T" in precise:
            stamp = _local(precise, record, tz)
            if stamp is not None:
                tail = precise[-6:]
                if tail[0] in "+-" and tail[3] == ":":
                    info.timezone = tail
                elif precise.endswith("Z"):
                    info.timezone = "Z"
                else:
                    info.timezone = tz
                return stamp
        for index in (6, 1):
            stamp = _local(_col(cols, index), record, tz)
            if stamp is not None:
                info.timezone = tz
                return stamp
        return None

    # -- TRAFFIC and THREAT: the session block (columns 7-30) ------------------------------------

    @staticmethod
    def _session(event: Event, cols: list[str], spill: dict[str, str]) -> None:
        source = Endpoint(ip=_ip(cols, 7), port=_port(cols, 24))
        destination = Endpoint(ip=_ip(cols, 8), port=_port(cols, 25))
        source.nat = _nat(cols, 9, 26, source)
        destination.nat = _nat(cols, 10, 27, destination)
        user = _user(_col(cols, 12))
        if user is not None:
            event.user = user
            event.related = Related(user=[user.name] if user.name else None)
        target_user = _user(_col(cols, 13))
        if target_user is not None:
            destination.user = target_user
        event.source, event.destination = source, destination
        transport = _col(cols, 29)
        app = _col(cols, 14)
        event.network = Network(
            transport=transport.lower() if transport else None,
            application=app.lower() if app else None,
            type=("ipv6" if ":" in source.ip else "ipv4") if source.ip else None,
        )
        for index, name in ((7, "src"), (8, "dst"), (9, "natsrc"), (10, "natdst")):
            text = _col(cols, index)
            if text is not None and canonical_ip(text) is None:
                spill[name] = text  # not an address: keep what the line said
        observer = event.observer
        assert observer is not None
        from_zone, to_zone = _col(cols, 16), _col(cols, 17)
        inbound, outbound = _col(cols, 18), _col(cols, 19)
        if from_zone or inbound:
            observer.ingress = ObserverSide(
                zone=from_zone, interface=Interface(name=inbound) if inbound else None
            )
        if to_zone or outbound:
            observer.egress = ObserverSide(
                zone=to_zone, interface=Interface(name=outbound) if outbound else None
            )
        event.event.action = _col(cols, 30)

    @staticmethod
    def _traffic(
        event: Event, cols: list[str], subtype: str, record: RawRecord, tz: str, *, is_traffic: bool
    ) -> None:
        info = event.event
        action = (info.action or "").lower()
        decision = (
            _T_ALLOWED
            if action in _ALLOW
            else _T_DENIED
            if action in _BLOCK or subtype in ("deny", "drop")
            else None
        )
        firewall_verdict(info, info.action, decision=decision)
        if info.type is not None:
            if subtype == "start":
                info.type.append(_T_START)
            elif subtype == "end":
                info.type.append(_T_END)
        rule = _col(cols, 11)
        if rule is not None:
            event.rule = Rule(name=rule, uuid=_col(cols, 65) if is_traffic else None)
        if not is_traffic:
            return
        source, destination, network = event.source, event.destination, event.network
        assert source is not None and destination is not None and network is not None
        source.bytes, destination.bytes = _count(cols, 32), _count(cols, 33)
        source.packets, destination.packets = _count(cols, 44), _count(cols, 45)
        network.bytes, network.packets = _count(cols, 31), _count(cols, 34)
        info.start = _local(_col(cols, 35), record, info.timezone or tz)
        elapsed = _count(cols, 36)
        if elapsed is not None and elapsed < 10**9:
            info.duration = elapsed * 1_000_000_000
        info.reason = _col(cols, 46)

    @staticmethod
    def _threat(event: Event, cols: list[str], subtype: str) -> None:
        info = event.event
        action = (info.action or "").lower()
        blocked = True if action in _BLOCK else False if action in _ALLOW else None
        web = subtype == "url"
        intrusion(info, blocked=blocked, web=web)
        categories = info.category or []
        categories.append(_C_THREAT)
        if subtype in _MALWARE_SUBTYPES:
            categories.append(_C_MALWARE)
        info.category = categories
        if web and blocked is not None:
            # URL filtering: the outcome is whether the web request went through.
            info.outcome = _O_FAILURE if blocked else _O_SUCCESS
        level = _col(cols, 34)
        if level is not None:
            event.log = Log(level=level)
            info.severity = severity(level)
        policy = _col(cols, 11)
        threat = _col(cols, 32) or ""
        m = _THREAT_ID.match(threat)
        threat_name, threat_id = (m.group(1).strip(), m.group(2)) if m else (threat, None)
        category = _col(cols, 33)
        threat_category = _col(cols, 69)
        misc = _col(cols, 31)
        if web:
            event.rule = Rule(name=policy, uuid=_col(cols, 76), category=category)
            if misc is not None:
                event.url = _url(misc)
                if event.url.domain and event.destination is not None:
                    event.destination.domain = event.url.domain
        else:
            event.rule = Rule(
                name=threat_name or subtype or None,
                id=threat_id,
                category=threat_category or category or subtype or None,
                ruleset=policy,
                uuid=_col(cols, 76),
            )
            cves = _CVE.findall(threat_name)
            if cves:
                event.vulnerability = Vulnerability(id=list(dict.fromkeys(cves)))
            if misc is not None:
                if "/" in misc and subtype not in ("file", "data"):
                    event.url = _url(misc)
                else:
                    event.file = File(name=misc.replace("\\", "/").rpartition("/")[2] or misc, path=misc)
                    if event.file.path == event.file.name:
                        event.file.path = None
        digest = _col(cols, 43)
        if digest is not None and len(digest) == 64:
            file = event.file or File()
            file.hash = Hash(sha256=digest.lower())
            event.file = file
        agent, referrer, method = _col(cols, 46), _col(cols, 49), _col(cols, 63)
        content_type = _col(cols, 41)
        if agent is not None:
            event.user_agent = UserAgent(original=agent)
        if referrer is not None or method is not None or content_type is not None:
            event.http = Http(
                request=HttpRequest(method=method.upper() if method else None, referrer=referrer)
                if referrer or method
                else None,
                response=HttpResponse(mime_type=content_type) if content_type else None,
            )

    # -- SYSTEM, CONFIG, GLOBALPROTECT ---------------------------------------------------------

    @staticmethod
    def _system(event: Event, cols: list[str], subtype: str) -> None:
        info = event.event
        event_id = _col(cols, 8)
        info.action = event_id or subtype or "system"
        level = _col(cols, 13)
        if level is not None:
            event.log = Log(level=level)
            info.severity = severity(level)
        description = _col(cols, 14)
        event.message = description
        word = (event_id or "").lower()
        if "auth" in word or "login" in word or "logout" in word or subtype in ("auth", "globalprotect"):
            info.category = [_C_AUTHENTICATION]
            info.type = [_T_END if "logout" in word else _T_START]
            if "fail" in word:
                info.outcome = _O_FAILURE
            elif "succ" in word:
                info.outcome = _O_SUCCESS
            if description:
                m = _DESC_FROM.search(description)
                address = canonical_ip(m.group(1)) if m else None
                if address is not None:
                    event.source = Endpoint(ip=address)
                m = _DESC_USER.search(description)
                if m is not None:
                    name = m.group(1).strip()
                    event.user = User(name=name)
                    event.related = Related(user=[name])
        else:
            info.category = [_C_HOST]
            info.type = [_T_INFO]

    @staticmethod
    def _config(event: Event, cols: list[str]) -> None:
        info = event.event
        info.category = [_C_CONFIGURATION]
        command = _col(cols, 9)
        info.action = command
        types = [_T_CHANGE]
        if command in ("add", "clone"):
            types.append(_T_CREATION)
        elif command == "delete":
            types.append(_T_DELETION)
        info.type = types
        result = (_col(cols, 12) or "").lower()
        if result == "succeeded":
            info.outcome = _O_SUCCESS
        elif result in ("failed", "unauthorized"):
            info.outcome = _O_FAILURE
        admin = _col(cols, 10)
        if admin is not None:
            event.user = User(name=admin)
            event.related = Related(user=[admin])
        host = _col(cols, 7)
        address = canonical_ip(host) if host else None
        if address is not None:
            event.source = Endpoint(ip=address)
        elif host is not None:
            event.source = Endpoint(address=host)
        event.message = _col(cols, 13)

    @staticmethod
    def _globalprotect(event: Event, cols: list[str]) -> None:
        info = event.event
        event_id = _col(cols, 8)
        info.action = event_id
        word = (event_id or "").lower()
        if "logout" in word:
            info.category, info.type = [_C_SESSION], [_T_END]
        elif "connected" in word or "register" in word:
            info.category, info.type = [_C_SESSION], [_T_START]
        elif "auth" in word or "login" in word:
            info.category, info.type = [_C_AUTHENTICATION], [_T_START]
        else:
            info.category, info.type = [_C_NETWORK], [_T_INFO]
        status = (_col(cols, 28) or "").lower()
        if status == "success":
            info.outcome = _O_SUCCESS
        elif status == "failure":
            info.outcome = _O_FAILURE
        user = _user(_col(cols, 12))
        if user is not None:
            event.user = user
            event.related = Related(user=[user.name] if user.name else None)
        # The client connects from its public address; the private one is the address the
        # tunnel assigned to the machine (host.ip).
        public = _ip(cols, 15) or _ip(cols, 16)
        private = _ip(cols, 17) or _ip(cols, 18)
        if public is not None and public != "0.0.0.0":
            event.source = Endpoint(ip=public)
        machine = _col(cols, 14)
        if machine is not None or (private is not None and private != "0.0.0.0"):
            event.host = Host(
                name=machine, ip=[private] if private is not None and private != "0.0.0.0" else None
            )
        event.message = _col(cols, 27)
        info.reason = _col(cols, 25)


_EMPTY_ENDPOINT = Endpoint()
_EMPTY_NETWORK = Network()
_EMPTY_RULE = Rule()


def _prune(event: Event) -> None:
    """Drop field sets a short or placeholder-filled line left empty."""
    if event.source == _EMPTY_ENDPOINT:
        event.source = None
    if event.destination == _EMPTY_ENDPOINT:
        event.destination = None
    if event.network == _EMPTY_NETWORK:
        event.network = None
    if event.rule == _EMPTY_RULE:
        event.rule = None


def _url(text: str) -> Url:
    """``url.*`` from PAN-OS's URL column: ``host[:port]/path?query`` (usually no scheme)."""
    url = Url(original=text)
    rest = text
    scheme, sep, after = text.partition("://")
    if sep and scheme.isalpha():
        url.scheme = scheme.lower()
        rest = after
    authority, slash, tail = rest.partition("/")
    host, colon, number = authority.partition(":")
    if host:
        url.domain = host
    if colon and number.isdigit() and len(number) <= 5:
        url.port = int(number)
    if slash:
        path, qmark, query = ("/" + tail).partition("?")
        url.path = path
        if qmark:
            url.query = query
    return url


__all__ = ["PanosParser"]
