"""ModSecurity records as ``Transaction``s: the JSON audit logs (v2, v3), the native serial format
and web-server error-log lines, read into one shape the parser turns into an event.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

import msgspec

from collectors.parsers.common import canonical_ip, sanitize_key, timezone_of
from collectors.parsers.json_depth import MAX_JSON_DEPTH, too_deep
from collectors.parsers.timeparse import MONTHS, resolve_timestamp, zone
from collectors.parsers.vendor import not_ours
from soc_core.errors import ParseError
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern
from soc_core.vocabulary import DeadLetterReason

MAX_DEPTH = MAX_JSON_DEPTH

_GENERIC = msgspec.json.Decoder()
# [name "value"] fields of a ModSecurity message; values may hold escaped quotes
_FIELD = compile_pattern(r'\[(\w+) "((?:[^"\\]++|\\.)*+)"\]')
_UNESCAPE = re.compile(r'\\(["\\])')
# --abcd1234-A-- (v2) and ---abcd1234---A-- (v3) section boundaries
BOUNDARY = re.compile(r"^-{2,3}([0-9A-Za-z]{4,64})-{1,3}([A-Z])--[ \t\r]*$", re.MULTILINE)
_SECTION_A = re.compile(r"\[([^\]]+)\]\s+(\S+)\s+(\S+)\s+(\d{1,5})\s+(\S+)\s+(\d{1,5})")
_CLF_TIME = re.compile(
    r"(\d{1,2})/([A-Za-z]{3})/(\d{4}):(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(?:\s*([+-])(\d{2}):?(\d{2}))?"
)
_REQUEST_LINE = re.compile(r"([A-Z][A-Z_-]{0,31}) (\S+)(?: (HTTP/[\d.]+))?$")
_STATUS_LINE = re.compile(r"(HTTP/[\d.]+) (\d{3})\b")
_INTERCEPTED = re.compile(r"Intercepted(?: \(phase (\d)\))?")
_ACCESS_DENIED = re.compile(r"Access denied with code (\d{3})(?: \(phase (\d)\))?")
# error-log prefixes
_APACHE_TIME = re.compile(
    r"\[((?:[A-Z][a-z]{2} )?[A-Z][a-z]{2} +\d{1,2} \d{2}:\d{2}:\d{2}(?:\.\d+)? \d{4})\]"
)
_NGINX_TIME = re.compile(r"(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2})")
_LEVEL = re.compile(r"\[(?:([\w-]*):)?(emerg|alert|crit|error|warn|notice|info|debug|trace\d)\]")
_APACHE_PID = re.compile(r"\[pid (\d+)(?::tid (\d+))?\]")
_NGINX_PID = re.compile(r"\[(?:emerg|alert|crit|error|warn|notice|info|debug)\] (\d+)#(\d+): (?:\*(\d+) )?")
_CLIENT = re.compile(r"\[client ([^\]]+)\]")
_NGINX_TAIL = re.compile(
    r', client: ([^,]+), server: ([^,]*)(?:, request: "([^"]*)")?(?:, upstream: "[^"]*")?'
    r'(?:, host: "([^"]*)")?(?:, referrer: "([^"]*)")?$'
)
_WEEKDAY = re.compile(r"^[A-Z][a-z]{2} (?=[A-Z][a-z]{2} )")

# ModSecurity severities are syslog levels (names or numbers).
_SEVERITY_LEVELS: dict[str, int] = {
    "EMERGENCY": 0,
    "ALERT": 1,
    "CRITICAL": 2,
    "ERROR": 3,
    "WARNING": 4,
    "NOTICE": 5,
    "INFO": 6,
    "DEBUG": 7,
}
_EVALUATION_PREFIXES = ("949", "959", "980")
_V3_DETAIL_NAMES = {"ruleId": "id", "lineNumber": "line"}
_FILE_PREFIX = re.compile(r"^(?:(?:REQUEST|RESPONSE)-\d+-|modsecurity_crs_\d+_|modsecurity_)", re.IGNORECASE)


@dataclass(slots=True)
class Message:
    """One rule message: the text before the fields, the fields, the tags."""

    text: str
    fields: dict[str, str]
    tags: list[str]

    @property
    def rule_id(self) -> str | None:
        return self.fields.get("id") or None

    def level(self) -> int:
        """Syslog level of the message's severity (8 when it has none)."""
        raw = self.fields.get("severity", "").strip().upper()
        if raw.isdigit() and int(raw) <= 7:
            return int(raw)
        return _SEVERITY_LEVELS.get(raw, 8)

    def evaluation(self) -> bool:
        """A CRS anomaly-score evaluation or correlation rule (not an attack type of its own)."""
        rule_id, source = self.fields.get("id", ""), self.fields.get("file", "")
        return (
            "anomaly-evaluation" in self.tags
            or (len(rule_id) == 6 and rule_id.startswith(_EVALUATION_PREFIXES))
            or "correlation" in source
            or "blocking" in source.lower()
        )

    def category(self) -> str | None:
        for tag in self.tags:
            if tag.startswith("attack-"):
                return tag
        for tag in self.tags:
            if tag.startswith("OWASP_CRS/") and not tag[10:11].isdigit() and len(tag) > 10:
                return tag[10:]
        source = self.fields.get("file", "")
        if source:
            stem = source.replace("\\", "/").rpartition("/")[2]
            stem = stem[:-5] if stem.endswith(".conf") else stem
            stem = _FILE_PREFIX.sub("", stem)
            if stem:
                return stem.lower()
        return None

    def kept(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in self.fields.items() if v != ""}
        if self.text:
            out["text"] = self.text
        if self.tags:
            out["tags"] = self.tags
        return out


