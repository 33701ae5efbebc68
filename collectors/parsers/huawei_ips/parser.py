"""``huawei.ips``: intrusion detections of Huawei USG / HiSecEngine (``%%01IPS/4/DETECT``).

``IPS/4/DETECT(l):An intrusion was detected. (SyslogId=, VSys="", Policy="", SrcIp=, DstIp=,
SrcPort=, DstPort=, SrcZone=, DstZone=, User="", Protocol=, Application="", Profile="",
SignName="", SignId=, EventNum=, Target=server|client, Severity=high, Os=, Category=,
Reference=CVE-...|NA, Action=Alert|Block)``, and its siblings ``IPS/4/EXCEPTION`` (a packet
matched an exception signature) and ``IPSTRAP/4/THREATTRAP`` (``DetectTime=``).

An alert: ``rule.name``/``rule.id`` the signature, ``rule.category`` its category,
``rule.ruleset`` the IPS profile, ``vulnerability.id`` the CVEs of ``Reference``; ``Action``
says whether it was blocked and is ``event.action``; ``Severity`` is ``event.severity``.
The rest (``Target``, ``Os``, ``Policy``, ``VSys``, ``EventNum``, ``SyslogId``) is kept in
``huawei.ips.*``. Other VRP lines handed to this parser are ``huawei.usg`` events.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import finish
from collectors.parsers.huawei_usg.parser import VrpLine, find_vrp, is_ips, product_of, usg_events, vrp_fields
from collectors.parsers.huawei_usg.vrp import (
    ACTION,
    BEGIN,
    CATEGORY,
    CVE,
    END,
    HOST,
    PAGE,
    POLICY,
    PROFILE,
    RISK_SEVERITY,
    SEVERITY,
    SIGN,
    SIGN_ID,
    SUBCATEGORY,
    Leftovers,
    apply_flow,
    blocked,
    cve_ids,
    envelope_host,
    epoch,
    make_url,
    observe,
)
from collectors.parsers.vendor import intrusion, not_ours
from soc_core.events import Event, Rule, Vulnerability
from soc_core.records import RawRecord

__all__ = ["HuaweiIpsParser", "ips_events"]

DATASET: Final = "huawei.ips"

_SNIFF = re.compile(r"%%01(IPS|IPSTRAP)/[0-7]/[A-Za-z0-9_\-.]{1,64}(?:\([A-Za-z]{1,2}\))?(?:\[\d{1,18}\])?:")
_UNUSED: Final = Leftovers(POLICY, SUBCATEGORY, BEGIN, END, HOST, PAGE)
_NONE: Final = frozenset({"", "na", "n/a", "none", "--", "-"})


def ips_events(line: VrpLine, envelope: Envelope, record: RawRecord) -> list[Event]:
    """The ``huawei.ips`` alert of an ``IPS/4/DETECT``-like VRP line."""
    event, vals, extra, sentence = vrp_fields(line, envelope, record)
    info = event.event
    apply_flow(event, vals, extra)
    action = vals[ACTION]
    url = make_url(vals[HOST], vals[PAGE])
    intrusion(info, blocked=blocked(action), web=url is not None)
    if url is not None:
        event.url = url
    info.action = action if action is not None else line.mnemonic
    extra["mnemonic"] = line.mnemonic
    risk = vals[SEVERITY]
    if risk is not None:
        found = RISK_SEVERITY.get(risk.lower())
        if found is None:
            extra["severity"] = risk
        else:
            info.severity = found
    if vals[SIGN] is not None or vals[SIGN_ID] is not None or vals[CATEGORY] is not None:
        event.rule = Rule(name=vals[SIGN], id=vals[SIGN_ID], category=vals[CATEGORY], ruleset=vals[PROFILE])
    elif vals[PROFILE] is not None:
        extra["profile"] = vals[PROFILE]
    reference = vals[CVE]
    if reference is not None:
        cves = cve_ids(reference)
        if cves:
            event.vulnerability = Vulnerability(id=cves)
        elif reference.lower() not in _NONE:
            extra["reference"] = reference
    begin, end = vals[BEGIN], vals[END]
    if begin is not None:
        info.start = epoch(begin)
    if end is not None:
        info.end = epoch(end)
    if sentence is not None:
        event.message = sentence
    _UNUSED(vals, extra)
    observe(event, "Huawei", product_of(envelope_host(envelope, line.host)), "ips", line.host)
    event.extra = {"huawei": {"ips": extra}}
    return [finish(event, envelope, record, DATASET)]


class HuaweiIpsParser(Parser):
    """``huawei.ips``: VRP ``IPS``/``IPSTRAP`` intrusion detections."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """``%%01IPS/level/MNEMONIC:`` carrying a detection."""
        message = envelope.message
        at = message.find("%%01IPS", 0, 256)
        if at < 0:
            return False
        m = _SNIFF.match(message, at)
        return m is not None and is_ips(m.group(1), message)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One alert; another VRP line is handed to ``huawei.usg``."""
        line = find_vrp(envelope.message)
        if line is None:
            raise not_ours(record, "Huawei VRP (%%01MODULE/level/MNEMONIC:)")
        if is_ips(line.module, line.body):
            return ips_events(line, envelope, record)
        return usg_events(line, envelope, record)
