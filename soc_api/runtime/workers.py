"""Parse workers: parsing runs in separate processes so it uses every core.

The main process receives, batches and commits; workers turn a chunk of raw records into the
store's encoded batch payload (the exact bytes ``EventStore.append`` would write), plus the
counts and any alerts. Records travel as MessagePack, payloads come back as bytes: no
per-event pickling.
"""

from __future__ import annotations

import datetime as dt
import gc
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

import msgspec

from collectors.parse import parse_record
from collectors.parsers.declarative import load_declarative
from detectors.graph.observations import FlowTuple, ThreatTuple, flow_tuples, threat_tuples
from soc_api.runtime.sources import SourceRouter
from soc_core.config import SourceMapping
from soc_core.detection import Detector, Enricher, MatchBatch, NoDetector
from soc_core.events import Event
from soc_core.records import RawRecord
from soc_core.storage.embedded import encode_batch

DetectorFactory = Callable[[], Detector]
EnricherFactory = Callable[[], Enricher]


class ParsedChunk(msgspec.Struct, kw_only=True):
    """What a worker returns for one chunk of records."""

    payload: bytes  # encoded events + dead letters, ready for ``append_encoded``
    events: int
    dead_letters: int
    stored: int  # events + dead letters: rows in ``payload``
    matches: MatchBatch = msgspec.field(default_factory=MatchBatch)  # settled by the committer
    flows: list[FlowTuple] = msgspec.field(default_factory=list)  # for the network graph
    threats: list[ThreatTuple] = msgspec.field(default_factory=list)


class _WorkerConfig(msgspec.Struct, kw_only=True):
    default_format: str
    default_timezone: str
    sources: list[dict[str, Any]]  # SourceMapping as plain data: pydantic models do not cross msgpack
    parser_dirs: list[str] = []
    shipped_parsers: bool = True


_records_decoder = msgspec.msgpack.Decoder(list[RawRecord])
_records_encoder = msgspec.msgpack.Encoder()
_chunk_decoder = msgspec.msgpack.Decoder(ParsedChunk)
_chunk_encoder = msgspec.msgpack.Encoder()

# Per-worker state, set by the initializer (each worker is its own process).
_config: _WorkerConfig | None = None
_detector: Detector = NoDetector()
_enricher: Enricher | None = None
_router: SourceRouter | None = None


WORKER_GC_THRESHOLDS: tuple[int, int, int] = (50_000, 20, 100)


#: How often a parse worker checks that the process that started it is still there.
PARENT_CHECK_S = 1.0


