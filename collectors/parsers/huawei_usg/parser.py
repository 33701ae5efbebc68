"""``huawei.usg``: Huawei USG / HiSecEngine firewalls and any other VRP box (``%%01MOD/level/MNEMONIC``).

What each line becomes:

* ``POLICY/*/POLICYPERMIT|POLICYDENY`` (``vsys=, protocol=6, source-ip=, ..., rule-name=``) — a
  firewall decision: allowed/denied, ``rule.name`` the policy, zones in ``observer.*.zone``,
  ``@timestamp`` from its ``time=`` (device local time; the header may be in UTC mode).
* ``SECLOG/*/SESSION_BUILT|SESSION_TEARDOWN|SESSION_PERIODICALLY|SESSION_URL`` and ``PACKET_DENY``
  (``IPVer=4,Protocol=tcp,SourceIP=,...``, NAT as ``SourceNatIP``, counters, ``BeginTime``/``EndTime``
  epoch seconds, also the "MTN" sentence ``Built an udp session, a:1[nat:1] (trust) to b:2 (dmz)``) —
  connections allowed (start/end) or denied.
* ``URL/*/FILTER`` (``The URL filtering policy was matched. (SrcIp=..., Host=, Page=, Action=)``) —
  a web-filtering decision with ``url.*``.
* Logins (``SHELL/*/LOGIN``, ``*LOGINFAILED``, ``CMD/4/SUPERLOGIN`` ...) — authentication;
  command records and configuration changes — configuration.
* Any other VRP line (switches: ``INFO/6/SUPPRESS_LOG``, ``ACL6/4/RPC_FAILED`` ...) — a generic event,
  ``event.action`` the mnemonic, its pairs in ``huawei.usg.*``.

The header is ``%%01MODULE/level/MNEMONIC(l)[seq]:[CID=0x...;]`` (``01`` the log version,
``(l)`` the log type, ``[seq]`` → ``event.sequence``), found wherever it stands after the
syslog header (``vrp.device_prefix`` reads a time and host written before it). Bodies are
key=value pairs (``vsys=public, protocol=6`` / ``IPVer=4,Protocol=tcp``), a sentence followed
by pairs in parentheses, or free text. Pairs are split with ``str.replace``/``str.split`` when
nothing can be ambiguous (no quotes, no URL) and placed through a per-key-sequence layout;
quoted values and values holding commas (``Page=/a?b=1,2,Host=x``) take one regex.

``IPS/4/DETECT`` and its siblings are ``huawei.ips`` even when a per-source setting names this
dataset: the box logs several kinds, and the dataset names the kind of log. ``event.severity``
is the line's level (0-7, syslog scale) unless a ``Severity=`` field says more.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar, Final, NamedTuple

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import finish, header_time, timezone_of
from collectors.parsers.huawei_usg.vrp import (
    ACTION,
    APP,
    BEGIN,
    CATEGORY,
    CVE,
    DST_BYTES,
    DST_IP,
    DST_MAC,
    DST_NAT_IP,
    DST_NAT_PORT,
    DST_PKTS,
    DST_PORT,
    DST_ZONE,
    END,
    HOST,
    IPVER,
    PAGE,
    POLICY,
    PROFILE,
    PROTO,
    REASON,
    RESULT,
    RISK_SEVERITY,
    SEVERITY,
    SIGN,
    SIGN_ID,
    SLOTS,
    SRC_BYTES,
    SRC_IP,
    SRC_MAC,
    SRC_NAT_IP,
    SRC_NAT_PORT,
    SRC_PKTS,
    SRC_PORT,
    SRC_ZONE,
    SUBCATEGORY,
    TIME,
    USER,
    KeyTable,
    Leftovers,
    apply_flow,
    blocked,
    classify,
    device_prefix,
    envelope_host,
    epoch,
    level_event,
    make_url,
    observe,
    pick_values,
    squash,
    stamp_or_none,
)
from collectors.parsers.vendor import firewall_verdict, not_ours
from soc_core.events import Event, Rule
from soc_core.records import RawRecord
from soc_core.regex import compile_pattern

__all__ = [
    "HUAWEI_KEYS",
    "HuaweiUsgParser",
    "VrpLine",
    "collect",
    "find_vrp",
    "is_ips",
    "product_of",
    "split_body",
    "usg_events",
    "vrp_fields",
]

DATASET: Final = "huawei.usg"

# -- the header ------------------------------------------------------------------------------

_HEAD: Final = re.compile(
    r"%%01(?P<mod>[A-Za-z0-9_\-]{1,32})/(?P<lvl>[0-7])/(?P<mn>[A-Za-z0-9_\-.]{1,64})"
    r"(?:\((?P<flag>[A-Za-z]{1,2})\))?(?:\[(?P<seq>\d{1,18})\])?:[ ]*"
    r"(?:CID=(?P<cid>0x[0-9A-Fa-f]{1,16});[ ]*)?"
)


class VrpLine(NamedTuple):
    """A VRP line taken apart: header fields, the body, and time/host written before ``%%``."""

    module: str
    level: int
    mnemonic: str
    seq: str | None
    cid: str | None
    body: str
    stamp_text: str | None  # device time written before %%01 (the decoder did not take it)
    host: str | None  # device name written before %%01


def find_vrp(message: str) -> VrpLine | None:
    """The VRP line in ``message``, or None when there is no ``%%01MODULE/level/MNEMONIC:``."""
    at = message.find("%%01", 0, 256)  # after the syslog header, or a short prefix
    if at < 0:
        return None
    m = _HEAD.match(message, at)
    if m is None:
        return None
    stamp = host = None
    if at:
        stamp, host = device_prefix(message[:at])
    module, level, mnemonic, _flag, seq, cid = m.groups()  # one call, not one per group
    return VrpLine(module, int(level), mnemonic, seq, cid, message[m.end() :], stamp, host)


_IPS_MODULES: Final = frozenset({"IPS", "IPSTRAP"})


def is_ips(module: str, body: str) -> bool:
    """An intrusion detection (``IPS/4/DETECT``, ``IPS/4/EXCEPTION``, ``IPSTRAP/4/THREATTRAP``).

    Other ``IPS`` lines (signature updates and the like) are the firewall's system events.
    """
    return module.upper() in _IPS_MODULES and ("SignName=" in body or "detected" in body)


# -- Huawei key=value bodies -------------------------------------------------------------------

_VRP_KEY: Final = re.compile(r"[A-Za-z][\w.\-]{0,63}", re.ASCII)
# Reference semantics of the pair grammar: a quoted value, or a bare value that runs on
# across commas not followed by the next "key=" (possessive: linear on any input).
_VRP_PAIR: Final = compile_pattern(
    r"([A-Za-z][\w.\-]{0,63})[ ]?=[ ]?"
    r'(?:"((?:[^"\\]|\\.)*+)"(?=\s*(?:,|$))'
    r"|([^,]*+(?:,(?![ ]?[A-Za-z][\w.\-]{0,63}[ ]?=)[^,]*+)*+))",
    re.ASCII,
)
_PAREN_PAIRS: Final = re.compile(r"\(\s*[A-Za-z][\w.\-]{0,63}[ ]?=", re.ASCII)
_LEADING_KEY: Final = re.compile(r"[A-Za-z][\w.\-]{0,63}[ ]?=", re.ASCII)


def _vrp_normalise(raw: str) -> tuple[str, str] | None:
    key = raw.strip()
    if _VRP_KEY.fullmatch(key) is None:
        return None
    return squash(key), key


# Huawei keys (squashed: no case, "-" or "_") → slot. POLICY/SECLOG/IPS/URL/SHELL spellings.
_HUAWEI_SLOTS: Final[dict[str, int]] = {
    "srcip": SRC_IP,
    "sourceip": SRC_IP,
    "ip": SRC_IP,
    "ipaddress": SRC_IP,
    "ipaddr": SRC_IP,
    "userip": SRC_IP,
    "srcport": SRC_PORT,
    "sourceport": SRC_PORT,
    "sourcenatip": SRC_NAT_IP,
    "srcnatip": SRC_NAT_IP,
    "natsrcip": SRC_NAT_IP,
    "sourcenatport": SRC_NAT_PORT,
    "srcnatport": SRC_NAT_PORT,
    "natsrcport": SRC_NAT_PORT,
    "sendpkts": SRC_PKTS,
    "sendbytes": SRC_BYTES,
    "srcmac": SRC_MAC,
    "sourcemac": SRC_MAC,
    "dstip": DST_IP,
    "destinationip": DST_IP,
    "dstport": DST_PORT,
    "destinationport": DST_PORT,
    "destinationnatip": DST_NAT_IP,
    "dstnatip": DST_NAT_IP,
    "natdstip": DST_NAT_IP,
    "destinationnatport": DST_NAT_PORT,
    "dstnatport": DST_NAT_PORT,
    "natdstport": DST_NAT_PORT,
    "rcvpkts": DST_PKTS,
    "recvpkts": DST_PKTS,
    "rcvbytes": DST_BYTES,
    "recvbytes": DST_BYTES,
    "dstmac": DST_MAC,
    "destinationmac": DST_MAC,
    "srczone": SRC_ZONE,
    "sourcezone": SRC_ZONE,
    "dstzone": DST_ZONE,
    "destinationzone": DST_ZONE,
    "protocol": PROTO,
    "application": APP,
    "applicationname": APP,
    "user": USER,
    "username": USER,
    "policy": POLICY,
    "policyname": POLICY,
    "rulename": POLICY,
    "time": TIME,
    "detecttime": TIME,
    "begintime": BEGIN,
    "endtime": END,
    "ipver": IPVER,
    "closereason": REASON,
    "action": ACTION,
    "severity": SEVERITY,
    "host": HOST,
    "page": PAGE,
    "category": CATEGORY,
    "subcategory": SUBCATEGORY,
    "signname": SIGN,
    "signid": SIGN_ID,
    "profile": PROFILE,
    "reference": CVE,
    "result": RESULT,
    "loginresult": RESULT,
}
HUAWEI_KEYS: Final = KeyTable(_HUAWEI_SLOTS, _vrp_normalise, {"vsys": "vsys", "vpnname": "vpn_name"})


def split_body(body: str) -> tuple[str | None, str | None]:
    """(pairs text, sentence) of a VRP body: either may be None."""
    text = body.rstrip()
    if text.endswith(".%"):  # seen on POLICY lines: the terminator plus a stray "%"
        text = text[:-1]
    if _LEADING_KEY.match(text) is not None:  # POLICY, SECLOG: pairs from the start
        if text.endswith("."):
            text = text[:-1]
        return text, None
    m = _PAREN_PAIRS.search(text)  # "An intrusion was detected. (SyslogId=1, ...)"
    if m is not None:
        sentence = text[: m.start()].strip() or None
        inner = text[m.start() + 1 :].rstrip()
        if inner.endswith("."):
            inner = inner[:-1].rstrip()
        if inner.endswith(")"):
            inner = inner[:-1]
        return inner, sentence
    return None, text or None


def collect(text: str, table: KeyTable, extra: dict[str, Any], *, fast: bool = True) -> list[str | None]:
    """The slot values of a Huawei pairs text; the other pairs go into ``extra`` (by name).

    Empty values are dropped; a slot takes the first key that maps to it, a repeat goes to
    ``extra``. ``fast=False`` forces the regex (the reference the C-level split must agree with).
    """
    # Split in C on every "," and "=": right when no value holds either. Quoted values and
    # URLs (the values that do: Page=/a?b=1,2, Command="...") take the regex; otherwise a
    # value holding one leaves an odd count or a fragment the table refuses as a key. (An
    # unquoted value holding as many "=" as "," would still be split: Huawei quotes those.)
    if fast and '"' not in text and "?" not in text and "&" not in text:
        flat = text.replace(", ", ",").replace("=", ",").split(",")
        plan = None if len(flat) % 2 else table.layout(flat[0::2])
        if plan is not None:
            values = flat[1::2]
            # (" " first: a one-character search is far cheaper than the two-character ones,
            # and SECLOG bodies hold no space at all)
            if " " in text and ("= " in text or " ," in text):
                values = [value.strip() for value in values]
            return pick_values(plan, values, extra)
    found = _VRP_PAIR.findall(text)
    plan = table.layout([key for key, _quoted, _bare in found])
    if plan is None:  # cannot happen: the regex only takes keys the table accepts
        return [None] * SLOTS
    return pick_values(plan, [quoted or bare.strip() for _key, quoted, bare in found], extra)


_SNIFF: Final = re.compile(
    r"%%01([A-Za-z0-9_\-]{1,32})/[0-7]/[A-Za-z0-9_\-.]{1,64}(?:\([A-Za-z]{1,2}\))?(?:\[\d{1,18}\])?:"
)
_MODEL: Final = re.compile(r"(?:USG|Eudemon|HiSecEngine|SecoManager|NIP|AntiDDoS)[\w\-]{0,30}", re.IGNORECASE)


@functools.lru_cache(maxsize=1024)
def product_of(host: str | None) -> str:
    """``observer.product``: the model when the device calls itself by it (``USG6000E``), else USG."""
    if host and _MODEL.fullmatch(host) and any(c.isdigit() for c in host):
        return host
    return "USG"


def vrp_fields(
    line: VrpLine, envelope: Envelope, record: RawRecord
) -> tuple[Event, list[str | None], dict[str, Any], str | None]:
    """The event (time, level) of a VRP line, its slot values, vendor pairs and sentence."""
    extra: dict[str, Any] = {"module": line.module}
    if line.cid is not None:
        extra["cid"] = line.cid
    pairs_text, sentence = split_body(line.body)
    vals: list[str | None] = [None] * SLOTS if pairs_text is None else collect(pairs_text, HUAWEI_KEYS, extra)
    stamp = None
    when = vals[TIME]
    if when is not None:
        # The in-line time is the device's local time, whatever the header mode.
        stamp = stamp_or_none(when, record.received_at, timezone_of(record))
        if stamp is None:
            extra["time"] = when
    if stamp is None and line.stamp_text is not None:
        stamp = stamp_or_none(line.stamp_text, record.received_at, timezone_of(record))
    event = level_event(stamp if stamp is not None else header_time(envelope, record), line.level)
    if line.seq is not None:
        event.event.sequence = int(line.seq)
    return event, vals, extra, sentence


_UNUSED: Final = Leftovers(SUBCATEGORY, SIGN, SIGN_ID, CVE)

# "Built an udp session, 10.1.1.1:1[192.0.2.2:1] (trust) to 10.1.1.2:1 (untrust)." (MTN format)
_MTN: Final = re.compile(
    r"(?:an?\s+(?P<proto>\w{1,16})\s+session,\s*)?"
    r"(?P<sip>[0-9A-Fa-f.:]{2,45}?):(?P<sport>\d{1,5})(?:\[(?P<snip>[0-9A-Fa-f.:]{2,45}?):(?P<snport>\d{1,5})\])?"
    r"\s*\((?P<szone>[^()]{0,64})\)\s+to\s+"
    r"(?P<dip>[0-9A-Fa-f.:]{2,45}?):(?P<dport>\d{1,5})(?:\[(?P<dnip>[0-9A-Fa-f.:]{2,45}?):(?P<dnport>\d{1,5})\])?"
    r"\s*\((?P<dzone>[^()]{0,64})\)",
    re.ASCII,
)
_MTN_SLOTS: Final = (
    ("proto", PROTO),
    ("sip", SRC_IP),
    ("sport", SRC_PORT),
    ("snip", SRC_NAT_IP),
    ("snport", SRC_NAT_PORT),
    ("szone", SRC_ZONE),
    ("dip", DST_IP),
    ("dport", DST_PORT),
    ("dnip", DST_NAT_IP),
    ("dnport", DST_NAT_PORT),
    ("dzone", DST_ZONE),
)


def _mtn(sentence: str, vals: list[str | None]) -> None:
    m = _MTN.search(sentence)
    if m is None:
        return
    for group, slot in _MTN_SLOTS:
        value = m.group(group)
        if value and vals[slot] is None:
            vals[slot] = value


def usg_events(line: VrpLine, envelope: Envelope, record: RawRecord) -> list[Event]:
    """The ``huawei.usg`` event of a (non-IPS) VRP line."""
    event, vals, extra, sentence = vrp_fields(line, envelope, record)
    info = event.event
    module, mnemonic = line.module.upper(), line.mnemonic.upper()
    if module == "SECLOG" and sentence is not None and vals[SRC_IP] is None:
        _mtn(sentence, vals)
    apply_flow(event, vals, extra)
    action = vals[ACTION]
    used_action = False
    if module == "POLICY" and ("PERMIT" in mnemonic or "DENY" in mnemonic):
        firewall_verdict(info, None, decision="allowed" if "PERMIT" in mnemonic else "denied")
    elif module == "SECLOG" and ("SESSION" in mnemonic or "DENY" in mnemonic):
        denied = "DENY" in mnemonic
        firewall_verdict(info, None, decision="denied" if denied else "allowed")
        if info.type is not None:
            if "BUILT" in mnemonic:
                info.type.append("start")
            elif "TEARDOWN" in mnemonic:
                info.type.append("end")
        if "URL" in mnemonic and info.category is not None:
            info.category.append("web")
    elif module == "URL" or (vals[HOST] is not None and vals[PAGE] is not None):
        stopped = blocked(action)
        firewall_verdict(info, None, decision=None if stopped is None else "denied" if stopped else "allowed")
        if info.category is not None:
            info.category.append("web")
        used_action = action is not None
    else:
        classify(event, line.module, line.mnemonic, sentence, vals[RESULT])
        if vals[RESULT] is not None:
            extra.setdefault("result", vals[RESULT])
    url = make_url(vals[HOST], vals[PAGE])
    if url is not None:
        event.url = url
    elif vals[HOST] is not None:
        extra["host"] = vals[HOST]
    if used_action:
        info.action = action
        extra["mnemonic"] = line.mnemonic
    else:
        info.action = line.mnemonic
        if action is not None:
            extra["action"] = action
    _common(event, vals, extra, line, sentence)
    observe(event, "Huawei", product_of(envelope_host(envelope, line.host)), "firewall", line.host)
    event.extra = {"huawei": {"usg": extra}}
    return [finish(event, envelope, record, DATASET)]


def _common(
    event: Event, vals: list[str | None], extra: dict[str, Any], line: VrpLine, sentence: str | None
) -> None:
    info = event.event
    begin, end = vals[BEGIN], vals[END]
    if begin is not None:
        info.start = epoch(begin)
        if info.start is None:
            extra["begin_time"] = begin
    if end is not None:
        info.end = epoch(end)
        if info.end is None:
            extra["end_time"] = end
    if vals[REASON] is not None:
        info.reason = vals[REASON]
    risk = vals[SEVERITY]
    if risk is not None:
        found = RISK_SEVERITY.get(risk.lower())
        if found is None:
            extra["severity"] = risk
        else:
            info.severity = found
    if vals[POLICY] is not None or vals[CATEGORY] is not None or vals[PROFILE] is not None:
        event.rule = Rule(name=vals[POLICY], category=vals[CATEGORY], ruleset=vals[PROFILE])
    if sentence is not None:
        event.message = sentence
    _UNUSED(vals, extra)


_ips_events: Callable[[VrpLine, Envelope, RawRecord], list[Event]] | None = None


def _ips(line: VrpLine, envelope: Envelope, record: RawRecord) -> list[Event]:
    global _ips_events
    if _ips_events is None:  # imported on first use: huawei_ips imports this package
        from collectors.parsers.huawei_ips.parser import ips_events

        _ips_events = ips_events
    return _ips_events(line, envelope, record)


class HuaweiUsgParser(Parser):
    """``huawei.usg``: VRP lines other than intrusion detections (those are ``huawei.ips``)."""

    dataset: ClassVar[str] = DATASET

    def sniff(self, envelope: Envelope) -> bool:
        """``%%01MODULE/level/MNEMONIC:`` that is not an IPS detection."""
        message = envelope.message
        at = message.find("%%01", 0, 256)
        if at < 0:
            return False
        m = _SNIFF.match(message, at)
        # IPS detections are huawei.ips; antivirus lines are left to the huawei.av definition
        return m is not None and m.group(1).upper() != "AV" and not is_ips(m.group(1), message)

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """One event; an IPS detection is handed to ``huawei.ips``."""
        line = find_vrp(envelope.message)
        if line is None:
            raise not_ours(record, "Huawei VRP (%%01MODULE/level/MNEMONIC:)")
        if is_ips(line.module, line.body):
            return _ips(line, envelope, record)
        return usg_events(line, envelope, record)
