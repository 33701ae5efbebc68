"""The network graph inside the platform: folds each committed batch's flows and threats,
raises an alert the first time a host talks to a key asset, saves its aggregates.

Aggregates live in ``<data>/graph/graph.msgpack``: a restart rebuilds the graph from them
in seconds instead of rereading raw events. ``meta.json`` beside it keeps when the graph
started watching, for the learning period.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from detectors.graph import FlowObservation, GraphFileError, NodeInfo, ThreatGraph
from detectors.graph.observations import FlowTuple, ThreatTuple
from soc_core.alerts import Alert
from soc_core.config import GraphSettings
from soc_core.vocabulary import SEVERITY_RISK, Severity

log = logging.getLogger(__name__)

GRAPH_DIR = "graph"
GRAPH_FILE = "graph.msgpack"
META_FILE = "meta.json"
NEW_COMMUNICATION_RULE = "shaowang.graph.new_communication"
NEW_COMMUNICATION_NAME = "首次出现的访问关系：访问重要资产"

Describe = Callable[[str], NodeInfo | None]


class GraphService:
    """The platform's one :class:`ThreatGraph` (one writer: the committing pipeline)."""

    def __init__(
        self,
        settings: GraphSettings,
        *,
        data_dir: Path,
        describe: Describe | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.directory = data_dir / GRAPH_DIR
        self.path = self.directory / GRAPH_FILE
        self._describe = describe
        self._clock = clock
        self._lock = threading.Lock()
        self.alerts_raised = 0
        self.dirty = False
        half_life = settings.risk_half_life_h * 3600
        self.graph = self._restore(half_life)
        self.started = self._started()

    def _restore(self, half_life: float) -> ThreatGraph:
        started = time.monotonic()
        try:
            graph = ThreatGraph.load(self.path, describe=self._describe, half_life_s=half_life)
        except FileNotFoundError:
            return ThreatGraph(describe=self._describe, half_life_s=half_life)
        except GraphFileError as exc:
            # keep the damaged file for inspection; the graph starts again from new flows
            aside = self.path.with_suffix(f".damaged-{int(self._clock())}")
            os.replace(self.path, aside)
            log.error("%s; moved aside to %s, the graph starts empty", exc, aside)
            return ThreatGraph(describe=self._describe, half_life_s=half_life)
        log.info("network graph restored in %.2f s: %s", time.monotonic() - started, graph.stats())
        return graph

    def _started(self) -> float:
        meta = self.directory / META_FILE
        try:
            return float(json.loads(meta.read_text())["started"])
        except (OSError, ValueError, KeyError, TypeError):
            now = self._clock()
            self.directory.mkdir(parents=True, exist_ok=True)
            meta.write_text(json.dumps({"started": now}))
            return now

    def learning(self, now: float | None = None) -> bool:
        """Whether the learning period (no new-communication alerts) is still running."""
        current = self._clock() if now is None else now
        return current - self.started < self.settings.learning_days * 86400

    def refresh_nodes(self) -> None:
        """The register changed: ask ``describe`` again about every address."""
        with self._lock:
            self.graph.refresh_nodes()

    def update(
        self, *, flows: Sequence[FlowTuple], threats: Sequence[ThreatTuple], alerts: Sequence[Alert]
    ) -> list[Alert]:
        """Fold one committed batch in; the new-communication alerts it raises."""
        with self._lock:
            observations = [
                FlowObservation(
                    src=f[0], dst=f[1], port=f[2], transport=f[3], count=f[4], bytes=f[5], ts=f[6]
                )
                for f in flows
            ]
            first_seen = self.graph.fold(observations) if observations else []
            for source, destination, score, ts in threats:
                self.graph.add_threat(
                    source=source or None, destination=destination or None, score=score, ts=ts
                )
            for earlier in alerts:
                self.graph.add_threat(
                    source=earlier.source_ip,
                    destination=earlier.destination_ip,
                    score=SEVERITY_RISK.get(int(earlier.severity), 50.0),
                    ts=earlier.timestamp.timestamp(),
                )
            self.dirty = self.dirty or bool(observations or threats or alerts)
            if not first_seen or self.learning():
                return []
            when = {(f[0], f[1], f[2], f[3]): f[6] for f in flows}
            raised: list[Alert] = []
            for key in first_seen:
                alert = self._new_edge_alert(key, when)
                if alert is not None:
                    raised.append(alert)
            self.alerts_raised += len(raised)
            return raised

    def _new_edge_alert(
        self, key: tuple[str, str, int | None, str], when: dict[tuple[str, str, int | None, str], float]
    ) -> Alert | None:
        src, dst, port, transport = key
        node = self.graph.node(dst)  # the register's entry, as the graph asked for it on folding
        info = node.info if node is not None else None
        if info is None:
            return None
        level_hit = info.level is not None and info.level >= self.settings.alert_min_level
        critical_hit = info.criticality is not None and info.criticality in self.settings.alert_criticality
        if not (level_hit or critical_hit):
            return None
        service = f"{port}/{transport}" if port is not None else transport
        name = info.name or dst
        return Alert(
            rule_id=NEW_COMMUNICATION_RULE,
            rule_name=NEW_COMMUNICATION_NAME,
            severity=Severity.HIGH if critical_hit else Severity.MEDIUM,
            timestamp=dt.datetime.fromtimestamp(when.get(key, self._clock()), dt.UTC),
            tags=["attack.discovery", "attack.lateral_movement", "shaowang.graph"],
            source_ip=src,
            destination_ip=dst,
            attack_type="new_communication",
            target=f"{dst}:{port}" if port is not None else dst,
            description=(
                f"{src} 首次访问 {name}（{dst} {service}"
                + (f"，等保{info.level}级" if info.level else "")
                + (f"，{info.owner_unit}" if info.owner_unit else "")
                + "）"
            ),
        )

    def save(self) -> None:
        """Write the aggregates if anything changed since the last save."""
        with self._lock:
            if not self.dirty:
                return
            self.dirty = False
        self.directory.mkdir(parents=True, exist_ok=True)
        self.graph.save(self.path)

    def stats(self) -> dict[str, Any]:
        """Size, learning state and alerts raised, for the API."""
        return {
            **self.graph.stats(),
            "learning": self.learning(),
            "watching_since": dt.datetime.fromtimestamp(self.started, dt.UTC).isoformat(),
            "new_communication_alerts": self.alerts_raised,
        }
