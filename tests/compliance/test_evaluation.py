"""Each 等保 item's status and numbers on a seeded site: the healthy site, and one broken knob per case."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from compliance.models import ItemResult
from compliance.report import build_report, catalogue, gap_order
from soc_core.vocabulary import ComplianceStatus, Role
from tests.compliance.seed import NOW, START, Site, seeded

OK, PART, FAIL, UNDET = (
    ComplianceStatus.COMPLIANT,
    ComplianceStatus.PARTIAL,
    ComplianceStatus.NON_COMPLIANT,
    ComplianceStatus.UNDETERMINED,
)
MANUAL_ITEMS = {"8.1.4.3 d)", "8.1.10.12 b)", "8.1.10.12 d)"}


def evaluate(tmp_path: Path, site: Site) -> dict[str, ItemResult]:
    with seeded(tmp_path, site) as s:
        report = build_report(
            events=s.events, state=s.state, settings=s.settings, start=START, end=NOW, role_matrix={}
        )
    return {item.key: item for item in report.items}


def test_the_healthy_site_is_compliant_on_every_measured_item(tmp_path: Path) -> None:
    items = evaluate(tmp_path, Site())
    assert set(items) == {item.key for item in catalogue()}
    statuses = {key: item.status for key, item in items.items()}
    assert statuses == {key: UNDET if key in MANUAL_ITEMS else OK for key in items}
    # The numbers behind the verdicts (the site's data is in seed.py).
    assert items["8.1.3.1 a)"].evidence == {"events": 4, "events_last_24h": 2, "devices": 1}
    assert items["8.1.3.2 a)"].evidence == {"events": 4, "allowed": 1, "denied": 2}
    assert items["8.1.3.3 d)"].evidence["events"] == 6
    assert items["8.1.3.3 d)"].evidence["with_all_four"] == 6
    assert items["8.1.3.3 d)"].evidence["missing"] == {
        "source.ip": 0,
        "destination.ip": 0,
        "rule.name/rule.category": 0,
    }
    assert items["8.1.3.3 b)"].evidence["from_internal_sources"] == 1
    assert items["8.1.3.5 a)"].evidence == {"registered": 4, "with_logs": 4, "without_logs": []}
    assert items["8.1.5.4 c)"].evidence["reporting"] == 4
    assert items["8.1.5.4 d)"].evidence["policy_days"] == 365
    assert items["8.1.5.4 d)"].evidence["days_retained"] == 200
    assert items["8.1.5.1 a)"].evidence["holders"] == ["system_admin"]
    assert items["8.1.4.3 c)"].evidence["ok"] is True
    assert items["8.1.10.12 a)"].evidence == {"high_alerts": 3, "untriaged_after_24h": 0}
    assert items["8.1.10.12 c)"].evidence["closed"] == 1


# (knobs, item, status, numbers that must be in the item's evidence)
CASES: list[tuple[dict[str, Any], str, ComplianceStatus, dict[str, Any]]] = [
    ({"firewall": False, "malware": False}, "8.1.3.1 a)", FAIL, {"events": 0}),
    ({"firewall_recent": False}, "8.1.3.1 a)", PART, {"events": 4, "events_last_24h": 0}),
    ({"registered_assets": False}, "8.1.3.1 b)", FAIL, {"registered": 0}),
    (
        {"discovered_assets": True},
        "8.1.3.1 b)",
        PART,
        {"unregistered": 1, "unregistered_hosts": ["10.20.0.99"]},
    ),
    ({"proxy": False}, "8.1.3.1 c)", FAIL, {"events": 0}),
    ({"proxy_recent": False}, "8.1.3.1 c)", PART, {"events": 3, "events_last_24h": 0}),
    ({"firewall": False, "malware": False}, "8.1.3.2 a)", FAIL, {"events": 0}),
    ({"firewall_denied": False}, "8.1.3.2 a)", PART, {"denied": 0, "allowed": 3}),
    ({"firewall": False, "malware": False}, "8.1.3.2 c)", FAIL, {"events": 0}),
    ({"firewall_five_tuple": False}, "8.1.3.2 c)", PART, {"events": 4, "with_five_tuple": 1}),
    ({"waf": False, "proxy": False}, "8.1.3.2 e)", FAIL, {"waf_events": 0, "proxy_events": 0}),
    ({"waf_denied": False, "proxy": False}, "8.1.3.2 e)", PART, {"denied": 0, "waf_events": 3}),
    ({"intrusion": False, "waf": False}, "8.1.3.3 a)", FAIL, {"events": 0}),
    ({"intrusion_recent": False, "waf": False}, "8.1.3.3 a)", PART, {"events": 3, "events_last_24h": 0}),
    ({"intrusion": False, "waf": False, "mirror": False}, "8.1.3.3 b)", FAIL, {"intrusion_events": 0}),
    (
        {"intrusion": False, "mirror": False},
        "8.1.3.3 b)",
        PART,
        {"from_internal_sources": 0, "intrusion_events": 3},
    ),
    (
        {"mirror": False, "correlation": False},
        "8.1.3.3 c)",
        FAIL,
        {"flows": 0, "correlation_rules_loaded": 0},
    ),
    ({"mirror": False}, "8.1.3.3 c)", PART, {"flows": 0, "correlation_rules_loaded": 1}),
    ({"intrusion_complete": False, "waf": False}, "8.1.3.3 d)", FAIL, {"events": 3, "with_all_four": 0}),
    ({"intrusion": False, "waf": False}, "8.1.3.3 d)", FAIL, {"events": 0}),
    ({"rules": False}, "8.1.3.3 d)", PART, {"with_all_four": 6, "high_rules_loaded": 0}),
    (
        {"malware": False, "malware_rule": False},
        "8.1.3.4 a)",
        FAIL,
        {"malware_events": 0, "malware_rules_loaded": 0},
    ),
    ({"malware": False}, "8.1.3.4 a)", PART, {"malware_events": 0, "malware_rules_loaded": 1}),
    ({"registered_sources": False}, "8.1.3.5 a)", FAIL, {"registered": 0}),
    (
        {"firewall": False, "malware": False},
        "8.1.3.5 a)",
        PART,
        {"with_logs": 3, "without_logs": ["192.0.2.1"]},
    ),
    (
        {"firewall": False, "proxy": False, "waf": False, "intrusion": False, "malware": False},
        "8.1.3.5 b)",
        FAIL,
        {"events": 0},
    ),
    ({"device_fields": False}, "8.1.3.5 b)", PART, {"events": 13, "complete": 10}),
    ({"tamper_partition": True}, "8.1.3.5 c)", FAIL, {}),
    ({"seal": False}, "8.1.3.5 c)", UNDET, {"partitions": 0}),
    ({"proxy": False}, "8.1.3.5 d)", FAIL, {"events": 0}),
    ({"users": False, "responses": False}, "8.1.4.3 a)", FAIL, {"entries": 0}),
    ({"blank_oplog_outcome": True}, "8.1.4.3 b)", PART, {"incomplete": 1}),
    ({"blank_oplog_outcome": True}, "8.1.4.3 c)", FAIL, {"ok": False}),
    ({"users": False, "responses": False}, "8.1.4.3 b)", UNDET, {"entries": 0}),
    ({"tamper_oplog": True}, "8.1.4.3 c)", FAIL, {"ok": False, "entries_verified": 1}),
    ({"users": False, "responses": False}, "8.1.4.3 c)", UNDET, {"entries_verified": 0}),
    ({"admins": (Role.AUDIT_ADMIN, Role.SECURITY_ADMIN)}, "8.1.5.1 a)", FAIL, {"holders": []}),
    ({"admins": (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN)}, "8.1.5.2 a)", FAIL, {"holders": []}),
    ({"admins": (Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN)}, "8.1.5.3 a)", FAIL, {"holders": []}),
    ({"management_cidr": False}, "8.1.5.4 a)", FAIL, {"management_cidrs": []}),
    ({"api_host": "198.51.100.7"}, "8.1.5.4 a)", PART, {"console_host": "198.51.100.7"}),
    ({"tls": "plain"}, "8.1.5.4 b)", FAIL, {"syslog_tls": False}),
    ({"tls": "tls"}, "8.1.5.4 b)", PART, {"syslog_tls": True, "client_certificates": False}),
    ({"silent_sensor": True}, "8.1.5.4 c)", PART, {"registered": 4, "reporting": 3}),
    (
        {"firewall_recent": False, "proxy_recent": False, "waf_recent": False, "silent_sensor": True},
        "8.1.5.4 c)",
        FAIL,
        {"reporting": 0},
    ),
    ({"registered_sources": False}, "8.1.5.4 c)", UNDET, {"registered": 0}),
    ({"retention_days": 90}, "8.1.5.4 d)", FAIL, {"policy_days": 90}),
    ({"history_days": 100}, "8.1.5.4 d)", PART, {"days_retained": 100}),
    ({"rules": False}, "8.1.5.4 e)", FAIL, {"loaded": 0}),
    ({"rule_failed": True}, "8.1.5.4 e)", PART, {"failed": 1, "loaded": 4}),
    ({"detection_enabled": False}, "8.1.5.4 f)", FAIL, {"detection_enabled": False}),
    ({"alerts": False}, "8.1.5.4 f)", PART, {"alerts": 0}),
    ({"high_untriaged": 4}, "8.1.10.12 a)", FAIL, {"high_alerts": 7, "untriaged_after_24h": 4}),
    ({"high_untriaged": 1}, "8.1.10.12 a)", PART, {"high_alerts": 4, "untriaged_after_24h": 1}),
    ({"alerts": False}, "8.1.10.12 a)", UNDET, {"high_alerts": 0}),
    (
        {"incidents_complete": 0, "incidents_incomplete": 1},
        "8.1.10.12 c)",
        FAIL,
        {"closed": 1, "complete": 0},
    ),
    (
        {"incidents_complete": 1, "incidents_incomplete": 1},
        "8.1.10.12 c)",
        PART,
        {"closed": 2, "complete": 1},
    ),
    ({"incidents_complete": 0}, "8.1.10.12 c)", UNDET, {"closed": 0}),
    ({"responses": False}, "8.1.10.13 b)", FAIL, {"high_alerts": 3, "response_records": 0}),
    ({"responses": False, "alerts": False}, "8.1.10.13 b)", UNDET, {"response_records": 0}),
]


def _case_id(case: tuple[dict[str, Any], str, ComplianceStatus, dict[str, Any]]) -> str:
    knobs, key, status, _ = case
    return f"{key} {status.value} " + ",".join(f"{k}={v}" for k, v in knobs.items())


@pytest.mark.parametrize("case", CASES, ids=_case_id)
def test_a_broken_site_fails_the_item(
    tmp_path: Path, case: tuple[dict[str, Any], str, ComplianceStatus, dict[str, Any]]
) -> None:
    knobs, key, status, numbers = case
    item = evaluate(tmp_path, dataclasses.replace(Site(), **knobs))[key]
    assert item.status == status, item.summary
    assert {k: item.evidence.get(k) for k in numbers} == numbers, item.evidence
    assert item.status_zh == status.label_zh
    assert item.summary


def test_every_measured_item_has_a_failing_case() -> None:
    measured = {item.key for item in catalogue() if item.measure != "manual"}
    failing = {key for _, key, status, _ in CASES if status in (FAIL, PART)}
    assert measured - failing == set()


def test_retention_projects_the_date_a_young_deployment_reaches_180_days(tmp_path: Path) -> None:
    item = evaluate(tmp_path, dataclasses.replace(Site(), history_days=100))["8.1.5.4 d)"]
    oldest = (NOW - dt.timedelta(days=100)).date()
    assert item.evidence["oldest_day"] == oldest.isoformat()
    assert item.evidence["projected_date"] == (oldest + dt.timedelta(days=180)).isoformat()
    assert item.evidence["projected_date"] in item.summary


def test_a_tampered_partition_is_named(tmp_path: Path) -> None:
    item = evaluate(tmp_path, dataclasses.replace(Site(), tamper_partition=True))["8.1.3.5 c)"]
    problems = item.evidence["problems"]
    assert [p["problem"] for p in problems] == ["modified"]
    assert problems[0]["partition"].endswith(".parquet")


def test_the_gap_view_puts_high_risk_failures_first(tmp_path: Path) -> None:
    items = evaluate(tmp_path, dataclasses.replace(Site(), proxy=False, tls="plain"))
    ordered = [f"{r.key} {r.status.value} {r.high_risk}" for r in gap_order(list(items.values()))]
    assert ordered[0] == "8.1.3.1 c) non_compliant True"
    high = [r for r in gap_order(list(items.values())) if r.high_risk]
    assert ordered[: len(high)] == [f"{r.key} {r.status.value} True" for r in high]
    assert "8.1.5.4 b) non_compliant False" in ordered[len(high) :][:3]
