"""The intake queue: bounded, backpressure for TCP, counted drops for UDP."""

from __future__ import annotations

import asyncio

import pytest

from collectors.intake import IntakeQueue, IntakeStats
from soc_core.errors import UnknownIdError
from soc_core.records import RawRecord
from soc_core.registry import Registry


def rec(i: int) -> RawRecord:
    return RawRecord(data=b"x=%d" % i, received_at=0.0, origin="test", offset=i)


def test_offer_many_accepts_what_fits() -> None:
    async def go() -> None:
        q = IntakeQueue(3)
        assert q.offer_many([rec(i) for i in range(5)]) == 3
        assert len(q) == 3
        assert [r.offset for r in await q.get_batch(10)] == [0, 1, 2]
        assert await q.get_batch(10, timeout=0.01) == []

    asyncio.run(go())


def test_put_many_waits_for_room_and_keeps_order() -> None:
    async def go() -> None:
        q = IntakeQueue(2)
        await q.put_many([rec(0), rec(1)])
        producer = asyncio.create_task(q.put_many([rec(2)]))
        await asyncio.sleep(0.01)
        assert not producer.done()  # full: the producer waits (TCP backpressure)
        first = await q.get_batch(1)
        await asyncio.wait_for(producer, 5)
        rest = await q.get_batch(10)
        assert [r.offset for r in first + rest] == [0, 1, 2]

    asyncio.run(go())


def test_stats_count_per_peer() -> None:
    stats = IntakeStats()
    stats.received("syslog/udp", "192.0.2.1", 3, 300)
    stats.dropped("syslog/udp", "192.0.2.1", 1)
    stats.received("syslog/tcp", "192.0.2.2", 1, 10)
    assert stats.totals() == {"received": 4, "bytes": 310, "dropped": 1, "errors": 0}
    assert [(p.transport, p.peer, p.records) for p in stats.snapshot()] == [
        ("syslog/tcp", "192.0.2.2", 1),
        ("syslog/udp", "192.0.2.1", 3),
    ]


def test_registry_ids_are_unique_and_errors_list_known_ids() -> None:
    reg: Registry[type] = Registry("parser")
    reg.add("a.b", int)
    with pytest.raises(ValueError):
        reg.add("a.b", str)
    with pytest.raises(UnknownIdError, match=r"known: a\.b"):
        reg.get("c.d")
    assert list(reg) == ["a.b"] and "a.b" in reg


def test_registry_replace_remove_restore_bump_the_version() -> None:
    reg: Registry[type] = Registry("parser")
    reg.add("a.b", int)
    saved, version = reg.snapshot(), reg.version
    reg.replace("a.b", str)
    assert reg.get("a.b") is str and reg.version > version
    reg.remove("a.b")
    assert "a.b" not in reg
    removed_at = reg.version
    reg.remove("a.b")  # already gone: nothing changes
    assert reg.version == removed_at
    reg.restore(saved)
    assert reg.get("a.b") is int and reg.version > removed_at


def test_put_many_never_exceeds_the_bound() -> None:
    async def go() -> None:
        q = IntakeQueue(4)
        producer = asyncio.create_task(q.put_many([rec(i) for i in range(10)]))
        seen: list[int] = []
        while len(seen) < 10:
            await asyncio.sleep(0)
            assert len(q) <= 4
            seen += [r.offset or 0 for r in await q.get_batch(3, timeout=1)]
        await producer
        assert seen == list(range(10))

    asyncio.run(go())
