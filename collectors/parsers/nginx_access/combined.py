"""The NCSA common / combined access log that nginx and Apache httpd both write, and URL splitting.

One line (after any syslog header)::

    [vhost:port ]client ident user [27/Nov/2026:16:00:00 +0800] "GET /a?b=c HTTP/1.1" 200 123
        ["referer" "user agent"] [extensions]

* ``vhost:port`` is Apache's ``vhost_combined`` (``%v:%p``); nginx logs it too when a site puts
  ``$host:$server_port`` first. It becomes ``destination.domain`` (or ``.ip``) and ``url.domain``.
* The request line is split leniently: ``METHOD URI HTTP/x.y``, HTTP/0.9's ``METHOD URI``, a URI
  with spaces. Anything else (a TLS ClientHello logged as ``\\x16\\x03\\x01…``, ``-``) keeps the raw
  text in ``<ns>.request`` and the rest of the line is still used.
* Values are kept as logged: nginx and Apache escape non-printable and non-ASCII bytes as
  ``\\xHH`` and browsers percent-encode, so ``url.*`` stays searchable exactly as it appears in
  ``event.original``; a server configured with ``escape=none`` writes raw UTF-8 (or GBK,
  which the decoder reads as GB18030) and that is kept too.
* Extensions after the user agent (nginx's ``log_format main`` adds ``"$http_x_forwarded_for"``;
  many sites add ``$request_time``, ``$upstream_*`` or ``key=value`` pairs): a quoted list of
  addresses is ``x_forwarded_for``; with ``nginx_extras`` the first bare ``0.005``-style number is
  ``$request_time`` (→ ``event.duration``), the second ``$upstream_response_time``, an
  ``ip:port`` token ``$upstream_addr``; ``key=value`` pairs keep their (sanitised) key; other
  tokens are kept in order under ``<ns>.trailing``.

The URL helpers serve the proxy, CEF and LEEF parsers too.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from typing import Any

import msgspec

from collectors.parsers.base import Envelope
from collectors.parsers.common import canonical_ip, header_time, port, sanitize_key, timezone_of
from collectors.parsers.timeparse import MONTHS, zone
from soc_core.events import (
    Endpoint,
    Event,
    EventInfo,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Related,
    Url,
    User,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import EventCategory, EventKind, EventOutcome, EventType

__all__ = [
    "ACCESS",
    "access_event",
    "access_time",
    "apache_tagged",
    "request_parts",
    "sniff_access",
    "split_host_port",
    "url_of",
]

_Q = r'"(?:[^"\\]++|\\.)*+"'
# The user field may hold spaces (Apache %u of a "Basic" login); it is lazy and bounded.
# Blank runs are matched possessively and a value ends on a non-blank: a run is never rescanned
# from each of its blanks (quadratic on a hostile line).
ACCESS = compile_pattern(
    r"(?:(?P<vhost>[^\s:]++):(?P<vport>\d{1,5}) ++)?"
    r"(?P<client>\S++) ++(?P<ident>\S++) ++(?P<user>.{0,255}?\S) ++\[(?P<time>[^\]]{1,64})\] ++"
    r'"(?P<request>(?:[^"\\]++|\\.)*+)" ++(?P<status>\d{1,3}|-) ++(?P<bytes>\d{1,19}|-)'
    r'(?: ++"(?P<referrer>(?:[^"\\]++|\\.)*+)"(?: ++"(?P<ua>(?:[^"\\]++|\\.)*+)")?)?'
    r"(?P<rest>.*)",
    re.DOTALL,
)
# What --format auto looks at: the fields up to the bracketed time.
_ACCESS_SNIFF = re.compile(
    r"(?:(?P<vhost>[^\s:]++:\d{1,5}) ++)?\S++ ++\S++ ++.{0,255}?\S ++"
    r"\[\d{1,2}/[A-Za-z]{3}/\d{4}:\d\d:\d\d:\d\d",
    re.DOTALL,
)
_HTTP_TIME = re.compile(
    r"(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{1,2}):(\d{2}):(\d{2})(?:[.,](\d{1,9}))?"
    r"(?: *([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)
_TOKEN = compile_pattern(rf"(?:(?P<k>[A-Za-z_][\w.\-]{{0,63}})=)?(?:(?P<q>{_Q})|(?P<b>\S+))")
_SECONDS = re.compile(r"\d{1,9}\.\d{1,6}", re.ASCII)
_ADDRESS_LIST = re.compile(r"[0-9A-Fa-f:.\[\]]+(?:, *[0-9A-Fa-f:.\[\]]+)*", re.ASCII)
_METHOD = re.compile(r"[A-Za-z][A-Za-z_-]{0,31}", re.ASCII)
# nginx key=value extensions seen in the wild → our key
_NGINX_KEYS: dict[str, str] = {
    "rt": "request_time",
    "request_time": "request_time",
    "urt": "upstream_response_time",
    "upstream_response_time": "upstream_response_time",
    "uct": "upstream_connect_time",
    "upstream_connect_time": "upstream_connect_time",
    "uht": "upstream_header_time",
    "upstream_header_time": "upstream_header_time",
    "upstream_addr": "upstream_addr",
    "ups": "upstream_status",
    "us": "upstream_status",
    "upstream_status": "upstream_status",
    "xff": "x_forwarded_for",
    "http_x_forwarded_for": "x_forwarded_for",
    "x_forwarded_for": "x_forwarded_for",
}
# plain strings: an Enum member's .value costs a descriptor call on every line
_WEB, _ACCESS = EventCategory.WEB.value, EventType.ACCESS.value
_EVENT = EventKind.EVENT.value
_SUCCESS, _FAILURE = EventOutcome.SUCCESS.value, EventOutcome.FAILURE.value


# Syslog tags Apache httpd is shipped under (``apache2``, ``httpd``, ``apache-access`` …).
_APACHE_TAGS = ("apache", "httpd")


def apache_tagged(envelope: Envelope) -> bool:
    """Whether the syslog header names Apache httpd as the sending program."""
    header = envelope.syslog
    return (
        header is not None and header.appname is not None and header.appname.lower().startswith(_APACHE_TAGS)
    )


def sniff_access(message: str) -> tuple[bool, bool]:
    """(is a common/combined access line, has a ``vhost:port`` prefix). Cheap on other lines."""
    bracket = message.find(" [", 0, 400)
    if bracket < 0:
        return False, False
    m = _ACCESS_SNIFF.match(message)
    if m is None:
        return False, False
    return True, m.group("vhost") is not None


# -- time --------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def access_time(text: str, tz: str) -> dt.datetime | None:
    """``27/Nov/2026:16:00:00 +0800`` → UTC; without an offset the time is local to ``tz``."""
    m = _HTTP_TIME.fullmatch(text.strip())
    if m is None:
        return None
    day, mon, year, hour, minute, second, frac, sign, oh, om = m.groups()
    month = MONTHS.get(mon.lower())
    if month is None:
        return None
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    try:
        if sign is None:
            tzinfo: dt.tzinfo = zone(tz)
        else:
            if int(oh) > 23 or int(om) > 59:
                return None
            delta = dt.timedelta(hours=int(oh), minutes=int(om))
            tzinfo = dt.timezone(-delta if sign == "-" else delta)
        stamp = dt.datetime(int(year), month, int(day), int(hour), int(minute), int(second), micro, tzinfo)
        return stamp.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


# -- URLs ----------------------------------------------------------------------------------------


def split_host_port(text: str) -> tuple[str, int | None]:
    """``host:443`` / ``[2001:db8::1]:443`` / ``2001:db8::1`` → (host, port)."""
    if text.startswith("["):
        host, _, after = text[1:].partition("]")
        return host, port(after[1:]) if after.startswith(":") else None
    if text.count(":") == 1:
        host, _, number = text.partition(":")
        found = port(number)
        if found is not None:
            return host, found
    return text, None


def _extension(path: str) -> str | None:
    name = path.rpartition("/")[2]
    if "." not in name:
        return None
    ext = name.rpartition(".")[2]
    return ext if ext and len(ext) <= 16 and ext.isalnum() else None


def url_of(original: str) -> Url:
    """ECS ``url`` for a request target: origin-form ``/p?q``, absolute ``http://h/p`` or ``host:port``."""
    # URLs repeat: the split is cached and each event gets its own copy.
    return msgspec.structs.replace(_url_of(original))


