"""``h3c.secpath``: H3C SecPath firewalls and other Comware boxes (``%%10MOD/level/MNEMONIC:``).

What each line becomes:

* ``session/6/SESSION_IPV4_FLOW`` / ``SESSION_IPV6_FLOW`` (and ``DENY_SESSION_*``) — a connection
  the firewall allowed (denied): ``NatSrcIPAddr``/``NatSrcPort`` → ``source.nat.*``, ``NatDst*`` →
  ``destination.nat.*``, ``Init*`` counters → ``source.*``, ``Rply*`` → ``destination.*``,
  ``BeginTime_e``/``EndTime_e`` → ``event.start``/``event.end``, ``Event(1048)=(8)Session created``
  → ``event.action`` ``Session created`` (code in ``h3c.secpath.event_code``; created → ``start``,
  ended/aged → ``end``).
* ``FILTER/6/FILTER_ZONE_IPV4_EXECUTION`` (IPv6 alike) — a policy decision: ``Event`` Permit/Deny
  decides allowed/denied and is ``event.action``; ``SecurityPolicy`` → ``rule.name``, ``RuleID`` →
  ``rule.id``, ``SrcZoneName``/``DstZoneName`` → ``observer.ingress/egress.zone``.
* ``NAT/*`` — NAT translations (connection info).
* Any other Comware line (``CFGMAN``, ``SHELL`` logins and commands, ``PING`` ...) — a generic
  event: ``event.action`` the mnemonic, its sentence in ``message``, its fields in
  ``h3c.secpath.*``; logins are authentication, command records and configuration changes are
  configuration.

IPS, anti-virus and attack-defence (ATK) logs are ``h3c.ips``, also when a per-source setting
names this dataset. The ``System_ID=H3C Toplevel=...`` lines and H3C A2020 bastion lines are not
Comware lines: they are left to the generic key=value parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar, Final

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish, header_time, timezone_of
from collectors.parsers.h3c_secpath.comware import (
    ComwareLine,
    collect,
    find_comware,
    is_ips_kind,
    local_ymd,
    utc_mdy,
)
from collectors.parsers.huawei_usg.vrp import (
    ACTION,
    BEGIN,
    BEGIN_LOCAL,
    CATEGORY,
    CVE,
    DEV_IP,
    DEV_SN,
    END,
    END_LOCAL,
    EVENT,
    FILE_NAME,
    FIRST_LINE,
    HOST,
    MD5,
    POLICY,
    REAL_SRC,
    RULE_ID,
    SEVERITY,
    SIGN,
    SIGN_ID,
    SUBCATEGORY,
    Leftovers,
    apply_flow,
    classify,
    level_event,
    observe,
    stamp_or_none,
)
from collectors.parsers.vendor import firewall_verdict, not_ours, set_observer, verdict_of
from soc_core.events import Event, Rule
from soc_core.records import RawRecord

__all__ = ["H3cSecpathParser", "comware_fields", "secpath_events"]

DATASET: Final = "h3c.secpath"

_SNIFF: Final = re.compile(r"%%10([A-Za-z0-9_\-]{1,32})/[0-7]/([A-Za-z0-9_\-.]{1,64})(?:\([A-Za-z]{1,2}\))?:")
# IPS-like fields a firewall line may carry: kept as they are
_UNUSED: Final = Leftovers(
    ACTION, CATEGORY, SUBCATEGORY, SEVERITY, SIGN, SIGN_ID, CVE, REAL_SRC, MD5, FILE_NAME, HOST, FIRST_LINE
)


def comware_fields(
    line: ComwareLine, envelope: Envelope, record: RawRecord
) -> tuple[Event, list[str | None], dict[str, Any], str | None]:
    """The event (time, level, start/end, observer ip/serial) of a Comware line, its slot
    values, vendor fields and sentence."""
    extra: dict[str, Any] = {"module": line.module}
    vals, sentence = collect(line.body, extra)
    stamp = None
    if line.stamp_text is not None:
        stamp = stamp_or_none(line.stamp_text, record.received_at, timezone_of(record))
    event = level_event(stamp if stamp is not None else header_time(envelope, record), line.level)
    info = event.event
    begin, end, begin_local, end_local = vals[BEGIN], vals[END], vals[BEGIN_LOCAL], vals[END_LOCAL]
    if begin is not None:
        info.start = utc_mdy(begin)
        if info.start is None:
            extra["begin_time"] = begin
    elif begin_local is not None:
        info.start = local_ymd(begin_local, record.received_at, timezone_of(record))
        if info.start is None:
            extra["begin_time"] = begin_local
    if end is not None:
        info.end = utc_mdy(end)
        if info.end is None:
            extra["end_time"] = end
    elif end_local is not None:
        info.end = local_ymd(end_local, record.received_at, timezone_of(record))
        if info.end is None:
            extra["end_time"] = end_local
    dev_ip, dev_sn = vals[DEV_IP], vals[DEV_SN]
    if dev_ip is not None or dev_sn is not None:
        observer = set_observer(event, vendor="H3C", product="SecPath", type_="firewall")
        if dev_ip is not None:
            ip = canonical_ip(dev_ip)
            if ip is None:
                extra["dev_ip"] = dev_ip
            else:
                observer.ip = [ip]
        observer.serial_number = dev_sn
    if sentence is not None:
        event.message = sentence
    return event, vals, extra, sentence


def _event_word(what: str, extra: dict[str, Any]) -> str:
    """``(8)Session created`` → ``Session created``, the code kept as ``event_code``."""
    if what[:1] != "(":
        return what
    code, sep, word = what[1:].partition(")")
    if not sep or not code.isdigit():
        return what
    extra["event_code"] = code
    return word.strip() or what


def secpath_events(line: ComwareLine, envelope: Envelope, record: RawRecord) -> list[Event]:
    """The ``h3c.secpath`` event of a (non-IPS) Comware line."""
    event, vals, extra, sentence = comware_fields(line, envelope, record)
    info = event.event
    apply_flow(event, vals, extra)
    module, mnemonic = line.module.upper(), line.mnemonic.upper()
    what = vals[EVENT]
    if module == "SESSION" and "FLOW" in mnemonic:
        denied = mnemonic.startswith("DENY")
        firewall_verdict(info, None, decision="denied" if denied else "allowed")
        if what is not None:
            what = info.action = _event_word(what, extra)
            lowered = what.lower()
            if "creat" in lowered:
                info.type.append("start")  # type: ignore[union-attr]  # set by firewall_verdict
            elif any(word in lowered for word in ("over", "aged", "delet", "end", "clos", "teardown")):
                info.type.append("end")  # type: ignore[union-attr]
    elif module == "FILTER" and what is not None:
        firewall_verdict(info, what, decision=verdict_of(what))
    elif module == "NAT":
        info.category, info.type = ["network"], ["connection", "info"]
        if what is not None:
            info.action = _event_word(what, extra)
    else:
        classify(event, line.module, line.mnemonic, sentence, None)
        if what is not None:
            extra["event"] = what
        if sentence is not None and sentence.startswith("Command is "):  # SHELL_CMD
            extra["command"] = sentence[11:].strip()
    if info.action is None:
        info.action = line.mnemonic
    else:
        extra["mnemonic"] = line.mnemonic
    if vals[POLICY] is not None or vals[RULE_ID] is not None:
        event.rule = Rule(name=vals[POLICY], id=vals[RULE_ID])
    _UNUSED(vals, extra)
    observe(event, "H3C", "SecPath", "firewall", line.host)
    event.extra = {"h3c": {"secpath": extra}}
    return [finish(event, envelope, record, DATASET)]


_ips_events: Callable[[ComwareLine, Envelope, RawRecord], list[Event]] | None = None


class H3cSecpathParser(Parser):
    """``h3c.secpath``: Comware lines other than IPS/AV/ATK detections (those are ``h3c.ips``)."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """``%%10MODULE/level/MNEMONIC:`` that is not an IPS/AV/ATK detection."""
        message = envelope.message
        at = message.find("%%10", 0, 256)
        if at < 0:
            return False
        m = _SNIFF.match(message, at)
        return m is not None and not is_ips_kind(m.group(1), m.group(2))

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event; an IPS/AV/ATK detection is handed to ``h3c.ips``."""
        global _ips_events
        line = find_comware(envelope.message)
        if line is None:
            raise not_ours(record, "H3C Comware (%%10MODULE/level/MNEMONIC:)")
        if is_ips_kind(line.module, line.mnemonic):
            if _ips_events is None:  # imported on first use: h3c_ips imports this package
                from collectors.parsers.h3c_ips.parser import ips_events

                _ips_events = ips_events
            return _ips_events(line, envelope, record)
        return secpath_events(line, envelope, record)
