"""``juniper.srx``: Juniper SRX (Junos OS) security logs, structured and standard syslog.

Two shapes of the same messages:

* structured (``set system syslog ... structured-data``, RFC 5424)::

    <14>1 2026-11-27T16:00:00.000+08:00 srx-01 RT_FLOW - RT_FLOW_SESSION_CREATE
    [junos@2636.1.1.1.2.129 source-address="192.0.2.10" source-port="51000" ...]

  The decoder has already split the header; the ``[junos@…]`` element (in the header, or in
  the message when a relay put a BSD header in front of the RFC 5424 text) gives the fields
  by their Junos names;
* standard (BSD): ``RT_FLOW: RT_FLOW_SESSION_CLOSE: session closed TCP FIN: a/p->b/q …``, read
  positionally for ``RT_FLOW_SESSION_CREATE/CLOSE/DENY``, ``RT_SCREEN_*`` ("source: a:p,
  destination: …"), ``IDP_ATTACK_LOG_EVENT`` ("IDP: at <epoch>, SIG Attack log <a/p->b/q> …")
  and the UTM ``WEBFILTER_*``/``AV_*`` texts (``KEY=value``). The positional fields are mapped
  onto the structured names, so both shapes give the same event.

What the messages become: ``RT_FLOW_SESSION_CREATE``/``CLOSE`` an allowed connection (start /
end, bytes, packets, ``event.duration``, the close reason), ``RT_FLOW_SESSION_DENY`` a denied one,
NAT only when the translated address or port differs; ``RT_SCREEN_*`` (RT_IDS) and
``IDP_ATTACK_LOG_EVENT`` intrusion alerts with the 等保 four (``rule.name`` the attack,
``rule.category`` the screen or attack group); ``AV_VIRUS_DETECTED*`` a malware alert;
``WEBFILTER_URL_*`` a web access allowed/denied; Junos management events (``UI_*``,
``SSHD_*``, ``LOGIN_*``) authentication or configuration events. ``event.action`` is the
Junos message tag. Fields ECS lacks stay under ``juniper.srx.*`` with ``_`` for ``-``.
"""

from __future__ import annotations

import datetime as dt
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
    severity,
    timezone_of,
)
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from collectors.parsers.vendor import add_related_ips, firewall_verdict, intrusion, not_ours
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    File,
    Interface,
    Nat,
    Network,
    Observer,
    ObserverSide,
    Related,
    Rule,
    Url,
    User,
)
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import EventCategory, EventOutcome, EventType

VENDOR = "Juniper"
PRODUCT = "SRX"
NAMESPACE = ("juniper", "srx")
# Vocabulary values as plain strings (an enum's .value costs a descriptor call per use).
_C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
_C_CONFIGURATION = EventCategory.CONFIGURATION.value
_C_HOST = EventCategory.HOST.value
_C_MALWARE = EventCategory.MALWARE.value
_C_NETWORK = EventCategory.NETWORK.value
_C_WEB = EventCategory.WEB.value
_O_FAILURE = EventOutcome.FAILURE.value
_O_SUCCESS = EventOutcome.SUCCESS.value
_T_ACCESS = EventType.ACCESS.value
_T_ALLOWED = EventType.ALLOWED.value
_T_CHANGE = EventType.CHANGE.value
_T_CONNECTION = EventType.CONNECTION.value
_T_DENIED = EventType.DENIED.value
_T_END = EventType.END.value
_T_INFO = EventType.INFO.value
_T_START = EventType.START.value