@functools.lru_cache(maxsize=16_384)
def _url_of(original: str) -> Url:
    url = Url(original=original)
    rest = original
    scheme_end = original.find("://", 0, 16)
    if scheme_end > 0 and original[:scheme_end].isalpha():
        url.scheme = original[:scheme_end].lower()
        url.full = original
        rest = original[scheme_end + 3 :]
        cut = len(rest)
        for mark in "/?#":
            found = rest.find(mark)
            if 0 <= found < cut:
                cut = found
        authority, rest = rest[:cut], rest[cut:]
        authority = authority.rpartition("@")[2]
        host, number = split_host_port(authority)
        if host:
            url.domain = host
        url.port = number
        if not rest:
            rest = "/"
    elif not original.startswith("/"):
        if " " not in original and "/" not in original:
            host, number = split_host_port(original)
            if number is not None and host:  # CONNECT host:443
                url.domain, url.port = host, number
        return url
    if "#" in rest:
        rest, _, fragment = rest.partition("#")
        url.fragment = fragment or None
    path, mark, query = rest.partition("?")
    url.path = path or None
    if mark:
        url.query = query or None
    if path:
        url.extension = _extension(path)
    return url


def request_parts(request: str) -> tuple[str | None, str | None, str | None]:
    """(method, target, http.version) of a request line; (None, None, None) when it is not one."""
    parts = request.split(" ")
    if len(parts) < 2 or _METHOD.fullmatch(parts[0]) is None:
        return None, None, None
    version: str | None = None
    last = parts[-1]
    if len(parts) >= 3 and last.startswith("HTTP/"):
        version = last[5:] or None
        parts = parts[:-1]
    target = " ".join(parts[1:]).strip()
    return parts[0], target or None, version


