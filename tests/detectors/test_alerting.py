"""From a rule match to an alert: building, GB/T 20986 category, dedup and suppression."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import yaml
from sigma.correlations import SigmaCorrelationRule
from sigma.rule import SigmaRule

from detectors.alerting import (
    DEFAULT_DEDUP_WINDOW,
    AlertDeduper,
    AlertPolicy,
    Decision,
    RuleConfigError,
    RuleMeta,
    build_alert,
    parse_duration,
    parse_policy,
    rule_meta,
)
from detectors.gb20986 import DATA_FILE, UnknownCategoryError, classify, default_table, parse_table
from soc_core.alerts import Alert
from soc_core.events import Endpoint, Event, EventInfo, Rule, Url
from soc_core.vocabulary import AlertStatus, Severity

T0 = dt.datetime(2024, 11, 27, 8, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
ATTACKER = "203.0.113.7"
OTHER_ATTACKER = "203.0.113.8"
SERVER = "198.51.100.20"

RULE_YAML = """
title: Web application exploit attempt
id: 5f2c7b7e-6c1b-4f2f-9a70-2a4c9f0d3e11
status: test
description: An exploit for a public-facing application reached the web server.
level: high
tags: [attack.initial-access, attack.t1190]
logsource: {category: webserver}
detection: {sel: {cs-method: POST}, condition: sel}
shaowang:
  dedup: {fields: [source.ip], window: 10m}
  suppress: 1h
"""


def web_event(
    at: dt.datetime,
    *,
    src: str | None = ATTACKER,
    dst: str | None = SERVER,
    url: str | None = None,
    category: str | None = None,
) -> Event:
    return Event(
        timestamp=at,
        event=EventInfo(kind="event", category=["web"], dataset="nginx.access"),
        source=Endpoint(ip=src) if src else None,
        destination=Endpoint(ip=dst) if dst else None,
        url=Url(original=url, domain="portal.example.gov.cn") if url else None,
        rule=Rule(category=category) if category else None,
    )


def meta(
    rule_id: str = "r-web",
    *,
    level: str | None = "high",
    tags: tuple[str, ...] = ("attack.t1190",),
    **custom: Any,
) -> RuleMeta:
    return RuleMeta(
        id=rule_id, title="Web exploit", level=level, tags=tags, custom=custom, path="rules/web.yml"
    )


def offer(deduper: AlertDeduper, rule: RuleMeta, event: Event) -> tuple[Decision, Alert]:
    return deduper.offer(build_alert(rule=rule, events=[event]), rule=rule, events=[event])


# -- RuleMeta from pySigma ------------------------------------------------------------------


def test_rule_meta_from_a_pysigma_rule() -> None:
    rule = rule_meta(SigmaRule.from_yaml(RULE_YAML), path="rules/sigma/web_exploit.yml")
    assert rule.id == "5f2c7b7e-6c1b-4f2f-9a70-2a4c9f0d3e11"
    assert rule.title == "Web application exploit attempt"
    assert rule.level == "high" and rule.severity is Severity.HIGH
    assert rule.tags == ("attack.initial-access", "attack.t1190")
    assert rule.category == "webserver"
    assert rule.path == "rules/sigma/web_exploit.yml"
    assert rule.description is not None and rule.description.startswith("An exploit")
    assert rule.policy == AlertPolicy(
        fields=("source.ip",), window=dt.timedelta(minutes=10), suppress=dt.timedelta(hours=1)
    )
    assert rule.gb20986.code == "VAI" and rule.problems == ()


def test_rule_meta_from_a_correlation_rule_without_level() -> None:
    doc = yaml.safe_load(
        """
title: Many failed logins
name: many_failed_logins
correlation: {type: event_count, rules: [failed_login], group-by: [source.ip], timespan: 5m,
              condition: {gte: 10}}
