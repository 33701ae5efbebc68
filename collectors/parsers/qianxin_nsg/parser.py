"""``qianxin.nsg``: Qi-anxin (奇安信, formerly 360/网神) NSG firewalls.

Shape: ``[host ]devid="3" dname="NSG" serial="…" module="flow" severity="info" vsys="root-vsys"
type="traffic-end" session_id="…" time="<epoch>" addr_src="…" addr_dst="…" nataddr_src="::"
nataddr_dst="::" natport_src="0" natport_dst="0" proto="TCP" … action="permit" … port_src="…"
port_dst="…" user_src="" … interface_src="…" zone_src="…" appname="FTP" rule="…" … duration="3"
bytes_sent="…" bytes_received="…" pkts_sent="…" pkts_received="…" …``: every value is quoted.

``module`` names the log (flow 流量, threat 威胁, url, dns, mail, operate 配置, system 事件);
``flow`` records are firewall connection events (``action`` permit/deny → verdict, ``type``
``traffic-end``/``traffic-start`` → ``end``/``start``). Only the flow fields are documented; the
other modules are handled generically: the same address/port/user/verdict keys, ``threat`` as an
intrusion event (rule name and category from the first of ``threat_name``/``name``/
``attack_name``/``event_name`` and ``threat_type``/``attack_type``/``category``, else the
``type``), ``url``/``dns`` keys into ``url.*``/``dns.question.name``, ``operate`` as a configuration
change, ``system`` as a host event.

``nataddr_*="::"`` (or ``0.0.0.0``/empty) and ``natport_*="0"`` mean "no translation" and are not
emitted. ``time`` (epoch seconds) is ``@timestamp``; ``duration`` (seconds) ``event.duration``;
``severity`` is ``log.level`` and ``event.severity``; ``dname`` ``observer.name``; ``serial``
``observer.serial_number``. Fields ECS lacks stay under ``qianxin.nsg.*``. A record whose last
value lost its closing quote was cut in transit and is dead-lettered.
"""

from __future__ import annotations

