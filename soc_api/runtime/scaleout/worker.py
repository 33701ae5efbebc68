"""``soc worker``: enrichment, detection and storage of the partitions it holds a lease on.

For each owned partition a worker runs one detection engine (its own correlation windows and
alert dedup: every event of one group key is in one partition) and loops:

1. fetch up to ``FETCH_MESSAGES`` bus messages, in stream order;
2. events of messages at or below the partition's *detected sequence* were already seen by
   detection (a redelivery after a crash): they are only stored again;
3. the others are enriched, matched and settled; new alerts get ids derived from their rule
   and events, so the same events raise an alert with the same id whoever settles them;
4. events and alert mirrors go to the event store (Elasticsearch writes by ``event.id``: a
   re-stored event is not a copy);
5. alerts, the engine's state and the detected sequence are saved in one state-store
   transaction (PostgreSQL when several workers share it);
6. only then are the messages acknowledged.

A worker killed anywhere in that loop leaves its messages unacknowledged: the worker that
takes the partition over restores the engine state of step 5 and continues from the first
unacknowledged message, so every event is stored once and no alert is raised twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import msgspec
import nats.errors
from nats.js import JetStreamContext

from detectors.sigma.engine import DetectionEngine
from detectors.sigma.rules import RuleSet, load_rules
from soc_api.runtime.assets import RegisterEnricher
from soc_api.runtime.detection import engine_for, rule_paths
from soc_api.runtime.scaleout.bus import FETCH_MESSAGES, Bus, decode_events
from soc_api.runtime.scaleout.leases import Leases
from soc_api.runtime.scaleout.node import run_node
from soc_core.alerts import Alert
from soc_core.config import Settings
from soc_core.detection import Outcome
from soc_core.events import Event
from soc_core.state.alerts import load_detection_state, save_alerts, save_detection_state
from soc_core.state.db import StateStore, open_state
from soc_core.storage.base import EventStore
from soc_core.storage.factory import open_event_store
from soc_core.vocabulary import DEAD_LETTER_DATASET

log = logging.getLogger("shaowang.worker")

PROCESSING_THREADS = 2
FETCH_WAIT_S = 0.5  # how long an idle partition loop waits for messages (and to notice a stop)


class PartitionState(msgspec.Struct, kw_only=True):
    """What the state store keeps per partition: detection state up to ``detected_seq``."""

    detected_seq: int = 0
    engine: bytes | None = None


class WorkerCounters(msgspec.Struct, kw_only=True):
    """Worker totals since start."""

    messages: int = 0
    events_stored: int = 0
    events_detected: int = 0
    redelivered_events: int = 0
    alerts: int = 0
    bad_messages: int = 0
    errors: int = 0


def state_name(partition: int) -> str:
    """The detection-state row of a partition."""
    return f"partition-{partition}"


def settled_alert_id(alert: Alert) -> str:
    """An id from what raised the alert: the same events give the same id on any worker.

    Only the first event counts: later matches of the same batch fold into a new alert before
    it leaves ``settle``, and a redelivered batch can hold more of them than the first pass did.
    """
    digest = hashlib.blake2b(digest_size=16)
    first = alert.event_ids[0] if alert.event_ids else ""
    for part in (alert.rule_id, alert.timestamp.isoformat(), alert.group_key or "", first):
        digest.update(part.encode())
        digest.update(b"\x1f")
    return digest.hexdigest()


@dataclass(slots=True)
class _Partition:
    number: int
    engine: DetectionEngine | None
    detected_seq: int
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


class Worker:
    """One worker node: leases, and a serving loop per owned partition."""

    def __init__(self, settings: Settings, *, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or f"worker-{socket.gethostname()}-{os.getpid()}"
        self.counters = WorkerCounters()
        self.bus: Bus | None = None
        self.state: StateStore | None = None
        self.store: EventStore | None = None
        self.ruleset: RuleSet | None = None
        self.enricher: RegisterEnricher | None = None
        self.leases: Leases | None = None
        self._partitions: dict[int, _Partition] = {}
        self._lock = threading.Lock()  # counters, from the processing thread
        # Two processing threads for all partitions: a worker is one core (the GIL) either way;
        # the second overlaps one partition's store and state writes (fsync, commit) with
        # another's detection. More CPU-bound threads would starve the event loop that renews
        # the leases (measured: with one per partition, leases of 2 s expired under load).
        self._processing = ThreadPoolExecutor(max_workers=PROCESSING_THREADS, thread_name_prefix="partition")
        self._tick_task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Open the stores and the bus, load the rules, begin taking leases."""
        s = self.settings
        self.state = await asyncio.to_thread(open_state, s.state_url)
        self.store = await asyncio.to_thread(open_event_store, s, writer=True)
        if s.store.backend == "embedded":
            log.warning(
                "worker %s stores into its own embedded store in %s: searchable there only, and a "
                "batch redelivered after a crash may be stored twice; several workers want Elasticsearch",
                self.name,
                s.data_dir,
            )
        if s.detection.enabled:
            self.ruleset = await asyncio.to_thread(
                load_rules, rule_paths(s.detection), placeholders=s.detection.placeholders
            )
            _warn_unpartitioned(self.ruleset, s.scaleout.partition_fields)
        self.enricher = await asyncio.to_thread(RegisterEnricher, s.state_url)
        self.bus = await Bus.connect(s.scaleout, name=self.name)
        self.leases = Leases(
            self.bus.leases,
            name=self.name,
            partitions=s.scaleout.partitions,
            on_gained=self._gained,
            on_stop=self._stop_partition,
        )
        # Beat first and look one tick later: workers started together then see each other
        # and split the partitions at once instead of the first taking all and giving back.
        await self.leases.beat()
        await asyncio.sleep(s.scaleout.lease_s / 3)
        await self.leases.tick()
        self._tick_task = asyncio.create_task(self._tick_loop(), name="leases")
        print(f"worker {self.name} ready: partitions {self.leases.serving}", file=sys.stderr, flush=True)

    async def _tick_loop(self) -> None:
        assert self.leases is not None
        while True:
            await asyncio.sleep(self.settings.scaleout.lease_s / 3)
            try:
                await self.leases.tick()
            except Exception:  # the bus reconnects on its own; try again next tick
                log.exception("renewing leases failed")

    # -- partitions ---------------------------------------------------------------------------

    def _gained(self, number: int) -> None:
        partition = _Partition(number=number, engine=None, detected_seq=0)
        partition.task = asyncio.create_task(self._serve(partition), name=f"partition-{number}")
        self._partitions[number] = partition

    def _stop_partition(self, number: int) -> None:
        partition = self._partitions.get(number)
        if partition is not None:
            partition.stop.set()

    async def _serve(self, partition: _Partition) -> None:
        assert self.bus is not None and self.leases is not None
        try:
            await self._in_thread(self._restore, partition)
            subscription = await self.bus.consumer(partition.number)
            try:
                while not partition.stop.is_set():
                    await self._serve_once(partition, subscription)
            finally:
                with contextlib.suppress(Exception):
                    await subscription.unsubscribe()
        except Exception:
            log.exception("partition %d stopped", partition.number)
        finally:
            self._partitions.pop(partition.number, None)
            await self.leases.finished(partition.number)

    async def _serve_once(
        self, partition: _Partition, subscription: JetStreamContext.PullSubscription
    ) -> None:
        try:
            messages = await subscription.fetch(FETCH_MESSAGES, timeout=FETCH_WAIT_S)
        except (nats.errors.TimeoutError, TimeoutError):  # nats raises either, by version and path
            return
        messages.sort(key=lambda m: m.metadata.sequence.stream)
        batch: list[tuple[int, list[Event]]] = []
        for message in messages:
            try:
                batch.append((message.metadata.sequence.stream, decode_events(message.data)))
            except msgspec.DecodeError as exc:  # not from a collector: keep it out of the loop
                log.error(
                    "partition %d: message %d is not an event batch: %s",
                    partition.number,
                    message.metadata.sequence.stream,
                    exc,
                )
                with self._lock:
                    self.counters.bad_messages += 1
                await message.term()
        await self._process_until_done(partition, batch)
        for message in messages:
            await message.ack()
        with self._lock:
            self.counters.messages += len(messages)

    async def _in_thread(self, fn: Callable[..., None], *args: Any) -> None:
        await asyncio.get_running_loop().run_in_executor(self._processing, fn, *args)

    def _restore(self, partition: _Partition) -> None:
        """The partition's engine and detected sequence as the state store has them."""
        assert self.state is not None
        with self.state.session() as session:
            blob = load_detection_state(session, name=state_name(partition.number))
        saved = PartitionState() if blob is None else msgspec.msgpack.decode(blob, type=PartitionState)
        partition.detected_seq = saved.detected_seq
        partition.engine = None
        if self.ruleset is not None:
            partition.engine = engine_for(self.ruleset, self.settings.detection)
            if saved.engine is not None:
                partition.engine.restore(saved.engine)

    async def _process_until_done(self, partition: _Partition, batch: list[tuple[int, list[Event]]]) -> None:
        delay = 0.1
        while True:
            try:
                await self._in_thread(self._process, partition, batch)
                return
            except Exception:  # nothing is acknowledged: start again from the saved state
                with self._lock:
                    self.counters.errors += 1
                log.exception("partition %d: a batch failed; retrying in %.1fs", partition.number, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                await self._in_thread(self._restore, partition)

    def _process(self, partition: _Partition, batch: Sequence[tuple[int, list[Event]]]) -> None:
        """Steps 2-5 of the module docstring for one fetched batch."""
        assert self.store is not None and self.state is not None
        if not batch:
            return
        fresh: list[Event] = []
        seen_before = 0
        everything: list[Event] = []
        for seq, events in batch:
            everything.extend(events)
            if seq > partition.detected_seq:
                fresh.extend(e for e in events if e.event.dataset != DEAD_LETTER_DATASET)
            else:
                seen_before += len(events)
        outcome = Outcome()
        if fresh:
            if self.enricher is not None:
                self.enricher.enrich(fresh)
            if partition.engine is not None:
                outcome = partition.engine.settle(partition.engine.match(fresh))
        for alert in outcome.new:  # the deduper holds these objects: later updates keep the id
            alert.id = settled_alert_id(alert)
        rows = everything + [alert.to_event() for alert in outcome.new]
        self.store.append(rows)
        top = max(seq for seq, _ in batch)
        if top > partition.detected_seq:
            saved = PartitionState(
                detected_seq=top,
                engine=partition.engine.snapshot() if partition.engine is not None else None,
            )
            with self.state.session() as session:
                save_alerts(session, alerts=outcome.new + outcome.updated)
                save_detection_state(
                    session, name=state_name(partition.number), payload=msgspec.msgpack.encode(saved)
                )
            partition.detected_seq = top
        with self._lock:
            c = self.counters
            c.events_stored += len(everything)
            c.events_detected += len(fresh)
            c.redelivered_events += seen_before
            c.alerts += len(outcome.new)

    # -- life ---------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """Counters and owned partitions."""
        with self._lock:
            figures = msgspec.to_builtins(self.counters)
        owned = self.leases.serving if self.leases is not None else []
        return {"name": self.name, "partitions": owned, **figures}

    async def stop(self) -> None:
        """Finish the batches in progress, give the leases back, close everything."""
        if self._tick_task is not None:
            self._tick_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._tick_task
        for partition in list(self._partitions.values()):
            partition.stop.set()
        tasks = [p.task for p in self._partitions.values() if p.task is not None]
        await asyncio.gather(*tasks, return_exceptions=True)  # each frees its lease when done
        if self.leases is not None:
            with contextlib.suppress(Exception):
                await self.leases.forget_heartbeat()
        if self.bus is not None:
            await self.bus.close()
        self._processing.shutdown(wait=True)
        if self.store is not None:
            self.store.close()
        if self.state is not None:
            self.state.close()


def _warn_unpartitioned(ruleset: RuleSet, partition_fields: Sequence[str]) -> None:
    """Correlations grouped by fields other than the partition key see only their partition."""
    key = partition_fields[0]
    for rule, where in ruleset.correlations:
        group_by = list(rule.group_by or [])
        if group_by and key not in group_by:
            log.warning(
                "%s: correlation groups by %s, not by %s (the partition key): it counts within one "
                "partition only",
                where,
                ", ".join(group_by),
                key,
            )


async def run_worker(settings: Settings, *, name: str | None = None) -> None:
    """Run a worker until SIGINT/SIGTERM, then stop it cleanly."""
    await run_node(Worker(settings, name=name), role="worker")
