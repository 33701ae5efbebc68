"""Scheduled hunts: rules over stored events on a timer, batched per interval, resumable.

A real embedded event store and state store; alerts go through the pipeline's own
``store_alerts`` (state store + mirror in the event store); APScheduler really fires the job.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from es_stub import EsStub
from pydantic import ValidationError

from collectors.intake import IntakeStats
from soc_api.runtime.hunts import HuntService
from soc_api.runtime.pipeline import Pipeline
from soc_core.config import DetectionSettings, HuntSchedule
from soc_core.events import Endpoint, Event, EventInfo, Observer
from soc_core.state.alerts import list_alerts
from soc_core.state.db import StateStore, open_state
from soc_core.storage.elastic import ElasticEventStore
from soc_core.storage.embedded import EmbeddedEventStore
from tests.runtime.test_detection_runtime import QUIET

NOW = dt.datetime(2026, 11, 27, 12, 0, tzinfo=dt.UTC)

RDP_DENIED = """
title: Inbound RDP denied
id: 7c1e1c52-5d1a-4f43-8f0e-2b9a3c000001
status: test
logsource: {category: firewall}
detection:
  sel:
    destination.port: 3389
    event.type: denied
  condition: sel
level: medium
tags: [attack.t1021.001]
"""

SMB_ANY = """
title: SMB seen by a firewall
id: 7c1e1c52-5d1a-4f43-8f0e-2b9a3c000002
status: test
logsource: {category: firewall}
detection:
  sel:
    destination.port: 445
  condition: sel
