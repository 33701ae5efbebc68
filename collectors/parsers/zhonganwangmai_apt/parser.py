"""``zhonganwangmai.apt``: alerts of the 中安网脉 (Zhongan Wangmai) APT detection sensor.

Attribution: the lines come from a government network's log collector, whose parser for them
names the source "中安网脉-apt" and lists the columns (36 real lines' worth of shape; no vendor
manual was found). The syslog tag is ``apt``.

Shape (after ``<PRI>Mmm dd hh:mm:ss host apt: ``): the device's local time
``YYYY-MM-DD hh:mm:ss``, then tab-separated columns, ``null`` for none:

====  =====================================  ====  ==========================================
 1    time, epoch milliseconds                19   kill-chain phase (``scan-detect`` …)
 2    sensor name (``ATD``; some versions     20   payload, base64 (the request as seen)
      leave this column out)                  21   response, base64
 3    sensor address                          22   severity 1-5 (信息 轻微 一般 重要 严重)
 4    engine (``NDE``, ``AIS``)               23   reliability
 5    alert id                                24   malware family
 6    capture interface                       25   object (a hash, a host, a sentence)
 7    threat id                               26   details, ``key:value;`` (``method``,
 8    class (``web-attack``, ``scan`` …)            ``status_code``, ``host``, ``uri``, ``query``,
 9    threat type (``weak-password`` …)             ``qtype_name``, ``duration``, ``sample`` …)
 10   threat name                             27   description (the rule's own name)
 11   source address, 12 port, 13 service     28   source country, 29 city, 30 "lat,lon",
 14   destination address, 15 port, 16             31 ISO code
      service                                 32   destination country … 35 ISO code
 17   transport, 18 application protocol
====  =====================================  ====  ==========================================

An alert of a detection sensor (it does not block): ``event.kind: alert``, categories network
and intrusion_detection (and web for HTTP), outcome unknown. ``rule.name`` is the description
(else the threat name or type), ``rule.category`` the class (else the threat type),
``rule.id`` the threat id, ``event.action`` the threat type (else the kill-chain phase). Details
and the decoded payload give ``url.*``, ``http.*``, ``user_agent.original`` and
``dns.question.*``, and a scan's sampled targets go to ``related.ip``; the decoded payload is
kept, bounded, as
``zhonganwangmai.apt.payload_printable``. The sensor stamps its own location on inside
addresses (RFC 1918, CGNAT, loopback, link-local, ULA), so ``source.geo``/``destination.geo``
are taken only for the others (the columns are kept either way). A line cut short (syslog
relays cut long lines) keeps what it has and is marked ``zhonganwangmai.apt.truncated``; one
cut before the destination port is refused.
"""

from __future__ import annotations

import binascii
import datetime as dt
import functools
import ipaddress
import re
from typing import Any, ClassVar, Final

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    TRANSPORT_NAMES,
    canonical_ip,
    finish,
    header_time,
    new_event,
    port,
    timezone_of,
)
from collectors.parsers.huawei_usg.vrp import make_url
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from collectors.parsers.vendor import add_related_ips, intrusion, not_ours, request_head, set_observer
from soc_core.errors import ParseError
from soc_core.events import (
    Dns,
    DnsQuestion,
    Endpoint,
    Event,
    Geo,
    Http,
    HttpRequest,
    HttpResponse,
    Interface,
    Network,
    ObserverSide,
    Related,
    Rule,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason

__all__ = ["ZhonganAptParser"]

VENDOR, PRODUCT = "zhonganwangmai", "apt"
DATASET: Final = "zhonganwangmai.apt"
COLUMNS: Final = 36  # with the sensor name; the device time is column 0
_SHAPE: Final = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t")  # the device time, a tab
_SNIFF: Final = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\t\d{13}\t")  # and the epoch in ms
_NONE: Final = frozenset({"", "null", "NULL", "-"})
_NOT_PROTOCOLS: Final = frozenset({"other", "unknown"})
_HTTP_PROTOCOLS: Final = frozenset({"http", "https"})
_BASE64_PREFIX: Final = re.compile(rb"[A-Za-z0-9+/]*")
_HEAD_FIELDS: Final = ("host", "user-agent", "x-forwarded-for", "x-real-ip")
_PRINTABLE_MAX: Final = 4096  # characters of a decoded payload kept as a vendor field
# column index (sensor name present) → vendor field name, for the columns ECS has no place for
_VENDOR_COLUMNS: Final = (
    (2, "sensor"),
    (4, "engine"),
    (13, "source_service"),
    (16, "destination_service"),
    (19, "kill_chain"),
    (23, "reliability"),
    (24, "family"),
    (25, "object"),
    (30, "source_location"),
    (34, "destination_location"),
)


def _value(columns: list[str], index: int) -> str | None:
    if index >= len(columns):
        return None
    value = columns[index].strip()
    return None if value in _NONE else value


def _details(text: str | None) -> dict[str, str]:
    """``key:value;key:value;`` → dict (the first ``:`` splits; values keep later colons)."""
    found: dict[str, str] = {}
    if text is None:
        return found
    for part in text.split(";"):
        key, sep, value = part.partition(":")
        key = key.strip()
        if sep and key and value.strip():
            found.setdefault(key, value.strip())
    return found


def _decoded(payload: str | None) -> str | None:
    """The payload as text, or None when it is not base64 (a payload cut short with its line
    is read up to its last whole group)."""
    if payload is None:
        return None
    data = payload.encode("ascii", errors="replace")
    try:
        raw = binascii.a2b_base64(data, strict_mode=True)
    except (binascii.Error, ValueError):
        prefix = _BASE64_PREFIX.match(data)
        whole = 0 if prefix is None else prefix.end() - prefix.end() % 4
        if whole < 16:  # too little to be a payload cut short
            return None
        raw = binascii.a2b_base64(data[:whole], strict_mode=True)
    return raw.decode("utf-8", errors="replace")


# The sensor stamps its own location on the addresses of the inside network.
_INSIDE: Final = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "169.254.0.0/16", "fc00::/7", "fe80::/10", "::1/128",
    )
)  # fmt: skip


