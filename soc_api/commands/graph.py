"""``soc graph``: the whole-network graph from the host, read from the saved aggregates.

* ``soc graph export [--data DIR] [--format json|graphml] [--zone Z] [--since ISO] [--min-risk N]
  [--out FILE]`` — nodes and edges (JSON: ``{"nodes":[...],"edges":[...]}``).
* ``soc graph neighbours IP``, ``soc graph paths --from-zone Z --to IP``,
  ``soc graph blast-radius IP --at ISO [--window-h H]``, ``soc graph top-talkers
  [--from-zone Z] [--to-zone Z]`` — the questions the graph answers, as JSON.

The aggregates are what ``soc run`` saved last (every ``graph.save_interval_s`` and at
shutdown) or what ``soc ingest`` left; assets are described by the register as it is now.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import msgspec

from detectors.graph import ThreatGraph
from soc_api.commands.common import add_data_arg, parse_time, settings_from_args
from soc_api.runtime.assets import RegisterView
from soc_api.runtime.graph import GRAPH_DIR, GRAPH_FILE
from soc_core.errors import ShaowangError
from soc_core.state.db import open_state


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc graph``."""
    p = sub.add_parser("graph", help="the whole-network threat graph: export and questions")
    actions = p.add_subparsers(dest="graph_command", required=True, metavar="ACTION")

    export = actions.add_parser("export", help="nodes and edges as JSON or GraphML")
    add_data_arg(export)
    export.add_argument("--format", choices=("json", "graphml"), default="json")
    export.add_argument("--zone", help="edges with either end in this zone")
    export.add_argument("--since", metavar="ISO", help="edges last seen at or after this time")
    export.add_argument(
        "--min-risk", type=float, default=0.0, metavar="N", help="nodes at or above this risk"
    )
    export.add_argument("--out", type=Path, metavar="FILE", help="write here instead of stdout")
    export.set_defaults(func=cmd_export)

    neighbours = actions.add_parser("neighbours", help="who an address talks to, and who talks to it")
    add_data_arg(neighbours)
    neighbours.add_argument("ip")
    neighbours.add_argument("--direction", choices=("both", "in", "out"), default="both")
    neighbours.set_defaults(func=cmd_neighbours)

    paths = actions.add_parser("paths", help="observed paths from a zone to an address")
    add_data_arg(paths)
    paths.add_argument("--from-zone", required=True, metavar="ZONE")
    paths.add_argument("--to", required=True, metavar="IP")
    paths.add_argument("--max-hops", type=int, default=6)
    paths.set_defaults(func=cmd_paths)

    blast = actions.add_parser("blast-radius", help="what a source touched around a time")
    add_data_arg(blast)
    blast.add_argument("ip")
    blast.add_argument("--at", required=True, metavar="ISO")
    blast.add_argument("--window-h", type=float, default=24.0)
    blast.set_defaults(func=cmd_blast_radius)

    talkers = actions.add_parser("top-talkers", help="who sends the most from one zone to another")
    add_data_arg(talkers)
    talkers.add_argument("--from-zone", metavar="ZONE")
    talkers.add_argument("--to-zone", metavar="ZONE")
    talkers.add_argument("-n", type=int, default=10)
    talkers.add_argument("--by", choices=("bytes", "count"), default="bytes")
    talkers.set_defaults(func=cmd_top_talkers)


def _epoch(text: str | None) -> float | None:
    moment = parse_time(text)
    return moment.timestamp() if moment is not None else None


def _load(args: argparse.Namespace) -> ThreatGraph:
    settings = settings_from_args(args)
    path = settings.data_dir / GRAPH_DIR / GRAPH_FILE
    state = open_state(settings.state_url)
    try:
        view = RegisterView(state)
        try:
            return ThreatGraph.load(
                path, describe=view.describe, half_life_s=settings.graph.risk_half_life_h * 3600
            )
        except FileNotFoundError:
            raise ShaowangError(
                f"no graph saved in {path.parent} yet (soc run saves it periodically; soc ingest at its end)"
            ) from None
    finally:
        state.close()


def _print(value: Any) -> int:
    print(json.dumps(msgspec.to_builtins(value), ensure_ascii=False, indent=1))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """The graph (or part of it) as JSON or GraphML."""
    graph = _load(args)
    since = _epoch(args.since)
    options = {"zone": args.zone, "since": since, "min_risk": args.min_risk, "now": time.time()}
    if args.format == "graphml":
        data = graph.to_graphml(**options)
    else:
        data = json.dumps(graph.to_dict(**options), ensure_ascii=False).encode() + b"\n"
    if args.out is not None:
        args.out.write_bytes(data)
    else:
        sys.stdout.buffer.write(data)
    return 0


def cmd_neighbours(args: argparse.Namespace) -> int:
    """Peers of an address, per service."""
    return _print(_load(args).neighbours(args.ip, direction=args.direction))


def cmd_paths(args: argparse.Namespace) -> int:
    """Observed paths from a zone to an address."""
    return _print(_load(args).paths(from_zone=args.from_zone, to=args.to, max_hops=args.max_hops))


def cmd_blast_radius(args: argparse.Namespace) -> int:
    """What a source touched around a time."""
    at = _epoch(args.at)
    assert at is not None  # --at is required
    return _print(_load(args).blast_radius(args.ip, at=at, window_s=args.window_h * 3600))


def cmd_top_talkers(args: argparse.Namespace) -> int:
    """Top sources between zones."""
    found = _load(args).top_talkers(from_zone=args.from_zone, to_zone=args.to_zone, n=args.n, by=args.by)
    return _print(found)
