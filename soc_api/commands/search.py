"""``soc search``: Lucene query-string search of the event store, NDJSON out."""

from __future__ import annotations

import argparse
import sys

import msgspec

from soc_api.commands.common import add_data_arg, add_store_args, parse_time, settings_from_args
from soc_core.storage.factory import open_event_store, store_overrides


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc search``."""
    p = sub.add_parser("search", help="search stored events (works while `soc run` writes)")
    add_data_arg(p)
    p.add_argument("--from", dest="start", metavar="ISO", help="start time, inclusive")
    p.add_argument("--to", dest="end", metavar="ISO", help="end time, exclusive")
    p.add_argument("--limit", type=int, default=100, metavar="N", help="at most N events (default 100)")
    p.add_argument("--asc", action="store_true", help="oldest first (default newest first)")
    p.add_argument("--count", action="store_true", help="print only the number of matching events")
    add_store_args(p)
    p.add_argument("query", nargs="?", default="*", help="Lucene query string (default *)")
    p.set_defaults(func=cmd_search)


def cmd_search(args: argparse.Namespace) -> int:
    """Print matching events as NDJSON, or their count."""
    settings = settings_from_args(args, **store_overrides(args.store, args.es_url))
    start, end = parse_time(args.start), parse_time(args.end)
    store = open_event_store(settings, writer=False)
    try:
        if args.count:
            print(store.count(args.query, start=start, end=end))
            return 0
        docs = store.search(
            args.query, start=start, end=end, limit=args.limit, order="asc" if args.asc else "desc"
        )
        out = sys.stdout.buffer
        encoder = msgspec.json.Encoder()
        for doc in docs:
            out.write(encoder.encode(doc) + b"\n")
        out.flush()
    finally:
        store.close()
    return 0
