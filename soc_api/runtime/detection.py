"""Detection in ``soc run``: the engine from the settings, its state kept across restarts.

The main process owns the stateful half (correlation windows, alert dedup) and the parse
workers each load the same rules for the stateless half. Alerts are written to the state
store as they are raised or updated; window and dedup state, and rule health, are saved
every ``detection.state_save_interval_s`` and at shutdown, and restored at start.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
from collections.abc import Callable
from pathlib import Path

from detectors.sigma.engine import DetectionEngine, health_rows
from detectors.sigma.rules import SHIPPED_RULES, RuleSet, load_rules
from soc_core.config import DetectionSettings
from soc_core.detection import Detector, Outcome
from soc_core.state.alerts import load_detection_state, record_rule_health, save_alerts, save_detection_state
from soc_core.state.db import StateStore

log = logging.getLogger(__name__)

STATE_NAME = "engine"  # the detection_state row holding windows and dedup state


def rule_paths(settings: DetectionSettings) -> list[Path]:
    """The rule files and folders the settings name (the shipped pack first)."""
    paths = [SHIPPED_RULES] if settings.shipped and SHIPPED_RULES.is_dir() else []
    return paths + list(settings.rules)


def build_engine(settings: DetectionSettings) -> DetectionEngine:
    """Load and compile the configured rules; refusals are logged with their reasons."""
    return engine_for(load_rules(rule_paths(settings), placeholders=settings.placeholders), settings)


def engine_for(ruleset: RuleSet, settings: DetectionSettings) -> DetectionEngine:
    """An engine with its own windows and dedup state over rules already loaded."""
    return DetectionEngine(
        ruleset,
        timezone=settings.timezone,
        dedup=settings.dedup_window_s > 0,
        dedup_window=dt.timedelta(seconds=settings.dedup_window_s) if settings.dedup_window_s > 0 else None,
    )


def _worker_detector(settings_json: str) -> Detector:
    return build_engine(DetectionSettings.model_validate_json(settings_json))


def worker_factory(settings: DetectionSettings) -> Callable[[], Detector]:
    """A picklable factory the parse workers call to load the same rules."""
    return functools.partial(_worker_detector, settings.model_dump_json())


class DetectionService:
    """The engine of a running node, with its state in the state store."""

    def __init__(self, engine: DetectionEngine, state: StateStore) -> None:
        self.engine = engine
        self.state = state
        # Settling runs in pipeline threads: snapshots take the same lock (Pipeline.settle_lock).
        self.lock = threading.Lock()

    def start(self) -> None:
        """Restore saved windows and report what was loaded."""
        report = self.engine.report
        for failure in report.failed:
            log.warning("rule refused: %s: %s", failure.path, failure.reason)
        log.info(
            "detection: %d of %d rules compiled (%d correlations), %d refused",
            report.compiled,
            report.rules,
            report.correlations,
            len(report.failed),
        )
        with self.state.session() as session:
            saved = load_detection_state(session, name=STATE_NAME)
        if saved is not None:
            try:
                self.engine.restore(saved)
            except Exception:  # a damaged blob must not stop detection: start with empty windows
                log.exception("saved detection state could not be restored; starting with empty windows")
        self.save(prune=True)

    def record_alerts(self, outcome: Outcome) -> None:
        """Alerts raised or updated by a committed batch → the state store."""
        with self.state.session() as session:
            save_alerts(session, alerts=outcome.new + outcome.updated)

    def save(self, *, prune: bool = False) -> None:
        """Windows, dedup state and rule health → the state store."""
        with self.lock:
            snapshot = self.engine.snapshot()
            rows = health_rows(self.engine)
        with self.state.session() as session:
            save_detection_state(session, name=STATE_NAME, payload=snapshot)
            record_rule_health(session, rows=rows, prune=prune)
