"""``soc collector``: syslog and file intake plus parsing, near the devices; events to the bus.

A collector keeps no events of its own. A batch of records is parsed (decode, parser, source
mapping, dead letters) and its events are published to their partitions; only when JetStream
has acknowledged every message of the batch are the records counted as forwarded and file
offsets allowed to advance. If the bus is unreachable the batch is re-sent with backoff (the
message ids make a re-send of an already stored message a no-op), the intake queue fills and
then drops new records with a count, as ``soc run`` does when its store stalls.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import sys
from collections.abc import Sequence
from typing import Any

import msgspec

from collectors.intake import IntakeQueue, IntakeStats
from collectors.parsers.declarative import load_declarative
from collectors.transports.filetail import FileTailer
from soc_api.runtime.listeners import SyslogListeners
from soc_api.runtime.scaleout.bus import Bus, partition_of
from soc_api.runtime.scaleout.node import run_node
from soc_api.runtime.sources import SourceRouter
from soc_api.runtime.workers import parse_records
from soc_core.config import Settings
from soc_core.detection import NoDetector
from soc_core.events import Event
from soc_core.records import RawRecord

log = logging.getLogger("shaowang.collector")


class CollectorCounters(msgspec.Struct, kw_only=True):
    """Collector totals since start."""

    records: int = 0
    events: int = 0
    dead_letters: int = 0
    messages: int = 0
    publish_errors: int = 0


def split_by_partition(
    events: Sequence[Event], *, fields: Sequence[str], partitions: int, batch_max: int
) -> list[tuple[int, list[Event]]]:
    """(partition, events) messages in arrival order within each partition, at most ``batch_max`` each."""
    by_partition: dict[int, list[Event]] = {}
    for event in events:
        by_partition.setdefault(partition_of(event, fields=fields, partitions=partitions), []).append(event)
    messages: list[tuple[int, list[Event]]] = []
    for partition, chunk in sorted(by_partition.items()):
        for start in range(0, len(chunk), batch_max):
            messages.append((partition, chunk[start : start + batch_max]))
    return messages


class Collector:
    """Intake → parse → bus, for one collector node."""

    def __init__(self, settings: Settings, *, name: str | None = None) -> None:
        self.settings = settings
        self.name = name or f"collector-{socket.gethostname()}-{os.getpid()}"
        self.stats = IntakeStats()
        self.queue = IntakeQueue(settings.ingest.queue_max_records)
        self.router = SourceRouter(settings.sources)
        self.counters = CollectorCounters()
        self.bus: Bus | None = None
        self.listeners: SyslogListeners | None = None
        self.tailer: FileTailer | None = None
        self._stopping = False
        self._tasks: list[asyncio.Task[Any]] = []

    async def start(self) -> None:
        """Connect to the bus, then open the listeners."""
        s = self.settings
        self.bus = await Bus.connect(s.scaleout, name=self.name)
        result = load_declarative(s.parsers.dirs, shipped=s.parsers.shipped)
        for error in result.errors:
            log.error("parser definition refused: %s", error)
        if s.files:
            s.data_dir.mkdir(parents=True, exist_ok=True)
            self.tailer = FileTailer(list(s.files), self.queue, self.stats, s.data_dir / "filetail.json")
            self._tasks.append(asyncio.create_task(self.tailer.run(), name="filetail"))
        self._tasks.append(asyncio.create_task(self._forward(), name="forward"))
        self.listeners = SyslogListeners(s.syslog, self.queue, self.stats)
        await self.listeners.start()
        log.info(
            "collector %s: syslog %s:%d → NATS %s stream %s (%d partitions by %s)",
            self.name,
            s.syslog.host,
            s.syslog.port,
            s.scaleout.nats_url,
            s.scaleout.stream,
            s.scaleout.partitions,
            ", ".join(s.scaleout.partition_fields),
        )
        print(
            f"collector {self.name} ready: syslog {s.syslog.host}:{s.syslog.port}",
            file=sys.stderr,
            flush=True,
        )

    async def _forward(self) -> None:
        s = self.settings
        while True:
            batch = await self.queue.get_batch(
                s.ingest.batch_max_records, timeout=s.store.commit_interval_ms / 1000
            )
            if not batch:
                if self._stopping and not len(self.queue):
                    return
                continue
            events, dead, _ = await asyncio.to_thread(
                parse_records,
                batch,
                default_format=s.ingest.default_format,
                default_timezone=s.ingest.default_timezone,
                router=self.router if self.router else None,
                detector=NoDetector(),
            )
            await self._publish_until_accepted(events + dead)
            self._forwarded(batch, events=len(events), dead=len(dead))

    async def _publish_until_accepted(self, events: list[Event]) -> None:
        assert self.bus is not None
        out = self.settings.scaleout
        messages = split_by_partition(
            events, fields=out.partition_fields, partitions=out.partitions, batch_max=out.batch_max
        )
        delay = 0.1
        pending = messages
        while pending:
            failed: list[tuple[int, list[Event]]] = []
            for partition, chunk in pending:
                try:
                    await self.bus.publish(partition, chunk)
                    self.counters.messages += 1
                except Exception as exc:  # the batch stays ours until JetStream has it
                    self.counters.publish_errors += 1
                    failed.append((partition, chunk))
                    log.warning("publishing %d events to partition %d failed: %s", len(chunk), partition, exc)
            pending = failed
            if pending:
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)

    def _forwarded(self, records: Sequence[RawRecord], *, events: int, dead: int) -> None:
        c = self.counters
        c.records += len(records)
        c.events += events
        c.dead_letters += dead
        if self.tailer is not None:
            self.tailer.mark_records_stored(records)

    def snapshot(self) -> dict[str, Any]:
        """Counters and intake totals."""
        totals = self.stats.totals()
        return {
            "name": self.name,
            "received": totals["received"],
            "dropped": totals["dropped"],
            "queued": len(self.queue),
            **msgspec.to_builtins(self.counters),
        }

    async def stop(self) -> None:
        """Stop intake, forward what is queued, close the bus connection."""
        if self.listeners is not None:
            await self.listeners.stop()
        if self.tailer is not None:
            self.tailer.stop()
        self._stopping = True
        forward = next((t for t in self._tasks if t.get_name() == "forward"), None)
        if forward is not None:
            await forward
        for task in self._tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bus is not None:
            await self.bus.close()


async def run_collector(settings: Settings, *, name: str | None = None) -> None:
    """Run a collector until SIGINT/SIGTERM, then stop it cleanly."""
    await run_node(Collector(settings, name=name), role="collector")