@dataclass(slots=True)
class Transaction:
    """A transaction in any of the shapes, before it becomes an event."""

    time: dt.datetime | None = None
    client_ip: str | None = None
    client_port: int | None = None
    host_ip: str | None = None
    host_port: int | None = None
    hostname: str | None = None  # [hostname "…"] of error-log lines
    method: str | None = None
    uri: str | None = None
    http_version: str | None = None
    request_headers: dict[str, Any] = field(default_factory=dict)
    request_body: str | None = None
    status: int | None = None
    response_headers: dict[str, Any] = field(default_factory=dict)
    response_body: str | None = None
    messages: list[Message] = field(default_factory=list)
    intercepted: bool | None = None
    detection_only: bool = False
    error_text: str | None = None  # an error-log line that is not a rule verdict
    kept: dict[str, Any] = field(default_factory=dict)


def parse_message(raw: str) -> Message:
    """``Warning. Pattern match … [file "…"] [id "…"] [tag "a"] [tag "b"]`` → a message."""
    first = _FIELD.search(raw)
    if first is None:
        return Message(text=raw.strip(), fields={}, tags=[])
    fields: dict[str, str] = {}
    tags: list[str] = []
    for name, value in _FIELD.findall(raw, first.start()):
        if "\\" in value:
            value = _UNESCAPE.sub(r"\1", value)
        if name == "tag":
            tags.append(value)
        elif name not in fields:
            fields[name] = value
    return Message(text=raw[: first.start()].strip(), fields=fields, tags=tags)


def _clf_time(text: str, tz: str) -> dt.datetime | None:
    """``27/Nov/2026:16:00:00.123456 +0800`` (the audit log's time) in UTC."""
    m = _CLF_TIME.search(text)
    if m is None:
        return None
    day, mon, year, hour, minute, second, frac, sign, oh, om = m.groups()
    month = MONTHS.get(mon.lower())
    if month is None:
        return None
    micro = int(frac[:6].ljust(6, "0")) if frac else 0
    try:
        if sign:
            offset = dt.timedelta(hours=int(oh), minutes=int(om))
            tzinfo = dt.timezone(offset if sign == "+" else -offset)
            stamp = dt.datetime(
                int(year), month, int(day), int(hour), int(minute), int(second), micro, tzinfo
            )
        else:
            stamp = dt.datetime(
                int(year), month, int(day), int(hour), int(minute), int(second), micro, zone(tz)
            )
        return stamp.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


