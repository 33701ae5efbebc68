"""The event contract as tests over every golden document of every parser (DESIGN §4).

Goldens are what parsers promise; these rules hold for all of them, so a new parser is held to
the contract without new test code:

* every IDS/IPS/WAF detection (``event.category`` holds ``intrusion_detection``) carries the
  等保 8.1.3.3 d) four: attack source ``source.ip``, attack type ``rule.name`` and
  ``rule.category``, target ``destination.ip`` or ``url.*``, and ``@timestamp``;
* vendor parsers name the box: ``observer.vendor``, ``observer.product``, ``observer.type``;
* firewall decisions read alike: ``allowed``/``denied`` in ``event.type`` with an outcome;
* values are normalised: canonical IPs, integer ports in range, lowercase transports,
  ``event.severity`` on the 1–5 scale, ECS ``event.kind``/``category``/``type``/``outcome``.
"""

from __future__ import annotations

import ipaddress
import json
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
GOLDENS = sorted(ROOT.glob("*/samples/*-expected.ndjson")) + sorted(
    ROOT.glob("declarative/shipped/*-expected.ndjson")
)
GENERIC = {"json.log", "syslog.kv"}  # they cannot know the box
# CEF and LEEF headers name the vendor and product, not what kind of box it is
NO_OBSERVER_TYPE = {"cef.log", "leef.log"}

KINDS = {"alert", "asset", "enrichment", "event", "metric", "state", "pipeline_error", "signal"}
CATEGORIES = {
    "api",
    "authentication",
    "configuration",
    "database",
    "driver",
    "email",
    "file",
    "host",
    "iam",
    "intrusion_detection",
    "library",
    "malware",
    "network",
    "package",
    "process",
    "registry",
    "session",
    "threat",
    "vulnerability",
    "web",
}
TYPES = {
    "access",
    "admin",
    "allowed",
    "change",
    "connection",
    "creation",
    "deletion",
    "denied",
    "end",
    "error",
    "group",
    "indicator",
    "info",
    "installation",
    "protocol",
    "start",
    "user",
}
OUTCOMES = {"success", "failure", "unknown"}

# Detections whose device names no single attacker or target, by dataset and a marker in the
# line: the device logs an aggregate, so there is nothing to put there.
NO_ATTACKER: dict[str, set[str]] = {
    # NSFOCUS anti-defacement and DDoS records describe the protected site, not a source
    "nsfocus.waf": {"waf_log_deface", "waf_log_ddos"},
    # ASA threat-detection rate notices count drops per second across all sources
    "cisco.asa": {"%ASA-4-733100", "%ASA-4-733101"},
    # H3C attack-defence flood records (spoofed sources) name only the flooded address
    "h3c.ips": {"_FLOOD"},
}
NO_TARGET: dict[str, set[str]] = {
    # Zeek notices about guessing or scanning list many targets in "sub", not one "dst"
    "zeek.notice": {"Password_Guessing", "Scan::"},
    # the ASA rate notices above name no host at all
    "cisco.asa": {"%ASA-4-733100", "%ASA-4-733101"},
}


def _exempt(table: dict[str, set[str]], doc: dict[str, Any]) -> bool:
    markers = table.get(_get(doc, "event.dataset"), set())
    original = _get(doc, "event.original") or ""
    return any(marker in original for marker in markers)


def _docs(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]


def _get(doc: dict[str, Any], dotted: str) -> Any:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _golden_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


@pytest.mark.parametrize("golden", GOLDENS, ids=_golden_id)
def test_intrusion_events_carry_the_four(golden: Path) -> None:
    for number, doc in enumerate(_docs(golden), start=1):
        categories = _get(doc, "event.category") or []
        if "intrusion_detection" not in categories:
            continue
        where = f"{golden.name}:{number}"
        if _get(doc, "event.dataset") in GENERIC:
            continue  # passed through from an upstream tool as it was
        if not _exempt(NO_ATTACKER, doc):
            assert _get(doc, "source.ip"), f"{where}: intrusion event without source.ip"
        assert _get(doc, "rule.name"), f"{where}: intrusion event without rule.name"
        assert _get(doc, "rule.category"), f"{where}: intrusion event without rule.category"
        if not _exempt(NO_TARGET, doc):
            assert _get(doc, "destination.ip") or _get(doc, "url"), (
                f"{where}: no target (destination.ip or url.*)"
            )
        assert _get(doc, "@timestamp"), f"{where}: no @timestamp"
        assert _get(doc, "event.kind") == "alert", f"{where}: a detection is event.kind alert"


@pytest.mark.parametrize("golden", GOLDENS, ids=_golden_id)
def test_values_are_normalised(golden: Path) -> None:
    for number, doc in enumerate(_docs(golden), start=1):
        where = f"{golden.name}:{number}"
        info = doc["event"]
        assert info.get("kind") in KINDS, f"{where}: event.kind {info.get('kind')!r}"
        assert set(info.get("category") or []) <= CATEGORIES, (
            f"{where}: event.category {info.get('category')}"
        )
        assert set(info.get("type") or []) <= TYPES, f"{where}: event.type {info.get('type')}"
        assert info.get("outcome") in OUTCOMES | {None}, f"{where}: event.outcome {info.get('outcome')!r}"
        severity = info.get("severity")
        assert severity is None or severity in range(1, 6), f"{where}: event.severity {severity!r}"
        for side in ("source", "destination", "client", "server"):
            ip = _get(doc, f"{side}.ip")
            if ip is not None:
                assert str(ipaddress.ip_address(ip)) == ip, f"{where}: {side}.ip {ip!r} is not canonical"
            nat_ip = _get(doc, f"{side}.nat.ip")
            if nat_ip is not None:
                assert str(ipaddress.ip_address(nat_ip)) == nat_ip, f"{where}: {side}.nat.ip {nat_ip!r}"
            for field in ("port", "nat.port"):
                value = _get(doc, f"{side}.{field}")
                assert value is None or (isinstance(value, int) and 0 <= value <= 65535), (
                    f"{where}: {side}.{field} {value!r}"
                )
        transport = _get(doc, "network.transport")
        assert transport is None or transport == transport.lower(), (
            f"{where}: network.transport {transport!r}"
        )
        types = set(info.get("type") or [])
        if types & {"allowed", "denied"} and "connection" in types:
            assert info.get("outcome") in OUTCOMES, f"{where}: a decision without event.outcome"
        assert not {"allowed", "denied"} <= types, f"{where}: both allowed and denied"


@pytest.mark.parametrize("golden", GOLDENS, ids=_golden_id)
def test_vendor_parsers_name_the_box(golden: Path) -> None:
    for number, doc in enumerate(_docs(golden), start=1):
        if _get(doc, "event.dataset") in GENERIC:
            continue
        where = f"{golden.name}:{number}"
        fields = ["observer.vendor", "observer.product"]
        if _get(doc, "event.dataset") not in NO_OBSERVER_TYPE:
            fields.append("observer.type")
        for field in fields:
            assert _get(doc, field), f"{where}: {field} missing"
