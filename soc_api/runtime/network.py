"""The network model of one node: the register's view, the graph, passive discovery.

Both ``soc run`` and ``soc ingest`` build one, so flows ingested offline update the same
graph aggregates and the same register as live ones.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from detectors.graph.observations import FlowTuple, ThreatTuple
from soc_api.runtime.assets import RegisterView, discovery_batch, private_address
from soc_api.runtime.graph import GraphService
from soc_core.alerts import Alert
from soc_core.assets import service as assets
from soc_core.config import Settings
from soc_core.state.db import StateStore

log = logging.getLogger(__name__)


class NetworkModel:
    """A :class:`~soc_core.detection.GraphSink`: each committed batch folds into the graph and
    records the extranet's own hosts in the register (discovery)."""

    def __init__(self, settings: Settings, *, state: StateStore, data_dir: Path) -> None:
        self.state = state
        self.register = RegisterView(state)
        self.graph = GraphService(settings.graph, data_dir=data_dir, describe=self.register.describe)
        self.discovered = 0
        self.discovery_errors = 0

    def update(
        self, *, flows: Sequence[FlowTuple], threats: Sequence[ThreatTuple], alerts: Sequence[Alert]
    ) -> list[Alert]:
        """Fold the batch into the graph; note the hosts it shows; the graph's alerts."""
        if self.register.refresh():
            self.graph.refresh_nodes()  # describe reads the rebuilt index
        raised = self.graph.update(flows=flows, threats=threats, alerts=alerts)
        seen = discovery_batch(flows, private_address)
        if seen:
            try:
                report = assets.observe(self.state, seen)
                self.discovered += report.created
            except Exception:  # discovery is a convenience: the events and the graph are safe
                self.discovery_errors += 1
                log.exception("recording %d discovered hosts failed", len(seen))
        return raised

    def save(self) -> None:
        """Save the graph's aggregates (if they changed)."""
        self.graph.save()

    def stats(self) -> dict[str, Any]:
        """Graph and discovery figures."""
        return {
            **self.graph.stats(),
            "register_rebuilds": self.register.rebuilds,
            "hosts_discovered": self.discovered,
            "discovery_errors": self.discovery_errors,
        }
