"""``topsec.tos``: Topsec (天融信) TOS / NGFW firewalls, WELF-like ``key=value`` records.

Shape: ``id=tos time="YYYY-MM-DD hh:mm:ss" fw=<device name> pri=<0-7> type=<log type> …``; values
are bare (up to the next blank) or double-quoted. TOS sometimes writes a bare value with a blank
(``proto=unknown proto``): the first word is the value, the record keeps the rest. Types handled:

* ``mgmt`` (``user= src= op= result= recorder= msg=``): an administrator's configuration change;
  ``result=0`` is success, anything else failure; ``msg`` is the command.
* ``system`` (``op="logout"`` …) and ``sv_netacc`` (SSL VPN ``op=connect``): session/login events.
* ``ac`` (access control: ``recorder= src= dst= sport= dport= smac= dmac= proto= indev= outdev=
  user= rule=accept|deny connid= … natid= policyid= [policyname=] msg=``): a firewall decision.
* ``conn`` (``src= dst= proto= sport= dport= inpkt= outpkt= sent= rcvd= duration= connid=``): a
  connection summary; ``inpkt``/``sent`` are the initiator's packets/bytes.
* ``avse`` (anti-virus: ``virus_name= virus_deal=``) and ``dpi`` (content filter: ``filter=
  action=forbid``): detections (alert; ``rule.name`` = the virus or the filter, ``rule.category`` =
  ``virus`` or ``dpi``; ``malware`` or ``intrusion_detection``) with ``url``/``method``/``filename``.
  ``virus_deal``/``action`` delete/forbid/… mean the content was stopped.
* anything else: addresses, ports, user and verdict picked up generically.

``time`` is device-local; ``pri`` is the syslog level 0-7 → ``event.severity``; ``fw`` is
``observer.name``; ``user=`` holding an address (no authenticated user) stays a vendor field.
Values ``null``, ``N/A`` and empty mean none. The rest stays under ``topsec.tos.*``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    count,
    finish,
    port,
    sanitize_key,
    severity,
)
from collectors.parsers.vendor import (
    add_counters,
    add_related_ips,
    event_at,
    firewall_verdict,
    not_ours,
    set_observer,
    verdict_of,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    File,
    Http,
    HttpRequest,
    Interface,
    Network,
    ObserverSide,
    Rule,
    Url,
    User,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import (
    DeadLetterReason,
    EventCategory,
    EventKind,
    EventOutcome,
    EventType,
)

VENDOR, PRODUCT = "topsec", "tos"
# key=value pairs: values double-quoted, or bare up to the next blank. A bare value with a blank
# in it (TOS writes "proto=unknown proto") keeps its first word; the record keeps the rest.
_PAIR = re.compile(r'(?<!\S)(\w{1,64})=(?:"([^"]*)"|(\S*))')
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
C_CONFIGURATION = EventCategory.CONFIGURATION.value
C_HOST = EventCategory.HOST.value
C_INTRUSION_DETECTION = EventCategory.INTRUSION_DETECTION.value
C_MALWARE = EventCategory.MALWARE.value
C_NETWORK = EventCategory.NETWORK.value
C_SESSION = EventCategory.SESSION.value
K_ALERT = EventKind.ALERT.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
O_UNKNOWN = EventOutcome.UNKNOWN.value
T_ALLOWED = EventType.ALLOWED.value
T_CHANGE = EventType.CHANGE.value
T_DENIED = EventType.DENIED.value
T_END = EventType.END.value
T_INFO = EventType.INFO.value
T_START = EventType.START.value
_NONE = frozenset({"", "null", "NULL", "N/A", "n/a", "none", "-"})
_BLOCK_WORDS = frozenset({"forbid", "delete", "deny", "drop", "block", "reject", "quarantine", "kill"})


def _mac(value: str) -> str | None:
    digits = value.replace(":", "").replace("-", "").replace(".", "").upper()
    if len(digits) != 12 or digits == "000000000000" or not all(c in "0123456789ABCDEF" for c in digits):
        return None
    return "-".join(digits[i : i + 2] for i in range(0, 12, 2))


def _url(text: str) -> Url:
    scheme: str | None = None
    rest = text
    if "://" in text[:12]:
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
    host, slash, path_query = rest.partition("/")
    path, _, query = (slash + path_query).partition("?")
    domain, _, port_text = host.partition(":") if host.count(":") == 1 else (host, "", "")
    return Url(
        original=text,
        scheme=scheme,
        domain=domain or None,
        port=port(port_text) if port_text else None,
        path=path or None,
        query=query or None,
    )


class TopsecParser(Parser):
    """``topsec.tos``: ``id=tos time="…" fw=… pri=… type=…`` records."""

    dataset: ClassVar[str] = "topsec.tos"

    def sniff(self, envelope: Envelope) -> bool:
        """``id=tos`` then ``fw=`` near the start (``id=tos`` is TOS's fixed record marker)."""
        message = envelope.message
        at = message.find("id=tos ", 0, 64)
        return at >= 0 and (at == 0 or message[at - 1] in " \t]:") and message.find(" fw=", at, at + 96) > 0

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        at = message.find("id=tos ", 0, 64)
        if at < 0:
            raise not_ours(record, "Topsec TOS (id=tos …)")
        # one C-level pass; a repeated key keeps its last value
        values = {key: quoted or bare for key, quoted, bare in _PAIR.findall(message[at:])}
        if "type" not in values:
            raise ParseError(
                "Topsec TOS record without its type= field (truncated?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        pop = values.pop
        event = event_at(values, "time", envelope, record)
        info = event.event
        level = pop("pri", "")
        if level:
            info.severity = severity(level)
            if info.severity is None:
                values["pri"] = level

        source = self._endpoint(pop("src", ""), pop("sport", ""), pop("smac", ""))
        destination = self._endpoint(pop("dst", ""), pop("dport", ""), pop("dmac", ""))
        network = Network()
        proto = pop("proto", "").lower()
        if proto in TRANSPORT_NAMES:
            network.transport = proto
        elif proto in IANA_TRANSPORTS:
            network.iana_number, network.transport = proto, IANA_TRANSPORTS[proto]
        elif proto not in _NONE and not proto.startswith("unknow"):
            network.protocol = proto  # dpi/avse records name the application protocol (smtp, http)
        elif proto:
            values["proto"] = proto
        sent, rcvd = count(pop("sent", "")), count(pop("rcvd", ""))
        inpkt, outpkt = count(pop("inpkt", "")), count(pop("outpkt", ""))
        source, destination = add_counters(
            source,
            destination,
            network,
            sent=sent,
            received=rcvd,
            sent_packets=inpkt,
            received_packets=outpkt,
        )
        event.source, event.destination = source, destination
        if network != Network():
            event.network = network
        duration = pop("duration", "")
        if duration.isdigit() and len(duration) <= 10:
            info.duration = int(duration) * 1_000_000_000

        user = pop("user", "") or pop("usr", "")
        if user not in _NONE:
            if canonical_ip(user) is None:
                event.user = User(name=user)
            else:  # no authenticated user: TOS writes the host's address
                values["user"] = user
        policy_id, policy_name = pop("policyid", ""), pop("policyname", "")
        if policy_id not in _NONE or policy_name not in _NONE:
            event.rule = Rule(
                id=policy_id if policy_id not in _NONE else None,
                name=policy_name if policy_name not in _NONE else None,
            )
        msg = pop("msg", "")
        if msg not in _NONE:
            event.message = msg
        url = pop("url", "")
        if url not in _NONE:
            event.url = _url(url)
        method = pop("method", "")
        if method not in _NONE:
            event.http = Http(request=HttpRequest(method=method.upper()))
        filename = pop("filename", "")
        if filename not in _NONE:
            event.file = File(name=filename)

        observer = set_observer(event, vendor="Topsec", product="TOS", type_="firewall", name=pop("fw", ""))
        indev, outdev = pop("indev", ""), pop("outdev", "")
        if indev not in _NONE:
            observer.ingress = ObserverSide(interface=Interface(name=indev))
        if outdev not in _NONE:
            observer.egress = ObserverSide(interface=Interface(name=outdev))

        self._classify(event, values)
        extra: dict[str, Any] = {}
        for key, value in values.items():
            if value not in _NONE:
                clean = sanitize_key(key)
                if clean:
                    extra.setdefault(clean, value)
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _endpoint(ip_text: str, port_text: str, mac_text: str) -> Endpoint | None:
        ip = canonical_ip(ip_text) if ip_text else None
        number = port(port_text) if port_text else None
        mac = _mac(mac_text) if mac_text else None
        if ip is None and number is None and mac is None:
            return None
        return Endpoint(ip=ip, port=number, mac=mac)

    @staticmethod
    def _classify(event: Event, values: dict[str, str]) -> None:
        info = event.event
        kind = values.get("type", "")
        op = values.get("op", "")
        result = values.get("result", "")
        if result:
            info.outcome = O_SUCCESS if result in ("0", "success", "成功") else O_FAILURE
        if kind == "ac":
            rule_word = values.pop("rule", "")
            firewall_verdict(info, rule_word or None)
            return
        if kind == "conn":
            firewall_verdict(info, None)
            info.action = "conn"
            return
        if kind == "mgmt":
            info.category = [C_CONFIGURATION]
            info.type = [T_CHANGE]
            info.action = op or values.get("recorder") or kind
            return
        if kind in ("system", "sv_netacc") or op in ("login", "logout", "connect"):
            info.category = [C_AUTHENTICATION, C_SESSION]
            info.type = [T_END if op == "logout" else T_START]
            info.action = op or kind
            return
        if kind in ("avse", "av", "dpi", "ips"):
            name = values.pop("virus_name", "") or values.get("filter", "") or kind
            deal = values.pop("virus_deal", "") or values.pop("action", "")
            info.kind = K_ALERT
            categories = [C_NETWORK]
            if kind in ("avse", "av"):
                categories.insert(0, C_MALWARE)
            else:
                categories.append(C_INTRUSION_DETECTION)
            info.category = categories
            blocked = deal.lower() in _BLOCK_WORDS
            info.type = [T_INFO, T_DENIED if blocked else T_ALLOWED]
            info.outcome = O_FAILURE if blocked else O_UNKNOWN
            info.action = deal or kind
            rule = event.rule or Rule()
            rule.name, rule.category = name, "virus" if kind in ("avse", "av") else kind
            event.rule = rule
            return
        word = values.pop("action", "") or values.get("rule", "")
        if event.source is not None or event.destination is not None:
            firewall_verdict(info, word or None, decision=verdict_of(word) if word else None)
            info.action = info.action or kind
            return
        info.category = [C_HOST]
        info.type = [T_INFO]
        info.action = word or kind or None
