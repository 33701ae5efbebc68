"""Regression cases of the rule pack: ``rules/regression/<rule>/`` events and the expected count.

A case folder holds ``expected.yml`` (``rule``: the rule's id or file stem, ``matches``: how
many alerts that rule raises over the events with dedup off, optional ``dataset`` for raw
lines) and either ``events.ndjson`` (ECS documents in time order) or ``input.log`` (raw
device lines, parsed as the platform parses them). Each case runs on a fresh engine state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from collectors.parse import parse_record
from detectors.sigma.engine import DetectionEngine
from soc_core.events import Event
from soc_core.records import RawRecord

RECEIVED_AT = 1_795_766_400.0  # 2026-11-27T08:00:00Z: year-less device times resolve against it


@dataclass(frozen=True, slots=True)
class CaseResult:
    """One case: what was expected and what the engine did."""

    name: str
    rule: str
    expected: int
    got: int
    note: str = ""

    @property
    def passed(self) -> bool:
        return self.expected == self.got and not self.note


def case_events(folder: Path, expected: dict[str, Any]) -> list[Event]:
    """The case's events: ECS documents, or raw lines through the parsers."""
    ndjson = folder / "events.ndjson"
    if ndjson.exists():
        lines = [line for line in ndjson.read_bytes().splitlines() if line.strip()]
        return [Event.from_json(line) for line in lines]
    raw = folder / "input.log"
    events: list[Event] = []
    for number, line in enumerate(raw.read_bytes().splitlines(), start=1):
        if not line.strip():
            continue
        record = RawRecord(
            data=line,
            received_at=RECEIVED_AT,
            origin=f"file:{raw}",
            offset=number,
            hint=expected.get("dataset"),
            timezone=expected.get("timezone"),
        )
        outcome = parse_record(record, fmt=expected.get("dataset") or "auto")
        if outcome.dead_letter is not None:
            raise ValueError(f"{raw}:{number}: not parsed: {outcome.dead_letter.error}")
        events.extend(outcome.events)
    return events


def rule_ids(engine: DetectionEngine, reference: str) -> set[str]:
    """The alert rule ids a case's ``rule`` (id or file stem) stands for."""
    found = {reference}
    for loaded in engine.rules:
        if Path(loaded.compiled.path).stem == reference:
            found.add(loaded.compiled.id)
    for rule, path in engine.ruleset.correlations:
        if Path(path).stem == reference and rule.id is not None:
            found.add(str(rule.id))
    return found


def run_case(engine: DetectionEngine, folder: Path) -> CaseResult:
    """Run one case on a fresh state of ``engine`` (dedup off)."""
    expected = yaml.safe_load((folder / "expected.yml").read_text("utf-8")) or {}
    reference = str(expected.get("rule", folder.name))
    want = int(expected.get("matches", -1))
    try:
        events = case_events(folder, expected)
    except (OSError, ValueError) as exc:
        return CaseResult(folder.name, reference, want, 0, f" ({exc})")
    ids = rule_ids(engine, reference)
    if ids == {reference} and not any(reference == r.compiled.id for r in engine.rules):
        known = {str(r.id) for r, _ in engine.ruleset.correlations}
        if reference not in known:
            return CaseResult(folder.name, reference, want, 0, " (no such rule loaded)")
    alerts = engine.fresh().process(events)
    got = sum(1 for alert in alerts if alert.rule_id in ids)
    return CaseResult(folder.name, reference, want, got)


def run_cases(*, rules: Sequence[Path], regression: Path) -> list[CaseResult]:
    """Every case folder under ``regression`` against the rules under ``rules``."""
    engine = DetectionEngine.from_paths(list(rules), dedup=False)
    folders = sorted(p for p in regression.iterdir() if (p / "expected.yml").exists())
    return [run_case(engine, folder) for folder in folders]
