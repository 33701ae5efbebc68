"""The ``EventStore`` protocol: one interface, an embedded and an Elasticsearch implementation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import msgspec

from soc_core.events import Event

MAX_FILLED_BUCKETS = 100_000  # beyond this many buckets a histogram answers the non-empty ones


def fill_buckets(counts: dict[dt.datetime, int], step: dt.timedelta) -> list[tuple[dt.datetime, int]]:
    """Histogram counts ascending, with the empty buckets between first and last (as ES does);
    only the non-empty ones when that would make more than ``MAX_FILLED_BUCKETS``."""
    if not counts:
        return []
    bucket, last = min(counts), max(counts)
    if (last - bucket) / step > MAX_FILLED_BUCKETS:  # e.g. 1s over months: sparse answer
        return sorted((k, v) for k, v in counts.items() if v)
    out: list[tuple[dt.datetime, int]] = []
    while bucket <= last:
        out.append((bucket, counts.get(bucket, 0)))
        bucket += step
    return out


class PartitionProblem(msgspec.Struct, kw_only=True):
    """One finding of ``verify``: which partition, and what is wrong with it."""

    partition: str
    problem: Literal["modified", "missing", "out_of_chain", "unexpected"]
    detail: str = ""


class VerifyReport(msgspec.Struct, kw_only=True):
    """Result of checking every sealed partition against the hash-chained manifest."""

    partitions: int
    problems: list[PartitionProblem]

    @property
    def ok(self) -> bool:
        """True when nothing was modified, missing or out of chain."""
        return not self.problems


class EventStore(Protocol):
    """Durable event storage with Lucene query-string search and aggregations.

    Times are timezone-aware datetimes; ``start`` is inclusive and ``end`` exclusive.
    Documents come back as nested ECS dicts.
    """

    def append(self, events: Sequence[Event]) -> int:
        """Store events durably (returns after fsync); returns how many were stored."""
        ...

    def append_encoded(self, payload: bytes, rows: int) -> int:
        """Store ``rows`` events already encoded by the store's ``encode_batch`` (parse workers)."""
        ...

    def search(
        self,
        query: str = "*",
        *,
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        limit: int = 100,
        order: Literal["asc", "desc"] = "desc",
    ) -> list[dict[str, Any]]:
        """Matching documents ordered by ``@timestamp``."""
        ...

    def count(
        self, query: str = "*", *, start: dt.datetime | None = None, end: dt.datetime | None = None
    ) -> int:
        """Number of matching documents."""
        ...

    def terms(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        size: int = 10,
    ) -> list[tuple[Any, int]]:
        """Top values of ``field`` with their counts, most frequent first."""
        ...

    def date_histogram(
        self,
        *,
        interval: str,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> list[tuple[dt.datetime, int]]:
        """Counts per time bucket (``interval`` like ``30s``, ``5m``, ``1h``, ``1d``)."""
        ...

    def cardinality(
        self,
        field: str,
        *,
        query: str = "*",
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
    ) -> int:
        """Number of distinct values of ``field``."""
        ...

    def stats(self) -> dict[str, Any]:
        """Counts and sizes for operators (``soc store stats``, ``/api/v1/stats/ingest``)."""
        ...

    def verify(self) -> VerifyReport:
        """Check sealed partitions against the manifest."""
        ...

    def close(self) -> None:
        """Flush and release resources."""
        ...
