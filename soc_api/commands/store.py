"""``soc store``: integrity check and statistics of the embedded event store."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from soc_core.storage.embedded import EmbeddedEventStore


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc store verify`` and ``soc store stats``."""
    parser = subparsers.add_parser("store", help="check and inspect the embedded event store")
    sub = parser.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    verify = sub.add_parser("verify", help="check sealed partitions against the hash-chained manifest")
    verify.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    verify.set_defaults(func=cmd_verify)
    stats = sub.add_parser("stats", help="events, sealed files, bytes on disk, segments (JSON)")
    stats.add_argument("--data", type=Path, default=Path("data"), help="data directory (default ./data)")
    stats.set_defaults(func=cmd_stats)


def cmd_verify(args: argparse.Namespace) -> int:
    """Print one line per problem and a summary; exit 0 when intact, 1 otherwise."""
    store = EmbeddedEventStore.open_reader(args.data)
    try:
        report = store.verify()
    finally:
        store.close()
    for p in report.problems:
        print(f"{p.problem.upper():<13} {p.partition}  {p.detail}")
    if report.ok:
        print(f"OK: {report.partitions} sealed partition files verified (SHA-256 and SM3), hash chain intact")
        return 0
    kinds: dict[str, int] = {}
    for p in report.problems:
        kinds[p.problem] = kinds.get(p.problem, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(
        f"FAILED: {len(report.problems)} problem(s) in {report.partitions} sealed partition files: {summary}"
    )
    return 1


def cmd_stats(args: argparse.Namespace) -> int:
    """Print store statistics as JSON."""
    store = EmbeddedEventStore.open_reader(args.data)
    try:
        print(json.dumps(store.stats(), indent=2, ensure_ascii=False, default=str))
    finally:
        store.close()
    return 0
