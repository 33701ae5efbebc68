"""``modsecurity.auditlog``: ModSecurity transactions and the ModSecurity lines of web-server error logs.

Shapes (one record each):

* v3 JSON audit log: ``{"transaction":{"client_ip":…,"time_stamp":…,"request":{…},"response":{…},
  "producer":{…},"messages":[{"message":…,"details":{"ruleId":…,"severity":…,"tags":[…]}}]}}``;
* v2 JSON audit log (``SecAuditLogFormat JSON``): ``{"transaction":{"remote_address":…},
  "request":{"request_line":…},"response":{"status":…},"audit_data":{"messages":[…],"action":{…}}}``;
* the native serial format: the whole ``--abcd1234-A--`` … ``--abcd1234-Z--`` transaction as one
  record with its newlines (v3 writes ``---abcd1234---A--``): A (time, ids, addresses), B
  (request line and headers), C/I (request body), E (response body), F (status line and
  headers), H (``Message:``/``ModSecurity:`` lines, ``Action: Intercepted``, producer …), K;
* Apache 2.2/2.4 and nginx error-log lines ``[…] [client 192.0.2.1] ModSecurity: Warning. …
  [file "…"] [line "…"] [id "…"] [msg "…"] … [hostname "…"] [uri "…"] [unique_id "…"]``.

One event per record. With rule messages it is an intrusion (``intrusion(web=True)``), blocked
when ModSecurity intercepted it (``Action: Intercepted``, ``action.intercepted``, ``Access
denied``, a 403 response, or a CRS blocking-evaluation rule 949xxx/959xxx in v3 JSON — which
has no intercept flag; never under ``DetectionOnly``). The rule shown in ``rule.*`` is the most
telling one: attack rules before CRS anomaly evaluation/correlation rules, then the most
severe, then the first. ``rule.category`` is its ``attack-*`` tag, else the part after
``OWASP_CRS/`` of a CRS 2 tag, else the name of its rule file (``REQUEST-942-APPLICATION-ATTACK-SQLI``
→ ``application-attack-sqli``). ``event.severity`` is the most severe message's (ModSecurity
severities are syslog levels: ``CRITICAL``/``2`` → 4). ``event.action``: ``intercepted``,
``warning`` (rules matched, not blocked), ``access`` (no rule matched: a web access event) or
``error`` (an error-log line without a rule verdict). Every message, all rule ids, all tags,
the headers (keys sanitised) and the rest stay under ``modsecurity.auditlog.*``; ECS ``tags``
is left for our own labels.
"""

from __future__ import annotations

