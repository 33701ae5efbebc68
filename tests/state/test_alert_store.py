"""Alerts, rule health and detection state in the StateStore (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from alembic import command
from sqlalchemy import exc as sa_exc
from sqlalchemy import inspect, text
from state_support import T0

from detectors.alerting import AlertDeduper, Decision, RuleMeta, build_alert
from soc_core.alerts import Alert
from soc_core.events import Endpoint, Event, EventInfo
from soc_core.state.alerts import (
    AlertStoreError,
    RuleHealthEntry,
    get_alert,
    list_alerts,
    list_rule_health,
    load_detection_state,
    record_rule_health,
    record_to_alert,
    save_alerts,
    save_detection_state,
)
from soc_core.state.db import StateStore, alembic_config, head_revision, open_state
from soc_core.state.models import RULE_STATES
from soc_core.vocabulary import AlertStatus, Disposition, RuleState, Severity

MIN = dt.timedelta(minutes=1)
RULE = RuleMeta(id="r-scan", title="Port scan", level="medium", tags=("attack.t1046",), path="rules/scan.yml")


def event(at: dt.datetime, src: str = "203.0.113.7") -> Event:
    return Event(
        timestamp=at,
        event=EventInfo(kind="event", category=["network"], dataset="huawei.usg"),
        source=Endpoint(ip=src),
        destination=Endpoint(ip="198.51.100.20", port=22),
    )


def alert(at: dt.datetime = T0, src: str = "203.0.113.7") -> Alert:
    return build_alert(rule=RULE, events=[event(at, src)])


def test_save_and_read_back(store: StateStore) -> None:
    raised = alert()
    with store.session() as session:
        assert save_alerts(session, alerts=[raised], now=T0) == 1
    with store.session(readonly=True) as session:
        row = get_alert(session, alert_id=raised.id)
        assert row is not None
        assert (row.rule_id, row.rule_name, row.severity, row.status) == ("r-scan", "Port scan", 3, "new")
        assert row.timestamp == T0 and row.last_seen == T0 and row.count == 1
        assert (row.source_ip, row.destination_ip, row.target) == (
            "203.0.113.7",
            "198.51.100.20",
            "198.51.100.20",
        )
        assert row.attack_type == "Port scan" and row.gb20986 == "NSEI"
        assert row.tags == ["attack.t1046"] and row.event_ids == raised.event_ids
        assert row.assignee is None and row.disposition is None
        assert record_to_alert(row) == raised
        assert get_alert(session, alert_id="missing") is None


def test_a_deduplicated_alert_keeps_its_row_and_triage(store: StateStore) -> None:
    deduper = AlertDeduper()
    first = alert()
    deduper.offer(first, rule=RULE)
    with store.session() as session:
        save_alerts(session, alerts=[first], now=T0)
    with store.session() as session:  # an analyst takes it
        row = get_alert(session, alert_id=first.id)
        assert row is not None
        row.status, row.assignee = str(AlertStatus.IN_PROGRESS), "analyst1"

    decision, standing = deduper.offer(alert(T0 + 2 * MIN), rule=RULE)
    assert decision is Decision.UPDATED and standing is first
    with store.session() as session:
        save_alerts(session, alerts=[standing], now=T0 + 2 * MIN)
    with store.session(readonly=True) as session:
        rows = list_alerts(session)
        assert len(rows) == 1
        row = rows[0]
        assert row.count == 2 and row.last_seen == T0 + 2 * MIN and len(row.event_ids) == 2
        assert row.status == "in_progress" and row.assignee == "analyst1"
        assert row.created_at == T0 and row.updated_at == T0 + 2 * MIN
        restored = record_to_alert(row)
        assert restored.count == 2 and restored.status is AlertStatus.IN_PROGRESS
        assert restored.assignee == "analyst1"


def test_list_filters_and_order(store: StateStore) -> None:
    alerts = [alert(T0 + i * MIN, src=f"203.0.113.{i + 1}") for i in range(5)]
    other = build_alert(
        rule=RuleMeta(id="r-web", title="Webshell", level="critical", tags=("attack.t1505.003",)),
        events=[event(T0 + 10 * MIN)],
    )
    other.status = AlertStatus.CLOSED
    other.disposition = Disposition.TRUE_POSITIVE
    with store.session() as session:
        save_alerts(session, alerts=[*alerts, other])
    with store.session(readonly=True) as session:
        assert [r.id for r in list_alerts(session)] == [other.id, *[a.id for a in reversed(alerts)]]
        assert [r.id for r in list_alerts(session, rule_id="r-web")] == [other.id]
        closed = list_alerts(session, status=AlertStatus.CLOSED)
        assert [r.id for r in closed] == [other.id]
        assert closed[0].disposition == "true_positive" and closed[0].severity == int(Severity.CRITICAL)
        assert len(list_alerts(session, status="new")) == 5
        assert [r.id for r in list_alerts(session, since=T0 + 3 * MIN, rule_id="r-scan")] == [
            alerts[4].id,
            alerts[3].id,
        ]
        assert len(list_alerts(session, limit=2)) == 2
        with pytest.raises(AlertStoreError):
            list_alerts(session, limit=0)
        with pytest.raises(ValueError):
            list_alerts(session, status="bogus")


def test_unknown_status_is_refused_by_the_database(store: StateStore) -> None:
    raised = alert()
    with store.session() as session:
        save_alerts(session, alerts=[raised])
    with pytest.raises(sa_exc.IntegrityError), store.session() as session:
        session.execute(text("UPDATE alerts SET status = 'lost' WHERE id = :id"), {"id": raised.id})


def test_rule_health_upsert_and_listing(store: StateStore) -> None:
    with store.session() as session:
        written = record_rule_health(
            session,
            rows=[
                RuleHealthEntry(
                    rule_id="r-scan",
                    state=RuleState.LOADED,
                    path="rules/scan.yml",
                    title="Port scan",
                    matches=3,
                    last_fired=T0,
                    cost_ns_total=9000,
                    evaluations=30,
                ),
                {
                    "rule_id": "r-broken",
                    "state": "failed",
                    "path": "rules/broken.yml",
                    "reason": "bad modifier",
                },
                RuleHealthEntry(rule_id="r-zeek", state="unrouted", title="Zeek only"),
            ],
            now=T0,
        )
        assert written == 3
    with store.session() as session:
        record_rule_health(
            session,
            rows=[
                RuleHealthEntry(
                    rule_id="r-scan",
                    state="loaded",
                    matches=5,
                    last_fired=T0 + MIN,
                    cost_ns_total=12000,
                    evaluations=40,
                )
            ],
            now=T0 + MIN,
        )
    with store.session(readonly=True) as session:
        rows = list_rule_health(session)
        assert [(r.rule_id, r.state) for r in rows] == [
            ("r-broken", "failed"),
            ("r-zeek", "unrouted"),
            ("r-scan", "loaded"),
        ]
        assert rows[0].reason == "bad modifier"
        scan = rows[2]
        assert (scan.matches, scan.last_fired, scan.evaluations, scan.updated_at) == (
            5,
            T0 + MIN,
            40,
            T0 + MIN,
        )
        assert scan.cost_ns_per_event == 300.0
        assert [r.rule_id for r in list_rule_health(session, state=RuleState.FAILED)] == ["r-broken"]


def test_rule_health_prune_and_errors(store: StateStore) -> None:
    with store.session() as session:
        record_rule_health(session, rows=[RuleHealthEntry(rule_id=f"r{i}", state="loaded") for i in range(3)])
    with store.session() as session:
        record_rule_health(session, rows=[RuleHealthEntry(rule_id="r1", state="loaded")], prune=True)
    with store.session(readonly=True) as session:
        assert [r.rule_id for r in list_rule_health(session)] == ["r1"]
    with pytest.raises(AlertStoreError, match="unknown rule state"), store.session() as session:
        record_rule_health(session, rows=[RuleHealthEntry(rule_id="r9", state="sleeping")])
    with pytest.raises(AlertStoreError, match="not a rule health row"), store.session() as session:
        record_rule_health(session, rows=[{"rule_id": "r9", "state": "loaded", "colour": "red"}])


def test_rule_states_match_the_schema() -> None:
    assert tuple(s.value for s in RuleState) == RULE_STATES


def test_detection_state_survives_reopening(state_url: str) -> None:
    deduper = AlertDeduper()
    open_alert = alert()
    deduper.offer(open_alert, rule=RULE)
    with open_state(state_url) as first, first.session() as session:
        assert load_detection_state(session, name="dedup") is None
        save_detection_state(session, name="dedup", payload=b"old", now=T0)
        save_detection_state(session, name="dedup", payload=deduper.snapshot(), now=T0 + MIN)
        save_detection_state(session, name="correlation", payload=bytes(range(256)), now=T0)

    with open_state(state_url) as second, second.session(readonly=True) as session:
        assert load_detection_state(session, name="correlation") == bytes(range(256))
        data = load_detection_state(session, name="dedup")
    assert data is not None
    restarted = AlertDeduper()
    restarted.restore(data)
    decision, standing = restarted.offer(alert(T0 + MIN), rule=RULE)
    assert decision is Decision.UPDATED and standing.id == open_alert.id and standing.count == 2


def test_detection_state_name_is_checked(store: StateStore) -> None:
    with pytest.raises(AlertStoreError), store.session() as session:
        save_detection_state(session, name="", payload=b"x")


def test_migration_downgrades_and_upgrades_again(store: StateStore) -> None:
    new_tables = {"alerts", "rule_health", "detection_state"}
    assert new_tables <= set(inspect(store.engine).get_table_names())
    config = alembic_config()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0001")
    assert not new_tables & set(inspect(store.engine).get_table_names())
    assert "users" in inspect(store.engine).get_table_names()
    with store.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    assert new_tables <= set(inspect(store.engine).get_table_names())
    assert store.current_revision() == head_revision()
    with store.session() as session:
        save_alerts(session, alerts=[alert()])
