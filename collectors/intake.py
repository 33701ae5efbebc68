"""The hand-off between transports and the pipeline: a bounded queue and per-peer counters.

TCP and TLS transports ``await put_many`` so a full queue stops them reading from the socket
(the sender is slowed by TCP backpressure). UDP uses ``offer_many``, which never waits:
what does not fit is dropped and counted, never hidden.
"""

from __future__ import annotations

import asyncio
import collections
import threading
import time
from collections.abc import Sequence

import msgspec

from soc_core.records import RawRecord


class PeerCounters(msgspec.Struct, kw_only=True):
    """What one sender (``transport ip``) has sent us."""

    transport: str
    peer: str
    records: int = 0
    bytes: int = 0
    dropped: int = 0
    errors: int = 0
    connections: int = 0
    first_seen: float = 0.0
    last_seen: float = 0.0


class IntakeStats:
    """Thread-safe counters per (transport, peer host)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._peers: dict[tuple[str, str], PeerCounters] = {}

    def _get(self, transport: str, peer: str) -> PeerCounters:
        key = (transport, peer)
        counters = self._peers.get(key)
        if counters is None:
            now = time.time()
            counters = PeerCounters(transport=transport, peer=peer, first_seen=now, last_seen=now)
            self._peers[key] = counters
        return counters

    def received(self, transport: str, peer: str, records: int, nbytes: int) -> None:
        """Count records received from ``peer``."""
        with self._lock:
            counters = self._get(transport, peer)
            counters.records += records
            counters.bytes += nbytes
            counters.last_seen = time.time()

    def dropped(self, transport: str, peer: str, records: int) -> None:
        """Count records that were received but could not be queued (UDP overload)."""
        with self._lock:
            self._get(transport, peer).dropped += records

    def error(self, transport: str, peer: str) -> None:
        """Count a framing or connection error."""
        with self._lock:
            self._get(transport, peer).errors += 1

    def connected(self, transport: str, peer: str) -> None:
        """Count a new connection."""
        with self._lock:
            self._get(transport, peer).connections += 1

    def snapshot(self) -> list[PeerCounters]:
        """A copy of all counters, sorted by transport and peer."""
        with self._lock:
            return [msgspec.structs.replace(c) for _, c in sorted(self._peers.items())]

    def totals(self) -> dict[str, int]:
        """Sums over all peers."""
        with self._lock:
            peers = list(self._peers.values())
        return {
            "received": sum(p.records for p in peers),
            "bytes": sum(p.bytes for p in peers),
            "dropped": sum(p.dropped for p in peers),
            "errors": sum(p.errors for p in peers),
        }


class IntakeQueue:
    """Bounded record queue between asyncio transports and the pipeline.

    Bounded by record count. ``get_batch`` is called by the pipeline in the event loop.
    """

    def __init__(self, max_records: int) -> None:
        self.max_records = max_records
        self._items: collections.deque[RawRecord] = collections.deque()
        self._not_empty = asyncio.Event()
        self._not_full = asyncio.Event()
        self._not_full.set()
        self.closed = False

    def __len__(self) -> int:
        return len(self._items)

    async def wait_for_room(self) -> None:
        """Return once the queue is below its bound (or closed)."""
        while len(self._items) >= self.max_records and not self.closed:
            self._not_full.clear()
            await self._not_full.wait()

    async def put_many(self, records: Sequence[RawRecord]) -> None:
        """Queue all records in order, waiting whenever the queue is full (backpressure)."""
        if not records:
            await self.wait_for_room()
            return
        pos = 0
        while pos < len(records):
            room = self.max_records - len(self._items)
            if room <= 0:
                if self.closed:
                    room = len(records) - pos  # shutting down: hand everything over
                else:
                    self._not_full.clear()
                    await self._not_full.wait()
                    continue
            self._items.extend(records[pos : pos + room])
            pos += room
            self._not_empty.set()

    def offer_many(self, records: Sequence[RawRecord]) -> int:
        """Queue what fits without waiting; returns how many were accepted."""
        room = self.max_records - len(self._items)
        accepted = records if len(records) <= room else records[: max(room, 0)]
        self._items.extend(accepted)
        if accepted:
            self._not_empty.set()
        return len(accepted)

    async def get_batch(self, max_records: int, timeout: float | None = None) -> list[RawRecord]:
        """Up to ``max_records`` records; waits for the first one up to ``timeout`` seconds."""
        if not self._items:
            self._not_empty.clear()
            try:
                await asyncio.wait_for(self._not_empty.wait(), timeout)
            except TimeoutError:
                return []
        n = min(max_records, len(self._items))
        batch = [self._items.popleft() for _ in range(n)]
        if len(self._items) < self.max_records:
            self._not_full.set()
        return batch

    def close(self) -> None:
        """Release waiting producers (on shutdown)."""
        self.closed = True
        self._not_full.set()
        self._not_empty.set()