def _text_time(text: str, record: RawRecord) -> dt.datetime | None:
    """``Tue May 10 04:52:04 2022`` / ``Mon Feb 09 16:47:55.974089 2015`` / ``2022/05/09 09:41:59``."""
    text = _WEEKDAY.sub("", text.strip())
    try:
        return resolve_timestamp(text, received_at=record.received_at, tz=timezone_of(record))
    except ValueError:
        return None


def _endpoint_of(value: str) -> tuple[str | None, int | None]:
    """``192.0.2.1``, ``192.0.2.1:5678``, ``2001:db8::1`` or ``[2001:db8::1]:5678`` → (ip, port)."""
    value = value.strip()
    ip = canonical_ip(value)
    if ip is not None:
        return ip, None
    host, _, port = value.rpartition(":")
    ip = canonical_ip(host)
    if ip is not None and port.isdigit() and int(port) <= 65_535:
        return ip, int(port)
    return None, None


def _port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 <= value <= 65_535:
        return value
    if isinstance(value, str) and value.isdigit() and int(value) <= 65_535:
        return int(value)
    return None


def _string(value: Any) -> str | None:
    if isinstance(value, str):
        return value or None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _headers(raw: Any, kept: dict[str, Any], key: str) -> dict[str, Any]:
    """Header dict as sent (for ECS lookups); a sanitised copy is kept under ``key``."""
    if not isinstance(raw, dict):
        if raw is not None:
            kept[key] = raw
        return {}
    clean: dict[str, Any] = {}
    for name, value in raw.items():
        safe = sanitize_key(str(name))
        if safe:
            clean[safe] = value
    if clean:
        kept[key] = clean
    return {str(k).lower(): v for k, v in raw.items()}


def _header_lines(lines: list[str]) -> dict[str, Any]:
    """``Name: value`` lines → {lowercase name: value or [values]}."""
    found: dict[str, Any] = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            continue
        key, value = name.strip().lower(), value.strip()
        if key in found:
            existing = found[key]
            found[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            found[key] = value
    return found


def first(value: Any) -> str | None:
    """The first (or only) non-empty string of a header value."""
    if isinstance(value, list):
        value = value[0] if value else None
    return value if isinstance(value, str) and value else None


# -- JSON --------------------------------------------------------------------------------------


def read_json(text: str, record: RawRecord) -> Transaction:
    """A v3 (``client_ip``…) or v2 (``remote_address``…, ``audit_data``) JSON audit record."""
    try:
        doc = _GENERIC.decode(text)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
        raise ParseError(
            f"not valid JSON: {exc}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
        ) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("transaction"), dict):
        raise not_ours(record, "ModSecurity JSON audit log (no transaction object)")
    if too_deep(text, lambda: doc):
        raise ParseError(
            f"JSON nested deeper than {MAX_DEPTH} levels",
            where=record.where,
            reason=DeadLetterReason.PARSE_ERROR.value,
        )
    if "audit_data" in doc or "remote_address" in doc["transaction"]:
        return _json_v2(doc, record)
    return _json_v3(doc["transaction"], record)


