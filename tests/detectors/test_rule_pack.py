"""The rule pack against its regression cases: one case per folder under ``rules/regression/``.

A new folder is a new case; no test code changes. Each case runs on a fresh engine state over
the whole pack, so a rule that fires on another rule's events is caught there too.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from detectors.sigma.engine import DetectionEngine
from detectors.sigma.regression import case_events, run_case

PROJECT = Path(__file__).resolve().parents[2]
RULES = PROJECT / "rules" / "sigma"
REGRESSION = PROJECT / "rules" / "regression"
CASES = sorted(path for path in REGRESSION.iterdir() if path.is_dir())


@pytest.fixture(scope="module")
def engine() -> DetectionEngine:
    loaded = DetectionEngine.from_paths([RULES], dedup=False)
    reasons = "\n".join(f"{failure.path}: {failure.reason}" for failure in loaded.report.failed)
    assert not loaded.report.failed, f"rules that did not load:\n{reasons}"
    return loaded


@pytest.mark.parametrize("folder", CASES, ids=lambda path: path.name)
def test_regression_case(engine: DetectionEngine, folder: Path) -> None:
    result = run_case(engine, folder)
    assert not result.note, f"{folder.name}:{result.note}"
    assert result.got == result.expected, (
        f"{folder.name}: rule {result.rule} raised {result.got} alerts, expected {result.expected}"
    )


@pytest.mark.parametrize("folder", CASES, ids=lambda path: path.name)
def test_case_holds_matches_and_near_misses(folder: Path) -> None:
    expected = yaml.safe_load((folder / "expected.yml").read_text("utf-8"))
    assert set(expected) <= {"rule", "matches", "dataset", "timezone"}, expected
    assert (folder / "events.ndjson").exists() != (folder / "input.log").exists(), (
        f"{folder.name}: needs exactly one of events.ndjson and input.log"
    )
    events = case_events(folder, expected)
    # A case where every event matches proves nothing about what the rule leaves alone.
    assert expected["matches"] >= 1
    assert len(events) > expected["matches"]
    stamps = [event.timestamp for event in events]
    assert stamps == sorted(stamps), f"{folder.name}: events out of time order"


def test_every_rule_file_has_a_case_and_every_case_a_rule() -> None:
    stems = {path.stem for path in RULES.rglob("*.yml")}
    cases = {path.name for path in CASES}
    assert sorted(stems - cases) == [], "rule files without a regression folder"
    assert sorted(cases - stems) == [], "regression folders without a rule file"
