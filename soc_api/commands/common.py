"""Arguments and helpers shared by several sub-commands."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from soc_core.config import Settings, load_settings
from soc_core.errors import ConfigError
from soc_core.vocabulary import MAX_RECORD_BYTES

# A line longer than this is not held whole in memory: its first READ_LIMIT bytes become the
# (too long, hence dead-lettered) record and the rest of the line is skipped and counted.
READ_LIMIT = 4 * MAX_RECORD_BYTES


def read_lines(stream: BinaryIO) -> Iterator[tuple[bytes, int]]:
    """(line without its LF, bytes skipped because the line exceeded READ_LIMIT)."""
    while True:
        line = stream.readline(READ_LIMIT)
        if not line:
            return
        skipped = 0
        if len(line) == READ_LIMIT and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(READ_LIMIT)
                if not rest:
                    break
                if rest.endswith(b"\n"):
                    skipped += len(rest) - 1
                    break
                skipped += len(rest)
        yield (line[:-1] if line.endswith(b"\n") else line), skipped


def add_data_arg(parser: argparse.ArgumentParser) -> None:
    """``--data DIR`` (default: ``data_dir`` from the settings, ./data)."""
    parser.add_argument(
        "--data", type=Path, default=None, metavar="DIR", help="data directory (default ./data)"
    )


def add_store_args(parser: argparse.ArgumentParser) -> None:
    """``--store`` and ``--es-url``: the event store, over ``store.backend`` and
    ``store.elasticsearch.url`` in the settings."""
    parser.add_argument(
        "--store",
        choices=("embedded", "elasticsearch"),
        default=None,
        help="event store (default: store.backend in the settings, embedded)",
    )
    parser.add_argument(
        "--es-url", default=None, metavar="URL", help="Elasticsearch URL (default: store.elasticsearch.url)"
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
