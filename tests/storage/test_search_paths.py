"""Newest-first search looks back in growing slices and reads only populated columns, over a
pool of DuckDB connections: its answers must equal a brute-force ordering of the same events,
for frequent and rare values, sealed and unsealed, from one thread or many."""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest
from embedded_support import T0, fw_event, settings

from soc_core.events import Event
from soc_core.storage import embedded, embedded_seal
from soc_core.storage.embedded import FIRST_SLICE, EmbeddedEventStore

# Over two days: host .1 every minute, host .2 every 7 hours, host .3 once, 30 hours back.
MINUTES = 2 * 24 * 60
END = T0 + dt.timedelta(minutes=MINUTES)


def corpus() -> list[Event]:
    events = []
    for m in range(MINUTES):
        event = fw_event(m, when=T0 + dt.timedelta(minutes=m))
        assert event.source is not None
        event.source.ip = "192.0.2.2" if m % 420 == 0 else "192.0.2.1"
        events.append(event)
    rare = fw_event(MINUTES + 1, when=END - dt.timedelta(hours=30, seconds=7))
    assert rare.source is not None
    rare.source.ip = "192.0.2.3"
    events.append(rare)
    return events


def expected(events: list[Event], ip: str, limit: int, start: Any = None, end: Any = None) -> list[str]:
    hits = [
        e
        for e in events
        if e.source is not None
        and e.source.ip == ip
        and (start is None or e.timestamp >= start)
        and (end is None or e.timestamp < end)
    ]
    hits.sort(key=lambda e: (e.timestamp, e.event.id or ""), reverse=True)
    return [e.event.id or "" for e in hits[:limit]]


@pytest.fixture(scope="module", params=["sealed", "tail"])
def store(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[EmbeddedEventStore, list[Event]]]:
    events = corpus()
    with EmbeddedEventStore.open_writer(tmp_path_factory.mktemp("search"), settings()) as s:
        s.append(events)
        if request.param == "sealed":
            s.seal_now()
        yield s, events


def ids(docs: list[dict[str, Any]]) -> list[str]:
    return [d["event"]["id"] for d in docs]


@pytest.mark.parametrize("ip", ["192.0.2.1", "192.0.2.2", "192.0.2.3", "192.0.2.99"])
@pytest.mark.parametrize("limit", [1, 3, 100])
def test_newest_first_equals_brute_force(
    store: tuple[EmbeddedEventStore, list[Event]], ip: str, limit: int
) -> None:
    s, events = store
    assert ids(s.search(f"source.ip:{ip}", limit=limit)) == expected(events, ip, limit)
    start, end = END - dt.timedelta(hours=36), END - dt.timedelta(hours=2)
    got = s.search(f"source.ip:{ip}", start=start, end=end, limit=limit)
    assert ids(got) == expected(events, ip, limit, start, end)


def test_a_frequent_value_is_answered_from_the_first_slice(
    store: tuple[EmbeddedEventStore, list[Event]],
) -> None:
    s, _ = store
    docs = s.search("source.ip:192.0.2.1", limit=3)
    newest = dt.datetime.fromisoformat(docs[0]["@timestamp"].replace("Z", "+00:00"))
    assert END - newest <= FIRST_SLICE


def test_documents_keep_every_populated_field(store: tuple[EmbeddedEventStore, list[Event]]) -> None:
    s, events = store
    (doc,) = s.search("source.ip:192.0.2.3", limit=1)
    rare = events[-1]
    assert doc["source"] == {"ip": "192.0.2.3", "port": rare.source.port if rare.source else None}
    assert doc["destination"] == {"ip": "203.0.113.5", "port": 53}
    assert doc["event"]["original"] == rare.event.original
    assert doc["network"] == {"transport": "tcp"}


