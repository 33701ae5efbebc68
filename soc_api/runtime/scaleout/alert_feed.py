"""Alerts raised by workers, for the playbooks of the console node (``soc run``).

Workers record their alerts in the shared state store; the console reads the ones recorded
since it last looked and hands them to its playbook engine. Each alert is handed over once
per process; a playbook run is keyed by its alert id, so an alert seen again after a restart
(the feed looks back ``catch_up`` at start) or raised by the console's own pipeline starts
nothing twice.
"""

from __future__ import annotations

import datetime as dt

from soc_core.alerts import Alert
from soc_core.state.alerts import alerts_recorded_since
from soc_core.state.db import StateStore

#: How far back each poll looks again: a transaction stamped before the last poll may commit after it.
OVERLAP = dt.timedelta(seconds=30)


class AlertFeed:
    """New alerts of the state store, in the order they were recorded."""

    def __init__(
        self, state: StateStore, *, now: dt.datetime, catch_up: dt.timedelta = dt.timedelta(minutes=10)
    ) -> None:
        self.state = state
        self.since = now - catch_up
        self._handed: dict[str, dt.datetime] = {}  # alert id → recorded at, within OVERLAP of ``since``

    def poll(self, *, limit: int = 500) -> list[Alert]:
        """Alerts recorded since the last poll and not handed over yet (at most ``limit``)."""
        with self.state.session(readonly=True) as session:
            rows = alerts_recorded_since(session, since=self.since - OVERLAP, limit=limit + len(self._handed))
        fresh = [(at, alert) for at, alert in rows if alert.id not in self._handed][:limit]
        for at, alert in fresh:
            self._handed[alert.id] = at
            self.since = max(self.since, at)
        horizon = self.since - OVERLAP
        self._handed = {k: at for k, at in self._handed.items() if at >= horizon}
        return [alert for _at, alert in fresh]
