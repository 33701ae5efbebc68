"""``fortinet.fortigate``: Fortinet FortiGate (FortiOS) key=value syslog.

A FortiOS line is ``key=value`` pairs separated by single spaces; a value is bare or
``"double quoted"`` (``\\"`` and ``\\\\`` escaped). Every line carries ``logid``, ``type``
(``traffic`` | ``utm`` | ``event``; ``anomaly``/``ips``/``virus``/``webfilter`` on FortiOS 5.0)
and ``subtype``. FortiOS 4 lines (``log_id=``, ``device_id=FG…``, ``src=``, ``status=``, and the
odd ``time=10: 13:03``) are read through an alias table.

Time: ``date``+``time`` in the zone of ``tz="+0800"`` when the line has one (FortiOS 6.2+);
otherwise the epoch ``eventtime`` (s, ms, µs or ns) when it is within a day of
``date``/``time``; otherwise ``date``/``time`` in the source's timezone (Asia/Shanghai by
default); otherwise the syslog header's time.

What each kind of line becomes:

* ``traffic`` — a firewall decision (``event.type`` connection + allowed/denied, ``end`` for a
  closed session), NAT from ``trandisp`` (``transip``/``transport`` source NAT,
  ``tranip``/``tranport`` destination NAT), bytes and packets per direction;
* ``utm`` ``ips``/``anomaly``/``virus``/``waf`` (and FortiOS 5.0 ``ips``/``anomaly``/``virus``
  types) — an intrusion alert carrying the 等保 four: ``source.ip``, ``rule.name`` (attack or
  virus name) and ``rule.category``, ``destination.ip`` and ``url.*``, ``@timestamp``;
  ``virus`` adds the ``malware`` category and ``file.*``;
* ``utm`` ``webfilter`` — web access allowed/denied (``url.*``, ``rule.category`` = FortiGuard
  category); ``dns``/``dns-filter`` — ``dns.question.*``; other UTM subtypes — a network
  decision with the vendor's action;
* ``event`` — admin/user logins and logouts (authentication), configuration changes
  (``cfgpath``), VPN negotiation and tunnels (network; ``remip`` is the source, ``locip`` the
  FortiGate), everything else as host/network information.

``observer.product`` is ``Fortigate``, as Elastic writes it. ``event.action`` is the line's own
``action`` (``status`` on FortiOS 4) — the device's decision on traffic and UTM logs and the
login/logout word of authentication events; other event logs (configuration, VPN, HA, system …)
are named by Fortinet's message name for their ``logid`` (``messages.py``:
``FortiGate-event-config-objattr`` for an ``Edit`` of a configuration object), the way FortiSIEM
and Elastic name them; the vendor's word stays in ``fortinet.fortigate.action``. Fields ECS
lacks stay under ``fortinet.fortigate.*`` (``N/A`` and empty values dropped).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    canonical_ip,
    count,
    finish,
    header_time,
    port,
    sanitize_key,
    severity,
    timezone_of,
)
from collectors.parsers.fortinet_fortigate.messages import event_action
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from collectors.parsers.vendor import add_related_ips, firewall_verdict, intrusion, not_ours
from soc_core.events import (
    Dns,
    DnsQuestion,
    Endpoint,
    Event,
    EventInfo,
    File,
    Geo,
    Hash,
    Http,
    HttpRequest,
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
from soc_core.regex import compile_pattern
from soc_core.vocabulary import EventCategory, EventKind, EventOutcome, EventType

VENDOR = "Fortinet"
# Spelt as Elastic's FortiGate integration writes it (as cisco.asa writes ``asa``), so searches
# and dashboards built on Elastic's documents find ours too.
PRODUCT = "Fortigate"
NAMESPACE = ("fortinet", "fortigate")
# Vocabulary values as plain strings (an enum's .value costs a descriptor call per use).
_C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
_C_CONFIGURATION = EventCategory.CONFIGURATION.value
_C_HOST = EventCategory.HOST.value
_C_MALWARE = EventCategory.MALWARE.value
_C_NETWORK = EventCategory.NETWORK.value
_C_WEB = EventCategory.WEB.value
_K_EVENT = EventKind.EVENT.value
_O_FAILURE = EventOutcome.FAILURE.value
_O_SUCCESS = EventOutcome.SUCCESS.value
_T_ACCESS = EventType.ACCESS.value
_T_ALLOWED = EventType.ALLOWED.value
_T_CHANGE = EventType.CHANGE.value
_T_CONNECTION = EventType.CONNECTION.value
_T_CREATION = EventType.CREATION.value
_T_DELETION = EventType.DELETION.value
_T_DENIED = EventType.DENIED.value
_T_END = EventType.END.value
_T_INFO = EventType.INFO.value
_T_PROTOCOL = EventType.PROTOCOL.value
_T_START = EventType.START.value

# key=value, value "quoted" (with \-escapes) or bare up to the next space. A key starts the
# line or follows a space (else a long word is rescanned from every offset); possessive: linear.
_PAIR = compile_pattern(r'(?<![^ ])([\w-]++)=(?:"([^"\\]*+(?:\\.[^"\\]*+)*+)"|([^ ]*+))')
_ESCAPE = re.compile(r"\\(.)")
_TZ = re.compile(r"(?:[A-Za-z]{1,4})?([+-])(\d{1,2}):?(\d{2})", re.ASCII)
_OLD_TIME = re.compile(r"\btime=(\d{1,2}): ?(\d{1,2}:\d{2})\b", re.ASCII)
_UI_ADDRESS = re.compile(r"\(([0-9A-Fa-f.:]+)\)")
_PROTOCOL_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*+", re.ASCII)

# FortiOS 4 spellings → FortiOS 5+ keys.
_LEGACY: dict[str, str] = {
    "log_id": "logid",
    "device_id": "devid",
    "pri": "level",
    "src": "srcip",
    "dst": "dstip",
    "src_port": "srcport",
    "dst_port": "dstport",
    "src_int": "srcintf",
    "dst_int": "dstintf",
    "sent": "sentbyte",
    "rcvd": "rcvdbyte",
    "sent_pkt": "sentpkt",
    "rcvd_pkt": "rcvdpkt",
    "tran_ip": "transip",
    "tran_port": "transport",
    "tran_disp": "trandisp",
}
_NONE = frozenset({"", "N/A", "n/a", "none", "None", "NONE"})
_ENDPOINT_KEYS = ("srcip", "dstip", "srcport", "dstport", "sentbyte", "rcvdbyte", "sentpkt", "rcvdpkt")

# Traffic ``action`` values. close/timeout/*-rst end a session the policy accepted.
_SESSION_END = frozenset({"close", "timeout", "client-rst", "server-rst"})
_TRAFFIC_ALLOW = frozenset({"accept", "start", *_SESSION_END})
_TRAFFIC_DENY = frozenset({"deny", "drop", "block", "blocked", "reject"})
# UTM ``action`` values: the session or request was stopped …
_UTM_BLOCK = frozenset(
    {
        "blocked",
        "block",
        "dropped",
        "drop",
        "deny",
        "denied",
        "reset",
        "reset-client",
        "reset-server",
        "reset_client",
        "reset_server",
        "clear_session",
        "quarantine",
        "reject",
        "redirect",
    }
)
# … or it went on (detected, logged, passed, monitored, exempted).
_UTM_PASS = frozenset(
    {
        "detected",
        "pass",
        "passthrough",
        "pass_session",
        "permit",
        "allowed",
        "accept",
        "monitored",
        "monitor",
        "log-only",
        "exempt",
        "analytics",
    }
)
_ALERT_KINDS = frozenset({"ips", "anomaly", "virus", "waf"})
_HTTP_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"})
_NOT_PROTOCOLS = frozenset({"all", "any", "none", "tcp", "udp", "icmp", "ip", "sctp"})
_SUCCESS = frozenset({"success", "succeeded", "ok", "pass", "passed"})
_FAILURE = frozenset({"failed", "failure", "fail", "error", "negotiate_error", "dpd_failure", "denied"})


def _pairs(message: str) -> dict[str, str]:
    """The line's pairs, values unquoted; a repeated key keeps its first value (FortiOS repeats ``tz``)."""
    found = _PAIR.findall(message)
    if "\\" not in message:
        out = {k: q or b for k, q, b in found}
        if len(out) == len(found):
            return out
    out = {}
    for k, q, b in found:
        if k not in out:
            out[k] = _ESCAPE.sub(r"\1", q) if "\\" in q else (q or b)
    return out


