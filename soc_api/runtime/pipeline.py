"""The pipeline: records → parse → detect → store, with every record accounted for.

Records are taken from the intake queue in batches; a batch is parsed, shown to the detector
and appended to the event store in one durable write (group commit). Only after that write
returns are the records counted as stored and file offsets allowed to advance, so
``received = stored + dead-lettered + dropped + queued`` holds at every instant.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from collectors.intake import IntakeQueue, IntakeStats
from detectors.graph.observations import FlowTuple, ThreatTuple, flow_tuples, threat_tuples
from soc_api.runtime.sources import SourceRouter
from soc_api.runtime.workers import ParsePool, decode_chunk, parse_records
from soc_core.config import SourceMapping
from soc_core.detection import Detector, Enricher, GraphSink, MatchBatch, NoDetector, Outcome
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.storage.base import EventStore
from soc_core.storage.embedded import encode_batch

log = logging.getLogger(__name__)

StoredCallback = Callable[[Sequence[RawRecord]], None]


class PipelineCounters(msgspec.Struct, kw_only=True):
    """Pipeline totals since start."""

    records_in: int = 0
    records_stored: int = 0
    records_dead_lettered: int = 0
    events_stored: int = 0
    alerts: int = 0
    batches: int = 0
    commits: int = 0
    store_errors: int = 0
    last_commit_ms: float = 0.0


@dataclass(slots=True)
class _InFlight:
    records: list[RawRecord]
    future: asyncio.Future[bytes]


class Pipeline:
    """Parses, detects and stores batches of records.

    With a :class:`ParsePool`, parsing runs in worker processes while this process keeps
    receiving and committing; without one (``soc ingest``, small sites) it runs in a thread.
    """

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
        on_alerts: Callable[[Outcome], None] | None = None,
        pool: ParsePool | None = None,
        enricher: Enricher | None = None,
        graph: GraphSink | None = None,
        max_in_flight: int = 4,
        latency_window: int = 100_000,
    ) -> None:
        self.store = store
        self.intake_stats = intake_stats
        self.detector: Detector = detector or NoDetector()
        self.default_format = default_format
        self.default_timezone = default_timezone
        self.router = SourceRouter(sources)
        self.on_stored = on_stored
        self.on_alerts = on_alerts
        self.settle_lock = threading.Lock()
        self.pool = pool
        self.enricher = enricher  # in-process parsing; the pool's workers have their own
        self.graph = graph
        self.max_in_flight = max_in_flight
        self.counters = PipelineCounters()
        self._latencies: collections.deque[float] = collections.deque(maxlen=latency_window)
        self._lock = threading.Lock()
        self._stopping = False
        self._in_flight: collections.deque[_InFlight] = collections.deque()

    # -- in-process mode -------------------------------------------------------------------

    def process_batch(self, records: Sequence[RawRecord]) -> None:
        """Parse, detect and durably store one batch here; raises if the store write fails."""
        events, dead, matches = parse_records(
            records,
            default_format=self.default_format,
            default_timezone=self.default_timezone,
            router=self.router if self.router else None,
            detector=self.detector,
            enricher=self.enricher,
        )
        outcome = self._settle([matches])
        rows = events + dead + [alert.to_event() for alert in outcome.new]
        started = time.monotonic()
        if rows:
            self.store.append(rows)
        self._account(records, events=len(events), dead=len(dead), alerts=len(outcome.new), started=started)
        self._alerts_stored(outcome)
        if self.graph is not None:
            self._update_graph(flow_tuples(events), threat_tuples(events), outcome)

    def process_events(self, events: Sequence[Event]) -> None:
        """Events the platform makes itself (source health): detect and store them like parsed ones."""
        for event in events:
            event.ensure_id()
        if self.enricher is not None:
            self.enricher.enrich(events)
        outcome = self._settle([self.detector.match(events)])
        self.store.append([*events, *(alert.to_event() for alert in outcome.new)])
        with self._lock:
            self.counters.events_stored += len(events)
            self.counters.alerts += len(outcome.new)
        self._alerts_stored(outcome)
        if self.graph is not None:
            self._update_graph(flow_tuples(events), threat_tuples(events), outcome)

    def store_alerts(self, outcome: Outcome) -> None:
        """Alerts raised outside the stream (scheduled hunts): mirrored and recorded like its own."""
        if outcome.new:
            self.store.append([alert.to_event() for alert in outcome.new])
        with self._lock:
            self.counters.alerts += len(outcome.new)
        self._alerts_stored(outcome)

    def _settle(self, batches: Sequence[MatchBatch]) -> Outcome:
        """Correlation and dedup, under the lock: batches settle one at a time, in order."""
        with self.settle_lock:
            total = Outcome()
            for batch in batches:
                if batch.matches or batch.costs:
                    outcome = self.detector.settle(batch)
                    total.new.extend(outcome.new)
                    total.updated.extend(outcome.updated)
                    total.suppressed += outcome.suppressed
            return total

    def _alerts_stored(self, outcome: Outcome) -> None:
        if self.on_alerts is not None and (outcome.new or outcome.updated):
            try:
                self.on_alerts(outcome)
            except Exception:  # the events are stored; a state-store hiccup must not redo them
                log.exception("recording %d alerts in the state store failed", len(outcome.new))

    def _account(
        self,
        records: Sequence[RawRecord],
        *,
        events: int,
        dead: int,
        alerts: int,
        started: float,
        batches: int = 1,
    ) -> None:
        done = time.time()
        with self._lock:
            c = self.counters
            c.records_in += len(records)
            c.records_dead_lettered += dead
            c.records_stored += len(records) - dead
            c.events_stored += events
            c.alerts += alerts
            c.batches += batches
            c.commits += 1
            c.last_commit_ms = (time.monotonic() - started) * 1000
            self._latencies.extend(done - r.received_at for r in records)
        if self.on_stored is not None:
            self.on_stored(records)

    # -- the loop ---------------------------------------------------------------------------

    async def run(self, queue: IntakeQueue, *, batch_max: int = 5000, commit_interval: float = 0.05) -> None:
        """Drain ``queue`` until :meth:`stop`; a failed store write is retried, never skipped."""
        if self.pool is not None:
            await self._run_pooled(queue, batch_max=batch_max, commit_interval=commit_interval)
            return
        while True:
            batch = await queue.get_batch(batch_max, timeout=commit_interval)
            if not batch:
                if self._stopping and not len(queue):
                    return
                continue
            await self._with_retry(
                functools.partial(asyncio.to_thread, self.process_batch, batch), len(batch)
            )

    async def _run_pooled(self, queue: IntakeQueue, *, batch_max: int, commit_interval: float) -> None:
        assert self.pool is not None
        pool = self.pool
        wakeup = asyncio.Event()
        committer = asyncio.create_task(self._commit_loop(wakeup), name="pipeline-commit")
        # Smaller chunks than a commit keep every worker busy; commits still group them.
        chunk = max(500, batch_max // max(1, pool.workers))
        try:
            while True:
                while len(self._in_flight) >= self.max_in_flight * pool.workers:
                    # Wait, but never raise here: a failed chunk is the commit loop's to redo.
                    await asyncio.wait([self._in_flight[0].future])
                    await asyncio.sleep(0)
                batch = await queue.get_batch(chunk, timeout=commit_interval)
                if not batch:
                    if self._stopping and not len(queue):
                        break
                    continue
                future = asyncio.wrap_future(pool.submit(batch))
                self._in_flight.append(_InFlight(batch, future))
                wakeup.set()
        finally:
            self._stopping = True
            wakeup.set()
            await committer

    async def _commit_loop(self, wakeup: asyncio.Event) -> None:
        while True:
            if not self._in_flight:
                if self._stopping:
                    return
                wakeup.clear()
                await wakeup.wait()
                continue
            head = self._in_flight[0]
            try:
                await head.future
            except Exception:
                # A worker died (or could not encode): parse this chunk here instead.
                log.exception("parse worker failed on %d records; parsing them in-process", len(head.records))
                self._in_flight.popleft()
                await self._with_retry(
                    functools.partial(asyncio.to_thread, self.process_batch, head.records), len(head.records)
                )
                continue
            # Group commit: every chunk already parsed goes into one fsync'd write.
            ready: list[_InFlight] = []
            while self._in_flight and _succeeded(self._in_flight[0].future):
                ready.append(self._in_flight.popleft())
            size = sum(len(x.records) for x in ready)
            await self._with_retry(functools.partial(asyncio.to_thread, self._commit, ready), size)

    def _commit(self, ready: list[_InFlight]) -> None:
        chunks = [decode_chunk(item.future.result()) for item in ready]
        outcome = self._settle([c.matches for c in chunks])
        started = time.monotonic()
        payload = b"".join(c.payload for c in chunks)
        rows = sum(c.stored for c in chunks)
        if outcome.new:  # the alerts' mirrors go into the same durable write as their events
            payload += encode_batch([alert.to_event() for alert in outcome.new])
            rows += len(outcome.new)
        if rows:
            self.store.append_encoded(payload, rows)
        records = [r for item in ready for r in item.records]
        self._account(
            records,
            events=sum(c.events for c in chunks),
            dead=sum(c.dead_letters for c in chunks),
            alerts=len(outcome.new),
            started=started,
            batches=len(chunks),
        )
        self._alerts_stored(outcome)
        self._update_graph(
            [flow for c in chunks for flow in c.flows],
            [threat for c in chunks for threat in c.threats],
            outcome,
        )

    def _update_graph(self, flows: list[FlowTuple], threats: list[ThreatTuple], outcome: Outcome) -> None:
        """Stored events' flows and threats into the graph; its own alerts stored like any other."""
        if self.graph is None or not (flows or threats or outcome.new):
            return
        try:
            raised = self.graph.update(flows=flows, threats=threats, alerts=outcome.new)
        except Exception:  # the events are stored; the graph catches up with the next batch
            log.exception("updating the network graph with %d flows failed", len(flows))
            return
        if raised:
            self.store_alerts(Outcome(new=raised))

    async def _with_retry(self, attempt: Callable[[], Awaitable[None]], size: int) -> None:
        delay = 0.1
        while True:
            try:
                await attempt()
                return
            except Exception:  # the batch stays ours until it is stored
                with self._lock:
                    self.counters.store_errors += 1
                log.exception("storing a batch of %d records failed; retrying in %.1fs", size, delay)
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
            "in_flight": max(
                0, totals["received"] - totals["dropped"] - counters["records_in"] - queue_depth
            ),
            "stored": counters["records_stored"],
            "dead_lettered": counters["records_dead_lettered"],
            "parse_workers": self.pool.workers if self.pool is not None else 0,
            **{k: v for k, v in counters.items() if k not in {"records_stored", "records_dead_lettered"}},
            "latency_ms": {
                "samples": len(latencies),
                "p50": _percentile(latencies, 0.50) * 1000,
                "p99": _percentile(latencies, 0.99) * 1000,
                "max": (latencies[-1] if latencies else 0.0) * 1000,
            },
            "peers": [msgspec.to_builtins(p) for p in self.intake_stats.snapshot()],
        }


def _succeeded(future: asyncio.Future[bytes]) -> bool:
    return future.done() and not future.cancelled() and future.exception() is None


def _percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, int(q * len(sorted_values)))
    return sorted_values[index]
