"""What parser and conformance tests share: the corpus folder, a fixed receive time, records."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest

from collectors.parse import parse_record
from soc_core.events import Event
from soc_core.records import RawRecord

# The third-party corpora sit next to the repository (../shared/corpus, or $SOC_CORPUS); read,
# never copied.
CORPUS = Path(os.environ.get("SOC_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "corpus"))
RECEIVED_AT = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC).timestamp()


def make_record(line: str | bytes, **more: Any) -> RawRecord:
    """A record received over UDP syslog at ``RECEIVED_AT``; ``more`` overrides any field."""
    data = line.encode("utf-8") if isinstance(line, str) else line
    fields: dict[str, Any] = {
        "received_at": RECEIVED_AT,
        "origin": "syslog/udp",
        "peer": "192.0.2.1:514",
        "offset": 1,
        **more,
    }
    return RawRecord(data=data, **fields)


def one_event(line: str | bytes, fmt: str = "auto", **more: Any) -> Event:
    """The single event ``line`` parses to (fails the test on a dead letter)."""
    outcome = parse_record(make_record(line, **more), fmt=fmt)
    assert outcome.dead_letter is None, outcome.dead_letter.to_json().decode()
    assert len(outcome.events) == 1
    return outcome.events[0]


def corpus_path(relative: str) -> Path:
    """``../shared/corpus/<relative>``, or skip the test saying it is missing."""
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"shared corpus not available: {path} (checked out next to the repository)")
    return path
