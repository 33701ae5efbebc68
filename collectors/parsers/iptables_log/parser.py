"""``iptables.log``: Linux netfilter ``LOG`` target lines (iptables, ip6tables, nftables, UFW).

Shape (after any syslog header, usually ``kernel:``)::

    [12345.678901] <log prefix>IN=eth0 OUT= MAC=dst:src:type SRC=a DST=b LEN= TOS= PREC= TTL= ID= DF
        PROTO=TCP SPT= DPT= WINDOW= RES= SYN URGP=0 [MARK= UID= GID=]

IPv6 has ``TC= HOPLIMIT= FLOWLBL=`` instead of ``TOS/PREC/TTL/ID``; ICMP has ``TYPE= CODE=`` (and
``ID= SEQ=`` for echo); an ICMP error quotes the offending packet as ``[SRC=… ]``, which is kept
as ``netfilter.iptables.icmp_payload``. The kernel's uptime stamp ``[12345.678]`` is kept as
``netfilter.iptables.kernel_time`` (it is not a wall clock: ``@timestamp`` comes from the syslog header).

The log prefix is whatever the administrator configured (``DROP``, ``[UFW BLOCK]``,
``iptables DROP_INPUT:``; OpenWrt ``DROP(src wan)``; Ubiquiti ``[WAN_IN-default-D]``). Its first
verdict word (drop, reject, block, deny, accept, allow …) becomes ``event.action`` and decides
``allowed``/``denied``; the prefix itself is ``rule.name``. Ubiquiti prefixes
``[<in zone>-<out zone>-<rule>-<A|D|R>]`` give the rule set, rule number, zones and verdict.
A prefix without a verdict word leaves the decision open (``event.action`` is the prefix, or
``log`` when there is none). When syslogd took the prefix for the program name (``DENY: IN=``),
that name is the prefix.
"""

from __future__ import annotations

import functools
import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    ALLOW_WORDS,
    DENY_WORDS,
    IANA_TRANSPORTS,
    canonical_ip,
    count,
    finish,
    header_time,
    new_event,
    port,
)
from collectors.parsers.vendor import add_related_ips, firewall_verdict, not_ours, set_observer, vendor_fields
from soc_core.events import Endpoint, Event, Interface, Network, ObserverSide, Rule
from soc_core.records import RawRecord
from soc_core.vocabulary import EventType

VENDOR, PRODUCT = "Netfilter", "iptables"
NAMESPACE = ("netfilter", "iptables")  # vendor fields: netfilter.iptables.*

_START = re.compile(r"IN=[^ ]* OUT=")
_KERNEL_TIME = re.compile(r"\s*\[\s*(\d+\.\d+)\]\s*")
_UBIQUITI = re.compile(r"\[(?P<set>[^\[\]]*)-(?P<num>[^\[\]\-]*)-(?P<act>[ADR])\]")
_UBIQUITI_VERDICTS = {"A": "accept", "D": "drop", "R": "reject"}
_WORDS = re.compile(r"[A-Za-z]+")
_CJK_DENY = tuple(word for word in sorted(DENY_WORDS) if not word.isascii())
_CJK_ALLOW = tuple(word for word in sorted(ALLOW_WORDS) if not word.isascii())
_PAIR = re.compile(r"(?:^| )([A-Za-z0-9_]+)=([^ ]*)")
# bare words: IP fragment flags (CE DF MF), then TCP flags
_FLAG = re.compile(r" (CE|DF|MF|CWR|ECE|URG|ACK|PSH|RST|SYN|FIN)(?= |$)")
_IP_FLAGS = frozenset({"CE", "DF", "MF"})
# KEY= → (name under netfilter.iptables.*, decimal number?) for the IP header and the transport
_IP_KEYS: dict[str, tuple[str, bool]] = {
    "TTL": ("ttl", True),
    "HOPLIMIT": ("ttl", True),
    "FLOWLBL": ("flow_label", True),
    "ID": ("id", True),
    "TOS": ("tos", False),
    "TC": ("tos", False),
    "PREC": ("precedence_bits", False),
    "PHYSIN": ("physical_in", False),
    "PHYSOUT": ("physical_out", False),
}
_L4_KEYS: dict[str, tuple[str, bool]] = {
    "LEN": ("udp_length", True),
    "WINDOW": ("tcp_window", True),
    "URGP": ("tcp_urgp", True),
    "TYPE": ("icmp_type", True),
    "CODE": ("icmp_code", True),
    "ID": ("icmp_id", True),
    "RES": ("tcp_reserved_bits", False),
    "SEQ": ("sequence", False),
    "ACK": ("ack_number", False),
    "MARK": ("mark", False),
    "UID": ("uid", False),
    "GID": ("gid", False),
    "SPI": ("spi", False),
    "PARAMETER": ("icmp_parameter", False),
    "GATEWAY": ("icmp_gateway", False),
    "MTU": ("icmp_mtu", False),
}
# the kernel caps a log prefix at 29 characters; a longer one is not a netfilter prefix (and must
# not fill the memo below with huge keys)
_PREFIX_MAX = 128
_ETHER_TYPES = {"08:00": "ipv4", "86:dd": "ipv6"}


