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
in ``objects``; each ECS field set is made with all its values in one call, the event last.
EVE is first in ``AUTO_ORDER``, so ``sniff`` turns every non-JSON record away on its first
character.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar, Final

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import IANA_TRANSPORTS, canonical_ip, finish, header_time, timezone_of
from collectors.parsers.json_depth import MAX_JSON_DEPTH, brackets_over, depth
from collectors.parsers.structs import FieldCopier
from collectors.parsers.suricata_eve.objects import (
    map_dns,
    map_ether,
    map_fileinfo,
    map_http,
    map_tls,
    map_user,
    put,
)
from collectors.parsers.suricata_eve.shapes import (
    DECODER,
    GENERIC,
    PASSTHROUGH_FIELDS,
    Alert,
    Eve,
    Flow,
    Netflow,
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

DATASET: Final = "suricata.eve"
UTC: Final = dt.UTC
# Deeper JSON is refused (as json.log does): serialising it later would hit recursion limits.
MAX_DEPTH: Final = MAX_JSON_DEPTH

# Suricata priority → event.severity (1 is Suricata's most severe).
_SEVERITY: Final[dict[int, int]] = {1: 4, 2: 3, 3: 2}

# Event types that name an application protocol (network.protocol when app_proto is absent).
APP_PROTOCOLS: Final[frozenset[str]] = frozenset(
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
EVENT_TYPES: Final[frozenset[str]] = APP_PROTOCOLS | {
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
_KINDS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "flow": (("network",), ("connection", "end")),
    "netflow": (("network",), ("connection", "end")),
    "http": (("network", "web"), ("access", "protocol")),
    "fileinfo": (("network", "file"), ("info",)),
}
_PROTOCOL_KIND: Final[tuple[tuple[str, ...], tuple[str, ...]]] = (("network",), ("protocol",))
_OTHER_KIND: Final[tuple[tuple[str, ...], tuple[str, ...]]] = (("network",), ("info",))
# app_proto words that are not a protocol name
_NOT_PROTOCOLS: Final = frozenset({"failed", "unknown", ""})
_BEFORE_JSON: Final = frozenset(" \t\r\n@")
_CVE: Final = re.compile(r"CVE[-_ ]?(\d{4})[-_](\d{4,7})", re.IGNORECASE | re.ASCII)
_ET_PREFIXES: Final = ("ET ", "ETPRO ", "GPL ", "ETOPEN ")
# ET metadata keys mapped to threat.technique.* / threat.tactic.*
_MITRE_KEYS: Final = ("mitre_technique_id", "mitre_technique_name", "mitre_tactic_id", "mitre_tactic_name")
# Fields of the mapped objects that ECS has no place for: kept under suricata.eve.<object>.
_ALERT_REST: Final = FieldCopier(Alert, ("gid", "tenant_id", "source", "target", "rule", "xff", "references"))
_FLOW_REST: Final = FieldCopier(
    Flow,
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
    ),
)
_NETFLOW_REST: Final = FieldCopier(Netflow, ("age", "min_ttl", "max_ttl", "tx_cnt"))
_ALERT_ALL: Final = tuple(f for f in Alert.__struct_fields__)
_ALERT_ALL_FIELDS: Final = FieldCopier(Alert, _ALERT_ALL)


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


_INTRUSION: Final = _intrusion_stamps()
_MICROSECOND: Final = dt.timedelta(microseconds=1)


def _utc(value: dt.datetime, record: RawRecord) -> dt.datetime | None:
    """An EVE time in UTC; naive times are device-local. None when out of range."""
    try:
        offset = value.tzinfo
        if offset is None:
            return value.replace(tzinfo=zone(timezone_of(record))).astimezone(UTC)
        epochs = _epochs.get(offset)
        if epochs is None:
            if type(offset) is not dt.timezone:
                return value.astimezone(UTC)
            epochs = _epochs_in(offset)
        return epochs[1] + (value - epochs[0])
    except (OverflowError, ValueError):
        return None


# The decoder gives times with a fixed offset (one shared ``timezone`` per offset). Within
# one offset a difference is plain arithmetic, so the UTC time is the offset's epoch in UTC
# plus the time since that epoch: the same result as ``astimezone(UTC)`` at less than half
# its cost, and the event, flow start and flow end of every line need it.
_epochs: Final[dict[dt.tzinfo, tuple[dt.datetime, dt.datetime]]] = {}


def _epochs_in(offset: dt.timezone) -> tuple[dt.datetime, dt.datetime]:
    """(1970-01-01 00:00 at ``offset``, the same instant in UTC), kept for the next line."""
    epoch = dt.datetime(1970, 1, 1, tzinfo=offset)
    epochs = (epoch, epoch.astimezone(UTC))
    if len(_epochs) < 64:
        _epochs[offset] = epochs
    return epochs


# in_iface → observer.ingress, shared by the events of one interface (a box has a handful):
# two Structs less per line. Safe because nothing changes an ObserverSide once it is set
# (grep: only iptables_log writes ingress/egress fields, on sides it made itself).
_ingress_cache: Final[dict[str, ObserverSide]] = {}


def _ingress(name: str) -> ObserverSide:
    side = _ingress_cache.get(name)
    if side is None:
        side = ObserverSide(interface=Interface(name=name))
        if len(_ingress_cache) < 256:
            _ingress_cache[name] = side
    return side


_transport_cache: Final[dict[str, str | None]] = {}


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
    strict_json: ClassVar[bool] = True  # msgspec reads the whole record; no other path

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
        text = envelope.message
        if not text.startswith("{"):  # a prefix before the object: the rare case
            found = _json_text(text)
            if found is None:
                raise not_ours(record, "Suricata EVE JSON")
            text = found
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
        # too_deep's two steps inline: no closure made per line, the bound counted once.
        if brackets_over(text, MAX_DEPTH) and depth(GENERIC.decode(text), MAX_DEPTH) > MAX_DEPTH:
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
    """The event of one EVE object; every field set is made whole, then the event in one call
    (setting a field of a made Struct costs several times more than passing it)."""
    etype = eve.event_type or ""
    raw_time = eve.timestamp
    stamp = None
    if raw_time is not None:
        stamp = _utc(raw_time, record)
        if stamp is None:
            vendor["timestamp"] = raw_time.isoformat()
    hostname = observer_ip = ingress = None
    if eve.host:
        ip = canonical_ip(eve.host)
        if ip is None:
            hostname = eve.host
        else:
            observer_ip = [ip]
    name = eve.in_iface
    if name:
        ingress = _ingress_cache.get(name) or _ingress(name)

    # the 5-tuple
    related: list[str] = []
    src_ip = dst_ip = None
    raw, src_port = eve.src_ip, eve.src_port
    if raw is not None:
        src_ip = canonical_ip(raw)
        if src_ip is None:
            vendor["src_ip"] = raw
        else:
            related.append(src_ip)
    if src_port is not None and not 0 <= src_port <= 65_535:
        vendor["src_port"], src_port = src_port, None
    raw, dst_port = eve.dest_ip, eve.dest_port
    if raw is not None:
        dst_ip = canonical_ip(raw)
        if dst_ip is None:
            vendor["dest_ip"] = raw
        elif not related or related[0] != dst_ip:
            related.append(dst_ip)
    if dst_port is not None and not 0 <= dst_port <= 65_535:
        vendor["dest_port"], dst_port = dst_port, None
    transport = protocol = None
    proto = eve.proto
    if proto is not None:
        transport = _transport_cache.get(proto, "")
        if transport == "":
            transport = _transport(proto)
        if transport is None:
            vendor["proto"] = proto
    app_proto = eve.app_proto
    if app_proto is not None:
        word = app_proto.lower()
        if word in _NOT_PROTOCOLS:
            vendor["app_proto"] = app_proto
        else:
            protocol = word
    if protocol is None and etype in APP_PROTOCOLS:
        protocol = etype

    # flow counters and times (a flow or netflow record gives the event both endpoints)
    counts = times = None
    if eve.flow is not None:
        counts, times = _flow(eve.flow, vendor, record)
    if eve.netflow is not None:
        counts, times = _netflow(eve.netflow, vendor, record, counts, times)
    url = http = agent = dns = tls = file = user = None
    if eve.http is not None:
        url, http, agent = map_http(eve.http, vendor)
    if eve.dns is not None:
        dns = map_dns(eve.dns, vendor)
    if eve.tls is not None:
        tls = map_tls(eve.tls, vendor)
    if eve.fileinfo is not None:
        file = map_fileinfo(eve.fileinfo, vendor)
    PASSTHROUGH_FIELDS.copy(eve, vendor)
    src_mac = dst_mac = None
    if eve.ether is not None:
        src_mac, dst_mac = map_ether(eve.ether, vendor)
    if eve.krb5 is not None or eve.smb is not None:
        user = map_user(eve)

    source = destination = network = None
    src_bytes, src_packets, dst_bytes, dst_packets, net_bytes, net_packets = counts or _NO_COUNTS
    both = counts is not None or src_mac is not None or dst_mac is not None
    if both or src_ip is not None or src_port is not None:
        source = Endpoint(ip=src_ip, port=src_port, mac=src_mac, bytes=src_bytes, packets=src_packets)
    if both or dst_ip is not None or dst_port is not None:
        destination = Endpoint(ip=dst_ip, port=dst_port, mac=dst_mac, bytes=dst_bytes, packets=dst_packets)
    community_id = eve.community_id
    if counts is not None or transport is not None or protocol is not None or community_id is not None:
        network = Network(
            transport=transport,
            protocol=protocol,
            community_id=community_id,
            bytes=net_bytes,
            packets=net_packets,
        )

    rule = vulnerability = threat = None
    alert = eve.alert
    if alert is not None and (etype == "alert" or etype == "drop" or alert.signature_id is not None):
        # a drop event: the packet was dropped whatever the alert's action says
        info, rule, vulnerability, threat = _alert(
            alert, vendor, times, web=eve.http is not None, drop=etype == "drop"
        )
    else:
        if alert is not None:
            rest: dict[str, Any] = {}
            _ALERT_ALL_FIELDS.copy(alert, rest)
            put(vendor, "alert", rest)
        info = _info(etype, times)
    # At most 15 keywords: with more, CPython passes them in a dict, and the call costs 4x.
    event = Event(
        timestamp=stamp if stamp is not None else header_time(envelope, record),
        event=info,
        observer=Observer(
            vendor="OISF", product="Suricata", type="ids", hostname=hostname, ip=observer_ip, ingress=ingress
        ),
        source=source,
        destination=destination,
        network=network,
        rule=rule,
        url=url,
        http=http,
        user_agent=agent,
        dns=dns,
        tls=tls,
        file=file,
        related=Related(ip=related) if related else None,
        extra={"suricata": {"eve": vendor}} if vendor else None,
    )
    if user is not None:
        event.user = user
    if vulnerability is not None:
        event.vulnerability = vulnerability
    if threat is not None:
        event.threat = threat
    return event


# (start, end, duration) of a flow; counters: source bytes and packets, destination bytes and
# packets, network bytes and packets.
_Times = tuple[dt.datetime | None, dt.datetime | None, int | None]
_Counts = tuple[int | None, int | None, int | None, int | None, int | None, int | None]


def _info(etype: str, times: _Times | None) -> EventInfo:
    """``event.*`` of an event that is not a detection."""
    start, end, duration = times if times is not None else _NO_TIMES
    if etype == "drop":
        info = EventInfo(start=start, end=end, duration=duration)
        firewall_verdict(info, "drop")
        return info
    kind = _KINDS.get(etype)
    if kind is None:
        kind = _PROTOCOL_KIND if etype in APP_PROTOCOLS else _OTHER_KIND
    return EventInfo(
        kind=EventKind.METRIC.value if etype == "stats" else None,
        category=list(kind[0]),
        type=list(kind[1]),
        action=etype,
        start=start,
        end=end,
        duration=duration,
    )


_NO_TIMES: Final[_Times] = (None, None, None)
_NO_COUNTS: Final[_Counts] = (None, None, None, None, None, None)


def _span(
    start: dt.datetime | None,
    end: dt.datetime | None,
    rest: dict[str, Any],
    record: RawRecord,
    times: _Times | None,
) -> _Times:
    """``event.start/end/duration`` from a flow's times (kept in ``rest`` when out of range);
    ``times`` are those of an earlier flow object of the same record."""
    first, last, duration = times if times is not None else _NO_TIMES
    if start is not None:
        first = _utc(start, record)
        if first is None:
            rest["start"] = start.isoformat()
    if end is not None:
        last = _utc(end, record)
        if last is None:
            rest["end"] = end.isoformat()
    if first is not None and last is not None and last >= first:
        duration = (last - first) // _MICROSECOND * 1000
    return first, last, duration


def _flow(flow: Flow, vendor: dict[str, Any], record: RawRecord) -> tuple[_Counts, _Times]:
    rest: dict[str, Any] = {}
    _FLOW_REST.copy(flow, rest)
    sp, sb, dp, db = flow.pkts_toserver, flow.bytes_toserver, flow.pkts_toclient, flow.bytes_toclient
    if (sp is not None and sp < 0) or (sb is not None and sb < 0):  # not a count: keep it as it is
        rest["pkts_toserver"], rest["bytes_toserver"], sp, sb = sp, sb, None, None
    if (dp is not None and dp < 0) or (db is not None and db < 0):
        rest["pkts_toclient"], rest["bytes_toclient"], dp, db = dp, db, None, None
    counts = (
        sb,
        sp,
        db,
        dp,
        sb + db if sb is not None and db is not None else None,
        sp + dp if sp is not None and dp is not None else None,
    )
    times = _span(flow.start, flow.end, rest, record, None)
    if rest:
        put(vendor, "flow", rest)
    return counts, times


def _netflow(
    flow: Netflow, vendor: dict[str, Any], record: RawRecord, counts: _Counts | None, times: _Times | None
) -> tuple[_Counts, _Times]:
    # a netflow record is one direction: from source to destination
    rest: dict[str, Any] = {}
    _NETFLOW_REST.copy(flow, rest)
    packets, size = flow.pkts, flow.bytes
    if (packets is not None and packets < 0) or (size is not None and size < 0):
        rest["pkts"], rest["bytes"], packets, size = packets, size, None, None
    # (after a flow object, the destination keeps the flow's counters)
    to_client = (counts[2], counts[3]) if counts is not None else (None, None)
    times = _span(flow.start, flow.end, rest, record, times)
    if rest:
        put(vendor, "netflow", rest)
    return (size, packets, *to_client, size, packets), times


def _alert(
    alert: Alert, vendor: dict[str, Any], times: _Times | None, *, web: bool, drop: bool
) -> tuple[EventInfo, Rule, Vulnerability | None, Threat | None]:
    action = alert.action
    if drop:
        blocked: bool | None = True
    else:
        blocked = True if action == "blocked" else False if action == "allowed" else None
    kind, categories, types, outcome = _INTRUSION[blocked, web]
    rest: dict[str, Any] = {}
    _ALERT_REST.copy(alert, rest)
    severity = alert.severity
    if severity is not None and severity < 1:
        rest["severity"] = severity
    signature = alert.signature or None
    category = alert.category or None
    if alert.category == "":
        rest["category"] = ""
    metadata = alert.metadata
    cves: list[str] = []
    threat = None
    if metadata:
        metadata, category_hint, threat = _metadata(metadata, cves)
        if metadata:
            rest["metadata"] = metadata
        if category is None:
            category = category_hint
    if signature is not None:
        if category is None and signature.startswith(_ET_PREFIXES):
            word = signature.split(" ", 2)[1:2]
            category = word[0] if word and word[0].isupper() else None
        if "CVE" in signature or "cve" in signature:
            cves += _cve_ids(signature)
    if rest:
        put(vendor, "alert", rest)
    start, end, duration = times if times is not None else _NO_TIMES
    info = EventInfo(
        kind=kind,
        category=list(categories),
        type=list(types),
        action=action or "alert",
        outcome=outcome,
        severity=_SEVERITY.get(severity, 1) if severity is not None and severity >= 1 else None,
        start=start,
        end=end,
        duration=duration,
    )
    rule = Rule(
        id=None if alert.signature_id is None else str(alert.signature_id),
        name=signature,
        category=category,
        version=None if alert.rev is None else str(alert.rev),
    )
    vulnerability = None
    if cves:
        vulnerability = Vulnerability(id=cves if len(cves) == 1 else list(dict.fromkeys(cves)))
    return info, rule, vulnerability, threat


def _metadata(
    metadata: dict[str, list[str]], cves: list[str]
) -> tuple[dict[str, list[str]], str | None, Threat | None]:
    """Map ATT&CK and CVE metadata (CVE ids added to ``cves``); return the rest, a category
    hint (ET former_category) and the threat.

    The decoder has checked the shape (every value a list of strings).
    """
    rest = dict(metadata)  # most keys are kept as they are: copy, then take out what maps
    threat = None
    if not rest.keys().isdisjoint(_MITRE_KEYS):
        mitre: dict[str, list[str]] = {}
        for key in _MITRE_KEYS:
            values = rest.get(key)
            if values:
                del rest[key]
                mitre[key] = values
        if mitre:
            threat = _threat(mitre)
    values = rest.get("cve")
    if values:
        found: list[str] = []
        for value in values:
            found += _cve_ids(value)
        cves += found
        if len(found) == len(values):
            del rest["cve"]
    former = rest.get("former_category")
    return rest, former[0] if former else None, threat


def _threat(mitre: dict[str, list[str]]) -> Threat:
    """``threat.*`` from the ``mitre_*`` metadata of a rule."""
    technique_id, technique_name = mitre.get("mitre_technique_id"), mitre.get("mitre_technique_name")
    tactic_id, tactic_name = mitre.get("mitre_tactic_id"), mitre.get("mitre_tactic_name")
    return Threat(
        framework="MITRE ATT&CK",
        technique=ThreatTechnique(id=technique_id, name=technique_name)
        if technique_id or technique_name
        else None,
        tactic=ThreatTactic(id=tactic_id, name=tactic_name) if tactic_id or tactic_name else None,
    )


# CVE ids found in a signature or a metadata value: rules repeat, and so do their texts.
_cve_cache: Final[dict[str, tuple[str, ...]]] = {}


def _cve_ids(text: str) -> tuple[str, ...]:
    """The CVE ids in ``text``, written ``CVE-YYYY-NNNN``."""
    ids = _cve_cache.get(text)
    if ids is None:
        ids = tuple(f"CVE-{year}-{number}" for year, number in _CVE.findall(text))
        if len(_cve_cache) < 4096 and len(text) <= 512:
            _cve_cache[text] = ids
    return ids