# Junos message tags this parser owns (standard format, the message starts with the tag).
_TAG_PREFIXES = (
    "RT_FLOW_",
    "RT_SCREEN_",
    "IDP_",
    "APPTRACK_",
    "WEBFILTER_",
    "AV_",
    "ANTISPAM_",
    "CONTENT_FILTERING_",
    "FLOW_",
    "UI_",
    "SSHD_",
    "LOGIN_",
)
_SNIFF_BSD = re.compile(
    r"(?:RT_[A-Z]{2,12}: )?(?:RT_FLOW_|RT_SCREEN_|IDP_|APPTRACK_|WEBFILTER_|AV_|ANTISPAM_|CONTENT_FILTERING_"
    r"|FLOW_|UI_|SSHD_|LOGIN_)[A-Z0-9_]*: ",
    re.ASCII,
)
_BSD = re.compile(r"(?:(?P<app>RT_[A-Z]{2,12}): )?(?P<tag>[A-Z][A-Z0-9_]{2,63}): ?(?P<body>.*)", re.DOTALL)
# RFC 5424 text after a relay's BSD header: TIMESTAMP HOST APP PROCID MSGID [SD] MSG
_EMBEDDED = re.compile(
    r"(?P<ts>\d{4}-\d{2}-\d{2}T\S+) (?P<host>\S+) (?P<app>\S+) (?P<pid>\S+) (?P<tag>[A-Z][A-Z0-9_]+) "
    r"(?P<sd>\[junos@.*)",
    re.DOTALL,
)
_SD_ID = re.compile(r"\[(junos@[\d.]+)(?= |\])")
# The rest of one SD-ELEMENT: quoted values may hold "]" and escaped quotes.
_SD_REST = compile_pattern(r'(?:[^\]"]++|"[^"\\]*+(?:\\.[^"\\]*+)*+")*+\]')
_SD_PAIR = compile_pattern(r' ([\w.-]++)="([^"\\]*+(?:\\.[^"\\]*+)*+)"')
_SD_UNESCAPE = re.compile(r"\\([\"\\\]])")

_ADDR = r"(?P<{0}>[^\s/]+)/(?P<{1}>\d+)->(?P<{2}>[^\s/]+)/(?P<{3}>\d+)"
_PAIR_ORIG = _ADDR.format("source_address", "source_port", "destination_address", "destination_port")
_PAIR_NAT = _ADDR.format(
    "nat_source_address", "nat_source_port", "nat_destination_address", "nat_destination_port"
)
_TAGGED = r"(?: 0x\w+)?"  # connection tag (Junos 12.3X48+)
_FLOW_CREATE = re.compile(
    rf"session created {_PAIR_ORIG}{_TAGGED} (?P<service_name>\S+) {_PAIR_NAT}{_TAGGED} (?P<nat_rules>.*?) "
    r"(?P<protocol_id>\d{1,3}) (?P<policy_name>\S+) (?P<source_zone_name>\S+) (?P<destination_zone_name>\S+) "
    r"(?P<session_id_32>\d+)"
    r"(?: (?P<username>[^\s(]*)\((?P<roles>[^)]*)\) (?P<packet_incoming_interface>\S+))?"
    r"(?: (?P<application>\S+) (?P<nested_application>\S+) (?P<encrypted>\S+))?",
    re.ASCII,
)
_FLOW_CLOSE = re.compile(
    rf"session closed (?P<reason>[^:]*): {_PAIR_ORIG}{_TAGGED} (?P<service_name>\S+) {_PAIR_NAT}{_TAGGED} "
    r"(?P<nat_rules>.*?) (?P<protocol_id>\d{1,3}) (?P<policy_name>\S+) (?P<source_zone_name>\S+) "
    r"(?P<destination_zone_name>\S+) (?P<session_id_32>\d+) "
    r"(?P<packets_from_client>\d+)\((?P<bytes_from_client>\d+)\) "
    r"(?P<packets_from_server>\d+)\((?P<bytes_from_server>\d+)\) (?P<elapsed_time>\d+)"
    r"(?: (?P<application>\S+) (?P<nested_application>\S+))?"
    r"(?: (?P<username>[^\s(]*)\((?P<roles>[^)]*)\) (?P<packet_incoming_interface>\S+))?"
    r"(?: (?P<encrypted>\S+))?",
    re.ASCII,
)
_FLOW_DENY = re.compile(
    rf"session denied {_PAIR_ORIG}{_TAGGED} (?P<service_name>\S+) "
    r"(?P<protocol_id>\d{1,3})\((?P<icmp_type>\d+)\) "
    r"(?P<policy_name>\S+) (?P<source_zone_name>\S+) (?P<destination_zone_name>\S+)"
    r"(?: (?P<application>\S+) (?P<nested_application>\S+))?"
    r"(?: (?P<username>[^\s(]*)\((?P<roles>[^)]*)\) (?P<packet_incoming_interface>\S+))?"
    r"(?: (?P<encrypted>\S+))?(?: (?P<reason>.+))?",
    re.ASCII,
)
_NAT_RULES = re.compile(
    r"(?:(?P<t1>N/A|\w+ rule) (?P<n1>\S+) (?P<t2>N/A|\w+ rule) (?P<n2>\S+)|(?P<n3>\S+) (?P<n4>\S+))"
)
_SCREEN = re.compile(r"(?P<attack>.*?!?) source: (?P<rest>.*)", re.DOTALL)
_LABELLED = re.compile(r"(?:^|, )([a-z][a-z -]*?): ([^,]*)")
_IDP = re.compile(
    r"IDP: at (?P<epoch_time>\d+), (?P<message_type>\S+) Attack log <" + _PAIR_ORIG + r"> for "
    r"(?P<protocol_name>\S+) protocol and service (?P<service_name>\S+) "
    r"application (?P<application_name>\S+) "
    r"by rule (?P<rule_name>\S+) of rulebase (?P<rulebase_name>\S+) in policy (?P<policy_name>.+?)\. "
    r"attack: (?P<attack>.*)",
    re.DOTALL,
)
_IDP_KV = re.compile(r"(?:^|, )([\w-]+)=([^,]*)")
_IDP_NAT = re.compile(r"NAT <([^:>]+):(\d+)->([^:>]+):(\d+)>")
_IDP_INTF = re.compile(r"intf:([^:]+):(\S+?)->([^:]+):(\S+?),")
_UTM_ADDR = re.compile(
    # a token start: without it a long word is rescanned from every offset
    r"(?<!\S)(?P<source_address>[^\s(]++)\((?P<source_port>\d+)\)->"
    r"(?P<destination_address>[^\s(]++)\((?P<destination_port>\d+)\)"
)
_UTM_KV = re.compile(r'(?<![\w-])([A-Z][A-Z-]*+)=(?:"([^"]*+)"|(\S*+))')
_QUOTED_USER = re.compile(r"user '([^']+)'", re.IGNORECASE)
_QUOTED_HOST = re.compile(r"(?:host|from) '?([0-9A-Fa-f.:]+)'?")