def _legacy(kv: dict[str, str], message: str) -> None:
    """Rename FortiOS 4 keys in place; repair ``time=10: 13:03``."""
    for old, new in _LEGACY.items():
        if old in kv and new not in kv:
            kv[new] = kv.pop(old)
    if "action" not in kv and "status" in kv:
        kv["action"] = kv.pop("status")
    clock = kv.get("time", "")
    if clock.endswith(":"):
        m = _OLD_TIME.search(message)
        if m is not None:
            kv["time"] = f"{m.group(1)}:{m.group(2)}"


def _value(kv: dict[str, str], key: str) -> str | None:
    """Pop ``key``; None when absent or a "none" placeholder (which is dropped too)."""
    value = kv.pop(key, None)
    if value is None or value in _NONE:
        return None
    return value


def _epoch(text: str) -> dt.datetime | None:
    """POSIX time from s/ms/µs/ns digits (FortiOS writes ``eventtime`` in any of them)."""
    if not text.isdigit() or not 9 <= len(text) <= 19:
        return None
    scale = 10 ** max(0, len(text) - 10)
    return from_posix(int(text) / scale)


@functools.lru_cache(maxsize=256)
def _timezone(text: str) -> str | None:
    """``+08:00`` from ``+0800``, ``+08:00`` or ``GMT+8:00``."""
    m = _TZ.fullmatch(text.strip())
    if m is None:
        return None
    sign, hours, minutes = m.groups()
    if int(hours) > 14 or int(minutes) > 59:
        return None
    return f"{sign}{int(hours):02d}:{minutes}"


