"""``chaitin.safeline``: Chaitin 长亭 SafeLine 雷池 WAF attack logs (syslog, JSON body).

SafeLine sends an RFC 5424 header (MSGID ``safeline_event``) and a JSON object per detected
request (field table: SafeLine docs "Syslog 设置", see cn_devices/FORMATS.md §3). Values are
numbers or, after some relays, strings (``"src_port":"49142"``); both are accepted.

Mapping: ``src_ip``/``src_port`` → ``source.*`` (``country``/``province``/``city`` →
``source.geo.*``); ``dest_ip``/``dest_port`` → ``destination.*``; ``host`` → ``url.domain`` and
``destination.domain``; ``urlpath`` (+ ``query_string``) → ``url.original/path/query``;
``scheme`` → ``url.scheme``; ``method``, ``referer``, ``body`` → ``http.request.*``;
``user_agent`` → ``user_agent.original``; ``attack_type`` (a name such as ``backdoor``, or
SafeLine's numeric code, mapped to the name with SafeLine's own table) → ``rule.category``;
``reason`` (the custom rule's name) or else the console's Chinese label of the attack type
(``后门``) → ``rule.name``; ``rule_id``/``req_rule_id`` → ``rule.id``; ``module`` → ``rule.ruleset``;
``risk_level`` → ``event.severity`` (low 2, medium 3, high 4, critical 5); ``action`` →
``event.action``, ``deny`` = blocked; ``timestamp`` (s), else ``req_start_time`` (ms), else
``timestamp_human`` (local time) → ``@timestamp``; ``req_start_time``/``req_end_time`` →
``event.start/end``; ``node`` → ``observer.name``. Everything else (``event_id``, ``socket_ip``,
``upstream_addr``, ``payload``, ``location``, ``req_*`` duplicates, ``site_*``, ``cookie`` …)
stays under ``chaitin.safeline.*``; empty and ``"null"`` values are dropped.

The connectivity-test message (``safeline_event`` with text, no JSON) is an informational event.
A whitelist (``white_list``) or ``none`` attack type is a web access event, not an alert.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import msgspec

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    canonical_ip,
    finish,
    header_time,
    new_event,
    sanitize_key,
    timezone_of,
)
from collectors.parsers.json_depth import MAX_JSON_DEPTH, too_deep
from collectors.parsers.timeparse import from_posix, resolve_timestamp
from collectors.parsers.vendor import (
    add_related_ips,
    intrusion,
    not_ours,
    set_observer,
    vendor_fields,
    verdict_of,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    Geo,
    Http,
    HttpBody,
    HttpRequest,
    HttpResponse,
    Network,
    Related,
    Rule,
    Url,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventKind, EventType

DATASET = "chaitin.safeline"
VENDOR, PRODUCT = "chaitin", "safeline"
MSGID = "safeline_event"

_GENERIC = msgspec.json.Decoder()

# SafeLine's attack types: numeric code → name (the names its syslog JSON uses) and the
# console's Chinese label. Source: the AttackType table of Chaitin's web console constants.
ATTACK_TYPES: dict[str, tuple[str, str]] = {
    "-8": ("offline", "离线"),
    "-7": ("auth_defense", "身份认证拦截"),
    "-6": ("challenge", "人机验证"),
    "-5": ("acl", "频率限制封禁"),
    "-4": ("mass_pkg", "大包攻击"),
    "-3": ("black_list", "黑名单攻击"),
    "-2": ("white_list", "白名单放行"),
    "-1": ("none", "非 Web 攻击"),
    "0": ("sql_injection", "SQL 注入"),
    "1": ("xss", "XSS"),
    "2": ("csrf", "CSRF"),
    "3": ("ssrf", "SSRF"),
    "4": ("dos", "拒绝服务"),
    "5": ("backdoor", "后门"),
    "6": ("deserialization", "反序列化"),
    "7": ("code_execution", "代码执行"),
    "8": ("code_injection", "代码注入"),
    "9": ("command_injection", "命令注入"),
    "10": ("file_upload", "文件上传"),
    "11": ("file_inclusion", "文件包含"),
    "12": ("redirect", "重定向"),
    "13": ("weak_permission", "权限不当"),
    "14": ("info_leak", "信息泄露"),
    "15": ("unauthorized_access", "未授权访问"),
    "16": ("unsafe_config", "不安全的配置"),
    "17": ("xxe", "XXE"),
    "18": ("xpath_injection", "Xpath 注入"),
    "19": ("ldap_injection", "LDAP 注入"),
    "20": ("directory_traversal", "目录穿越"),
    "21": ("scanner", "扫描器"),
    "22": ("permission_bypass", "水平权限绕过"),
    "23": ("acl_bypass", "垂直权限绕过"),
    "24": ("file_write", "文件修改"),
    "25": ("file_download", "文件读取"),
    "26": ("file_deletion", "文件删除"),
    "27": ("logic_error", "逻辑错误"),
    "28": ("crlf_injection", "CRLF 注入"),
    "29": ("ssti", "模板注入"),
    "30": ("click_hijacking", "点击劫持"),
    "31": ("buffer_overflow", "缓冲区溢出"),
    "32": ("integer_overflow", "整数溢出"),
    "33": ("format_string", "格式化字符串"),
    "34": ("race_condition", "条件竞争"),
    "35": ("http_compliance_violation", "http 协议合规"),
    "36": ("http_smuggling", "http 请求走私"),
    "61": ("timeout", "超时"),
    "62": ("unknown", "未知"),
}
LABELS: dict[str, str] = {name: label for name, label in ATTACK_TYPES.values()}
# short spellings seen outside SafeLine's own table
LABELS.setdefault("sqli", "SQL 注入")
_NOT_ATTACKS = frozenset({"none", "white_list"})
_RISK: dict[str, int] = {"info": 1, "low": 2, "medium": 3, "middle": 3, "high": 4, "critical": 5}
_NULLS = frozenset({"", "null", "None", "-"})

# keys consumed into ECS (the rest stays under chaitin.safeline.*)
_MAPPED = frozenset(
    {
        "src_ip",
        "src_port",
        "dest_ip",
        "dest_port",
        "host",
        "urlpath",
        "query_string",
        "scheme",
        "method",
        "referer",
        "body",
        "resp_body",
        "user_agent",
        "attack_type",
        "reason",
        "rule_id",
        "module",
        "risk_level",
        "action",
        "timestamp",
        "req_start_time",
        "req_end_time",
        "node",
        "country",
        "province",
        "city",
        "protocol",
        "status",
        "status_code",
    }
)


def _json_text(message: str) -> str | None:
    text = message.strip()
    return text if text.startswith("{") and text.endswith("}") else None


def _text(value: Any) -> str | None:
    """A value as text; None for JSON null, empty and "null" strings."""
    if isinstance(value, str):
        value = value.strip()
        return None if value in _NULLS else value
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        return str(value)
    return None


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


def _port(value: Any) -> int | None:
    number = _int(value)
    return number if number is not None and 0 <= number <= 65_535 else None


def _epoch(value: Any, *, millis: bool) -> dt.datetime | None:
    number = _int(value)
    if number is None or number <= 0:
        return None
    seconds = number / 1000.0 if millis else float(number)
    stamp = from_posix(seconds)
    return None if stamp.year < 1990 else stamp


def attack_type(raw: str) -> tuple[str, str | None]:
    """(name, Chinese label) of an ``attack_type`` value: a name or SafeLine's numeric code."""
    found = ATTACK_TYPES.get(raw)
    if found is not None:
        return found
    name = raw.lower()
    return name, LABELS.get(name)


