"""The playbook engine on a real StateStore: runs, approvals, restarts, retries, TTLs, escalation, 通报."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from netns_support import TwoHosts, require_tools, two_hosts
from sqlalchemy import select

from playbooks.channels import build_channels
from playbooks.loader import LIBRARY, load_playbook, load_playbooks
from playbooks.models import Playbook
from playbooks.reports import report_overdue
from playbooks.responders import build_responders
from playbooks.runner import PlaybookEngine, matches_alert
from soc_core.alerts import Alert
from soc_core.audit import list_audit
from soc_core.config import Settings, load_settings
from soc_core.state.alerts import save_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.state.models import AlertRecord, IncidentRecord
from soc_core.state.response import Approval, BlockRecord, PlaybookRun, PlaybookStep, ReportRecord
from soc_core.vocabulary import Criticality, Severity

T0 = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC)


class Receiver:
    """A local HTTP endpoint that records JSON posts and answers with scripted status codes."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.statuses: list[int] = []  # answers to give, in order; then 200
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                receiver.bodies.append(json.loads(self.rfile.read(length) or b"{}"))
                code = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": true}')

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    store = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    yield store
    store.close()


class Clock:
    """A clock the test moves."""

    def __init__(self, now: dt.datetime = T0) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def settings_for(tmp_path: Path, receiver: Receiver, **responder: Any) -> Settings:
    return load_settings(
        data_dir=tmp_path,
        playbooks={
            "shipped": False,
            "retry_backoff_s": 60,
            "console_url": "https://soc.example.gov.example",
            "channels": [{"id": "hook", "kind": "webhook", "url": receiver.url}],
            "responders": [{"id": "edge", "kind": "nftables", "dry_run": True, **responder}],
        },
    )


def playbook(tmp_path: Path, text: str) -> Playbook:
    path = tmp_path / "pb.yml"
    path.write_text(text, encoding="utf-8")
    loaded = load_playbook(path)
    assert isinstance(loaded, Playbook), loaded
    return loaded


BLOCK_AFTER_NOTIFY = """\
id: test-block
name: 通知后审批封禁
trigger: {on: alert, severity_at_least: medium}
steps:
  - {name: notify, action: notify, channels: [hook]}
  - {name: block, action: block, responder: edge, approval: true, ttl: 1h}
  - {name: after, action: enrich}
"""


def engine_for(
    state: StateStore, settings: Settings, playbooks: list[Playbook], clock: Clock, *, timers: bool = False
) -> PlaybookEngine:
    return PlaybookEngine(
        state=state,
        settings=settings,
        playbooks=playbooks,
        channels=build_channels(settings.playbooks.channels),
        responders=build_responders(settings.playbooks.responders),
        clock=clock,
        timers=timers,
    )


def an_alert(n: int = 1, **fields: Any) -> Alert:
    values: dict[str, Any] = {
        "id": f"alert-{n}",
        "rule_id": "r-ssh-brute",
        "rule_name": "SSH 暴力破解",
        "severity": Severity.HIGH,
        "timestamp": T0,
        "last_seen": T0,
        "source_ip": "198.51.100.2",
        "destination_ip": "192.0.2.80",
        "attack_type": "暴力破解",
        "tags": ["attack.credential_access", "attack.t1110"],
    }
    values.update(fields)
    return Alert(**values)


def raise_alert(state: StateStore, engine: PlaybookEngine, alert: Alert) -> None:
    with state.session() as session:
        save_alerts(session, alerts=[alert], now=T0)
    engine.submit_alerts([alert])


def runs(state: StateStore) -> list[PlaybookRun]:
    with state.session(readonly=True) as session:
        rows = list(session.scalars(select(PlaybookRun).order_by(PlaybookRun.id)))
        for row in rows:
            _ = row.steps
        session.expunge_all()
        return rows


def pending_approval(state: StateStore) -> int:
    with state.session(readonly=True) as session:
        return int(session.scalars(select(Approval.id).where(Approval.status == "pending")).one())


