"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from soc_core.config import Settings, load_settings
from soc_core.errors import ConfigError


def add_data_arg(parser: argparse.ArgumentParser) -> None:
    """``--data DIR`` (default: ``data_dir`` from the settings, ./data)."""
    parser.add_argument(
        "--data", type=Path, default=None, metavar="DIR", help="data directory (default ./data)"
    )


def settings_from_args(args: argparse.Namespace, **overrides: Any) -> Settings:
    """Settings from file and environment, with the command line on top."""
    if getattr(args, "data", None) is not None:
        overrides["data_dir"] = args.data
    return load_settings(**overrides)


def parse_time(value: str | None) -> dt.datetime | None:
    """An ISO-8601 time from the command line; naive means UTC."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ConfigError(f"not an ISO-8601 time: {value!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)