def _json_v3(tx: dict[str, Any], record: RawRecord) -> Transaction:
    txn = Transaction()
    kept = txn.kept
    rest = dict(tx)
    stamp = rest.pop("time_stamp", None)
    if isinstance(stamp, str):
        txn.time = _text_time(stamp, record)
    if txn.time is None and stamp is not None:
        kept["time_stamp"] = stamp
    txn.client_ip, txn.host_ip = (
        _ip(rest.pop("client_ip", None), kept, "client_ip"),
        _ip(rest.pop("host_ip", None), kept, "host_ip"),
    )
    txn.client_port = _port(rest.pop("client_port", None))
    txn.host_port = _port(rest.pop("host_port", None))
    request = rest.pop("request", None)
    if isinstance(request, dict):
        request = dict(request)
        txn.method = _string(request.pop("method", None))
        txn.uri = _string(request.pop("uri", None))
        version = request.pop("http_version", None)
        if isinstance(version, float):
            txn.http_version = f"{version:g}" if not version.is_integer() else f"{version:.1f}"
        else:
            txn.http_version = _string(version)
        txn.request_headers = _headers(request.pop("headers", None), kept, "request_headers")
        txn.request_body = _string(request.pop("body", None))
        if request:
            kept["request"] = request
    response = rest.pop("response", None)
    if isinstance(response, dict):
        response = dict(response)
        code = response.pop("http_code", None)
        txn.status = code if isinstance(code, int) and not isinstance(code, bool) else None
        if txn.status is None and code is not None:
            kept["http_code"] = code
        txn.response_headers = _headers(response.pop("headers", None), kept, "response_headers")
        txn.response_body = _string(response.pop("body", None))
        if response:
            kept["response"] = response
    producer = rest.pop("producer", None)
    if producer is not None:
        kept["producer"] = producer
        if isinstance(producer, dict):
            txn.detection_only = str(producer.get("secrules_engine", "")).lower() == "detectiononly"
    messages = rest.pop("messages", None)
    if isinstance(messages, list):
        for item in messages:
            if isinstance(item, dict):
                txn.messages.append(_v3_message(item))
    elif messages is not None:
        kept["messages_raw"] = messages
    kept.update((sanitize_key(str(k)) or "_", v) for k, v in rest.items())
    if txn.detection_only:
        txn.intercepted = False
    elif txn.status == 403 or any(
        (m.rule_id or "").startswith(_EVALUATION_PREFIXES) and len(m.rule_id or "") == 6 for m in txn.messages
    ):
        txn.intercepted = bool(txn.messages)
    return txn


def _json_v2(doc: dict[str, Any], record: RawRecord) -> Transaction:
    txn = Transaction()
    kept = txn.kept
    tx = dict(doc["transaction"])
    stamp = tx.pop("time", None)
    if isinstance(stamp, str):
        txn.time = _clf_time(stamp, timezone_of(record))
    if txn.time is None and stamp is not None:
        kept["time"] = stamp
    txn.client_ip = _ip(tx.pop("remote_address", None), kept, "remote_address")
    txn.client_port = _port(tx.pop("remote_port", None))
    txn.host_ip = _ip(tx.pop("local_address", None), kept, "local_address")
    txn.host_port = _port(tx.pop("local_port", None))
    unique = tx.pop("transaction_id", None)
    if unique is not None:
        kept["unique_id"] = unique
    kept.update((sanitize_key(str(k)) or "_", v) for k, v in tx.items())
    request = doc.get("request")
    if isinstance(request, dict):
        line = _string(request.get("request_line"))
        if line is not None:
            _request_line(txn, line)
        txn.request_headers = _headers(request.get("headers"), kept, "request_headers")
        body = request.get("body")
        txn.request_body = "\n".join(body) if isinstance(body, list) else _string(body)
    response = doc.get("response")
    if isinstance(response, dict):
        status = response.get("status")
        txn.status = status if isinstance(status, int) and not isinstance(status, bool) else None
        txn.response_headers = _headers(response.get("headers"), kept, "response_headers")
        txn.response_body = _string(response.get("body"))
        if isinstance(response.get("protocol"), str):
            kept["response_protocol"] = response["protocol"]
    audit = doc.get("audit_data")
    if isinstance(audit, dict):
        audit = dict(audit)
        for item in audit.pop("messages", None) or []:
            if isinstance(item, str):
                txn.messages.append(parse_message(item))
        action = audit.pop("action", None)
        if isinstance(action, dict):
            if isinstance(action.get("intercepted"), bool):
                txn.intercepted = action["intercepted"]
            kept["action"] = action
        mode = audit.get("engine_mode")
        txn.detection_only = isinstance(mode, str) and mode.upper() == "DETECTION_ONLY"
        kept.update((sanitize_key(str(k)) or "_", v) for k, v in audit.items())
    for key, value in doc.items():
        if key not in ("transaction", "request", "response", "audit_data"):
            kept[sanitize_key(str(key)) or "_"] = value
    return txn


