"""The pipeline: records → parse → detect → store, with every record accounted for.

Records are taken from the intake queue in batches; a batch is parsed, shown to the detector
and appended to the event store in one durable write (group commit). Only after that write
returns are the records counted as stored and file offsets allowed to advance, so
``received = stored + dead-lettered + dropped + queued`` holds at every instant.
"""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import ipaddress
import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import msgspec

from collectors.intake import IntakeQueue, IntakeStats
from collectors.parse import parse_record
from soc_core.config import SourceMapping
from soc_core.detection import Detector, NoDetector
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.storage.base import EventStore

log = logging.getLogger(__name__)

StoredCallback = Callable[[Sequence[RawRecord]], None]


class SourceRouter:
    """Applies per-source settings (peer address or CIDR → dataset, timezone) to records."""

    def __init__(self, mappings: Sequence[SourceMapping]) -> None:
        self._nets: list[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, SourceMapping]] = []
        self._hosts: dict[str, SourceMapping] = {}
        for mapping in mappings:
            try:
                self._nets.append((ipaddress.ip_network(mapping.match, strict=False), mapping))
            except ValueError:
                self._hosts[mapping.match.lower()] = mapping
        self._cache: dict[str, SourceMapping | None] = {}

    def __bool__(self) -> bool:
        return bool(self._nets or self._hosts)

    def lookup(self, peer: str | None) -> SourceMapping | None:
        """The mapping for a peer ``ip:port`` (or host name), if any."""
        if peer is None:
            return None
        if peer in self._cache:
            return self._cache[peer]
        host = peer.rsplit(":", 1)[0].strip("[]") if peer.count(":") == 1 or peer.startswith("[") else peer
        found: SourceMapping | None = self._hosts.get(host.lower())
        if found is None:
            try:
                address = ipaddress.ip_address(host)
            except ValueError:
                address = None
            if address is not None:
                for net, mapping in self._nets:
                    if address.version == net.version and address in net:
                        found = mapping
                        break
        if len(self._cache) < 100_000:
            self._cache[peer] = found
        return found

    def apply(self, record: RawRecord) -> RawRecord:
        """The record with the source's dataset hint and timezone, when configured."""
        mapping = self.lookup(record.peer)
        if mapping is None:
            return record
        return msgspec.structs.replace(
            record,
            hint=record.hint or mapping.dataset,
            timezone=record.timezone or mapping.timezone,
        )


class PipelineCounters(msgspec.Struct, kw_only=True):
    """Pipeline totals since start."""

    records_in: int = 0
    records_stored: int = 0
    records_dead_lettered: int = 0
    events_stored: int = 0
    alerts: int = 0
    batches: int = 0
    store_errors: int = 0
    last_commit_ms: float = 0.0


class Pipeline:
    """Parses, detects and stores batches of records."""

    def __init__(
        self,
        *,
        store: EventStore,
        intake_stats: IntakeStats,
        detector: Detector | None = None,
        default_format: str = "auto",
        default_timezone: str = "Asia/Shanghai",
        sources: Sequence[SourceMapping] = (),
        on_stored: StoredCallback | None = None,
        latency_window: int = 100_000,
    ) -> None:
        self.store = store
        self.intake_stats = intake_stats
        self.detector: Detector = detector or NoDetector()
        self.default_format = default_format
        self.default_timezone = default_timezone
        self.router = SourceRouter(sources)
        self.on_stored = on_stored
        self.counters = PipelineCounters()
        self._latencies: collections.deque[float] = collections.deque(maxlen=latency_window)
        self._lock = threading.Lock()
        self._stopping = False

    # -- one batch (runs in a worker thread) -------------------------------------------------

    def process_batch(self, records: Sequence[RawRecord]) -> None:
        """Parse, detect and durably store one batch; raises if the store write fails."""
        events: list[Event] = []
        dead: list[Event] = []
        router = self.router
        fmt = self.default_format
        tz = self.default_timezone
        for record in records:
            if router:
                record = router.apply(record)
            outcome = parse_record(record, fmt=fmt, default_timezone=tz)
            if outcome.dead_letter is not None:
                dead.append(outcome.dead_letter)
            else:
                events.extend(outcome.events)
        ingested = dt.datetime.now(dt.UTC)
        for event in events:
            event.ensure_id()
            event.event.ingested = ingested
        for event in dead:
            event.ensure_id()
            event.event.ingested = ingested
        alerts = self.detector.process(events) if events else []
        to_store = events + dead + [alert.to_event() for alert in alerts]
        started = time.monotonic()
        if to_store:
            self.store.append(to_store)
        done = time.time()
        with self._lock:
            c = self.counters
            c.records_in += len(records)
            c.records_dead_lettered += len(dead)
            c.records_stored += len(records) - len(dead)
            c.events_stored += len(events)
            c.alerts += len(alerts)
            c.batches += 1
            c.last_commit_ms = (time.monotonic() - started) * 1000
            self._latencies.extend(done - r.received_at for r in records)
        if self.on_stored is not None:
            self.on_stored(records)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, queue: IntakeQueue, *, batch_max: int = 5000, commit_interval: float = 0.05) -> None:
        """Drain ``queue`` until :meth:`stop`; a failed store write is retried, never skipped."""
        while True:
            batch = await queue.get_batch(batch_max, timeout=commit_interval)
            if not batch:
                if self._stopping and not len(queue):
                    return
                continue
            # Top the batch up briefly: fewer, larger fsyncs under load (group commit).
            if len(batch) < batch_max and len(queue):
                batch.extend(await queue.get_batch(batch_max - len(batch), timeout=0))
            await self._store_with_retry(batch)

    async def _store_with_retry(self, batch: list[RawRecord]) -> None:
        delay = 0.1
        while True:
            try:
                await asyncio.to_thread(self.process_batch, batch)
                return
            except Exception:  # the batch stays ours until it is stored
                with self._lock:
                    self.counters.store_errors += 1
                log.exception("storing a batch of %d records failed; retrying in %.1fs", len(batch), delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def stop(self) -> None:
        """Finish what is queued, then return from :meth:`run`."""
        self._stopping = True

    # -- figures ----------------------------------------------------------------------------

    def snapshot(self, *, queue_depth: int = 0) -> dict[str, Any]:
        """Counters, latency percentiles and per-peer intake figures for ``/stats/ingest``."""
        with self._lock:
            counters = msgspec.to_builtins(self.counters)
            latencies = sorted(self._latencies)
        totals = self.intake_stats.totals()
        return {
            "received": totals["received"],
            "received_bytes": totals["bytes"],
            "dropped": totals["dropped"],
            "intake_errors": totals["errors"],
            "queued": queue_depth,
            "in_flight": max(0, totals["received"] - totals["dropped"] - counters["records_in"] - queue_depth),
            "stored": counters["records_stored"],
            "dead_lettered": counters["records_dead_lettered"],
            **{k: v for k, v in counters.items() if k not in {"records_stored", "records_dead_lettered"}},
            "latency_ms": {
                "samples": len(latencies),
                "p50": _percentile(latencies, 0.50) * 1000,
                "p99": _percentile(latencies, 0.99) * 1000,
                "max": (latencies[-1] if latencies else 0.0) * 1000,
            },
            "peers": [msgspec.to_builtins(p) for p in self.intake_stats.snapshot()],
        }


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[index]