def _mac(parts: list[str]) -> str:
    """ECS MAC notation: upper case, hyphen-separated."""
    return "-".join(parts).upper()


def _verdict(prefix: str) -> tuple[str | None, str | None]:
    """(verdict word, allowed/denied) from the first verdict word of the log prefix."""
    for word in _WORDS.findall(prefix):
        lowered = word.lower()
        if lowered in DENY_WORDS:
            return lowered, EventType.DENIED.value
        if lowered in ALLOW_WORDS:
            return lowered, EventType.ALLOWED.value
    if not prefix.isascii():  # Chinese prefixes ("拒绝入站"): the verdict word sits inside a longer word
        for word in _CJK_DENY:
            if word in prefix:
                return word, EventType.DENIED.value
        for word in _CJK_ALLOW:
            if word in prefix:
                return word, EventType.ALLOWED.value
    return None, None


# (action word, allowed/denied, rule.id, rule.name, (ingress zone, egress zone))
_Meaning = tuple[str, str | None, str | None, str | None, tuple[str, str] | None]


@functools.lru_cache(maxsize=4096)
def _prefix_meaning(prefix: str) -> _Meaning:
    """What a log prefix says; memoised, as a handful of prefixes repeat on every line."""
    ubiquiti = _UBIQUITI.search(prefix)
    if ubiquiti is not None:
        word = _UBIQUITI_VERDICTS[ubiquiti.group("act")]
        rule_set = ubiquiti.group("set")
        zones = rule_set.split("-")
        pair = (zones[0], zones[1]) if len(zones) == 2 and all(zones) else None
        return word, _verdict(word)[1], ubiquiti.group("num") or None, rule_set or None, pair
    found, decision = _verdict(prefix)
    name = prefix.strip("[]: ") or None
    return found or name or "log", decision, None, name, None