def _timestamp(kv: dict[str, str], envelope: Envelope, record: RawRecord, info: EventInfo) -> dt.datetime:
    date, clock = kv.get("date"), kv.get("time")
    local = f"{date} {clock}" if date and clock else None
    tz_text = kv.get("tz")
    if local is not None and tz_text is not None:
        zone = _timezone(tz_text)
        if zone is not None:
            try:
                stamp = resolve_timestamp(local + zone, received_at=record.received_at, tz="UTC")
            except ValueError:
                pass
            else:
                del kv["date"], kv["time"], kv["tz"]
                info.timezone = zone
                return stamp
    for key in ("eventtime", "logtime"):
        text = kv.get(key)
        if text is None:
            continue
        epoch = _epoch(text)
        if epoch is None:
            continue
        if local is not None:
            # Trust the epoch only when date/time agree with it in some zone (±14 h).
            try:
                naive = dt.datetime.fromisoformat(local).replace(tzinfo=dt.UTC)
            except ValueError:
                naive = None
            if naive is not None and abs((naive - epoch).total_seconds()) > 15 * 3600:
                continue
        del kv[key]
        return epoch
    if local is not None:
        tz = timezone_of(record)
        try:
            stamp = resolve_timestamp(local, received_at=record.received_at, tz=tz)
        except ValueError:
            pass
        else:
            del kv["date"], kv["time"]
            info.timezone = tz
            return stamp
    return header_time(envelope, record)


@functools.lru_cache(maxsize=1024)
def _protocol(service: str) -> str | None:
    """``network.protocol`` from a service name that is a protocol (HTTPS, DNS; not tcp/8080, ALL)."""
    if _PROTOCOL_WORD.fullmatch(service) is None:
        return None
    lowered = service.lower()
    return None if lowered in _NOT_PROTOCOLS else lowered


def _mac(value: str | None) -> str | None:
    if value is None or len(value) != 17:
        return None
    return value.replace(":", "-").upper()


def _country(value: str | None) -> Geo | None:
    if value is None or value == "Reserved":
        return None
    return Geo(country_name=value)


def _url(event: Event, kv: dict[str, str]) -> None:
    """``url.*`` from ``url`` (a path, or a full URL on some subtypes) and ``hostname``."""
    raw = _value(kv, "url")
    host = _value(kv, "hostname")
    if raw is None and host is None:
        return
    url = Url(original=raw, domain=host)
    if raw is not None:
        rest = raw
        scheme, sep, after = raw.partition("://")
        if sep and scheme.isalpha():
            url.scheme = scheme.lower()
            authority, slash, path = after.partition("/")
            rest = slash + path
            if authority and url.domain is None:
                url.domain = authority.rpartition("@")[2].partition(":")[0] or None
        if rest.startswith("/"):
            path, qmark, query = rest.partition("?")
            url.path = path.partition("#")[0]
            if qmark:
                url.query = query.partition("#")[0]
    event.url = url


