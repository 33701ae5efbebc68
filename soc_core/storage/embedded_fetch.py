"""Whole rows for the hits of a search, by position: file and row number, or a row of the tail.

A search first finds its hits reading only the filter columns and ``@timestamp`` (phase one);
this module then reads the full rows of just those hits. Parquet gives no random access below a
row group, so a hit costs decoding its row group's columns; decoded row groups are kept in a
small LRU cache (sealed files never change, so an entry never goes stale), because analysts
look at the newest data over and over: the newest row groups answer most searches.
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from soc_core.storage.embedded_schema import TIMESTAMP

ROW_COLUMN = "__row"  # position of a row in its file (Parquet) or in the snapshot's tail
FILE_COLUMN = "__file"  # the sealed file a row came from; NULL for tail rows
DEFAULT_CACHE_BYTES = 256 << 20


@dataclass(frozen=True)
class Hit:
    """One search hit: its time and where its row is (``file`` None: ``tail`` holds it)."""

    timestamp: Any
    file: str | None
    row: int
    tail: pa.Table | None = None


class RowGroupCache:
    """Decoded row groups of sealed files, least recently used dropped beyond ``max_bytes``.

    Concurrent misses of the same row group decode it once (the others wait for it)."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        self._tables: OrderedDict[tuple[str, int], pa.Table] = OrderedDict()
        self._loading: dict[tuple[str, int], threading.Lock] = {}
        self._starts: dict[str, list[int]] = {}
        self.size = 0
        self.hits = 0
        self.misses = 0

    def starts(self, path: str) -> list[int]:
        """First row number of every row group of ``path``, plus the row count at the end."""
        with self._lock:
            found = self._starts.get(path)
        if found is None:
            meta = pq.ParquetFile(path).metadata
            found = [0]
            for index in range(meta.num_row_groups):
                found.append(found[-1] + meta.row_group(index).num_rows)
            with self._lock:
                if len(self._starts) > 4096:  # one entry per sealed file ever read: bounded
                    self._starts.clear()
                self._starts[path] = found
        return found

    def group(self, path: str, index: int) -> pa.Table:
        """Row group ``index`` of ``path``, decoded (from the cache when it is there)."""
        key = (path, index)
        with self._lock:
            table = self._tables.get(key)
            if table is not None:
                self._tables.move_to_end(key)
                self.hits += 1
                return table
            loading = self._loading.setdefault(key, threading.Lock())
        with loading:
            with self._lock:
                table = self._tables.get(key)
                if table is not None:  # another query decoded it while this one waited
                    self._tables.move_to_end(key)
                    self.hits += 1
                    return table
                self.misses += 1
            try:
                table = pq.ParquetFile(path).read_row_group(index)
            finally:
                with self._lock:
                    self._loading.pop(key, None)
            with self._lock:
                self._store(key, table)
        return table

    def _store(self, key: tuple[str, int], table: pa.Table) -> None:
        if self.max_bytes <= 0 or table.nbytes > self.max_bytes:
            return
        self._tables[key] = table
        self.size += table.nbytes
        while self.size > self.max_bytes and self._tables:
            _key, dropped = self._tables.popitem(last=False)
            self.size -= dropped.nbytes

    def stats(self) -> dict[str, int]:
        """Entries, bytes held, hits and misses since start."""
        with self._lock:
            return {
                "row_groups": len(self._tables),
                "bytes": self.size,
                "hits": self.hits,
                "misses": self.misses,
            }


def _records(table: pa.Table, rows: Sequence[int]) -> list[dict[str, Any]]:
    """Rows ``rows`` of ``table`` as dicts, in that order, without all-null columns."""
    taken = table.take(pa.array(rows, pa.int64()))
    keep = [
        name
        for name, column in zip(taken.column_names, taken.columns, strict=True)
        if column.null_count < taken.num_rows and not name.startswith("__")
    ]
    records: list[dict[str, Any]] = taken.select(keep).to_pylist()
    return records


def fetch_rows(hits: Iterable[Hit], cache: RowGroupCache) -> list[dict[str, Any]]:
    """The flat rows of ``hits``, in the order given. Raises ``FileNotFoundError`` when a file
    is gone and its row group was not cached (the caller searches again on a fresh snapshot)."""
    ordered = list(hits)
    out: list[dict[str, Any] | None] = [None] * len(ordered)
    # (file, row group) or the tail table → [(output position, row within it)]
    by_group: dict[tuple[str, int], list[tuple[int, int]]] = {}
    by_tail: dict[int, tuple[pa.Table, list[tuple[int, int]]]] = {}
    for position, hit in enumerate(ordered):
        if hit.file is None:
            if hit.tail is None:
                raise ValueError("a tail hit without its tail table")
            by_tail.setdefault(id(hit.tail), (hit.tail, []))[1].append((position, hit.row))
            continue
        starts = cache.starts(hit.file)
        index = bisect.bisect_right(starts, hit.row) - 1
        by_group.setdefault((hit.file, index), []).append((position, hit.row - starts[index]))
    for (path, index), wanted in by_group.items():
        table = cache.group(path, index)
        for (position, _row), record in zip(wanted, _records(table, [r for _, r in wanted]), strict=True):
            out[position] = record
    for table, wanted in by_tail.values():
        for (position, _row), record in zip(wanted, _records(table, [r for _, r in wanted]), strict=True):
            out[position] = record
    return [record for record in out if record is not None]


def order_rows(rows: list[dict[str, Any]], *, descending: bool) -> list[dict[str, Any]]:
    """Rows by ``@timestamp`` then ``event.id`` (the store's search order; rows without an id
    last either way, as SQL's NULLS LAST)."""
    if descending:
        return sorted(
            rows,
            key=lambda r: (r[TIMESTAMP], r.get("event.id") is not None, r.get("event.id") or ""),
            reverse=True,
        )
    return sorted(rows, key=lambda r: (r[TIMESTAMP], r.get("event.id") is None, r.get("event.id") or ""))
