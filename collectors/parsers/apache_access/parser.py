"""``apache.access``: Apache httpd access log (common / combined / vhost_combined) and error log.

Access lines use the NCSA format shared with nginx (``collectors.parsers.nginx_access.combined``);
Apache's ``vhost_combined`` puts ``%v:%p`` first (→ ``destination.*``, ``url.domain``). Fields ECS
lacks (``%l`` identity, an unparsable request line, extra trailing fields) are kept under
``apache.access.*``.

Error-log lines share this dataset, in the 2.4 and 2.2 layouts and without the time (as
httpd writes them to syslog)::

    [Fri Nov 27 16:00:00.123456 2026] [core:error] [pid 1:tid 2] [client 192.0.2.1:51234] AH00037: ...
    [Fri Dec 13 06:59:54 2013] [error] [client 192.0.2.1] PHP Notice: ...
    [notice] Apache configured

→ ``event.type: [error]`` (``[info]`` for notice/info/debug/trace), ``log.level``,
``event.severity``, ``event.code`` (``AH00037``), ``message``, ``process.pid``, ``source.*`` from
``[client]``, ``http.request.referrer`` from a trailing ``, referer: ...``; the module, thread
and ``[remote]`` address under ``apache.error.*``. The time has no offset: device-local time.

``--format auto`` claims only what is clearly Apache (nginx writes the same access format
and comes first): a syslog program tag ``apache*``/``httpd*``, a ``vhost_combined`` line, or an
error-log line. Error lines carrying ``ModSecurity:`` are left to ``modsecurity.auditlog``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish, header_time, port, severity, timezone_of
from collectors.parsers.nginx_access.combined import ACCESS, access_event, apache_tagged, sniff_access
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import not_ours, set_observer, vendor_fields
from soc_core.events import Endpoint, Event, EventInfo, Http, HttpRequest, Log, Process, Related
from soc_core.records import RawRecord
from soc_core.vocabulary import EventCategory, EventKind, EventType, Severity

VENDOR, PRODUCT, OBSERVER_TYPE = "Apache", "httpd", "webserver"

_LEVELS = r"emerg|alert|crit|error|warn|notice|info|debug|trace[1-8]"
_HEAD = re.compile(
    r"(?:\[(?P<time>(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) [A-Z][a-z]{2} +\d{1,2} "
    r"\d{1,2}:\d{2}:\d{2}(?:\.\d{1,9})? \d{4}"
    r"|\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)\] *)?"
    rf"(?:\[(?:(?P<module>[\w\-]{{0,64}}):)?(?P<level>{_LEVELS})\] *)?",
    re.ASCII,
)
_GROUP = re.compile(r"\[(?P<k>pid|client|remote) (?P<v>[^\]]{1,128})\] *")
# "%E: " of the 2.4 ErrorLogFormat, before [client]: "(111)Connection refused: "
_OS_ERROR = re.compile(r"\((?:-?\d{1,6}|[A-Z]{1,16})\)[^:\[\]]{0,120}: *")
_CODE = re.compile(r"AH\d{5}(?=:)", re.ASCII)
_REFERER = ", referer: "
_INFO_LEVELS = frozenset({"notice", "info", "debug"})
_WEB, _ERROR_TYPE, _INFO_TYPE = EventCategory.WEB.value, EventType.ERROR.value, EventType.INFO.value
_EVENT = EventKind.EVENT.value


def _address(text: str) -> tuple[str | None, int | None]:
    """``192.0.2.1:51234`` / ``2001:db8::1:51234`` (2.4) / ``192.0.2.1`` (2.2) → (ip, port)."""
    host, sep, number = text.rpartition(":")
    if sep:
        ip = canonical_ip(host)
        found = port(number)
        if ip is not None and found is not None:
            return ip, found
    return canonical_ip(text), None


class ApacheAccessParser(Parser):
    """``apache.access``."""

    dataset: ClassVar[str] = "apache.access"

    def sniff(self, envelope: Envelope) -> bool:
        """Tagged by syslog as httpd, a ``vhost_combined`` line, or an error-log line."""
        message = envelope.message
        if "ModSecurity:" in message:
            return False
        if apache_tagged(envelope):
            return True
        if message.startswith("["):
            # "[Fri Nov 27 ...]" or "[module:level]"; a bare "[2026-11-27 16:00:00]" is too common
            # in other programs' logs to be taken for Apache without a level after it
            m = _HEAD.match(message)
            return m is not None and (m.group("level") is not None or (m.group("time") or "")[:1].isalpha())
        return sniff_access(message)[1]

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per line."""
        message = envelope.message
        m = ACCESS.match(message)
        if m is not None:
            event, ns = access_event(m, envelope, record, nginx_extras=False)
            set_observer(event, vendor=VENDOR, product=PRODUCT, type_=OBSERVER_TYPE)
            if ns:
                vendor_fields(event, "apache", "access", ns)
            return [finish(event, envelope, record, self.dataset)]
        head = _HEAD.match(message)
        if head is None or (head.end() == 0 and not apache_tagged(envelope)):
            raise not_ours(record, "combined access-log or Apache error-log")
        return [finish(self._error(head, envelope, record), envelope, record, self.dataset)]

    @staticmethod
    def _error(head: re.Match[str], envelope: Envelope, record: RawRecord) -> Event:
        message = envelope.message
        time_text, module, level = head.group("time", "module", "level")
        ns: dict[str, Any] = {}
        stamp = None
        if time_text is not None:
            # "Fri Nov 27 16:00:00.123456 2026": the weekday adds nothing
            text = time_text[4:] if time_text[0].isalpha() else time_text
            try:
                stamp = resolve_timestamp(text, received_at=record.received_at, tz=timezone_of(record))
            except ValueError:
                ns["time"] = time_text
        if stamp is None:
            stamp = header_time(envelope, record)
        if level is not None:
            kind_of = _INFO_TYPE if level in _INFO_LEVELS or level.startswith("trace") else _ERROR_TYPE
            level_severity = int(Severity.INFORMATIONAL) if level.startswith("trace") else severity(level)
        else:  # httpd's syslog lines carry the level only in the header
            header = envelope.syslog
            quiet = header is not None and header.severity is not None and header.severity >= 5
            kind_of = _INFO_TYPE if quiet else _ERROR_TYPE
            level_severity = None
        info = EventInfo(kind=_EVENT, category=[_WEB], type=[kind_of], severity=level_severity)
        event = Event(timestamp=stamp, event=info)
        if level is not None:
            event.log = Log(level=level)
        if module:
            ns["module"] = module
        pos = head.end()
        ips: list[str] = []
        while True:
            group = _GROUP.match(message, pos)
            if group is None:
                os_error = _OS_ERROR.match(message, pos)
                if os_error is None or "os_error" in ns:
                    break
                ns["os_error"] = os_error.group().rstrip(": ")
                pos = os_error.end()
                continue
            pos = group.end()
            key, value = group.group("k", "v")
            if key == "pid":
                pid, _, tid = value.partition(":tid ")
                if pid.isdigit() and len(pid) <= 10:
                    event.process = Process(pid=int(pid))
                if tid:
                    ns["tid"] = tid
            elif key == "client" and event.source is None:
                ip, number = _address(value)
                event.source = Endpoint(address=value if ip is None else ip, ip=ip, port=number)
                if ip is not None:
                    ips.append(ip)
            else:
                ns[key] = value
                ip = _address(value)[0]
                if ip is not None and ip not in ips:
                    ips.append(ip)
        text = message[pos:].rstrip()
        cut = text.rfind(_REFERER)
        if cut >= 0 and " " not in text[cut + len(_REFERER) :]:
            referrer = text[cut + len(_REFERER) :]
            text = text[:cut]
            if referrer:
                event.http = Http(request=HttpRequest(referrer=referrer))
        code = _CODE.match(text)
        if code is not None:
            info.code = code.group()
        event.message = text or None
        if ips:
            event.related = Related(ip=ips)
        set_observer(event, vendor=VENDOR, product=PRODUCT, type_=OBSERVER_TYPE)
        vendor_fields(event, "apache", "error", ns)
        return event
