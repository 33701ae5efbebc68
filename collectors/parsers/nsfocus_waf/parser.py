"""``nsfocus.waf``: NSFOCUS (绿盟) WAF (WAF-V6.0 ``waf: tag:waf_log_<kind> key:value`` records).

Shape: ``[host ]waf: tag:waf_log_websec site_id:1  protect_id:1  dst_ip:…  dst_port:80  src_ip:…
src_port:…  method:POST  domain:…  uri:…  alertlevel:HIGH  event_type:Webshell  stat_time:YYYY-MM-DD
hh:mm:ss  policy_id:…  rule_id:…  action:Block  block:No  block_info:None  http:…``. Pairs are
``key:value`` separated by two spaces (some kinds and firmware use one); values hold spaces and
colons (``stat_time``, ``http``, ``info``), so a pair starts only at a known key after whitespace
or at any ``key:`` after two spaces. ``None`` means empty. ``http``, ``alertinfo``, ``characters``,
``wci`` and ``wsi`` may be base64 (firmware option): values that decode to text are kept decoded;
``http`` (the request head) is read for ``http.version``, ``user_agent.original``,
``http.request.referrer`` and the host. ``password`` is never kept.

Kinds (the manual's 4.x log types):

* detections — ``websec`` (web attacks), ``csrf``, ``deface`` (anti-defacement), ``ddos``,
  ``ipblock`` (high-risk IP), ``arp``: intrusion events with ``rule.name`` = ``event_type``,
  ``rule.category`` = ``attack_type`` or ``event_type``, ``rule.id`` = ``rule_id`` (0 = none),
  ``rule.description`` = ``alertinfo``; web kinds add ``web`` and ``url.*`` from ``domain``+``uri``
  (or ``url``). ``action`` Block/Deny/Drop/Reset stopped the request, Accept/Pass let it through.
  ``block`` / ``block_info`` (the source-IP ban) stay vendor fields.
* ``webaccess``: a web access (``url``, ``wa_host``, ``agent`` URL-encoded, ``wa_referer``,
  ``http_protocol``, ``ser_status_code``, content types and lengths) → ``url.*``/``http.*``.
* ``l4acl``: a network-layer access-control decision (firewall verdict).
* ``login`` / ``op``: administrator login (authentication) and operation (configuration).
* ``wafstat`` (cpu/mem load): ``event.kind: metric``; ``system_run``: host events.
* anything else: addresses, ports, user, severity and time, the rest as vendor fields.

``stat_time`` (device-local) is ``@timestamp``; ``alertlevel`` is ``log.level`` and
``event.severity``. Every other key stays under ``nsfocus.waf.*``.

Not ours: the NSFOCUS SAS bastion ``user:…;loginip:…;`` records and the ADS/WAF hardware status
lines (``Hardware CPU: 47 C Board: …``), which carry no ``tag:waf_log_``.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, ClassVar
from urllib.parse import unquote

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
    add_related_ips,
    event_at,
    firewall_verdict,
    intrusion,
    not_ours,
    request_head,
    set_observer,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Log,
    Network,
    Rule,
    Url,
    User,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventKind, EventOutcome, EventType

VENDOR, PRODUCT = "nsfocus", "waf"
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
C_CONFIGURATION = EventCategory.CONFIGURATION.value
C_HOST = EventCategory.HOST.value
C_WEB = EventCategory.WEB.value
K_METRIC = EventKind.METRIC.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
T_ACCESS = EventType.ACCESS.value
T_CHANGE = EventType.CHANGE.value
T_INFO = EventType.INFO.value
T_START = EventType.START.value
_TAG = re.compile(r"tag:\s?waf_log_(\w+)")
_KNOWN = frozenset(
    {
        "tag", "site_id", "protect_id", "dst_ip", "dst_port", "src_ip", "src_port", "method",
        "domain", "uri", "url", "alertlevel", "event_type", "stat_time", "policy_id", "rule_id",
        "action", "block", "block_info", "http", "alertinfo", "proxy_info", "characters",
        "count_num", "protocol_type", "wci", "wsi", "country", "correlation_id", "site_name",
        "vsite_name", "cpu", "mem", "type", "source", "info", "agent", "wa_host", "wa_referer",
        "http_protocol", "req_content_type", "req_content_len", "res_content_type",
        "res_content_len", "waf_status_code", "ser_status_code", "user", "password", "session_id",
        "desc", "op_type", "result", "reason", "attack_type", "src_mac", "dst_mac", "status",
        "def_ip", "def_mac", "conflit_mac", "user_name", "policy_desc", "protocol", "request_id",
    }
)  # fmt: skip
_NONE = frozenset({"", "None", "none", "NULL", "null", "-"})
_WEB_DETECTIONS = frozenset({"websec", "csrf", "deface"})
_NET_DETECTIONS = frozenset({"ddos", "ipblock", "arp"})
_BLOCKING = frozenset({"block", "deny", "drop", "reset", "reject", "forbid"})
_PASSING = frozenset({"accept", "pass", "allow", "continue", "permit"})
_HEAD_FIELDS = ("user-agent", "referer", "host", "content-type")  # read from a quoted request head
_B64 = re.compile(r"[A-Za-z0-9+/]{4,}={0,2}")
_BASE64_KEYS = ("alertinfo", "characters", "wci", "wsi")


# Candidate boundaries: whitespace before "key:". Which ones are real is decided per candidate
# (a cheap lookahead here, then a set lookup) — faster than one regex alternation of every key.
# A run is tried once, from its first blank (tried from each blank, a long run was quadratic).
_CANDIDATE = re.compile(r"(?<!\s)(\s++)(?=[a-z][a-z0-9_]{0,40}:)")


def split_fields(text: str) -> dict[str, str]:
    """``key:value`` pairs: boundaries at known keys after whitespace or any key after two spaces.

    ``None`` and empty values are left out; a repeated key keeps its first value.
    """
    parts = _CANDIDATE.split(text)
    values: dict[str, str] = {}
    key: str | None = None
    pieces: list[str] = []
    for index in range(0, len(parts), 2):
        piece = parts[index]
        name, colon, value = piece.partition(":")
        blank = parts[index - 1] if index else ""
        if colon and (name in _KNOWN or index == 0 or (len(blank) >= 2 and not blank.strip(" "))):
            if key is not None:
                _keep(values, key, pieces)
            key, pieces = name, [value]
        elif key is not None:  # a value that contained " word:"
            pieces.append(blank)
            pieces.append(piece)
    if key is not None:
        _keep(values, key, pieces)
    return values


def _keep(values: dict[str, str], key: str, pieces: list[str]) -> None:
    value = "".join(pieces).strip()
    if value not in _NONE and key not in values:
        values[key] = value


def _from_base64(value: str) -> str | None:
    """The text ``value`` encodes, when it is base64 of UTF-8 text; else None."""
    if len(value) % 4 or _B64.fullmatch(value) is None:
        return None
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    if any(ord(c) < 32 and c not in "\r\n\t" for c in decoded):
        return None
    return decoded


def _url(text: str, host: str | None) -> Url:
    """``url.*`` from a request target (``/a?b``) or a ``host/path`` form, plus the host."""
    scheme: str | None = None
    rest = text
    if "://" in text[:12]:
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
        host, _, rest = rest.partition("/")
        rest = "/" + rest
    elif not text.startswith("/") and "/" in text:
        found, _, rest = text.partition("/")
        host, rest = host or found, "/" + rest
    elif not text.startswith("/"):
        host, rest = host or text, ""
    path, _, query = rest.partition("?")
    domain, url_port = host, None
    if host and host.count(":") == 1:
        domain, _, port_text = host.partition(":")
        url_port = port(port_text)
    return Url(
        original=text,
        scheme=scheme,
        domain=domain or None,
        port=url_port,
        path=path or None,
        query=query or None,
    )


class NsfocusWafParser(Parser):
    """``nsfocus.waf``: ``waf: tag:waf_log_<kind> key:value …`` records."""

    dataset: ClassVar[str] = "nsfocus.waf"

    def sniff(self, envelope: Envelope) -> bool:
        """``tag:waf_log_`` near the start of the message."""
        message = envelope.message
        at = message.find("waf_log_", 0, 64)
        return at >= 0 and _TAG.search(message, 0, at + 40) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        tag = _TAG.search(message, 0, 96)
        if tag is None:
            raise not_ours(record, "NSFOCUS WAF (tag:waf_log_…)")
        kind = tag.group(1)
        prefix = message[: tag.start()].split()
        host = prefix[0] if len(prefix) >= 2 and prefix[1] == "waf:" else None
        values = split_fields(message[tag.end() :])
        if not values:
            raise ParseError(
                f"NSFOCUS WAF {kind} record with no fields after the tag (truncated?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        pop = values.pop

        event = event_at(values, "stat_time", envelope, record)
        info = event.event
        level = pop("alertlevel", "")
        if level:
            info.severity = severity(level)
            event.log = Log(level=level)
        source = self._endpoint(pop("src_ip", ""), pop("src_port", ""))
        destination = self._endpoint(pop("dst_ip", ""), pop("dst_port", ""))
        event.source, event.destination = source, destination
        user = pop("user", "") or pop("user_name", "")
        if user:
            event.user = User(name=user)
        values.pop("password", None)  # never keep a password, even an empty one
        for key in _BASE64_KEYS:
            decoded = _from_base64(values.get(key, ""))
            if decoded is None:
                continue
            if decoded.strip() in _NONE:
                del values[key]
            else:
                values[key] = decoded
        values["log_type"] = kind
        metrics: dict[str, int] = {}
        set_observer(event, vendor="NSFOCUS", product="WAF", type_="waf", hostname=host)

        if kind in _WEB_DETECTIONS or kind in _NET_DETECTIONS:
            self._detection(event, kind, values)
        elif kind == "webaccess":
            self._access(event, values)
        elif kind == "l4acl":
            protocol = pop("protocol", "").lower()
            if protocol in TRANSPORT_NAMES:
                event.network = Network(transport=protocol)
            elif protocol in IANA_TRANSPORTS:
                event.network = Network(iana_number=protocol, transport=IANA_TRANSPORTS[protocol])
            elif protocol:
                values["protocol"] = protocol
            policy = pop("policy_id", "")
            if policy:
                event.rule = Rule(id=policy)
            firewall_verdict(info, pop("action", "") or None)
        elif kind in ("login", "op"):
            info.category = [C_AUTHENTICATION if kind == "login" else C_CONFIGURATION]
            info.type = [T_START if kind == "login" else T_CHANGE]
            info.action = pop("op_type", "") or kind
            result = pop("result", "").lower()
            if result:
                success = result in ("success", "succeed", "ok", "成功")
                info.outcome = O_SUCCESS if success else O_FAILURE
            description = pop("desc", "")
            if description:
                event.message = description
        elif kind == "wafstat":
            info.kind = K_METRIC
            info.category = [C_HOST]
            info.type = [T_INFO]
            info.action = kind
            for key in ("cpu", "mem"):
                number = count(values.get(key, ""))
                if number is not None:
                    metrics[key] = number  # the load figures are numbers, not text
                    del values[key]
        else:
            info.category = [C_HOST]
            info.type = [T_INFO]
            info.action = values.get("type") or kind
            text = pop("info", "")
            if text:
                event.message = text

        extra: dict[str, Any] = dict(metrics)
        for key, value in values.items():
            clean = sanitize_key(key)
            if clean:
                extra.setdefault(clean, value)
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _endpoint(ip_text: str, port_text: str) -> Endpoint | None:
        ip = canonical_ip(ip_text) if ip_text else None
        number = port(port_text) if port_text else None
        if ip is None and number is None:
            return None
        return Endpoint(ip=ip, port=number)

    @staticmethod
    def _detection(event: Event, kind: str, values: dict[str, str]) -> None:
        info = event.event
        pop = values.pop
        action = pop("action", "")
        word = action.split(" ", 1)[0].lower()
        blocked = True if word in _BLOCKING else False if word in _PASSING else None
        if kind == "ipblock":
            blocked = True
        web = kind in _WEB_DETECTIONS
        intrusion(info, blocked=blocked, web=web)
        info.action = action or None
        event_type = pop("event_type", "") or kind
        rule_id = pop("rule_id", "")
        attack_type = pop("attack_type", "")
        event.rule = Rule(
            id=rule_id if rule_id and rule_id != "0" else None,
            name=event_type,
            category=attack_type or event_type,
            description=pop("alertinfo", "") or None,
        )
        reason = pop("reason", "")
        if reason:
            info.reason = reason
        if not web:
            return
        head: dict[str, str] = {}
        raw = values.get("http", "")
        if raw:
            decoded = _from_base64(raw)
            if decoded is not None:
                values["http"] = raw = decoded  # the request head, readable
            head = request_head(raw, _HEAD_FIELDS)
        domain = pop("domain", "") or head.get("host") or None
        target = pop("uri", "") or pop("url", "") or head.get("target", "")
        if target:
            event.url = _url(target, domain)
        elif domain:
            event.url = Url(domain=domain)
        method = pop("method", "") or head.get("method", "")
        referrer = head.get("referer")
        if method or referrer:
            event.http = Http(
                version=head.get("version"),
                request=HttpRequest(
                    method=method.upper() if method and method != "UNKNOWN" else None,
                    referrer=referrer,
                    mime_type=head.get("content-type"),
                ),
            )
            if method == "UNKNOWN":
                values["method"] = method
        if head.get("user-agent"):
            event.user_agent = UserAgent(original=head["user-agent"])

    @staticmethod
    def _access(event: Event, values: dict[str, str]) -> None:
        info = event.event
        pop = values.pop
        info.category = [C_WEB]
        info.type = [T_ACCESS]
        info.action = pop("action", "") or "webaccess"
        target = pop("url", "")
        host = pop("wa_host", "") or None
        if target:
            event.url = _url(target, host)
        elif host:
            event.url = Url(domain=host)
        agent = pop("agent", "")
        if agent:
            event.user_agent = UserAgent(original=unquote(agent))
        version = pop("http_protocol", "")
        status = count(pop("ser_status_code", ""))
        request = HttpRequest(
            method=pop("method", "").upper() or None,
            referrer=pop("wa_referer", "") or None,
            mime_type=pop("req_content_type", "") or None,
        )
        request_length = count(pop("req_content_len", ""))
        if request_length:
            request.body = HttpBody(bytes=request_length)
        response = HttpResponse(status_code=status, mime_type=pop("res_content_type", "") or None)
        response_length = count(pop("res_content_len", ""))
        if response_length is not None:
            response.body = HttpBody(bytes=response_length)
        event.http = Http(
            version=version[5:] if version.startswith("HTTP/") else version or None,
            request=request,
            response=response,
        )
        if status is not None:
            info.outcome = O_SUCCESS if status < 400 else O_FAILURE