tags: [attack.t1110]
"""
    )
    rule = rule_meta(SigmaCorrelationRule.from_dict(doc), path=None)
    assert rule.id == "many_failed_logins"
    assert rule.level is None and rule.severity is Severity.MEDIUM
    assert rule.category is None
    assert rule.gb20986.code == "NAI"


def test_bad_alerting_settings_fall_back_and_are_reported() -> None:
    rule = meta(level="severe", tags=("gb20986.nope", "attack.t1046"), shaowang={"suppress": "soon"})
    assert rule.severity is Severity.MEDIUM
    assert rule.policy == AlertPolicy()
    assert rule.gb20986.code == "NSEI"  # the unknown explicit code is ignored, the technique still counts
    assert len(rule.problems) == 3
    with pytest.raises(RuleConfigError, match=r"rules/web\.yml"):
        rule.check()


# -- building -------------------------------------------------------------------------------


def test_build_alert_carries_the_rule_and_the_four_fields() -> None:
    rule = rule_meta(SigmaRule.from_yaml(RULE_YAML), path="rules/sigma/web_exploit.yml")
    first = web_event(T0 + MIN, src=None, dst=None, url="/cgi-bin/../../etc/passwd")
    second = web_event(T0, url="/login.php?id=1' or '1'='1", category="Web Application Attack")
    alert = build_alert(rule=rule, events=[first, second])

    assert alert.rule_id == rule.id and alert.rule_name == rule.title
    assert alert.severity is Severity.HIGH
    assert alert.tags == ["attack.initial-access", "attack.t1190"]
    assert alert.techniques == ["T1190"]
    assert alert.gb20986_category == "VAI" and alert.gb20986_name == "漏洞攻击事件"
    # the 等保 8.1.3.3 d) four: source, type, target, time of the first matching event
    assert alert.source_ip == ATTACKER and alert.destination_ip == SERVER
    assert alert.attack_type == "Web application exploit attempt (Web Application Attack)"
    assert alert.target == SERVER
    assert alert.timestamp == T0 and alert.first_seen == T0 and alert.last_seen == T0 + MIN
    assert alert.url == "/cgi-bin/../../etc/passwd"
    # every alert is traceable to its events
    assert alert.event_ids == [first.event.id, second.event.id] and None not in alert.event_ids
    assert alert.count == 2 and alert.status is AlertStatus.NEW
    assert alert.rule_path == "rules/sigma/web_exploit.yml"


def test_target_falls_back_to_the_url() -> None:
    alert = build_alert(rule=meta(), events=[web_event(T0, dst=None, url="/shell.jsp")])
    assert alert.destination_ip is None and alert.target == "portal.example.gov.cn"
    assert alert.attack_type == "Web exploit"


def test_correlation_alert_takes_group_and_count() -> None:
    rule = meta("r-brute", tags=("attack.t1110.001",))
    alert = build_alert(rule=rule, events=[web_event(T0, src=None)], group={"source.ip": ATTACKER}, count=12)
    assert alert.count == 12 and alert.source_ip == ATTACKER
    assert alert.group == {"source.ip": ATTACKER} and alert.group_key == f"source.ip={ATTACKER}"
    assert alert.gb20986_category == "NAI"


def test_an_alert_needs_events() -> None:
    with pytest.raises(ValueError, match="at least one event"):
        build_alert(rule=meta(), events=[])


def test_alert_mirrors_into_the_event_store_document() -> None:
    alert = build_alert(
        rule=meta(tags=("attack.t1071.004", "attack.command-and-control")),
        events=[web_event(T0, url="http://portal.example.gov.cn/a")],
    )
    doc = Event.from_json(alert.to_event().to_json())
    assert doc.event.kind == "alert" and doc.event.dataset == "shaowang.alert"
    assert doc.event.id == alert.id and doc.event.severity == int(Severity.HIGH)
    assert doc.timestamp == T0
    assert doc.get("rule.id") == "r-web" and doc.get("rule.name") == "Web exploit"
    assert doc.tags == ["attack.t1071.004", "attack.command-and-control"]
    assert doc.get("source.ip") == ATTACKER and doc.get("destination.ip") == SERVER
    assert doc.get("url.original") == "http://portal.example.gov.cn/a"
    assert doc.get("threat.technique.id") == ["T1071.004"]
    assert doc.get("shaowang.alert.event_ids") == alert.event_ids
    assert doc.get("shaowang.alert.gb20986_category") == "THI"
    assert doc.get("shaowang.alert.gb20986_name") == "特洛伊木马事件"
    assert doc.get("shaowang.alert.target") == SERVER
    assert doc.get("shaowang.alert.count") == 1


# -- GB/T 20986 ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tags", "code"),
    [
        (["attack.t1190"], "VAI"),
        (["attack.t1110"], "NAI"),
        (["attack.t1110.003"], "NAI"),
        (["attack.t1046"], "NSEI"),
        (["attack.t1595.002"], "NSEI"),
        (["attack.t1505.003"], "BDAI"),
        (["attack.t1021.001"], "NAI"),
        (["attack.t1071.004"], "THI"),
        (["attack.t1568.002"], "BI"),  # its own entry wins over its parent's (t1568 → THI)
        (["attack.t1568"], "THI"),
        (["attack.t1498"], "DOSAI"),
        (["attack.t1566.001"], "PI"),
        (["attack.t1491.002"], "IAI"),
        (["attack.t1048.003"], "III"),
        (["attack.discovery"], "NSEI"),
        (["attack.exfiltration"], "III"),
        (["attack.g0007"], "OI"),
        ([], "OI"),
        (["attack.t1046", "gb20986.dosai"], "DOSAI"),
    ],
)
def test_category_from_tags(tags: list[str], code: str) -> None:
    assert classify(tags).code == code


def test_category_from_a_custom_attribute_wins() -> None:
    assert classify(["attack.t1190"], {"gb20986": "II"}).code == "II"
    assert classify(["gb20986.VAI"], {"shaowang": {"gb20986": "dosai"}}).code == "DOSAI"
    with pytest.raises(UnknownCategoryError):
        classify([], {"gb20986": "XYZ"})


def test_the_shipped_table_is_consistent() -> None:
    table = default_table()
    assert table.edition == "GB/Z 20986-2007"
    assert "GB/T 20986-2023" in DATA_FILE.read_text(encoding="utf-8")  # the header says why not 2023
    top = {c.code for c in table.categories.values() if c.parent is None}
    assert top == {"MI", "NAI", "IDI", "ICSI", "FF", "DI", "OI"}
    assert table.get("vai").name == "漏洞攻击事件"
    parent = table.parent_of(table.get("VAI"))
    assert parent is not None and parent.name == "网络攻击事件"
    seen: set[str] = set()
    for names, _code in table.techniques:
        assert not names & seen, f"technique listed twice: {names & seen}"
        seen |= names


def test_a_table_referring_to_an_unknown_code_is_rejected() -> None:
    doc = {
        "edition": "x",
        "default": "OI",
        "categories": {"OI": {"name": "其他"}},
        "attack": [{"techniques": ["t1190"], "code": "VAI"}],
    }
    with pytest.raises(UnknownCategoryError, match="VAI"):
        parse_table(doc)


# -- policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"), [("30s", 30), ("10m", 600), ("1h", 3600), ("2d", 172800), ("1w", 604800), (90, 90)]
)
def test_durations(value: object, seconds: int) -> None:
    assert parse_duration(value) == dt.timedelta(seconds=seconds)


@pytest.mark.parametrize("value", ["soon", "-5m", "1y", True, -1])
def test_bad_durations(value: object) -> None:
    with pytest.raises(RuleConfigError):
        parse_duration(value)


def test_policies() -> None:
    assert parse_policy({}) == AlertPolicy()
    assert parse_policy({"shaowang": {"dedup": False}}) == AlertPolicy(dedup=False)
    assert parse_policy({"shaowang": {"dedup": {"window": 0}}}).dedup is False
    assert parse_policy({"shaowang": {"dedup": {"fields": "user.name"}}}).fields == ("user.name",)
    with pytest.raises(RuleConfigError):
        parse_policy({"shaowang": {"dedup": {"fields": [1]}}})
    with pytest.raises(RuleConfigError):
        parse_policy({"shaowang": {"dedup": {"size": 3}}})
    with pytest.raises(RuleConfigError):
        parse_policy({"shaowang": "loud"})


# -- dedup ----------------------------------------------------------------------------------


def test_matches_within_the_window_fold_into_the_open_alert() -> None:
    deduper, rule = AlertDeduper(), meta()
    decision, first = offer(deduper, rule, web_event(T0))
    assert decision is Decision.NEW
    assert first.group_key == f"source.ip={ATTACKER},destination.ip={SERVER}"
    for minute in (1, 2, 4):
        decision, standing = offer(deduper, rule, web_event(T0 + minute * MIN))
        assert decision is Decision.UPDATED and standing is first
    assert first.count == 4 and first.last_seen == T0 + 4 * MIN and len(first.event_ids) == 4
    assert first.timestamp == T0

    # the window does not slide: five minutes after the first match a new alert opens
    decision, second = offer(deduper, rule, web_event(T0 + DEFAULT_DEDUP_WINDOW))
    assert decision is Decision.NEW and second is not first and second.count == 1


def test_different_keys_and_rules_raise_their_own_alerts() -> None:
    deduper = AlertDeduper()
    assert offer(deduper, meta(), web_event(T0))[0] is Decision.NEW
    assert offer(deduper, meta(), web_event(T0, src=OTHER_ATTACKER))[0] is Decision.NEW
    assert offer(deduper, meta(), web_event(T0, dst="198.51.100.21"))[0] is Decision.NEW
    assert offer(deduper, meta("r-other"), web_event(T0))[0] is Decision.NEW
    assert offer(deduper, meta(), web_event(T0 + MIN))[0] is Decision.UPDATED


def test_per_rule_fields_and_window() -> None:
    deduper = AlertDeduper()
    rule = meta(shaowang={"dedup": {"fields": ["source.ip"], "window": "10m"}})
    _, first = offer(deduper, rule, web_event(T0))
    assert first.group_key == f"source.ip={ATTACKER}"
    # another target of the same attacker, eight minutes later: still the same alert
    decision, standing = offer(deduper, rule, web_event(T0 + 8 * MIN, dst="198.51.100.99"))
    assert decision is Decision.UPDATED and standing is first and first.count == 2


def test_dedup_can_be_turned_off_per_rule() -> None:
    deduper, rule = AlertDeduper(), meta(shaowang={"dedup": False})
    assert [offer(deduper, rule, web_event(T0 + i * MIN))[0] for i in range(3)] == [Decision.NEW] * 3
    assert len(deduper) == 0


def test_suppression_drops_matches_for_a_while() -> None:
    deduper, rule = AlertDeduper(), meta(shaowang={"suppress": "1h"})
    decision, alert = offer(deduper, rule, web_event(T0))
    assert decision is Decision.NEW
    for minutes in (1, 30, 59):
        assert offer(deduper, rule, web_event(T0 + minutes * MIN))[0] is Decision.SUPPRESSED
    assert alert.count == 1 and deduper.suppressed == 3
    assert offer(deduper, rule, web_event(T0 + 60 * MIN))[0] is Decision.NEW
    # another attacker is not silenced by the first one's alert
    assert offer(deduper, rule, web_event(T0 + 61 * MIN, src=OTHER_ATTACKER))[0] is Decision.NEW


def test_event_ids_are_capped_but_counted() -> None:
    deduper, rule = AlertDeduper(max_event_ids=3), meta()
    _, alert = offer(deduper, rule, web_event(T0))
    for second in range(1, 10):
        offer(deduper, rule, web_event(T0 + dt.timedelta(seconds=second)))
    assert alert.count == 10 and len(alert.event_ids) == 3


def test_a_late_event_folds_in_and_moves_first_seen() -> None:
    deduper, rule = AlertDeduper(), meta()
    _, alert = offer(deduper, rule, web_event(T0))
    assert offer(deduper, rule, web_event(T0 - 2 * MIN))[0] is Decision.UPDATED
    assert alert.timestamp == T0 - 2 * MIN and alert.last_seen == T0
    # much older than the window: an alert of its own, the open one stays open
    decision, old = offer(deduper, rule, web_event(T0 - 60 * MIN))
    assert decision is Decision.NEW and old is not alert
    assert offer(deduper, rule, web_event(T0 + MIN))[1] is alert


def test_admit_uses_the_registered_policy() -> None:
    rule = meta(shaowang={"suppress": "10m", "dedup": False})
    deduper = AlertDeduper(rules=[rule])
    assert deduper.admit(build_alert(rule=rule, events=[web_event(T0)])) is not None
    assert deduper.admit(build_alert(rule=rule, events=[web_event(T0 + MIN)])) is None


def test_process_reports_new_updated_and_suppressed() -> None:
    deduper = AlertDeduper()
    quiet = meta("r-quiet", shaowang={"suppress": "1h"})
    loud = meta("r-loud")

    def batch(*items: tuple[RuleMeta, Event]) -> list[tuple[RuleMeta, Alert, list[Event]]]:
        return [(rule, build_alert(rule=rule, events=[event]), [event]) for rule, event in items]

    first = deduper.process(batch((loud, web_event(T0)), (loud, web_event(T0 + MIN)), (quiet, web_event(T0))))
    assert [a.rule_id for a in first.new] == ["r-loud", "r-quiet"] and first.updated == []
    assert first.new[0].count == 2
    second = deduper.process(batch((loud, web_event(T0 + 2 * MIN)), (quiet, web_event(T0 + 2 * MIN))))
    assert second.new == [] and [a.id for a in second.updated] == [first.new[0].id]
    assert second.suppressed == 1


def test_state_survives_a_restart() -> None:
    rule, quiet = meta(), meta("r-quiet", shaowang={"suppress": "1h", "dedup": False})
    before = AlertDeduper()
    _, alert = offer(before, rule, web_event(T0))
    offer(before, quiet, web_event(T0))
    offer(before, rule, web_event(T0 + MIN))
    data = before.snapshot()

    after = AlertDeduper()
    after.restore(data)
    decision, standing = offer(after, rule, web_event(T0 + 2 * MIN))
    assert decision is Decision.UPDATED
    assert standing.id == alert.id and standing.count == 3 and standing.event_ids[:2] == alert.event_ids
    assert offer(after, quiet, web_event(T0 + 5 * MIN))[0] is Decision.SUPPRESSED
    assert after.snapshot() != data


def test_memory_is_bounded() -> None:
    deduper, rule = AlertDeduper(max_open=10), meta()
    for i in range(50):
        offer(deduper, rule, web_event(T0 + i * MIN, src=f"203.0.113.{i + 1}"))
    assert len(deduper) <= 10
    # everything has expired an hour after the last event
    assert deduper.expire(T0 + 2 * dt.timedelta(hours=1)) > 0 and len(deduper) == 0