@functools.lru_cache(maxsize=4096)
def _inside(ip: str) -> bool:
    address = ipaddress.ip_address(ip)
    return any(address in net for net in _INSIDE if net.version == address.version)


def _geo(columns: list[str], first: int, ip: str | None) -> Geo | None:
    if ip is None or _inside(ip):
        return None
    geo = Geo(
        country_name=_value(columns, first),
        city_name=_value(columns, first + 1),
        country_iso_code=_value(columns, first + 3),
    )
    return None if geo == Geo() else geo


def _endpoint(columns: list[str], at: int, geo_at: int, vendor: dict[str, Any], name: str) -> Endpoint | None:
    raw_ip, raw_port = _value(columns, at), _value(columns, at + 1)
    ip = canonical_ip(raw_ip) if raw_ip is not None else None
    number = port(raw_port) if raw_port is not None else None
    if raw_ip is not None and ip is None:
        vendor[f"{name}_ip"] = raw_ip
    if raw_port is not None and number is None:
        vendor[f"{name}_port"] = raw_port
    if ip is None and number is None:
        return None
    endpoint = Endpoint(ip=ip, port=number)
    endpoint.geo = _geo(columns, geo_at, ip)
    return endpoint


def _timestamp(
    columns: list[str], envelope: Envelope, record: RawRecord, vendor: dict[str, Any]
) -> dt.datetime:
    millis = columns[1]
    if millis.isdigit() and len(millis) == 13:
        return from_posix(int(millis) / 1000)
    vendor["time_ms"] = millis
    try:
        stamp = resolve_timestamp(columns[0], received_at=record.received_at, tz=timezone_of(record))
    except ValueError:
        stamp = None
    return stamp or header_time(envelope, record)


def _web(event: Event, details: dict[str, str], payload: str | None, vendor: dict[str, Any]) -> bool:
    """``url``/``http``/``user_agent`` from the details and the payload; True when any was found.

    The client behind a proxy (``X-Forwarded-For``, ``X-Real-IP``) is kept and added to
    ``related.ip``: the attack's source when the sensor sits behind a reverse proxy."""
    forwarded: list[str] = []
    head = request_head(payload, _HEAD_FIELDS) if payload is not None else {}
    for name in ("x-forwarded-for", "x-real-ip"):
        value = head.get(name)
        if value is not None:
            vendor[name.replace("-", "_")] = value
            forwarded += (ip for ip in map(canonical_ip, value.split(",")) if ip is not None)
    host = details.get("host") or head.get("host")
    version, agent = head.get("version"), head.get("user-agent")
    method = details.get("method") or head.get("method")
    target = details.get("uri") or head.get("target")
    status = details.get("status_code", "")
    url = make_url(host, target)
    if url is not None:
        event.url = url
    request = HttpRequest(method=method.upper()) if method else None
    response = HttpResponse(status_code=int(status)) if status.isdigit() and len(status) == 3 else None
    if request is not None or response is not None or version is not None:
        event.http = Http(version=version, request=request, response=response)
    if agent:
        event.user_agent = UserAgent(original=agent)
    if forwarded:
        event.related = Related(ip=list(dict.fromkeys(forwarded)))  # add_related_ips adds the rest
    return url is not None or event.http is not None


