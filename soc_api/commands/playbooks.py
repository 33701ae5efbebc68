"""``soc playbooks``: check playbook files; list what the engine would load."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from playbooks.loader import load_playbooks, playbook_files, playbook_paths, unresolved
from soc_api.commands.common import settings_from_args


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc playbooks check`` and ``soc playbooks list``."""
    p = sub.add_parser("playbooks", help="response playbooks")
    actions = p.add_subparsers(dest="playbooks_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help="validate playbook files (errors name file and line)")
    check.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="playbook files or directories")
    check.add_argument("--json", action="store_true", help='print {"playbooks":N,"valid":N,"errors":[...]}')
    check.set_defaults(func=cmd_check)
    ls = actions.add_parser("list", help="the playbooks the settings load, and the channels they need")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=cmd_list)


def cmd_check(args: argparse.Namespace) -> int:
    """Exit 1 when any file is not a valid playbook."""
    files = playbook_files(args.paths)
    valid, problems = load_playbooks(args.paths)
    if args.json:
        print(
            json.dumps(
                {"playbooks": len(files), "valid": len(valid), "errors": [p.to_json() for p in problems]},
                ensure_ascii=False,
            )
        )
    else:
        for problem in problems:
            print(problem)
        print(f"{len(valid)} of {len(files)} playbooks valid")
    return 1 if problems else 0


def cmd_list(args: argparse.Namespace) -> int:
    """Each playbook with whether the configured channels and responders let it run."""
    settings = settings_from_args(args)
    channels = {str(c.get("id")) for c in settings.playbooks.channels}
    responders = {str(r.get("id")) for r in settings.playbooks.responders}
    valid, problems = load_playbooks(playbook_paths(settings))
    rows = [
        {
            "id": p.id,
            "name": p.name,
            "path": p.path,
            "missing": unresolved(p, channels=channels, responders=responders),
        }
        for p in valid
    ]
    if args.json:
        print(json.dumps({"playbooks": rows, "errors": [p.to_json() for p in problems]}, ensure_ascii=False))
    else:
        for row in rows:
            state = "ready" if not row["missing"] else "not loaded: " + "; ".join(row["missing"])
            print(f"{row['id']:<32} {state}")
        for problem in problems:
            print(problem)
    return 0
