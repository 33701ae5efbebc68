"""Queries over a consistent snapshot: live sealed Parquet files plus the unsealed tail.

A snapshot is taken without any lock shared with the writer: replay the manifest, decode the
frames of segments it does not list as sealed, and accept the snapshot only if no manifest
entry landed meanwhile. A file that vanishes during a query (compaction or retention raced
with it) makes the query retry on a fresh snapshot.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import duckdb
import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from soc_core.errors import QuerySyntaxError, StoreError
from soc_core.events import unflatten, utc
from soc_core.storage import lucene
from soc_core.storage.embedded_fetch import DEFAULT_CACHE_BYTES, FILE_COLUMN, ROW_COLUMN, RowGroupCache
from soc_core.storage.embedded_manifest import FileInfo, Manifest
from soc_core.storage.embedded_schema import TIMESTAMP, concat, conform, decode_payloads, empty_table, iso_utc
from soc_core.storage.embedded_seal import Layout
from soc_core.storage.embedded_segments import list_segments, read_segment, segment_name

log = logging.getLogger(__name__)
_RETRIES = 8
_INTERVAL_RE = re.compile(r"^\s*(\d+)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class _Retry(Exception):
    """The snapshot moved under us; take a new one."""


@dataclass
class Snapshot:
    """Live files (already pruned by time) and the decoded unsealed tail."""

    files: list[FileInfo]
    tail: pa.Table
    seq: int


def quote_ident(name: str) -> str:
    """A DuckDB identifier literal."""
    return '"' + name.replace('"', '""') + '"'


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def parse_interval(interval: str) -> dt.timedelta:
    """``"5m"`` → the fixed bucket width."""
    m = _INTERVAL_RE.match(interval)
    if not m or int(m.group(1)) <= 0:
        raise QuerySyntaxError(f"interval must look like 30s, 5m, 1h, 1d or 1w, got {interval!r}")
    return dt.timedelta(seconds=int(m.group(1)) * _UNITS[m.group(2)])


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def document(row: dict[str, Any]) -> dict[str, Any]:
    """A flat result row → the nested ECS document (nulls dropped, datetimes as RFC 3339)."""
    result: dict[str, Any] = msgspec.to_builtins(
        unflatten({k: _clean(v) for k, v in row.items() if v is not None})
    )
    return result


VIEWS_PER_CONNECTION = 16
_EVENTS_TABLE = re.compile(r"(?<=FROM )events\b")
POOL_SIZE = max(2, 2 * (os.cpu_count() or 1))  # queries at once; DuckDB parallelises each one too


@dataclass
class _Connection:
    """A pooled DuckDB connection and the views it has built, one per file set it was asked for
    (a search asks for a few neighbouring time slices: each keeps its view instead of rebuilding)."""

    con: duckdb.DuckDBPyConnection
    # file set (and tail columns) -> (view name, its columns), least recently used first
    views: OrderedDict[tuple[Any, ...], tuple[str, dict[str, str]]] = field(default_factory=OrderedDict)
    made: int = 0


class QueryEngine:
    """One in-process DuckDB database over the store's files, queried through a small pool of
    connections: concurrent searches run side by side instead of queueing on one, and no more
    of them than the cores can serve (each connection keeps its view, so few is cheaper)."""

    def __init__(self, layout: Layout, manifest: Manifest, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.layout = layout
        self.manifest = manifest
        self.row_groups = RowGroupCache(cache_bytes)
        self._lock = threading.RLock()  # the tail cache and snapshots
        self._db = duckdb.connect()
        self._connections: list[_Connection] = []
        self._idle: queue.LifoQueue[_Connection] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(POOL_SIZE)
        self._tail_cache: dict[int, tuple[int, pa.Table]] = {}

    def time_range(self) -> tuple[dt.datetime, dt.datetime] | None:
        """The oldest and newest ``@timestamp`` stored (sealed files and tail), or None if empty."""
        snap = self.snapshot()
        lows = [f.min_ts for f in snap.files if f.min_ts]
        highs = [f.max_ts for f in snap.files if f.max_ts]
        bounds = [_parse_iso(v) for v in (min(lows), max(highs))] if lows and highs else []
        if snap.tail.num_rows:
            column = snap.tail.column(TIMESTAMP)
            bounds += [v for v in (pc.min(column).as_py(), pc.max(column).as_py()) if v is not None]
        if not bounds:
            return None
        return min(utc(b) for b in bounds), max(utc(b) for b in bounds)

    @contextlib.contextmanager
    def _connection(self) -> Iterator[_Connection]:
        """A pooled connection for one query (the most recently used: its view is likeliest warm)."""
        with self._slots:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = self._open_connection()
            try:
                yield conn
            finally:
                self._idle.put(conn)

    def _open_connection(self) -> _Connection:
        con = self._db.cursor()
        con.execute("SET TimeZone = 'UTC'").fetchall()
        with contextlib.suppress(duckdb.Error):  # older DuckDB: the cache is an optimisation only
            con.execute("SET parquet_metadata_cache = true").fetchall()
        con.register("__base", empty_table())
        try:
            lucene.register_functions(con)
        except duckdb.Error as exc:  # only IPv6 range clauses need the UDFs; keep the rest working
            log.warning("query helper functions unavailable: %s", exc)
        conn = _Connection(con)
        with self._lock:
            self._connections.append(conn)
        return conn

    def close(self) -> None:
        """Release every DuckDB connection."""
        with self._lock:
            for conn in self._connections:
                conn.con.close()
            self._connections.clear()
            self._db.close()

    # -- snapshot --------------------------------------------------------------------------

    def _tail_of(self, seg_id: int) -> pa.Table:
        offset, table = self._tail_cache.get(seg_id, (0, None))
        payloads, end = read_segment(self.layout.segments / segment_name(seg_id), offset)
        if payloads:
            fresh = conform(decode_payloads(payloads))
            table = fresh if table is None else concat([table, fresh])
        if table is None:
            table = empty_table().select([TIMESTAMP])
        self._tail_cache[seg_id] = (end, table)
        return table

    def snapshot(self, start: dt.datetime | None = None, end: dt.datetime | None = None) -> Snapshot:
        """A consistent view of sealed files (pruned to [start, end)) and the unsealed tail."""
        with self._lock:  # the tail cache is shared with concurrent queries
            return self._snapshot(start, end)

    def _snapshot(self, start: dt.datetime | None, end: dt.datetime | None) -> Snapshot:
        for _ in range(_RETRIES * 4):
            st = self.manifest.refresh()
            seq = st.last_seq
            files = [f for f in st.live.values() if _overlaps(f, start, end)]
            seg_ids = [s for s in list_segments(self.layout.segments) if s not in st.sealed_segments]
            tails: list[pa.Table] = []
            try:
                for seg_id in seg_ids:
                    tails.append(self._tail_of(seg_id))
            except FileNotFoundError:
                continue  # sealed and deleted meanwhile: the manifest has moved on
            if self.manifest.refresh().last_seq != seq:
                continue
            for stale in set(self._tail_cache) - set(seg_ids):
                del self._tail_cache[stale]
            return Snapshot(sorted(files, key=lambda f: f.path), _numbered(concat(tails)), seq)
        raise StoreError(
            "could not take a consistent snapshot: the store changed too fast", where=str(self.layout.root)
        )

    # -- execution -------------------------------------------------------------------------

    def _view(self, conn: _Connection, snap: Snapshot) -> tuple[str, dict[str, str]]:
        """The view over the snapshot's files and tail, and its columns; built and described only
        for a file set (or tail columns) this connection has not seen lately.

        The view has the columns the data has (a field no event carries is not a column: the
        query compiler treats it as matching nothing, as ES does); binding a union of every ECS
        column cost more than most searches themselves."""
        key = (tuple(f.path for f in snap.files), snap.tail.num_rows > 0 and snap.tail.schema)
        if snap.tail.num_rows:
            conn.con.register("__tail", snap.tail)  # views read it by name: fresh rows each time
        known = conn.views.get(key)
        if known is not None:
            conn.views.move_to_end(key)
            return known
        parts = []
        if snap.files:
            paths = ", ".join(_sql_str(str(self.layout.root / f.path)) for f in snap.files)
            # The file and row number of each row: a search reads whole rows only for its hits.
            parts.append(
                f'SELECT *, filename AS "{FILE_COLUMN}", file_row_number AS "{ROW_COLUMN}" '
                f"FROM read_parquet([{paths}], union_by_name = true, hive_partitioning = false)"
            )
        if snap.tail.num_rows:
            parts.append(f'SELECT *, NULL::VARCHAR AS "{FILE_COLUMN}" FROM __tail')
        if not parts:  # an empty store still answers (no rows) with every ECS column
            parts.append(
                f'SELECT *, NULL::VARCHAR AS "{FILE_COLUMN}", NULL::BIGINT AS "{ROW_COLUMN}" FROM __base'
            )
        conn.made += 1
        name = f"events_{conn.made}"
        conn.con.execute(f"CREATE TEMP VIEW {name} AS " + " UNION ALL BY NAME ".join(parts)).fetchall()
        columns = {
            str(r[0]): str(r[1])
            for r in conn.con.execute(f"DESCRIBE {name}").fetchall()
            if not str(r[0]).startswith("__")  # positions, not event fields
        }
        conn.views[key] = (name, columns)
        while len(conn.views) > VIEWS_PER_CONNECTION:
            _, (old, _cols) = conn.views.popitem(last=False)
            conn.con.execute(f"DROP VIEW IF EXISTS {old}").fetchall()
        return name, columns

    def _filter(
        self, query: str, columns: dict[str, str], start: dt.datetime | None, end: dt.datetime | None
    ) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        text = (query or "").strip()
        if text and text != "*":
            flt = lucene.compile_query(text, columns)
            clauses.append(f"({flt.sql})")
            params.extend(flt.params)
        if start is not None:
            clauses.append(f"{quote_ident(TIMESTAMP)} >= ?")
            params.append(start)
        if end is not None:
            clauses.append(f"{quote_ident(TIMESTAMP)} < ?")
            params.append(end)
        return (" AND ".join(clauses) or "TRUE"), params

    def rows(
        self,
        query: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
        build: Callable[[str, dict[str, str]], str | None],
    ) -> list[tuple[Any, ...]]:
        """Rows of the SQL ``build(where, columns)`` returns ([] when it returns None)."""
        return self.rows_with_tail(query, start, end, build)[0]

    def rows_with_tail(
        self,
        query: str,
        start: dt.datetime | None,
        end: dt.datetime | None,
        build: Callable[[str, dict[str, str]], str | None],
    ) -> tuple[list[tuple[Any, ...]], pa.Table]:
        """As :meth:`rows`, with the snapshot's tail table the rows' tail positions refer to:
        snapshot, compile ``query``, build the SQL and run it, retrying on vanished files."""
        start = None if start is None else utc(start)
        end = None if end is None else utc(end)
        with self._connection() as conn:
            last: Exception | None = None
            for attempt in range(_RETRIES):
                snap = self.snapshot(start, end)
                try:
                    view, columns = self._view(conn, snap)  # DESCRIBE opens the files too
                    where, params = self._filter(query, columns, start, end)
                    sql = build(where, columns)
                    if sql is None:
                        return [], snap.tail
                    # Builders name the view ``events``; this snapshot's view has its own name.
                    return conn.con.execute(_EVENTS_TABLE.sub(view, sql), params).fetchall(), snap.tail
                except duckdb.IOException as exc:
                    last = exc  # a file vanished (compaction/retention): fresh snapshot
                except duckdb.InvalidInputException as exc:
                    if "No such file" not in str(exc) and "not exist" not in str(exc):
                        raise
                    last = exc
                for name, _cols in conn.views.values():  # views over vanished files: build afresh
                    with contextlib.suppress(duckdb.Error):
                        conn.con.execute(f"DROP VIEW IF EXISTS {name}").fetchall()
                conn.views.clear()
                time.sleep(0.005 * attempt)
            raise StoreError(f"query kept racing with file changes: {last}", where=str(self.layout.root))


_row_numbers = pa.array([], pa.int64())


def _numbered(tail: pa.Table) -> pa.Table:
    """The tail with each row's position in ``__row`` (a slice of one shared 0, 1, 2 … array)."""
    global _row_numbers
    n = tail.num_rows
    if n == 0:
        return tail
    if len(_row_numbers) < n:
        _row_numbers = pa.array(range(max(n, 2 * len(_row_numbers))), pa.int64())
    return tail.append_column(ROW_COLUMN, _row_numbers.slice(0, n))


def _parse_iso(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def _overlaps(info: FileInfo, start: dt.datetime | None, end: dt.datetime | None) -> bool:
    """Day/min-max pruning using manifest metadata, so DuckDB never opens irrelevant files."""
    if start is not None and info.max_ts and info.max_ts < iso_utc(start):
        return False
    return not (end is not None and info.min_ts and info.min_ts >= iso_utc(end))
