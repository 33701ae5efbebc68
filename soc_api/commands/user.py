"""``soc user add``: create an account from the host (三员分立 enforced)."""

from __future__ import annotations

import argparse
import getpass
import sys

from soc_api.commands.common import add_data_arg, settings_from_args
from soc_core.state.db import open_state
from soc_core.state.users import create_user, list_users
from soc_core.vocabulary import Role


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``soc user add`` and ``soc user list``."""
    p = sub.add_parser("user", help="manage accounts from the host")
    actions = p.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="create an account")
    add_data_arg(add)
    add.add_argument("--username", required=True)
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="role (repeatable; no account may hold two of the three admin roles)",
    )
    add.add_argument("--display-name", default=None)
    add.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    add.set_defaults(func=cmd_user_add)
    ls = actions.add_parser("list", help="list accounts and roles")
    add_data_arg(ls)
    ls.set_defaults(func=cmd_user_list)


def cmd_user_add(args: argparse.Namespace) -> int:
    """Create the account; the creation is written to the operation log."""
    read = sys.stdin.readline if args.password_stdin else lambda: getpass.getpass("password: ")
    password = read().rstrip("\r\n")
    settings = settings_from_args(args)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    state = open_state(settings.state_url)
    try:
        with state.session() as session:
            create_user(
                session,
                username=args.username,
                password=password,
                roles=[Role(r) for r in args.role],
                display_name=args.display_name,
                actor="host:soc-user-add",
            )
    finally:
        state.close()
    print(f"created user {args.username} with roles {', '.join(sorted(args.role))}")
    return 0


def cmd_user_list(args: argparse.Namespace) -> int:
    """Print accounts, one per line."""
    settings = settings_from_args(args)
    state = open_state(settings.state_url)
    try:
        with state.session() as session:
            for user in list_users(session):
                print(f"{user.username}\t{','.join(sorted(user.role_names))}")
    finally:
        state.close()
    return 0
