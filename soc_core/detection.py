"""The detection hook between parsing and storage (filled by the detection package)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from soc_core.alerts import Alert
from soc_core.events import Event


class Detector(Protocol):
    """Sees every stored event batch; returns the alerts it raises."""

    def process(self, events: Sequence[Event]) -> list[Alert]:
        """Alerts raised by this batch (may be empty)."""
        ...


class NoDetector:
    """The detector used until rules are configured: raises nothing."""

    def process(self, events: Sequence[Event]) -> list[Alert]:
        """No rules, no alerts."""
        return []
