"""``pfsense.log``: pfSense / OPNsense packet filter log (``filterlog``), the documented CSV.

After the syslog header (BSD ``Jan 22 18:34:00 [host] filterlog[pid]:`` or the RFC 5424 header of
pfSense 2.6+) the message is one CSV record::

    rule,subrule,anchor,tracker,interface,reason,action,direction,ipversion,
    IPv4: tos,ecn,ttl,id,offset,flags,protocol-id,protocol-text,length,source,destination,
    IPv6: class,flow-label,hop-limit,protocol-text,protocol-id,length,source,destination,
    then per protocol: tcp  sport,dport,datalength,flags,seq,ack,window,urg,options
                       udp  sport,dport,datalength
                       icmp type,… (request/reply: id,seq; unreachport: dst,proto,port; …)
                       carp type,ttl,vhid,version,advbase,advskew

``action`` (pass, block, reject) is ``event.action`` and the verdict; ``direction`` in/out is
``network.direction`` ingress/egress and names the side of the interface; ``tracker`` (the
rule's stable id) is ``rule.id``. Everything else ECS lacks goes under ``netgate.pfsense.*``.
OPNsense writes a 32-hex rule label in the tracker column: those lines say observer
``Deciso``/``OPNsense`` (the dataset stays ``pfsense.log``).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    canonical_ip,
    count,
    finish,
    header_time,
    new_event,
    port,
)
from collectors.parsers.vendor import add_related_ips, firewall_verdict, not_ours, set_observer, vendor_fields
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, Interface, Network, ObserverSide, Rule
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason

NAMESPACE = ("netgate", "pfsense")
# rule,subrule,anchor,tracker,interface,reason,action,direction,ipversion
_SHAPE = re.compile(r"\d*,[^,]*,[^,]*,[^,]*,[^,]+,[a-z-]+,[a-z-]+,(?:in|out),[46],")
_TAG = re.compile(r"filterlog(?:\[\d+\])?:\s*")
_HEX32 = re.compile(r"[0-9a-f]{32}")
_TRANSPORT_NAMES = {"icmp6": "ipv6-icmp", "ipv6-icmp": "ipv6-icmp", "icmpv6": "ipv6-icmp"}
_TCP_KEYS = ("data_length", "tcp_flags", "tcp_sequence", "tcp_ack", "tcp_window", "tcp_urg", "tcp_options")
_ICMP_KEYS: dict[str, tuple[str, ...]] = {
    "request": ("icmp_id", "icmp_sequence"),
    "reply": ("icmp_id", "icmp_sequence"),
    "unreachproto": ("icmp_destination_ip", "icmp_unreachable_protocol"),
    "unreachport": ("icmp_destination_ip", "icmp_unreachable_protocol", "icmp_unreachable_port"),
    "needfrag": ("icmp_destination_ip", "icmp_mtu"),
    "tstamp": ("icmp_id", "icmp_sequence"),
    "tstampreply": ("icmp_id", "icmp_sequence", "icmp_otime", "icmp_rtime", "icmp_ttime"),
}
_CARP_KEYS = ("carp_type", "carp_ttl", "carp_vhid", "carp_version", "carp_advbase", "carp_advskew")
_INT_VALUES = frozenset(
    {
        "ttl",
        "ip_id",
        "ip_offset",
        "data_length",
        "tcp_window",
        "icmp_id",
        "icmp_sequence",
        "icmp_mtu",
        "carp_ttl",
        "carp_vhid",
        "carp_version",
        "carp_advbase",
        "carp_advskew",
        "hop_limit",
        "icmp_unreachable_port",
    }
)


def _strip_tag(message: str) -> str:
    """The CSV record: ``filterlog[pid]:`` is dropped when no syslog header took it."""
    if message.startswith("filterlog"):
        tag = _TAG.match(message)
        if tag is not None:
            return message[tag.end() :]
    return message


class PfsenseParser(Parser):
    """``pfsense.log``: one event per filterlog record."""

    dataset: ClassVar[str] = "pfsense.log"

    def sniff(self, envelope: Envelope) -> bool:
        """A ``filterlog`` program, or the first nine columns of its CSV."""
        header = envelope.syslog
        if header is not None and header.appname == "filterlog":
            return True
        return _SHAPE.match(_strip_tag(envelope.message)) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Split the CSV; the IP version and protocol decide what the later columns mean."""
        text = _strip_tag(envelope.message).strip()
        cols = text.split(",")
        if len(cols) < 9 or cols[7] not in ("in", "out") or cols[8] not in ("4", "6"):
            raise not_ours(record, "pfSense filterlog CSV")
        rule_no, subrule, anchor, tracker, iface, reason, action, direction, version = cols[:9]
        vendor: dict[str, Any] = {"rule_number": rule_no, "sub_rule": subrule, "anchor": anchor}
        if version == "4":
            if len(cols) < 20:
                raise self._short(record, "IPv4", len(cols))
            tos, ecn, ttl, ip_id, offset, flags, proto_id, proto, length, src, dst = cols[9:20]
            vendor.update(tos=tos, ecn=ecn, ttl=ttl, ip_id=ip_id, ip_offset=offset, ip_flags=flags)
            rest = cols[20:]
        else:
            if len(cols) < 17:
                raise self._short(record, "IPv6", len(cols))
            tclass, flow, hop, proto, proto_id, length, src, dst = cols[9:17]
            vendor.update(traffic_class=tclass, flow_label=flow, hop_limit=hop)
            rest = cols[17:]
        source_ip, destination_ip = canonical_ip(src), canonical_ip(dst)
        if source_ip is None or destination_ip is None:
            raise ParseError(
                f"pfSense filterlog: invalid address {src if source_ip is None else dst!r}",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )

        event = new_event(header_time(envelope, record))
        opnsense = _HEX32.fullmatch(tracker) is not None
        observer = set_observer(
            event,
            vendor="Deciso" if opnsense else "Netgate",
            product="OPNsense" if opnsense else "pfSense",
            type_="firewall",
        )
        side = ObserverSide(interface=Interface(name=iface)) if iface else None
        if direction == "in":
            observer.ingress = side
        else:
            observer.egress = side
        source, destination = Endpoint(ip=source_ip), Endpoint(ip=destination_ip)
        event.source, event.destination = source, destination

        proto = proto.lower()
        transport = _TRANSPORT_NAMES.get(proto) or IANA_TRANSPORTS.get(proto_id) or proto or None
        network = Network(
            transport=transport,
            iana_number=proto_id if proto_id.isdigit() else None,
            direction="ingress" if direction == "in" else "egress",
            type="ipv4" if version == "4" else "ipv6",
            bytes=count(length),
            packets=1,
        )
        event.network = network
        if transport in ("tcp", "udp") and len(rest) >= 2:
            source.port, destination.port = port(rest[0]), port(rest[1])
            keys = _TCP_KEYS if transport == "tcp" else ("data_length",)
            vendor.update(zip(keys, rest[2:], strict=False))
            if transport == "tcp" and len(rest) > 2 + len(_TCP_KEYS):
                vendor["tcp_options"] = ",".join(rest[2 + len(_TCP_KEYS) - 1 :])
        elif rest and rest[0].startswith("datalength="):  # icmp/igmp/… without type details
            vendor["data_length"] = rest[0][11:]
            if len(rest) > 1:
                vendor["protocol_data"] = ",".join(rest[1:])
        elif transport in ("icmp", "ipv6-icmp") and rest:
            kind = rest[0]
            vendor["icmp_type"] = kind
            names = _ICMP_KEYS.get(kind)
            if names is not None:
                vendor.update(zip(names, rest[1:], strict=False))
            elif len(rest) > 1:
                vendor["icmp_description"] = ",".join(rest[1:])
        elif transport == "carp" or proto_id == "112":
            vendor.update(zip(_CARP_KEYS, rest, strict=False))
        elif rest:
            vendor["protocol_data"] = ",".join(rest)

        info = event.event
        firewall_verdict(info, action)
        if reason:
            info.reason = reason
        if tracker or rule_no:
            event.rule = Rule(id=tracker or rule_no)
        add_related_ips(event)
        for key in _INT_VALUES & vendor.keys():
            value = vendor[key]
            if isinstance(value, str) and value.isdigit():
                vendor[key] = int(value)
        vendor_fields(event, *NAMESPACE, vendor)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _short(record: RawRecord, what: str, found: int) -> ParseError:
        return ParseError(
            f"pfSense filterlog: {what} record with only {found} columns",
            where=record.where,
            reason=DeadLetterReason.PARSE_ERROR.value,
        )