def test_a_restart_while_waiting_for_approval_resumes_and_no_step_runs_twice(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    clock = Clock()
    pb = playbook(tmp_path, BLOCK_AFTER_NOTIFY)
    first = engine_for(state, settings, [pb], clock)
    raise_alert(state, first, an_alert())
    first.run_pending()
    (run,) = runs(state)
    assert (run.status, run.step_index) == ("waiting", 1)
    assert len(receiver.bodies) == 1
    assert receiver.bodies[0]["title"] == "【高危】SSH 暴力破解"
    assert "攻击来源：198.51.100.2" in receiver.bodies[0]["text"]
    assert receiver.bodies[0]["link"] == "https://soc.example.gov.example/#/alerts/alert-1"
    first.stop()

    # A new engine over the same store: the run still waits; nothing is sent again.
    second = engine_for(state, settings, [pb], clock)
    second.submit_alerts([an_alert()])  # the same alert again: no second run
    second.run_pending()
    assert len(runs(state)) == 1 and runs(state)[0].status == "waiting"
    assert len(receiver.bodies) == 1

    second.decide(
        pending_approval(state), approve=True, actor="secadmin", roles=["security_admin"], source_ip=None
    )
    second.run_pending()
    (run,) = runs(state)
    assert run.status == "succeeded"
    by_step: dict[int, list[PlaybookStep]] = {}
    for step in run.steps:
        by_step.setdefault(step.step_index, []).append(step)
    assert {i: [s.status for s in rows] for i, rows in by_step.items()} == {
        0: ["succeeded"],
        1: ["succeeded"],
        2: ["succeeded"],
    }
    assert by_step[1][0].approved_by == "secadmin"
    assert len(receiver.bodies) == 1
    with state.session(readonly=True) as session:
        (block,) = session.scalars(select(BlockRecord))
        assert (block.address, block.status, block.dry_run) == ("198.51.100.2", "dry_run", True)
        assert block.expires_at == T0 + dt.timedelta(hours=1)
        actions = [e.action for e in list_audit(session, limit=1000)]
    assert actions.count("playbook.start") == 1
    assert "playbook.approve" in actions and "response.block" in actions and "notify.webhook" in actions


def test_a_rejected_approval_blocks_nothing_and_the_run_goes_on(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    engine = engine_for(state, settings, [playbook(tmp_path, BLOCK_AFTER_NOTIFY)], Clock())
    raise_alert(state, engine, an_alert())
    engine.run_pending()
    engine.decide(
        pending_approval(state), approve=False, actor="secadmin", roles=[], source_ip=None, reason="误报"
    )
    engine.run_pending()
    (run,) = runs(state)
    assert run.status == "succeeded"
    assert [s.status for s in run.steps] == ["succeeded", "skipped", "succeeded"]
    with state.session(readonly=True) as session:
        assert list(session.scalars(select(BlockRecord))) == []


def test_a_failing_channel_is_retried_with_backoff(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    clock = Clock()
    engine = engine_for(state, settings, [playbook(tmp_path, BLOCK_AFTER_NOTIFY)], clock)
    receiver.statuses = [503, 503]
    raise_alert(state, engine, an_alert())
    engine.run_pending()
    (run,) = runs(state)
    assert (run.status, run.wake_at) == ("waiting", T0 + dt.timedelta(seconds=60))
    engine.run_pending()  # not due yet: nothing happens
    assert len(receiver.bodies) == 1
    clock.now = T0 + dt.timedelta(seconds=61)
    engine.run_pending()
    (run,) = runs(state)
    assert run.wake_at == clock.now + dt.timedelta(seconds=120)  # doubled
    clock.now += dt.timedelta(seconds=121)
    engine.run_pending()
    (run,) = runs(state)
    assert [(s.step_index, s.attempt, s.status) for s in run.steps][:3] == [
        (0, 1, "failed"),
        (0, 2, "failed"),
        (0, 3, "succeeded"),
    ]
    assert len(receiver.bodies) == 3


def test_ttl_expiry_lifts_the_block_and_is_recorded(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    clock = Clock()
    engine = engine_for(state, settings, [playbook(tmp_path, BLOCK_AFTER_NOTIFY)], clock)
    raise_alert(state, engine, an_alert())
    engine.run_pending()
    engine.decide(pending_approval(state), approve=True, actor="secadmin", roles=[], source_ip=None)
    engine.run_pending()
    clock.now = T0 + dt.timedelta(minutes=59)
    engine.run_pending()
    with state.session(readonly=True) as session:
        assert session.scalars(select(BlockRecord.status)).one() == "dry_run"
    clock.now = T0 + dt.timedelta(hours=1, seconds=1)
    engine.run_pending()
    with state.session(readonly=True) as session:
        block = session.scalars(select(BlockRecord)).one()
        assert (block.status, block.lifted_at) == ("expired", clock.now)
        unblocks = list_audit(session, action="response.unblock")
    assert [(e.actor, e.target) for e in unblocks] == [("playbook:ttl", "198.51.100.2")]


ESCALATE = """\
id: test-escalate
name: 升级
trigger: {on: alert}
steps:
  - {action: escalate_after, after: 1s, channels: [hook]}
"""


def _wait_for(condition: Any, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met")


def test_escalation_fires_from_the_persistent_timer_only_for_unacknowledged_alerts(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    engine = engine_for(
        state, settings, [playbook(tmp_path, ESCALATE)], Clock(dt.datetime.now(dt.UTC)), timers=True
    )
    engine.clock = lambda: dt.datetime.now(dt.UTC)
    engine.start()
    try:
        raise_alert(state, engine, an_alert(1))
        raise_alert(state, engine, an_alert(2, source_ip="198.51.100.3"))
        with state.session() as session:
            session.get(AlertRecord, "alert-2").status = "in_progress"  # type: ignore[union-attr]
        _wait_for(lambda: len(receiver.bodies) >= 1)
        _wait_for(
            lambda: all((r.context["steps"].get("1-escalate_after") or {}).get("fired") for r in runs(state))
        )
    finally:
        engine.stop()
    assert len(receiver.bodies) == 1
    assert receiver.bodies[0]["title"].startswith("【升级】")
    assert "超过处置时限仍未确认" in receiver.bodies[0]["text"]
    outcome = {r.alert_id: r.context["steps"]["1-escalate_after"]["escalated"] for r in runs(state)}
    assert outcome == {"alert-1": True, "alert-2": False}


def test_timers_survive_a_restart(tmp_path: Path, state: StateStore, receiver: Receiver) -> None:
    settings = settings_for(tmp_path, receiver)
    engine = engine_for(state, settings, [], Clock(), timers=True)
    assert engine.timers is not None
    engine.timers.start()
    engine.timers.escalation(7, 0, dt.datetime.now(dt.UTC) + dt.timedelta(hours=1))
    engine.timers.shutdown()
    again = engine_for(state, settings, [], Clock(), timers=True)
    assert again.timers is not None
    again.timers.start()
    try:
        assert again.timers.pending() == ["escalation-7-0"]
    finally:
        again.timers.shutdown()


REPORT = """\
id: test-report
name: 较大事件通报
trigger: {on: incident, levels: [I, II, III]}
steps:
  - {action: report}
"""


def test_a_large_incident_gets_a_report_with_a_4h_clock_and_goes_overdue(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    settings = settings_for(tmp_path, receiver)
    engine = engine_for(state, settings, [playbook(tmp_path, REPORT)], Clock())
    with state.session() as session:
        for level in ("III", "IV"):
            session.add(
                IncidentRecord(
                    title=f"门户网站被植入 WebShell（{level}）",
                    category="MI",
                    level=level,
                    status="open",
                    created_by="analyst",
                    created_at=T0,
                    updated_at=T0,
                )
            )
        session.flush()
        ids = [i.id for i in session.scalars(select(IncidentRecord).order_by(IncidentRecord.id))]
    for incident_id in ids:
        engine.submit_incident(incident_id)
    engine.run_pending()
    with state.session(readonly=True) as session:
        (record,) = session.scalars(select(ReportRecord))
        assert record.incident_id == ids[0]  # the IV (一般) incident needs no 通报
        assert record.deadline_at == T0 + dt.timedelta(hours=4)
        assert record.status == "draft"
        assert not report_overdue(record, T0 + dt.timedelta(hours=3, minutes=59))
        assert report_overdue(record, T0 + dt.timedelta(hours=4, seconds=1))


def test_triggers_match_on_severity_tags_rules_zones_and_criticality(tmp_path: Path) -> None:
    pb = playbook(
        tmp_path,
        "id: t\nname: t\ntrigger: {on: alert, severity_at_least: high, tags_any: [attack.t1110],"
        " zones: [dmz], criticality_at_least: high}\nsteps: [{action: enrich}]\n",
    )
    alert = {"severity": 4, "tags": ["attack.T1110"], "rule_id": "x"}
    assert matches_alert(pb, alert, zones={"dmz"}, criticalities=[Criticality.CRITICAL])
    assert not matches_alert(pb, {**alert, "severity": 3}, zones={"dmz"}, criticalities=[Criticality.HIGH])
    assert not matches_alert(
        pb, {**alert, "tags": ["attack.t1190"]}, zones={"dmz"}, criticalities=[Criticality.HIGH]
    )
    assert not matches_alert(pb, alert, zones={"private"}, criticalities=[Criticality.HIGH])
    assert not matches_alert(pb, alert, zones={"dmz"}, criticalities=[Criticality.MEDIUM])


def test_the_shipped_library_is_valid_and_has_at_least_eight_playbooks() -> None:
    valid, problems = load_playbooks([LIBRARY])
    assert problems == []
    assert len(valid) >= 8
    actions = {step.action for p in valid for step in p.steps}
    assert actions == {
        "enrich",
        "notify",
        "create_incident",
        "block",
        "wait_for_approval",
        "escalate_after",
        "report",
    }


# -- the acceptance path on a real firewall: engine → approval → nftables in a namespace -----

PORT = 8443


def _netns_engine(
    tmp_path: Path, state: StateStore, receiver: Receiver, hosts: TwoHosts, nft: str, clock: Clock
) -> PlaybookEngine:
    settings = settings_for(tmp_path, receiver, netns=hosts.gateway, nft=nft, dry_run=False)
    return engine_for(state, settings, [playbook(tmp_path, BLOCK_AFTER_NOTIFY)], clock)


def test_an_approved_block_cuts_the_source_off_until_its_ttl_expires(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    nft = require_tools("nft")["nft"]
    clock = Clock()
    with two_hosts() as hosts:
        hosts.listen(PORT)
        engine = _netns_engine(tmp_path, state, receiver, hosts, nft, clock)
        assert hosts.can_connect(PORT)
        raise_alert(state, engine, an_alert(source_ip=hosts.client_ip))
        engine.run_pending()
        assert hosts.can_connect(PORT), "waiting for approval must not block anything"
        engine.decide(
            pending_approval(state), approve=True, actor="secadmin", roles=["security_admin"], source_ip=None
        )
        engine.run_pending()
        assert not hosts.can_connect(PORT, timeout=1.0)
        with state.session(readonly=True) as session:
            block = session.scalars(select(BlockRecord)).one()
            assert (block.address, block.status, block.dry_run) == (hosts.client_ip, "active", False)
        clock.now = T0 + dt.timedelta(hours=1, seconds=1)
        engine.run_pending()
        assert hosts.can_connect(PORT)
        with state.session(readonly=True) as session:
            assert session.scalars(select(BlockRecord.status)).one() == "expired"
            audit = [(e.action, e.actor, e.target) for e in list_audit(session, limit=100)]
        assert ("response.block", "playbook:test-block", hosts.client_ip) in audit
        assert ("response.unblock", "playbook:ttl", hosts.client_ip) in audit


def test_a_rejected_block_leaves_the_source_reachable(
    tmp_path: Path, state: StateStore, receiver: Receiver
) -> None:
    nft = require_tools("nft")["nft"]
    with two_hosts() as hosts:
        hosts.listen(PORT)
        engine = _netns_engine(tmp_path, state, receiver, hosts, nft, Clock())
        raise_alert(state, engine, an_alert(source_ip=hosts.client_ip))
        engine.run_pending()
        engine.decide(pending_approval(state), approve=False, actor="secadmin", roles=[], source_ip=None)
        engine.run_pending()
        assert hosts.can_connect(PORT)
        listed = hosts.run(hosts.gateway, nft, "list", "ruleset")
        assert hosts.client_ip not in listed
        (run,) = runs(state)
        assert [s.status for s in run.steps] == ["succeeded", "skipped", "succeeded"]
