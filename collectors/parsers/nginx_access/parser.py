"""``nginx.access``: nginx access log (common / combined and its common extensions) and error log.

Access lines are the NCSA combined format shared with Apache (see ``combined``), written to a
file or shipped by syslog (``<190>Nov 27 16:00:00 web01 nginx: 192.0.2.1 - - [...] ...``).
Fields ECS lacks (``x_forwarded_for``, ``upstream_*``, an unparsable request line …) are kept
under ``nginx.access.*``.

Error-log lines share this dataset (one nginx, one source to configure)::

    2026/11/27 16:00:00 [error] 1234#1234: *5 open() "/srv/www/x" failed (2: No such file or
        directory), client: 192.0.2.1, server: www.example.test, request: "GET /x HTTP/1.1",
        host: "www.example.test"

become ``event.type: [error]`` (``[info]`` for notice/info/debug) with ``log.level``,
``event.severity`` from the level, ``message``, ``process.pid``, ``source.ip`` from
``client:``, the request in ``http.*``/``url.*`` and the other context under ``nginx.error.*``.
Their time has no offset: it is device-local time in the source's timezone.

``--format auto``: nginx and Apache write the same access format, so a combined line goes to
``nginx.access`` unless it is clearly Apache's (syslog program ``apache*``/``httpd*``, or a
``vhost:port`` first field: Apache's ``vhost_combined``), which ``apache.access`` (after us in
``AUTO_ORDER``) takes.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish, header_time, severity, timezone_of
from collectors.parsers.nginx_access.combined import (
    ACCESS,
    access_event,
    apache_tagged,
    request_parts,
    sniff_access,
    split_host_port,
    url_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import not_ours, set_observer, vendor_fields
from soc_core.events import Endpoint, Event, EventInfo, Http, HttpRequest, Log, Process, Related
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import EventCategory, EventKind, EventType

VENDOR, PRODUCT, OBSERVER_TYPE = "Nginx", "Nginx", "webserver"

# pid#tid (nginx) or pid:tid (what some test suites write); the connection number is optional.
_ERROR = re.compile(
    r"(?P<time>\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(?P<level>[A-Za-z]{1,16})\] "
    r"(?P<pid>\d{1,10})[#:](?P<tid>\d{1,20}):?(?: \*(?P<cid>\d{1,20}))?(?: +(?P<msg>.*))?",
    re.DOTALL,
)
_CONTEXT = compile_pattern(r', (?P<k>[a-z][a-z _/]{0,40}): (?:"(?P<q>(?:[^"\\]++|\\.)*+)"|(?P<b>[^,]*+))')
_INFO_LEVELS = frozenset({"notice", "info", "debug"})
_WEB, _ERROR_TYPE, _INFO_TYPE = EventCategory.WEB.value, EventType.ERROR.value, EventType.INFO.value
_EVENT = EventKind.EVENT.value


def error_envelope(envelope: Envelope) -> Envelope | None:
    """The envelope whose ``message`` is an nginx error-log line, or None.

    A bare error line starts with ``2026/11/27 16:00:00``, which the syslog splitter takes for
    a header (and ``[error]`` for a host name): such a line gets its whole text back.
    """
    if _ERROR.match(envelope.message) is not None:
        return envelope
    header = envelope.syslog
    if header is not None and header.priority is None and _ERROR.match(envelope.text) is not None:
        return msgspec.structs.replace(envelope, syslog=None, message=envelope.text)
    return None


class NginxAccessParser(Parser):
    """``nginx.access``."""

    dataset: ClassVar[str] = "nginx.access"

    def sniff(self, envelope: Envelope) -> bool:
        """An untagged combined line (not Apache's), or an nginx error-log line."""
        is_access, has_vhost = sniff_access(envelope.message)
        if is_access:
            return not has_vhost and not apache_tagged(envelope)
        if not (envelope.message[:1].isdigit() or envelope.text[:1].isdigit()):
            return False
        return error_envelope(envelope) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        m = ACCESS.match(envelope.message)
        if m is not None:
            event, ns = access_event(m, envelope, record, nginx_extras=True)
            set_observer(event, vendor=VENDOR, product=PRODUCT, type_=OBSERVER_TYPE)
            if ns:
                vendor_fields(event, "nginx", "access", ns)
            return [finish(event, envelope, record, self.dataset)]
        errors = error_envelope(envelope)
        if errors is None:
            raise not_ours(record, "combined access-log or nginx error-log")
        return [finish(self._error(errors, record), errors, record, self.dataset)]

    @staticmethod
    def _error(envelope: Envelope, record: RawRecord) -> Event:
        m = _ERROR.match(envelope.message)
        assert m is not None  # error_envelope checked it
        time_text, level, pid, tid, cid, text = m.group("time", "level", "pid", "tid", "cid", "msg")
        ns: dict[str, Any] = {"thread_id": int(tid)}
        try:
            stamp = resolve_timestamp(time_text, received_at=record.received_at, tz=timezone_of(record))
        except ValueError:  # 2026/13/45: keep the text, use the header or receive time
            stamp = header_time(envelope, record)
            ns["time"] = time_text
        lowered = level.lower()
        info = EventInfo(
            kind=_EVENT,
            category=[_WEB],
            type=[_INFO_TYPE if lowered in _INFO_LEVELS else _ERROR_TYPE],
            severity=severity(lowered),
        )
        event = Event(timestamp=stamp, event=info, log=Log(level=level), process=Process(pid=int(pid)))
        if cid is not None:
            ns["connection_id"] = int(cid)
        if text:
            text = text.rstrip()
            cut = text.find(", client: ")
            if cut >= 0:
                _context(event, text[cut:], ns)
                text = text[:cut]
            event.message = text or None
        set_observer(event, vendor=VENDOR, product=PRODUCT, type_=OBSERVER_TYPE)
        vendor_fields(event, "nginx", "error", ns)
        return event


def _context(event: Event, context: str, ns: dict[str, Any]) -> None:
    """``, client: 192.0.2.1, server: x, request: "GET / HTTP/1.1", host: "x"`` → fields."""
    method = referrer = version = None
    for m in _CONTEXT.finditer(context):
        key, quoted, bare = m.group("k", "q", "b")
        value = (quoted if quoted is not None else bare).strip()
        if not value:
            continue
        if key == "client" and event.source is None:
            ip = canonical_ip(value)
            event.source = Endpoint(address=value, ip=ip)
            if ip is not None:
                event.related = Related(ip=[ip])
        elif key == "request" and event.url is None:
            method, target, version = request_parts(value)
            if target is not None:
                event.url = url_of(target)
            else:
                ns["request"] = value
        elif key == "host":
            if event.url is None:
                ns["host"] = value
            elif event.url.domain is None:
                event.url.domain, event.url.port = split_host_port(value)
        elif key == "referrer":
            referrer = value
        else:
            ns.setdefault(key.replace(" ", "_").replace("/", "_"), value)
    if "host" in ns and event.url is not None and event.url.domain is None:
        event.url.domain, event.url.port = split_host_port(ns.pop("host"))
    if method is not None or referrer is not None:
        event.http = Http(version=version, request=HttpRequest(method=method, referrer=referrer))