_NONE = frozenset({"", "N/A", "None", "UNKNOWN", "unknown", "-", "none", "NONE"})
_SCREEN_PASS = frozenset({"alarm-without-drop", "alarm", "none"})
_IDP_PASS = frozenset({"NONE", "IGNORE", "RECOMMENDED_NONE", "MARK_DIFFSERV", "none", "ignore"})


def _structured(text: str) -> tuple[str, list[tuple[str, str]]] | None:
    """(SD-ID, params) of the ``[junos@…]`` element starting ``text``, values unescaped."""
    m = _SD_ID.match(text)
    if m is None:
        return None
    rest = _SD_REST.match(text, m.end())
    if rest is None:
        return None
    body = text[m.end() : rest.end()]
    pairs: list[tuple[str, str]] = _SD_PAIR.findall(body)
    if "\\" in body:
        pairs = [(k, _SD_UNESCAPE.sub(r"\1", v) if "\\" in v else v) for k, v in pairs]
    return m.group(1), pairs


def _element_end(text: str) -> int:
    """Where the SD-ELEMENT starting ``text`` ends (0 when it is malformed)."""
    m = _SD_ID.match(text)
    rest = _SD_REST.match(text, m.end()) if m is not None else None
    return rest.end() if rest is not None else 0


def _underscored(element: tuple[str, list[tuple[str, str]]] | None) -> dict[str, str] | None:
    """Junos names (``source-address``) as field names (``source_address``)."""
    if element is None:
        return None
    return {_KEYS.get(k) or _key(k): v for k, v in element[1]}


_KEYS: dict[str, str] = {}


def _key(name: str) -> str:
    key = name.replace("-", "_").lower()
    if len(_KEYS) < 4096:
        _KEYS[name] = key
    return key


def _nat_rules(fields: dict[str, str]) -> None:
    text = fields.pop("nat_rules", "")
    m = _NAT_RULES.fullmatch(text) if text else None
    if m is None:
        if text:
            fields["nat_rules"] = text
        return
    if m.group("n1") is not None:
        fields.update(
            src_nat_rule_type=m.group("t1"),
            src_nat_rule_name=m.group("n1"),
            dst_nat_rule_type=m.group("t2"),
            dst_nat_rule_name=m.group("n2"),
        )
    else:
        fields.update(src_nat_rule_name=m.group("n3"), dst_nat_rule_name=m.group("n4"))