# -- native serial format ----------------------------------------------------------------------


def read_native(text: str, record: RawRecord) -> Transaction:
    """The whole ``--id-A--`` … ``--id-Z--`` transaction of the serial format, newlines and all."""
    sections: dict[str, str] = {}
    boundaries = list(BOUNDARY.finditer(text))
    for index, found in enumerate(boundaries):
        end = boundaries[index + 1].start() if index + 1 < len(boundaries) else len(text)
        body = text[found.end() : end].strip("\r\n")
        sections.setdefault(found.group(2), body)
    if "A" not in sections:
        raise ParseError(
            "ModSecurity serial audit log without an A section",
            where=record.where,
            reason=DeadLetterReason.PARSE_ERROR.value,
        )
    txn = Transaction()
    kept = txn.kept
    kept["boundary"] = boundaries[0].group(1)
    head = _SECTION_A.search(sections["A"])
    if head is None:
        raise ParseError(
            f"ModSecurity A section not understood: {sections['A'][:120]!r}",
            where=record.where,
            reason=DeadLetterReason.PARSE_ERROR.value,
        )
    stamp, unique, client, client_port, server, server_port = head.groups()
    txn.time = _clf_time(stamp, timezone_of(record))
    if txn.time is None:
        kept["time"] = stamp
    kept["unique_id"] = unique
    txn.client_ip = _ip(client, kept, "client_ip")
    txn.host_ip = _ip(server, kept, "host_ip")
    txn.client_port, txn.host_port = _port(client_port), _port(server_port)
    if "B" in sections:
        lines = sections["B"].splitlines()
        if lines:
            _request_line(txn, lines[0].strip())
            txn.request_headers = _header_lines(lines[1:])
            _headers(txn.request_headers, kept, "request_headers")
    request_body = sections.get("C") or sections.get("I")
    if request_body:
        txn.request_body = request_body
    if "F" in sections:
        lines = sections["F"].splitlines()
        if lines:
            status = _STATUS_LINE.match(lines[0].strip())
            if status is not None:
                txn.status = int(status.group(2))
                kept["response_protocol"] = status.group(1)
            txn.response_headers = _header_lines(lines[1:])
            _headers(txn.response_headers, kept, "response_headers")
    if sections.get("E"):
        txn.response_body = sections["E"]
    trailer: dict[str, Any] = {}
    for line in sections.get("H", "").splitlines():
        name, sep, value = line.partition(": ")
        if not sep:
            continue
        if name in ("Message", "ModSecurity"):
            txn.messages.append(parse_message(value))
            continue
        if name == "Action":
            intercepted = _INTERCEPTED.match(value)
            if intercepted is not None:
                txn.intercepted = True
                if intercepted.group(1):
                    kept["phase"] = int(intercepted.group(1))
        if name == "Engine-Mode":
            txn.detection_only = value.strip('"').upper() == "DETECTION_ONLY"
        key = sanitize_key(name) or "_"
        previous = trailer.get(key)
        if previous is None:
            trailer[key] = value
        else:
            trailer[key] = [*previous, value] if isinstance(previous, list) else [previous, value]
    if trailer:
        kept["trailer"] = trailer
    if sections.get("K"):
        kept["matched_rules"] = sections["K"].splitlines()
    if txn.intercepted is None and not txn.detection_only:
        txn.intercepted = bool(txn.messages) and txn.status == 403
    return txn


# -- error-log line ----------------------------------------------------------------------------


