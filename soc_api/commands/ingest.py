"""``soc ingest``: parse, detect and store files of raw lines."""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from collectors.intake import IntakeStats
from collectors.parsers.declarative import load_declarative
from soc_api.commands.common import add_data_arg, add_store_args, read_lines, settings_from_args
from soc_api.runtime.assets import make_enricher
from soc_api.runtime.network import NetworkModel
from soc_api.runtime.pipeline import Pipeline
from soc_core.records import RawRecord
from soc_core.state.db import open_state
from soc_core.storage.elastic import ElasticEventStore
from soc_core.storage.factory import open_event_store, store_overrides

BATCH = 5000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc ingest``."""
    p = sub.add_parser("ingest", help="parse, detect and store log files (one record per line)")
    add_data_arg(p)
    p.add_argument("--format", default=None, help="auto (default) or a dataset id such as syslog.kv")
    p.add_argument("--timezone", default=None, help="device-local timezone (default Asia/Shanghai)")
    add_store_args(p)
    p.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files of raw lines; - for stdin")
    p.set_defaults(func=cmd_ingest)


def _records(path: Path) -> Iterator[RawRecord]:
    stream = sys.stdin.buffer if str(path) == "-" else path.open("rb")
    origin = "stdin" if str(path) == "-" else f"file:{path}"
    try:
        for number, (line, _skipped) in enumerate(read_lines(stream), start=1):
            # An over-long line arrives cut and is dead-lettered as record_too_long.
            yield RawRecord(
                data=line.removesuffix(b"\r"), received_at=time.time(), origin=origin, offset=number
            )
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()


def cmd_ingest(args: argparse.Namespace) -> int:
    """Ingest every line; print a JSON summary."""
    settings = settings_from_args(args, **store_overrides(args.store, args.es_url))
    declared = load_declarative(settings.parsers.dirs, shipped=settings.parsers.shipped)
    for problem in declared.errors:  # a broken definition is skipped, the others are used
        print(f"soc ingest: parser definition refused: {problem}", file=sys.stderr)
    store = open_event_store(settings, writer=True)
    state = open_state(settings.state_url)
    # the same enrichment, graph aggregates and discovery as soc run
    network = NetworkModel(settings, state=state, data_dir=settings.data_dir)
    pipeline = Pipeline(
        store=store,
        intake_stats=IntakeStats(),
        default_format=args.format or settings.ingest.default_format,
        default_timezone=args.timezone or settings.ingest.default_timezone,
        sources=settings.sources,
        enricher=make_enricher(settings.state_url),
        graph=network,
    )
    lines = 0
    try:
        for path in args.files:
            batch: list[RawRecord] = []
            for record in _records(path):
                lines += 1
                batch.append(record)
                if len(batch) >= BATCH:
                    pipeline.process_batch(batch)
                    batch = []
            if batch:
                pipeline.process_batch(batch)
        if isinstance(store, ElasticEventStore):
            store.refresh()  # searchable now, not at the cluster's next refresh
        else:
            store.seal_now()  # a batch import ends sealed: Parquet partitions, in the manifest
        network.save()
    finally:
        store.close()
        state.close()
    c = pipeline.counters
    summary = {
        "lines": lines,
        "events": c.events_stored,
        "dead_letter": c.records_dead_lettered,
        "alerts": c.alerts,
    }
    print(json.dumps(summary))
    return 0
