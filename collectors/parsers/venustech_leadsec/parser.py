"""``venustech.leadsec``: Venustech group (启明星辰) 网御 Leadsec firewalls.

Shape (after ``<PRI>[time host ]<module>:``): ``devid=0 date="YYYY/MM/DD hh:mm:ss" dname=<device>
logtype=<n> pri=<0-7> ver=0.3.0 [rule_name=…] mod=<module> … [dsp_msg="…"] fwlog=0``; values bare
(up to the next blank) or double-quoted. Records handled:

* ``mod=pf`` (packet filter, ``logtype=1``): ``sa= sport= da= dport= proto=IPPROTO_TCP|<number>
  type= code= policy=POLICY_PERMIT|POLICY_DENY|POLICY_NAT_PERMIT duration= rcvd= sent= [pa=
  pport=]``: a firewall decision (``rule_name`` → ``rule.name``, ``policy`` → verdict).
  No field table was found; read from real records: ``pa``/``pport`` come with
  ``POLICY_NAT_PERMIT`` and a private address behind a public ``da``, so they are taken as the
  translated destination (``destination.nat``); a record without ``da`` names its destination only
  in ``pa``. ``rcvd``/``sent`` are equal on one-packet records (the packet's size in and out of the
  box, not bytes per direction of a flow), so they stay vendor fields.
* administration (``logtype=9``; ``mod=logserver|webui|newconfig|rule|…``): ``act=`` the operation
  (Chinese, e.g. 设置 / 登录 / 保存配置) → ``event.action``; ``result=0`` (or 成功) is success;
  ``user=``/``admin=`` → ``user.name``; ``from=`` → ``source.ip``; ``agent=`` →
  ``user_agent.original``; ``cmd=`` is kept as ``venustech.leadsec.cmd``. 登录/登出 are
  authentication events, the rest configuration changes.

``date`` is device-local; ``pri`` (syslog 0-7) → ``event.severity``; ``dname`` → ``observer.name``;
``dsp_msg`` → ``message``. ``NULL`` and empty values mean none. These devices often send GBK (the
decoder reads it). Everything else stays under ``venustech.leadsec.*``.
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
    port,
    sanitize_key,
    severity,
)
from collectors.parsers.vendor import (
    add_related_ips,
    event_at,
    firewall_verdict,
    not_ours,
    set_observer,
)
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, Nat, Network, Rule, User, UserAgent
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason, EventCategory, EventOutcome, EventType

VENDOR, PRODUCT = "venustech", "leadsec"
# key=value pairs: values double-quoted, or bare up to the next blank. A bare value with a blank
# in it (TOS writes "proto=unknown proto") keeps its first word; the record keeps the rest.
_PAIR = re.compile(r'(?<!\S)(\w{1,64})=(?:"([^"]*)"|(\S*))')
# ECS words as plain strings: an enum's .value costs a lookup on every line
C_AUTHENTICATION = EventCategory.AUTHENTICATION.value
C_CONFIGURATION = EventCategory.CONFIGURATION.value
O_FAILURE = EventOutcome.FAILURE.value
O_SUCCESS = EventOutcome.SUCCESS.value
T_ACCESS = EventType.ACCESS.value
T_ALLOWED = EventType.ALLOWED.value
T_CHANGE = EventType.CHANGE.value
T_DENIED = EventType.DENIED.value
T_END = EventType.END.value
T_START = EventType.START.value
_NONE = frozenset({"", "NULL", "null", "none", "-"})
_LOGIN_WORDS = ("登录", "登陆", "login")
_LOGOUT_WORDS = ("退出", "注销", "登出", "logout")


class LeadsecParser(Parser):
    """``venustech.leadsec``: ``devid=… date="…" dname=… logtype=… mod=…`` records."""

    dataset: ClassVar[str] = "venustech.leadsec"

    def sniff(self, envelope: Envelope) -> bool:
        """Unquoted ``devid=`` near the start, then ``date="`` and ``logtype=``."""
        message = envelope.message
        at = message.find("devid=", 0, 80)
        if at < 0 or message[at + 6 : at + 7] == '"':
            return False
        return message.find(' date="', at, at + 40) > 0 and message.find(" logtype=", at, at + 160) > 0

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event per record."""
        message = envelope.message
        at = message.find("devid=", 0, 80)
        if at < 0:
            raise not_ours(record, "Venustech Leadsec (devid= date= …)")
        # one C-level pass; a repeated key keeps its last value
        values = {key: quoted or bare for key, quoted, bare in _PAIR.findall(message[at:])}
        if "mod" not in values:
            raise ParseError(
                "Leadsec record without its mod= field (truncated?)",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )
        pop = values.pop
        event = event_at(values, "date", envelope, record)
        info = event.event
        level = pop("pri", "")
        if level:
            info.severity = severity(level)
            if info.severity is None:
                values["pri"] = level
        message_text = pop("dsp_msg", "")
        if message_text:
            event.message = message_text
        set_observer(
            event, vendor="Venustech", product="Leadsec", type_="firewall", name=pop("dname", "") or None
        )

        if values.get("mod") == "pf" or ("sa" in values and "policy" in values):
            self._packet_filter(event, values)
        else:
            self._admin(event, values)
        extra: dict[str, Any] = {}
        for key, value in values.items():
            if value not in _NONE:
                clean = sanitize_key(key)
                if clean:
                    extra.setdefault(clean, value)
        if extra:  # values are non-empty already: no need for vendor_fields' filtering pass
            event.extra = {VENDOR: {PRODUCT: extra}}
        add_related_ips(event)
        return [finish(event, envelope, record, self.dataset)]

    @staticmethod
    def _packet_filter(event: Event, values: dict[str, str]) -> None:
        pop = values.pop
        source_ip, source_port = canonical_ip(values.get("sa", "")), port(values.get("sport", ""))
        dest_ip, dest_port = canonical_ip(values.get("da", "")), port(values.get("dport", ""))
        post_ip, post_port = canonical_ip(values.get("pa", "")), port(values.get("pport", ""))
        for key, found in (("sa", source_ip), ("sport", source_port), ("da", dest_ip), ("dport", dest_port)):
            if found is not None:
                del values[key]
        nat: Nat | None = None
        if dest_ip is None and post_ip is not None:
            dest_ip, dest_port = post_ip, dest_port if dest_port is not None else post_port
            values.pop("pa", None)
        elif post_ip is not None or post_port is not None:
            nat = Nat(ip=post_ip, port=post_port)
            values.pop("pa", None)
            values.pop("pport", None)
        if source_ip is not None or source_port is not None:
            event.source = Endpoint(ip=source_ip, port=source_port)
        if dest_ip is not None or dest_port is not None or nat is not None:
            event.destination = Endpoint(ip=dest_ip, port=dest_port, nat=nat)
        proto = values.get("proto", "")
        word = proto.removeprefix("IPPROTO_").lower()
        network = Network()
        if word in TRANSPORT_NAMES:
            network.transport = word
            del values["proto"]
        elif word.isdigit():
            network.iana_number = word
            network.transport = IANA_TRANSPORTS.get(word)
            del values["proto"]
        if event.source is not None and event.source.ip is not None:
            network.type = "ipv6" if ":" in event.source.ip else "ipv4"
        if network != Network():
            event.network = network
        rule_name = pop("rule_name", "")
        if rule_name not in _NONE:
            event.rule = Rule(name=rule_name)
        duration = values.get("duration", "")
        if duration.isdigit() and len(duration) <= 10:
            event.event.duration = int(duration) * 1_000_000_000
            del values["duration"]
        policy = pop("policy", "")
        upper = policy.upper()
        decision = (
            T_DENIED
            if "DENY" in upper or "DROP" in upper or "REJECT" in upper
            else T_ALLOWED
            if "PERMIT" in upper or "ACCEPT" in upper
            else None
        )
        firewall_verdict(event.event, policy or None, decision=decision)

    @staticmethod
    def _admin(event: Event, values: dict[str, str]) -> None:
        info = event.event
        pop = values.pop
        action = pop("act", "")
        user = pop("user", "") or pop("admin", "")
        if user not in _NONE:
            event.user = User(name=user)
        client = canonical_ip(values.get("from", ""))
        if client is not None:
            event.source = Endpoint(ip=client)
            del values["from"]
        agent = pop("agent", "").strip()
        if agent:
            event.user_agent = UserAgent(original=agent)
        result = pop("result", "")
        if result:
            success = result in ("0", "成功", "success", "ok")
            info.outcome = O_SUCCESS if success else O_FAILURE
            if not success:
                values["result"] = result
        msg = values.get("msg", "")
        if msg in ("成功", "失败"):
            info.outcome = O_SUCCESS if msg == "成功" else O_FAILURE
        info.action = action or values.get("mod") or None
        if any(word in action for word in _LOGIN_WORDS):
            info.category = [C_AUTHENTICATION]
            info.type = [T_START]
        elif any(word in action for word in _LOGOUT_WORDS):
            info.category = [C_AUTHENTICATION]
            info.type = [T_END]
        elif action in ("显示", "查看", "show"):
            info.category = [C_CONFIGURATION]
            info.type = [T_ACCESS]
        else:
            info.category = [C_CONFIGURATION]
            info.type = [T_CHANGE]