def _standard(tag: str, body: str) -> dict[str, str]:
    """Fields of a standard-format message, under their structured-data names."""
    found: dict[str, str | None] = {}
    if tag.startswith("RT_FLOW_SESSION_CREATE") or tag.startswith("APPTRACK_SESSION_CREATE"):
        m = _FLOW_CREATE.match(body)
        found = m.groupdict() if m else {}
    elif tag.startswith("RT_FLOW_SESSION_CLOSE") or tag.startswith("APPTRACK_SESSION_CLOSE"):
        m = _FLOW_CLOSE.match(body)
        found = m.groupdict() if m else {}
    elif tag.startswith("RT_FLOW_SESSION_DENY"):
        m = _FLOW_DENY.match(body)
        found = m.groupdict() if m else {}
    elif tag.startswith("RT_SCREEN_"):
        m = _SCREEN.match(body)
        if m is not None:
            found["attack_name"] = m.group("attack")
            for label, value in _LABELLED.findall("source: " + m.group("rest")):
                value = value.strip()
                if label in ("source", "destination"):
                    address, colon, number = value.rpartition(":")
                    if colon and number.isdigit() and canonical_ip(address) is not None:
                        found[f"{label}_address"], found[f"{label}_port"] = address, number
                    else:
                        found[f"{label}_address"] = value
                elif label == "zone name":
                    found["source_zone_name"] = value
                else:
                    found[label.replace(" ", "_").replace("-", "_")] = value
    elif tag.startswith("IDP_"):
        m = _IDP.match(body)
        if m is not None:
            found = m.groupdict()
            attack = found.pop("attack") or ""
            for key, value in _IDP_KV.findall(attack):
                found["attack_name" if key == "name" else key.replace("-", "_")] = value.strip()
            nat = _IDP_NAT.search(attack)
            if nat is not None:
                found.update(
                    nat_source_address=nat.group(1),
                    nat_source_port=nat.group(2),
                    nat_destination_address=nat.group(3),
                    nat_destination_port=nat.group(4),
                )
            intf = _IDP_INTF.search(attack + ",")
            if intf is not None:
                found.update(
                    source_zone_name=intf.group(1),
                    source_interface_name=intf.group(2),
                    destination_zone_name=intf.group(3),
                    destination_interface_name=intf.group(4),
                )
    elif "=" in body:  # UTM: WebFilter: ACTION="URL Blocked" a(p)->b(q) CATEGORY="…" URL=… OBJ=/…
        m = _UTM_ADDR.search(body)
        if m is not None:
            found = m.groupdict()
        for key, quoted, bare in _UTM_KV.findall(body):
            found[key.lower().replace("-", "_")] = quoted or bare
        if "virus_name" in found:
            found["name"] = found.pop("virus_name")
    fields = {k: v for k, v in found.items() if v is not None}
    if "nat_rules" in fields:
        _nat_rules(fields)
    return fields


def _ip(fields: dict[str, str], key: str) -> str | None:
    value = fields.get(key)
    if value is None or value in _NONE:
        return None
    ip = canonical_ip(value)
    if ip is not None:
        del fields[key]
    return ip


def _num(fields: dict[str, str], key: str, *, counter: bool = False) -> int | None:
    """A port (or a counter) from ``key``; removed from ``fields`` when it converts."""
    value = fields.get(key)
    if value is None:
        return None
    number = count(value) if counter else port(value)
    if number is not None:
        del fields[key]
    return number


def _text(fields: dict[str, str], key: str) -> str | None:
    value = fields.pop(key, None)
    if value is None or value.strip() in _NONE:
        return None
    return value.strip()


def _has_offset(stamp: str | None) -> bool:
    if not stamp:
        return False
    return stamp.endswith(("Z", "z")) or (len(stamp) > 6 and stamp[-6] in "+-" and stamp[-3] == ":")


