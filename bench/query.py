"""Benchmark of the embedded event store: build N firewall events, time typical queries.

    python bench/query.py                       # 10,000,000 events in ./bench-data (reused)
    python bench/query.py --events 1000000 --data /tmp/b1m

Events go through the real ``append`` (one fsync'd frame per batch) and background sealing, so
the build time is also a write-path figure. Each query is timed as the median of 5 runs and
printed beside a same-run baseline: the hand-written SQL on a plain DuckDB connection over the
same Parquet files (no snapshot, no query compiler, no tail).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import duckdb

from soc_core.config import StoreSettings
from soc_core.events import Endpoint, Event, EventInfo, Interface, Network, Observer, ObserverSide, Rule
from soc_core.storage.embedded import EmbeddedEventStore

BATCH = 5000
DAY = 86400
META = "bench-meta.json"
PORTS = (
    [443] * 30
    + [80] * 12
    + [53] * 15
    + [22] * 4
    + [3389] * 3
    + [445] * 3
    + [8080] * 4
    + [123] * 5
    + [
        25,
        587,
        993,
        3306,
        5432,
        1433,
        161,
        389,
        636,
        8443,
        9200,
        6379,
    ]
)
SERVICES = {
    443: "HTTPS",
    80: "HTTP",
    53: "DNS",
    22: "SSH",
    3389: "RDP",
    445: "SMB",
    123: "NTP",
    8080: "HTTP-8080",
}
ACTIONS = ["accept"] * 85 + ["deny"] * 12 + ["drop"] * 3
FIREWALLS = ["fw-core-01", "fw-core-02", "fw-dmz-01"]
UNIT = [i / 1000 for i in range(1000)]
SPORTS = range(1024, 65535)
POLICIES = range(1, 40)
DURATIONS = range(0, 600)
SENT = range(40, 200_000)
RCVD = range(0, 2_000_000)


def _hosts(rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    internal = [f"192.0.2.{i}" for i in range(1, 255)]
    external = [f"198.51.100.{i}" for i in range(1, 255)] + [f"203.0.113.{i}" for i in range(1, 255)]
    v6 = [f"2001:db8:{rng.randrange(1, 0xFFFF):x}::{rng.randrange(1, 0xFFFF):x}" for _ in range(500)]
    return internal, external, v6


def generate(n: int, end: dt.datetime, seed: int = 7) -> Iterator[tuple[list[Event], int]]:
    """Batches of realistic FortiGate-like traffic events over the 24 h before ``end``."""
    rng = random.Random(seed)
    internal, external, v6 = _hosts(rng)
    t0 = end.timestamp() - DAY
    step = DAY / n
    rand = rng.random
    fromts, utc = dt.datetime.fromtimestamp, dt.UTC
    cst = dt.timezone(dt.timedelta(hours=8))  # the firewalls log China Standard Time
    header: dict[int, str] = {}
    i = 0
    while i < n:
        batch: list[Event] = []
        raw = 0
        m = min(BATCH, n - i)
        ids = bytes.hex(os.urandom(16 * m), " ", 16).split(" ")
        # Draw each field for the whole batch at once: random.choices loops in C.
        r_out = [x < 0.7 for x in rng.choices(UNIT, k=m)]
        r_v6 = [x < 0.05 for x in rng.choices(UNIT, k=m)]
        r_int, r_ext, r_v6a, r_v6b = (rng.choices(pop, k=m) for pop in (internal, external, v6, v6))
        r_sport = rng.choices(SPORTS, k=m)
        r_dport, r_action, r_fw = (
            rng.choices(PORTS, k=m),
            rng.choices(ACTIONS, k=m),
            rng.choices(FIREWALLS, k=m),
        )
        r_policy, r_dur = rng.choices(POLICIES, k=m), rng.choices(DURATIONS, k=m)
        r_sent, r_rcvd = rng.choices(SENT, k=m), rng.choices(RCVD, k=m)
        for k in range(m):
            epoch = t0 + i * step + rand() * 0.5
            ts = fromts(epoch, utc)
            sec = int(epoch)
            if sec not in header:
                header.clear()
                local = fromts(sec, cst)
                header[sec] = f"{local:%b %d %H:%M:%S} {{}} date={local:%Y-%m-%d} time={local:%H:%M:%S}"
            outbound = r_out[k]
            if r_v6[k]:
                src, dst = r_v6a[k], r_v6b[k]
            elif outbound:
                src, dst = r_int[k], r_ext[k]
            else:
                src, dst = r_ext[k], r_int[k]
            sport, dport = r_sport[k], r_dport[k]
            proto = "udp" if dport in (53, 123, 161) else "tcp"
            action, fw, policy = r_action[k], r_fw[k], r_policy[k]
            sent, rcvd, dur = r_sent[k], r_rcvd[k], r_dur[k]
            svc = SERVICES.get(dport, f"tcp/{dport}")
            original = (
                f'<189>{header[sec].format(fw)} devname="{fw}" type="traffic" srcip={src} srcport={sport} '
                f'dstip={dst} dstport={dport} proto={6 if proto == "tcp" else 17} action="{action}" '
                f'policyid={policy} service="{svc}" duration={dur} sentbyte={sent} rcvdbyte={rcvd}'
            )
            raw += len(original) + 1
            allowed = action == "accept"
            batch.append(
                Event(
                    timestamp=ts,
                    event=EventInfo(
                        id=ids[k],
                        kind="event",
                        category=["network"],
                        type=["connection", "allowed" if allowed else "denied"],
                        action=action,
                        outcome="success" if allowed else "failure",
                        dataset="fortinet.firewall",
                        module="fortinet",
                        duration=dur * 1_000_000_000,
                        original=original,
                    ),
                    observer=Observer(
                        vendor="Fortinet",
                        product="Fortigate",
                        type="firewall",
                        hostname=fw,
                        ingress=ObserverSide(interface=Interface(name="port1" if outbound else "wan1")),
                    ),
                    source=Endpoint(ip=src, port=sport, bytes=sent),
                    destination=Endpoint(ip=dst, port=dport, bytes=rcvd),
                    network=Network(transport=proto, protocol=svc.lower(), bytes=sent + rcvd),
                    rule=Rule(id=str(policy)),
                )
            )
            i += 1
        yield batch, raw


def build(data: Path, n: int) -> dict[str, object]:
    """Write N events through append + sealing; returns the metadata saved beside the store."""
    end = dt.datetime(2026, 11, 27, tzinfo=dt.UTC)
    store = EmbeddedEventStore.open_writer(data, StoreSettings())
    raw = appended = 0
    t_gen = t_append = 0.0
    t0 = time.perf_counter()
    mark = time.perf_counter()
    for batch, batch_raw in generate(n, end):
        t1 = time.perf_counter()
        t_gen += t1 - mark
        store.append(batch)
        mark = time.perf_counter()
        t_append += mark - t1
        raw += batch_raw
        appended += len(batch)
        if appended % 1_000_000 == 0:
            print(f"  {appended:>11,} appended  {time.perf_counter() - t0:7.1f}s", flush=True)
    t_written = time.perf_counter() - t0
    store.seal_now()
    t_total = time.perf_counter() - t0
    stats = store.stats()
    store.close()
    meta: dict[str, object] = {
        "events": appended,
        "raw_bytes": raw,
        "end": end.isoformat(),
        "append_s": round(t_append, 2),
        "generate_s": round(t_gen, 2),
        "append_events_per_s": round(appended / t_append),
        "build_s": round(t_total, 1),
        "written_s": round(t_written, 1),
        "sealed_files": stats["sealed_files"],
    }
    (data / META).write_text(json.dumps(meta, indent=1))
    return meta


def median_time(fn: Callable[[], object], runs: int = 5) -> tuple[float, object]:
    """Median seconds of ``runs`` calls (after one warm-up) and the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("bench-data"))
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--rebuild", action="store_true", help="delete and rebuild the store")
    args = ap.parse_args(argv)
    meta_path = args.data / META
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if args.rebuild or meta is None or meta.get("events") != args.events:
        if args.data.exists():
            import shutil

            shutil.rmtree(args.data)
        print(f"building {args.events:,} events in {args.data} …", flush=True)
        meta = build(args.data, args.events)
    assert meta is not None
    print(json.dumps(meta))
    end = dt.datetime.fromisoformat(str(meta["end"]))
    start = end - dt.timedelta(hours=24)
    store = EmbeddedEventStore.open_reader(args.data)
    stats = store.stats()
    ratio = stats["bytes_on_disk"] / int(str(meta["raw_bytes"]))
    disk_mb, raw_mb = stats["bytes_on_disk"] / 1e6, int(str(meta["raw_bytes"])) / 1e6
    print(
        f"events {stats['events']:,}  files {stats['sealed_files']}  on disk {disk_mb:,.1f} MB"
        f"  raw {raw_mb:,.1f} MB  ratio {ratio:.1%}"
    )
    ip = "192.0.2.77"
    base = duckdb.connect()
    base.execute("SET TimeZone='UTC'").fetchall()
    glob = str(args.data / "events" / "sealed" / "**" / "*.parquet").replace("'", "''")
    src = f"read_parquet('{glob}', union_by_name = true, hive_partitioning = false)"
    ts = '"@timestamp" >= ? AND "@timestamp" < ?'

    def plain(sql: str, *params: object) -> Callable[[], object]:
        return lambda: base.execute(sql, [*params]).fetchall()

    cases: list[tuple[str, Callable[[], object], Callable[[], object]]] = [
        (
            "terms destination.port, 24h",
            lambda: store.terms("destination.port", start=start, end=end, size=10),
            plain(
                f'SELECT "destination.port", count(*) c FROM {src} WHERE {ts} '
                'AND "destination.port" IS NOT NULL GROUP BY 1 ORDER BY c DESC LIMIT 10',
                start,
                end,
            ),
        ),
        (
            f"search source.ip:{ip} (100 docs)",
            lambda: len(store.search(f"source.ip:{ip}", start=start, end=end, limit=100)),
            plain(
                f'SELECT * FROM {src} WHERE "source.ip" = ? AND {ts} ORDER BY "@timestamp" DESC LIMIT 100',
                ip,
                start,
                end,
            ),
        ),
        (
            "count source.ip:198.51.100.0/24",
            lambda: store.count("source.ip:198.51.100.0/24", start=start, end=end),
            plain(f"SELECT count(*) FROM {src} WHERE \"source.ip\" LIKE '198.51.100.%' AND {ts}", start, end),
        ),
        (
            'count phrase "service=\\"RDP\\" duration=42"',
            lambda: store.count('"service=\\"RDP\\" duration=42"', start=start, end=end),
            plain(
                f"SELECT count(*) FROM {src} WHERE "
                f'contains(lower("event.original"), \'service="rdp" duration=42\') AND {ts}',
                start,
                end,
            ),
        ),
    ]
    print(f"{'query':<44} {'store':>9} {'plain DuckDB':>13} {'ratio':>7}  result")
    for name, fn, baseline in cases:
        t_store, result = median_time(fn)
        t_base, _ = median_time(baseline)
        shown = result if not isinstance(result, list) else result[:3]
        print(f"{name:<44} {t_store * 1000:8.0f}ms {t_base * 1000:11.0f}ms {t_store / t_base:6.2f}x  {shown}")
    store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
