"""API latency under load: 50 concurrent clients against a store of 10 million events.

    python bench/api.py                         # 10,000,000 events in ./bench-data (shared with query.py)
    python bench/api.py --events 1000000 --data /tmp/b1m --requests 40

The store is built (or reused) by ``bench/query.py``'s generator through the real write path;
the StateStore gets the accounts and an alert queue of ``--alerts`` rows. The API runs in its own
process under uvicorn, exactly as ``soc run`` serves it; the clients run in this process, each
with its own keep-alive connection, Bearer token and host to search for.

Three routes are loaded one after the other with the same clients:
  * ``GET /healthz``              — the baseline: the server and the clients themselves;
  * ``GET /api/v1/alerts``        — the triage queue, first page of 50, newest first;
  * ``GET /api/v1/events``        — a one-field search (``source.ip:<the client's host>``, a
    different host per client) over the last 24 hours, newest 100.

Two load models, both printed:
  * ``console`` (the target's): 50 analysts at their consoles, each sending its next request a
    random think time after the last answer (exponential, mean ``--think`` s, seeded);
  * ``saturation``: the same 50 clients firing back to back (no think time), which measures
    throughput and shows how the queue grows once the machine is saturated.
Printed: p50/p90/p99/max per route, requests/s, and each route's p99 beside the baseline's.
Target: console p99 under 300 ms for the alert list and the event search.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import random
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import httpx  # noqa: E402

from soc_core.alerts import Alert  # noqa: E402
from soc_core.state.alerts import save_alerts  # noqa: E402
from soc_core.state.db import open_state  # noqa: E402
from soc_core.state.users import create_user, list_users  # noqa: E402
from soc_core.vocabulary import Severity  # noqa: E402

PASSWORD = "Bench-Analyst-2026"
STATE_FILE = "bench-api-state.db"
RULES = [
    ("shaowang-web-sqli", "SQL 注入尝试", "SQL injection"),
    ("shaowang-portscan", "端口扫描", "port scan"),
    ("shaowang-bruteforce-ssh", "SSH 暴力破解", "brute force"),
    ("shaowang-c2-beacon", "C2 心跳外联", "command and control"),
    ("shaowang-webshell", "WebShell 访问", "web shell"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed_state(url: str, *, alerts: int, end: dt.datetime, clients: int) -> None:
    """Accounts for the clients and a queue of ``alerts`` alerts over the last day."""
    rng = random.Random(11)
    with open_state(url) as state:
        with state.session() as session:
            if list_users(session):
                return
            for n in range(clients):
                create_user(session, username=f"analyst{n:02d}", password=PASSWORD, roles=["analyst"])
        batch: list[Alert] = []
        for n in range(alerts):
            rule_id, name, attack = RULES[n % len(RULES)]
            at = end - dt.timedelta(seconds=rng.uniform(0, 86400))
            batch.append(
                Alert(
                    id=f"bench-{n:07d}",
                    rule_id=rule_id,
                    rule_name=name,
                    severity=Severity(rng.choice([2, 3, 3, 4, 4, 5])),
                    timestamp=at,
                    last_seen=at + dt.timedelta(seconds=rng.uniform(0, 600)),
                    source_ip=f"203.0.113.{rng.randrange(1, 255)}",
                    destination_ip=f"192.0.2.{rng.randrange(1, 255)}",
                    attack_type=attack,
                    count=rng.randrange(1, 40),
                    event_ids=[os.urandom(16).hex()],
                )
            )
            if len(batch) == 1000:
                with state.session() as session:
                    save_alerts(session, alerts=batch)
                batch = []
        if batch:
            with state.session() as session:
                save_alerts(session, alerts=batch)


SERVER = r"""
import sys, uvicorn
sys.path.insert(0, {root!r})
from soc_api.app import create_app
from soc_api.context import AppContext
from soc_core.config import load_settings
from soc_core.state.db import open_state
from soc_core.storage.embedded import EmbeddedEventStore
settings = load_settings(data_dir={data!r})
events = EmbeddedEventStore.open_reader({data!r})
ctx = AppContext(settings=settings, events=events, state=open_state({url!r}))
uvicorn.run(create_app(ctx), host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def start_server(data: Path, url: str, port: int) -> subprocess.Popen[bytes]:
    code = SERVER.format(root=str(ROOT), data=str(data), url=url, port=port)
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the API server did not come up within 60 s")


async def load(
    base: str,
    path: str,
    params: list[dict[str, Any]],
    tokens: list[str],
    per_client: int,
    think: float,
) -> tuple[list[float], float, int]:
    """Client ``i`` sends ``per_client`` requests with ``params[i]``, pausing a random think time
    (mean ``think`` s; 0: back to back) after each answer. Latencies in ms, wall time, errors
    and requests retried on a fresh connection."""
    latencies: list[float] = []
    errors = retried = 0

    # Every client is made before the clock starts, all with one TLS context: making 50 takes
    # over a second of this process's CPU (a default context each), which would otherwise land
    # in the latencies of the first requests as a stall of the clients, not of the server.
    tls = ssl.create_default_context()
    https = [
        httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60, verify=tls)
        for token in tokens
    ]

    async def client(n: int, http: httpx.AsyncClient) -> None:
        nonlocal errors, retried
        rng = random.Random(1000 + n)
        async with http:
            if think:
                await asyncio.sleep(rng.uniform(0, think))  # the consoles do not start in step
            for _ in range(per_client):
                t = time.perf_counter()
                try:
                    response = await http.get(path, params=params[n])
                except (httpx.RemoteProtocolError, httpx.ReadError):
                    # The server closed this idle keep-alive connection (uvicorn: after 5 s) just
                    # as it was reused; a browser retries such a GET on a new one, and so do we.
                    retried += 1
                    response = await http.get(path, params=params[n])
                latencies.append((time.perf_counter() - t) * 1000)
                if response.status_code != 200:
                    errors += 1
                if think:
                    await asyncio.sleep(rng.expovariate(1 / think))

    t0 = time.perf_counter()
    await asyncio.gather(*(client(n, http) for n, http in enumerate(https)))
    return latencies, time.perf_counter() - t0, errors, retried


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, default=Path("bench-data"))
    ap.add_argument("--events", type=int, default=10_000_000)
    ap.add_argument("--alerts", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--requests", type=int, default=20, help="requests per client per route")
    ap.add_argument("--think", type=float, default=2.0, help="mean think time of a console, seconds")
    args = ap.parse_args(argv)

    import query as store_bench  # bench/query.py: the same generator and build

    meta_path = args.data / store_bench.META
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else None
    if meta is None or meta.get("events") != args.events:
        if args.data.exists():
            shutil.rmtree(args.data)
        print(f"building {args.events:,} events in {args.data} …", flush=True)
        meta = store_bench.build(args.data, args.events)
    end = dt.datetime.fromisoformat(str(meta["end"]))
    url = f"sqlite:///{(args.data / STATE_FILE).resolve()}"
    seed_state(url, alerts=args.alerts, end=end, clients=args.clients)
    port = free_port()
    server = start_server(args.data.resolve(), url, port)
    base = f"http://127.0.0.1:{port}"
    try:
        tokens = []
        for n in range(args.clients):
            login = httpx.post(
                base + "/api/v1/auth/login", json={"username": f"analyst{n:02d}", "password": PASSWORD}
            )
            login.raise_for_status()
            tokens.append(login.json()["access_token"])
        window = {"from": (end - dt.timedelta(hours=24)).isoformat(), "to": end.isoformat()}
        clients = range(args.clients)
        routes: list[tuple[str, str, list[dict[str, Any]]]] = [
            ("healthz (baseline)", "/healthz", [{} for _ in clients]),
            ("alert list", "/api/v1/alerts", [{"limit": 50} for _ in clients]),
            (
                "event search",
                "/api/v1/events",
                [{"q": f"source.ip:192.0.2.{1 + n % 254}", "limit": 100, **window} for n in clients],
            ),
        ]
        print(
            f"store: {meta['events']:,} events; alerts: {args.alerts:,}; clients: {args.clients}; "
            f"{args.requests} requests per client per route"
        )
        for model, think in (("console", args.think), ("saturation", 0.0)):
            label = f"mean think time {think:g} s" if think else "back to back"
            print(f"-- {model} load ({label})")
            results: dict[str, list[float]] = {}
            for name, path, params in routes:
                asyncio.run(load(base, path, params[:5], tokens[:5], 2, 0.0))  # warm-up
                latencies, wall, errors, retried = asyncio.run(
                    load(base, path, params, tokens, args.requests, think)
                )
                results[name] = latencies
                print(
                    f"{name:<20} n={len(latencies):>5}  p50 {percentile(latencies, 0.5):7.1f} ms  "
                    f"p90 {percentile(latencies, 0.9):7.1f} ms  p99 {percentile(latencies, 0.99):7.1f} ms  "
                    f"max {max(latencies):7.1f} ms  {len(latencies) / wall:7.1f} req/s  errors {errors}  "
                    f"retried {retried}"
                )
            base_p99 = percentile(results["healthz (baseline)"], 0.99)
            for name in ("alert list", "event search"):
                p99 = percentile(results[name], 0.99)
                verdict = ("meets" if p99 < 300 else "MISSES") + " the 300 ms target" if think else ""
                print(
                    f"{model} {name}: p99 {p99:.1f} ms vs healthz p99 {base_p99:.1f} ms "
                    f"(x{p99 / base_p99:.1f}); median {statistics.median(results[name]):.1f} ms {verdict}"
                )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
