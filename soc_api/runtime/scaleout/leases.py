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
from collections.abc import Awaitable, Callable

from nats.js.errors import KeyNotFoundError, KeyWrongLastSequenceError, NoKeysError
from nats.js.kv import KeyValue

log = logging.getLogger("shaowang.worker")

HEARTBEAT = "worker."
PARTITION = "partition."


class Leases:
    """One worker's view of the lease bucket; :meth:`tick` keeps it current."""

    def __init__(
        self,
        kv: KeyValue,
        *,
        name: str,
        partitions: int,
        on_gained: Callable[[int], None],
        on_lost: Callable[[int], Awaitable[None]],
    ) -> None:
        self.kv = kv
        self.name = name
        self.partitions = partitions
        self.owned: dict[int, int] = {}  # partition → revision of our lease
        self._on_gained = on_gained
        self._on_lost = on_lost

    async def live_workers(self) -> int:
        """Workers with a current heartbeat (this one included once it has beaten)."""
        try:
            keys = await self.kv.keys()
        except NoKeysError:
            return 0
        return sum(1 for key in keys if key.startswith(HEARTBEAT))

    async def tick(self) -> None:
        """Beat, renew what we own, then take or give back partitions towards the fair share."""
        await self.kv.put(HEARTBEAT + self.name, self.name.encode())
        for partition, revision in list(self.owned.items()):
            try:
                self.owned[partition] = await self.kv.update(
                    PARTITION + str(partition), self.name.encode(), last=revision
                )
            except (KeyWrongLastSequenceError, KeyNotFoundError):
                # Expired (we were too slow) or taken: someone else may serve it already.
                log.warning("lease of partition %d lost", partition)
                del self.owned[partition]
                await self._on_lost(partition)
        fair = math.ceil(self.partitions / max(1, await self.live_workers()))
        if len(self.owned) < fair:
            await self._take(fair - len(self.owned))
        elif len(self.owned) > fair:
            for partition in sorted(self.owned, reverse=True)[: len(self.owned) - fair]:
                await self.release(partition)

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

    async def release(self, partition: int) -> None:
        """Stop serving ``partition`` (its batch in progress finishes), then free the lease."""
        revision = self.owned.pop(partition, None)
        if revision is None:
            return
        await self._on_lost(partition)
        # (a failed delete: renewed by nobody since, it expires on its own)
        with contextlib.suppress(KeyWrongLastSequenceError, KeyNotFoundError):
            await self.kv.delete(PARTITION + str(partition), last=revision)
        log.info("worker %s gave back partition %d", self.name, partition)

    async def release_all(self) -> None:
        """Give every lease back (clean shutdown): the others take over without waiting a TTL."""
        for partition in list(self.owned):
            await self.release(partition)
        with contextlib.suppress(KeyWrongLastSequenceError, KeyNotFoundError):
            await self.kv.delete(HEARTBEAT + self.name)