from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    canonical_ip,
    finish,
    header_time,
    new_event,
)
from collectors.parsers.modsecurity_auditlog.shapes import (
    BOUNDARY,
    Transaction,
    first,
    read_error_line,
    read_json,
    read_native,
)
from collectors.parsers.vendor import add_related_ips, intrusion, not_ours, set_observer, vendor_fields
from soc_core.events import (
    Endpoint,
    Event,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Log,
    Process,
    Rule,
    Url,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import EventKind, EventOutcome, Severity

DATASET = "modsecurity.auditlog"
VENDOR, PRODUCT = "modsecurity", "auditlog"


class ModsecurityParser(Parser):
    """``modsecurity.auditlog``."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """A ``{"transaction":`` object, a ``--…-A--`` transaction or a ``] ModSecurity: `` line."""
        message = envelope.message
        if message.startswith("{"):
            return '"transaction"' in message[:40]
        if message.startswith("--"):
            return BOUNDARY.match(message) is not None
        at = message.find("ModSecurity: ")
        return at >= 2 and message[at - 2 : at] == "] "

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per transaction or error-log line."""
        header = envelope.syslog
        if header is not None and header.priority is None and (header.hostname or "").startswith("["):
            # an nginx error-log line ("2026/11/27 16:41:05 [error] 2201#2201: …") read as a
            # syslog header whose host is "[error]": it has no header, the whole line is ours
            envelope = Envelope(text=envelope.text, message=envelope.text, encoding=envelope.encoding)
        message = envelope.message
        stripped = message.lstrip()
        if stripped.startswith("{"):
            txn = read_json(stripped, record)
        elif stripped.startswith("--") and BOUNDARY.match(stripped):
            txn = read_native(stripped, record)
        else:
            at = message.find("ModSecurity: ")
            if at < 2 or message[at - 2 : at] != "] ":
                raise not_ours(record, "ModSecurity audit log or error log")
            txn = read_error_line(message, at, record)
        return [finish(_event(txn, envelope, record), envelope, record, DATASET)]


def _url(raw: str, host: str | None) -> Url:
    url = Url(original=raw, domain=host)
    if raw.startswith("/"):
        path, mark, query = raw.partition("?")
        url.path = path
        if mark:
            url.query = query
    elif "://" in raw[:12]:
        scheme, _, rest = raw.partition("://")
        url.scheme, url.full = scheme.lower(), raw
        authority, slash, tail = rest.partition("/")
        path, mark, query = (slash + tail).partition("?")
        url.path = path or None
        if mark:
            url.query = query
        if url.domain is None and authority:
            url.domain = authority.rpartition("@")[2].partition(":")[0] or None
    return url


def _host_name(headers: dict[str, Any]) -> str | None:
    host = first(headers.get("host"))
    if host is None:
        return None
    if host.startswith("["):  # [2001:db8::1]:8080
        return host[1:].partition("]")[0] or None
    return host.rpartition(":")[0] if host.count(":") == 1 else host


def _event(txn: Transaction, envelope: Envelope, record: RawRecord) -> Event:
    event = new_event(txn.time if txn.time is not None else header_time(envelope, record))
    set_observer(event, vendor="OWASP", product="ModSecurity", type_="waf")
    info = event.event
    kept = txn.kept
    if txn.client_ip is not None or txn.client_port is not None:
        event.source = Endpoint(ip=txn.client_ip, port=txn.client_port)
    host = _host_name(txn.request_headers) or txn.hostname
    if txn.host_ip is not None or txn.host_port is not None or host is not None:
        event.destination = Endpoint(
            ip=txn.host_ip, port=txn.host_port, domain=host if canonical_ip(host or "") is None else None
        )
    if txn.uri is not None:
        event.url = _url(txn.uri, host)
    elif host is not None:
        event.url = Url(domain=host)
    headers = txn.request_headers
    referrer = first(headers.get("referer"))
    request = response = None
    if txn.method or referrer or txn.request_body:
        request = HttpRequest(
            method=txn.method,
            referrer=referrer,
            body=HttpBody(content=txn.request_body) if txn.request_body else None,
        )
    if txn.status is not None or txn.response_body:
        response = HttpResponse(
            status_code=txn.status,
            body=HttpBody(content=txn.response_body) if txn.response_body else None,
        )
    if request is not None or response is not None or txn.http_version:
        event.http = Http(version=txn.http_version, request=request, response=response)
    agent = first(headers.get("user-agent"))
    if agent is not None:
        event.user_agent = UserAgent(original=agent)
    if "pid" in kept:
        event.process = Process(pid=kept.pop("pid"))
    if "level" in kept:
        event.log = Log(level=kept.pop("level"))

    messages = txn.messages
    if messages:
        blocked = False if txn.detection_only else bool(txn.intercepted)
        intrusion(info, blocked=blocked, web=True)
        info.action = "intercepted" if blocked else "warning"
        primary = max(
            enumerate(messages), key=lambda pair: (not pair[1].evaluation(), -pair[1].level(), -pair[0])
        )[1]
        fields = primary.fields
        event.rule = Rule(
            id=primary.rule_id,
            name=fields.get("msg") or primary.text or None,
            category=primary.category(),
            ruleset=fields.get("ver") or None,
            version=fields.get("rev") or None,
        )
        levels = [m.level() for m in messages if m.level() <= 7]
        if levels:
            info.severity = int(Severity.from_syslog(min(levels)))
        ids = [m.rule_id for m in messages if m.rule_id is not None]
        if ids:
            kept["rule_ids"] = list(dict.fromkeys(ids))
        tags = [tag for m in messages for tag in m.tags]
        if tags:
            kept["tags"] = list(dict.fromkeys(tags))
        kept["messages"] = [m.kept() for m in messages]
        if txn.intercepted is not None:
            kept["intercepted"] = txn.intercepted
    elif txn.error_text is not None:
        info.kind = EventKind.EVENT.value
        info.category, info.type = ["web"], ["error"]
        info.action = "error"
        event.message = txn.error_text
    else:
        info.kind = EventKind.EVENT.value
        info.category, info.type = ["web"], ["access"]
        info.action = "access"
        if txn.status is not None:
            info.outcome = (EventOutcome.SUCCESS if txn.status < 400 else EventOutcome.FAILURE).value
    add_related_ips(event)
    if kept:
        vendor_fields(event, VENDOR, PRODUCT, kept)
    return event