class IptablesParser(Parser):
    """``iptables.log``: one event per logged packet."""

    dataset: ClassVar[str] = "iptables.log"

    def sniff(self, envelope: Envelope) -> bool:
        """``IN=<if> OUT=<if>`` and ``SRC=``: the netfilter LOG layout."""
        message = envelope.message
        return "SRC=" in message and "OUT=" in message and _START.search(message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Prefix, then the ``KEY=value`` list and bare flags of the packet."""
        message = envelope.message
        start = _START.search(message)
        if start is None or "SRC=" not in message:
            raise not_ours(record, "netfilter LOG (IN= OUT= SRC=)")
        vendor: dict[str, Any] = {}
        prefix = message[: start.start()]
        stamp = _KERNEL_TIME.match(prefix)
        if stamp is not None:
            vendor["kernel_time"] = float(stamp.group(1))
            prefix = prefix[stamp.end() :]
        prefix = prefix.strip()
        header = envelope.syslog
        if not prefix and header is not None and header.appname not in (None, "kernel"):
            prefix = header.appname  # "DENY: IN=…": syslogd read the log prefix as the program name
        body = message[start.start() :]
        inner = body.find(" [SRC=")
        if inner >= 0:
            vendor["icmp_payload"] = body[inner + 2 :].rstrip(" ]")
            body = body[:inner]

        # The IP header's keys, then (from PROTO= on) the transport's: LEN= and ID= appear in both.
        cut = body.find(" PROTO=")
        head, tail = (body, "") if cut < 0 else (body[:cut], body[cut:])
        values = dict(_PAIR.findall(head))
        l4 = dict(_PAIR.findall(tail))
        flags = _FLAG.findall(body)
        ip_flags = [flag for flag in flags if flag in _IP_FLAGS]
        tcp_flags = [flag for flag in flags if flag not in _IP_FLAGS]
        source_ip = canonical_ip(values.get("SRC", ""))
        destination_ip = canonical_ip(values.get("DST", ""))
        if source_ip is None and destination_ip is None:
            raise not_ours(record, "netfilter LOG (no valid SRC=/DST= address)")

        event = new_event(header_time(envelope, record))
        observer = set_observer(event, vendor=VENDOR, product=PRODUCT, type_="firewall")
        source = Endpoint(ip=source_ip, port=port(l4["SPT"]) if "SPT" in l4 else None)
        destination = Endpoint(ip=destination_ip, port=port(l4["DPT"]) if "DPT" in l4 else None)
        mac = values.get("MAC", "").split(":")
        network = Network(type=("ipv6" if ":" in (source_ip or destination_ip or "") else "ipv4"))
        if len(mac) >= 12:
            destination.mac, source.mac = _mac(mac[:6]), _mac(mac[6:12])
            if len(mac) >= 14:
                network.type = _ETHER_TYPES.get(":".join(mac[12:14]).lower(), network.type)
        event.source, event.destination = source, destination
        ingress, egress = values.get("IN", ""), values.get("OUT", "")
        if ingress:
            observer.ingress = ObserverSide(interface=Interface(name=ingress))
        if egress:
            observer.egress = ObserverSide(interface=Interface(name=egress))
        if ingress and not egress:
            network.direction = "ingress"
        elif egress and not ingress:
            network.direction = "egress"

        proto = l4.get("PROTO", "").lower()
        if proto.isdigit():
            network.iana_number = proto
            network.transport = IANA_TRANSPORTS.get(proto)
        elif proto in ("icmpv6", "ipv6-icmp"):
            network.transport = "ipv6-icmp"
        elif proto:
            network.transport = proto
        length = count(values.get("LEN", ""))
        if length is not None:
            network.bytes, network.packets = length, 1
        event.network = network

        self._decide(event, prefix if len(prefix) <= _PREFIX_MAX else prefix[:_PREFIX_MAX], vendor)
        self._keep(values, l4, vendor)
        if ip_flags:
            vendor["fragment_flags"] = ip_flags
        if tcp_flags:
            vendor["tcp_flags"] = tcp_flags
        add_related_ips(event)
        vendor_fields(event, *NAMESPACE, vendor)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _decide(event: Event, prefix: str, vendor: dict[str, Any]) -> None:
        """Verdict, ``event.action`` and ``rule.*`` from the log prefix."""
        word, decision, rule_id, rule_name, zones = _prefix_meaning(prefix)
        if rule_id or rule_name:
            event.rule = Rule(id=rule_id, name=rule_name)
        observer = event.observer
        if zones is not None and observer is not None:
            ingress, egress = observer.ingress, observer.egress
            observer.ingress = ObserverSide(zone=zones[0], interface=ingress.interface if ingress else None)
            observer.egress = ObserverSide(zone=zones[1], interface=egress.interface if egress else None)
        firewall_verdict(event.event, word, decision=decision)
        if prefix:
            vendor["log_prefix"] = prefix

    @staticmethod
    def _keep(values: dict[str, str], l4: dict[str, str], vendor: dict[str, Any]) -> None:
        """Packet details ECS has no field for, under ``netfilter.iptables.*``."""
        other: dict[str, str] = {}
        for keys, found in ((_IP_KEYS, values), (_L4_KEYS, l4)):
            for key, value in found.items():
                spec = keys.get(key)
                if spec is None:
                    if key not in _ECS_KEYS and value:
                        other[key.lower()] = value
                elif spec[1]:  # a decimal number
                    if value.isdigit():
                        vendor[spec[0]] = int(value)
                elif value:
                    vendor[spec[0]] = value
        if other:
            vendor["other"] = other


_ECS_KEYS = frozenset({"IN", "OUT", "MAC", "SRC", "DST", "LEN", "PROTO", "SPT", "DPT"})
