"""Newest-first search looks back in growing slices and reads only populated columns, over a
pool of DuckDB connections: its answers must equal a brute-force ordering of the same events,
for frequent and rare values, sealed and unsealed, from one thread or many."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from embedded_support import T0, fw_event, settings

from soc_core.events import Event
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
