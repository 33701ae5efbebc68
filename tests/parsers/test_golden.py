"""Golden tests for every parser: ``collectors/parsers/<name>/samples/*.log`` → ``*-expected.ndjson``.

Discovery is by folder: a new parser with samples is tested without new test code. Each
non-empty line is one record received at a fixed instant from a fixed peer, so the goldens
are deterministic. Regenerate after an intended change with

    SOC_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/parsers/test_golden.py

and review the diff: the goldens are the parser's contract.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import pytest

from collectors.parse import parse_record
from collectors.parsers import AUTO_ORDER, PARSERS
from soc_core.events import Event
from soc_core.records import RawRecord

PARSERS_DIR = Path(__file__).resolve().parents[2] / "collectors" / "parsers"
RECEIVED_AT = dt.datetime(2026, 11, 27, 8, 0, tzinfo=dt.UTC).timestamp()
PEER = "192.0.2.1:514"
UPDATE = os.environ.get("SOC_UPDATE_GOLDEN") == "1"


def _dataset_of_folder(folder: str) -> str:
    module = f"collectors.parsers.{folder}.parser"
    found = [dataset for dataset, cls in PARSERS.items() if cls.__module__ == module]
    assert len(found) == 1, f"{module} must hold exactly one registered parser (found {found})"
    return found[0]


SAMPLES = sorted(PARSERS_DIR.glob("*/samples/*.log"))


def _sample_id(path: Path) -> str:
    return f"{path.parent.parent.name}/{path.name}"


def _records(sample: Path) -> list[RawRecord]:
    lines = sample.read_bytes().split(b"\n")
    return [
        RawRecord(data=line, received_at=RECEIVED_AT, origin="syslog/udp", peer=PEER, offset=number)
        for number, line in enumerate(lines, start=1)
        if line.strip()
    ]


def _docs(events: list[Event]) -> list[dict[str, Any]]:
    return [json.loads(event.to_json()) for event in events]


def test_samples_exist_for_every_parser_folder() -> None:
    folders = {p.name for p in PARSERS_DIR.iterdir() if (p / "parser.py").exists()}
    with_samples = {p.parent.parent.name for p in SAMPLES}
    assert folders <= with_samples, f"parser folders without samples/*.log: {sorted(folders - with_samples)}"


def test_registry_ids_match_parser_datasets() -> None:
    for dataset, cls in PARSERS.items():
        assert cls.dataset == dataset
    assert set(AUTO_ORDER) <= set(PARSERS)


@pytest.mark.parametrize("sample", SAMPLES, ids=_sample_id)
def test_golden(sample: Path) -> None:
    dataset = _dataset_of_folder(sample.parent.parent.name)
    events: list[Event] = []
    for record in _records(sample):
        outcome = parse_record(record, fmt=dataset)
        assert outcome.dead_letter is None, (
            f"{sample.name}:{record.offset}: dead-lettered: {outcome.dead_letter.to_json().decode()}"
        )
        assert outcome.events, f"{sample.name}:{record.offset}: no events"
        allowed = {dataset, *PARSERS.get(dataset).emits}
        for event in outcome.events:
            assert event.event.dataset in allowed
            assert event.event.original is not None
        events.extend(outcome.events)
    expected_path = sample.with_name(sample.stem + "-expected.ndjson")
    if UPDATE:
        expected_path.write_bytes(b"".join(event.to_json() + b"\n" for event in events))
    assert expected_path.exists(), f"missing {expected_path.name}; run with SOC_UPDATE_GOLDEN=1"
    expected = [json.loads(line) for line in expected_path.read_text("utf-8").splitlines() if line.strip()]
    got = _docs(events)
    assert len(got) == len(expected), f"{len(got)} events, golden has {len(expected)}"
    for index, (doc, want) in enumerate(zip(got, expected, strict=True)):
        assert doc == want, f"{sample.name}: event {index + 1} differs from the golden"
    # Round trip: what we emit loads back into the model unchanged.
    for doc in got:
        assert _docs([Event.from_dict(doc)]) == [doc]


@pytest.mark.parametrize("sample", SAMPLES, ids=_sample_id)
def test_auto_detection_picks_the_samples_parser(sample: Path) -> None:
    dataset = _dataset_of_folder(sample.parent.parent.name)
    for record in _records(sample):
        outcome = parse_record(record)
        assert outcome.dead_letter is None
        allowed = {dataset, *PARSERS.get(dataset).emits}
        assert {e.event.dataset for e in outcome.events} <= allowed, f"{sample.name}:{record.offset}"
