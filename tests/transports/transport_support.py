"""Helpers shared by the transport tests."""

from __future__ import annotations

import asyncio

from collectors.intake import IntakeQueue
from soc_core.records import RawRecord


async def take(queue: IntakeQueue, n: int, timeout: float = 15.0) -> list[RawRecord]:
    """Exactly ``n`` records from ``queue`` (fails after ``timeout`` seconds)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    out: list[RawRecord] = []
    while len(out) < n:
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise AssertionError(f"received {len(out)} of {n}: {[r.data[:60] for r in out][:20]}")
        out += await queue.get_batch(n - len(out), timeout=remaining)
    return out


async def nothing_more(queue: IntakeQueue, wait: float = 0.3) -> None:
    """Assert that no further record arrives within ``wait`` seconds."""
    assert await queue.get_batch(10, timeout=wait) == []
