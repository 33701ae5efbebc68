"""Access to the third-party corpora in ``../shared/corpus`` (read, never copied)."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from collectors.parse import ParseOutcome, parse_record
from soc_core.records import RawRecord

CORPUS = Path(os.environ.get("SOC_CORPUS", Path(__file__).resolve().parents[3] / "shared" / "corpus"))
# Receive time for corpus lines that carry no hint of when they were sent: the lines are
# years old, but only year-less timestamps depend on it.
DEFAULT_RECEIVED_AT = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC).timestamp()


def corpus_dir(name: str) -> Path:
    """``../shared/corpus/<name>``, or skip the test with the reason."""
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"third-party corpus {path} is not present (set SOC_CORPUS to its folder)")
    return path


def parse_line(
    line: bytes | str,
    *,
    received_at: float = DEFAULT_RECEIVED_AT,
    timezone: str | None = None,
    origin: str = "corpus",
    offset: int = 0,
) -> ParseOutcome:
    """``parse_record`` with ``--format auto`` for one corpus line."""
    data = line.encode("utf-8") if isinstance(line, str) else line
    record = RawRecord(
        data=data,
        received_at=received_at,
        origin=origin,
        peer="192.0.2.1:514",
        offset=offset,
        timezone=timezone,
    )
    return parse_record(record)


@dataclass
class Report:
    """Lines printed in the terminal summary (agreement tables, dataset checks)."""

    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, title: str, lines: list[str]) -> None:
        self.sections[title] = lines


REPORT = Report()


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted keys for a nested document; lists are values."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, path + "."))
        else:
            out[path] = value
    return out
