"""Access to the third-party corpora in ``../shared/corpus`` (read, never copied)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from corpus_support import CORPUS, RECEIVED_AT, make_record

from collectors.parse import ParseOutcome, parse_record


def corpus_dir(name: str) -> Path:
    """``../shared/corpus/<name>``, or skip the test with the reason."""
    path = CORPUS / name
    if not path.is_dir():
        pytest.skip(f"third-party corpus {path} is not present (set SOC_CORPUS to its folder)")
    return path


def parse_line(
    line: bytes | str,
    *,
    received_at: float = RECEIVED_AT,
    timezone: str | None = None,
    origin: str = "corpus",
    offset: int = 0,
) -> ParseOutcome:
    """``parse_record`` with ``--format auto`` for one corpus line.

    The lines are years old; only year-less timestamps depend on ``received_at``.
    """
    record = make_record(line, received_at=received_at, origin=origin, offset=offset, timezone=timezone)
    return parse_record(record)


@dataclass
class Report:
    """Lines printed in the terminal summary (agreement tables, dataset checks)."""

    sections: dict[str, list[str]] = field(default_factory=dict)

    def add(self, title: str, lines: list[str]) -> None:
        self.sections[title] = lines


REPORT = Report()
