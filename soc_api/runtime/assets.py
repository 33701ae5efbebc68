"""The asset register inside the pipeline: enrichment in every parse worker, the graph's
view of each address, and passive discovery of hosts seen in flows.

Each holder keeps an :class:`AssetIndex` and rebuilds it when the register has changed
(what people own: imported and edited assets, zones), looking at most every ``refresh_s``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import func, select

from collectors.enrich.assets import AssetEnricher
from detectors.graph import NodeInfo
from detectors.graph.observations import FlowTuple
from soc_core.assets import service as assets
from soc_core.assets.lookup import AssetContext, AssetIndex
from soc_core.events import Event
from soc_core.state.db import StateStore, open_state
from soc_core.state.models import AssetRecord, ZoneRecord

log = logging.getLogger(__name__)

REFRESH_S = 10.0
DISCOVERED = "discovered"


def register_version(state: StateStore) -> tuple[Any, ...]:
    """Changes whenever a person changes the register or its zones (discovery does not count)."""
    with state.session(readonly=True) as session:
        people = session.execute(
            select(func.count(), func.max(AssetRecord.updated_at)).where(AssetRecord.origin != DISCOVERED)
        ).one()
        zones = session.execute(select(func.count(), func.max(ZoneRecord.updated_at))).one()
    return (*people, *zones)


class RegisterView:
    """An :class:`AssetIndex` kept in step with the register."""

    def __init__(self, state: StateStore, *, refresh_s: float = REFRESH_S) -> None:
        self.state = state
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._version: tuple[Any, ...] | None = None
        self._checked = 0.0
        self.index = AssetIndex.build(())
        self.rebuilds = 0
        self.refresh(force=True)

    def refresh(self, *, force: bool = False) -> bool:
        """Rebuild the index if the register changed (looked at most every ``refresh_s``)."""
        now = time.monotonic()
        with self._lock:
            if not force and now - self._checked < self.refresh_s:
                return False
            self._checked = now
            try:
                version = register_version(self.state)
                if version == self._version:
                    return False
                self.index = assets.load_index(state=self.state)
            except Exception:  # enrichment goes on with the index it has
                log.exception("reading the asset register failed; enrichment keeps the previous index")
                return False
            self._version = version
            self.rebuilds += 1
            return True

    def lookup(self, ip: str) -> AssetContext | None:
        """The register's context of ``ip``."""
        return self.index.lookup(ip)

    def describe(self, ip: str) -> NodeInfo | None:
        """The graph's view of ``ip``."""
        found = self.index.lookup(ip)
        if found is None:
            return None
        return NodeInfo(
            asset_id=str(found.asset_id),
            name=found.name,
            zone=found.zone,
            owner_unit=found.owner_unit,
            level=found.level,
            criticality=found.criticality,
        )


class RegisterEnricher:
    """The enrichment stage of one parse worker (or of the in-process pipeline)."""

    def __init__(self, state_url: str, *, refresh_s: float = REFRESH_S) -> None:
        self.view = RegisterView(open_state(state_url, migrate_schema=False), refresh_s=refresh_s)
        self._enricher = AssetEnricher(self.view.lookup)

    def enrich(self, events: Sequence[Event]) -> None:
        """Asset and zone context of each event's addresses."""
        if self.view.refresh():
            self._enricher.reset(self.view.lookup)
        self._enricher.enrich(events)


def make_enricher(state_url: str) -> RegisterEnricher:
    """The worker-side factory (a module-level function: workers are spawned processes)."""
    return RegisterEnricher(state_url)


def discovery_batch(
    flows: Sequence[FlowTuple], is_ours: Callable[[str], bool]
) -> list[tuple[str, str | None, float]]:
    """Hosts worth recording from a batch of flows: our own addresses, destinations with the
    service they answered on; the latest time per (host, service)."""
    latest: dict[tuple[str, str | None], float] = {}
    for src, dst, port, transport, _count, _bytes, ts in flows:
        if is_ours(dst):
            key = (dst, f"{transport}/{port}" if port is not None else None)
            if latest.get(key, 0.0) < ts:
                latest[key] = ts
        if is_ours(src) and latest.get((src, None), 0.0) < ts:
            latest[(src, None)] = ts
    return [(ip, service, ts) for (ip, service), ts in latest.items()]


@functools.lru_cache(maxsize=65_536)
def private_address(ip: str) -> bool:
    """Addresses of the extranet itself (private and documentation ranges), not the internet's.

    Cached: it is asked twice per committed flow, and the same hosts recur."""
    try:
        return ipaddress.ip_address(ip).is_private
    except ValueError:
        return False
