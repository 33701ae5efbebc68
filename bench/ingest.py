"""End-to-end ingest: events/s over TCP into a real ``soc run``, latency and size on disk.

Figures:
- sustained events/s stored end to end (TCP → parse → fsync'd store), over N lines on C
  connections, with p50/p99 receive→searchable latency reported by the pipeline;
- time until 1,000 lines sent over TCP are returned by ``soc search --count``;
- bytes on disk after sealing / raw bytes received.
Baseline in the same run: a bare asyncio TCP server that only splits lines (the ceiling of
Python intake on this machine), so the ratio says what parsing and durable storage cost.

Run: ``.venv/bin/python bench/ingest.py [--lines 400000] [--connections 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import statistics
import tempfile
import threading
import time
from pathlib import Path

from soc_api.testing import (
    PlatformProcess,
    add_user,
    firewall_line,
    free_port,
    search_count,
    send_tcp,
    wait_for,
)


def _bare_server(port: int, expected: int, ready: multiprocessing.synchronize.Event,
                 done: multiprocessing.synchronize.Event) -> None:
    """Baseline receiver: asyncio TCP, count LF-separated lines, nothing else."""

    async def main() -> None:
        count = 0
        finished = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            nonlocal count
            while chunk := await reader.read(256 * 1024):
                count += chunk.count(b"\n")
                if count >= expected:
                    finished.set()
            writer.close()

        server = await asyncio.start_server(handle, "127.0.0.1", port)
        ready.set()
        await finished.wait()
        server.close()
        done.set()

    asyncio.run(main())


def _send_parallel(port: int, lines: int, connections: int) -> float:
    """Send ``lines`` over ``connections`` sockets at once; returns the start time."""
    per = lines // connections
    payloads = []
    for c in range(connections):
        payloads.append(b"".join(firewall_line(i) + b"\n" for i in range(c * per, (c + 1) * per)))
    started = time.monotonic()

    def push(payload: bytes) -> None:
        send_tcp(port, [payload[:-1]])

    threads = [threading.Thread(target=push, args=(p,)) for p in payloads]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return started


def baseline(lines: int, connections: int) -> float:
    """Lines/s of the bare asyncio receiver."""
    port = free_port()
    ctx = multiprocessing.get_context("spawn")
    ready, done = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_bare_server, args=(port, lines - lines % connections, ready, done))
    proc.start()
    ready.wait(30)
    started = _send_parallel(port, lines, connections)
    done.wait(300)
    elapsed = time.monotonic() - started
    proc.join(30)
    return (lines - lines % connections) / elapsed


def shaowang(lines: int, connections: int, workdir: Path) -> dict[str, float]:
    """Events/s, latency and size ratio of a real ``soc run``."""
    data = workdir / "data"
    add_user(data, "bench", "analyst")
    figures: dict[str, float] = {}
    with PlatformProcess(data) as soc:
        soc.login("bench")
        # 1,000 lines → searchable by `soc search --count` in another process.
        t0 = time.monotonic()
        send_tcp(soc.syslog_port, (firewall_line(10_000_000 + i) for i in range(1000)))
        wait_for(lambda: search_count(data, "syslog.kv.seq:>=10000000") == 1000, timeout=60, interval=0.05)
        figures["first_1000_searchable_s"] = time.monotonic() - t0

        total = lines - lines % connections
        raw_bytes = sum(len(firewall_line(i)) + 1 for i in range(total)) + sum(
            len(firewall_line(10_000_000 + i)) + 1 for i in range(1000))
        before = soc.stats()["stored"]
        started = _send_parallel(soc.syslog_port, total, connections)
        wait_for(lambda: soc.stats()["stored"] >= before + total, timeout=900, interval=0.05)
        elapsed = time.monotonic() - started
        stats = soc.stats()
        figures["events_per_s"] = total / elapsed
        figures["p50_ms"] = stats["latency_ms"]["p50"]
        figures["p99_ms"] = stats["latency_ms"]["p99"]
        figures["dead_lettered"] = stats["dead_lettered"]
        figures["dropped"] = stats["dropped"]
        # Wait for the tail to be sealed into Parquet, then compare bytes on disk.
        wait_for(lambda: soc.stats()["store"].get("segments", 0) <= 1 and soc.stats()["store"]
                 .get("unsealed_events", 0) == 0, timeout=300, interval=0.5)
        store = soc.stats()["store"]
        figures["disk_bytes"] = store["bytes_on_disk"]
        figures["raw_bytes"] = raw_bytes
        figures["size_ratio"] = store["bytes_on_disk"] / raw_bytes
        figures["stored_total"] = search_count(data)
    return figures


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=400_000)
    ap.add_argument("--connections", type=int, default=4)
    ap.add_argument("--runs", type=int, default=3, help="baseline runs (median)")
    args = ap.parse_args()
    base = statistics.median(baseline(args.lines, args.connections) for _ in range(args.runs))
    with tempfile.TemporaryDirectory(prefix="shaowang-bench-") as tmp:
        f = shaowang(args.lines, args.connections, Path(tmp))
    print(f"ingest over TCP: {args.lines:,} lines on {args.connections} connections")
    print(f"  shaowang end to end (parse + fsync'd store): {f['events_per_s']:10,.0f} events/s")
    print(f"  baseline bare asyncio line counter:          {base:10,.0f} lines/s (median of {args.runs})")
    print(f"  ratio shaowang/baseline: {f['events_per_s'] / base:.2f}")
    print(f"  receive→searchable latency: p50 {f['p50_ms']:.0f} ms, p99 {f['p99_ms']:.0f} ms")
    print(f"  1,000 lines searchable via `soc search --count` after {f['first_1000_searchable_s']:.2f} s")
    print(f"  on disk after sealing: {f['disk_bytes']:,.0f} B for {f['raw_bytes']:,.0f} B raw "
          f"= {f['size_ratio'] * 100:.1f} % (event.original kept)")
    print(f"  stored {f['stored_total']:,.0f}, dead-lettered {f['dead_lettered']:.0f}, dropped {f['dropped']:.0f}")


if __name__ == "__main__":
    main()