import re
from typing import ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    count,
    finish,
    header_time,
    new_event,
    port,
    sanitize_key,
    severity,
)
from collectors.parsers.timeparse import from_posix
from collectors.parsers.vendor import (
    add_counters,
    add_related_ips,
    firewall_verdict,
    intrusion,
    not_ours,
    set_observer,
    verdict_of,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Dns,
    DnsQuestion,
    Endpoint,
    Event,
    Interface,
    Log,
    Nat,
    Network,
    ObserverSide,
    Rule,
    Url,
    User,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventOutcome, EventType

VENDOR, PRODUCT = "qianxin", "nsg"
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_CONFIGURATION = EventCategory.CONFIGURATION.value
C_HOST = EventCategory.HOST.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
T_ALLOWED = EventType.ALLOWED.value
T_CHANGE = EventType.CHANGE.value
T_END = EventType.END.value
T_INFO = EventType.INFO.value
T_START = EventType.START.value
_START = 'devid="'
_NO_NAT = frozenset({"", "::", "0.0.0.0", "0"})
_THREAT_NAMES = ("threat_name", "name", "attack_name", "event_name", "sig_name", "rule_name")
_THREAT_TYPES = ("threat_type", "attack_type", "category", "threat_category", "event_type")
_QUOTED = re.compile(r'([A-Za-z0-9_]{1,64})="((?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r'\\(["\\])')
_BLOCKED = frozenset({"deny", "drop", "block", "reset", "reject", "discard"})


def _pairs(text: str, record: RawRecord) -> dict[str, str]:
    """The quoted ``key="value"`` pairs. Fast path: a split on quotes when nothing is escaped."""
    if "\\" not in text:
        parts = (" " + text).split('"')
        if len(parts) % 2 == 0:
            raise ParseError(
                "Qi-anxin NSG record ends inside a quoted value (truncated in transit?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        if parts[-1].strip():
            raise ParseError(
                f"Qi-anxin NSG record has unquoted text after the last value: {parts[-1].strip()[:40]!r}",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        # Between two values there must be exactly whitespace, a key and "=": checked for all
        # keys at once (C-level string calls; a per-key Python loop costs twice as much).
        keys = "".join(parts[0:-1:2])
        names = keys.replace("=", " ").split()
        values = parts[1::2]
        if (
            keys.count("=") != len(names)
            or len(names) != len(values)
            or not keys[:1].isspace()
            or not "".join(names).replace("_", "").isalnum()
        ):
            raise not_ours(record, 'Qi-anxin NSG (key="value" pairs)')
        return dict(zip(names, values, strict=True))
    found: dict[str, str] = {}
    for key, value in _QUOTED.findall(text):
        found.setdefault(key, _ESCAPE.sub(r"\1", value))
    if not found or text.rstrip()[-1:] != '"':
        raise ParseError(
            "Qi-anxin NSG record ends inside a quoted value (truncated in transit?)",
            where=record.where,
            reason=DeadLetterReason.PARSE_ERROR.value,
        )
    return found


def _nat(ip_text: str | None, port_text: str | None) -> Nat | None:
    ip = canonical_ip(ip_text) if ip_text and ip_text not in _NO_NAT else None
    number = port(port_text) if port_text and port_text not in _NO_NAT else None
    if ip is None and number is None:
        return None
    return Nat(ip=ip, port=number)


def _endpoint(
    ip_text: str | None, port_text: str | None, nat: Nat | None, user: str | None
) -> Endpoint | None:
    ip = canonical_ip(ip_text) if ip_text else None
    number = port(port_text) if port_text else None
    if ip is None and number is None and nat is None and not user:
        return None
    return Endpoint(ip=ip, port=number, nat=nat, user=User(name=user) if user else None)


def _side(interface: str | None, zone: str | None) -> ObserverSide | None:
    if not interface and not zone:
        return None
    return ObserverSide(zone=zone or None, interface=Interface(name=interface) if interface else None)


class QianxinNsgParser(Parser):
    """``qianxin.nsg``: quoted ``devid="…" dname="…" … module="…"`` records."""

    dataset: ClassVar[str] = "qianxin.nsg"

    def sniff(self, envelope: Envelope) -> bool:
        """``devid="`` near the start and ``module="`` after it (Leadsec's ``devid=0`` is unquoted)."""
        message = envelope.message
        at = message.find(_START, 0, 48)
        return at >= 0 and message.find(' module="', at, at + 400) > 0

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        at = message.find(_START, 0, 48)
        if at < 0:
            raise not_ours(record, 'Qi-anxin NSG (devid="…")')
        host = message[:at].strip() or None
        values = _pairs(message[at:].rstrip(), record)
        pop = values.pop

        stamp_text = pop("time", None)
        stamp = None
        if stamp_text and stamp_text.isdigit() and len(stamp_text) <= 11:
            stamp = from_posix(float(stamp_text))
        elif stamp_text:
            values["time"] = stamp_text
        event = new_event(stamp or header_time(envelope, record))
        info = event.event

        level = pop("severity", None)
        if level:
            info.severity = severity(level)
            event.log = Log(level=level)
        user_src, user_dst = pop("user_src", None), pop("user_dst", None)
        source = _endpoint(
            pop("addr_src", None),
            pop("port_src", None),
            _nat(pop("nataddr_src", None), pop("natport_src", None)),
            None,
        )
        destination = _endpoint(
            pop("addr_dst", None),
            pop("port_dst", None),
            _nat(pop("nataddr_dst", None), pop("natport_dst", None)),
            user_dst,
        )
        if user_src:
            event.user = User(name=user_src)
        network = Network()
        proto = (pop("proto", None) or "").lower()
        if proto in TRANSPORT_NAMES:
            network.transport = proto
        elif proto in IANA_TRANSPORTS:
            network.iana_number, network.transport = proto, IANA_TRANSPORTS[proto]
        elif proto:
            network.protocol = proto
        appname = pop("appname", None)
        if appname:
            network.application = appname.lower()
        sent, received = count(pop("bytes_sent", "")), count(pop("bytes_received", ""))
        spkts, rpkts = count(pop("pkts_sent", "")), count(pop("pkts_received", ""))
        source, destination = add_counters(
            source,
            destination,
            network,
            sent=sent,
            received=received,
            sent_packets=spkts,
            received_packets=rpkts,
        )
        if source is not None and source.ip is not None:
            network.type = "ipv6" if ":" in source.ip else "ipv4"
        event.source, event.destination = source, destination
        event.network = network
        duration = pop("duration", None)
        if duration and duration.isdigit() and len(duration) <= 10:
            info.duration = int(duration) * 1_000_000_000
        elif duration:
            values["duration"] = duration
        rule = pop("rule", None)
        if rule:
            event.rule = Rule(name=rule)

        observer = set_observer(
            event,
            vendor="Qi-anxin",
            product="NSG",
            type_="firewall",
            hostname=host,
            name=pop("dname", None),
            serial_number=pop("serial", None),
        )
        observer.ingress = _side(pop("interface_src", None), pop("zone_src", None))
        observer.egress = _side(pop("interface_dst", None), pop("zone_dst", None))

        self._classify(event, values, pop("action", None))
        # keys were checked to be letters, digits and "_"; only an upper-case one needs cleaning
        extra = {key if key.islower() else sanitize_key(key): value for key, value in values.items() if value}
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _classify(event: Event, values: dict[str, str], action: str | None) -> None:
        info = event.event
        module = values.get("module", "")
        kind = values.get("type", "")
        if module == "threat" or module in ("ips", "av", "ids", "attack", "virus"):
            word = (action or "").lower()
            blocked = True if word in _BLOCKED else False if verdict_of(word) == "allowed" else None
            intrusion(info, blocked=blocked)
            info.action = action
            rule = event.rule or Rule()
            if rule.name is not None:
                rule.ruleset = rule.name  # the security rule that carried the profile
            name = next((values[k] for k in _THREAT_NAMES if values.get(k)), None)
            category = next((values[k] for k in _THREAT_TYPES if values.get(k)), None)
            rule.name = name or kind or module
            rule.category = category or kind or module
            event.rule = rule
            return
        if module == "operate":
            info.category = [C_CONFIGURATION]
            info.type = [T_CHANGE]
            info.action = action or kind or None
            if action:
                decided = verdict_of(action)
                if decided is not None:
                    info.outcome = O_SUCCESS if decided == T_ALLOWED else O_FAILURE
            return
        if module == "system":
            info.category = [C_HOST]
            info.type = [T_INFO]
            info.action = action or kind or None
            return
        if module == "url" and values.get("url"):
            event.url = Url(original=values["url"], domain=values.get("host") or values.get("domain"))
        if module == "dns" and (values.get("domain") or values.get("query")):
            event.dns = Dns(question=DnsQuestion(name=values.get("domain") or values.get("query")))
        firewall_verdict(info, action)
        if kind.endswith("-end") or kind.endswith("_end"):
            assert info.type is not None
            info.type.append(T_END)
        elif kind.endswith("-start") or kind.endswith("_start"):
            assert info.type is not None
            info.type.append(T_START)
