"""``squid.access``: Squid's native ``access.log`` (``logformat squid``), from a file or syslog.

::

    1795766400.123    120 192.0.2.5 TCP_MISS/200 1234 GET http://example.test/ -
        HIER_DIRECT/198.51.100.7 text/html                                  (one line)

Fields: time (POSIX seconds, UTC) → ``@timestamp``; elapsed ms → ``event.duration``; client →
``source.*``; result code → ``event.action`` (``TCP_MISS``) and status →
``http.response.status_code``; bytes delivered to the client → ``http.response.bytes``;
method; URL (``CONNECT host:443`` gives ``url.domain``/``url.port``) → ``url.*`` and
``destination.domain``/``port``; user (``-`` is none) → ``user.name``; hierarchy code and peer
(``HIER_DIRECT/198.51.100.7``: the peer's address → ``destination.ip``) → ``squid.access.*``;
content type → ``http.response.mime_type``. What a custom ``logformat`` appends is kept as one
string under ``squid.access.trailing``.

A ``*DENIED*`` result code is the proxy refusing the request: ``event.type`` gets ``denied``
and the outcome is failure; other codes are ``allowed`` and the outcome follows the HTTP
status (< 400 success, otherwise failure; none or 000 unknown).
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, count, finish
from collectors.parsers.nginx_access.combined import split_host_port, url_of
from collectors.parsers.timeparse import from_posix
from collectors.parsers.vendor import not_ours, set_observer, vendor_fields
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, EventInfo, Http, HttpRequest, HttpResponse, Related, User
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventKind, EventOutcome, EventType

VENDOR, PRODUCT, OBSERVER_TYPE = "Squid", "Squid", "proxy"

_SNIFF = re.compile(r"\d{9,11}(?:\.\d{1,6})? +-?\d{1,12} +\S+ +[A-Z][A-Z0-9_]{1,48}/\d{1,3} ", re.ASCII)
_WEB, _NETWORK = EventCategory.WEB.value, EventCategory.NETWORK.value
_ACCESS, _CONNECTION = EventType.ACCESS.value, EventType.CONNECTION.value
_ALLOWED, _DENIED = EventType.ALLOWED.value, EventType.DENIED.value
_SUCCESS, _FAILURE, _UNKNOWN = (
    o.value for o in (EventOutcome.SUCCESS, EventOutcome.FAILURE, EventOutcome.UNKNOWN)
)
_EVENT = EventKind.EVENT.value


class SquidAccessParser(Parser):
    """``squid.access``."""

    dataset: ClassVar[str] = "squid.access"

    def sniff(self, envelope: Envelope) -> bool:
        """Epoch time, elapsed, client, ``CODE/status``."""
        message = envelope.message
        return message[:1].isdigit() and _SNIFF.match(message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        fields = envelope.message.split(None, 10)
        if len(fields) < 7 or _SNIFF.match(envelope.message) is None:
            raise not_ours(record, "Squid access.log")
        stamp_text, elapsed, client, result, size, method, target = fields[:7]
        try:
            stamp = from_posix(float(stamp_text))
        except ValueError:  # cannot happen after the sniff pattern; kept for safety
            raise ParseError(
                f"bad Squid time {stamp_text!r}",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            ) from None
        code, _, status_text = result.partition("/")
        status = int(status_text) or None  # 000: no reply was sent
        denied = "DENIED" in code
        if denied:
            outcome = _FAILURE
        elif status is None:
            outcome = _UNKNOWN
        else:
            outcome = _SUCCESS if status < 400 else _FAILURE
        info = EventInfo(
            kind=_EVENT,
            category=[_WEB, _NETWORK],
            type=[_ACCESS, _CONNECTION, _DENIED if denied else _ALLOWED],
            action=code,
            outcome=outcome,
        )
        if elapsed.isdigit():
            info.duration = int(elapsed) * 1_000_000
        event = Event(timestamp=stamp, event=info)
        ips: list[str] = []
        ip = canonical_ip(client)
        event.source = Endpoint(address=client, ip=ip, domain=None if ip is not None else client)
        if ip is not None:
            ips.append(ip)
        ns: dict[str, Any] = {}
        mime = fields[9] if len(fields) > 9 and fields[9] != "-" else None
        event.http = Http(
            request=HttpRequest(method=method) if method != "NONE" and method != "-" else None,
            response=HttpResponse(status_code=status, bytes=count(size), mime_type=mime),
        )
        destination: Endpoint | None = None
        if target != "-" and target != "error:invalid-request":
            if method == "CONNECT":
                host, number = split_host_port(target)
                url = url_of(target)
                if url.domain is None and host:
                    url.domain = host
                event.url = url
            else:
                url = url_of(target)
                event.url = url
                host, number = url.domain or "", url.port
            if host:
                host_ip = canonical_ip(host)
                destination = Endpoint(ip=host_ip, domain=None if host_ip is not None else host, port=number)
        if len(fields) > 7 and fields[7] != "-":
            event.user = User(name=fields[7])
        if len(fields) > 8:
            hierarchy, _, peer = fields[8].partition("/")
            ns["hierarchy_code"] = hierarchy
            if peer and peer != "-":
                ns["peer_host"] = peer
                peer_ip = canonical_ip(peer)
                if peer_ip is not None and hierarchy.endswith("DIRECT"):
                    # the origin server itself (for a parent cache it stays in peer_host)
                    if destination is None:
                        destination = Endpoint(ip=peer_ip)
                    else:
                        destination.ip = peer_ip
                if peer_ip is not None:
                    ips.append(peer_ip)
        if len(fields) > 10:
            ns["trailing"] = fields[10].strip()
        event.destination = destination
        if ips:
            event.related = Related(ip=list(dict.fromkeys(ips)))
        set_observer(event, vendor=VENDOR, product=PRODUCT, type_=OBSERVER_TYPE)
        vendor_fields(event, "squid", "access", ns)
        return [finish(event, envelope, record, self.dataset)]
