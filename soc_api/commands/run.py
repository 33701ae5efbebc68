"""``soc run``: the whole platform on the embedded default."""

from __future__ import annotations

import argparse
import asyncio
import logging

from soc_api.commands.common import add_data_arg, add_store_args, settings_from_args
from soc_core.config import parse_hostport
from soc_core.storage.factory import store_overrides


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc run``."""
    p = sub.add_parser(
        "run", help="run intake, pipeline, store and API (syslog 127.0.0.1:5514, API 127.0.0.1:8000)"
    )
    add_data_arg(p)
    add_store_args(p)
    p.add_argument(
        "--syslog", metavar="HOST:PORT", help="syslog UDP+TCP listen address (default 127.0.0.1:5514)"
    )
    p.add_argument(
        "--api", metavar="HOST:PORT", help="console and API listen address (default 127.0.0.1:8000)"
    )
    p.add_argument("--log-level", default="INFO", help="logging level (default INFO)")
    p.add_argument(
        "--demo",
        action="store_true",
        help="also feed a synthetic day of extranet traffic, in its own data directory (<data>-demo), "
        "with one demo account per role",
    )
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM."""
    from soc_api.runtime.platform import run_platform  # heavy imports only for this command

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    overrides: dict[str, object] = {}
    if args.syslog:
        host, port = parse_hostport(args.syslog)
        overrides["syslog"] = {"host": host, "port": port}
    if args.api:
        host, port = parse_hostport(args.api)
        overrides["api"] = {"host": host, "port": port}
    overrides.update(store_overrides(args.store, args.es_url))
    settings = settings_from_args(args, **overrides)
    asyncio.run(run_platform(settings, demo=args.demo))
    return 0
