"""``soc run``: the whole platform in one process on the embedded default.

Syslog (UDP+TCP, optional TLS) and file tails feed the intake queue; the pipeline parses,
detects and stores; the API serves from the same process. SIGTERM/SIGINT drain the queue
before exiting, and a ``kill -9`` loses nothing that was counted as stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import functools
import logging
import os
import signal
import socket
import sys
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Any

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from collectors.compiled import status as parse_path_status
from collectors.intake import IntakeQueue, IntakeStats
from collectors.parsers.declarative import load_declarative
from collectors.traffic.suricata import SuricataSensor
from collectors.transports.filetail import FileTailer
from playbooks.engine import build_engine as build_playbook_engine
from playbooks.loader import PlaybookProblem, summarise_problems
from playbooks.runner import PlaybookEngine
from soc_api.app import create_app
from soc_api.context import AppContext
from soc_api.runtime.assets import make_enricher
from soc_api.runtime.capture import CaptureService, suricata_config
from soc_api.runtime.demo import DemoFeed, demo_settings, prepare_demo
from soc_api.runtime.demo import announce as demo_announcement
from soc_api.runtime.detection import DetectionService, build_engine, worker_factory
from soc_api.runtime.health import SilenceWatch
from soc_api.runtime.hunts import HuntService
from soc_api.runtime.listeners import SyslogListeners
from soc_api.runtime.network import NetworkModel
from soc_api.runtime.pipeline import Pipeline
from soc_api.runtime.scaleout.alert_feed import AlertFeed
from soc_api.runtime.workers import ParsePool, default_workers
from soc_api.setup.service import begin_setup
from soc_core.audit import append_audit
from soc_core.config import FileSource, Settings
from soc_core.detection import Outcome
from soc_core.errors import ConfigError
from soc_core.records import RawRecord
from soc_core.state.db import StateStore, open_state
from soc_core.storage.base import EventStore
from soc_core.storage.elastic import redacted
from soc_core.storage.factory import open_event_store
from soc_core.vocabulary import MIN_RETENTION_DAYS, Role

log = logging.getLogger("shaowang")

ALERT_FEED_INTERVAL_S = 2.0  # how often the console looks for alerts the workers recorded


class _ApiServer(uvicorn.Server):
    """Uvicorn without its own signal handling: the platform owns SIGINT/SIGTERM."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Platform:
    """All running parts of one Shaowang node."""

    def __init__(self, settings: Settings, *, demo: bool = False) -> None:
        self.demo = demo
        if demo:
            settings = demo_settings(settings)
        self.settings = settings
        self.data_dir = settings.data_dir
        self.stats = IntakeStats()
        self.queue = IntakeQueue(settings.ingest.queue_max_records)
        self.store: EventStore | None = None
        self.state: StateStore | None = None
        self.pipeline: Pipeline | None = None
        self.pool: ParsePool | None = None
        self.detection: DetectionService | None = None
        self.playbooks: PlaybookEngine | None = None
        self.playbook_problems: list[PlaybookProblem] = []
        self.hunts: HuntService | None = None
        self.scheduler: AsyncIOScheduler | None = None
        self.listeners: SyslogListeners | None = None
        self.tailer: FileTailer | None = None
        self.capture: CaptureService | None = None
        self.sensor: SuricataSensor | None = None
        self.network: NetworkModel | None = None
        self.api: _ApiServer | None = None
        self._tasks: list[asyncio.Task[Any]] = []
        self._demo_accounts: dict[Role, tuple[str, str]] = {}
        self._stop = asyncio.Event()

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Open the stores, start intake, the pipeline and the API."""
        s = self.settings
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.state = open_state(s.state_url)
        self.store = await asyncio.to_thread(open_event_store, s, writer=True)
        self._record_start()
        if self.demo:  # the register first: enrichment and the graph read it from the start
            self._demo_accounts = await asyncio.to_thread(prepare_demo, self.state)

        self._load_parsers()
        self.network = await asyncio.to_thread(NetworkModel, s, state=self.state, data_dir=self.data_dir)
        files = list(s.files)
        if s.suricata.enabled:
            self.sensor = SuricataSensor(suricata_config(s.suricata, s.capture, data_dir=self.data_dir))
            files.append(FileSource(path=self.sensor.eve_path, dataset="suricata.eve"))
        if files:
            self.tailer = FileTailer(files, self.queue, self.stats, self.data_dir / "filetail.json")
        if s.detection.enabled:
            engine = await asyncio.to_thread(build_engine, s.detection)
            self.detection = DetectionService(engine, self.state)
            await asyncio.to_thread(self.detection.start)
        if s.playbooks.enabled:
            playbooks, self.playbook_problems = await asyncio.to_thread(build_playbook_engine, s, self.state)
            for line in summarise_problems(self.playbook_problems):
                log.warning("%s", line)
            playbooks.start()
            self.playbooks = playbooks
            log.info("playbooks: %d loaded", len(playbooks.playbooks))
        compiled, why = parse_path_status()
        log.info("parse path: %s (%s)", "compiled" if compiled else "Python", why)
        workers = s.ingest.parse_workers if s.ingest.parse_workers is not None else default_workers()
        if workers > 0:
            self.pool = ParsePool(
                detector_factory=worker_factory(s.detection) if self.detection is not None else None,
                workers=workers,
                default_format=s.ingest.default_format,
                default_timezone=s.ingest.default_timezone,
                sources=s.sources,
                enricher_factory=functools.partial(make_enricher, s.state_url),
                parser_dirs=[str(p) for p in s.parsers.dirs],
                shipped_parsers=s.parsers.shipped,
            )
            await asyncio.to_thread(self.pool.warm_up)
        self.pipeline = Pipeline(
            pool=self.pool,
            store=self.store,
            intake_stats=self.stats,
            default_format=s.ingest.default_format,
            default_timezone=s.ingest.default_timezone,
            sources=s.sources,
            on_stored=self._on_stored if self.tailer else None,
            detector=self.detection.engine if self.detection is not None else None,
            on_alerts=self._record_alerts if self.detection is not None else None,
            enricher=None if self.pool is not None else make_enricher(s.state_url),
            graph=self.network,
        )
        if self.detection is not None:
            self.detection.lock = self.pipeline.settle_lock
            self._tasks.append(asyncio.create_task(self._save_detection(), name="detection-state"))
            if s.detection.hunts:
                self.hunts = await asyncio.to_thread(
                    HuntService,
                    s.detection,
                    store=self.store,
                    state=self.state,
                    on_alerts=self.pipeline.store_alerts,
                )
                self.scheduler = AsyncIOScheduler(timezone=dt.UTC)
                jobs = self.hunts.schedule(self.scheduler)
                self.scheduler.start()
                log.info("scheduled hunts: %s", ", ".join(jobs))
        if s.scaleout.alerts_from_workers and self.playbooks is not None:
            self._tasks.append(asyncio.create_task(self._follow_worker_alerts(), name="worker-alerts"))
        self._tasks.append(asyncio.create_task(self._watch_sources(), name="source-health"))
        self._tasks.append(asyncio.create_task(self._save_graph(), name="graph"))
        self._tasks.append(
            asyncio.create_task(
                self.pipeline.run(
                    self.queue,
                    batch_max=s.ingest.batch_max_records,
                    commit_interval=s.store.commit_interval_ms / 1000,
                ),
                name="pipeline",
            )
        )
        self.listeners = SyslogListeners(s.syslog, self.queue, self.stats)
        await self.listeners.start()
        if self.tailer is not None:
            self._tasks.append(asyncio.create_task(self.tailer.run(), name="filetail"))
        if s.capture.interface:
            self.capture = await asyncio.to_thread(
                CaptureService, s.capture, data_dir=self.data_dir, store_events=self.pipeline.process_events
            )
            self.capture.start()
        if self.sensor is not None:
            await asyncio.to_thread(self.sensor.start)
            self._tasks.append(asyncio.create_task(self._watch_sensor(), name="suricata"))
        if self.demo:
            self._tasks.append(asyncio.create_task(DemoFeed(self.queue, self.stats).run(), name="demo"))

        ctx = AppContext(
            settings=s,
            events=self.store,
            state=self.state,
            ingest_stats=self.ingest_stats,
            graph=self.network.graph,
            demo=self.demo,
            playbooks=self.playbooks,
            playbook_problems=self.playbook_problems,
        )
        config = uvicorn.Config(
            create_app(ctx),
            host=s.api.host,
            port=s.api.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self.api = _ApiServer(config)
        api_socket = _bind_api(s.api.host, s.api.port)
        self._tasks.append(asyncio.create_task(self.api.serve(sockets=[api_socket]), name="api"))
        while not self.api.started:
            if self._tasks[-1].done():
                self._tasks[-1].result()  # raises the bind error
            await asyncio.sleep(0.02)
        self._announce()

    def _record_alerts(self, outcome: Outcome) -> None:
        """Detection's alerts to the state store, then the new ones to the playbooks."""
        assert self.detection is not None
        self.detection.record_alerts(outcome)
        if self.playbooks is not None and outcome.new:
            self.playbooks.submit_alerts(outcome.new)

    async def wait(self) -> None:
        """Run until :meth:`request_stop` (SIGINT/SIGTERM)."""
        await self._stop.wait()

    def request_stop(self) -> None:
        """Ask the platform to shut down cleanly."""
        self._stop.set()

    async def stop(self) -> None:
        """Stop intake, drain the queue into the store, close everything."""
        if self.listeners is not None:
            await self.listeners.stop()
        if self.tailer is not None:
            self.tailer.stop()
        if self.capture is not None:
            await asyncio.to_thread(self.capture.stop)
        if self.sensor is not None:
            await asyncio.to_thread(self.sensor.stop)
        if self.api is not None:
            self.api.should_exit = True
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        if self.pipeline is not None:
            self.pipeline.stop()
        pipeline_task = next((t for t in self._tasks if t.get_name() == "pipeline"), None)
        if pipeline_task is not None:
            await pipeline_task
        for task in self._tasks:
            if not task.done():
                task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.pool is not None:
            self.pool.close()
        if self.playbooks is not None:
            await asyncio.to_thread(self.playbooks.stop)
        if self.detection is not None:
            try:
                await asyncio.to_thread(self.detection.save)
            except Exception:
                log.exception("saving detection state at shutdown failed")
        if self.network is not None:
            try:
                await asyncio.to_thread(self.network.save)
            except Exception:
                log.exception("saving the network graph at shutdown failed")
        if self.store is not None:
            self.store.close()
        if self.state is not None:
            self.state.close()

    # -- pieces ---------------------------------------------------------------------------------

    def ingest_stats(self) -> dict[str, Any]:
        """Figures for ``GET /api/v1/stats/ingest``."""
        assert self.pipeline is not None and self.store is not None
        figures = self.pipeline.snapshot(queue_depth=len(self.queue))
        figures["store"] = self.store.stats()
        if self.capture is not None:
            figures["capture"] = self.capture.stats()
        if self.sensor is not None:
            figures["suricata"] = self.sensor.status()
        if self.network is not None:
            figures["graph"] = self.network.stats()
        return figures

    async def _save_detection(self) -> None:
        """Windows, dedup state and rule health to the state store, every few seconds."""
        assert self.detection is not None
        interval = self.settings.detection.state_save_interval_s
        while True:
            await asyncio.sleep(interval)
            try:
                await asyncio.to_thread(self.detection.save)
            except Exception:  # the next round tries again; detection itself goes on
                log.exception("saving detection state failed")

    async def _follow_worker_alerts(self) -> None:
        """Playbooks for the alerts ``soc worker`` processes record (``scaleout.alerts_from_workers``)."""
        assert self.state is not None and self.playbooks is not None
        feed = AlertFeed(self.state, now=dt.datetime.now(dt.UTC))
        while True:
            try:
                alerts = await asyncio.to_thread(feed.poll)
            except Exception:  # the state store is back on the next round
                log.exception("reading the workers' alerts failed")
                alerts = []
            if alerts:
                self.playbooks.submit_alerts(alerts)
            await asyncio.sleep(ALERT_FEED_INTERVAL_S)

    async def _watch_sources(self) -> None:
        """Raise ``shaowang.health`` events for senders that went silent (or came back)."""
        assert self.pipeline is not None
        watch = SilenceWatch(after_s=self.settings.detection.silence_after_s)
        interval = min(30.0, watch.after_s / 4)
        while True:
            await asyncio.sleep(interval)
            events = watch.check(self.stats.snapshot(), now=time.time())
            if events:
                try:
                    await asyncio.to_thread(self.pipeline.process_events, events)
                except Exception:  # reported again at the next check only if still relevant
                    log.exception("storing %d source health events failed", len(events))

    async def _save_graph(self) -> None:
        """The graph's aggregates to disk every ``graph.save_interval_s`` (and at shutdown)."""
        assert self.network is not None
        while True:
            await asyncio.sleep(self.settings.graph.save_interval_s)
            try:
                await asyncio.to_thread(self.network.save)
            except Exception:  # the next round tries again
                log.exception("saving the network graph failed")

    async def _watch_sensor(self) -> None:
        """Restart Suricata when it dies (with backoff); a finished capture-file run stays done."""
        assert self.sensor is not None
        while True:
            await asyncio.sleep(self.settings.suricata.watch_interval_s)
            try:
                await asyncio.to_thread(self.sensor.watch)
            except Exception:  # the next round looks again
                log.exception("watching the Suricata sensor failed")

    def _on_stored(self, records: Sequence[RawRecord]) -> None:
        if self.tailer is None:
            return
        self.tailer.mark_records_stored(records)

    def _load_parsers(self) -> None:
        """Declarative (YAML) parsers: site definitions, then the shipped ones. A broken file is
        logged with its file:line and skipped; the others load."""
        parsers = self.settings.parsers
        result = load_declarative(parsers.dirs, shipped=parsers.shipped)
        for error in result.errors:
            log.error("parser definition refused: %s", error)
        for warning in result.warnings:
            log.warning("parser definition: %s", warning)
        log.info("declarative parsers: %s", ", ".join(result.loaded) or "none")

    def _record_start(self) -> None:
        assert self.state is not None
        store = self.settings.store
        detail: dict[str, Any] = {"data_dir": str(self.data_dir.resolve()), "pid": os.getpid()}
        with self.state.session() as session:
            append_audit(session, actor="system", actor_roles=[], action="platform.start", detail=detail)
            if store.retention_days < MIN_RETENTION_DAYS:
                append_audit(
                    session,
                    actor="system",
                    actor_roles=[],
                    action="store.retention_override",
                    target="events",
                    detail={"retention_days": store.retention_days, "reason": store.retention_override},
                )

    def _announce(self) -> None:
        assert self.listeners is not None and self.state is not None
        s = self.settings
        lines = [
            "哨望 Shaowang is running",
            f"  syslog   udp+tcp {self.settings.syslog.host}:{self.listeners.syslog.port}",
        ]
        if self.listeners.tls is not None:
            lines.append(f"  syslog   tls     {s.syslog.tls.host}:{self.listeners.tls.port}")
        base = f"http://{s.api.host}:{s.api.port}"
        lines += [
            f"  console  {base}/",
            f"  API      {base}/api/v1/  (docs /api/v1/docs, health /healthz)",
            f"  data     {Path(self.data_dir).resolve()}",
        ]
        if s.store.backend == "elasticsearch":
            where = redacted(s.store.elasticsearch.url or "")
            lines.append(f"  events   Elasticsearch {where} (logs-*-{s.store.elasticsearch.namespace})")
        if self._demo_accounts:
            lines += demo_announcement(self._demo_accounts, base=base)
        with self.state.session() as session:
            token = begin_setup(session, now=dt.datetime.now(dt.UTC))
        if token is not None:
            # The token goes to this terminal only, never to a log file or the database.
            lines += [
                "",
                "  首次启动 / first start: no admin accounts yet. Three people each open this link and",
                "  create their own account (系统管理员, 安全管理员, 审计管理员 — 三员分立):",
                f"    {base}/setup#token={token}",
                "  Until then the console and API answer only that page and /healthz; intake runs.",
                "  (`soc user add` on this host works as well.)",
            ]
        print("\n".join(lines), flush=True)


def _bind_api(host: str, port: int) -> socket.socket:
    """The API's listening socket, bound here so a taken port is a clear error."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}", where="api") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def run_platform(settings: Settings, *, demo: bool = False) -> None:
    """Start, run until a signal, stop cleanly."""
    platform = Platform(settings, demo=demo)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, platform.request_stop)
    try:
        await platform.start()
        await platform.wait()
    finally:
        print("哨望 Shaowang stopping: draining the intake queue", file=sys.stderr, flush=True)
        await platform.stop()
