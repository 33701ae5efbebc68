"""Detection inside the pipeline: workers match, the committing process correlates and dedups.

Records spread over several worker processes and chunks still count towards one correlation
window per group; alerts are mirrored into the event store in the same write as their events
and recorded in the state store; windows survive a restart through the state store.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from collectors.intake import IntakeStats
from soc_api.runtime.detection import DetectionService, build_engine, worker_factory
from soc_api.runtime.pipeline import Pipeline
from soc_api.runtime.workers import ParsePool
from soc_api.testing import firewall_line
from soc_core.config import DetectionSettings, StoreSettings
from soc_core.records import RawRecord
from soc_core.state.alerts import list_alerts, list_rule_health
from soc_core.state.db import open_state
from soc_core.storage.embedded import EmbeddedEventStore

QUIET = StoreSettings(seal_interval_s=3600, seal_max_events=10**9)

# firewall_line(seq): every 5th line is a deny; source 192.0.2.(seq % 250 + 1); all lines carry
# the same device time. Over 2,500 lines, 50 sources are denied 10 times each.
RULES = """
title: Firewall deny
id: 0f4d6a0e-6b53-4c55-9a51-2d3c1c7d0001
name: fw_deny
status: test
logsource: {product: syslog}
detection:
  sel:
    action: deny
  condition: sel
level: low
---
title: Many denies from one source
id: 0f4d6a0e-6b53-4c55-9a51-2d3c1c7d0002
status: test
correlation:
  type: event_count
  rules: [fw_deny]
  group-by: [source.ip]
  timespan: 60s
  condition: {gte: THRESHOLD}
level: high
tags: [attack.discovery, attack.t1046]
"""


def _records(count: int, start: int = 0) -> list[RawRecord]:
    return [
        RawRecord(
            data=firewall_line(seq),
            received_at=time.time(),
            origin="syslog/udp",
            peer="192.0.2.250:514",
            offset=seq,
        )
        for seq in range(start, start + count)
    ]


def _settings(tmp_path: Path, threshold: int) -> DetectionSettings:
    rules = tmp_path / "rules"
    rules.mkdir(exist_ok=True)
    (rules / "denies.yml").write_text(RULES.replace("THRESHOLD", str(threshold)), "utf-8")
    return DetectionSettings(shipped=False, rules=[rules], dedup_window_s=0)


@pytest.mark.parametrize(("threshold", "expected"), [(10, 50), (11, 0)])
def test_workers_match_and_the_committer_correlates_across_chunks(
    tmp_path: Path, threshold: int, expected: int
) -> None:
    import asyncio

    from collectors.intake import IntakeQueue

    settings = _settings(tmp_path, threshold)
    store = EmbeddedEventStore.open_writer(tmp_path / "data", QUIET)
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    service = DetectionService(build_engine(settings), state)
    pool = ParsePool(
        workers=2,
        default_format="auto",
        default_timezone="Asia/Shanghai",
        detector_factory=worker_factory(settings),
    )
    try:
        pipeline = Pipeline(
            store=store,
            intake_stats=IntakeStats(),
            pool=pool,
            detector=service.engine,
            on_alerts=service.record_alerts,
        )
        service.lock = pipeline.settle_lock

        async def go() -> None:
            queue = IntakeQueue(10_000)
            await queue.put_many(_records(2500))
            runner = asyncio.create_task(pipeline.run(queue, batch_max=1000, commit_interval=0.01))
            while pipeline.counters.records_in < 2500:
                await asyncio.sleep(0.02)
            pipeline.stop()
            await runner

        asyncio.run(go())
        assert pipeline.counters.alerts == expected
        mirrored = store.search("event.kind:alert", limit=1000)
        assert len(mirrored) == expected
        with state.session() as session:
            saved = list_alerts(session, limit=1000)
        assert len(saved) == expected
        if expected:
            assert {a.source_ip for a in saved} == {f"192.0.2.{k + 1}" for k in range(0, 250, 5)}
            assert all(a.count == 10 and len(a.event_ids) == 10 for a in saved)
        service.save()
        with state.session() as session:
            health = {h.rule_id: h for h in list_rule_health(session)}
        base = health["0f4d6a0e-6b53-4c55-9a51-2d3c1c7d0001"]
        assert base.matches == 500 and base.evaluations >= 500  # counted in the workers, summed here
    finally:
        pool.close()
        store.close()
        state.close()


def test_windows_survive_a_restart_through_the_state_store(tmp_path: Path) -> None:
    settings = _settings(tmp_path, 10)
    state = open_state(f"sqlite:///{tmp_path / 'state.db'}")
    try:
        first = DetectionService(build_engine(settings), state)
        first.start()
        from collectors.parse import parse_record
        from soc_core.events import Event

        def events(records: list[RawRecord]) -> list[Event]:
            return [e for r in records for e in parse_record(r).events]

        # 1,250 lines: every denied source has 5 of its 10 denies; nothing fires yet
        assert first.engine.process(events(_records(1250))) == []
        first.save()
        second = DetectionService(build_engine(settings), state)
        second.start()
        alerts = second.engine.process(events(_records(1250, start=1250)))
        assert len(alerts) == 50
        # without the saved windows the second half alone fires nothing
        assert build_engine(settings).process(events(_records(1250, start=1250))) == []
    finally:
        state.close()
