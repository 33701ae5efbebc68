"""``sangfor.af``: Sangfor (深信服) AF next-generation firewall, ``fwlog:`` records.

Shape: ``[host ]fwlog[pid]: [所属系统:vsys, ]日志类型:<type>, 键:值, 键:值 …`` (NAT logs come with
the tag ``nat:``). Pairs are separated by ``,`` / full-width ``，`` / a newline or the literal two
characters ``\\n`` (exports that escaped the device's newlines), keys from values by ``:`` or
``：``. Keys are Chinese (plus ``URL``); a separator that is not followed by such a key belongs to
the value (URLs and attack strings contain commas). Devices may send GBK; the decoder handles it.

Known keys go to ECS: 源IP/目的IP/源端口/目的端口, 用户/用户名 (``(null)`` means none; an address
there names an unauthenticated host: ``source.ip``), 用户名/主机 (an address is ``source.ip``, a name
``user.name``), IP地址 (the client of admin and login logs),
应用名称 (else 应用类型) → ``network.application``, 协议 → ``network.transport``, 系统动作/动作
(被记录 logged / 允许 allowed / 拒绝 denied) → ``event.action`` and the verdict, 策略名称 →
``rule.name``, 严重等级/严重级别/危险等级 (高/中/低) → ``event.severity``, URL → ``url.*``, NAT类型 with
转换后的IP/端口 → ``source.nat`` (snat) or ``destination.nat`` (dnat), 描述 → ``message``.
上行/下行/总流量(KB) are kilobytes: ``source.bytes``/``destination.bytes``/``network.bytes`` get
KB × 1024 (an approximation, the device rounds), the KB numbers stay under ``sangfor.af.*``.

Detections (日志类型 WAF应用防护日志, IPS防护日志, 僵尸网络日志, DOS攻击日志, 病毒查杀, … or any record
with 攻击类型) are intrusion events: ``rule.name`` = 漏洞名称 / 病毒名 / 攻击类型, ``rule.category`` =
攻击类型 (else the log type); WAF logs add ``web``; 被记录 (only logged) means not blocked.
Every other key is kept under ``sangfor.af.<key>`` with the Chinese key as it is.

Not ours: the server-blade EDR ``日志类型=…;`` records (``=`` and ``;``: ``syslog.kv``) and the
安全感知平台 ``|!secevent|!`` JSON records.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    TRANSPORT_NAMES,
    canonical_ip,
    finish,
    header_time,
    new_event,
    port,
    sanitize_key,
    severity,
    timezone_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import (
    add_related_ips,
    firewall_verdict,
    intrusion,
    not_ours,
    set_observer,
    verdict_of,
)
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, Nat, Network, Rule, Url, User
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventOutcome, EventType

VENDOR, PRODUCT = "sangfor", "af"
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
C_CONFIGURATION = EventCategory.CONFIGURATION.value
C_HOST = EventCategory.HOST.value
C_MALWARE = EventCategory.MALWARE.value
C_NETWORK = EventCategory.NETWORK.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
T_CHANGE = EventType.CHANGE.value
T_CONNECTION = EventType.CONNECTION.value
T_END = EventType.END.value
T_INFO = EventType.INFO.value
T_START = EventType.START.value
_LOG_TYPE = "日志类型"
_SNIFF_SPAN = 96
# "host tag[pid]: " in front of the pairs when the record came without a syslog header.
_PREFIX = re.compile(r"(?:(?P<host>[^\s:：]+)\s+)?(?P<tag>[A-Za-z_][\w-]{0,31})(?:\[\d+\])?:\s+")
# Tried once per blank run, from its first blank (from each blank, a long run was quadratic);
# a real newline is a separator, not a leading blank.
_SEPARATOR = re.compile(r"(?<![^\S\n])([^\S\n]*+(?:,|，|\\n|\n)\s*+)")
_ASCII_KEYS = frozenset({"URL", "url"})

# key → what it is; the rest are vendor fields
_FIELD: dict[str, str] = {
    "源IP": "src",
    "目的IP": "dst",
    "源端口": "sport",
    "目的端口": "dport",
    "用户": "user",
    "用户名": "user",
    "用户名/主机": "user_or_host",
    "IP地址": "client",
    "应用类型": "app_type",
    "应用名称": "app_name",
    "系统动作": "action",
    "动作": "action",
    "协议": "proto",
    "策略名称": "policy",
    "严重等级": "severity",
    "严重级别": "severity",
    "危险等级": "severity",
    "攻击类型": "attack",
    "漏洞名称": "name",
    "病毒名": "name",
    "URL": "url",
    "url": "url",
    "上行流量(KB)": "up_kb",
    "下行流量(KB)": "down_kb",
    "总流量(KB)": "total_kb",
    "NAT类型": "nat_type",
    "转换后的IP": "nat_ip",
    "转换后的端口": "nat_port",
    "描述": "description",
    "操作": "operation",
    "操作类型": "operation",
    "时间": "time",
}
_ALSO_KEPT = frozenset({"up_kb", "down_kb", "total_kb", "severity", "app_type", "app_name"})
_NONE_VALUES = frozenset({"", "-", "(null)", "null", "NULL", "none", "None"})
_WEAK_APPS = frozenset({"any", "Any", "ANY", "Other", "other", "(null)", "null", "-", ""})
# 日志类型 words that mark a detection
_DETECTION_MARKS = ("WAF", "IPS", "攻击", "僵尸网络", "病毒", "漏洞", "木马", "DOS", "DoS", "入侵")
# 被记录 = logged only: the detection did not stop the traffic
_NOT_BLOCKED = frozenset({"被记录", "记录", "允许", "放行", "检测", "告警"})
_LOGGED = frozenset({"被记录", "记录"})


def _kilobytes(value: str) -> int | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if not 0 <= number < 1e15:
        return None
    return int(number * 1024)


def _url(text: str) -> Url:
    """``url.*`` from what Sangfor logs: ``host/path?query`` with or without a scheme."""
    scheme: str | None = None
    rest = text
    if "://" in text[:12]:
        scheme, _, rest = text.partition("://")
        scheme = scheme.lower()
    host, slash, path_query = rest.partition("/")
    path, _, query = (slash + path_query).partition("?")
    domain, port_text = host, ""
    if host.count(":") == 1:
        domain, _, port_text = host.partition(":")
    return Url(
        original=text,
        scheme=scheme,
        domain=domain or None,
        port=port(port_text) if port_text else None,
        path=path or None,
        query=query or None,
    )


def split_pairs(text: str) -> list[tuple[str, str]]:
    """``(key, value)`` pairs; separators not followed by a Chinese (or ``URL``) key stay in the value."""
    if "，" in text or "：" in text or "\\n" in text or "\n" in text:
        parts = _SEPARATOR.split(text)
        segments, separators = parts[0::2], parts[1::2]
    else:  # the common ", " records: plain string calls, no regex
        segments = text.split(",")
        separators = [","] * (len(segments) - 1)
    keys: list[str] = []
    values: list[list[str]] = []  # pieces, joined once at the end: no quadratic concatenation
    for index, segment in enumerate(segments):
        key, colon, value = segment.partition(":")
        if "：" in key:  # the full-width colon comes first
            key, colon, value = segment.partition("：")
        key = key.strip()
        if colon and key and len(key) <= 32 and (key in _ASCII_KEYS or not key.isascii()) and " " not in key:
            keys.append(key)
            values.append([value])
        elif values:  # a value that contained the separator
            values[-1].append(separators[index - 1])
            values[-1].append(segment)
    return [(key, "".join(pieces).strip()) for key, pieces in zip(keys, values, strict=True)]


# The AF's syslog program names (the tag before the message).
_AF_PROGRAMS: frozenset[str] = frozenset({"fwlog", "nat"})


class SangforAfParser(Parser):
    """``sangfor.af``: ``fwlog: 日志类型:…`` records with Chinese keys."""

    dataset: ClassVar[str] = "sangfor.af"

    def sniff(self, envelope: Envelope) -> bool:
        """``日志类型:`` (or ``：``) near the start, sent by the AF's ``fwlog``/``nat`` programs.

        The EDR's ``日志类型=`` is not ours, and neither are other Sangfor boxes (the AC
        behaviour manager also writes ``日志类型:``) that do not log through those programs.
        """
        message = envelope.message
        at = message.find(_LOG_TYPE, 0, _SNIFF_SPAN)
        if at < 0 or message[at + 4 : at + 5] not in (":", "："):
            return False
        header = envelope.syslog
        if header is not None and header.appname in _AF_PROGRAMS:
            return True
        prefix = message[:at]
        return any(f"{program}:" in prefix for program in _AF_PROGRAMS)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        at = message.find(_LOG_TYPE, 0, _SNIFF_SPAN)
        if at < 0 or message[at + 4 : at + 5] not in (":", "："):
            raise not_ours(record, "Sangfor AF (日志类型:)")
        host: str | None = None
        start = 0
        prefix = _PREFIX.match(message, 0, at)
        if prefix is not None:
            host, start = prefix.group("host"), prefix.end()
        pairs = split_pairs(message[start:].rstrip())
        fields: dict[str, str] = {}
        extra: dict[str, Any] = {}
        for key, value in pairs:
            name = _FIELD.get(key)
            if name is not None and name not in fields:
                fields[name] = value
                if name in _ALSO_KEPT and value not in _NONE_VALUES:
                    extra[sanitize_key(key)] = value  # the vendor's own numbers and words stay too
            elif value and value not in _NONE_VALUES:
                clean = sanitize_key(key)
                if clean and clean not in extra:
                    extra[clean] = value
        log_type = extra.get(_LOG_TYPE, "")
        if not log_type or len(pairs) < 2:
            raise ParseError(
                "Sangfor AF record with a log type and no fields (truncated?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )

        event = new_event(header_time(envelope, record))
        info = event.event
        get = fields.get
        source = self._endpoint(get("src"), get("sport"))
        destination = self._endpoint(get("dst"), get("dport"))
        user_name = get("user")
        if user_name in _NONE_VALUES:
            user_name = None
        elif user_name is not None and canonical_ip(user_name) is not None:
            # an unauthenticated user is named by its address
            source_ip = canonical_ip(user_name)
            if source is None:
                source = Endpoint(ip=source_ip)
            extra["用户"] = user_name
            user_name = None
        who = get("user_or_host")
        if who and who not in _NONE_VALUES:
            ip = canonical_ip(who)
            if ip is not None and source is None:
                source = Endpoint(ip=ip)
            elif ip is None and user_name is None:
                user_name = who
        client = canonical_ip(get("client", "")) if get("client") else None
        if client is not None and source is None:
            source = Endpoint(ip=client)
        elif get("client"):
            extra["ip地址"] = get("client")
        if user_name:
            event.user = User(name=user_name)

        network = Network()
        proto = (get("proto") or "").strip().lower()
        if proto in TRANSPORT_NAMES:
            network.transport = proto
        elif proto in IANA_TRANSPORTS:
            network.iana_number, network.transport = proto, IANA_TRANSPORTS[proto]
        elif proto:
            extra["协议"] = get("proto")
        # the name, else the type; "any"/"Other" name nothing (both stay vendor fields)
        application = next((a for a in (get("app_name"), get("app_type")) if a and a not in _WEAK_APPS), None)
        if application:
            network.application = application.lower()
        for key, side in (("up_kb", source), ("down_kb", destination)):
            text = get(key)
            amount = _kilobytes(text) if text else None
            if amount is not None:
                if side is None:
                    side = Endpoint()
                    if key == "up_kb":
                        source = side
                    else:
                        destination = side
                side.bytes = amount
        total = get("total_kb")
        if total:
            network.bytes = _kilobytes(total)

        nat_type, nat_ip = get("nat_type"), get("nat_ip")
        if nat_type and (nat_ip or get("nat_port")):
            nat = Nat(ip=canonical_ip(nat_ip) if nat_ip else None, port=port(get("nat_port", "")))
            if nat_type.lower() == "dnat":
                destination = destination or Endpoint()
                destination.nat = nat
            else:
                source = source or Endpoint()
                source.nat = nat
        event.source, event.destination = source, destination
        if network != Network():
            event.network = network

        level = get("severity")
        if level:
            info.severity = severity(level)
        policy = get("policy")
        if policy and policy not in _NONE_VALUES:
            event.rule = Rule(name=policy)
        url = get("url")
        if url and url not in _NONE_VALUES:
            event.url = _url(url)
        description = get("description")
        if description:
            event.message = description
        when = get("time")
        if when:
            try:
                event.timestamp = resolve_timestamp(
                    when, received_at=record.received_at, tz=timezone_of(record)
                )
            except ValueError:
                extra["时间"] = when

        self._classify(event, log_type, fields, extra)
        set_observer(event, vendor="Sangfor", product="AF", type_="firewall", hostname=host)
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _endpoint(ip_text: str | None, port_text: str | None) -> Endpoint | None:
        ip = canonical_ip(ip_text) if ip_text else None
        number = port(port_text) if port_text else None
        if ip is None and number is None:
            return None
        return Endpoint(ip=ip, port=number)

    @staticmethod
    def _classify(event: Event, log_type: str, fields: dict[str, str], extra: dict[str, Any]) -> None:
        info = event.event
        get = fields.get
        action = get("action") or get("operation")
        attack = get("attack")
        if attack or any(mark in log_type for mark in _DETECTION_MARKS):
            word = action or ""
            blocked = False if word in _NOT_BLOCKED else True if verdict_of(word) == "denied" else None
            intrusion(info, blocked=blocked, web="WAF" in log_type)
            if "病毒" in log_type and info.category is not None:
                info.category.append(C_MALWARE)
            info.action = action or log_type
            rule = event.rule or Rule()
            if rule.name is not None:  # 策略名称: the policy that holds the detection
                rule.ruleset = rule.name
            rule.name = get("name") or attack or log_type
            rule.category = attack or log_type
            event.rule = rule
            return
        if log_type == "NAT日志":
            info.category = [C_NETWORK]
            info.type = [T_CONNECTION]
            info.action = get("nat_type") or log_type
            return
        if log_type == "流量审计":
            info.category = [C_NETWORK]
            info.type = [T_INFO]
            info.action = log_type
            return
        if "认证" in log_type or "VPN" in log_type or action in ("登录", "注销", "登出"):
            info.category = [C_AUTHENTICATION]
            target = get("operation") or extra.get("操作对象", "")
            info.type = [T_END if target in ("注销", "登出") else T_START]
            info.action = target or log_type
            description = get("description", "")
            if "失败" in description:
                info.outcome = O_FAILURE
            elif "成功" in description:
                info.outcome = O_SUCCESS
            return
        if "操作" in log_type or "配置" in log_type:
            info.category = [C_CONFIGURATION]
            info.type = [T_CHANGE]
            info.action = action or extra.get("操作对象") or log_type
            description = get("description", "")
            if "失败" in description:
                info.outcome = O_FAILURE
            elif "成功" in description:
                info.outcome = O_SUCCESS
            return
        if event.source is not None or event.destination is not None:
            word = action or ""
            decision = None if word in _LOGGED else verdict_of(word)
            firewall_verdict(info, action or log_type, decision=decision)
            return
        info.category = [C_HOST]
        info.type = [T_INFO]
        info.action = action or log_type
