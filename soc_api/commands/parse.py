"""``soc parse``: raw lines from files or stdin → ECS NDJSON on stdout.

Each LF-terminated line is one record (origin ``file:PATH`` or ``stdin``, offset = line
number from 1). The ``sources`` of the settings apply by syslog hostname (files have no peer
address), so a line names its device's dataset and timezone as it would arriving live.
Events go to stdout, dead letters to ``--dead-letter FILE`` (appended, so a second run never
erases the first run's failures), one ``PATH:LINE: reason: detail`` line per failed record to
stderr, and the last line of stderr is always the JSON summary
``{"lines":N,"events":N,"dead_letter":N}``. Exit 0 even with dead letters; 2 for a bad
``--format``, ``--timezone``, settings or a broken parser definition (``--parsers-dir`` or
``[parsers] dirs``: every error is printed as ``file.yaml:LINE: message``); 1 when an input
file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import BinaryIO

from collectors.parse import parse_record
from collectors.parsers import PARSERS
from collectors.parsers.declarative import SHIPPED_DIR, load_dirs, load_shipped
from collectors.parsers.timeparse import zone
from soc_api.commands.common import read_lines
from soc_api.runtime.sources import SourceRouter
from soc_core.config import load_settings
from soc_core.errors import ShaowangError
from soc_core.records import RawRecord
from soc_core.vocabulary import DEFAULT_TIMEZONE

_FLUSH_EVERY = 1000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc parse``."""
    p = sub.add_parser(
        "parse",
        help="parse raw log lines into ECS NDJSON (stdout); JSON summary on stderr",
        description="Parse raw log lines (files or stdin) into ECS NDJSON on stdout.",
    )
    p.add_argument(
        "--format",
        default="auto",
        metavar="auto|DATASET",
        help=f"auto-detect (default) or force a dataset: {', '.join(PARSERS)}; "
        f"declared in YAML (shipped): {', '.join(_shipped_datasets())}",
    )
    p.add_argument(
        "--dead-letter",
        default=None,
        metavar="FILE",
        help="append dead-letter events (NDJSON) here; without it they are only counted",
    )
    p.add_argument(
        "--timezone",
        default=DEFAULT_TIMEZONE,
        metavar="TZ",
        help=f"device-local timezone for times without an offset (default {DEFAULT_TIMEZONE})",
    )
    p.add_argument(
        "--parsers-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="directory (or file) of YAML parser definitions, besides [parsers] dirs; repeatable",
    )
    p.add_argument("files", nargs="*", metavar="FILE", help="files of raw lines; - or nothing for stdin")
    p.set_defaults(func=cmd_parse)


def _shipped_datasets() -> list[str]:
    """The dataset ids of the shipped YAML definitions (named by their file), for --help."""
    return sorted(path.stem for path in SHIPPED_DIR.glob("*.yaml"))


def cmd_parse(args: argparse.Namespace) -> int:
    """Parse every line; events to stdout, summary to stderr."""
    counts = {"lines": 0, "events": 0, "dead_letter": 0}
    try:
        return _run(args, counts)
    finally:
        print(json.dumps(counts, separators=(",", ":")), file=sys.stderr, flush=True)


def _run(args: argparse.Namespace, counts: dict[str, int]) -> int:
    try:
        settings = load_settings()
    except ShaowangError as exc:
        print(f"soc parse: {exc}", file=sys.stderr)
        return 2
    # Declared parsers first: --format may name one. Site files before the shipped ones.
    site = load_dirs([*settings.parsers.dirs, *args.parsers_dir])
    errors = site.errors + (load_shipped().errors if settings.parsers.shipped else [])
    for warning in site.warnings:
        print(f"soc parse: warning: {warning}", file=sys.stderr)
    if errors:
        for error in errors:
            print(f"soc parse: {error}", file=sys.stderr)
        return 2
    fmt: str = args.format
    if fmt != "auto" and fmt not in PARSERS:
        print(f"soc parse: unknown format {fmt!r} (known: auto, {', '.join(PARSERS)})", file=sys.stderr)
        return 2
    try:
        zone(args.timezone)
    except ValueError as exc:
        print(f"soc parse: {exc}", file=sys.stderr)
        return 2
    sources = settings.sources
    # Lines read from files have no peer: only the syslog hostname can select a source.
    args.source_for_host = SourceRouter(sources).for_hostname if sources else None
    dead_out: BinaryIO | None = None
    if args.dead_letter is not None:
        try:
            dead_out = open(args.dead_letter, "ab")  # noqa: SIM115 - closed in finally
        except OSError as exc:
            print(f"soc parse: cannot open dead-letter file: {exc}", file=sys.stderr)
            return 2
    out = sys.stdout.buffer
    status = 0
    try:
        for name in args.files or ["-"]:
            if name == "-":
                done = _parse_stream(sys.stdin.buffer, "stdin", "stdin", args, out, dead_out, counts)
                status = max(status, done)
                continue
            try:
                stream = open(name, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                print(f"soc parse: cannot read {name}: {exc.strerror}", file=sys.stderr)
                status = 1
                continue
            with stream:
                status = max(status, _parse_stream(stream, f"file:{name}", name, args, out, dead_out, counts))
        out.flush()
    except BrokenPipeError:  # `soc parse ... | head`: the reader has gone, that is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes at exit
    finally:
        if dead_out is not None:
            dead_out.close()
    if counts["dead_letter"] and dead_out is None:
        print(
            f"soc parse: {counts['dead_letter']} dead-lettered record(s) counted but not kept "
            "(use --dead-letter FILE)",
            file=sys.stderr,
        )
    return status


def _parse_stream(
    stream: BinaryIO,
    origin: str,
    display: str,
    args: argparse.Namespace,
    out: BinaryIO,
    dead_out: BinaryIO | None,
    counts: dict[str, int],
) -> int:
    fmt: str = args.format
    tz: str = args.timezone
    pending: list[bytes] = []
    for number, (data, skipped) in enumerate(read_lines(stream), start=1):
        counts["lines"] += 1
        record = RawRecord(data=data, received_at=time.time(), origin=origin, offset=number)
        outcome = parse_record(record, fmt=fmt, default_timezone=tz, source_for_host=args.source_for_host)
        if outcome.dead_letter is not None:
            counts["dead_letter"] += 1
            error = outcome.dead_letter.error
            reason = error.type if error is not None else "?"
            detail = (error.message or "") if error is not None else ""
            detail = detail.removeprefix(f"{record.where}: ")
            if skipped:
                detail += f" ({skipped} more bytes of this line were skipped)"
            print(f"{display}:{number}: {reason}: {detail}", file=sys.stderr)
            if dead_out is not None:
                dead_out.write(outcome.dead_letter.to_json() + b"\n")
            continue
        counts["events"] += len(outcome.events)
        pending.extend(event.to_json() + b"\n" for event in outcome.events)
        if len(pending) >= _FLUSH_EVERY:
            out.write(b"".join(pending))
            pending.clear()
    if pending:
        out.write(b"".join(pending))
    return 0
