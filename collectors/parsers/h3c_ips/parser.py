"""``h3c.ips``: detections of H3C SecPath firewalls and IPS boxes (Comware ``%%10``).

* ``IPS/4/IPS_IPV4_INTERZONE`` / ``IPS_IPV6_INTERZONE``: ``AttackName`` → ``rule.name``,
  ``AttackID`` → ``rule.id``, ``Category`` → ``rule.category`` (``SubCategory`` kept as
  ``h3c.ips.sub_category``), ``PolicyName`` → ``rule.ruleset``, ``Severity(1087)``
  LOW/MEDIUM/HIGH/CRITICAL → ``event.severity`` 2-5, ``Action`` (``Permit & Logging``,
  ``Drop & Logging``, ``Reset & Logging``, ``Block-Source`` ...) → ``event.action`` and whether it
  was blocked, ``CVE`` → ``vulnerability.id`` (``--`` is none), ``RealSrcIP`` (the client behind a
  proxy, a comma list) kept as ``h3c.ips.real_src_ip`` and added to ``related.ip``,
  ``HttpHost``/``HttpFirstLine`` → ``url.*``/``http.*``; ``HitDirection``, ``Protection``, ``BID``,
  ``MSB`` ... kept in ``h3c.ips.*``.
* ``ANTIVIRUS/4/ANTIVIRUS_IPV4_INTERZONE`` (IPv6 alike): ``VirusName``/``VirusID`` → ``rule.*``,
  ``rule.category`` ``virus``, ``MD5`` → ``file.hash.md5``.
* ``ATK/*/ATK_*`` attack defence (floods, scans, malformed packets): ``rule.name`` the mnemonic,
  ``rule.category`` flood / scan / single-packet attack, ``BeginTime_c``/``EndTime_c`` →
  ``event.start``/``event.end``.

Other Comware lines handed to this parser are ``h3c.secpath`` events.
"""

from __future__ import annotations

import re
from typing import ClassVar, Final

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish
from collectors.parsers.h3c_secpath.comware import ComwareLine, find_comware, is_ips_kind
from collectors.parsers.h3c_secpath.parser import comware_fields, secpath_events
from collectors.parsers.huawei_usg.vrp import (
    ACTION,
    CATEGORY,
    CVE,
    EVENT,
    FILE_NAME,
    FIRST_LINE,
    HOST,
    MD5,
    POLICY,
    REAL_SRC,
    RISK_SEVERITY,
    RULE_ID,
    SEVERITY,
    SIGN,
    SIGN_ID,
    SUBCATEGORY,
    Leftovers,
    add_related,
    apply_flow,
    blocked,
    cve_ids,
    make_url,
    observe,
    request_line,
)
from collectors.parsers.vendor import intrusion, not_ours
from soc_core.events import Event, File, Hash, Http, HttpRequest, Rule, Vulnerability
from soc_core.records import RawRecord

__all__ = ["H3cIpsParser", "ips_events"]

DATASET: Final = "h3c.ips"

_SNIFF = re.compile(r"%%10(IPS|ATK|ANTIVIRUS)/[0-7]/([A-Za-z0-9_\-.]{1,64})(?:\([A-Za-z]{1,2}\))?:")
_UNUSED: Final = Leftovers(RULE_ID, EVENT, SUBCATEGORY)
_UNUSED_ATK: Final = Leftovers(SIGN, SIGN_ID, CATEGORY, POLICY)
_NONE: Final = frozenset({"", "--", "-", "na", "n/a", "none"})


def _attack_category(mnemonic: str) -> str:
    if "FLOOD" in mnemonic:
        return "flood"
    if "SCAN" in mnemonic or "SWEEP" in mnemonic:
        return "scan"
    return "single-packet attack"


def ips_events(line: ComwareLine, envelope: Envelope, record: RawRecord) -> list[Event]:
    """The ``h3c.ips`` alert of an IPS/AV/ATK Comware line."""
    event, vals, extra, _sentence = comware_fields(line, envelope, record)
    info = event.event
    apply_flow(event, vals, extra)
    module, mnemonic = line.module.upper(), line.mnemonic.upper()
    action = vals[ACTION]
    host, first_line = vals[HOST], vals[FIRST_LINE]
    method = target = version = None
    if first_line is not None:
        method, target, version = request_line(first_line)
    url = make_url(host, target)
    intrusion(info, blocked=blocked(action), web=url is not None)
    if url is not None:
        event.url = url
    if method is not None or version is not None:
        event.http = Http(version=version, request=HttpRequest(method=method))
    info.action = action if action is not None else line.mnemonic
    extra["mnemonic"] = line.mnemonic
    risk = vals[SEVERITY]
    if risk is not None:
        found = RISK_SEVERITY.get(risk.lower())
        if found is None:
            extra["severity"] = risk
        else:
            info.severity = found
    if module == "ATK":
        event.rule = Rule(name=line.mnemonic, category=_attack_category(mnemonic))
    elif module == "ANTIVIRUS":
        event.rule = Rule(name=vals[SIGN], id=vals[SIGN_ID], category="virus", ruleset=vals[POLICY])
        info.category.append("malware")  # type: ignore[union-attr]  # set by intrusion()
    else:
        event.rule = Rule(name=vals[SIGN], id=vals[SIGN_ID], category=vals[CATEGORY], ruleset=vals[POLICY])
    md5, file_name = vals[MD5], vals[FILE_NAME]
    if (md5 is not None and md5 not in _NONE) or file_name is not None:
        event.file = File(
            name=file_name, hash=Hash(md5=md5.lower()) if md5 is not None and md5 not in _NONE else None
        )
    reference = vals[CVE]
    if reference is not None:
        cves = cve_ids(reference)
        if cves:
            event.vulnerability = Vulnerability(id=cves)
        elif reference.lower() not in _NONE:
            extra["cve"] = reference
    real = vals[REAL_SRC]
    if real is not None and real not in _NONE:
        extra["real_src_ip"] = real
        found_ips = [ip for ip in (canonical_ip(part) for part in real.split(",")) if ip is not None]
        if found_ips:
            add_related(event, found_ips)
    if first_line is not None and (url is None or target is None):
        extra["http_first_line"] = first_line
    if host is not None and url is None:
        extra["http_host"] = host
    _UNUSED(vals, extra)
    if module != "IPS" and module != "ANTIVIRUS":
        _UNUSED_ATK(vals, extra)
    observe(event, "H3C", "SecPath", "ips", line.host)
    event.extra = {"h3c": {"ips": extra}}
    return [finish(event, envelope, record, DATASET)]


class H3cIpsParser(Parser):
    """``h3c.ips``: Comware IPS, anti-virus and attack-defence detections."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """``%%10IPS/../IPS_IPV4_INTERZONE:``, ``%%10ANTIVIRUS/../ANTIVIRUS_IPV*``, ``%%10ATK/../ATK_*``."""
        message = envelope.message
        at = message.find("%%10", 0, 256)
        if at < 0:
            return False
        m = _SNIFF.match(message, at)
        return m is not None and is_ips_kind(m.group(1), m.group(2))

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One alert; another Comware line is handed to ``h3c.secpath``."""
        line = find_comware(envelope.message)
        if line is None:
            raise not_ours(record, "H3C Comware (%%10MODULE/level/MNEMONIC:)")
        if is_ips_kind(line.module, line.mnemonic):
            return ips_events(line, envelope, record)
        return secpath_events(line, envelope, record)
