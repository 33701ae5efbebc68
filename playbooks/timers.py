"""Timers that survive a restart: APScheduler with its job store in the StateStore.

Escalations, block TTLs and 通报 deadlines are date jobs named after what they concern, so
scheduling one twice replaces it. A job only queues its event for the engine, whose own thread
does the work; a job missed while the platform was down runs at the next start.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

TABLE = "playbook_timers"
TimerHandler = Callable[[str, tuple[Any, ...]], None]

_handlers: dict[str, TimerHandler] = {}
_handlers_lock = threading.Lock()


def fire(store_key: str, kind: str, *args: Any) -> None:
    """The job function (importable by reference, as persisted jobs need)."""
    with _handlers_lock:
        handler = _handlers.get(store_key)
    if handler is None:
        log.warning("timer %s %s fired with no engine listening", kind, args)
        return
    handler(kind, args)


class Timers:
    """Persistent date jobs for one state store."""

    def __init__(self, engine: Engine, handler: TimerHandler) -> None:
        self.key = str(engine.url)
        self.handler = handler
        self._deferred = threading.local()
        self.scheduler = BackgroundScheduler(
            timezone=dt.UTC,
            jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename=TABLE)},
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
        )

    def start(self) -> None:
        """Listen and run due jobs (including those that fell due while stopped)."""
        with _handlers_lock:
            _handlers[self.key] = self.handler
        self.scheduler.start()

    def shutdown(self) -> None:
        """Stop; pending jobs stay in the store."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        with _handlers_lock:
            if _handlers.get(self.key) is self.handler:
                del _handlers[self.key]

    @contextmanager
    def after_commit(self) -> Iterator[None]:
        """Hold the jobs scheduled inside the block and add them once it ends without error.

        The job store writes through its own connection: adding a job while this thread's
        step transaction holds SQLite's write lock would wait on itself, and a step that
        rolls back must not leave its timer behind.
        """
        pending: list[tuple[str, dt.datetime, str, tuple[Any, ...]]] = []
        self._deferred.pending = pending
        try:
            yield
        finally:
            self._deferred.pending = None
        for job_id, when, kind, args in pending:
            self._add(job_id, when, kind, *args)

    def _at(self, job_id: str, when: dt.datetime, kind: str, *args: Any) -> None:
        pending = getattr(self._deferred, "pending", None)
        if pending is not None:
            pending.append((job_id, when, kind, args))
            return
        self._add(job_id, when, kind, *args)

    def _add(self, job_id: str, when: dt.datetime, kind: str, *args: Any) -> None:
        self.scheduler.add_job(
            fire,
            "date",
            run_date=when,
            args=[self.key, kind, *args],
            id=job_id,
            replace_existing=True,
        )

    def escalation(self, run_id: int, step_index: int, when: dt.datetime) -> None:
        """Check the run's alert at ``when`` and escalate if still unacknowledged."""
        self._at(f"escalation-{run_id}-{step_index}", when, "escalation", run_id, step_index)

    def block_expiry(self, block_id: int, when: dt.datetime) -> None:
        """Lift the block at ``when``."""
        self._at(f"block-expiry-{block_id}", when, "block_expiry", block_id)

    def report_deadline(self, report_id: int, when: dt.datetime) -> None:
        """Flag the 通报 record if it is still unreported at ``when``."""
        self._at(f"report-deadline-{report_id}", when, "report_deadline", report_id)

    def pending(self) -> list[str]:
        """Ids of the jobs still to run."""
        return sorted(job.id for job in self.scheduler.get_jobs())
