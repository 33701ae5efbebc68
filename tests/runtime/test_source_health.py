"""A source that stops sending becomes a health event, and the shipped rule alerts on it."""

from __future__ import annotations

from pathlib import Path

from collectors.intake import IntakeStats, PeerCounters
from soc_api.runtime.detection import build_engine
from soc_api.runtime.health import SilenceWatch
from soc_api.runtime.pipeline import Pipeline
from soc_core.config import DetectionSettings, StoreSettings
from soc_core.storage.embedded import EmbeddedEventStore

T0 = 1_795_766_400.0
SILENT_RULE = "a3fa1881-9ff2-53c0-84ac-a508d91a962d"  # rules/sigma/platform: log source gone silent


def _peer(peer: str, last_seen: float, records: int = 10, transport: str = "udp") -> PeerCounters:
    return PeerCounters(transport=transport, peer=peer, records=records, first_seen=T0, last_seen=last_seen)


def test_silence_is_reported_once_and_the_return_too() -> None:
    watch = SilenceWatch(after_s=900)
    peers = [
        _peer("192.0.2.1:514", T0),
        _peer("192.0.2.2:514", T0 + 800),
        _peer("192.0.2.3:514", T0, records=0),
    ]
    assert watch.check(peers, now=T0 + 899) == []
    first = watch.check(peers, now=T0 + 900)
    assert [(e.event.action, e.log.source_address if e.log else None) for e in first] == [
        ("source_silent", "192.0.2.1")
    ]
    assert first[0].extra is not None and first[0].extra["shaowang"]["health"]["silent_seconds"] == 900
    assert watch.check(peers, now=T0 + 1500) == []  # still silent: not reported again
    back = [_peer("192.0.2.1:514", T0 + 1600), _peer("192.0.2.2:514", T0 + 1600)]
    resumed = watch.check(back, now=T0 + 1601)
    assert [e.event.action for e in resumed] == ["source_resumed"]


def test_a_host_sending_over_tcp_is_not_silent_because_its_udp_stopped() -> None:
    watch = SilenceWatch(after_s=60)
    peers = [_peer("192.0.2.1:514", T0), _peer("192.0.2.1:40000", T0 + 100, transport="tcp")]
    assert watch.check(peers, now=T0 + 120) == []
    assert [e.event.action for e in watch.check(peers, now=T0 + 161)] == ["source_silent"]


def test_the_shipped_rule_alerts_on_a_silent_source(tmp_path: Path) -> None:
    engine = build_engine(DetectionSettings(dedup_window_s=0))
    store = EmbeddedEventStore.open_writer(
        tmp_path, StoreSettings(seal_interval_s=3600, seal_max_events=10**9)
    )
    raised = []
    try:
        pipeline = Pipeline(store=store, intake_stats=IntakeStats(), detector=engine, on_alerts=raised.append)
        events = SilenceWatch(after_s=900).check([_peer("192.0.2.1:514", T0)], now=T0 + 1000)
        pipeline.process_events(events)
        assert [a.rule_id for outcome in raised for a in outcome.new] == [SILENT_RULE]
        assert store.count("event.dataset:shaowang.health AND event.action:source_silent") == 1
        assert store.count("event.kind:alert") == 1
    finally:
        store.close()