def _exit_with_parent(parent_pid: int) -> None:
    """Exit when the parent is gone (``kill -9`` of ``soc run`` leaves its pool behind otherwise:
    idle workers waiting on a queue nobody writes, 200 MB each)."""

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(PARENT_CHECK_S)
        os._exit(0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def _init_worker(
    config_bytes: bytes,
    detector_factory: DetectorFactory | None,
    enricher_factory: EnricherFactory | None,
    parent_pid: int | None = None,
) -> None:
    global _config, _detector, _enricher, _router
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    _config = msgspec.msgpack.decode(config_bytes, type=_WorkerConfig)
    # Spawned workers start with the built-in registry only; the main process has already
    # reported any broken definition, so the result is not looked at again here.
    load_declarative(_config.parser_dirs, shipped=_config.shipped_parsers)
    mappings = [SourceMapping(**mapping) for mapping in _config.sources]
    _router = SourceRouter(mappings) if mappings else None
    _detector = detector_factory() if detector_factory is not None else NoDetector()
    _enricher = enricher_factory() if enricher_factory is not None else None
    # A worker allocates millions of short-lived objects and keeps a chunk's events alive
    # until they are encoded: with the default thresholds the collector rescans them over and
    # over (measured: 2-3x the parse cost). Events are not tracked (gc=False structs); the
    # modules loaded so far are frozen out of collections, and collections run less often.
    gc.freeze()
    gc.set_threshold(*WORKER_GC_THRESHOLDS)


def parse_records(
    records: Sequence[RawRecord],
    *,
    default_format: str,
    default_timezone: str,
    router: SourceRouter | None,
    detector: Detector,
    enricher: Enricher | None = None,
) -> tuple[list[Event], list[Event], MatchBatch]:
    """Parse, enrich and match a batch: (events, dead letters, rule matches). Shared by the pool
    and in-process mode."""
    events: list[Event] = []
    dead: list[Event] = []
    apply = router.apply if router else None
    by_host = router.for_hostname if router else None
    for record in records:
        if apply is not None:
            record = apply(record)
        outcome = parse_record(
            record, fmt=default_format, default_timezone=default_timezone, source_for_host=by_host
        )
        labels = router.labels(record.peer) if router else None
        if outcome.dead_letter is not None:
            dead.append(outcome.dead_letter)
            produced = [outcome.dead_letter]
        else:
            events.extend(outcome.events)
            produced = outcome.events
        if labels:
            for event in produced:
                event.labels = {**(event.labels or {}), **labels}
    ingested = dt.datetime.now(dt.UTC)
    for event in events:
        event.ensure_id()
        event.event.ingested = ingested
    for event in dead:
        event.ensure_id()
        event.event.ingested = ingested
    if enricher is not None and events:
        enricher.enrich(events)
    matches = detector.match(events) if events else MatchBatch()
    return events, dead, matches


def _parse_chunk(records_bytes: bytes) -> bytes:
    assert _config is not None, "worker not initialised"
    records = _records_decoder.decode(records_bytes)
    events, dead, matches = parse_records(
        records,
        default_format=_config.default_format,
        default_timezone=_config.default_timezone,
        router=_router,
        detector=_detector,
        enricher=_enricher,
    )
    rows = events + dead
    chunk = ParsedChunk(
        payload=encode_batch(rows),
        events=len(events),
        dead_letters=len(dead),
        stored=len(rows),
        matches=matches,
        flows=flow_tuples(events),
        threats=threat_tuples(events),
    )
    return _chunk_encoder.encode(chunk)


class ParsePool:
    """A pool of parse worker processes (spawned, so no threads are forked)."""

    def __init__(
        self,
        *,
        workers: int,
        default_format: str,
        default_timezone: str,
        sources: Sequence[SourceMapping] = (),
        detector_factory: DetectorFactory | None = None,
        enricher_factory: EnricherFactory | None = None,
        parser_dirs: Sequence[str] = (),
        shipped_parsers: bool = True,
    ) -> None:
        config = _WorkerConfig(
            default_format=default_format,
            default_timezone=default_timezone,
            sources=[mapping.model_dump() for mapping in sources],
            parser_dirs=list(parser_dirs),
            shipped_parsers=shipped_parsers,
        )
        self.workers = workers
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_init_worker,
            initargs=(msgspec.msgpack.encode(config), detector_factory, enricher_factory, os.getpid()),
        )

    def submit(self, records: Sequence[RawRecord]) -> Future[bytes]:
        """Parse ``records`` in a worker; the future's result decodes with :func:`decode_chunk`."""
        return self._pool.submit(_parse_chunk, _records_encoder.encode(list(records)))

    def warm_up(self) -> None:
        """Start every worker now rather than on the first record."""
        futures = [self.submit([]) for _ in range(self.workers)]
        for future in futures:
            future.result()

    def close(self) -> None:
        """Stop the workers."""
        self._pool.shutdown(wait=True, cancel_futures=False)

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers."""
        processes = getattr(self._pool, "_processes", None) or {}
        return sorted(int(pid) for pid in processes)


def decode_chunk(data: bytes) -> ParsedChunk:
    """A worker's result."""
    return _chunk_decoder.decode(data)


def default_workers() -> int:
    """One parse worker per core available to us."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)