def test_concurrent_searches_agree_with_sequential_ones(
    store: tuple[EmbeddedEventStore, list[Event]],
) -> None:
    s, events = store
    queries = [(ip, limit) for ip in ("192.0.2.1", "192.0.2.2", "192.0.2.3") for limit in (2, 50)]
    wanted = {q: expected(events, q[0], q[1]) for q in queries}
    wrong: list[str] = []

    def worker(offset: int) -> None:
        for n in range(12):
            ip, limit = queries[(offset + n) % len(queries)]
            got = ids(s.search(f"source.ip:{ip}", limit=limit))
            if got != wanted[(ip, limit)]:
                wrong.append(f"{ip} {limit}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


def _sorted_ids(events: list[Event], limit: int, *, descending: bool, ip: str | None = None) -> list[str]:
    hits = [e for e in events if ip is None or (e.source is not None and e.source.ip == ip)]
    hits.sort(key=lambda e: (e.timestamp, e.event.id or ""), reverse=descending)
    return [e.event.id or "" for e in hits[:limit]]


@pytest.fixture
def many_groups(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[EmbeddedEventStore, list[Event]]]:
    """Two sealed files of 64-row groups plus an unsealed tail; every time shared by 3 rows
    (so ties fall across row groups, files and the tail)."""
    monkeypatch.setattr(embedded_seal, "ROW_GROUP_ROWS", 64)
    events = []
    for i in range(900):
        event = fw_event(i, when=T0 + dt.timedelta(seconds=i // 3))
        assert event.source is not None
        event.source.ip = f"192.0.2.{i % 4}"
        events.append(event)
    # written out of id order, so ordering by event.id is not the order rows were stored in
    shuffled = events[:]
    random.Random(5).shuffle(shuffled)
    with EmbeddedEventStore.open_writer(tmp_path, settings()) as s:
        s.append(sorted(shuffled[:400], key=lambda e: e.timestamp))
        s.seal_now(compact=False)
        s.append(sorted(shuffled[400:800], key=lambda e: e.timestamp))
        s.seal_now(compact=False)
        s.append(shuffled[800:])
        assert s.stats()["sealed_files"] >= 2 and s.stats()["unsealed_events"] == 100
        yield s, events


@pytest.mark.parametrize("limit", [1, 2, 4, 65, 200, 1000])
@pytest.mark.parametrize("order", ["desc", "asc"])
def test_rows_are_fetched_by_position_across_groups_files_and_tail(
    many_groups: tuple[EmbeddedEventStore, list[Event]], limit: int, order: Literal["asc", "desc"]
) -> None:
    s, events = many_groups
    descending = order == "desc"
    assert ids(s.search(limit=limit, order=order)) == _sorted_ids(events, limit, descending=descending)
    got = s.search("source.ip:192.0.2.1", limit=limit, order=order)
    assert ids(got) == _sorted_ids(events, limit, descending=descending, ip="192.0.2.1")
    by_id = {e.event.id: e for e in events}
    for doc in got:  # whole rows, not just the columns phase one read
        assert doc["event"]["original"] == by_id[doc["event"]["id"]].event.original
        assert doc["destination"]["port"] in (443, 53, 22)


def test_ties_beyond_the_fetched_bound_are_chosen_by_the_database(
    many_groups: tuple[EmbeddedEventStore, list[Event]], monkeypatch: pytest.MonkeyPatch
) -> None:
    s, events = many_groups
    monkeypatch.setattr(embedded, "TIE_ROWS", 1)  # three rows share each time
    for limit in (1, 2, 5):
        assert ids(s.search(limit=limit)) == _sorted_ids(events, limit, descending=True)
        assert ids(s.search(limit=limit, order="asc")) == _sorted_ids(events, limit, descending=False)


def test_decoded_row_groups_are_reused_and_survive_compaction(
    many_groups: tuple[EmbeddedEventStore, list[Event]],
) -> None:
    s, events = many_groups
    cache = s.engine.row_groups
    first = ids(s.search("source.ip:192.0.2.2", limit=30))
    misses = cache.stats()["misses"]
    assert misses >= 1
    assert ids(s.search("source.ip:192.0.2.2", limit=30)) == first
    assert cache.stats()["misses"] == misses and cache.stats()["hits"] >= 1
    s.seal_now()  # seals the tail and compacts: the files the cache knows are retired
    assert ids(s.search("source.ip:192.0.2.2", limit=30)) == first
    assert ids(s.search(limit=900)) == _sorted_ids(events, 900, descending=True)


def test_a_cache_of_no_bytes_still_answers(
    many_groups: tuple[EmbeddedEventStore, list[Event]],
) -> None:
    s, events = many_groups
    s.engine.row_groups.max_bytes = 0
    assert ids(s.search(limit=50)) == _sorted_ids(events, 50, descending=True)
    assert s.engine.row_groups.stats()["row_groups"] == 0
