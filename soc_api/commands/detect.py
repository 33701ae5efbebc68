"""``soc detect``: ECS NDJSON events → alert NDJSON, through the Sigma engine.

Events are read from the files given (or stdin), one JSON document per line, in the order
given; each alert is printed as its ECS document (``event.kind: alert``) on stdout. A rule
that fails to compile is reported on stderr (``soc detect: rule PATH: reason``) and skipped;
a line that is not an ECS document is reported as ``FILE:LINE: reason`` and skipped. The last
line of stderr is the JSON summary ``{"events":N,"alerts":N,"rules":N,"compiled":N,
"failed":N,"bad_lines":N}``. Exit 0 (even with refused rules or bad lines), 1 when an input
cannot be read, 2 when no rule could be loaded.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from detectors.sigma.engine import DetectionEngine
from soc_api.commands.common import read_lines
from soc_core.alerts import Alert
from soc_core.errors import InvalidEventError
from soc_core.events import Event

BATCH = 1_000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc detect``."""
    p = sub.add_parser(
        "detect",
        help="run Sigma rules over ECS NDJSON events; alerts as NDJSON on stdout",
        description="Run Sigma rules (with correlations) over ECS NDJSON events from files or stdin.",
    )
    p.add_argument(
        "--rules",
        action="append",
        type=Path,
        required=True,
        metavar="DIR",
        help="rule file or folder (repeatable)",
    )
    p.add_argument("--no-dedup", action="store_true", help="one alert per match (no merging within a window)")
    p.add_argument("files", nargs="*", type=Path, metavar="FILE", help="ECS NDJSON (default: stdin)")
    p.set_defaults(func=run)


def _events(name: str, stream: BinaryIO, counts: dict[str, int]) -> Iterator[Event]:
    for number, (line, _skipped) in enumerate(read_lines(stream), start=1):
        if not line.strip():
            continue
        try:
            event = Event.from_json(line)
        except InvalidEventError as exc:
            counts["bad_lines"] += 1
            print(f"{name}:{number}: {exc}", file=sys.stderr)
            continue
        counts["events"] += 1
        yield event


def run(args: argparse.Namespace) -> int:
    """Load the rules, stream the events, print alerts."""
    engine = DetectionEngine.from_paths(args.rules, dedup=not args.no_dedup)
    report = engine.report
    for failure in report.failed:
        print(f"soc detect: rule {failure.path}: {failure.reason}", file=sys.stderr)
    counts = {"events": 0, "alerts": 0, "bad_lines": 0}
    summary = {"rules": report.rules, "compiled": report.compiled, "failed": len(report.failed)}
    if report.compiled == 0:
        print(json.dumps({**counts, **summary}), file=sys.stderr)
        return 2
    out = sys.stdout.buffer
    # With dedup an alert can still grow (count, last seen) after it is raised: print each
    # once, as it stands at the end, in the order alerts were raised.
    final: dict[str, Alert] | None = None if args.no_dedup else {}
    code = 0
    inputs: list[tuple[str, Path | None]] = [(str(p), p) for p in args.files] or [("stdin", None)]
    for name, path in inputs:
        try:
            stream: BinaryIO = path.open("rb") if path is not None else sys.stdin.buffer
        except OSError as exc:
            print(f"soc detect: {name}: {exc.strerror}", file=sys.stderr)
            code = 1
            continue
        with stream if path is not None else contextlib.nullcontext():
            batch: list[Event] = []
            for event in _events(name, stream, counts):
                batch.append(event)
                if len(batch) >= BATCH:
                    _run(engine, batch, out, final, counts)
                    batch = []
            _run(engine, batch, out, final, counts)
    if final is not None:
        for alert in final.values():
            out.write(alert.to_event().to_json() + b"\n")
        counts["alerts"] = len(final)
    out.flush()
    print(json.dumps({**counts, **summary}), file=sys.stderr)
    return code


def _run(
    engine: DetectionEngine,
    batch: list[Event],
    out: BinaryIO,
    final: dict[str, Alert] | None,
    counts: dict[str, int],
) -> None:
    alerts = engine.process(batch) if batch else []
    if final is not None:
        for alert in alerts:
            final.setdefault(alert.id, alert)
        return
    for alert in alerts:
        out.write(alert.to_event().to_json() + b"\n")
    counts["alerts"] += len(alerts)