class SafelineParser(Parser):
    """``chaitin.safeline``."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """SafeLine's MSGID, or a JSON object with SafeLine's own attack-log keys."""
        header = envelope.syslog
        if header is not None and header.msgid == MSGID:
            return True
        message = envelope.message
        if not message.startswith("{") or '"attack_type"' not in message:
            return False
        # keys only SafeLine writes (other WAFs, e.g. 瑞数, also have attack_type/src_ip)
        return ('"event_id"' in message or '"site_uuid"' in message) and (
            '"risk_level"' in message or '"req_rule_id"' in message
        )

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per attack log (or connectivity test)."""
        text = _json_text(envelope.message)
        if text is None:
            header = envelope.syslog
            body = envelope.message.strip()
            if header is not None and header.msgid == MSGID and body and not body.startswith("{"):
                return [finish(self._notice(envelope, record), envelope, record, DATASET)]
            if body.startswith("{"):
                raise ParseError(
                    "not valid JSON: the object is not closed (truncated record?)",
                    where=record.where,
                    reason=DeadLetterReason.PARSE_ERROR.value,
                )
            raise not_ours(record, "SafeLine JSON attack log")
        try:
            doc = _GENERIC.decode(text)
        except (msgspec.DecodeError, msgspec.ValidationError, RecursionError) as exc:
            raise ParseError(
                f"not valid JSON: {exc}", where=record.where, reason=DeadLetterReason.PARSE_ERROR.value
            ) from None
        if not isinstance(doc, dict):
            raise not_ours(record, "SafeLine JSON attack log (not an object)")
        if too_deep(text, lambda: doc, MAX_JSON_DEPTH):
            raise ParseError(
                f"JSON nested deeper than {MAX_JSON_DEPTH} levels: not a SafeLine log",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        return [finish(self._attack(doc, envelope, record), envelope, record, DATASET)]

    @staticmethod
    def _notice(envelope: Envelope, record: RawRecord) -> Event:
        event = new_event(header_time(envelope, record))
        set_observer(event, vendor="Chaitin", product="SafeLine", type_="waf")
        event.message = envelope.message.strip()
        info = event.event
        info.category, info.type = ["configuration"], ["info"]
        info.action = "connectivity_test" if "connectivity test" in event.message.lower() else MSGID
        return event

    @staticmethod
    def _attack(doc: dict[str, Any], envelope: Envelope, record: RawRecord) -> Event:
        get = doc.get
        kept: dict[str, Any] = {}
        stamp = _epoch(get("timestamp"), millis=False) or _epoch(get("req_start_time"), millis=True)
        if stamp is None:
            human = _text(get("timestamp_human"))
            if human is not None:
                try:
                    stamp = resolve_timestamp(human, received_at=record.received_at, tz=timezone_of(record))
                except ValueError:
                    stamp = None
        if stamp is None:
            if get("timestamp") is not None:
                kept["timestamp"] = get("timestamp")
            stamp = header_time(envelope, record)
        event = new_event(stamp)
        info = event.event
        node = _text(get("node"))
        set_observer(event, vendor="Chaitin", product="SafeLine", type_="waf", name=node)

        # endpoints
        src_raw, dst_raw = _text(get("src_ip")), _text(get("dest_ip"))
        src_ip = canonical_ip(src_raw) if src_raw else None
        dst_ip = canonical_ip(dst_raw) if dst_raw else None
        for key, raw, ip in (("src_ip", src_raw, src_ip), ("dest_ip", dst_raw, dst_ip)):
            if raw is not None and ip is None:
                kept[key] = raw
        geo = _geo(get("country"), get("province"), get("city"))
        src_port, dst_port = _port(get("src_port")), _port(get("dest_port"))
        if src_ip or src_port is not None or geo is not None:
            event.source = Endpoint(ip=src_ip, port=src_port, geo=geo)
        host = _text(get("host"))
        host_name = host.rpartition(":")[0] if host and host.count(":") == 1 else host
        if dst_ip or dst_port is not None or host_name:
            event.destination = Endpoint(
                ip=dst_ip,
                port=dst_port,
                domain=host_name if host_name and canonical_ip(host_name) is None else None,
            )
        protocol = _text(get("protocol"))
        if protocol is not None:
            word = protocol.lower()
            if word == "https":  # the application protocol is HTTP (over TLS); the scheme says https
                kept["protocol"] = protocol
                word = "http"
            event.network = Network(protocol=word)

        # request
        path = _text(get("urlpath"))
        query = _text(get("query_string"))
        if path is not None or query is not None or host_name:
            original = path or ""
            if query is not None and "?" not in original:
                original = f"{original}?{query}"
            url = Url(original=original or None, domain=host_name, scheme=_text(get("scheme")))
            if original:
                url_path, mark, url_query = original.partition("?")
                url.path = url_path or None
                url.query = url_query if mark else None
            if host is not None and host_name != host:
                url.port = _port(host.rpartition(":")[2])
            event.url = url
        method, referrer, body = _text(get("method")), _text(get("referer")), _text(get("body"))
        status = _int(get("status_code")) or _int(get("status"))
        response_body = _text(get("resp_body"))
        request = response = None
        if method or referrer or body:
            request = HttpRequest(
                method=method, referrer=referrer, body=HttpBody(content=body) if body else None
            )
        if status is not None or response_body:
            response = HttpResponse(
                status_code=status, body=HttpBody(content=response_body) if response_body else None
            )
        if request is not None or response is not None:
            event.http = Http(request=request, response=response)
        agent = _text(get("user_agent"))
        if agent is not None:
            event.user_agent = UserAgent(original=agent)

        # the verdict
        raw_type = _text(get("attack_type")) or _text(get("req_attack_type"))
        name, label = attack_type(raw_type) if raw_type is not None else (None, None)
        action = _text(get("action")) or _text(get("req_action"))
        risk = _text(get("risk_level")) or _text(get("req_risk_level"))
        if risk is not None:
            info.severity = _RISK.get(risk.lower())
            if info.severity is None:
                kept["risk_level"] = risk
        decision = verdict_of(action) if action else None
        if name is not None and name not in _NOT_ATTACKS:
            intrusion(
                info, blocked=None if decision is None else decision == EventType.DENIED.value, web=True
            )
            reason = _text(get("reason"))
            event.rule = Rule(
                id=_text(get("rule_id")) or _text(get("req_rule_id")),
                name=reason or label or name,
                category=name,
                ruleset=_text(get("module")) or _text(get("req_rule_module")),
            )
            if label is not None:
                kept["attack_type_label"] = label
        else:
            info.kind = EventKind.EVENT.value
            info.category = ["web"]
            info.type = ["access"] if decision is None else ["access", decision]
            if name is not None:
                kept["attack_type"] = name
            reason = _text(get("reason"))
            if reason is not None:
                kept["reason"] = reason
        info.action = action
        start = _epoch(get("req_start_time"), millis=True)
        end = _epoch(get("req_end_time"), millis=True)
        if start is not None:
            info.start = start
        if end is not None and (start is None or end >= start):
            info.end = end
            if start is not None:
                info.duration = (end - start) // dt.timedelta(microseconds=1) * 1000

        for key, value in doc.items():
            if key in _MAPPED:
                continue
            safe = sanitize_key(str(key))
            if not safe or value is None or (isinstance(value, str) and value.strip() in _NULLS):
                continue
            kept[safe] = value
        add_related_ips(event)
        # the TCP peer (a proxy in front of the client) is related too
        socket_ip = canonical_ip(_text(get("socket_ip")) or "")
        if socket_ip is not None:
            known = event.related.ip if event.related is not None and event.related.ip else []
            if socket_ip not in known:
                event.related = Related(ip=[*known, socket_ip])
        vendor_fields(event, VENDOR, PRODUCT, kept)
        return event


def _geo(country: Any, province: Any, city: Any) -> Geo | None:
    country_text, region, city_text = _text(country), _text(province), _text(city)
    if country_text is None and region is None and city_text is None:
        return None
    iso = country_text if country_text and len(country_text) == 2 and country_text.isascii() else None
    return Geo(
        country_iso_code=iso.upper() if iso else None,
        country_name=None if iso else country_text,
        region_name=region,
        city_name=city_text,
    )