def read_error_line(text: str, at: int, record: RawRecord) -> Transaction:
    """An Apache/nginx error-log line; ``at`` is where ``ModSecurity: `` starts."""
    txn = Transaction()
    kept = txn.kept
    prefix, body = text[:at], text[at + len("ModSecurity: ") :]
    stamp = _APACHE_TIME.match(prefix) or _NGINX_TIME.match(prefix)
    if stamp is not None:
        txn.time = _text_time(stamp.group(1), record)
        if txn.time is None:
            kept["time"] = stamp.group(1)
    level = _LEVEL.search(prefix)
    if level is not None:
        kept["level"] = level.group(2)
        if level.group(1):
            kept["module"] = level.group(1)
    pid = _APACHE_PID.search(prefix) or _NGINX_PID.search(prefix)
    if pid is not None:
        kept["pid"] = int(pid.group(1))
        if pid.group(2):
            kept["tid"] = int(pid.group(2))
        if pid.lastindex == 3 and pid.group(3):
            kept["connection"] = int(pid.group(3))
    # Apache 2.4 with mod_security2 writes the client twice: [client ip:port] [client ip]
    for client in _CLIENT.findall(prefix):
        ip, client_port = _endpoint_of(client)
        if ip is None:
            kept["client"] = client
        elif txn.client_ip in (None, ip):
            txn.client_ip = ip
            txn.client_port = txn.client_port if client_port is None else client_port
    tail = None
    last_field = body.rfind('"]')
    cut = body.find(", client: ", last_field if last_field >= 0 else 0)
    if cut >= 0:
        tail = _NGINX_TAIL.match(body, cut)
        if tail is not None:
            body = body[:cut]
    message = parse_message(body)
    fields = message.fields
    if tail is not None:
        nginx_client, server, request, host, referrer = tail.groups()
        if txn.client_ip is None:
            txn.client_ip, txn.client_port = _endpoint_of(nginx_client)
        if server:
            kept["server"] = server
        if request:
            _request_line(txn, request)
        if host:
            txn.request_headers["host"] = host
        if referrer:
            txn.request_headers["referer"] = referrer
    hostname = fields.pop("hostname", None)
    if hostname:
        ip = canonical_ip(hostname)
        if ip is not None:
            txn.host_ip = ip
        else:
            txn.hostname = hostname
    uri = fields.pop("uri", None)
    if uri and txn.uri is None:
        txn.uri = uri
    unique = fields.pop("unique_id", None)
    if unique:
        kept["unique_id"] = unique
    denied = _ACCESS_DENIED.match(message.text)
    if denied is not None:
        txn.intercepted = True
        txn.status = int(denied.group(1))
        if denied.group(2):
            kept["phase"] = int(denied.group(2))
    elif message.text.startswith("Warning.") or message.text.startswith("Access allowed"):
        txn.intercepted = False
    if message.rule_id is not None or txn.intercepted is not None:
        txn.messages.append(message)
    else:
        txn.error_text = message.text or body.strip()
        if fields:
            kept["fields"] = fields
    return txn


def _ip(value: Any, kept: dict[str, Any], key: str) -> str | None:
    if value is None:
        return None
    ip = canonical_ip(value) if isinstance(value, str) else None
    if ip is None:
        kept[key] = value
    return ip


def _request_line(txn: Transaction, line: str) -> None:
    m = _REQUEST_LINE.match(line)
    if m is None:
        txn.kept["request_line"] = line
        return
    txn.method, txn.uri = m.group(1), m.group(2)
    if m.group(3):
        txn.http_version = m.group(3)[5:]


def _v3_message(item: dict[str, Any]) -> Message:
    details = item.get("details")
    fields: dict[str, str] = {}
    tags: list[str] = []
    if isinstance(details, dict):
        for key, value in details.items():
            if key == "tags" and isinstance(value, list):
                tags = [tag for tag in value if isinstance(tag, str)]
                continue
            text = _string(value)
            if text is None:
                continue
            name = _V3_DETAIL_NAMES.get(str(key), str(key))
            fields[name] = text
    msg = _string(item.get("message"))
    if msg is not None:
        fields["msg"] = msg
    return Message(text=fields.pop("match", ""), fields=fields, tags=tags)