class JuniperSrxParser(Parser):
    """``juniper.srx``: RT_FLOW, RT_IDS/RT_SCREEN, RT_IDP, RT_UTM and Junos management events."""

    dataset: ClassVar[str] = "juniper.srx"

    def sniff(self, envelope: Envelope) -> bool:
        """A ``[junos@`` structured element, or a Junos security/management message tag."""
        header = envelope.syslog
        if header is not None and header.structured_data and header.structured_data.startswith("[junos@"):
            return True
        message = envelope.message
        if "[junos@" in message:
            return _EMBEDDED.match(message) is not None
        return _SNIFF_BSD.match(message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per message."""
        header = envelope.syslog
        message = envelope.message
        stamp_text = header.timestamp_text if header is not None else None
        host: str | None = None
        fields: dict[str, str] | None = None
        element: tuple[str, list[tuple[str, str]]] | None = None
        tag = ""
        text = ""
        sd = header.structured_data if header is not None else None
        if sd is not None and sd.startswith("[junos@"):
            if "][" in sd:  # more than one SD-ELEMENT: ours is the first; finish reads them all
                fields = _underscored(_structured(sd))
            else:  # the decoder checked the SD syntax: one element, all of it ours
                m = _SD_ID.match(sd)
                if m is not None:
                    pairs: list[tuple[str, str]] = _SD_PAIR.findall(sd, m.end())
                    if "\\" in sd:
                        pairs = [(k, _SD_UNESCAPE.sub(r"\1", v) if "\\" in v else v) for k, v in pairs]
                    element = (m.group(1), pairs)
                    fields = _underscored(element)
            tag = header.msgid if header is not None and header.msgid else ""
            text = message
        elif "[junos@" in message and (m := _EMBEDDED.match(message)) is not None:
            fields = _underscored(_structured(m.group("sd")))
            tag, host, stamp_text = m.group("tag"), m.group("host"), m.group("ts")
            text = m.group("sd")[_element_end(m.group("sd")) :].strip()
        else:
            m = _BSD.match(message)
            if m is None or not m.group("tag").startswith(_TAG_PREFIXES):
                raise not_ours(record, "Juniper SRX")
            tag, text = m.group("tag"), m.group("body")
            fields = _standard(tag, text)
        if fields is None:
            raise not_ours(record, "Juniper SRX (malformed junos@ structured data)")
        info = EventInfo(action=tag or None)
        event = Event(timestamp=self._time(fields, stamp_text, envelope, record, info), event=info)
        event.observer = Observer(vendor=VENDOR, product=PRODUCT, type="firewall", hostname=host)
        event.message = text or None
        self._common(event, fields)
        if tag.startswith(("RT_FLOW_SESSION", "APPTRACK_SESSION", "FLOW_")):
            self._flow(event, fields, tag)
        elif tag.startswith("RT_SCREEN_"):
            self._screen(event, fields, tag)
        elif tag.startswith("IDP_"):
            self._idp(event, fields, tag)
        elif tag.startswith(("WEBFILTER_", "AV_", "ANTISPAM_", "CONTENT_FILTERING_")):
            self._utm(event, fields, tag)
        else:
            self._management(event, fields, tag, text)
        add_related_ips(event)
        kept = {k: v for k, v in fields.items() if v not in _NONE}
        if kept:
            event.extra = {NAMESPACE[0]: {NAMESPACE[1]: kept}}
        # the element read above is the whole structured data: finish need not parse it again
        parsed = None if element is None else {element[0]: dict(element[1])}
        return [finish(event, envelope, record, self.dataset, structured_data=parsed)]

    @staticmethod
    def _time(
        fields: dict[str, str], stamp: str | None, envelope: Envelope, record: RawRecord, info: EventInfo
    ) -> dt.datetime:
        """Header time with an offset → IDP epoch-time → header (or embedded) time in the device zone."""
        if _has_offset(stamp):
            try:
                return resolve_timestamp(stamp or "", received_at=record.received_at, tz="UTC")
            except ValueError:
                pass
        epoch = fields.get("epoch_time", "")
        if epoch.isdigit() and 9 <= len(epoch) <= 10:
            del fields["epoch_time"]
            return from_posix(float(epoch))
        if stamp:
            tz = timezone_of(record)
            try:
                found = resolve_timestamp(stamp, received_at=record.received_at, tz=tz)
            except ValueError:
                pass
            else:
                info.timezone = tz
                return found
        return header_time(envelope, record)

    @staticmethod
    def _common(event: Event, fields: dict[str, str]) -> None:
        """Addresses, NAT, zones, interfaces, protocol, user: the same names in every message."""
        source = Endpoint(ip=_ip(fields, "source_address"), port=_num(fields, "source_port"))
        destination = Endpoint(ip=_ip(fields, "destination_address"), port=_num(fields, "destination_port"))
        nat_ip, nat_port = _ip(fields, "nat_source_address"), _num(fields, "nat_source_port")
        if nat_ip is not None and nat_ip != "0.0.0.0" and (nat_ip != source.ip or nat_port != source.port):
            source.nat = Nat(ip=nat_ip, port=nat_port or None)
        nat_ip, nat_port = _ip(fields, "nat_destination_address"), _num(fields, "nat_destination_port")
        if (
            nat_ip is not None
            and nat_ip != "0.0.0.0"
            and (nat_ip != destination.ip or nat_port != destination.port)
        ):
            destination.nat = Nat(ip=nat_ip, port=nat_port or None)
        source.bytes = _num(fields, "bytes_from_client", counter=True)
        source.packets = _num(fields, "packets_from_client", counter=True)
        destination.bytes = _num(fields, "bytes_from_server", counter=True)
        destination.packets = _num(fields, "packets_from_server", counter=True)
        if source != _EMPTY_ENDPOINT:
            event.source = source
        if destination != _EMPTY_ENDPOINT:
            event.destination = destination
        observer = event.observer
        assert observer is not None
        ingress_zone = _text(fields, "source_zone_name") or _text(fields, "source_zone")
        ingress_if = (
            _text(fields, "packet_incoming_interface")
            or _text(fields, "source_interface_name")
            or _text(fields, "interface_name")
        )
        egress_zone = _text(fields, "destination_zone_name") or _text(fields, "destination_zone")
        egress_if = _text(fields, "destination_interface_name")
        if ingress_zone or ingress_if:
            observer.ingress = ObserverSide(
                zone=ingress_zone, interface=Interface(name=ingress_if) if ingress_if else None
            )
        if egress_zone or egress_if:
            observer.egress = ObserverSide(
                zone=egress_zone, interface=Interface(name=egress_if) if egress_if else None
            )
        network = Network()
        proto = fields.get("protocol_id")
        if proto is not None and proto.isdigit():
            network.iana_number = proto
            network.transport = IANA_TRANSPORTS.get(proto)
            del fields["protocol_id"]
        else:
            name = _text(fields, "protocol_name") or _text(fields, "protocol")
            if name:
                network.transport = name.lower()
        for key in ("application", "application_name"):
            app = fields.get(key)
            if app is not None and app not in _NONE:
                network.application = app.lower()
                del fields[key]
                break
        if source.bytes is not None and destination.bytes is not None:
            network.bytes = source.bytes + destination.bytes
        if source.packets is not None and destination.packets is not None:
            network.packets = source.packets + destination.packets
        if network != _EMPTY_NETWORK:
            event.network = network
        name = _text(fields, "username")
        if name is not None and name not in ("unknown-user",):
            roles = _text(fields, "roles")
            event.user = User(name=name, roles=[roles] if roles else None)
            event.related = Related(user=[name])

    @staticmethod
    def _flow(event: Event, fields: dict[str, str], tag: str) -> None:
        info = event.event
        if "DENY" in tag:
            firewall_verdict(info, None, decision=_T_DENIED)
        elif "CREATE" in tag or "CLOSE" in tag:
            firewall_verdict(info, None, decision=_T_ALLOWED)
            if info.type is not None:
                info.type.append(_T_START if "CREATE" in tag else _T_END)
        else:  # APPTRACK updates, FLOW_* notices: information about a flow, no decision
            info.category, info.type = [_C_NETWORK], [_T_CONNECTION, _T_INFO]
        policy = _text(fields, "policy_name")
        if policy is not None:
            event.rule = Rule(name=policy)
        reason = _text(fields, "reason")
        if reason is not None:
            info.reason = reason
        elapsed = _num(fields, "elapsed_time", counter=True)
        if elapsed is not None and elapsed < 10**9:
            info.duration = elapsed * 1_000_000_000

    @staticmethod
    def _screen(event: Event, fields: dict[str, str], tag: str) -> None:
        """RT_SCREEN_*: the screen options (flood, scan, spoofing) as intrusion alerts."""
        action = (fields.get("action") or "").strip().lower()
        blocked = False if action in _SCREEN_PASS else True if action else None
        intrusion(event.event, blocked=blocked)
        attack = _text(fields, "attack_name") or tag
        event.rule = Rule(name=attack.rstrip("!").strip() or attack, category=tag)

    @staticmethod
    def _idp(event: Event, fields: dict[str, str], tag: str) -> None:
        """IDP_ATTACK_LOG_EVENT (and the AppDDoS events): intrusion alerts."""
        info = event.event
        action = (fields.get("action") or "").strip()
        blocked = False if action.upper() in _IDP_PASS else True if action else None
        intrusion(info, blocked=blocked)
        level = fields.get("threat_severity")
        if level:
            info.severity = severity(level.lower())
        attack = _text(fields, "attack_name") or _text(fields, "ddos_application_name") or tag
        group = attack.rpartition(":")[0]
        event.rule = Rule(
            name=attack,
            id=_text(fields, "rule_name"),
            category=group or _text(fields, "message_type") or tag,
            ruleset=_text(fields, "policy_name"),
        )

    @staticmethod
    def _utm(event: Event, fields: dict[str, str], tag: str) -> None:
        info = event.event
        blocked = (
            "BLOCKED" in tag
            or "DROP" in tag
            or (fields.get("action") or "").lower() in ("drop", "blocked", "block")
        )
        if tag.startswith("AV_") and ("VIRUS" in tag or "name" in fields):
            intrusion(info, blocked=blocked or None)
            if info.category is not None:
                info.category.append(_C_MALWARE)
            name = _text(fields, "name")
            event.rule = Rule(name=name or tag, category="virus")
        elif tag.startswith("WEBFILTER_"):
            decision = _T_DENIED if blocked else _T_ALLOWED
            info.category = [_C_NETWORK, _C_WEB]
            info.type = [_T_ACCESS, decision]
            info.outcome = _O_FAILURE if blocked else _O_SUCCESS
            category = _text(fields, "category")
            profile = _text(fields, "profile")
            if category is not None or profile is not None:
                event.rule = Rule(category=category, ruleset=profile)
            reason = _text(fields, "reason")
            if reason is not None:
                info.reason = reason
        else:
            firewall_verdict(info, None, decision=_T_DENIED if blocked else None)
            reason = _text(fields, "reason")
            if reason is not None:
                info.reason = reason
        host, path = _text(fields, "url"), _text(fields, "obj")
        if host is not None and tag.startswith("WEBFILTER_"):
            event.url = url = Url(original=host + (path or ""), domain=host)
            if path is not None:
                url.path, qmark, query = path.partition("?")
                url.query = query if qmark else None
            if event.destination is not None:
                event.destination.domain = host
        elif host is not None:
            fields["url"] = host
        filename = _text(fields, "filename")
        if filename is not None:
            event.file = File(
                name=filename.rpartition("/")[2] or filename, path=filename if "/" in filename else None
            )

    @staticmethod
    def _management(event: Event, fields: dict[str, str], tag: str, text: str) -> None:
        """Junos management events: logins, commits, commands."""
        info = event.event
        word = tag.upper()
        m = _QUOTED_USER.search(text)
        if m is not None and event.user is None:
            event.user = User(name=m.group(1))
            event.related = Related(user=[m.group(1)])
        m = _QUOTED_HOST.search(text)
        address = canonical_ip(m.group(1)) if m else None
        if address is not None and event.source is None:
            event.source = Endpoint(ip=address)
        if "LOGIN" in word or "AUTH" in word or "LOGOUT" in word:
            info.category = [_C_AUTHENTICATION]
            info.type = [_T_END if "LOGOUT" in word else _T_START]
            if "FAIL" in word:
                info.outcome = _O_FAILURE
            elif "SUCCESS" in word or "LOGIN_EVENT" in word:
                info.outcome = _O_SUCCESS
        elif "COMMIT" in word or "CFG" in word or "CONFIG" in word:
            info.category = [_C_CONFIGURATION]
            info.type = [_T_CHANGE]
        else:
            info.category = [_C_HOST]
            info.type = [_T_INFO]


_EMPTY_ENDPOINT = Endpoint()
_EMPTY_NETWORK = Network()

__all__ = ["JuniperSrxParser"]
