"""Throughput of the syslog framing and the TCP intake path (not a test; run by hand).

    .venv/bin/python tests/transports/bench_transports.py [--lines 1000000]

Prints a baseline measured in the same run beside each figure: plain ``bytes.split`` over
the same chunks (the floor for any LF splitter written in Python) and, for TCP, the raw
socket read rate of the same stream without framing or queueing.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import socket
import time

from collectors.intake import IntakeQueue, IntakeStats
from collectors.transports.framing import Framer
from collectors.transports.syslog import SyslogServer
from soc_core.config import SyslogSettings

CHUNK = 64 * 1024


def make_line(size: int = 200) -> bytes:
    head = b"<134>1 2024-05-01T12:00:00.000+08:00 fw-01 filterlog 1234 - - 5,,,1000,igb0,match,pass,in,4,"
    return head + b"x" * (size - 1 - len(head)) + b"\n"


def chunks_of(data: bytes) -> list[bytes]:
    return [data[i : i + CHUNK] for i in range(0, len(data), CHUNK)]


def bench_framer(lines: int) -> None:
    line = make_line()
    pieces = chunks_of(line * lines)
    t0 = time.perf_counter()
    rest = b""
    n = 0
    for piece in pieces:
        parts = (rest + piece).split(b"\n")
        rest = parts.pop()
        n += len(parts)
    baseline = n / (time.perf_counter() - t0)
    for name, stream in (
        ("LF", line * lines),
        ("CRLF", line.replace(b"\n", b"\r\n") * lines),
        ("octet-counted", (b"%d %s" % (len(line) - 1, line[:-1])) * lines),
    ):
        pieces = chunks_of(stream)
        framer = Framer()
        t0 = time.perf_counter()
        got = 0
        for piece in pieces:
            got += len(framer.feed(piece))
        got += len(framer.close())
        took = time.perf_counter() - t0
        assert got == lines, (name, got)
        print(
            f"Framer {name:14s} {lines / took:>12,.0f} records/s  {len(stream) / took / 1e6:7.0f} MB/s"
            f"   (baseline bare bytes.split of the LF stream: {baseline:,.0f} lines/s)"
        )


def _send(port: int, payload: bytes, repeat: int) -> None:
    with socket.create_connection(("127.0.0.1", port)) as sock:
        for _ in range(repeat):
            sock.sendall(payload)


async def _raw_read_rate(payload: bytes, repeat: int) -> float:
    """Baseline: bytes/s a bare asyncio protocol reads from the same sender."""
    done = asyncio.get_running_loop().create_future()
    total = len(payload) * repeat

    class Sink(asyncio.Protocol):
        n = 0

        def data_received(self, data: bytes) -> None:
            self.n += len(data)
            if self.n >= total and not done.done():
                done.set_result(None)

    server = await asyncio.get_running_loop().create_server(Sink, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    proc = multiprocessing.Process(target=_send, args=(port, payload, repeat))
    t0 = time.perf_counter()
    proc.start()
    await done
    took = time.perf_counter() - t0
    proc.join()
    server.close()
    return total / took


async def bench_tcp(lines: int) -> None:
    line = make_line()
    block = line * 1000
    repeat = lines // 1000
    total = repeat * 1000
    raw = await _raw_read_rate(block, repeat)
    queue, stats = IntakeQueue(200_000), IntakeStats()
    server = SyslogServer(SyslogSettings(host="127.0.0.1", port=0, udp=False), queue, stats)
    await server.start()
    proc = multiprocessing.Process(target=_send, args=(server.port, block, repeat))
    t0 = time.perf_counter()
    proc.start()
    got = 0
    while got < total:
        got += len(await queue.get_batch(5000, timeout=30))
    took = time.perf_counter() - t0
    proc.join()
    await server.stop()
    print(
        f"TCP intake (socket → RawRecord → queue → consumer): {total / took:,.0f} records/s"
        f"   (baseline raw asyncio read of the same stream: {raw / len(line):,.0f} lines/s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_framer(args.lines)
    asyncio.run(bench_tcp(args.lines))


if __name__ == "__main__":
    main()
