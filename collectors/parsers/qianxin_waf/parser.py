"""``qianxin.waf``: Qi-anxin (奇安信, formerly 网神) SecOS web application firewall.

Shape (after the syslog header, whose host is the device, e.g. ``SecOS``): ``YYYY-MM-DD hh:mm:ss
WAF: src:sport->dst[:dport] dip=… devicename=… url=… method=… args=… flag_field= block_time=0
http_type= attack_field=2 profile_id=19 rule_id=40102 type=Signature Rule severity=0
action=CONTINUE referer=… useragent=… post=… equipment=2 os=8 browser=1 |``. Values are bare and
may hold spaces (``type=Signature Rule``, user agents) or ``=`` (``args``), so the record is split
at the known `` key=`` boundaries in the order the device writes them; the record ends with ``|``.

Every record is a web attack detection (intrusion, ``web``): ``source`` is the client,
``destination`` the address the client connected to (``->dst``) and ``destination.nat.ip`` the real
server behind the WAF (``dip=``, omitted when equal) — the WAF translates one to the other like a
DNAT. ``rule.id`` = ``rule_id``, ``rule.category`` = ``type``, ``rule.name`` = ``"<type> <rule_id>"``
(the log names no signature). ``url`` + ``args`` → ``url.original``/``path``/``query``; ``method``,
``referer``, ``useragent``, ``post`` → ``http.*``/``user_agent.original``. ``action`` CONTINUE lets
the request through (not blocked); BLOCK/DENY/DROP/RESET/REDIRECT stop it. ``severity`` is the
device's own number with no published scale: kept as ``qianxin.waf.severity``, and
``event.severity`` comes from the syslog header. The rest stays under ``qianxin.waf.*``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import (
    canonical_ip,
    finish,
    header_time,
    new_event,
    port,
    timezone_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import (
    add_related_ips,
    intrusion,
    not_ours,
    set_observer,
)
from soc_core.errors import ParseError
from soc_core.events import (
    Endpoint,
    Event,
    Http,
    HttpBody,
    HttpRequest,
    Nat,
    Rule,
    Url,
    UserAgent,
)
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason

VENDOR, PRODUCT = "qianxin", "waf"
# ECS words as plain strings: an enum's .value costs a lookup on every line

# [host ]date time WAF: src:port->dst[:port]
_HEAD = re.compile(
    r"(?:(?P<host>[^\s=]{1,64})\s+)?(?P<ts>\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2})\s+WAF:\s+"
    r"(?P<src>\S+?):(?P<sport>\d{1,5})->(?P<dst>\[[^\]\s]+\]|\S+?)(?::(?P<dport>\d{1,5}))?(?=\s|$)"
)
_SNIFF = re.compile(r"(?:\S+\s+)?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}\s+WAF:\s+\S+->")
# the keys, in the order SecOS writes them
_KEYS = (
    "dip",
    "devicename",
    "url",
    "method",
    "args",
    "flag_field",
    "block_time",
    "http_type",
    "attack_field",
    "profile_id",
    "rule_id",
    "type",
    "severity",
    "action",
    "referer",
    "useragent",
    "post",
    "equipment",
    "os",
    "browser",
)
_MARKERS = tuple(f" {key}=" for key in _KEYS)
_BLOCKING = frozenset({"BLOCK", "DENY", "DROP", "RESET", "REJECT", "REDIRECT", "INTERCEPT"})
_PASSING = frozenset({"CONTINUE", "PASS", "ALLOW", "ACCEPT", "LOG", "ALERT"})


def _fields(body: str) -> dict[str, str]:
    """Values between the known `` key=`` markers, found in the order the device writes them."""
    spots: list[tuple[int, int, str]] = []
    pos = 0
    for key, marker in zip(_KEYS, _MARKERS, strict=True):
        at = body.find(marker, pos)
        if at < 0:
            continue
        spots.append((at, at + len(marker), key))
        pos = at + len(marker)
    values: dict[str, str] = {}
    for index, (_, start, key) in enumerate(spots):
        end = spots[index + 1][0] if index + 1 < len(spots) else len(body)
        values[key] = body[start:end].strip()
    return values


class QianxinWafParser(Parser):
    """``qianxin.waf``: ``<date> <time> WAF: src:port->dst key=value … |`` records."""

    dataset: ClassVar[str] = "qianxin.waf"

    def sniff(self, envelope: Envelope) -> bool:
        """A date, ``WAF:`` and an ``a:p->b`` tuple at the start of the message."""
        message = envelope.message
        return " WAF: " in message[:96] and _SNIFF.match(message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One intrusion event per record."""
        message = envelope.message
        head = _HEAD.match(message)
        if head is None:
            raise not_ours(record, "Qi-anxin SecOS WAF (<time> WAF: src:port->dst)")
        body = message[head.end() :].rstrip()
        complete = body.endswith("|")
        values = _fields(body[:-1] if complete else body)
        if not complete and "browser" not in values:
            raise ParseError(
                "Qi-anxin SecOS WAF record without its closing '|' (truncated in transit?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )

        try:
            stamp = resolve_timestamp(
                head.group("ts"), received_at=record.received_at, tz=timezone_of(record)
            )
        except ValueError:
            stamp = header_time(envelope, record)
        event = new_event(stamp)
        info = event.event
        pop = values.pop
        source_ip = canonical_ip(head.group("src"))
        destination_ip = canonical_ip(head.group("dst"))
        dport = head.group("dport") or ""
        if destination_ip is None and dport:  # an IPv6 address without brackets and without a port
            destination_ip, dport = canonical_ip(f"{head.group('dst')}:{dport}"), ""
        if source_ip is None or destination_ip is None:
            raise ParseError(
                "Qi-anxin SecOS WAF record with an unreadable address",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        event.source = Endpoint(ip=source_ip, port=port(head.group("sport")))
        destination = Endpoint(ip=destination_ip, port=port(dport) if dport else None)
        real = canonical_ip(pop("dip", ""))
        if real is not None and real != destination_ip:
            destination.nat = Nat(ip=real)
        event.destination = destination

        path, args = pop("url", ""), pop("args", "")
        if path or args:
            event.url = Url(
                original=f"{path}?{args}" if args else path,
                path=path or None,
                query=args or None,
            )
        method, referer, body_text = pop("method", ""), pop("referer", ""), pop("post", "")
        if method or referer or body_text:
            event.http = Http(
                request=HttpRequest(
                    method=method.upper() or None,
                    referrer=referer or None,
                    body=HttpBody(content=body_text) if body_text else None,
                )
            )
        agent = pop("useragent", "")
        if agent:
            event.user_agent = UserAgent(original=agent)

        rule_id, rule_type = pop("rule_id", ""), pop("type", "")
        event.rule = Rule(
            id=rule_id or None,
            name=" ".join(part for part in (rule_type, rule_id) if part) or "SecOS WAF detection",
            category=rule_type or "web attack",
        )
        action = pop("action", "")
        word = action.upper()
        blocked = True if word in _BLOCKING else False if word in _PASSING else None
        intrusion(info, blocked=blocked, web=True)
        info.action = action or None

        device = pop("devicename", "") or None
        set_observer(
            event,
            vendor="Qi-anxin",
            product="SecOS WAF",
            type_="waf",
            hostname=head.group("host"),
            name=device,
        )
        extra: dict[str, Any] = {key: value for key, value in values.items() if value}
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]
