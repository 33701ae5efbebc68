"""The ``soc`` command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from importlib import import_module

from soc_core.errors import ShaowangError

# Sub-command modules under soc_api.commands, in the order ``soc --help`` lists them.
COMMANDS: tuple[str, ...] = (
    "run",
    "search",
    "parse",
    "ingest",
    "pcap",
    "detect",
    "rules",
    "store",
    "user",
    "assets",
    "graph",
    "compliance",
    "playbooks",
    "scaleout",
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command registered."""
    parser = argparse.ArgumentParser(prog="soc", description="哨望 Shaowang security operations platform")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = import_module(f"soc_api.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"soc_api.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script."""
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except ShaowangError as exc:
        print(f"soc {args.command}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
