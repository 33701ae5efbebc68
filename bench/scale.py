"""Scale-out: events/s through ``soc worker`` with 1 and with 2 workers, in the same run.

    python bench/scale.py                      # 300,000 events, 8 partitions
    python bench/scale.py --events 50000 --workers 1 2 --repeats 1

Per round: a fresh ``nats-server -js`` on loopback; the events (realistic key=value firewall
lines from 250 sources, parsed here once, as a collector would) are published to the bus
before any worker runs; then the workers start (real ``soc worker`` processes with the shipped
Sigma rules and correlations, asset enrichment, the embedded event store — one data directory
per worker — and one shared SQLite state store) and drain the stream. Progress is read from
JetStream itself (messages still pending or unacknowledged on the partition consumers), so
the figure is the rate at which events are stored and acknowledged.

The rate is taken from the moment the leases have settled (every worker serving its share of
the partitions, read from the lease bucket) to the last acknowledgement: process start-up and
the first rebalance fall before it; the share of the events measured is printed. The baseline
is the 1-worker round of the same run; the scaling factor is the 2-worker rate over it.
Medians of ``--repeats`` rounds.

On a machine with fewer free cores than workers plus nats-server, the factor says so: the
workers then share cores rather than add them (the figure printed beside it is ``os.cpu_count()``).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nats.js.errors import KeyNotFoundError, NotFoundError

from collectors.parse import parse_record
from soc_api.runtime.scaleout.bus import Bus, durable_name
from soc_api.runtime.scaleout.collector import split_by_partition
from soc_api.testing import NatsServer, SocNode, firewall_line, nats_server_binary
from soc_core.config import ScaleoutSettings
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.state.db import open_state

RECEIVED_AT = 1_795_766_400.0


def make_events(count: int) -> list[Event]:
    """Parsed events with ids, as collectors publish them."""
    out: list[Event] = []
    for seq in range(count):
        record = RawRecord(
            data=firewall_line(seq), received_at=RECEIVED_AT, origin="syslog/tcp", peer="192.0.2.250:514"
        )
        for event in parse_record(record).events:
            event.ensure_id()
            out.append(event)
    return out


async def publish(settings: ScaleoutSettings, events: list[Event]) -> float:
    """Publish everything; returns events/s of the publisher (for information)."""
    bus = await Bus.connect(settings, name="bench-publisher")
    try:
        messages = split_by_partition(
            events,
            fields=settings.partition_fields,
            partitions=settings.partitions,
            batch_max=settings.batch_max,
        )
        started = time.perf_counter()
        for partition, chunk in messages:
            await bus.publish(partition, chunk)
        return len(events) / (time.perf_counter() - started)
    finally:
        await bus.close()


async def remaining(settings: ScaleoutSettings, bus: Bus, total_per_partition: dict[int, int]) -> int:
    """Events not yet acknowledged (by message: each message's size is known from publishing)."""
    left = 0
    for partition, messages in total_per_partition.items():
        try:
            info = await bus.js.consumer_info(settings.stream, durable_name(partition))
        except NotFoundError:
            left += messages
            continue
        left += (info.num_pending or 0) + (info.num_ack_pending or 0)
    return left


def run_round(
    workers: int, events: list[Event], workdir: Path, binary: str, partitions: int
) -> dict[str, float]:
    """One round: fresh bus, publish, start ``workers`` workers, time the drain."""
    workdir.mkdir(parents=True)
    server = NatsServer(workdir / "nats", binary)
    server.wait_ready()
    settings = ScaleoutSettings(nats_url=server.url, partitions=partitions, lease_s=5, batch_max=500)
    config = workdir / "shaowang.toml"
    config.write_text(
        f'data_dir = "{workdir / "data"}"\n'
        f'[state]\nurl = "sqlite:///{workdir / "state.db"}"\n'
        f'[scaleout]\nnats_url = "{server.url}"\npartitions = {partitions}\nlease_s = 5\nbatch_max = 500\n'
        "[ingest]\nparse_workers = 0\n",
        encoding="utf-8",
    )
    nodes: list[SocNode] = []
    try:
        publish_rate = asyncio.run(publish(settings, events))
        messages = split_by_partition(
            events, fields=settings.partition_fields, partitions=partitions, batch_max=settings.batch_max
        )
        per_partition: dict[int, int] = {}
        for partition, _chunk in messages:
            per_partition[partition] = per_partition.get(partition, 0) + 1
        sizes = [len(chunk) for _p, chunk in messages]
        events_per_message = sum(sizes) / len(sizes)
        open_state(f"sqlite:///{workdir / 'state.db'}").close()  # the schema, before the workers race for it
        for n in range(1, workers + 1):
            nodes.append(SocNode(workdir, config, "worker", f"w{n}", "--data", str(workdir / f"data-w{n}")))
        timeline, balanced_at = asyncio.run(_watch(settings, per_partition, len(messages), workers))
    finally:
        for node in nodes:
            node.stop()
        server.stop()
    total = len(events)
    marks = [(t, done * events_per_message) for t, done in timeline]
    start = next(i for i, (t, _done) in enumerate(marks) if t >= balanced_at)
    t0, done0 = marks[start]
    t1, _ = marks[-1]
    return {
        "rate": (total - done0) / (t1 - t0),
        "publish": publish_rate,
        "measured_share": (total - done0) / total,
        "drain_s": t1 - t0,
    }


async def _watch(
    settings: ScaleoutSettings, per_partition: dict[int, int], messages: int, workers: int
) -> tuple[list[tuple[float, int]], float]:
    """(time, messages acknowledged) every 50 ms until all are; and when the leases settled:
    every worker serving its share of the partitions."""
    bus = await Bus.connect(settings, name="bench-watch")
    timeline: list[tuple[float, int]] = []
    balanced_at: float | None = None
    share = settings.partitions // workers
    try:
        deadline = time.monotonic() + 1800
        while time.monotonic() < deadline:
            left = await remaining(settings, bus, per_partition)
            now = time.monotonic()
            timeline.append((now, messages - left))
            if balanced_at is None and await _balanced(bus, settings.partitions, workers, share):
                balanced_at = now
            if left == 0:
                return timeline, balanced_at if balanced_at is not None else timeline[0][0]
            await asyncio.sleep(0.05)
        raise TimeoutError("the workers did not drain the stream in 30 minutes")
    finally:
        await bus.close()


async def _balanced(bus: Bus, partitions: int, workers: int, share: int) -> bool:
    owners: dict[str, int] = {}
    for partition in range(partitions):
        try:
            entry = await bus.leases.get(f"partition.{partition}")
        except KeyNotFoundError:
            return False
        if entry.value is None:
            return False
        name = entry.value.decode()
        owners[name] = owners.get(name, 0) + 1
    return len(owners) == workers and min(owners.values()) >= share


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    binary = nats_server_binary()
    if binary is None:
        sys.exit("nats-server is not installed (apt-get install nats-server)")
    print(f"parsing {args.events:,} firewall lines …", flush=True)
    events = make_events(args.events)
    results: dict[int, list[dict[str, float]]] = {n: [] for n in args.workers}
    with tempfile.TemporaryDirectory(prefix="soc-scale-") as tmp:
        for round_no in range(args.repeats):
            for workers in args.workers:
                figures = run_round(
                    workers, events, Path(tmp) / f"r{round_no}-w{workers}", binary, args.partitions
                )
                results[workers].append(figures)
                print(
                    f"round {round_no + 1}: {workers} worker(s): {figures['rate']:>9,.0f} events/s "
                    f"(over the last {figures['measured_share']:.0%} of the events, "
                    f"{figures['drain_s']:.1f} s, "
                    f"after the leases settled; publisher {figures['publish']:,.0f} events/s)",
                    flush=True,
                )
    base = statistics.median(r["rate"] for r in results[args.workers[0]])
    print(
        f"\n{args.events:,} events, {args.partitions} partitions, "
        f"median of {args.repeats}, {os.cpu_count()} CPUs"
    )
    for workers in args.workers:
        rate = statistics.median(r["rate"] for r in results[workers])
        print(
            f"{workers} worker(s): {rate:>9,.0f} events/s  ({rate / workers:,.0f} per worker)  "
            f"scaling ×{rate / base:.2f} vs {args.workers[0]} worker(s)"
        )


if __name__ == "__main__":
    main()
