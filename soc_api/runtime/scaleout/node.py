"""Running one collector or worker process: start, report, stop cleanly on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any, Protocol

log = logging.getLogger("shaowang.node")


class Node(Protocol):
    """A collector or a worker."""

    async def start(self) -> None:
        """Connect and begin work."""
        ...

    async def stop(self) -> None:
        """Finish what is in hand and close."""
        ...

    def snapshot(self) -> dict[str, Any]:
        """Counters for the log."""
        ...


async def run_node(node: Node, *, role: str, report_every_s: float = 30.0) -> None:
    """Start ``node``, log its counters every ``report_every_s``, stop it on SIGINT/SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        await node.start()
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=report_every_s)
            if not stop.is_set():
                log.info("%s: %s", role, node.snapshot())
    finally:
        await node.stop()
        log.info("%s stopped: %s", role, node.snapshot())
