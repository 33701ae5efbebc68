"""Firepower (FTD) security events 430001-430005: ``Key: value, Key: value, …``."""

from __future__ import annotations

import re
from typing import Any

from collectors.parsers.cisco_asa.values import endpoint, transport
from collectors.parsers.common import count, sanitize_key
from collectors.parsers.vendor import firewall_verdict, intrusion
from soc_core.events import (
    Dns,
    DnsQuestion,
    Event,
    File,
    Hash,
    Http,
    HttpResponse,
    Interface,
    Network,
    ObserverSide,
    Rule,
    Url,
    User,
)
from soc_core.vocabulary import EventCategory, EventKind, EventType, Severity

FTD_EVENTS = {
    "430001": "intrusion-detected",
    "430002": "connection-started",
    "430003": "connection-finished",
    "430004": "file-detected",
    "430005": "malware-detected",
}
_FTD_PAIR = re.compile(
    r"(?:^|,\s*)([A-Z][A-Za-z0-9_ ]{0,40}?):\s*(.*?)(?=,\s*[A-Z][A-Za-z0-9_ ]{0,40}?:\s|$)", re.DOTALL
)
_FTD_ALLOW = frozenset({"allow", "trust", "monitor", "fastpath"})
_FTD_DENY = frozenset(
    {"block", "block with reset", "interactive block", "interactive block with reset", "blacklist"}
)
_FTD_TEXT = frozenset({"not available", "n/a", "no authentication required", "unknown", ""})


def _priority_severity(value: str) -> int | None:
    """Snort/FTD rule priority 1 (highest) … 4 → event.severity high … informational."""
    if not value.isdigit():
        return None
    return max(1, 5 - max(1, int(value))) if int(value) <= 4 else int(Severity.INFORMATIONAL)


def ftd_event(event: Event, message_id: str, text: str, vendor: dict[str, Any]) -> None:
    """Firepower security events: intrusion, connection, file and malware events."""
    fields = {key.strip(): value.strip() for key, value in _FTD_PAIR.findall(text)}
    get = fields.pop
    info = event.event
    info.action = FTD_EVENTS[message_id]
    source = endpoint(get("SrcIP", None), get("SrcPort", None))
    destination = endpoint(get("DstIP", None), get("DstPort", None))
    for side, key in ((source, "Initiator"), (destination, "Responder")):
        if side is not None:
            side.bytes = count(get(f"{key}Bytes", ""))
            side.packets = count(get(f"{key}Packets", ""))
    event.source, event.destination = source, destination
    observer = event.observer
    if observer is not None:
        for attr, key in (("ingress", "Ingress"), ("egress", "Egress")):
            iface, zone = get(f"{key}Interface", None), get(f"{key}Zone", None)
            if iface or zone:
                setattr(
                    observer,
                    attr,
                    ObserverSide(zone=zone or None, interface=Interface(name=iface) if iface else None),
                )
    network = Network()
    protocol = get("Protocol", "")
    network.transport, network.iana_number = transport(protocol) if protocol else (None, None)
    application = get("ApplicationProtocol", "")
    if application.lower() not in _FTD_TEXT:
        network.protocol = application.lower()
    if network != Network():
        event.network = network
    user = get("User", "")
    if user.lower() not in _FTD_TEXT:
        event.user = User(name=user)
    url = get("URL", "")
    if url:
        event.url = Url(original=url)
    query = get("DNSQuery", "")
    if query:
        event.dns = Dns(question=DnsQuestion(name=query))
    status = get("HTTPResponse", "")
    if status.isdigit() and len(status) == 3:
        event.http = Http(response=HttpResponse(status_code=int(status)))
    duration = get("ConnectionDuration", "")
    if duration.isdigit():
        info.duration = int(duration) * 1_000_000_000
    verdict = get("AccessControlRuleAction", "")
    rule = Rule(name=get("AccessControlRuleName", None) or None, ruleset=get("ACPolicy", None) or None)
    if message_id == "430001":
        # The four of an IDS alert: Message names the attack, Classification its class.
        rule = Rule(
            id=get("SID", None),
            name=get("Message", None),
            category=get("Classification", None),
            version=get("Revision", None),
            ruleset=get("IntrusionPolicy", None) or rule.ruleset,
        )
        result = get("InlineResult", "").lower()
        intrusion(info, blocked=True if result in ("blocked", "dropped") else None)
        severity = _priority_severity(get("Priority", ""))
        if severity is not None:
            info.severity = severity
    elif message_id == "430005":
        info.kind = EventKind.ALERT.value
        info.category = [EventCategory.MALWARE.value, EventCategory.NETWORK.value]
        info.type = [EventType.INFO.value]
    elif message_id == "430004":
        info.category = [EventCategory.FILE.value, EventCategory.NETWORK.value]
        info.type = [EventType.INFO.value]
    else:
        lowered = verdict.lower()
        decision = (
            EventType.ALLOWED.value
            if lowered in _FTD_ALLOW
            else EventType.DENIED.value
            if lowered in _FTD_DENY
            else None
        )
        firewall_verdict(info, None, decision=decision)
        info.type = [
            *(info.type or []),
            EventType.START.value if message_id == "430002" else EventType.END.value,
        ]
    if message_id in ("430004", "430005"):
        name, sha256 = get("FileName", None), get("FileSHA256", None) or get("SHA256", None)
        if name or sha256:
            event.file = File(name=name or None, hash=Hash(sha256=sha256) if sha256 else None)
    if rule != Rule():
        event.rule = rule
    if verdict:
        vendor["access_control_rule_action"] = verdict
    for key, value in fields.items():
        if value:
            name = sanitize_key(key)
            if name:
                vendor[name] = value
