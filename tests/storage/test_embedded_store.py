"""Embedded event store: writing, sealing, compaction, queries, retention (real files, in-process)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from embedded_support import T0, fw_event, settings

from soc_core.errors import QuerySyntaxError, RetentionPolicyError, StoreError
from soc_core.events import Endpoint, Event, EventInfo
from soc_core.storage.base import EventStore
from soc_core.storage.embedded import EmbeddedEventStore, encode_batch
from soc_core.storage.embedded_segments import list_segments

N = 40


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedEventStore]:
    s = EmbeddedEventStore.open_writer(tmp_path, settings())
    s.append([fw_event(i) for i in range(N)])
    yield s
    s.close()


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["event"]["id"] for d in docs]


def test_protocol_conformance(store: EmbeddedEventStore) -> None:
    assert isinstance(store, EmbeddedEventStore)
    typed: EventStore = store  # mypy checks the structural match; runtime just uses it
    assert typed.count() == N


@pytest.mark.parametrize("sealed", [False, True])
def test_queries_on_known_data(store: EmbeddedEventStore, sealed: bool) -> None:
    if sealed:
        store.seal_now()
        assert store.stats()["segments"] == 0 and store.stats()["unsealed_events"] == 0
    assert store.count() == N
    assert store.count("event.action:deny") == 10
    assert store.count("source.ip:192.0.2.0/24") == N
    assert store.count("destination.port:[50 TO 500]") == 27  # 443 and 53
    assert store.terms("destination.port", size=2) == [(443, 14), (22, 13)]  # ties: by value
    assert store.terms("event.category") == [("network", N)]  # list column: counted per element
    assert store.terms("no.such.field") == []
    assert store.cardinality("source.ip") == 10
    assert store.cardinality("source.ip", query="event.action:deny") == 5
    hist = store.date_histogram(interval="10s")
    assert [c for _, c in hist] == [10, 10, 10, 10]
    assert hist[0][0] == T0 and hist[1][0] == T0 + dt.timedelta(seconds=10)
    docs = store.search(limit=3)
    assert ids(docs) == ["ev-000039", "ev-000038", "ev-000037"]
    assert ids(store.search(limit=2, order="asc")) == ["ev-000000", "ev-000001"]
    doc = store.search("event.id:ev-000007")[0]
    assert doc == {
        "@timestamp": "2026-11-20T10:00:07Z",
        "event": {
            "id": "ev-000007",
            "dataset": "fortinet.firewall",
            "category": ["network"],
            "action": "accept",
            "original": "srcip=192.0.2.7 dstport=53 action=accept",
        },
        "source": {"ip": "192.0.2.7", "port": 40007},
        "destination": {"ip": "203.0.113.5", "port": 53},
        "network": {"transport": "tcp"},
    }
    assert Event.from_dict(doc).source == Endpoint(ip="192.0.2.7", port=40007)


def test_time_range_and_histogram_gaps(store: EmbeddedEventStore) -> None:
    store.seal_now()
    start, end = T0 + dt.timedelta(seconds=5), T0 + dt.timedelta(seconds=15)
    assert store.count(start=start, end=end) == 10  # start inclusive, end exclusive
    assert ids(store.search(start=start, end=end, limit=1)) == ["ev-000014"]
    store.append([fw_event(1000, when=T0 + dt.timedelta(minutes=3))])
    hist = store.date_histogram(interval="1m")
    assert [c for _, c in hist] == [40, 0, 0, 1]  # empty buckets in between are filled


def test_search_two_phase_respects_limit_and_ties(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        same = T0
        s.append([fw_event(i, when=same) for i in range(30)])
        s.seal_now()
        s.append([fw_event(i, when=same) for i in range(30, 35)])
        docs = s.search(limit=7)
        assert len(docs) == 7
        assert ids(docs) == [f"ev-{i:06d}" for i in range(34, 27, -1)]
        assert s.search(limit=0) == []


def test_chinese_ipv6_and_mixed_datasets(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        zh = Event(
            timestamp=T0,
            event=EventInfo(id="zh", dataset="huawei.usg", original="用户 张三 登录失败 源地址 2001:db8::1"),
            message="登录失败",
            source=Endpoint(ip="2001:db8::1"),
            extra={"huawei": {"usg": {"模块": "认证", "count": 3, "flags": ["a", "b"]}}},
        )
        dns = Event(
            timestamp=T0 + dt.timedelta(seconds=1),
            event=EventInfo(id="dns", dataset="dns.query"),
            labels={"site": "北京"},
            extra={"syslog": {"kv": {"qname": "example.org"}}},
        )
        s.append([zh])
        s.append([dns, fw_event(1)])
        for phase in ("tail", "sealed"):
            assert s.count("登录失败") == 1, phase
            got = s.search("source.ip:2001\\:db8\\:\\:1")
            assert ids(got) == ["zh"], phase
            assert s.count('source.ip:"2001:db8::/32"') == 1
            assert s.count("source.ip:192.0.2.0/24") == 1
            assert got[0]["huawei"]["usg"] == {"模块": "认证", "count": "3", "flags": '["a","b"]'}
            assert got[0]["message"] == "登录失败"
            assert s.search("labels.site:北京")[0]["labels"] == {"site": "北京"}
            assert s.count("syslog.kv.qname:example.org") == 1
            assert s.count("huawei.usg.模块:认证") == 1
            assert dict(s.terms("event.dataset")) == {"huawei.usg": 1, "dns.query": 1, "fortinet.firewall": 1}
            assert s.count("unknown.field:x") == 0
            s.seal_now()
        datasets = {p.parent.name for p in (s.layout.sealed).rglob("*.parquet")}
        assert datasets == {"dataset=huawei.usg", "dataset=dns.query", "dataset=fortinet.firewall"}


def test_seal_and_compact_keep_counts_exact(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings(compact_min_files=3)) as s:
        total = 0
        for batch in range(7):
            s.append([fw_event(batch * 100 + i) for i in range(25)])
            total += 25
            s.seal_now(compact=False)
            assert s.count() == total
        live = s.manifest.refresh().live
        assert len(live) == 7
        s.seal_now(compact=True)
        live = s.manifest.refresh().live
        assert len(live) == 1, live
        assert s.count() == total
        assert len(set(ids(s.search(limit=1000)))) == total
        only = next(iter(live.values()))
        table = pq.read_table(tmp_path / "events" / only.path)
        ts = table.column("@timestamp").to_pylist()
        assert ts == sorted(ts)  # sealed files are sorted by time for row-group pruning
        ops = [
            json.loads(line)["op"]
            for line in (tmp_path / "events" / "manifest.jsonl").read_text().splitlines()
        ]
        assert ops.count("compact") >= 1 and ops.count("seal") == 7
        assert s.verify().ok
        # Retired files linger for readers mid-scan; they are neither read nor reported.
        assert len(list((tmp_path / "events" / "sealed").rglob("*.parquet"))) == 8
    assert [p.name for p in (tmp_path / "events" / "sealed").rglob("*.parquet")] == [Path(only.path).name]
    assert list_segments(tmp_path / "events" / "segments") == []


def test_rotation_by_size_and_background_sealing(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings(seal_max_events=10, seal_interval_s=0.2)) as s:
        for b in range(5):
            s.append([fw_event(b * 10 + i) for i in range(10)])
        s.append([fw_event(99)])
        deadline = dt.datetime.now() + dt.timedelta(seconds=30)
        while s.stats()["unsealed_events"] and dt.datetime.now() < deadline:
            threading.Event().wait(0.1)
        st = s.stats()
        assert st["unsealed_events"] == 0 and st["sealed_events"] == 51
        assert s.count() == 51


def test_concurrent_reader_sees_consistent_counts(tmp_path: Path) -> None:
    writer = EmbeddedEventStore.open_writer(tmp_path, settings(compact_min_files=2))
    writer.append([fw_event(i) for i in range(50)])
    reader = EmbeddedEventStore.open_reader(tmp_path)
    seen: list[int] = []
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            seen.append(reader.count())

    t = threading.Thread(target=poll)
    t.start()
    try:
        for _ in range(6):
            writer.seal_now(compact=False)
            writer.seal_now(compact=True)
    finally:
        stop.set()
        t.join()
        reader.close()
        writer.close()
    assert seen and set(seen) == {50}


def test_crash_after_manifest_commit_before_segment_delete(tmp_path: Path) -> None:
    s = EmbeddedEventStore.open_writer(tmp_path, settings())
    s.append([fw_event(i) for i in range(20)])
    s._segments.rotate()  # type: ignore[union-attr]
    seg_dir = tmp_path / "events" / "segments"
    backup = tmp_path / "segment-copies"
    shutil.copytree(seg_dir, backup)
    s.seal_now()
    s.close()
    shutil.rmtree(seg_dir)
    shutil.copytree(backup, seg_dir)  # as if the crash hit between commit and delete
    reader = EmbeddedEventStore.open_reader(tmp_path)
    assert reader.count() == 20  # readers skip segments the manifest records as sealed
    reader.close()
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s2:
        assert list_segments(seg_dir) == []
        assert s2.count() == 20


def test_orphan_parquet_of_interrupted_seal_is_removed(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append([fw_event(i) for i in range(10)])
        s.seal_now()
        part = next((tmp_path / "events" / "sealed").rglob("*.parquet"))
    orphan = part.with_name("part-000000009999.parquet")
    shutil.copy(part, orphan)
    foreign = part.with_name("notes.txt")
    foreign.write_text("planted")
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        assert not orphan.exists()  # numbered after the last commit: an interrupted seal's output
        assert foreign.exists()  # anything else is evidence, left for verify
        assert s.count() == 10
        problems = s.verify().problems
        assert [(p.problem, Path(p.partition).name) for p in problems] == [("unexpected", "notes.txt")]


def test_single_writer_and_read_only_reader(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()):
        with pytest.raises(StoreError, match="another writer"):
            EmbeddedEventStore.open_writer(tmp_path, settings())
        reader = EmbeddedEventStore.open_reader(tmp_path)
        with pytest.raises(StoreError, match="read-only"):
            reader.append([fw_event(1)])
        reader.close()


def test_reader_on_missing_store_says_so_or_is_empty_when_asked(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no event store here"):
        EmbeddedEventStore.open_reader(tmp_path / "nothing")
    reader = EmbeddedEventStore.open_reader(tmp_path / "nothing", must_exist=False)
    assert reader.count() == 0 and reader.search() == [] and reader.terms("source.ip") == []
    assert reader.verify().ok
    reader.close()


def test_events_with_wrong_types_are_kept_not_lost(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        odd = Event(timestamp=T0, event=EventInfo(id="odd"), source=Endpoint(port="443"))  # type: ignore[arg-type]
        broken = Event(timestamp=T0, event=EventInfo(id="broken"), source=Endpoint(port="not-a-port"))  # type: ignore[arg-type]
        s.append([odd, broken, fw_event(1)])
        for _ in range(2):
            assert s.count() == 3
            assert s.search("event.id:odd")[0]["source"]["port"] == 443
            err = s.search("event.kind:pipeline_error")[0]
            assert '"not-a-port"' in err["event"]["original"] and err["error"]["type"] == "store_decode"
            s.seal_now()


def test_retention_drops_old_days_and_records_policy(tmp_path: Path) -> None:
    now = dt.datetime(2026, 11, 27, 12, tzinfo=dt.UTC)
    old = [fw_event(i, when=now - dt.timedelta(days=200, seconds=i)) for i in range(5)]
    recent = [fw_event(100 + i, when=now - dt.timedelta(days=3, seconds=i)) for i in range(5)]
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append(old + recent)
        s.seal_now()
        assert s.retention_policy() == {"days": 180, "reason": None, "recorded": True}
        assert set(s.oldest_day_per_dataset().values()) == {(now - dt.timedelta(days=200)).date().isoformat()}
        dropped = s.apply_retention(now=now)
        assert dropped == [(now - dt.timedelta(days=200)).date().isoformat()]
        assert s.count() == 5
        assert s.oldest_day_per_dataset() == {
            "fortinet.firewall": (now - dt.timedelta(days=3)).date().isoformat()
        }
        assert s.verify().ok  # dropped files are neither missing nor unexpected
        assert s.apply_retention(now=now) == []

    with pytest.raises(RetentionPolicyError, match="180"):
        EmbeddedEventStore.open_writer(tmp_path, settings(retention_days=30))
    # The refused open released the lock and changed nothing.
    with EmbeddedEventStore.open_writer(
        tmp_path, settings(retention_days=30, retention_override="等保测试环境")
    ) as s:
        assert s.retention_policy() == {"days": 30, "reason": "等保测试环境", "recorded": True}
        assert s.apply_retention(now=now) == [(now - dt.timedelta(days=3)).date().isoformat()][:0]
        assert s.apply_retention(now=now + dt.timedelta(days=30)) == [
            (now - dt.timedelta(days=3)).date().isoformat()
        ]
        assert s.count() == 0
    with EmbeddedEventStore.open_writer(
        tmp_path, settings(retention_days=30, retention_override="等保测试环境")
    ):
        pass  # unchanged policy: no new entry
    entries = [json.loads(x) for x in (tmp_path / "events" / "manifest.jsonl").read_text().splitlines()]
    policies = [e["detail"] for e in entries if e["op"] == "retention_policy"]
    assert [(p["days"], p["reason"]) for p in policies] == [(180, None), (30, "等保测试环境")]
    assert Counter(e["op"] for e in entries)["drop"] == 2


def test_stats(store: EmbeddedEventStore) -> None:
    st = store.stats()
    assert st["events"] == N and st["unsealed_events"] == N and st["segments"] == 1
    store.seal_now()
    st = store.stats()
    assert st["events"] == N and st["sealed_files"] == 1 and st["segments"] == 0
    assert st["events_per_dataset"] == {"fortinet.firewall": N}
    assert st["bytes_on_disk"] > st["sealed_bytes"] > 0


def test_histogram_buckets_align_like_time_bucket(tmp_path: Path) -> None:
    old = dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC)
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append([fw_event(1), fw_event(2, when=old)])
        assert s.date_histogram(interval="1w", start=T0 - dt.timedelta(days=30)) == [
            (dt.datetime(2026, 11, 16, tzinfo=dt.UTC), 1)  # weeks start on Monday
        ]
        assert s.date_histogram(interval="1d", end=T0 - dt.timedelta(days=30)) == [
            (dt.datetime(1969, 12, 31, tzinfo=dt.UTC), 1)  # floor, not truncation, before the origin
        ]
        with pytest.raises(QuerySyntaxError):
            s.date_histogram(interval="1 fortnight")


def test_append_encoded_payloads_from_other_processes(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        chunks = [encode_batch([fw_event(i) for i in range(k * 5, k * 5 + 5)]) for k in range(3)]
        assert s.append_encoded(b"".join(chunks), 15) == 15  # group commit of worker payloads
        assert s.append_encoded(b"", 0) == 0
        with pytest.raises(StoreError):
            s.append_encoded(b'{"@timestamp":"2026-01-01T00:00:00Z"}', 1)
        assert s.count() == 15
        s.seal_now()
        assert s.count() == 15 and s.cardinality("event.id") == 15


def test_unencodable_values_do_not_sink_the_batch(tmp_path: Path) -> None:
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        bad = Event(
            timestamp=T0, event=EventInfo(id="bad", original="raw \udcff byte"), extra={"x": {"o": object()}}
        )
        assert s.append([fw_event(1), bad, fw_event(2)]) == 3
        s.seal_now()
        assert s.count() == 3
        doc = s.search("event.id:bad")[0]
        assert doc["event"]["original"] == "raw \\udcff byte" and doc["x"]["o"].startswith("<object")


def test_writer_stats_count_unsealed_rows_without_decoding(tmp_path: Path) -> None:
    from soc_core.config import StoreSettings

    quiet = StoreSettings(seal_interval_s=3600, seal_max_events=10**9)
    events = [
        Event(
            timestamp=dt.datetime(2026, 11, 27, 8, 0, i, tzinfo=dt.UTC),
            event=EventInfo(dataset="syslog.kv", original=f"n={i}"),
        )
        for i in range(30)
    ]
    store = EmbeddedEventStore.open_writer(tmp_path, quiet)
    try:
        store.append(events[:10])
        store.append(events[10:30])
        assert store.stats()["unsealed_events"] == 30
        store.seal_now(compact=False)
        s = store.stats()
        assert (s["unsealed_events"], s["sealed_events"], s["events"]) == (0, 30, 30)
        store.append(events[:5])
    finally:
        store.close()
    reopened = EmbeddedEventStore.open_writer(tmp_path, quiet)
    try:
        assert reopened.stats()["events"] == 35
    finally:
        reopened.close()