# -- events --------------------------------------------------------------------------------------


def _outcome(status: int | None) -> str | None:
    if status is None or status < 100:
        return None
    return _SUCCESS if status < 400 else _FAILURE


def _dash(value: str | None) -> str | None:
    return None if value is None or value == "-" or value == "" else value


def _extras(rest: str, nginx_extras: bool, ns: dict[str, Any], info: EventInfo) -> None:
    """The extension fields after the user agent (see the module docstring)."""
    trailing: list[str] = []
    times = 0
    for m in _TOKEN.finditer(rest):
        key, quoted, bare = m.group("k", "q", "b")
        value = quoted[1:-1] if quoted is not None else bare
        if key is not None:
            name = _NGINX_KEYS.get(key.lower()) or sanitize_key(key)
            if not name:
                trailing.append(m.group())
                continue
            if name == "request_time" and _SECONDS.fullmatch(value) and info.duration is None:
                info.duration = round(float(value) * 1e9)
                continue
            if value and value != "-":
                ns.setdefault(name, value)
            continue
        if quoted is not None and "x_forwarded_for" not in ns and (value == "-" or _addresses(value)):
            if value != "-":
                ns["x_forwarded_for"] = value
            else:
                ns["x_forwarded_for"] = None  # seen, empty: later lists are not the client's
            continue
        if nginx_extras and quoted is None:
            if _SECONDS.fullmatch(value) and times < 2:
                if times == 0:
                    info.duration = round(float(value) * 1e9)
                else:
                    ns["upstream_response_time"] = value
                times += 1
                continue
            if "upstream_addr" not in ns and (value.startswith("unix:") or _upstream(value)):
                ns["upstream_addr"] = value
                continue
        if value != "-":  # an empty field: its position alone says nothing
            trailing.append(value)
    if ns.get("x_forwarded_for", "") is None:
        del ns["x_forwarded_for"]
    if trailing:
        ns["trailing"] = trailing


def _addresses(value: str) -> bool:
    return _ADDRESS_LIST.fullmatch(value) is not None and all(
        canonical_ip(part) is not None for part in value.split(",")
    )


def _upstream(value: str) -> bool:
    host, number = split_host_port(value.split(",", 1)[0])
    return number is not None and canonical_ip(host) is not None


def access_event(
    m: re.Match[str],
    envelope: Envelope,
    record: RawRecord,
    *,
    nginx_extras: bool,
) -> tuple[Event, dict[str, Any]]:
    """The event of a matched access line and its vendor fields (to be stored by the caller)."""
    ns: dict[str, Any] = {}
    (vhost, vport, client, ident, user, time_text, request, status_text, bytes_text, referrer, ua, rest) = (
        m.groups()
    )
    stamp = access_time(time_text, timezone_of(record))
    if stamp is None:
        stamp = header_time(envelope, record)
        ns["time"] = time_text
    status = int(status_text) if status_text != "-" else None
    info = EventInfo(
        kind=_EVENT,
        category=[_WEB],
        type=[_ACCESS],
        outcome=_outcome(status),
    )
    event = Event(timestamp=stamp, event=info)
    ips: list[str] = []
    ip = canonical_ip(client)
    if ip is not None:
        event.source = Endpoint(address=client, ip=ip)
        ips.append(ip)
    elif client != "-":
        event.source = Endpoint(address=client, domain=client if "." in client else None)
    name = _dash(user.strip())
    if name is not None:
        event.user = User(name=name)
    if ident != "-":
        ns["identity"] = ident
    method, target, version = request_parts(request)
    if method is None and request != "-":
        ns["request"] = request
    url: Url | None = None
    if target is not None:
        url = url_of(target)
    if vhost is not None:
        vip = canonical_ip(vhost)
        event.destination = Endpoint(
            address=vhost, ip=vip, domain=None if vip is not None else vhost, port=port(vport)
        )
        if vip is not None:
            ips.append(vip)
        if url is None:
            url = Url(domain=vhost)
        elif url.domain is None:
            url.domain = vhost
    event.url = url
    body = bytes_text if bytes_text != "-" else None
    event.http = Http(
        version=version,
        request=HttpRequest(method=method, referrer=_dash(referrer))
        if method is not None or _dash(referrer) is not None
        else None,
        response=HttpResponse(
            status_code=status, body=HttpBody(bytes=int(body)) if body is not None else None
        ),
    )
    agent = _dash(ua)
    if agent is not None:
        event.user_agent = UserAgent(original=agent)
    if rest and not rest.isspace():
        _extras(rest, nginx_extras, ns, info)
        forwarded = ns.get("x_forwarded_for")
        if forwarded is not None:
            for part in forwarded.split(","):
                found = canonical_ip(part)
                if found is not None and found not in ips:
                    ips.append(found)
    if ips:
        event.related = Related(ip=ips)
    return event, ns
