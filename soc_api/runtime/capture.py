"""Live capture inside ``soc run``: the mirror port's packets → events → the pipeline.

The capture thread reads, keeps recent packets in the pcap ring and dissects; a second thread
hands the events to the pipeline (detection and storage). When storage falls behind, the
hand-over queue fills and the capture thread waits, so packets wait in the kernel's buffer
and any the kernel cannot hold are counted as capture drops, never lost silently.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from collectors.traffic.live import LiveCapture, PacketSocket
from collectors.traffic.ring import PcapRing
from collectors.traffic.session import Dissector
from collectors.traffic.suricata import SHIPPED_RULES, SensorConfig
from soc_core.config import CaptureSettings, SuricataSettings
from soc_core.events import Event, Interface, Observer, ObserverSide

log = logging.getLogger(__name__)

RING_DIR = "pcap"
SURICATA_DIR = "suricata"
_PENDING_BATCHES = 32  # event batches waiting for the pipeline before the capture waits


class CaptureService:
    """One interface's live capture, its pcap ring and the hand-over to the pipeline."""

    def __init__(
        self,
        settings: CaptureSettings,
        *,
        data_dir: Path,
        store_events: Callable[[Sequence[Event]], None],
    ) -> None:
        if not settings.interface:
            raise ValueError("capture.interface is not set")
        self.settings = settings
        self._store_events = store_events
        self.ring: PcapRing | None = None
        if settings.ring_gb > 0:
            max_bytes = int(settings.ring_gb * (1 << 30))
            self.ring = PcapRing(
                data_dir / RING_DIR,
                max_bytes=max_bytes,
                file_bytes=min(settings.ring_file_mb << 20, max_bytes),
                snaplen=settings.snaplen,
            )
        try:
            self.source = PacketSocket(
                settings.interface,
                bpf=settings.bpf,
                snaplen=settings.snaplen,
                buffer_bytes=settings.buffer_mb << 20,
            )
        except Exception:
            if self.ring is not None:
                self.ring.close()
            raise
        dissector = Dissector(
            idle_timeout_s=settings.idle_timeout_s,
            active_timeout_s=settings.active_timeout_s,
            observer=Observer(
                type="sensor",
                vendor="Shaowang",
                product="packet capture",
                hostname=socket.gethostname(),
                ingress=ObserverSide(interface=Interface(name=settings.interface)),
            ),
        )
        self.capture = LiveCapture(self.source, dissector=dissector, on_events=self._enqueue, ring=self.ring)
        self._pending: queue.Queue[list[Event] | None] = queue.Queue(maxsize=_PENDING_BATCHES)
        self._stored_events = 0
        self._store_errors = 0
        self._waited_s = 0.0
        self._sink = threading.Thread(target=self._drain, name="capture-sink", daemon=True)

    def start(self) -> None:
        """Start capturing and handing events over."""
        self._sink.start()
        self.capture.start()
        log.info(
            "capturing on %s%s",
            self.settings.interface,
            f" (filter {self.settings.bpf!r})" if self.settings.bpf else "",
        )

    def stop(self) -> None:
        """Stop capturing, hand over the last events (open flows included), close the ring."""
        self.capture.stop()
        self._pending.put(None)
        self._sink.join(30)
        self.source.close()
        if self.ring is not None:
            self.ring.close()

    def _enqueue(self, events: list[Event]) -> None:
        started = time.monotonic()
        self._pending.put(events)  # blocks while the pipeline is behind: backpressure to the kernel
        self._waited_s += time.monotonic() - started

    def _drain(self) -> None:
        while True:
            events = self._pending.get()
            if events is None:
                return
            try:
                self._store_events(events)
                self._stored_events += len(events)
            except Exception:
                # the store refused: the packets stay in the ring; the count says what was lost
                self._store_errors += len(events)
                log.exception("storing %d captured events failed", len(events))

    def stats(self) -> dict[str, Any]:
        """Capture figures for ``GET /api/v1/stats/ingest``."""
        figures = self.capture.stats()
        figures["events_stored"] = self._stored_events
        figures["events_store_failed"] = self._store_errors
        figures["batches_waiting"] = self._pending.qsize()
        figures["waited_for_pipeline_s"] = round(self._waited_s, 3)
        figures["filter"] = self.settings.bpf
        return figures


def suricata_config(suricata: SuricataSettings, capture: CaptureSettings, *, data_dir: Path) -> SensorConfig:
    """The sensor's configuration from the settings: its own folder in the data directory, the
    capture's interface and filter unless the sensor names its own."""
    rules = ([SHIPPED_RULES] if suricata.shipped_rules else []) + [path.resolve() for path in suricata.rules]
    return SensorConfig(
        workdir=(data_dir / SURICATA_DIR).resolve(),
        binary=suricata.binary,
        interface=None if suricata.pcap else suricata.interface or capture.interface,
        pcap=suricata.pcap.resolve() if suricata.pcap else None,
        rules=rules,
        bpf=suricata.bpf if suricata.bpf is not None else capture.bpf,
        home_net=suricata.home_net,
        extra_args=list(suricata.extra_args),
    )
