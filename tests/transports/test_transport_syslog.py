"""Syslog UDP + TCP listeners against real sockets on 127.0.0.1 (port 0)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable

import pytest
from transport_support import nothing_more, take

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.syslog import SyslogServer
from soc_core.config import SyslogSettings
from soc_core.records import RawRecord
from soc_core.vocabulary import MAX_RECORD_BYTES

pytestmark = pytest.mark.timeout(60)


async def eventually(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError("condition not reached in time")
        await asyncio.sleep(0.01)


def run_with_server(
    body: Callable[[SyslogServer, IntakeQueue, IntakeStats], Awaitable[None]],
    max_records: int = 100_000,
    **settings: object,
) -> None:
    async def main() -> None:
        queue = IntakeQueue(max_records)
        stats = IntakeStats()
        server = SyslogServer(SyslogSettings(host="127.0.0.1", port=0, **settings), queue, stats)
        await server.start()
        try:
            await asyncio.wait_for(body(server, queue, stats), 50)
        finally:
            await server.stop()

    asyncio.run(main())


async def send_tcp(port: int, *chunks: bytes, close: bool = True) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    for chunk in chunks:
        writer.write(chunk)
        await writer.drain()
    if close:
        writer.close()
        await writer.wait_closed()


def totals_for(stats: IntakeStats, transport: str) -> dict[str, int]:
    peers = [p for p in stats.snapshot() if p.transport == transport]
    return {
        "records": sum(p.records for p in peers),
        "bytes": sum(p.bytes for p in peers),
        "errors": sum(p.errors for p in peers),
        "dropped": sum(p.dropped for p in peers),
        "connections": sum(p.connections for p in peers),
    }


def test_udp_and_tcp_share_one_port() -> None:
    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        assert server.tcp_address is not None and server.udp_address is not None
        assert server.tcp_address[1] == server.udp_address[1] == server.port != 0
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.sendto(b"<13>over udp\n", ("127.0.0.1", server.port))
            udp_port = udp.getsockname()[1]
            (rec,) = await take(queue, 1)
        assert rec.data == b"<13>over udp" and rec.origin == "syslog/udp"
        assert rec.peer == f"127.0.0.1:{udp_port}" and rec.offset == 0
        await send_tcp(server.port, b"<13>over tcp\n")
        (rec,) = await take(queue, 1)
        assert rec.data == b"<13>over tcp" and rec.origin == "syslog/tcp"
        assert rec.peer is not None and rec.peer.startswith("127.0.0.1:")
        assert totals_for(stats, "syslog/udp")["records"] == 1
        assert totals_for(stats, "syslog/tcp") == {
            "records": 1,
            "bytes": 13,
            "errors": 0,
            "dropped": 0,
            "connections": 1,
        }

    run_with_server(body)


def test_udp_trailers_stripped_once() -> None:
    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for payload in (b"<1>a\r\n", b"<1>b\x00", b"<1>c\n\n", b"<1>d", b"\n"):
                udp.sendto(payload, ("127.0.0.1", server.port))
            records = await take(queue, 4)
        assert sorted(r.data for r in records) == [b"<1>a", b"<1>b", b"<1>c\n", b"<1>d"]
        await nothing_more(queue)

    run_with_server(body)


def test_tcp_mixed_framing_in_one_stream() -> None:
    msgs = [b"<13>1 lf", b"<13>1 crlf", b"<13>1 octet\nwith LF", b"<13>1 nul", b"<13>1 last"]
    stream = (
        msgs[0]
        + b"\n"
        + msgs[1]
        + b"\r\n"
        + b"%d %s" % (len(msgs[2]), msgs[2])
        + msgs[3]
        + b"\x00"
        + msgs[4]
        + b"\n"
    )

    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        # Dribble the stream in 3-byte writes so frames straddle reads.
        await send_tcp(server.port, *[stream[i : i + 3] for i in range(0, len(stream), 3)])
        records = await take(queue, len(msgs))
        assert [r.data for r in records] == msgs
        assert [r.offset for r in records] == list(range(len(msgs)))
        assert len({r.peer for r in records}) == 1
        await nothing_more(queue)

    run_with_server(body)


def test_one_mib_line_exact_passes_whole() -> None:
    line = b"<13>" + b"x" * (MAX_RECORD_BYTES - 4)
    assert len(line) == 1_048_576

    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        await send_tcp(server.port, line + b"\n", b"<13>after\n")
        records = await take(queue, 2)
        assert records[0].data == line
        assert records[1].data == b"<13>after"
        assert totals_for(stats, "syslog/tcp")["errors"] == 0

    run_with_server(body)


def test_line_over_one_mib_truncated_counted_and_next_line_intact() -> None:
    line = b"<13>" + b"y" * (MAX_RECORD_BYTES - 4 + 1 + 500_000)

    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        await send_tcp(server.port, line + b"\n<13>next\n")
        records = await take(queue, 2)
        assert records[0].data == line[: MAX_RECORD_BYTES + 1]
        assert records[1].data == b"<13>next"
        assert [r.offset for r in records] == [0, 1]
        assert totals_for(stats, "syslog/tcp")["errors"] == 1
        await nothing_more(queue)

    run_with_server(body)


def test_partial_line_on_close_is_a_record() -> None:
    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        await send_tcp(server.port, b"<13>complete\n<13>no newline at end")
        records = await take(queue, 2)
        assert [r.data for r in records] == [b"<13>complete", b"<13>no newline at end"]
        assert totals_for(stats, "syslog/tcp")["records"] == 2

    run_with_server(body)


def test_many_concurrent_tcp_clients() -> None:
    clients, lines = 40, 250

    async def client(port: int, k: int) -> None:
        payload = b"".join(b"<13>client %d line %d\n" % (k, i) for i in range(lines))
        await send_tcp(port, payload[: len(payload) // 2], payload[len(payload) // 2 :])

    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        senders = asyncio.gather(*(client(server.port, k) for k in range(clients)))
        records = await take(queue, clients * lines)
        await senders
        by_peer: dict[str | None, list[RawRecord]] = {}
        for r in records:
            by_peer.setdefault(r.peer, []).append(r)
        assert len(by_peer) == clients
        for recs in by_peer.values():
            assert [r.offset for r in recs] == list(range(lines))  # per-connection order kept
            k = int(recs[0].data.split()[1])
            assert [r.data for r in recs] == [b"<13>client %d line %d" % (k, i) for i in range(lines)]
        assert totals_for(stats, "syslog/tcp")["connections"] == clients
        assert totals_for(stats, "syslog/tcp")["records"] == clients * lines
        await nothing_more(queue)

    run_with_server(body)


def test_tcp_backpressure_stalls_sender_and_loses_nothing() -> None:
    bound = 10
    total = 150_000  # ~30 MB: far more than socket buffers can absorb
    line = b"<13>1 2024-05-01T00:00:00Z host app - - - " + b"p" * 150

    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        sent = 0

        async def sender() -> None:
            nonlocal sent
            _, writer = await asyncio.open_connection("127.0.0.1", server.port)
            block = 1000
            for start in range(0, total, block):
                writer.write(b"".join(b"%s %d\n" % (line, i) for i in range(start, start + block)))
                await writer.drain()
                sent = start + block
            writer.close()
            await writer.wait_closed()

        task = asyncio.create_task(sender())
        peak = 0
        # Nobody consumes: the queue fills to its bound and the sender must stall.
        await eventually(lambda: len(queue) >= bound)
        # Bounded wait until the sender makes no progress for 0.3 s (buffers full).
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 20
        stalled_at, since = sent, loop.time()
        while loop.time() - since < 0.3:
            assert loop.time() < give_up, "sender never stalled"
            peak = max(peak, len(queue))
            await asyncio.sleep(0.01)
            if sent != stalled_at:
                stalled_at, since = sent, loop.time()
        assert not task.done(), "sender finished although nobody consumed"
        assert stalled_at < total
        assert len(queue) <= bound
        # Drain: everything arrives, in order, and the queue never exceeded its bound.
        got: list[RawRecord] = []
        deadline = loop.time() + 40
        while len(got) < total and loop.time() < deadline:
            peak = max(peak, len(queue))
            got += await queue.get_batch(7, timeout=1.0)
        await asyncio.wait_for(task, 5)
        assert peak <= bound
        assert len(got) == total
        assert [r.offset for r in got] == list(range(total))
        assert got[-1].data.endswith(b" %d" % (total - 1))

    run_with_server(body, max_records=bound)


def test_udp_drops_counted_when_queue_full() -> None:
    async def body(server: SyslogServer, queue: IntakeQueue, stats: IntakeStats) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            for i in range(60):
                udp.sendto(b"<13>dgram %d" % i, ("127.0.0.1", server.port))
            await eventually(lambda: totals_for(stats, "syslog/udp")["records"] == 60)
        assert len(queue) == 5
        counters = totals_for(stats, "syslog/udp")
        assert counters["dropped"] == 55
        records = await take(queue, 5)
        assert [r.data for r in records] == [b"<13>dgram %d" % i for i in range(5)]
        assert stats.totals()["dropped"] == 55

    run_with_server(body, max_records=5)


def test_tcp_only_and_udp_only_settings() -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(100), IntakeStats()
        tcp_only = SyslogServer(SyslogSettings(host="127.0.0.1", port=0, udp=False), queue, stats)
        udp_only = SyslogServer(SyslogSettings(host="127.0.0.1", port=0, tcp=False), queue, stats)
        await tcp_only.start()
        await udp_only.start()
        try:
            assert tcp_only.udp_address is None and tcp_only.tcp_address is not None
            assert udp_only.tcp_address is None and udp_only.udp_address is not None
            await send_tcp(tcp_only.port, b"<1>t\n")
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                udp.sendto(b"<1>u", ("127.0.0.1", udp_only.port))
                records = await take(queue, 2)
            assert sorted(r.data for r in records) == [b"<1>t", b"<1>u"]
        finally:
            await tcp_only.stop()
            await udp_only.stop()

    asyncio.run(asyncio.wait_for(main(), 30))


def test_stop_closes_open_connections_and_keeps_their_partial_line() -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(100), IntakeStats()
        server = SyslogServer(SyslogSettings(host="127.0.0.1", port=0), queue, stats)
        await server.start()
        _, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"<1>whole\n<1>half")
        await writer.drain()
        await eventually(lambda: len(queue) == 1)
        await asyncio.wait_for(server.stop(), 5)
        assert server.tcp_connections == 0
        records = await take(queue, 2)
        assert [r.data for r in records] == [b"<1>whole", b"<1>half"]
        writer.close()

    asyncio.run(asyncio.wait_for(main(), 30))


def _has_ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _has_ipv6_loopback(), reason="no IPv6 loopback")
def test_ipv6_listener_shares_port_and_brackets_peer() -> None:
    async def main() -> None:
        queue, stats = IntakeQueue(100), IntakeStats()
        server = SyslogServer(SyslogSettings(host="::1", port=0), queue, stats)
        await server.start()
        try:
            assert server.tcp_address is not None and server.udp_address is not None
            assert server.tcp_address[1] == server.udp_address[1]
            _, writer = await asyncio.open_connection("::1", server.port)
            writer.write(b"<13>v6\n")
            await writer.drain()
            writer.close()
            (rec,) = await take(queue, 1)
            assert rec.data == b"<13>v6"
            assert rec.peer is not None and rec.peer.startswith("[::1]:")
            assert [p.peer for p in stats.snapshot()] == ["::1"]
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(main(), 30))
