"""A bus message that is not an event batch is refused with a logged reason and counted; the
events after it on the same partition are stored as usual (real nats-server, stub ES)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from es_stub import EsStub

from soc_api.runtime.scaleout.bus import Bus, subject
from soc_api.testing import SocNode, wait_for
from soc_core.config import ScaleoutSettings
from soc_core.events import Endpoint, Event


def _events() -> list[Event]:
    out = []
    for n in range(3):
        event = Event.from_dict(
            {"@timestamp": "2026-11-27T08:00:00Z", "event": {"id": f"{n:032x}", "dataset": "syslog.kv"}}
        )
        event.source = Endpoint(ip=f"192.0.2.{n + 1}")
        out.append(event)
    return out


def test_a_message_that_is_not_an_event_batch_loses_nothing_else(tmp_path: Path, nats_url: str) -> None:
    stub = EsStub().start()
    worker: SocNode | None = None
    try:
        settings = ScaleoutSettings(nats_url=nats_url, partitions=1, lease_s=2)

        async def publish() -> None:
            bus = await Bus.connect(settings, name="test")
            try:
                await bus.js.publish(subject(settings, 0), b"\x00 not json \xff")
                await bus.publish(0, _events())
            finally:
                await bus.close()

        asyncio.run(publish())
        config = tmp_path / "shaowang.toml"
        config.write_text(
            f'data_dir = "{tmp_path / "data"}"\n'
            f'[state]\nurl = "sqlite:///{tmp_path / "state.db"}"\n'
            f'[store]\nbackend = "elasticsearch"\n[store.elasticsearch]\nurl = "{stub.url}"\n'
            f'[scaleout]\nnats_url = "{nats_url}"\npartitions = 1\nlease_s = 2\n'
            "[detection]\nshipped = false\n",
            encoding="utf-8",
        )
        worker = SocNode(tmp_path, config, "worker", "w1")
        wait_for(lambda: len(stub.documents()) >= 3, timeout=60)
        worker.stop()
        log = worker.log()
        assert re.search(r"partition 0: message 1 is not an event batch", log), log[-2000:]
        assert "'bad_messages': 1" in log
        assert sorted(d["source"]["ip"] for d in stub.documents()) == ["192.0.2.1", "192.0.2.2", "192.0.2.3"]
    finally:
        if worker is not None:
            worker.kill()
        stub.stop()
