"""Small helpers shared by the transports."""

from __future__ import annotations

from collections.abc import Sequence

from collectors.intake import IntakeQueue
from soc_core.records import RawRecord

__all__ = ["BoundedPut", "put_within_bound"]


class BoundedPut:
    """Queue a batch without ever exceeding ``queue.max_records``; ``done`` tracks progress.

    Unlike ``IntakeQueue.put_many`` this tracks how far it got, so a cancelled wait (a
    connection closing) knows which records were not queued (see :meth:`rest`). The fast
    path (room for everything) is a single ``offer_many``.
    """

    __slots__ = ("done", "records")

    def __init__(self, records: Sequence[RawRecord]) -> None:
        self.records = records
        self.done = 0

    async def into(self, queue: IntakeQueue) -> None:
        """Queue the remaining records, waiting for room as needed."""
        records, total = self.records, len(self.records)
        if self.done == 0:
            self.done = queue.offer_many(records)
        while self.done < total:
            if queue.closed:  # shutting down: put_many no longer waits, hand over the rest
                await queue.put_many(records[self.done :])
                self.done = total
                return
            await queue.wait_for_room()
            room = queue.max_records - len(queue)
            if room > 0:
                self.done += queue.offer_many(records[self.done : self.done + room])

    def rest(self) -> Sequence[RawRecord]:
        """Records not queued yet."""
        return self.records[self.done :]


async def put_within_bound(queue: IntakeQueue, records: Sequence[RawRecord]) -> None:
    """Queue all ``records`` without exceeding the queue's bound (see :class:`BoundedPut`)."""
    await BoundedPut(records).into(queue)
