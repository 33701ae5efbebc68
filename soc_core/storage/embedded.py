"""The embedded ``EventStore``: segment log + Parquet partitions + DuckDB, no server needed.

Layout under ``<data_dir>/events/``::

    segments/seg-<n>.log                       append-only, one fsync'd frame per append()
    sealed/day=YYYY-MM-DD/dataset=<id>/part-<n>.parquet
    manifest.jsonl                             hash-chained commit log of sealed files
    LOCK                                       flock held by the single writer

One process writes (``open_writer``); any number of processes read (``open_reader``) without
taking a lock. A background thread of the writer rotates segments, seals them, compacts small
files and applies retention.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import os
import threading
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import duckdb
import msgspec
import pyarrow as pa

from soc_core.config import StoreSettings
from soc_core.digests import file_digests
from soc_core.errors import StoreError
from soc_core.events import Event, utc
from soc_core.storage.base import PartitionProblem, VerifyReport, fill_buckets
from soc_core.storage.embedded_fetch import FILE_COLUMN, ROW_COLUMN, Hit, fetch_rows, order_rows
from soc_core.storage.embedded_manifest import Manifest
from soc_core.storage.embedded_query import QueryEngine, document, parse_interval, quote_ident
from soc_core.storage.embedded_schema import TIMESTAMP
from soc_core.storage.embedded_seal import Layout, Sealer, sealed_files_on_disk
from soc_core.storage.embedded_segments import (
    SegmentWriter,
    iter_segment_payloads,
    list_segments,
    segment_name,
)

log = logging.getLogger(__name__)
_batch_encoder = msgspec.json.Encoder()

_SEAL_BATCH_BYTES = 256 << 20  # one seal reads at most this much segment data
_RETENTION_EVERY_S = 3600.0
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
TIE_ROWS = 1000  # rows sharing the time at a search's limit, fetched to be ordered by event.id
FIRST_SLICE = dt.timedelta(minutes=5)  # the newest-first search looks here first, then 4x further
BUCKET_ORIGIN = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, time_bucket()'s default origin


def encode_batch(events: Sequence[Event]) -> bytes:
    """The segment payload for ``events``: NDJSON of the msgspec structs (payloads concatenate)."""
    try:
        return _batch_encoder.encode_lines(events)
    except (TypeError, ValueError, msgspec.EncodeError):
        # One bad event must not sink the group commit: encode one by one, leniently.
        return b"".join(_encode_one(e) for e in events)


def _encode_one(event: Event) -> bytes:
    try:
        return _batch_encoder.encode(event) + b"\n"
    except (TypeError, ValueError, msgspec.EncodeError):
        # Lone surrogates become \\udcXX text, unknown objects their repr: kept, not dropped.
        doc = msgspec.to_builtins(event, enc_hook=repr)
        return _batch_encoder.encode(_scrub(doc)) + b"\n"


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


class EmbeddedEventStore:
    """Durable, tamper-evident event store queried in-process with DuckDB."""

    def __init__(self, data_dir: str | Path, settings: StoreSettings | None, *, writer: bool) -> None:
        self.data_dir = Path(data_dir)
        self.layout = Layout(self.data_dir / "events")
        self.settings = settings or StoreSettings()
        self.writable = writer
        self.manifest = Manifest(self.layout.manifest)
        self._append_lock = threading.Lock()
        self._maint_lock = threading.RLock()
        self._lock_fd: int | None = None
        self._segments: SegmentWriter | None = None
        self._sealer: Sealer | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._closed = False
        self._unsealed_rows = 0
        self.background_error: str | None = None
        if writer:
            self._open_writer()
        self.engine = QueryEngine(self.layout, self.manifest, cache_bytes=self.settings.search_cache_mb << 20)

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    def open_writer(cls, data_dir: str | Path, settings: StoreSettings | None = None) -> EmbeddedEventStore:
        """The single writer: recovers from a crash, then starts background sealing."""
        return cls(data_dir, settings, writer=True)

    @classmethod
    def open_reader(cls, data_dir: str | Path, *, must_exist: bool = True) -> EmbeddedEventStore:
        """A read-only view that never blocks or is blocked by the writer."""
        root = Path(data_dir) / "events"
        if must_exist and not root.is_dir():
            raise StoreError(
                "no event store here: start `soc run` or `soc ingest` with this data directory first",
                where=str(Path(data_dir)),
            )
        return cls(data_dir, None, writer=False)

    def _open_writer(self) -> None:
        for d in (self.layout.root, self.layout.segments, self.layout.sealed):
            d.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.layout.lock, os.O_RDWR | os.O_CREAT, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise StoreError("another writer holds the event store", where=str(self.layout.lock)) from None
        self._lock_fd = fd
        try:
            self.manifest.open_for_append()
            self._sealer = Sealer(
                self.layout, self.manifest, compact_min_files=self.settings.compact_min_files
            )
            recovered = self._sealer.recover()
            self._sealer.record_policy(self.settings.retention_days, self.settings.retention_override)
            st = self.manifest.state
            unsealed = [s for s in list_segments(self.layout.segments) if s not in st.sealed_segments]
            cut = SegmentWriter.recover(self.layout.segments, unsealed)
            if cut or any(recovered.values()):
                log.warning("event store recovered: torn frames %s, cleanup %s", cut, recovered)
            first = max([*unsealed, max(st.sealed_segments, default=0)], default=0) + 1
            self._segments = SegmentWriter(self.layout.segments, first)
            # Rows not yet sealed, kept as a counter so stats() never decodes the tail.
            self._unsealed_rows = sum(
                payload.count(b"\n")
                for _, payloads in iter_segment_payloads(self.layout.segments, unsealed)
                for payload in payloads
            )
        except BaseException:
            self.manifest.close()
            os.close(fd)
            self._lock_fd = None
            raise
        self._thread = threading.Thread(target=self._background, name="event-store-sealer", daemon=True)
        self._thread.start()

    # -- writing ---------------------------------------------------------------------------

    def append(self, events: Sequence[Event]) -> int:
        """Write the batch as one frame and fsync it; only then are the events stored."""
        if not events:
            return 0
        return self.append_encoded(encode_batch(events), len(events))

    def append_encoded(self, payload: bytes, rows: int) -> int:
        """Store a payload from :func:`encode_batch` (or several concatenated) as one fsync'd frame.

        Lets parse workers in other processes encode, so the committing process only writes.
        """
        if not self.writable or self._segments is None:
            raise StoreError("the event store was opened read-only", where=str(self.layout.root))
        if not payload:
            return 0
        if not payload.endswith(b"\n"):
            raise StoreError(
                "payload is not a sequence of encode_batch() outputs", where=str(self.layout.root)
            )
        with self._append_lock:
            if self._closed:
                raise StoreError("the event store is closed", where=str(self.layout.root))
            self._segments.write(payload, rows)
            self._unsealed_rows += rows
            if self._segments.active_events >= self.settings.seal_max_events or (
                self._segments.active_age() >= self.settings.seal_interval_s
            ):
                self._segments.rotate()
                self._wake.set()
        return rows

    def _closed_segments(self) -> list[int]:
        # Ids only grow, so everything below the floor read under the append lock is closed,
        # even if append() rotates and opens a newer segment right after.
        with self._append_lock:
            floor = self._segments.open_floor if self._segments else 0
        st = self.manifest.refresh()
        return [s for s in list_segments(self.layout.segments) if s < floor and s not in st.sealed_segments]

    def _seal_pending(self) -> int:
        """Seal closed segments in bounded batches; returns rows sealed."""
        assert self._sealer is not None
        rows = 0
        with self._maint_lock:
            pending = self._closed_segments()
            while pending:
                batch: list[int] = []
                size = 0
                for seg_id in pending:
                    seg_size = (self.layout.segments / segment_name(seg_id)).stat().st_size
                    if batch and size + seg_size > _SEAL_BATCH_BYTES:
                        break
                    batch.append(seg_id)
                    size += seg_size
                sealed = self._sealer.seal(batch)
                rows += sealed
                with self._append_lock:
                    self._unsealed_rows -= sealed
                pending = pending[len(batch) :]
        return rows

    def seal_now(self, *, compact: bool = True) -> None:
        """Close the active segment, seal everything and (optionally) compact, synchronously."""
        if self._sealer is None:
            raise StoreError("the event store was opened read-only", where=str(self.layout.root))
        with self._append_lock:
            assert self._segments is not None
            self._segments.rotate()
        self._seal_pending()
        if compact:
            with self._maint_lock:
                while self._sealer.compact_once():
                    pass

    def _background(self) -> None:
        assert self._sealer is not None and self._segments is not None
        sealer, segments = self._sealer, self._segments
        last_retention = 0.0
        interval = max(0.05, min(1.0, self.settings.seal_interval_s / 2))
        busy = False
        while not self._stop.is_set():
            if not busy:  # after real work, look again at once: segments may be piling up
                self._wake.wait(interval)
                self._wake.clear()
            if self._stop.is_set():
                break
            try:
                with self._append_lock:
                    if segments.active_events and segments.active_age() >= self.settings.seal_interval_s:
                        segments.rotate()
                with self._maint_lock:
                    sealer.purge()
                busy = bool(self._seal_pending())
                if not busy:
                    with self._maint_lock:
                        busy = sealer.compact_once()
                if not busy and time.monotonic() - last_retention > _RETENTION_EVERY_S:
                    last_retention = time.monotonic()
                    self.apply_retention(now=dt.datetime.now(dt.UTC))
                self.background_error = None
            except Exception as exc:  # keep sealing alive; segments stay durable meanwhile
                self.background_error = f"{type(exc).__name__}: {exc}"
                log.exception("event store maintenance failed")
                busy = False
                self._stop.wait(1.0)

    # -- retention -------------------------------------------------------------------------

    def apply_retention(self, *, now: dt.datetime | None = None) -> list[str]:
        """Drop whole day partitions older than the retention period; returns dropped days."""
        if self._sealer is None:
            raise StoreError("the event store was opened read-only", where=str(self.layout.root))
        with self._maint_lock:
            return self._sealer.apply_retention(self.settings.retention_days, now or dt.datetime.now(dt.UTC))

    def retention_policy(self) -> dict[str, Any]:
        """The policy recorded in the manifest: ``{"days": n, "reason": str | None}``."""
        recorded = self.manifest.refresh().retention
        if recorded is None:
            return {"days": self.settings.retention_days, "reason": None, "recorded": False}
        return {"days": recorded[0], "reason": recorded[1], "recorded": True}

    def oldest_day_per_dataset(self) -> dict[str, str]:
        """Oldest retained UTC day (``YYYY-MM-DD``) per dataset among sealed partitions."""
        oldest: dict[str, str] = {}
        for info in self.manifest.refresh().live.values():
            if info.dataset not in oldest or info.day < oldest[info.dataset]:
                oldest[info.dataset] = info.day
        return dict(sorted(oldest.items()))

    # -- queries ---------------------------------------------------------------------------

    def search(
        self,
        query: str = "*",
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int = 100,
        order: Literal["asc", "desc"] = "desc",
    ) -> list[dict[str, Any]]:
        """Matching documents (nested ECS dicts) ordered by ``@timestamp`` then ``event.id``."""
        n = max(0, int(limit))
        start, end = _utc_or_none(start), _utc_or_none(end)
        if n == 0:
            return []
        # Phase one finds the hits reading only the filter columns and @timestamp (with each
        # row's file and row number); phase two reads whole rows for just those hits, from
        # row groups kept decoded (embedded_fetch). A file retired in between (compaction,
        # retention) means searching again on a fresh snapshot.
        last: FileNotFoundError | None = None
        for _attempt in range(4):
            hits = (
                self._newest_hits(query, start, end, n)
                if order == "desc"
                else self._oldest_hits(query, start, end, n)
            )
            if not hits:
                return []
            if len(hits) == n:  # the limit cut the hits: rows tied at the cut are taken by event.id
                hits = self._settle_ties(query, hits, n, descending=order == "desc")
            try:
                rows = fetch_rows(hits, self.engine.row_groups)
            except FileNotFoundError as exc:
                last = exc
                continue
            return [document(row) for row in order_rows(rows, descending=order == "desc")[:n]]
        raise StoreError(f"search kept racing with file changes: {last}", where=str(self.layout.root))

    def _hits(
        self, query: str, start: dt.datetime | None, end: dt.datetime | None, tail_sql: str
    ) -> list[Hit]:
        """Hits of the phase-one SQL ``tail_sql`` (appended to ``SELECT ... FROM events WHERE``)."""
        ts = quote_ident(TIMESTAMP)

        def build(where: str, _cols: dict[str, str]) -> str:
            return f'SELECT {ts}, "{FILE_COLUMN}", "{ROW_COLUMN}" FROM events WHERE {where} {tail_sql}'

        return _as_hits(*self.engine.rows_with_tail(query, start, end, build))

    def _oldest_hits(
        self, query: str, start: dt.datetime | None, end: dt.datetime | None, n: int
    ) -> list[Hit]:
        return self._hits(query, start, end, f"ORDER BY {quote_ident(TIMESTAMP)} ASC LIMIT {n}")

    def _newest_hits(
        self, query: str, start: dt.datetime | None, end: dt.datetime | None, n: int
    ) -> list[Hit]:
        """The newest ``n`` hits, looking back in slices that grow fourfold (5 min, 20 min,
        80 min …): a value seen every few minutes is answered from the last few minutes of data
        instead of the whole range; a rare one costs one scan plus a few slices' overhead."""
        span = self.engine.time_range()
        if span is None:
            return []
        oldest, newest = span
        lo_bound = oldest if start is None else max(start, oldest)
        hi = (
            newest + dt.timedelta(microseconds=1)
            if end is None
            else min(end, newest + dt.timedelta(microseconds=1))
        )
        ts = quote_ident(TIMESTAMP)
        hits: list[Hit] = []
        width = FIRST_SLICE
        while hi > lo_bound and len(hits) < n:
            lo = max(lo_bound, hi - width)
            hits += self._hits(query, lo, hi, f"ORDER BY {ts} DESC LIMIT {n - len(hits)}")
            hi, width = lo, width * 4
        return hits

    def _settle_ties(self, query: str, hits: list[Hit], n: int, *, descending: bool) -> list[Hit]:
        """``hits`` cut at ``n`` by time alone, with every row at the cut's time instead of
        those the cut happened to take, so ordering by ``event.id`` can choose among them
        (phase one leaves event.id unread: reading it for every candidate row costs more than
        the phase itself). Beyond ``TIE_ROWS`` tied rows the database chooses."""
        edge = hits[-1].timestamp
        kept = [hit for hit in hits if hit.timestamp != edge]
        ts = quote_ident(TIMESTAMP)
        columns = f'{ts}, "{FILE_COLUMN}", "{ROW_COLUMN}"'
        until = edge + dt.timedelta(microseconds=1)

        def tied(where: str, _cols: dict[str, str]) -> str:
            return f"SELECT {columns} FROM events WHERE {where} LIMIT {TIE_ROWS + 1}"

        rows, tail = self.engine.rows_with_tail(query, edge, until, tied)
        if len(rows) > TIE_ROWS:
            direction = "DESC" if descending else "ASC"

            def first(where: str, cols: dict[str, str]) -> str:
                tie = f'ORDER BY "event.id" {direction} NULLS LAST' if "event.id" in cols else ""
                return f"SELECT {columns} FROM events WHERE {where} {tie} LIMIT {n - len(kept)}"

            rows, tail = self.engine.rows_with_tail(query, edge, until, first)
        return kept + _as_hits(rows, tail)

    def count(
        self, query: str = "*", *, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> int:
        """Number of matching documents."""
        rows = self.engine.rows(
            query, start, end, lambda where, _c: f"SELECT count(*) FROM events WHERE {where}"
        )
        return int(rows[0][0]) if rows else 0

    @staticmethod
    def _values(field: str, cols: dict[str, str], where: str) -> str | None:
        """SQL yielding column ``v`` for ``field`` (list columns unnested, like ES terms)."""
        if field not in cols:
            return None
        col = quote_ident(field)
        if cols[field].endswith("[]"):
            return f"SELECT unnest({col}) AS v FROM events WHERE {where}"
        return f"SELECT {col} AS v FROM events WHERE {where}"

    def terms(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        size: int = 10,
    ) -> list[tuple[Any, int]]:
        """Top values of ``field`` with their counts, most frequent first (ties by value)."""

        def build(where: str, cols: dict[str, str]) -> str | None:
            inner = self._values(field, cols, where)
            if inner is None:
                return None
            return (
                f"SELECT v, count(*) AS c FROM ({inner}) WHERE v IS NOT NULL "
                f"GROUP BY v ORDER BY c DESC, v LIMIT {max(0, int(size))}"
            )

        return [(msgspec.to_builtins(v), int(c)) for v, c in self.engine.rows(query, start, end, build)]

    def cardinality(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> int:
        """Exact number of distinct non-null values of ``field``."""

        def build(where: str, cols: dict[str, str]) -> str | None:
            inner = self._values(field, cols, where)
            return None if inner is None else f"SELECT count(DISTINCT v) FROM ({inner})"

        rows = self.engine.rows(query, start, end, build)
        return int(rows[0][0]) if rows else 0

    def date_histogram(
        self,
        *,
        interval: str,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[tuple[dt.datetime, int]]:
        """Counts per UTC bucket, ascending; empty buckets between first and last are filled (as ES)."""
        step = parse_interval(interval)
        step_us = step // dt.timedelta(microseconds=1)
        ts = quote_ident(TIMESTAMP)
        origin_us = (BUCKET_ORIGIN - _EPOCH) // dt.timedelta(microseconds=1)

        def build(where: str, _cols: dict[str, str]) -> str:
            # Integer floor division on epoch microseconds: same buckets as time_bucket()
            # (origin Monday 2000-01-03, as ES weeks) at 2.2x its speed on TIMESTAMPTZ.
            x, s = "x", str(step_us)
            return (
                f"SELECT ({x} - (({x} % {s}) + {s}) % {s}) // {s} AS b, count(*) FROM "
                f"(SELECT epoch_us({ts}) - {origin_us} AS x FROM events WHERE {where}) GROUP BY b ORDER BY b"
            )

        rows = self.engine.rows(query, start, end, build)
        return fill_buckets({BUCKET_ORIGIN + int(b) * step: int(c) for b, c in rows}, step)

    # -- integrity and stats ---------------------------------------------------------------

    def verify(self) -> VerifyReport:
        """Replay the hash chain and check every live file's presence and SHA-256/SM3 digests."""
        with self._maint_lock if self.writable else contextlib.nullcontext():
            st = self.manifest.refresh()
            problems: list[PartitionProblem] = []
            for br in st.breaks:
                for name in br.paths or [f"manifest.jsonl:{br.line}"]:
                    problems.append(
                        PartitionProblem(
                            partition=name, problem="out_of_chain", detail=f"line {br.line}: {br.detail}"
                        )
                    )
            missing: list[str] = []
            for info in sorted(st.live.values(), key=lambda f: f.path):
                path = self.layout.root / info.path
                try:
                    sha, sm3 = file_digests(path)
                except FileNotFoundError:
                    missing.append(info.path)
                    continue
                bad = [
                    n
                    for n, got, want in (("SHA-256", sha, info.sha256), ("SM3", sm3, info.sm3))
                    if got != want
                ]
                if bad:
                    problems.append(
                        PartitionProblem(
                            partition=info.path,
                            problem="modified",
                            detail=f"{' and '.join(bad)} digest differs",
                        )
                    )
            if missing:
                st = self.manifest.refresh()  # a compaction or drop may have retired it meanwhile
                problems += [
                    PartitionProblem(partition=p, problem="missing", detail="file not found")
                    for p in missing
                    if p in st.live
                ]
                problems.sort(key=lambda p: (p.partition, p.problem))
            stray = [p for p in sealed_files_on_disk(self.layout) if p not in st.live and p not in st.retired]
            if stray:
                st = self.manifest.refresh()  # a seal may have committed while we walked the tree
                for rel in stray:
                    if rel not in st.live and rel not in st.retired:
                        problems.append(
                            PartitionProblem(
                                partition=rel, problem="unexpected", detail="not recorded in the manifest"
                            )
                        )
            return VerifyReport(partitions=len(st.live), problems=problems)

    def stats(self) -> dict[str, Any]:
        """Counts and sizes for operators (``soc store stats``)."""
        st = self.manifest.state
        # The writer counts; a reader has to decode the tail.
        unsealed_rows = self._unsealed_rows if self.writable else self.engine.snapshot().tail.num_rows
        sealed_rows = sum(f.rows for f in st.live.values())
        per_dataset: dict[str, int] = defaultdict(int)
        for info in st.live.values():
            per_dataset[info.dataset] += info.rows
        disk = 0
        for dirpath, _dirs, files in os.walk(self.layout.root):
            for name in files:
                with contextlib.suppress(FileNotFoundError):
                    disk += os.path.getsize(os.path.join(dirpath, name))
        return {
            "events": sealed_rows + unsealed_rows,
            "sealed_events": sealed_rows,
            "unsealed_events": unsealed_rows,
            "sealed_files": len(st.live),
            "sealed_bytes": sum(f.bytes for f in st.live.values()),
            "bytes_on_disk": disk,
            "segments": sum(1 for s in list_segments(self.layout.segments) if s not in st.sealed_segments),
            "manifest_entries": st.lines,
            "events_per_dataset": dict(sorted(per_dataset.items())),
            "retention": self.retention_policy(),
            "background_error": self.background_error,
        }

    def close(self) -> None:
        """Stop background work, close the active segment and release the writer lock."""
        if self._closed:
            return
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
        with self._append_lock:
            self._closed = True
            if self._segments is not None:
                self._segments.close()
        if self._sealer is not None:
            with self._maint_lock:
                self._sealer.purge(everything=True)
        self.manifest.close()
        with contextlib.suppress(duckdb.Error):
            self.engine.close()
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> EmbeddedEventStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _as_hits(rows: list[tuple[Any, ...]], tail: pa.Table) -> list[Hit]:
    """Phase-one rows (time, file, row number) as hits; a row without a file is in ``tail``."""
    return [Hit(at, file, int(row), None if file is not None else tail) for at, file, row in rows]


def _utc_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else utc(value)