level: low
"""


def _event(
    at: dt.datetime, port: int, *, dataset: str = "huawei.usg", source: int = 1, observer: str = "firewall"
) -> Event:
    return Event(
        timestamp=at,
        event=EventInfo(kind="event", category=["network"], type=["connection", "denied"], dataset=dataset),
        observer=Observer(vendor="Huawei", product="USG", type=observer),
        source=Endpoint(ip=f"203.0.113.{source}", port=50000 + source),
        destination=Endpoint(ip="198.51.100.10", port=port),
    )


class Node:
    """What ``soc run`` wires together for hunts, on a temporary data directory."""

    def __init__(self, tmp_path: Path) -> None:
        self.rules = tmp_path / "hunt-rules"
        self.rules.mkdir(exist_ok=True)
        (self.rules / "rdp.yml").write_text(RDP_DENIED, "utf-8")
        (self.rules / "smb.yml").write_text(SMB_ANY, "utf-8")
        self.store = EmbeddedEventStore.open_writer(tmp_path / "data", QUIET)
        self.state: StateStore = open_state(f"sqlite:///{tmp_path / 'state.db'}")
        self.pipeline = Pipeline(store=self.store, intake_stats=IntakeStats())

        def record(outcome: object) -> None:
            from soc_core.state.alerts import save_alerts

            with self.state.session() as session:
                save_alerts(session, alerts=outcome.new + outcome.updated)  # type: ignore[attr-defined]

        self.pipeline.on_alerts = record

    def service(self, *hunts: HuntSchedule, dedup_window_s: int = 0) -> HuntService:
        settings = DetectionSettings(shipped=False, hunts=list(hunts), dedup_window_s=dedup_window_s)
        return HuntService(settings, store=self.store, state=self.state, on_alerts=self.pipeline.store_alerts)

    def saved_alerts(self) -> list[object]:
        with self.state.session() as session:
            return list(list_alerts(session, limit=10_000))

    def close(self) -> None:
        self.store.close()
        self.state.close()


@pytest.fixture
def node(tmp_path: Path):  # type: ignore[no-untyped-def]
    made = Node(tmp_path)
    yield made
    made.close()


def _hourly(node: Node, every_s: int = 3600, delay_s: int = 0, name: str = "rdp") -> HuntSchedule:
    return HuntSchedule(name=name, rules=[node.rules / "rdp.yml"], every_s=every_s, delay_s=delay_s)


def test_each_run_covers_the_span_since_the_last_and_raises_alerts(node: Node) -> None:
    minute = dt.timedelta(minutes=1)
    # 90 minutes of history: an RDP deny every minute from source 1..90
    node.store.append([_event(NOW - 90 * minute + k * minute, 3389, source=k + 1) for k in range(90)])
    service = node.service(_hourly(node))
    outcome = service.run(["rdp"], now=NOW)
    # the first run looks back one interval: [11:00, 12:00) holds sources 31..90
    assert len(outcome.new) == 60
    assert {a.source_ip for a in outcome.new} == {f"203.0.113.{k}" for k in range(31, 91)}
    alert = outcome.new[0]
    assert alert.rule_id == "7c1e1c52-5d1a-4f43-8f0e-2b9a3c000001"
    assert "attack.t1021.001" in alert.tags and alert.destination_ip == "198.51.100.10"
    assert len(node.saved_alerts()) == 60
    assert len(node.store.search("event.kind:alert", limit=1000)) == 60  # mirrored
    status = service.statuses()["rdp"]
    assert status.watermark == NOW and status.matches == 60 and status.alerts == 60
    assert status.error is None

    # ten minutes later: only what arrived since, never the hour already hunted
    node.store.append([_event(NOW + 3 * minute, 3389, source=200), _event(NOW + 4 * minute, 80, source=201)])
    assert [a.source_ip for a in service.run(["rdp"], now=NOW + 10 * minute).new] == ["203.0.113.200"]

    # a restart resumes from the saved watermark
    node.store.append(
        [_event(NOW + 15 * minute, 3389, source=202), _event(NOW + 5 * minute, 3389, source=203)]
    )
    again = node.service(_hourly(node))
    assert again.statuses()["rdp"].watermark == NOW + 10 * minute
    new = again.run(["rdp"], now=NOW + 20 * minute).new
    # the event stamped 12:05 but stored after the 12:10 run is missed: that is what delay_s is for
    assert [a.source_ip for a in new] == ["203.0.113.202"]
    assert len(node.saved_alerts()) == 62


def test_delay_keeps_the_newest_minutes_for_the_next_run(node: Node) -> None:
    minute = dt.timedelta(minutes=1)
    node.store.append([_event(NOW - 3 * minute, 3389, source=1), _event(NOW - 30 * minute, 3389, source=2)])
    service = node.service(_hourly(node, delay_s=300))
    assert [a.source_ip for a in service.run(["rdp"], now=NOW).new] == ["203.0.113.2"]
    assert service.statuses()["rdp"].watermark == NOW - 5 * minute
    assert [a.source_ip for a in service.run(["rdp"], now=NOW + 10 * minute).new] == ["203.0.113.1"]


def test_a_long_pause_goes_back_at_most_catch_up(node: Node) -> None:
    hour = dt.timedelta(hours=1)
    node.store.append([_event(NOW - 30 * hour, 3389, source=1), _event(NOW - 2 * hour, 3389, source=2)])
    schedule = HuntSchedule(name="rdp", rules=[node.rules / "rdp.yml"], delay_s=0, catch_up_s=86400)
    service = node.service(schedule)
    service.schedules["rdp"].status.watermark = NOW - 48 * hour
    assert [a.source_ip for a in service.run(["rdp"], now=NOW).new] == ["203.0.113.2"]


def test_rules_see_only_the_events_their_logsource_admits(node: Node) -> None:
    node.store.append(
        [
            _event(NOW - dt.timedelta(minutes=5), 3389, source=1),
            _event(
                NOW - dt.timedelta(minutes=4), 3389, source=2, dataset="nginx.access", observer="webserver"
            ),
        ]
    )
    new = node.service(_hourly(node)).run(["rdp"], now=NOW).new
    assert [a.source_ip for a in new] == ["203.0.113.1"]


def test_schedules_of_one_interval_share_one_job_and_one_read(node: Node) -> None:
    minute = dt.timedelta(minutes=1)
    node.store.append([_event(NOW - k * minute, 3389 if k % 2 else 445, source=k) for k in range(1, 41)])
    rdp = _hourly(node, name="rdp")
    smb = HuntSchedule(name="smb", rules=[node.rules / "smb.yml"], every_s=3600, delay_s=0)
    daily = HuntSchedule(name="daily", rules=[node.rules], every_s=86400, delay_s=0)
    service = node.service(rdp, smb, daily)
    assert service.groups() == {3600: ["rdp", "smb"], 86400: ["daily"]}
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    assert service.schedule(scheduler) == ["hunts-every-3600s", "hunts-every-86400s"]
    assert len(scheduler.get_jobs()) == 2  # not one per rule, not one per schedule

    first_runs = {job.id: job.next_run_time for job in scheduler.get_jobs()}
    assert all(at - dt.datetime.now(dt.UTC) < dt.timedelta(minutes=1) for at in first_runs.values())

    outcome = service.run(["rdp", "smb"], now=NOW)
    # after a restart, a job's first run keeps the cadence of the saved last runs
    later = node.service(rdp, smb, daily)
    restarted = AsyncIOScheduler(timezone=dt.UTC)
    later.schedule(restarted, now=NOW + dt.timedelta(minutes=20))
    assert restarted.get_job("hunts-every-3600s").next_run_time == NOW + dt.timedelta(hours=1)
    assert restarted.get_job("hunts-every-86400s").next_run_time == NOW + dt.timedelta(minutes=20, seconds=5)
    statuses = service.statuses()
    assert statuses["rdp"].matches == 20 and statuses["smb"].matches == 20
    assert len(outcome.new) == 40
    # one pass: each stored event read once for both schedules' rules
    assert statuses["rdp"].scanned == statuses["smb"].scanned == 40
    assert statuses["rdp"].windows == 1


def test_dedup_folds_repeats_within_the_window(node: Node) -> None:
    minute = dt.timedelta(minutes=1)
    node.store.append([_event(NOW - k * minute, 3389, source=7) for k in range(1, 11)])
    outcome = node.service(_hourly(node), dedup_window_s=3600).run(["rdp"], now=NOW)
    assert len(outcome.new) == 1
    assert outcome.new[0].count == 10


def test_apscheduler_fires_the_job(node: Node) -> None:
    node.store.append([_event(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), 3389, source=9)])
    service = node.service(_hourly(node))

    async def go() -> None:
        scheduler = AsyncIOScheduler(timezone=dt.UTC)
        service.schedule(scheduler, settle_s=0)
        scheduler.start()
        try:
            for _ in range(500):  # bounded: at most ~10 s
                if service.statuses()["rdp"].last_run is not None:
                    break
                await asyncio.sleep(0.02)
        finally:
            scheduler.shutdown(wait=False)

    asyncio.run(go())
    status = service.statuses()["rdp"]
    assert status.last_run is not None, "the scheduled job did not run"
    assert status.alerts == 1
    assert [a.source_ip for a in node.saved_alerts()] == ["203.0.113.9"]  # type: ignore[attr-defined]


def test_hunt_settings_are_validated() -> None:
    with pytest.raises(ValidationError, match="every_s"):
        HuntSchedule(name="x", rules=[Path("r.yml")], every_s=5)
    with pytest.raises(ValidationError, match="unique"):
        DetectionSettings(
            hunts=[
                HuntSchedule(name="x", rules=[Path("a.yml")]),
                HuntSchedule(name="x", rules=[Path("b.yml")]),
            ]
        )


@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
def test_soc_rules_hunt_over_the_store(tmp_path: Path, backend: str) -> None:
    """The ad-hoc hunt command: matching events on stdout, a summary on stderr. On
    Elasticsearch (the wire-protocol stub here) the rule runs as its pySigma Lucene query."""
    rule = tmp_path / "rdp.yml"
    rule.write_text(RDP_DENIED, "utf-8")
    events = [_event(NOW - dt.timedelta(minutes=k), 3389 if k <= 3 else 22, source=k) for k in range(1, 11)]
    stub = EsStub().start() if backend == "elasticsearch" else None
    flags: list[str] = []
    if stub is not None:
        with ElasticEventStore.open(stub.url) as es:
            es.append(events)
        flags = ["--store", "elasticsearch", "--es-url", stub.url]
        stub.reset_requests()
    else:
        store = EmbeddedEventStore.open_writer(tmp_path / "data", QUIET)
        try:
            store.append(events)
        finally:
            store.close()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "soc_api.cli",
            "rules",
            "hunt",
            str(rule),
            "--from",
            (NOW - dt.timedelta(hours=1)).isoformat(),
            "--to",
            NOW.isoformat(),
            "--data",
            str(tmp_path / "data"),
            *flags,
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    if stub is not None:
        stub.stop()
    assert done.returncode == 0, done.stderr.decode()
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert sorted(doc["source"]["ip"] for doc in lines) == ["203.0.113.1", "203.0.113.2", "203.0.113.3"]
    summary = json.loads(done.stderr.decode().strip().splitlines()[-1])
    assert summary["matches"] == {"7c1e1c52-5d1a-4f43-8f0e-2b9a3c000001": 3}
    if stub is None:
        assert summary["scanned"] == 10  # every stored event of the range, matched here
        return
    assert summary["scanned"] == 3  # only the matches left the cluster
    queries = [
        r.json()["query"]["bool"]["filter"][0]["query_string"]["query"]
        for r in stub.requests
        if r.path.endswith("/_search")
    ]
    assert queries == ["destination.port:3389 AND event.type.ci:denied"]
    assert not (tmp_path / "data" / "events").exists()
