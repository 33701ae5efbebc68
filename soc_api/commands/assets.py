"""``soc assets``: import a register file and list the register from the host.

* ``soc assets import FILE [--data DIR]`` — upsert a CSV or XLSX register; prints the import
  report as JSON. Exit 0 when every row was imported, 1 when some rows were refused (the others
  are imported all the same), 2 when the file cannot be read.
* ``soc assets list [--data DIR] [--zone Z] [--json]`` — one asset per line (tab-separated),
  or ``{"total": N, "assets": [...]}`` with ``--json``.

The operation log records the host user as ``cli:<username>``.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

import msgspec

from soc_api.commands.common import add_data_arg, settings_from_args
from soc_core.assets import service
from soc_core.assets.models import Asset
from soc_core.state.db import open_state

_LIST_PAGE = 1000


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc assets import`` and ``soc assets list``."""
    p = sub.add_parser("assets", help="the asset register (资产台账)")
    actions = p.add_subparsers(dest="assets_command", required=True, metavar="ACTION")
    imp = actions.add_parser("import", help="import a CSV or XLSX register (upsert by address)")
    imp.add_argument("file", type=Path, metavar="FILE")
    add_data_arg(imp)
    imp.set_defaults(func=cmd_assets_import)
    ls = actions.add_parser("list", help="list the register")
    add_data_arg(ls)
    ls.add_argument("--zone", default=None, metavar="ZONE", help="only this zone id")
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=cmd_assets_list)


def host_actor() -> str:
    """``cli:<host user>``, the actor recorded for commands run on the host."""
    try:
        return f"cli:{getpass.getuser()}"
    except (OSError, KeyError):  # no login name in the environment or passwd
        return "cli:unknown"


def cmd_assets_import(args: argparse.Namespace) -> int:
    """Import the file and print the report."""
    try:
        data = args.file.read_bytes()
    except OSError as exc:
        print(f"soc assets import: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    settings = settings_from_args(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state = open_state(settings.state_url)
    try:
        report = service.import_assets(state=state, actor=host_actor(), data=data, filename=args.file.name)
    finally:
        state.close()
    print(msgspec.json.encode(report).decode())
    return 1 if report.errors else 0


def cmd_assets_list(args: argparse.Namespace) -> int:
    """Print the register, every page of it."""
    settings = settings_from_args(args)
    state = open_state(settings.state_url)
    try:
        assets: list[Asset] = []
        total = 0
        while True:
            page = service.list_assets(state=state, zone=args.zone, limit=_LIST_PAGE, offset=len(assets))
            assets.extend(page.assets)
            total = page.total
            if not page.assets or len(assets) >= page.total:
                break
    finally:
        state.close()
    if args.json:
        print(json.dumps({"total": total, "assets": msgspec.to_builtins(assets)}, ensure_ascii=False))
        return 0
    for asset in assets:
        columns = (
            str(asset.id),
            asset.address,
            asset.hostname,
            asset.zone,
            asset.owner_unit,
            None if asset.level is None else str(asset.level),
            asset.criticality,
            asset.origin,
        )
        print("\t".join(c or "-" for c in columns))
    return 0
