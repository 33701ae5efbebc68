"""``hillstone.stoneos``: Hillstone (山石网科) StoneOS firewalls.

Record shape (StoneOS log reference, "日志信息格式"): ``<PRI>Mon DD hh:mm:ss SN(vsys) event-id
[HillstoneNetworks#]Type@MODULE: text``. The syslog "hostname" is the device serial number (or
host name) with the virtual system in brackets; the event id is 8 hex digits. Texts handled:

* ``Traffic@FLOW: SESSION: a:p->b:p(TCP), application X, interface I, vr V, policy N, user u@d,
  host h, send packets N,send bytes N,receive packets N,receive bytes N,start time T,close time T,
  session end,Ageout`` (also ``session start``, ``policy deny``, ``a:p(if)->b:p(if), Protocol TCP``,
  ``zone from A to B`` and the older ``… close time T. session end. TCP RST`` punctuation): a
  firewall connection event with bytes and packets; ``session end`` is an allowed connection.
* ``Traffic@FLOW: NAT: a:p->b:p(TCP), dnat to ip:port, vr V, user u@d, host h, rule N`` (or
  ``snat to``): the translation goes to ``destination.nat`` / ``source.nat``.
* older ``Traffic@FLOW|SECURITY: srcip A, srcport P, dstip B, dstport Q, protocol TCP, …``.
* ``Threat@*: From a:p(if) to b:p(if), threat name: N, threat type: T, threat subtype: S,
  App/Protocol: IPv4/TCP, action: DROP, defender: AD, severity: Middle, …``: an intrusion event
  (rule.name = threat name, rule.category = threat type).
* ``Event@*``, ``Configuration@*``, ``Security@*`` and the rest: kept as text (``message``), with
  the user, addresses and login outcome picked out where the text carries them.

Relays that write ``<PRI>0 <RFC 3339 time> <host> SN(vsys) - - -  event-id …`` (an RFC 5424-like
header with version 0, left in the message by the decoder) give their time and host too.

``@timestamp`` is the header time, except that a session's ``close time``/``start time`` (which
carry the year the header lacks) wins. The event id goes to ``event.code`` and, with type,
module, sub-type (``SESSION``/``NAT``) and vsys, under ``hillstone.stoneos.*``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    TRANSPORT_NAMES,
    canonical_ip,
    count,
    finish,
    header_time,
    new_event,
    port,
    sanitize_key,
    severity,
    timezone_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import (
    add_related_ips,
    firewall_verdict,
    intrusion,
    not_ours,
    set_observer,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    Interface,
    Nat,
    Network,
    ObserverSide,
    Rule,
    User,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventOutcome, EventType

VENDOR, PRODUCT = "hillstone", "stoneos"
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
C_CONFIGURATION = EventCategory.CONFIGURATION.value
C_HOST = EventCategory.HOST.value
C_NETWORK = EventCategory.NETWORK.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
T_ALLOWED = EventType.ALLOWED.value
T_CHANGE = EventType.CHANGE.value
T_CONNECTION = EventType.CONNECTION.value
T_CREATION = EventType.CREATION.value
T_DELETION = EventType.DELETION.value
T_DENIED = EventType.DENIED.value
T_END = EventType.END.value
T_INFO = EventType.INFO.value
T_START = EventType.START.value

# [SN(vsys) ]event-id [HillstoneNetworks#]Type@MODULE: text. Searched, not matched: relays put
# their own words in front ("0 2019-11-13T01:03:54+01:00 172.26.200.6 SN(root) - - -  ...").
_HEAD = re.compile(
    r"(?:(?P<dev>[^\s()]+)\((?P<vsys>[^()\s]*)\)[\s-]+)?"
    r"(?P<eid>[0-9A-Fa-f]{8})\s+(?:HillstoneNetworks#)?(?P<type>[A-Z][A-Za-z]{1,31})@(?P<module>[A-Z][A-Z0-9_]{1,31}):\s*"
)
_SNIFF = re.compile(r"\b[0-9A-Fa-f]{8}\s+(?:HillstoneNetworks#)?[A-Z][A-Za-z]{1,31}@[A-Z][A-Z0-9_]{1,31}:\s")
_RELAY = re.compile(r"\d\s+(?P<ts>\d{4}-\d\d-\d\dT\S+)\s+(?P<host>[^\s(]+)\s")
_HOST_VSYS = re.compile(r"(?P<dev>[^\s()]+)\((?P<vsys>[^()\s]*)\)")

# a:p[(if)]->b:p[(if)][(PROTO)] — lazy address, required port: IPv6 without brackets still
# splits at its last colon before the port.
_TUPLE = re.compile(
    r"(?P<src>[^\s>]+?):(?P<sport>\d{1,5})(?:\((?P<sif>[^)]*)\))?->"
    r"(?P<dst>[^\s>(]+?):(?P<dport>\d{1,5})(?:\((?P<g1>[^)]*)\))?(?:\((?P<g2>[^)]*)\))?(?=[,\s]|$)"
)
# Phrases of SESSION/NAT lines; one pass, dispatched on the group that matched.
_PHRASE = re.compile(
    r"(?<![\w-])(?:"
    r"application (?P<application>[^,]+)"
    r"|interface (?P<interface>[^\s,]+)"
    r"|vr (?P<vr>[^\s,]+)"
    r"|policy (?P<policy>[^\s,]+)"
    r"|user (?P<user>[^\s,]+)"
    r"|host (?P<host>[^\s,]+)"
    r"|mac (?P<mac>[0-9A-Fa-f.:-]{12,17})"
    r"|send packets (?P<spkts>\d+)"
    r"|send bytes (?P<sbytes>\d+)"
    r"|receive packets (?P<rpkts>\d+)"
    r"|receive bytes (?P<rbytes>\d+)"
    r"|start time (?P<start>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
    r"|close time (?P<close>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)"
    r"|zone from (?P<zfrom>[^\s,]+) to (?P<zto>[^\s,]+)"
    r"|[Pp]rotocol (?P<protocol>[^\s,]+)"
    r"|(?P<nattype>[sd]nat) to (?P<natip>[^\s,]+?)(?::(?P<natport>\d{1,5}))?"
    r"|rule (?P<rule>[^\s,]+)"
    r"|session (?P<session>start|end)(?:[,.]\s*(?P<reason>[^,]+))?"
    r")(?=[,.]\s|,|\s*$|\s)"
)
# Older "key value" comma lists (srcip A, srcport P, …, action: policy session start).
_OLD_KEYS: dict[str, str] = {
    "srcip": "src",
    "srcport": "sport",
    "dstip": "dst",
    "dstport": "dport",
    "protocol": "protocol",
    "interface": "interface",
    "vr": "vr",
    "policyid": "policy",
    "ruleid": "rule",
    "nattype": "nattype",
    "transip": "natip",
    "transport": "natport",
}
_THREAT = re.compile(
    r"From (?P<src>[^\s(]+?)(?::(?P<sport>\d{1,5}))?\((?P<sif>[^)]*)\) to "
    r"(?P<dst>[^\s(]+?)(?::(?P<dport>\d{1,5}))?\((?P<dif>[^)]*)\),?\s*"
)
_QUOTED_USER = re.compile(r'"([^"]{1,128})"')
_FROM_TO = re.compile(
    r"from (?P<src>[^\s,]+?)(?::(?P<sport>\d{1,5}))? to (?P<dst>[^\s,(]+?)(?::(?P<dport>\d{1,5}))?"
    r"(?:\((?P<proto>[A-Za-z]+)\))?(?=\s|,|\.?\s*$|\.\s)"
)
_THROUGH = re.compile(r"through (\w+)")
_IP_WORD = re.compile(r"\bIP (\S+?) has")
_CONFIG_VERBS: dict[str, str] = {
    "deleted": T_DELETION,
    "removed": T_DELETION,
    "added": T_CREATION,
    "created": T_CREATION,
}
_BLOCK_ACTIONS = frozenset({"drop", "block", "deny", "reset", "reject", "discard"})
_PASS_ACTIONS = frozenset({"log", "permit", "pass", "allow", "alert", "accept", "monitor"})


def _mac(value: str) -> str | None:
    """ECS MAC form (``00-11-22-33-44-55``) of ``0011.2233.4455``; None when empty or zero."""
    digits = value.replace(".", "").replace(":", "").replace("-", "").upper()
    if len(digits) != 12 or digits == "000000000000":
        return None
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2))


def _endpoint(ip: str | None, port_text: str | None) -> Endpoint | None:
    address = canonical_ip(ip) if ip else None
    number = port(port_text) if port_text else None
    if address is None and number is None:
        return None
    return Endpoint(ip=address, port=number)


def _transport(network: Network, word: str) -> None:
    lowered = word.lower()
    if lowered in TRANSPORT_NAMES:
        network.transport = lowered
    elif lowered in ("ipv4", "ipv6"):
        network.type = lowered
    elif lowered:
        network.protocol = lowered


class HillstoneParser(Parser):
    """``hillstone.stoneos``: ``event-id Type@MODULE: text`` records."""

    dataset: ClassVar[str] = "hillstone.stoneos"

    def sniff(self, envelope: Envelope) -> bool:
        """An 8-hex-digit event id before ``Type@MODULE:`` near the start."""
        message = envelope.message
        return "@" in message[:160] and _SNIFF.search(message, 0, 160) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        head = _HEAD.search(message, 0, 240)
        if head is None:
            raise not_ours(record, "Hillstone StoneOS (event-id Type@MODULE:)")
        text = message[head.end() :].strip()
        log_type, module = head.group("type"), head.group("module")
        header = envelope.syslog
        relay_host: str | None = None
        stamp = None
        if head.start() and (header is None or header.timestamp_text is None):
            # "<PRI>0 2019-11-13T01:03:54+01:00 host SN(root) - - - …": an RFC 5424-like header
            # with version 0, which the syslog decoder leaves in the message
            relay = _RELAY.match(message, 0, head.start())
            if relay is not None:
                relay_host = relay.group("host")
                try:
                    stamp = resolve_timestamp(
                        relay.group("ts"), received_at=record.received_at, tz=timezone_of(record)
                    )
                except ValueError:
                    stamp = None
        event = new_event(stamp or header_time(envelope, record))
        info = event.event
        info.code = head.group("eid")
        extra: dict[str, Any] = {"event_id": info.code, "log_type": log_type, "module": module}

        dev, vsys = head.group("dev", "vsys")
        if dev is None and header is not None and header.hostname:
            found = _HOST_VSYS.fullmatch(header.hostname)
            if found is not None:
                dev, vsys = found.group("dev", "vsys")
        serial = dev if dev is not None and dev.isdigit() and len(dev) >= 10 else None
        observer = set_observer(
            event,
            vendor="Hillstone",
            product="StoneOS",
            type_="firewall",
            hostname=None if serial is not None else dev,
            serial_number=serial,
        )
        if vsys:
            extra["vsys"] = vsys
        if relay_host is not None:
            address = canonical_ip(relay_host)
            if address is not None:
                observer.ip = [address]
            elif observer.hostname is None:
                observer.hostname = relay_host

        if log_type == "Traffic" and (text.startswith(("SESSION:", "NAT:")) or "->" in text[:120]):
            self._flow(event, extra, text, record)
        elif log_type == "Traffic" and text.startswith("srcip "):
            self._old_flow(event, extra, text, record)
        elif text.startswith("From ") and "threat name:" in text:
            self._threat(event, extra, text)
        else:
            self._text(event, extra, text, log_type, module)
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        finish(event, envelope, record, self.dataset)
        if serial is not None and header is not None and observer.hostname == header.hostname:
            observer.hostname = None  # "SN(root)" names no host: the serial is kept instead
        return [event]

    # -- Traffic@FLOW: SESSION / NAT ------------------------------------------------------

    def _flow(self, event: Event, extra: dict[str, Any], text: str, record: RawRecord) -> None:
        if text.startswith("SESSION:"):
            kind, rest = "SESSION", text[8:]
        elif text.startswith("NAT:"):
            kind, rest = "NAT", text[4:]
        else:
            kind, rest = "", text
        tup = _TUPLE.search(rest, 0, 200)
        if tup is None:
            raise ParseError(
                "Hillstone traffic record without its a:p->b:p tuple (truncated?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        if kind:
            extra["sub_type"] = kind
        source = _endpoint(tup.group("src"), tup.group("sport"))
        destination = _endpoint(tup.group("dst"), tup.group("dport"))
        if source is None or source.ip is None or destination is None or destination.ip is None:
            raise ParseError(
                "Hillstone traffic record with an unreadable address",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        network = Network()
        ingress_if, egress_if = tup.group("sif"), None
        g1, g2 = tup.group("g1", "g2")
        if g2 is not None:
            egress_if, proto = g1, g2
        elif ingress_if is not None:
            egress_if, proto = g1, None
        else:
            proto = g1
        if proto:
            _transport(network, proto)
        values: dict[str, str] = {}
        reason: str | None = None
        for m in _PHRASE.finditer(rest, tup.end()):
            name = m.lastgroup
            if name is None:
                continue
            if name == "reason" or name == "session":
                values["session"] = m.group("session")
                reason = m.group("reason")
            elif name == "zto":
                values["zfrom"], values["zto"] = m.group("zfrom"), m.group("zto")
            elif name in ("natip", "natport"):
                values["nattype"], values["natip"] = m.group("nattype"), m.group("natip")
                if m.group("natport"):
                    values["natport"] = m.group("natport")
            elif name == "policy" and m.group(name) == "deny":
                values["deny"] = "policy deny"
            elif name not in values:
                values[name] = m.group(name)
        self._apply(event, extra, values, source, destination, network, ingress_if, egress_if, record)
        info = event.event
        session = values.get("session")
        if kind == "NAT" or "nattype" in values:
            info.category = [C_NETWORK]
            info.type = [T_CONNECTION]
            info.action = values.get("nattype") or kind.lower() or None
            return
        if "deny" in values:
            firewall_verdict(info, "policy deny", decision=T_DENIED)
        else:
            firewall_verdict(info, f"session {session}" if session else None, decision=T_ALLOWED)
            if session in ("start", "end"):
                assert info.type is not None
                info.type.append(session)
        if reason:
            info.reason = reason.strip().rstrip(".").strip() or None

    def _old_flow(self, event: Event, extra: dict[str, Any], text: str, record: RawRecord) -> None:
        values: dict[str, str] = {}
        action: str | None = None
        for part in text.split(","):
            part = part.strip()
            if part.startswith("action:"):
                action = part[7:].strip()
                continue
            key, _, value = part.partition(" ")
            value = value.strip()
            name = _OLD_KEYS.get(key)
            if name is not None and name not in values:
                values[name] = value
            elif key and value:
                extra[sanitize_key(key) or "text"] = value
        source = _endpoint(values.pop("src", None), values.pop("sport", None))
        destination = _endpoint(values.pop("dst", None), values.pop("dport", None))
        self._apply(event, extra, values, source, destination, Network(), None, None, record)
        info = event.event
        if "nattype" in values:
            info.category = [C_NETWORK]
            info.type = [T_CONNECTION]
            info.action = values["nattype"]
        else:
            firewall_verdict(info, action, decision=T_ALLOWED if action else None)
            if action and action.endswith("session start"):
                assert info.type is not None
                info.type.append(T_START)

    def _apply(
        self,
        event: Event,
        extra: dict[str, Any],
        values: dict[str, str],
        source: Endpoint | None,
        destination: Endpoint | None,
        network: Network,
        ingress_if: str | None,
        egress_if: str | None,
        record: RawRecord,
    ) -> None:
        """Phrase values → ECS (shared by SESSION, NAT and the older comma lists)."""
        get = values.get
        if get("protocol"):
            _transport(network, get("protocol", ""))
        application = get("application")
        if application:
            network.application = application.strip().lower()
        spkts, sbytes = count(get("spkts", "")), count(get("sbytes", ""))
        rpkts, rbytes = count(get("rpkts", "")), count(get("rbytes", ""))
        if source is not None:
            source.packets, source.bytes = spkts, sbytes
        if destination is not None:
            destination.packets, destination.bytes = rpkts, rbytes
        if sbytes is not None and rbytes is not None:
            network.bytes = sbytes + rbytes
        if spkts is not None and rpkts is not None:
            network.packets = spkts + rpkts
        nattype, natip = get("nattype"), get("natip")
        if nattype and natip:
            nat = Nat(ip=canonical_ip(natip), port=port(get("natport", "")))
            side = destination if nattype == "dnat" else source
            if side is not None and (nat.ip is not None or nat.port is not None):
                side.nat = nat
            extra["nat_type"] = nattype
        mac = _mac(get("mac", ""))
        if mac is not None and source is not None:
            source.mac = mac
        user = get("user")
        if user and user not in ("-@-", "-"):
            name, _, domain = user.partition("@")
            if name and name != "-":  # "-@UNKNOWN": no user identified
                event.user = User(name=name, domain=domain if domain and domain != "-" else None)
        host = get("host")
        if host and host != "-":
            extra["host"] = host
        if get("vr"):
            extra["vr"] = get("vr")
        interface = get("interface") or ingress_if
        zfrom, zto = get("zfrom"), get("zto")
        observer = event.observer
        if observer is not None:
            if interface or zfrom:
                observer.ingress = ObserverSide(
                    zone=zfrom, interface=Interface(name=interface) if interface else None
                )
            if egress_if or zto:
                observer.egress = ObserverSide(
                    zone=zto, interface=Interface(name=egress_if) if egress_if else None
                )
        policy, rule = get("policy"), get("rule")
        if policy:
            event.rule = Rule(id=policy)
        elif rule:
            event.rule = Rule(id=rule)
        info = event.event
        for key in ("start", "close"):
            text = get(key)
            if text:
                try:
                    stamp = resolve_timestamp(text, received_at=record.received_at, tz=timezone_of(record))
                except ValueError:
                    extra[f"{key}_time"] = text
                    continue
                if key == "start":
                    info.start = stamp
                else:
                    info.end = stamp
        best = info.end or info.start
        if best is not None:
            event.timestamp = best  # carries the year the header lacks
        if source is not None and source.ip is not None and ":" in source.ip and network.type is None:
            network.type = "ipv6"
        event.source, event.destination = source, destination
        if network != Network():
            event.network = network

    # -- Threat@* ----------------------------------------------------------------------------

    def _threat(self, event: Event, extra: dict[str, Any], text: str) -> None:
        head = _THREAT.match(text)
        rest = text
        if head is not None:
            event.source = _endpoint(head.group("src"), head.group("sport"))
            event.destination = _endpoint(head.group("dst"), head.group("dport"))
            sif, dif = head.group("sif"), head.group("dif")
            observer = event.observer
            if observer is not None:
                if sif and sif != "-":
                    observer.ingress = ObserverSide(interface=Interface(name=sif))
                if dif and dif != "-":
                    observer.egress = ObserverSide(interface=Interface(name=dif))
            rest = text[head.end() :]
        rule = Rule()
        network = Network()
        action: str | None = None
        notes: list[str] = []
        for part in rest.split(", "):
            key, sep, value = part.partition(": ")
            key, value = key.strip(), value.strip()
            if not sep:
                if part.strip():
                    notes.append(part.strip())
                continue
            lowered = key.lower()
            if lowered == "threat name":
                rule.name = value
            elif lowered == "threat type":
                rule.category = value
            elif lowered == "app/protocol":
                for word in value.split("/"):
                    if word.lower() in TRANSPORT_NAMES or word.lower() in ("ipv4", "ipv6"):
                        _transport(network, word)
                    elif word and word != "-":
                        network.application = word.lower()
            elif lowered == "action":
                action = value
            elif lowered == "severity" and value:
                event.event.severity = severity(value)
                extra["severity"] = value
            elif lowered.startswith("zone ") and event.observer is not None:
                side = event.observer.ingress
                event.observer.ingress = ObserverSide(
                    zone=key[5:].strip(), interface=side.interface if side is not None else None
                )
                event.message = value
            elif value and value != "-":
                extra[lowered.replace(" ", "_").replace("/", "_").replace("-", "_")] = value
        if notes:
            extra["notes"] = notes
        info = event.event
        info.action = action
        word = (action or "").lower()
        blocked = True if word in _BLOCK_ACTIONS else False if word in _PASS_ACTIONS else None
        intrusion(info, blocked=blocked)
        event.rule = rule
        if network != Network():
            event.network = network

    # -- everything else: text events ---------------------------------------------------------

    def _text(self, event: Event, extra: dict[str, Any], text: str, log_type: str, module: str) -> None:
        event.message = text
        info = event.event
        lowered = text.lower()
        quoted = _QUOTED_USER.search(text)
        if quoted is not None:
            event.user = User(name=quoted.group(1))
        through = _THROUGH.search(text)
        if through is not None:
            extra["access_method"] = through.group(1)
        flow = _FROM_TO.search(text)
        if flow is not None:
            event.source = _endpoint(flow.group("src"), flow.group("sport"))
            event.destination = _endpoint(flow.group("dst"), flow.group("dport"))
            if flow.group("proto"):
                event.network = Network(transport=flow.group("proto").lower())
        elif (ip_word := _IP_WORD.search(text)) is not None:
            event.source = _endpoint(ip_word.group(1), None)
        if "login" in lowered or "logout" in lowered or "logined" in lowered:
            info.category = [C_AUTHENTICATION]
            failed = "fail" in lowered
            info.type = [T_END if "logout" in lowered else T_START]
            info.outcome = O_FAILURE if failed else O_SUCCESS
            info.action = "logout" if "logout" in lowered else "login"
            if through is not None:
                event.network = event.network or Network()
                event.network.protocol = through.group(1).lower()
        elif log_type == "Configuration" or (module == "MGMT" and quoted is not None and "@" in text[:80]):
            info.category = [C_CONFIGURATION]
            last = text.rstrip(" .").rsplit(", ", 1)[-1].strip()
            info.type = [_CONFIG_VERBS.get(last, T_CHANGE)]
            info.action = last if last.isalpha() else None
            if quoted is not None and text[quoted.end() : quoted.end() + 1] == "@":
                access = text[quoted.end() + 1 :].split(",", 1)[0].strip()
                if access:
                    extra["access_method"] = access
        elif module in ("NET", "FLOW"):
            info.category = [C_NETWORK]
            info.type = [T_INFO]
        else:
            info.category = [C_HOST]
            info.type = [T_INFO]