class FortigateParser(Parser):
    """``fortinet.fortigate``: FortiOS key=value logs (traffic, UTM, event)."""

    dataset: ClassVar[str] = "fortinet.fortigate"

    def sniff(self, envelope: Envelope) -> bool:
        """``logid=`` with ``type=`` and ``date=``/``devid=``; FortiOS 4 ``log_id=`` from an ``FG`` device."""
        m = envelope.message
        if "type=" not in m:
            return False
        if "logid=" in m:
            return "date=" in m or "devid=" in m or "eventtime=" in m
        return "log_id=" in m and ("device_id=FG" in m or "device_id=FW" in m)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        kv = _pairs(message)
        legacy = "logid" not in kv
        if legacy:
            if "log_id" not in kv:
                raise not_ours(record, "FortiGate key=value (no logid)")
            _legacy(kv, message)
        info = EventInfo()
        event = Event(timestamp=_timestamp(kv, envelope, record, info), event=info)
        info.code = _value(kv, "logid")

        # observer: the FortiGate itself
        name = _value(kv, "devname")
        observer = event.observer = Observer(
            vendor=VENDOR, product=PRODUCT, type="firewall", name=name, serial_number=_value(kv, "devid")
        )
        if name is not None:
            if canonical_ip(name) is None:
                observer.hostname = name
            else:
                observer.ip = [canonical_ip(name) or name]
        ingress, egress = _value(kv, "srcintf"), _value(kv, "dstintf")
        if ingress is not None:
            observer.ingress = ObserverSide(interface=Interface(name=ingress))
        if egress is not None:
            observer.egress = ObserverSide(interface=Interface(name=egress))

        level = kv.pop("level", None)
        if level:
            event.log = Log(level=level)
            info.severity = severity(level)
        text = _value(kv, "msg")
        event.message = text if text is not None else kv.get("logdesc")
        # The vendor's word stays under fortinet.fortigate.action too (SigmaHQ's FortiGate rules
        # match ``action: Add``), also where event.action is the event log's message name.
        action = kv.get("action") or None
        # Lines without an action (some event logs) are named by their description.
        info.action = action or kv.get("logdesc") or None

        kind = kv.get("type", "")
        subtype = kv.get("subtype", "")
        utm = subtype if kind == "utm" else kind  # FortiOS 5.0 logs type=ips, type=virus …
        self._endpoints(event, kv, vpn=subtype == "vpn")
        self._network(event, kv)
        self._user(event, kv, vpn=subtype == "vpn")
        if kind == "traffic":
            self._traffic(event, kv, action)
        elif kind == "event":
            self._event(event, kv, action, subtype)
        elif utm in _ALERT_KINDS:
            self._alert(event, kv, action, utm)
        else:
            self._utm(event, kv, action, utm)
        add_related_ips(event)
        # FortiOS 5+ keys are already lowercase identifiers; FortiOS 4 has a few like SN.
        if legacy:
            kept = {sanitize_key(k): v for k, v in kv.items() if v and v != "N/A"}
        else:
            kept = {k: v for k, v in kv.items() if v and v != "N/A"}
        if kept:
            event.extra = {NAMESPACE[0]: {NAMESPACE[1]: kept}}
        return [finish(event, envelope, record, self.dataset)]

    # -- field sets ------------------------------------------------------------------------

    @staticmethod
    def _endpoints(event: Event, kv: dict[str, str], *, vpn: bool) -> None:
        pop, none = kv.pop, _NONE
        src_ip, dst_ip = pop("srcip", None), pop("dstip", None)
        src_port, dst_port = pop("srcport", None), pop("dstport", None)
        sent, rcvd = pop("sentbyte", None), pop("rcvdbyte", None)
        sent_pkts, rcvd_pkts = pop("sentpkt", None), pop("rcvdpkt", None)
        if src_ip in none:
            src_ip = None
        if dst_ip in none:
            dst_ip = None
        if vpn and src_ip is None and dst_ip is None:
            # VPN events: the remote peer is the source, the FortiGate's address the destination;
            # sentbyte/rcvdbyte count from the FortiGate, so they swap too.
            src_ip, dst_ip = _value(kv, "remip"), _value(kv, "locip")
            src_port, dst_port = _value(kv, "remport"), _value(kv, "locport")
            sent, rcvd = rcvd, sent
            sent_pkts, rcvd_pkts = rcvd_pkts, sent_pkts
        source = Endpoint(
            ip=canonical_ip(src_ip) if src_ip else None,
            port=port(src_port) if src_port else None,
            bytes=count(sent) if sent else None,
            packets=count(sent_pkts) if sent_pkts else None,
        )
        destination = Endpoint(
            ip=canonical_ip(dst_ip) if dst_ip else None,
            port=port(dst_port) if dst_port else None,
            bytes=count(rcvd) if rcvd else None,
            packets=count(rcvd_pkts) if rcvd_pkts else None,
        )
        if "srcmac" in kv:
            source.mac = _mac(_value(kv, "srcmac"))
        if "dstmac" in kv:
            destination.mac = _mac(_value(kv, "dstmac"))
        if "srccountry" in kv:
            source.geo = _country(_value(kv, "srccountry"))
        if "dstcountry" in kv:
            destination.geo = _country(_value(kv, "dstcountry"))
        if source.ip is None and src_ip is not None:
            kv["srcip"] = src_ip  # not an address: keep what the line said
        if destination.ip is None and dst_ip is not None:
            kv["dstip"] = dst_ip
        disp = kv.get("trandisp", "")
        if "snat" in disp or ("transip" in kv and "dnat" not in disp):
            nat_ip = _value(kv, "transip")
            nat_port = _value(kv, "transport")
            if nat_ip is not None and nat_ip != "0.0.0.0":
                source.nat = Nat(ip=canonical_ip(nat_ip), port=port(nat_port) if nat_port else None)
        if "dnat" in disp or "tranip" in kv:
            nat_ip = _value(kv, "tranip")
            nat_port = _value(kv, "tranport")
            if nat_ip is not None and nat_ip != "0.0.0.0":
                destination.nat = Nat(ip=canonical_ip(nat_ip), port=port(nat_port) if nat_port else None)
        if source != _EMPTY_ENDPOINT:
            event.source = source
        if destination != _EMPTY_ENDPOINT:
            event.destination = destination
        if event.source is not None and event.destination is not None:
            sent_n, rcvd_n = source.bytes, destination.bytes
            if sent_n is not None and rcvd_n is not None:
                event.network = Network(bytes=sent_n + rcvd_n)
            pkts_s, pkts_r = source.packets, destination.packets
            if pkts_s is not None and pkts_r is not None:
                network = event.network or Network()
                network.packets = pkts_s + pkts_r
                event.network = network

    @staticmethod
    def _network(event: Event, kv: dict[str, str]) -> None:
        proto = kv.get("proto")
        transport = IANA_TRANSPORTS.get(proto) if proto else None
        service = kv.get("service")
        protocol = _protocol(service) if service else None
        app = _value(kv, "app")
        if proto is None and protocol is None and app is None:
            return
        network = event.network or Network()
        if proto is not None and proto.isdigit():
            del kv["proto"]
            network.iana_number = proto
            network.transport = transport
        network.protocol = protocol
        network.application = app.lower() if app else None
        event.network = network

    @staticmethod
    def _user(event: Event, kv: dict[str, str], *, vpn: bool) -> None:
        name = None
        if vpn:
            for key in ("xauthuser", "eapuser"):
                candidate = kv.get(key)
                if candidate and candidate not in _NONE:
                    name = candidate
                    del kv[key]
                    break
        user = kv.get("user")
        if name is None and user and user not in _NONE and canonical_ip(user) is None:
            name = user
            del kv["user"]
        if name is None:
            unauth = kv.get("unauthuser")
            if unauth and unauth not in _NONE:
                name = unauth
                del kv["unauthuser"]
        if name is not None:
            event.user = User(name=name)
            event.related = Related(user=[name])

    # -- kinds of line ---------------------------------------------------------------------

    @staticmethod
    def _rule(event: Event, kv: dict[str, str]) -> None:
        rule_id, uuid, name = _value(kv, "policyid"), _value(kv, "poluuid"), _value(kv, "policyname")
        if rule_id is not None or uuid is not None or name is not None:
            event.rule = Rule(id=rule_id, uuid=uuid, name=name)

    def _traffic(self, event: Event, kv: dict[str, str], action: str | None) -> None:
        self._rule(event, kv)
        word = (action or "").lower()
        decision = _T_ALLOWED if word in _TRAFFIC_ALLOW else _T_DENIED if word in _TRAFFIC_DENY else None
        firewall_verdict(event.event, action, decision=decision)
        info = event.event
        if word in _SESSION_END and info.type is not None:
            info.type.append(_T_END)
        elif word == "start" and info.type is not None:
            info.type.append(_T_START)
        elif decision is None and word in ("ip-conn", "dns"):
            info.outcome = _O_FAILURE  # the session could not be set up
        duration = kv.get("duration")
        if duration is not None and duration.isdigit() and len(duration) <= 12:
            info.duration = int(duration) * 1_000_000_000
            del kv["duration"]

    def _alert(self, event: Event, kv: dict[str, str], action: str | None, utm: str) -> None:
        """IPS, anomaly, antivirus and WAF detections: intrusion alerts with the 等保 four."""
        word = (action or "").lower()
        blocked = True if word in _UTM_BLOCK else False if word in _UTM_PASS else None
        intrusion(event.event, blocked=blocked, web=utm == "waf")
        info = event.event
        if utm == "virus" and info.category is not None:
            info.category.append(_C_MALWARE)
        attack_severity = kv.get("severity") or kv.get("crlevel")
        if attack_severity:
            found = severity(attack_severity)
            if found is not None:
                info.severity = found
        # attack (IPS, anomaly), virus, the WAF signature or constraint that matched
        name = (
            _value(kv, "attack")
            or _value(kv, "virus")
            or (_value(kv, "name") if utm == "waf" else None)
            or kv.get("constraint")
            or event.message
            or utm
        )
        rule_id = _value(kv, "attackid") or _value(kv, "virusid")
        category = kv.get("viruscat") or kv.get("eventtype") or utm
        event.rule = Rule(id=rule_id, name=name, category=category, reference=_value(kv, "ref"))
        cve = _value(kv, "cve")
        if cve is not None:
            ids = [part.strip() for part in re.split(r"[,;\s]+", cve) if part.strip()]
            if ids:
                event.vulnerability = Vulnerability(id=ids)
        self._http(event, kv)
        self._file(event, kv)

    def _utm(self, event: Event, kv: dict[str, str], action: str | None, utm: str) -> None:
        """Web filter, application control, DNS filter and the other UTM features."""
        word = (action or "").lower()
        decision = _T_DENIED if word in _UTM_BLOCK else _T_ALLOWED if word in _UTM_PASS else None
        firewall_verdict(event.event, action, decision=decision)
        info = event.event
        policy = _value(kv, "policyid")
        category = _value(kv, "catdesc")
        if policy is not None or category is not None or "poluuid" in kv:
            event.rule = Rule(id=policy, uuid=_value(kv, "poluuid"), category=category)
        if utm == "webfilter":
            info.category = [_C_NETWORK, _C_WEB]
            types = [_T_ACCESS]
            if decision is not None:
                types.append(decision)
            info.type = types
        elif utm in ("dns", "dns-filter") or "qname" in kv:
            info.type = [_T_PROTOCOL] + ([decision] if decision else [])
            qname = _value(kv, "qname")
            if qname is not None:
                question = DnsQuestion(name=qname, type=_value(kv, "qtype"), class_=_value(kv, "qclass"))
                event.dns = Dns(id=_value(kv, "xid"), question=question)
                answers = kv.get("ipaddr")
                if answers:
                    resolved = [ip for ip in (canonical_ip(part) for part in answers.split(",")) if ip]
                    if resolved:
                        event.dns.resolved_ip = resolved
                        del kv["ipaddr"]
        self._http(event, kv)
        self._file(event, kv)

    @staticmethod
    def _http(event: Event, kv: dict[str, str]) -> None:
        _url(event, kv)
        method = kv.get("method", "").upper()
        if method not in _HTTP_METHODS:
            # WAF rawdata="Method=GET|User-Agent=…"
            raw = kv.get("rawdata", "")
            start = raw.find("Method=")
            method = raw[start + 7 :].partition("|")[0].upper() if start >= 0 else ""
            if method in _HTTP_METHODS:
                kv["method"] = method
        referrer = _value(kv, "referralurl")
        agent = _value(kv, "agent")
        if method in _HTTP_METHODS or referrer is not None:
            if method in _HTTP_METHODS:
                del kv["method"]
            event.http = Http(
                request=HttpRequest(method=method if method in _HTTP_METHODS else None, referrer=referrer)
            )
        if agent is not None:
            event.user_agent = UserAgent(original=agent)

    @staticmethod
    def _file(event: Event, kv: dict[str, str]) -> None:
        name = _value(kv, "filename")
        if name is None:
            return
        size = _value(kv, "filesize")
        digest = _value(kv, "analyticscksum")
        sha256 = digest.lower() if digest is not None and len(digest) == 64 else None
        if digest is not None and sha256 is None:
            kv["analyticscksum"] = digest
        file = File(
            name=name, size=count(size) if size else None, hash=Hash(sha256=sha256) if sha256 else None
        )
        stem, dot, ext = name.rpartition(".")
        if dot and stem and ext and len(ext) <= 10:
            file.extension = ext.lower()
        event.file = file

    def _event(self, event: Event, kv: dict[str, str], action: str | None, subtype: str) -> None:
        """FortiOS event logs: system, user, vpn, ha, wad, …"""
        info = event.event
        word = (action or "").lower()
        status = (kv.get("status") or kv.get("result") or "").lower()
        if status in _SUCCESS:
            info.outcome = _O_SUCCESS
        elif status in _FAILURE or "fail" in word or "error" in status:
            info.outcome = _O_FAILURE
        logdesc = (kv.get("logdesc") or "").lower()
        if event.source is None and "ui" in kv:
            # ui="https(192.0.2.9)": the admin's address
            m = _UI_ADDRESS.search(kv["ui"])
            address = canonical_ip(m.group(1)) if m else None
            if address is not None:
                event.source = Endpoint(ip=address)
        authentication = word == "logout" or "login" in word or "logon" in word or "logoff" in word
        if not authentication and subtype != "user":
            # Authentication events keep the vendor's login/logout word, which cross-vendor
            # authentication rules match; the others are named by their message (``Edit`` of
            # ``LOGID_EVENT_CONFIG_OBJATTR`` → FortiGate-event-config-objattr).
            named = event_action(info.code or "")
            if named is not None:
                info.action = named
        if authentication:
            info.category = [_C_AUTHENTICATION]
            ending = word in ("logout", "auth-logout") or "logoff" in word
            info.type = [_T_END if ending else _T_START]
            if subtype == "vpn":
                info.category.append(_C_NETWORK)
        elif "cfgpath" in kv or "configured" in logdesc or "configuration" in logdesc:
            info.category = [_C_CONFIGURATION]
            types = [_T_CHANGE]
            if word == "add":
                types.append(_T_CREATION)
            elif word == "delete":
                types.append(_T_DELETION)
            info.type = types
        elif subtype == "vpn":
            info.category = [_C_NETWORK]
            types = [_T_CONNECTION]
            if word == "tunnel-up":
                types.append(_T_START)
            elif word == "tunnel-down":
                types.append(_T_END)
            info.type = types
        elif subtype == "user":
            info.category = [_C_AUTHENTICATION]
            info.type = [_T_INFO]
        elif event.source is not None or event.destination is not None:
            info.category = [_C_NETWORK]
            info.type = [_T_INFO]
        else:
            info.category = [_C_HOST]
            info.type = [_T_INFO]
        info.kind = _K_EVENT
        self._rule(event, kv)
        duration = kv.get("duration")
        if duration is not None and duration.isdigit() and len(duration) <= 12:
            info.duration = int(duration) * 1_000_000_000
            del kv["duration"]
        reason = kv.get("reason")
        if reason and reason not in _NONE:
            info.reason = reason
            del kv["reason"]


_EMPTY_ENDPOINT = Endpoint()

__all__ = ["FortigateParser"]
