"""Which worker serves which partition: leases in a JetStream key-value bucket.

Every worker keeps a heartbeat key (``worker.<name>``) and the keys of the partitions it owns
(``partition.<p>``), all under the bucket's TTL (``scaleout.lease_s``). A lease is taken with
``create`` (fails if another worker holds it) and renewed with a compare-and-set ``update``; a
worker that stops renewing (``kill -9``, a lost network) loses everything after one TTL, and
the others take its partitions. Each worker aims at its fair share, ``ceil(partitions /
live workers)``: a worker joining makes the others give partitions back.
"""

from __future__ import annotations

import contextlib
import logging
import math
from collections.abc import Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

log = logging.getLogger("shaowang.worker")

HEARTBEAT = "worker."
PARTITION = "partition."


class Leases:
    """One worker's view of the lease bucket; :meth:`tick` keeps it current.

    Giving a partition back is two steps: :meth:`tick` asks its loop to stop (``on_stop``)
    and keeps renewing the lease; the loop, once its batch in progress is done, calls
    :meth:`finished`, which frees the lease. No other worker can take the partition while a
    batch of it is still being processed here.
    """

    def __init__(
        self,
        kv: KeyValue,
        *,
        name: str,
        partitions: int,
        on_gained: Callable[[int], None],
        on_stop: Callable[[int], None],
    ) -> None:
        self.kv = kv
        self.name = name
        self.partitions = partitions
        self.owned: dict[int, int] = {}  # partition → revision of our lease
        self.releasing: set[int] = set()
        self._on_gained = on_gained
        self._on_stop = on_stop

    @property
    def serving(self) -> list[int]:
        """Partitions owned and not being given back."""
        return sorted(set(self.owned) - self.releasing)

    async def live_workers(self) -> int:
        """Workers with a current heartbeat (this one included once it has beaten)."""
        try:
            keys = await self.kv.keys()
        except NoKeysError:
            return 0
        return sum(1 for key in keys if key.startswith(HEARTBEAT))

    async def beat(self) -> None:
        """Say this worker is alive (for one TTL)."""
        await self.kv.put(HEARTBEAT + self.name, self.name.encode())

    async def tick(self) -> None:
        """Beat, renew what we own, then take or give back partitions towards the fair share."""
        await self.beat()
        for partition, revision in list(self.owned.items()):
            try:
                self.owned[partition] = await self.kv.update(
                    PARTITION + str(partition), self.name.encode(), last=revision
                )
            except (KeyWrongLastSequenceError, KeyNotFoundError):
                # Expired (we were too slow) or taken: someone else may serve it already.
                log.warning("lease of partition %d lost", partition)
                del self.owned[partition]
                self.releasing.discard(partition)
                self._on_stop(partition)
        fair = math.ceil(self.partitions / max(1, await self.live_workers()))
        serving = self.serving
        if len(serving) < fair:
            await self._take(fair - len(serving))
        elif len(serving) > fair:
            for partition in serving[fair:]:
                self.release(partition)

    async def _take(self, wanted: int) -> None:
        # Start at a place of our own so joining workers do not all race for partition 0.
        offset = sum(self.name.encode()) % self.partitions
        for step in range(self.partitions):
            if wanted <= 0:
                return
            partition = (offset + step) % self.partitions
            if partition in self.owned:
                continue
            try:
                revision = await self.kv.create(PARTITION + str(partition), self.name.encode())
            except KeyWrongLastSequenceError:
                continue  # held by another worker
            self.owned[partition] = revision
            wanted -= 1
            log.info("worker %s took partition %d", self.name, partition)
            self._on_gained(partition)

    def release(self, partition: int) -> None:
        """Begin giving ``partition`` back: its loop stops after the batch in progress."""
        if partition in self.owned and partition not in self.releasing:
            self.releasing.add(partition)
            self._on_stop(partition)

    async def finished(self, partition: int) -> None:
        """The loop of ``partition`` has stopped: free its lease if it is still ours."""
        self.releasing.discard(partition)
        revision = self.owned.pop(partition, None)
        if revision is None:
            return
        # (a failed delete: renewed by somebody else since, or expired; nothing to free)
        with contextlib.suppress(KeyWrongLastSequenceError, KeyNotFoundError):
            await self.kv.delete(PARTITION + str(partition), last=revision)
        log.info("worker %s gave back partition %d", self.name, partition)

    async def forget_heartbeat(self) -> None:
        """Leave the set of live workers (clean shutdown): the others rebalance at once."""
        with contextlib.suppress(KeyWrongLastSequenceError, KeyNotFoundError):
            await self.kv.delete(HEARTBEAT + self.name)
