"""The pipeline: every record is stored or dead-lettered, in-process and with parse workers."""

from __future__ import annotations

import asyncio
import base64
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from collectors.intake import IntakeQueue, IntakeStats
from soc_api.runtime.pipeline import Pipeline
from soc_api.runtime.sources import SourceRouter
from soc_api.runtime.workers import ParsePool
from soc_api.testing import firewall_line
from soc_core.config import SourceMapping, StoreSettings
from soc_core.records import RawRecord
from soc_core.storage.embedded import EmbeddedEventStore

QUIET = StoreSettings(seal_interval_s=3600, seal_max_events=10**9)

JUNK = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(lambda t: t.encode("utf-8")),
    st.text(alphabet="拒绝访问用户源地址目的端口动作=; ", max_size=60).map(lambda t: t.encode("gbk")),
    st.integers(0, 10_000).map(firewall_line),
    st.just(b""),
    st.just(b"src=192.0.2.1\x00\x00dst=198.51.100.1"),
    st.just(b"k=" + b"x" * (1024 * 1024 + 1)),
)


def _record(data: bytes, i: int) -> RawRecord:
    return RawRecord(data=data, received_at=time.time(), origin="test", peer="192.0.2.9:514", offset=i)


@settings(max_examples=25)
@given(st.lists(JUNK, min_size=1, max_size=30))
def test_every_record_is_stored_or_dead_lettered_with_its_bytes(
    tmp_path_factory: pytest.TempPathFactory, payloads: list[bytes]
) -> None:
    data_dir = tmp_path_factory.mktemp("pipe")
    store = EmbeddedEventStore.open_writer(data_dir, QUIET)
    try:
        pipeline = Pipeline(store=store, intake_stats=IntakeStats())
        pipeline.process_batch([_record(p, i) for i, p in enumerate(payloads)])
        c = pipeline.counters
        assert c.records_in == len(payloads)
        assert c.records_stored + c.records_dead_lettered == len(payloads)
        dead = store.search("event.dataset:shaowang.deadletter", limit=100)
        assert len(dead) == c.records_dead_lettered
        by_offset = {d["log"]["offset"]: d for d in dead}
        for offset, doc in by_offset.items():
            assert doc["error"]["type"] and doc["error"]["message"]
            assert base64.b64decode(doc["shaowang"]["deadletter"]["raw_b64"]) == payloads[offset]
        assert store.count("NOT event.dataset:shaowang.deadletter") == c.events_stored
    finally:
        store.close()


def test_parse_workers_store_the_same_as_in_process(tmp_path: Path) -> None:
    records = [_record(firewall_line(i), i) for i in range(3000)] + [_record(b"\xff\x00junk", 3000)]

    async def pooled() -> Pipeline:
        store = EmbeddedEventStore.open_writer(tmp_path / "pooled", QUIET)
        pool = ParsePool(workers=2, default_format="auto", default_timezone="Asia/Shanghai")
        queue = IntakeQueue(10_000)
        pipeline = Pipeline(store=store, intake_stats=IntakeStats(), pool=pool)
        task = asyncio.create_task(pipeline.run(queue, batch_max=1000, commit_interval=0.01))
        await queue.put_many(records)
        pipeline.stop()
        await asyncio.wait_for(task, 120)
        pool.close()
        store.close()
        return pipeline

    pipeline = asyncio.run(pooled())
    assert pipeline.counters.records_stored == 3000
    assert pipeline.counters.records_dead_lettered == 1
    assert pipeline.counters.commits <= pipeline.counters.batches  # chunks share fsyncs

    in_process = EmbeddedEventStore.open_writer(tmp_path / "inproc", QUIET)
    Pipeline(store=in_process, intake_stats=IntakeStats()).process_batch(records)
    in_process.close()
    a = EmbeddedEventStore.open_reader(tmp_path / "pooled")
    b = EmbeddedEventStore.open_reader(tmp_path / "inproc")
    try:
        for query in (
            "*",
            "event.action:deny",
            "source.ip:192.0.2.0/24",
            "event.dataset:shaowang.deadletter",
        ):
            assert a.count(query) == b.count(query), query
        assert a.cardinality("syslog.kv.seq") == 3000
    finally:
        a.close()
        b.close()


def test_source_router_sets_dataset_and_timezone_by_peer() -> None:
    router = SourceRouter(
        [
            SourceMapping(match="198.51.100.0/24", dataset="json.log", timezone="UTC"),
            SourceMapping(match="fw-core", dataset="syslog.kv"),
        ]
    )
    routed = router.apply(RawRecord(data=b"{}", received_at=0, peer="198.51.100.7:514"))
    assert (routed.hint, routed.timezone) == ("json.log", "UTC")
    assert router.apply(RawRecord(data=b"x", received_at=0, peer="fw-core")).hint == "syslog.kv"
    untouched = RawRecord(data=b"x", received_at=0, peer="203.0.113.1:514")
    assert router.apply(untouched) is untouched
    v6 = SourceRouter([SourceMapping(match="2001:db8::/32", timezone="UTC")])
    assert v6.apply(RawRecord(data=b"x", received_at=0, peer="[2001:db8::5]:514")).timezone == "UTC"


class _FirstChunkFails(ParsePool):
    """A pool whose first chunk dies in the worker (as a killed worker process would)."""

    failed = False

    def submit(self, records):  # type: ignore[no-untyped-def]
        if not self.failed:
            self.failed = True
            broken: Future[bytes] = Future()
            broken.set_exception(BrokenProcessPool("worker died"))
            return broken
        return super().submit(records)


def test_a_failed_worker_chunk_is_parsed_in_process_and_nothing_is_lost(tmp_path: Path) -> None:
    records = [_record(firewall_line(i), i) for i in range(2000)]

    async def go() -> Pipeline:
        store = EmbeddedEventStore.open_writer(tmp_path, QUIET)
        pool = _FirstChunkFails(workers=1, default_format="auto", default_timezone="Asia/Shanghai")
        queue = IntakeQueue(10_000)
        pipeline = Pipeline(store=store, intake_stats=IntakeStats(), pool=pool, max_in_flight=1)
        task = asyncio.create_task(pipeline.run(queue, batch_max=500, commit_interval=0.01))
        await queue.put_many(records)
        pipeline.stop()
        await asyncio.wait_for(task, 120)
        pool.close()
        assert store.cardinality("syslog.kv.seq") == 2000
        store.close()
        return pipeline

    pipeline = asyncio.run(go())
    assert pipeline.pool is not None and pipeline.counters.records_stored == 2000
