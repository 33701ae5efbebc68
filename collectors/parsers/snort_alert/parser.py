"""``snort.alert``: Snort alerts in the ``alert_fast``, ``alert_full`` and syslog layouts.

* fast: ``MM/DD[/YY]-hh:mm:ss.uuuuuu  [**] [gid:sid:rev] msg [**] [Classification: c]
  [Priority: n] {PROTO} src[:port] -> dst[:port]`` (inline mode puts ``[Drop]`` before ``[**]``;
  Snort 3 quotes the msg and may add ``[AppID: x]``);
* full: a block of lines, ``[**] [gid:sid:rev] msg [**]`` / ``[Classification: c] [Priority: n]``
  / ``time src -> dst`` / ``PROTO TTL:… `` / … / ``[Xref => …]``. A record may hold the whole block
  (newlines kept by a file reader, or joined into one line); a lone line of a block is not a
  record of its own and is refused;
* syslog: ``snort[pid]: [gid:sid:rev] msg [Classification: c] [Priority: n]: [<if>] {PROTO} src -> dst``.

Every alert is ``intrusion(blocked=…)`` with the 等保 four: ``source.ip``, ``rule.name`` (msg),
``rule.category`` (classification), ``destination.ip``, and ``@timestamp``. ``rule.id`` is the
sid, ``rule.version`` the revision, the gid is kept as ``snort.snort.gid``. ``[Drop]``/``[Block]``/
``[Reject]`` mean the sensor blocked it (``blocked=True``, observer type ``ips``); otherwise the
line does not say (``blocked=None``). ``event.severity`` from Snort's priority (1 is the most
urgent): 1 (or 0) → 4 high, 2 → 3 medium, 3 → 2 low, 4 and above → 1 informational.

Time: the fast/full stamp has no year unless Snort ran with ``-y``; it is device-local time,
resolved against the receive time in the source's timezone. Suricata writes the same fast
layout with a four-digit year: those lines name ``OISF``/``Suricata`` as the observer.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.common import canonical_ip, finish, header_time, new_event, port, timezone_of
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import add_related_ips, intrusion, not_ours, set_observer, vendor_fields
from soc_core.errors import ParseError
from soc_core.events import Endpoint, Event, Network, Rule, Vulnerability
from soc_core.records import RawRecord
from soc_core.vocabulary import DeadLetterReason

NAMESPACE = ("snort", "snort")
# Every piece is matched at a known position or found with str.find/rfind: no pattern runs over
# the free-text msg, so a hostile line costs linear time.
_TIME = re.compile(r"(?P<ts>\d{1,2}/\d{1,2}(?:/\d{2,4})?-\d{1,2}:\d\d:\d\d(?:\.\d{1,9})?)\s+")
_ACT = re.compile(r"\[(?P<act>[A-Za-z]+)\]\s*")
_GSR = re.compile(r"\[(?P<gid>\d+):(?P<sid>\d+):(?P<rev>\d+)\]\s*")
_FLOW = re.compile(
    r"(?:<(?P<iface>[^>\s]*)>\s*)?\{(?P<proto>[^}\s]*)\}\s*(?P<src>\S+)\s+->\s+(?P<dst>\S+)\s*"
)
_PACKET = re.compile(
    r"(?P<ts>\d{1,2}/\d{1,2}(?:/\d{2,4})?-\d{1,2}:\d\d:\d\d(?:\.\d{1,9})?)\s+"
    r"(?:[0-9A-Fa-f:]{11,17} -> [0-9A-Fa-f:]{11,17} type:\S+ len:\S+\s+)?"
    r"(?P<src>\S+)\s+->\s+(?P<dst>\S+)\s+(?P<proto>[A-Za-z][A-Za-z0-9-]*)\s+TTL:"
)
_TAG_BODY = re.compile(r"([A-Za-z][A-Za-z ]*):\s*(.*)", re.DOTALL)
_HEAD = re.compile(r"\[\*\*\]\s*\[\d+:\d+:\d+\]")
_SYSLOG_HEAD = re.compile(r"(?:\[[A-Za-z]+\]\s*)?\[\d+:\d+:\d+\]\s")
_XREF = re.compile(r"\[Xref => ([^\]]*)\]")
_CVE = re.compile(r"(?:cve,|cvename\.cgi\?name=|CVE-)(\d{4}-\d{4,7})", re.IGNORECASE)
_BLOCKING = frozenset({"drop", "sdrop", "block", "reject"})
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_TRANSPORTS = {"icmpv6": "ipv6-icmp", "ipv6-icmp": "ipv6-icmp", "icmp6": "ipv6-icmp"}
_PORTED = frozenset({"tcp", "udp", "sctp"})


def priority_severity(priority: int) -> int:
    """Snort priority (1 most urgent) → ``event.severity``: 1 → 4, 2 → 3, 3 → 2, 4+ → 1."""
    return max(1, min(4, 5 - priority))


def _endpoint(token: str, ported: bool) -> Endpoint | None:
    """``1.2.3.4:80``, ``[2001:db8::1]:80``, ``2001:db8::1:80`` (ported protocols) or a bare address."""
    if token.startswith("["):
        address, _, number = token[1:].partition("]:")
        ip = canonical_ip(address)
        return None if ip is None else Endpoint(ip=ip, port=port(number) if number else None)
    if not ported:
        ip = canonical_ip(token)
        if ip is not None:
            return Endpoint(ip=ip)
    address, sep, number = token.rpartition(":")
    if sep:
        ip = canonical_ip(address)
        if ip is not None:
            return Endpoint(ip=ip, port=port(number))
    ip = canonical_ip(token)
    return None if ip is None else Endpoint(ip=ip)


def _stamp(text: str, record: RawRecord) -> tuple[dt.datetime, bool]:
    """(UTC time, four-digit year?) for ``MM/DD[/YY[YY]]-hh:mm:ss.ffffff``."""
    date, _, clock = text.partition("-")
    parts = date.split("/")
    month, day = int(parts[0]), int(parts[1])
    if not 1 <= month <= 12:
        raise ValueError(f"bad month in {text!r}")
    tz = timezone_of(record)
    if len(parts) == 3:
        year = parts[2]
        full = f"{year if len(year) == 4 else '20' + year.zfill(2)}-{month:02d}-{day:02d} {clock}"
        return resolve_timestamp(full, received_at=record.received_at, tz=tz), len(year) == 4
    bsd = f"{_MONTHS[month - 1]} {day} {clock}"
    return resolve_timestamp(bsd, received_at=record.received_at, tz=tz), False


def _tags_forward(text: str, pos: int) -> tuple[list[tuple[str, str]], int]:
    """``[Key: value]`` tags from ``pos`` on; returns them and where they end."""
    tags: list[tuple[str, str]] = []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if not text.startswith("[", pos):
            return tags, pos
        end = text.find("]", pos)
        found = _TAG_BODY.fullmatch(text, pos + 1, end) if end > 0 else None
        if found is None:
            return tags, pos
        tags.append((found.group(1), found.group(2)))
        pos = end + 1


def _split(message: str) -> dict[str, Any] | None:
    """The parts of an alert in any of the three layouts, or None."""
    parts: dict[str, Any] = {}
    pos = 0
    stamp = _TIME.match(message)
    if stamp is not None:
        parts["ts"], pos = stamp.group("ts"), stamp.end()
    act = _ACT.match(message, pos)
    if act is not None:
        parts["act"], pos = act.group("act"), act.end()
    banner = message.startswith("[**]", pos)
    if banner:
        pos += 4
        while pos < len(message) and message[pos].isspace():
            pos += 1
    gsr = _GSR.match(message, pos)
    if gsr is None:
        return None
    parts.update(gsr.groupdict())
    pos = gsr.end()
    if banner:  # fast or full: the msg runs to the closing [**]
        end = message.find("[**]", pos)
        if end < 0:
            return None
        parts["msg"] = message[pos:end]
        parts["tags"], pos = _tags_forward(message, end + 4)
        if stamp is not None:
            flow = _FLOW.fullmatch(message, pos)
            if flow is None:
                return None
            parts.update(flow.groupdict(), layout="fast")
            return parts
        packet = _PACKET.match(message, pos)
        if packet is None:
            return None
        parts.update(packet.groupdict(), layout="full", details=message[packet.end() :])
        return parts
    # syslog: msg [Key: value]…: [<if>] {PROTO} src -> dst — the flow is found from the right
    brace = message.rfind("{")
    flow = _FLOW.fullmatch(message, brace) if brace >= pos else None
    if flow is None:
        return None
    head = message[pos:brace].rstrip()
    iface = None
    if head.endswith(">"):
        opening = head.rfind("<")
        if opening >= 0:
            iface, head = head[opening + 1 : -1], head[:opening].rstrip()
    head = head.rstrip(":").rstrip()
    tags: list[tuple[str, str]] = []
    while head.endswith("]"):
        opening = head.rfind("[")
        found = _TAG_BODY.fullmatch(head, opening + 1, len(head) - 1) if opening >= 0 else None
        if found is None:
            break
        tags.insert(0, (found.group(1), found.group(2)))
        head = head[:opening].rstrip()
    parts.update(flow.groupdict(), msg=head, tags=tags, layout="syslog")
    if iface is not None:
        parts["iface"] = iface
    return parts


class SnortParser(Parser):
    """``snort.alert``: one event per alert (a full-format block is one alert)."""

    dataset: ClassVar[str] = "snort.alert"

    def sniff(self, envelope: Envelope) -> bool:
        """``[**] [gid:sid:rev]`` (fast/full), or ``[gid:sid:rev] … {PROTO} a -> b`` (syslog)."""
        message = envelope.message
        if "[**]" in message:
            return _HEAD.search(message) is not None
        return "->" in message and "{" in message and _SYSLOG_HEAD.match(message) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """Fast first (the common case), then full, then syslog."""
        g = _split(envelope.message.strip())
        if g is None:
            raise not_ours(record, "Snort alert (fast, full or syslog layout)")
        layout = g["layout"]
        suricata = False
        if g.get("ts"):
            try:
                stamp, suricata = _stamp(g["ts"], record)
            except ValueError as exc:
                raise ParseError(
                    f"Snort alert: bad timestamp {g['ts']!r}: {exc}",
                    where=record.where,
                    reason=DeadLetterReason.PARSE_ERROR.value,
                ) from None
        else:
            stamp = header_time(envelope, record)
        header = envelope.syslog
        if header is not None and header.appname is not None and header.appname.lower() == "suricata":
            suricata = True

        proto = g["proto"].lower()
        transport = _TRANSPORTS.get(proto, proto) or None
        ported = transport in _PORTED
        source, destination = _endpoint(g["src"], ported), _endpoint(g["dst"], ported)
        if source is None or destination is None:
            raise ParseError(
                f"Snort alert: not an address in {g['src']!r} -> {g['dst']!r}",
                where=record.where,
                reason=DeadLetterReason.PARSE_ERROR.value,
            )

        event = new_event(stamp)
        info = event.event
        action = (g.get("act") or "alert").lower()
        blocked = True if action in _BLOCKING else None
        intrusion(info, blocked=blocked)
        info.action = action
        vendor: dict[str, Any] = {"gid": int(g["gid"]), "layout": layout}
        tags = dict(g["tags"])
        priority = tags.pop("Priority", "").strip()
        if priority.isdigit():
            vendor["priority"] = int(priority)
            info.severity = priority_severity(int(priority))
        # A rule without a classtype has no classification; the attack type still needs one.
        category = tags.pop("Classification", "").strip() or "unclassified"
        for key, value in tags.items():
            vendor[key.strip().lower().replace(" ", "_")] = value.strip()
        msg = g["msg"].strip()
        if len(msg) >= 2 and msg[0] == msg[-1] == '"':  # Snort 3 quotes the message
            msg = msg[1:-1]
        rule = Rule(id=g["sid"], name=msg or None, category=category, version=g["rev"])
        details = g.get("details")
        if details:
            xrefs = _XREF.findall(details)
            if xrefs:
                rule.reference = xrefs[0]
                vendor["references"] = xrefs
                cves = list(dict.fromkeys(f"CVE-{number}" for ref in xrefs for number in _CVE.findall(ref)))
                if cves:
                    event.vulnerability = Vulnerability(id=cves)
            packet = details.split("[Xref", 1)[0].strip()
            if packet:
                vendor["packet"] = "TTL:" + " ".join(packet.split())
        event.rule = rule
        event.source, event.destination = source, destination
        event.network = Network(transport=transport)
        if g.get("iface"):
            vendor["interface"] = g["iface"]
        if suricata:
            set_observer(event, vendor="OISF", product="Suricata", type_="ips" if blocked else "ids")
        else:
            set_observer(event, vendor="Snort", product="Snort", type_="ips" if blocked else "ids")
        add_related_ips(event)
        vendor_fields(event, *NAMESPACE, vendor)
        return [finish(event, envelope, record, self.dataset)]