class ZhonganAptParser(Parser):
    """``zhonganwangmai.apt``: the sensor's tab-separated alerts."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """``YYYY-MM-DD hh:mm:ss<TAB><epoch ms><TAB>`` at the start of the message."""
        return _SNIFF.match(envelope.message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One alert per line."""
        message = envelope.message
        if _SHAPE.match(message) is None:
            raise not_ours(record, "中安网脉 APT sensor (YYYY-MM-DD hh:mm:ss<TAB>epoch ms<TAB>…)")
        columns = message.rstrip("\r\n").split("\t")
        # A version that leaves the sensor name out has the sensor address in its place and the
        # engine after it (a sensor named by its address is followed by the address again).
        if (
            len(columns) > 3
            and canonical_ip(columns[2].strip()) is not None
            and canonical_ip(columns[3].strip()) is None
        ):
            columns.insert(2, "")
        if len(columns) < 16:
            raise ParseError(
                f"中安网脉 APT alert cut short: {len(columns)} of {COLUMNS} columns, no destination port",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        vendor: dict[str, Any] = {}
        event = new_event(_timestamp(columns, envelope, record, vendor))
        info = event.event
        info.id = _value(columns, 5)

        event.source = _endpoint(columns, 11, 28, vendor, "source")
        event.destination = _endpoint(columns, 14, 32, vendor, "destination")
        network = Network()
        transport = (_value(columns, 17) or "").lower()
        if transport in TRANSPORT_NAMES:
            network.transport = transport
        elif transport:
            vendor["transport"] = transport
        protocol = (_value(columns, 18) or "").lower()
        if protocol and protocol not in _NOT_PROTOCOLS:
            network.protocol = protocol
        if event.source is not None and event.source.ip is not None:
            network.type = "ipv6" if ":" in event.source.ip else "ipv4"
        if network != Network():
            event.network = network

        threat_id, klass, threat_type = _value(columns, 7), _value(columns, 8), _value(columns, 9)
        threat_name, kill_chain = _value(columns, 10), _value(columns, 19)
        name = _value(columns, 27) or threat_name or threat_type or kill_chain
        event.rule = Rule(
            id=threat_id if threat_id != "0" else None,
            name=name,
            category=klass or threat_type or kill_chain,
        )
        if threat_name is not None and threat_name != name:
            vendor["threat_name"] = threat_name
        if klass is not None and threat_type is not None:
            vendor["threat_type"] = threat_type
        info.action = threat_type or kill_chain

        details_text = _value(columns, 26)
        details = _details(details_text)
        payload = _decoded(_value(columns, 20))
        web = (protocol in _HTTP_PROTOCOLS or "uri" in details) and _web(event, details, payload, vendor)
        query = details.get("query")
        if query is not None or protocol == "dns":
            question = DnsQuestion(name=query, type=details.get("qtype_name"))
            event.dns = Dns(question=question) if question != DnsQuestion() else None
        intrusion(info, blocked=None, web=web)
        level = _value(columns, 22)
        if level is not None and level.isdigit() and 1 <= int(level) <= 5:
            info.severity = int(level)
        elif level is not None:
            vendor["severity"] = level

        set_observer(
            event,
            vendor="Zhongan Wangmai",
            product="APT",
            type_="ids",
            hostname=envelope.syslog.hostname if envelope.syslog is not None else None,
        )
        observer = event.observer
        assert observer is not None  # set_observer made it
        sensor_ip = canonical_ip(_value(columns, 3) or "")
        if sensor_ip is not None:
            observer.ip = [sensor_ip, *(ip for ip in observer.ip or () if ip != sensor_ip)]
        interface = _value(columns, 6)
        if interface is not None:
            observer.ingress = ObserverSide(interface=Interface(name=interface))

        for index, key in _VENDOR_COLUMNS:
            value = _value(columns, index)
            if value is not None:
                vendor[key] = value
        if details:
            vendor["details"] = details

        if payload is not None:
            vendor["payload_printable"] = payload[:_PRINTABLE_MAX]
        response = _decoded(_value(columns, 21))
        if response is not None:
            vendor["response_printable"] = response[:_PRINTABLE_MAX]
        if len(columns) < COLUMNS:
            vendor["truncated"] = True
        event.extra = {VENDOR: {PRODUCT: vendor}}
        add_related_ips(event)
        sample = details.get("sample")  # a scan's targets, after its endpoints: pivots for the analyst
        if sample is not None:
            targets = [ip for ip in map(canonical_ip, sample.split(",")) if ip is not None]
            if targets:
                related = event.related or Related()
                related.ip = list(dict.fromkeys([*(related.ip or ()), *targets]))
                event.related = related
        return [finish(event, envelope, record, DATASET)]
