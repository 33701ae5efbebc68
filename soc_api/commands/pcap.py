"""``soc pcap FILE...``: capture files → ECS NDJSON (network.flow, .dns, .http, .tls) on stdout.

Each file is dissected on its own (flows do not continue across files). A damaged file is
read as far as it goes; its problems are counted. The last line of stderr is the JSON summary
``{"files":N,"packets":N,"events":{dataset:N},"errors":{reason:N}, ...}``. Exit 0, or 1 when
a file cannot be read.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

from collectors.traffic.session import Dissector, dissect_capture


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc pcap``."""
    p = sub.add_parser(
        "pcap",
        help="dissect pcap/pcapng files into ECS NDJSON flows, DNS, HTTP and TLS events",
        description="Dissect pcap/pcapng files into ECS NDJSON: network.flow, .dns, .http and .tls events.",
    )
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--idle-timeout", type=float, default=60.0, metavar="S", help="a flow idle this long ends")
    p.add_argument(
        "--active-timeout", type=float, default=1800.0, metavar="S", help="a longer flow is reported every S"
    )
    p.set_defaults(func=run_pcap)


def run_pcap(args: argparse.Namespace) -> int:
    """Dissect every file; events on stdout, the summary on stderr."""
    out = sys.stdout.buffer
    totals: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    events: Counter[str] = Counter()
    code = 0
    for path in args.files:
        try:
            data = path.read_bytes()
        except OSError as exc:
            print(f"soc pcap: {path}: {exc.strerror or exc}", file=sys.stderr)
            code = 1
            continue
        dissector = Dissector(idle_timeout_s=args.idle_timeout, active_timeout_s=args.active_timeout)
        for event in dissect_capture(data, dissector=dissector):
            out.write(event.to_json() + b"\n")
        stats = dissector.stats.as_dict()
        totals["files"] += 1
        totals["packets"] += stats["packets"]
        totals["not_ip"] += stats["not_ip"]
        totals["fragments"] += stats["fragments"]
        events.update(stats["events"])
        for reason, count in stats["errors"].items():
            errors[f"{path.name}: {reason}"] += count
    out.flush()
    summary = {**totals, "events": dict(events), "errors": dict(errors)}
    print(json.dumps(summary, ensure_ascii=False), file=sys.stderr)
    return code
