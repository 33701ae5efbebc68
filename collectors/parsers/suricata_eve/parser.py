"""``suricata.eve``: Suricata EVE JSON, one object per record (optionally after a syslog header).

Every ``event_type`` is accepted. The common part maps to ECS (``timestamp`` → ``@timestamp``,
the 5-tuple, ``proto`` → ``network.transport``, ``app_proto`` → ``network.protocol``,
``community_id``, ``in_iface`` → ``observer.ingress.interface.name``, ``host`` →
``observer.hostname``), and so do the objects we know:

* ``alert`` (also inside ``drop``): an intrusion (``event.kind: alert``); ``rule.name`` =
  signature, ``rule.id`` = signature_id, ``rule.version`` = rev, ``rule.category`` = category
  (when Suricata logs none: the ET ``former_category`` metadata, else the category word of an
  ``ET``/``ETPRO``/``GPL`` signature name); ``alert.action`` ``blocked``/``allowed`` → denied/allowed;
  ``alert.severity`` (Suricata priority, 1 = most severe) → ``event.severity``: 1 → 4 (high),
  2 → 3 (medium), 3 → 2 (low), 4 and above → 1 (informational); ``metadata.mitre_*`` →
  ``threat.*``, ``metadata.cve`` and CVE ids in the signature → ``vulnerability.id``;
* ``flow`` / ``netflow``: to_server counters → ``source.bytes/packets``, to_client →
  ``destination.*``, totals in ``network.*``, ``start``/``end`` → ``event.start/end/duration``;
* ``dns`` (v1, v2, v3 and the alert form): question, ``rcode``, ``answers``, ``resolved_ip``,
  header flags, op code; ``http``: ``url.*``, method, status, user agent, referrer, body length;
  ``tls``: SNI, version, JA3/JA3S/JA4, certificate subject/issuer/validity;
  ``fileinfo``: ``file.*`` with hashes; ``ether`` MACs; ``krb5``/``smb`` NTLMSSP user names.

Whatever is not mapped stays under ``suricata.eve.*`` nested as Suricata wrote it (objects
we only partly map — ``ether``, ``krb5``, ``smb`` — are kept whole). ``stats`` events are
``event.kind: metric``; ``drop`` without an alert is a denied connection. Times without an
offset are device-local (``timezone_of``); certificate validity times are UTC, as Suricata
writes them.

Speed: one typed ``msgspec`` decode into the Structs of ``shapes`` (a line with a key they do
not list takes a lossless generic fallback); ``http``/``dns``/``tls``/``fileinfo`` are mapped
in ``objects``. EVE is first in ``AUTO_ORDER``, so ``sniff`` turns every non-JSON record away
on its first character.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import IANA_TRANSPORTS, canonical_ip, finish, header_time, timezone_of
from collectors.parsers.json_depth import MAX_JSON_DEPTH, too_deep
from collectors.parsers.suricata_eve.objects import (
    map_dns,
    map_ether,
    map_fileinfo,
    map_http,
    map_tls,
    map_user,
    put,
    sides,
)
from collectors.parsers.suricata_eve.shapes import (
    DECODER,
    GENERIC,
    Alert,
    Eve,
    Flow,
    Netflow,
    collect_passthrough,
    collector,
    fit,
)
from collectors.parsers.timeparse import zone
from collectors.parsers.vendor import firewall_verdict, intrusion, not_ours
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    Interface,
    Network,
    Observer,
    ObserverSide,
    Related,
    Rule,
    Threat,
    ThreatTactic,
    ThreatTechnique,
    Vulnerability,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventKind

DATASET = "suricata.eve"
UTC = dt.UTC
# Deeper JSON is refused (as json.log does): serialising it later would hit recursion limits.
MAX_DEPTH = MAX_JSON_DEPTH

# Suricata priority → event.severity (1 is Suricata's most severe).
_SEVERITY: dict[int, int] = {1: 4, 2: 3, 3: 2}

# Event types that name an application protocol (network.protocol when app_proto is absent).
APP_PROTOCOLS: frozenset[str] = frozenset(
    {
        "bittorrent_dht",
        "dcerpc",
        "dhcp",
        "dnp3",
        "dns",
        "enip",
        "ftp",
        "ftp_data",
        "http",
        "http2",
        "ike",
        "krb5",
        "ldap",
        "modbus",
        "mqtt",
        "nfs",
        "pgsql",
        "pop3",
        "quic",
        "rdp",
        "rfb",
        "sip",
        "smb",
        "smtp",
        "snmp",
        "ssh",
        "tftp",
        "tls",
        "websocket",
    }
)
EVENT_TYPES: frozenset[str] = APP_PROTOCOLS | {
    "alert",
    "anomaly",
    "drop",
    "engine",
    "fileinfo",
    "flow",
    "frame",
    "netflow",
    "stats",
    "arp",
}
# event_type → (event.category, event.type) for the types that are not alerts or drops.
_KINDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "flow": (("network",), ("connection", "end")),
    "netflow": (("network",), ("connection", "end")),
    "http": (("network", "web"), ("access", "protocol")),
    "fileinfo": (("network", "file"), ("info",)),
}
_PROTOCOL_KIND: tuple[tuple[str, ...], tuple[str, ...]] = (("network",), ("protocol",))
_OTHER_KIND: tuple[tuple[str, ...], tuple[str, ...]] = (("network",), ("info",))
# app_proto words that are not a protocol name
_NOT_PROTOCOLS = frozenset({"failed", "unknown", ""})
_BEFORE_JSON = frozenset(" \t\r\n@")
_CVE = re.compile(r"CVE[-_ ]?(\d{4})[-_](\d{4,7})", re.IGNORECASE | re.ASCII)
_ET_PREFIXES = ("ET ", "ETPRO ", "GPL ", "ETOPEN ")
_MITRE = {
    "mitre_technique_id": ("technique", "id"),
    "mitre_technique_name": ("technique", "name"),
    "mitre_tactic_id": ("tactic", "id"),
    "mitre_tactic_name": ("tactic", "name"),
}
# Fields of the mapped objects that ECS has no place for: kept under suricata.eve.<object>.
_ALERT_REST = collector(("gid", "tenant_id", "source", "target", "rule", "xff", "references"))
_FLOW_REST = collector(
    (
        "age",
        "state",
        "reason",
        "alerted",
        "bypass",
        "bypassed",
        "emergency",
        "action",
        "exception_policy",
        "wrong_thread",
        "tx_cnt",
        "elephant",
        "src_ip",
        "dest_ip",
        "src_port",
        "dest_port",
    )
)
_NETFLOW_REST = collector(("age", "min_ttl", "max_ttl", "tx_cnt"))
_ALERT_ALL = tuple(f for f in Alert.__struct_fields__)
_collect_alert_all = collector(_ALERT_ALL)


def _json_text(message: str) -> str | None:
    """The JSON object of the message (after an optional ``@cee:`` prefix), or None."""
    first = message[:1]
    if first == "{":
        return message
    if first not in _BEFORE_JSON:  # every other record of an --format auto stream ends here
        return None
    text = message.lstrip()
    if text.startswith("@cee:"):
        text = text[5:].lstrip()
    return text if text.startswith("{") else None




def _intrusion_stamps() -> dict[tuple[bool | None, bool], tuple[Any, tuple[str, ...], tuple[str, ...], Any]]:
    """What ``intrusion()`` stamps for each (blocked, web), computed once: alerts are the hot path."""
    table: dict[tuple[bool | None, bool], tuple[Any, tuple[str, ...], tuple[str, ...], Any]] = {}
    for blocked in (True, False, None):
        for web in (True, False):
            scratch = EventInfo()
            intrusion(scratch, blocked=blocked, web=web)
            table[blocked, web] = (
                scratch.kind,
                tuple(scratch.category or ()),
                tuple(scratch.type or ()),
                scratch.outcome,
            )
    return table


_INTRUSION = _intrusion_stamps()
_MICROSECOND = dt.timedelta(microseconds=1)


def _utc(value: dt.datetime, record: RawRecord) -> dt.datetime | None:
    """An EVE time in UTC; naive times are device-local. None when out of range."""
    try:
        if value.tzinfo is None:
            value = value.replace(tzinfo=zone(timezone_of(record)))
        return value.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


# in_iface → observer.ingress, shared by the events of one interface (a box has a handful):
# two Structs less per line. Safe because nothing changes an ObserverSide once it is set
# (grep: only iptables_log writes ingress/egress fields, on sides it made itself).
_ingress_cache: dict[str, ObserverSide] = {}


def _ingress(name: str) -> ObserverSide:
    side = _ingress_cache.get(name)
    if side is None:
        side = ObserverSide(interface=Interface(name=name))
        if len(_ingress_cache) < 256:
            _ingress_cache[name] = side
    return side


_transport_cache: dict[str, str | None] = {}


def _transport(proto: str) -> str | None:
    found = _transport_cache.get(proto, "")
    if found != "":
        return found
    word = proto.strip().lower()
    name = IANA_TRANSPORTS.get(word) if word.isdigit() else (word or None)
    if len(_transport_cache) < 256:
        _transport_cache[proto] = name
    return name


class SuricataEveParser(Parser):
    """``suricata.eve``."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """A JSON object with a Suricata ``event_type`` near the start and a ``timestamp``."""
        text = envelope.message
        if not text.startswith("{"):
            if text[:1] not in _BEFORE_JSON:  # first in AUTO_ORDER: every record comes here
                return False
            found = _json_text(text)
            if found is None:
                return False
            text = found
        at = text.find('"event_type":')  # (str.find with bounds costs more than without)
        if at < 0 or at > 512 or '"timestamp":' not in text:
            return False
        if text[at + 13 : at + 48].partition('"')[2].partition('"')[0] in EVENT_TYPES:
            return True
        # a type we do not list (a newer Suricata): still EVE when it has the flow fields
        return '"flow_id":' in text or '"src_ip":' in text

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per EVE object."""
        text = _json_text(envelope.message)
        if text is None:
            raise not_ours(record, "Suricata EVE JSON")
        vendor: dict[str, Any]
        try:
            eve = DECODER.decode(text)
            vendor = {}
        except msgspec.ValidationError:
            eve, vendor = self._fallback(text, record)
        except (msgspec.DecodeError, RecursionError) as exc:
            raise ParseError(
                f"not valid JSON: {exc}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
            ) from None
        # Cheap bound first: nesting cannot exceed the number of opening brackets.
        if too_deep(text, lambda: GENERIC.decode(text)):
            raise ParseError(
                f"JSON nested deeper than {MAX_DEPTH} levels",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        if not eve.event_type:
            raise ParseError(
                "JSON without an event_type string: not a Suricata EVE record",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        return [finish(_build(eve, vendor, envelope, record), envelope, record, DATASET)]

    @staticmethod
    def _fallback(text: str, record: RawRecord) -> tuple[Eve, dict[str, Any]]:
        try:
            doc = GENERIC.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise ParseError(
                f"not valid JSON: {exc}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
            ) from None
        if not isinstance(doc, dict):
            raise ParseError(
                f"JSON {type(doc).__name__} where an object was expected",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        return fit(doc)


# -- building the event ----------------------------------------------------------------------


def _build(eve: Eve, vendor: dict[str, Any], envelope: Envelope, record: RawRecord) -> Event:
    etype = eve.event_type or ""
    raw_time, stamp = eve.timestamp, None
    if raw_time is not None:
        try:  # EVE times carry their offset: the fast path
            stamp = raw_time.astimezone(UTC) if raw_time.tzinfo is not None else _utc(raw_time, record)
        except (OverflowError, ValueError):
            stamp = None
        if stamp is None:
            vendor["timestamp"] = raw_time.isoformat()
    info = EventInfo()
    observer = Observer(vendor="OISF", product="Suricata", type="ids")
    event = Event(
        timestamp=stamp if stamp is not None else header_time(envelope, record),
        event=info,
        observer=observer,
    )
    if eve.host:
        ip = canonical_ip(eve.host)
        if ip is None:
            observer.hostname = eve.host
        else:
            observer.ip = [ip]
    if eve.in_iface:
        observer.ingress = _ingress(eve.in_iface)

    # the 5-tuple (inline: this runs for every line)
    related: list[str] = []
    raw, port = eve.src_ip, eve.src_port
    if raw is not None or port is not None:
        ip = None
        if raw is not None:
            ip = canonical_ip(raw)
            if ip is None:
                vendor["src_ip"] = raw
            else:
                related.append(ip)
        if port is not None and not 0 <= port <= 65_535:
            vendor["src_port"], port = port, None
        if ip is not None or port is not None:
            event.source = Endpoint(ip=ip, port=port)
    raw, port = eve.dest_ip, eve.dest_port
    if raw is not None or port is not None:
        ip = None
        if raw is not None:
            ip = canonical_ip(raw)
            if ip is None:
                vendor["dest_ip"] = raw
            elif not related or related[0] != ip:
                related.append(ip)
        if port is not None and not 0 <= port <= 65_535:
            vendor["dest_port"], port = port, None
        if ip is not None or port is not None:
            event.destination = Endpoint(ip=ip, port=port)
    transport = protocol = None
    if eve.proto is not None:
        transport = _transport(eve.proto)
        if transport is None:
            vendor["proto"] = eve.proto
    if eve.app_proto is not None:
        word = eve.app_proto.lower()
        if word in _NOT_PROTOCOLS:
            vendor["app_proto"] = eve.app_proto
        else:
            protocol = word
    if protocol is None and etype in APP_PROTOCOLS:
        protocol = etype
    if transport is not None or protocol is not None or eve.community_id is not None:
        event.network = Network(transport=transport, protocol=protocol, community_id=eve.community_id)

    if eve.flow is not None:
        _flow(eve.flow, event, vendor, record)
    if eve.netflow is not None:
        _netflow(eve.netflow, event, vendor, record)
    if eve.http is not None:
        map_http(eve.http, event, vendor)
    if eve.dns is not None:
        map_dns(eve.dns, event, vendor)
    if eve.tls is not None:
        map_tls(eve.tls, event, vendor)
    if eve.fileinfo is not None:
        map_fileinfo(eve.fileinfo, event, vendor)
    collect_passthrough(eve, vendor)
    if eve.ether is not None:
        map_ether(eve.ether, event, vendor)
    if eve.krb5 is not None or eve.smb is not None:
        map_user(eve, event)

    alert = eve.alert
    if alert is not None and (etype == "alert" or etype == "drop" or alert.signature_id is not None):
        # a drop event: the packet was dropped whatever the alert's action says
        _alert(alert, event, vendor, web=eve.http is not None, blocked=True if etype == "drop" else None)
    elif alert is not None:
        rest: dict[str, Any] = {}
        _collect_alert_all(alert, rest)
        put(vendor, "alert", rest)
    if info.kind is None:
        if etype == "drop":
            firewall_verdict(info, "drop")
        else:
            kind = _KINDS.get(etype)
            if kind is None:
                kind = _PROTOCOL_KIND if etype in APP_PROTOCOLS else _OTHER_KIND
            info.category, info.type = list(kind[0]), list(kind[1])
            info.action = etype
            if etype == "stats":
                info.kind = EventKind.METRIC.value
    if related:
        event.related = Related(ip=related)
    if vendor:
        event.extra = {"suricata": {"eve": vendor}}
    return event


def _span(
    info: EventInfo,
    start: dt.datetime | None,
    end: dt.datetime | None,
    rest: dict[str, Any],
    record: RawRecord,
) -> None:
    """``event.start/end/duration`` from a flow's times (kept in ``rest`` when out of range)."""
    if start is not None:
        info.start = _utc(start, record)
        if info.start is None:
            rest["start"] = start.isoformat()
    if end is not None:
        info.end = _utc(end, record)
        if info.end is None:
            rest["end"] = end.isoformat()
    if info.start is not None and info.end is not None and info.end >= info.start:
        info.duration = (info.end - info.start) // _MICROSECOND * 1000


def _flow(flow: Flow, event: Event, vendor: dict[str, Any], record: RawRecord) -> None:
    rest: dict[str, Any] = {}
    _FLOW_REST(flow, rest)
    sp, sb, dp, db = flow.pkts_toserver, flow.bytes_toserver, flow.pkts_toclient, flow.bytes_toclient
    if (sp is not None and sp < 0) or (sb is not None and sb < 0):  # not a count: keep it as it is
        rest["pkts_toserver"], rest["bytes_toserver"], sp, sb = sp, sb, None, None
    if (dp is not None and dp < 0) or (db is not None and db < 0):
        rest["pkts_toclient"], rest["bytes_toclient"], dp, db = dp, db, None, None
    source, destination = sides(event)
    source.packets, source.bytes, destination.packets, destination.bytes = sp, sb, dp, db
    network = event.network
    if network is None:
        network = event.network = Network()
    if sb is not None and db is not None:
        network.bytes = sb + db
    if sp is not None and dp is not None:
        network.packets = sp + dp
    _span(event.event, flow.start, flow.end, rest, record)
    if rest:
        put(vendor, "flow", rest)


def _netflow(flow: Netflow, event: Event, vendor: dict[str, Any], record: RawRecord) -> None:
    # a netflow record is one direction: from source to destination
    rest: dict[str, Any] = {}
    _NETFLOW_REST(flow, rest)
    packets, size = flow.pkts, flow.bytes
    if (packets is not None and packets < 0) or (size is not None and size < 0):
        rest["pkts"], rest["bytes"], packets, size = packets, size, None, None
    source, _ = sides(event)
    source.packets, source.bytes = packets, size
    network = event.network
    if network is None:
        network = event.network = Network()
    network.packets, network.bytes = packets, size
    _span(event.event, flow.start, flow.end, rest, record)
    if rest:
        put(vendor, "netflow", rest)


def _alert(alert: Alert, event: Event, vendor: dict[str, Any], *, web: bool, blocked: bool | None) -> None:
    info = event.event
    action = alert.action
    if blocked is None:
        blocked = True if action == "blocked" else False if action == "allowed" else None
    kind, categories, types, outcome = _INTRUSION[blocked, web]
    info.kind, info.category, info.type, info.outcome = kind, list(categories), list(types), outcome
    info.action = action or "alert"
    rest: dict[str, Any] = {}
    _ALERT_REST(alert, rest)
    severity = alert.severity
    if severity is not None:
        if severity >= 1:
            info.severity = _SEVERITY.get(severity, 1)
        else:
            rest["severity"] = severity
    signature = alert.signature or None
    category = alert.category or None
    if alert.category == "":
        rest["category"] = ""
    metadata = alert.metadata
    cves: list[str] = []
    if metadata:
        metadata, category_hint = _metadata(metadata, event, cves)
        if metadata:
            rest["metadata"] = metadata
        if category is None:
            category = category_hint
    if signature is not None:
        if category is None and signature.startswith(_ET_PREFIXES):
            word = signature.split(" ", 2)[1:2]
            category = word[0] if word and word[0].isupper() else None
        if "CVE" in signature or "cve" in signature:
            cves.extend(f"CVE-{year}-{number}" for year, number in _CVE.findall(signature))
    if cves:
        event.vulnerability = Vulnerability(id=list(dict.fromkeys(cves)))
    event.rule = Rule(
        id=None if alert.signature_id is None else str(alert.signature_id),
        name=signature,
        category=category,
        version=None if alert.rev is None else str(alert.rev),
    )
    if rest:
        put(vendor, "alert", rest)


def _metadata(
    metadata: dict[str, list[str]], event: Event, cves: list[str]
) -> tuple[dict[str, list[str]], str | None]:
    """Map ATT&CK and CVE metadata; return the rest and a category hint (ET former_category).

    The decoder has checked the shape (every value a list of strings).
    """
    rest = dict(metadata)  # most keys are kept as they are: copy, then take out what maps
    technique: dict[str, list[str]] = {}
    tactic: dict[str, list[str]] = {}
    for key, (target, field) in _MITRE.items():
        values = rest.get(key)
        if values:
            del rest[key]
            (technique if target == "technique" else tactic)[field] = values
    values = rest.get("cve")
    if values:
        found = [f"CVE-{y}-{n}" for v in values for y, n in _CVE.findall(v)]
        cves.extend(found)
        if len(found) == len(values):
            del rest["cve"]
    if technique or tactic:
        event.threat = Threat(
            framework="MITRE ATT&CK",
            technique=ThreatTechnique(**technique) if technique else None,
            tactic=ThreatTactic(**tactic) if tactic else None,
        )
    former = rest.get("former_category")
    return rest, former[0] if former else None
