"""``cisco.asa``: Cisco ASA and FTD syslog (``%ASA-<sev>-<id>: text``, ``%FTD-…``).

Shape: ``[syslog header] [ASA timestamp:] %ASA-<sev>-<message id>[:] <text>``; ``message repeated
N times: [ <text> ]`` (syslogd's repeat wrapper) is unwrapped and N kept. Each message id that
matters for a SOC has its own regex in ``messages._SPECS`` (one table: id → regexes,
``event.action``, categorisation); FTD security events 430001-430005 are decoded by ``ftd``.
The regexes use named groups with one meaning everywhere, applied by
``_apply``: ``si``/``sa``/``sp`` ingress interface, source address, port; ``di``/``da``/``dp``
the same for the destination; ``msa``/``msp``/``mda``/``mdp`` the NAT-mapped address/port;
``proto`` transport; ``dir`` inbound/outbound; ``acl`` the access list (``rule.name``) …; any
other group is kept under ``cisco.asa.<group>``. Ids outside the table are kept generically:
``event.code`` is the id, ``event.action`` is the id too, the severity comes from ``<sev>``, and
``from [if:]a/p to [if:]a/p`` in the text still gives source and destination.

``event.action`` follows the vocabulary of Elastic's Cisco ASA integration (``firewall-rule``,
``flow-creation``, ``flow-expiration``, ``nat-slot``, ``logged-in``, ``logon-failed``,
``configuration`` …) so rules and dashboards written for it work; ``event.code`` keeps the
message id. ``observer.product`` is ``asa`` (``ftd`` for ``%FTD-`` lines), as Elastic writes it.

Built connections (302013/302015/302020): Cisco writes the outside ("foreign") side first
for outbound connections, so for ``outbound`` the two sides are swapped to make ``source`` the
initiator; the mapped addresses become ``source.nat.*``/``destination.nat.*`` only when NAT
changed them. IDS signatures (400000-400050) and threat detection (733100/733101) are alerts
(``intrusion``) with ``rule.name``/``rule.category``; the ASA does not say whether it dropped
the packet, so they carry neither ``allowed`` nor ``denied``. Severity: ``<sev>`` is a syslog
level (0 emergencies … 7 debugging), mapped like any syslog level and kept in ``log.level``.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from collectors.parsers.base import Envelope, Parser
from collectors.parsers.cisco_asa.ftd import FTD_EVENTS, ftd_event
from collectors.parsers.cisco_asa.messages import _ECS_GROUPS, _GENERIC_FLOW, _INT_GROUPS, _SPECS, _Spec
from collectors.parsers.cisco_asa.values import duration_ns, endpoint, nat, split_iface, transport
from collectors.parsers.common import (
    IANA_TRANSPORTS,
    canonical_ip,
    count,
    finish,
    header_time,
    new_event,
    timezone_of,
)
from collectors.parsers.timeparse import resolve_timestamp
from collectors.parsers.vendor import add_related_ips, intrusion, not_ours, set_observer, vendor_fields
from soc_core.events import Event, Interface, Log, Network, ObserverSide, Rule, Url, User
from soc_core.records import RawRecord
from soc_core.vocabulary import EventCategory, EventType, Severity

VENDOR = "Cisco"
VENDOR_KEY = "cisco"  # vendor fields live under cisco.asa.* (cisco.ftd.* for %FTD- lines)

# %ASA-6-302013: / %FTD-1-430001: / %ASA-session-6-302013: (FTD suffixes) / "%ASA-4-401004 text"
_MARKER = re.compile(r"%(?P<prod>ASA|FTD)-(?:[A-Za-z_]+-)?(?P<sev>[0-7])-(?P<id>\d{6}):?\s*")
_REPEAT = re.compile(r"message repeated (?P<n>\d+) times?: \[\s*(?P<text>.*?)\s*\]\s*$", re.DOTALL)
_PREFIX_TIME = re.compile(
    r"[:\s]*(?P<ts>(?:[A-Za-z]{3} )?[A-Za-z]{3} +\d{1,2}(?: \d{4})? \d{1,2}:\d\d:\d\d(?:\.\d+)?"
    r"|\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?)"
    r"(?: (?P<tz>[A-Z]{3,4}))?:?\s*$"
)
# The message regexes end values with lazy "(.+?)\s*$" / "(.*?)\s+on": each blank of a long run
# would rescan the run (quadratic on a hostile 1 MiB line). ASA text never holds such a run, so a
# long message has its runs folded to one blank first; short ones cannot cost much either way.
_LONG_TEXT = 2048
_BLANK_RUN = re.compile(r"\s{16,}")
_LEVELS = (
    "emergencies",
    "alerts",
    "critical",
    "errors",
    "warnings",
    "notifications",
    "informational",
    "debugging",
)
_SEVERITY = tuple(int(Severity.from_syslog(level)) for level in range(8))


class CiscoAsaParser(Parser):
    """``cisco.asa``: one event per ``%ASA-``/``%FTD-`` message."""

    dataset: ClassVar[str] = "cisco.asa"

    def sniff(self, envelope: Envelope) -> bool:
        """``%ASA-<sev>-<id>`` or ``%FTD-`` near the start of the message."""
        head = envelope.message[:256]
        return ("%ASA-" in head or "%FTD-" in head) and _MARKER.search(head) is not None

    def parse(self, envelope: Envelope, record: RawRecord) -> list[Event]:
        """The message id picks the regex; unknown ids are kept generically."""
        message = envelope.message
        marker = _MARKER.search(message, 0, 512)
        if marker is None:
            raise not_ours(record, "Cisco ASA/FTD (%ASA-<sev>-<id>)")
        product, level, message_id = marker.group("prod", "sev", "id")
        text = message[marker.end() :].rstrip()
        if len(text) > _LONG_TEXT:
            text = _BLANK_RUN.sub(" ", text)
        vendor: dict[str, Any] = {}
        repeat = _REPEAT.match(text)
        if repeat is not None:
            vendor["message_repeats"] = int(repeat.group("n"))
            text = repeat.group("text")

        event = new_event(self._time(envelope, record, message[: marker.start()]))
        info = event.event
        info.code = message_id
        sev = int(level)
        info.severity = _SEVERITY[sev]
        event.log = Log(level=_LEVELS[sev])
        event.message = text or None
        set_observer(event, vendor=VENDOR, product=product.lower(), type_="firewall")

        spec = _SPECS.get(message_id)
        matched = None
        if spec is not None:
            for pattern in spec.patterns:
                matched = pattern.match(text)
                if matched is not None:
                    break
        if message_id in FTD_EVENTS:
            ftd_event(event, message_id, text, vendor)
        elif spec is not None and matched is not None:
            self._apply(event, spec, matched, vendor)
        else:
            info.action = message_id
            flow = _GENERIC_FLOW.search(text)
            if flow is not None and canonical_ip(flow.group("sa")) and canonical_ip(flow.group("da")):
                info.category = [EventCategory.NETWORK.value]
                info.type = [EventType.CONNECTION.value, EventType.INFO.value]
                event.source = endpoint(flow.group("sa"), flow.group("sp"))
                event.destination = endpoint(flow.group("da"), flow.group("dp"))
                self._interfaces(event, flow.group("si"), flow.group("di"))
            else:
                info.type = [EventType.INFO.value]
        add_related_ips(event)
        # FTD lines keep their vendor fields under cisco.ftd, as Elastic's FTD integration does
        vendor_fields(event, VENDOR_KEY, product.lower(), vendor)
        return [finish(event, envelope, record, self.dataset)]

    # -- helpers ----------------------------------------------------------------------------------

    @staticmethod
    def _time(envelope: Envelope, record: RawRecord, before: str) -> Any:
        """The ASA's own timestamp before ``%ASA-`` (``Jan 05 2026 10:00:00 UTC:``), else the header."""
        word = before.strip(" :")
        header = envelope.syslog
        utc_app = header is not None and header.appname in ("UTC", "GMT")  # "…16:00:46 UTC: %ASA-"
        if (
            (word in ("UTC", "GMT") or (utc_app and not word))
            and header is not None
            and header.timestamp_text
        ):
            # "Nov 27 2026 16:00:46 UTC: %ASA-…": the header time is in UTC, not device-local
            try:
                return resolve_timestamp(header.timestamp_text, received_at=record.received_at, tz="UTC")
            except ValueError:
                pass
        elif word:
            found = _PREFIX_TIME.search(before)
            if found is not None:
                tz = "UTC" if found.group("tz") in ("UTC", "GMT") else timezone_of(record)
                try:
                    return resolve_timestamp(found.group("ts"), received_at=record.received_at, tz=tz)
                except ValueError:
                    pass
        return header_time(envelope, record)

    @staticmethod
    def _interfaces(event: Event, ingress: str | None, egress: str | None) -> None:
        observer = event.observer
        if observer is None:
            return
        if ingress:
            observer.ingress = ObserverSide(interface=Interface(name=ingress))
        if egress:
            observer.egress = ObserverSide(interface=Interface(name=egress))

    def _apply(self, event: Event, spec: _Spec, m: re.Match[str], vendor: dict[str, Any]) -> None:
        """ECS from the named groups of ``m`` (one meaning per group name, see the module doc)."""
        g = {key: value for key, value in m.groupdict().items() if value}  # groups that matched text
        get = g.get
        info = event.event
        out: dict[str, Any] = {}
        if spec.hook is not None:
            spec.hook(m, out)
        info.action = out.get("action", spec.action)
        if spec.alert:
            intrusion(info, blocked=None)
        else:
            info.category = list(spec.category)
            info.type = list(out.get("types", spec.types))
            outcome = out.get("outcome", spec.outcome)  # a hook's explicit None wins
            if outcome is not None:
                info.outcome = outcome

        direction = get("dir", "").lower()
        src_iface, dst_iface = get("si"), get("di")
        source = endpoint(get("sa"), get("sp"))
        destination = endpoint(get("da"), get("dp"))
        if "faddr" in g:  # 302020/302021: foreign / global / local
            f_iface, f_addr = split_iface(g["faddr"])
            l_iface, l_addr = split_iface(g["laddr"])
            _, g_addr = split_iface(g["gaddr"])
            foreign, local = endpoint(f_addr, None), endpoint(l_addr, None)
            if direction == "inbound":
                source, destination, src_iface, dst_iface = foreign, local, f_iface, l_iface
                nat(destination, g_addr, None)
            else:
                source, destination, src_iface, dst_iface = local, foreign, l_iface, f_iface
                nat(source, g_addr, None)
        else:
            if "msa" in g:
                nat(source, g["msa"], get("msp"))
            if "mda" in g:
                nat(destination, g["mda"], get("mdp"))
            if direction == "outbound" and "connection_id" in g:
                # 302013/302015 outbound: the "for" side is the responder; the source is the initiator
                source, destination, src_iface, dst_iface = destination, source, dst_iface, src_iface
        if out.get("swap"):  # 733101 "is targeted"
            source, destination = destination, source
        if "sbytes" in g and source is not None:
            source.bytes = count(g["sbytes"])
        if "dbytes" in g and destination is not None:
            destination.bytes = count(g["dbytes"])
        event.source, event.destination = source, destination
        self._interfaces(event, src_iface, dst_iface)

        name = out.get("transport")
        iana = None
        if "proto" in g:
            name, iana = transport(g["proto"])
            if name is None:
                vendor["protocol"] = g["proto"]
        elif "num" in g:
            name, iana = IANA_TRANSPORTS.get(g["num"]), g["num"]
        app, size = get("app"), get("bytes")
        if name or iana or direction or app or size:
            event.network = Network(
                transport=name,
                iana_number=iana,
                direction=direction or None,
                protocol=app.lower() if app else None,
                bytes=count(size) if size else None,
            )

        if "user" in g:
            event.user = User(name=g["user"])
        if "acl" in g:
            event.rule = Rule(name=g["acl"])
        elif "list_name" in g:  # 338xxx: the list that matched and its threat category
            event.rule = Rule(name=f"{g['list_name']} list", category=out.get("rule_category"))
        if "url" in g:
            event.url = Url(original=g["url"])
        if "signature" in g or "object" in g or "sig" in g:
            rule_name = get("signature") or get("object")
            if "role" in g:
                rule_name = f"{g['object']} {g['role']}"
            event.rule = Rule(
                id=get("sig"), name=rule_name, category=out.get("rule_category", "threat-detection")
            )
        if "reason" in g:
            info.reason = g["reason"]
        if "duration" in g:
            info.duration = duration_ns(g["duration"])
        for key, value in g.items():
            if key not in _ECS_GROUPS:
                vendor[key] = int(value) if key in _INT_GROUPS and value.isdigit() else value
