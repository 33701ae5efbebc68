"""``soc collector`` and ``soc worker``: the two roles of a multi-node deployment."""

from __future__ import annotations

import argparse
import asyncio
import logging
from typing import Any

from soc_api.commands.common import add_data_arg, add_store_args, settings_from_args
from soc_core.config import Settings, parse_hostport
from soc_core.storage.factory import store_overrides


def _add_bus_args(p: argparse.ArgumentParser) -> None:
    add_data_arg(p)
    p.add_argument(
        "--nats", metavar="URL", help="NATS server (default: scaleout.nats_url, nats://127.0.0.1:4222)"
    )
    p.add_argument("--name", help="this node's name in logs and leases (default: <role>-<host>-<pid>)")
    p.add_argument("--log-level", default="INFO", help="logging level (default INFO)")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc collector`` and ``soc worker``."""
    p = sub.add_parser("collector", help="syslog/file intake and parsing; events to NATS JetStream")
    _add_bus_args(p)
    p.add_argument(
        "--syslog", metavar="HOST:PORT", help="syslog UDP+TCP listen address (default 127.0.0.1:5514)"
    )
    p.set_defaults(func=cmd_collector)
    p = sub.add_parser("worker", help="enrichment, detection and storage of events from NATS JetStream")
    _add_bus_args(p)
    add_store_args(p)
    p.set_defaults(func=cmd_worker)


def _settings(args: argparse.Namespace, **overrides: Any) -> Settings:
    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.nats:
        overrides["scaleout"] = {"nats_url": args.nats}
    return settings_from_args(args, **overrides)


def cmd_collector(args: argparse.Namespace) -> int:
    """Run a collector until SIGINT/SIGTERM."""
    from soc_api.runtime.scaleout.collector import run_collector

    overrides: dict[str, Any] = {}
    if args.syslog:
        host, port = parse_hostport(args.syslog)
        overrides["syslog"] = {"host": host, "port": port}
    settings = _settings(args, **overrides)
    asyncio.run(run_collector(settings, name=args.name))
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a worker until SIGINT/SIGTERM."""
    from soc_api.runtime.scaleout.worker import run_worker

    settings = _settings(args, **store_overrides(args.store, args.es_url))
    asyncio.run(run_worker(settings, name=args.name))
    return 0
