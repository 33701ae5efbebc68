"""The playbook engine: match alerts and incidents to playbooks, run steps, record everything.

Runs live in the StateStore. One engine thread executes steps, one transaction per step, so a
finished step is never executed again: after a restart, a run continues at its next step, and a
run waiting for approval waits on. A trigger starts a playbook at most once (unique run key).
The pipeline only hands alerts over (:meth:`PlaybookEngine.submit_alerts`) and never waits.
"""

from __future__ import annotations

import datetime as dt
import logging
import queue
import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from playbooks.actions import ACTIONS
from playbooks.actions.notify import deliver
from playbooks.channels.base import Channel
from playbooks.context import StepContext, StepResult, alert_message
from playbooks.errors import PlaybookError
from playbooks.models import EscalateAfterStep, Playbook
from playbooks.responders.base import Responder, ResponderError
from playbooks.timers import Timers
from soc_core.alerts import Alert
from soc_core.audit import append_audit
from soc_core.config import Settings
from soc_core.state.db import StateStore
from soc_core.state.models import AlertRecord, AssetRecord, IncidentRecord, utcnow
from soc_core.state.response import Approval, BlockRecord, PlaybookRun, PlaybookStep, ReportRecord
from soc_core.vocabulary import (
    AlertStatus,
    ApprovalStatus,
    BlockStatus,
    Criticality,
    ReportStatus,
    RunStatus,
    StepStatus,
)

log = logging.getLogger(__name__)

_CRITICALITY_ORDER = {c: i for i, c in enumerate(Criticality)}


class PlaybookEngine:
    """Runs playbooks in the background over one StateStore."""

    def __init__(
        self,
        *,
        state: StateStore,
        settings: Settings,
        playbooks: Iterable[Playbook],
        channels: Mapping[str, Channel],
        responders: Mapping[str, Responder],
        clock: Callable[[], dt.datetime] = utcnow,
        timers: bool = True,
    ) -> None:
        self.state = state
        self.settings = settings
        self.playbooks = {p.id: p for p in playbooks if p.enabled}
        self.channels = dict(channels)
        self.responders = dict(responders)
        self.clock = clock
        self._inbox: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one pass at a time
        self.timers = Timers(state.engine, self._on_timer) if timers else None

    # -- intake (any thread) ---------------------------------------------------------------------

    def submit_alerts(self, alerts: Iterable[Alert]) -> None:
        """New alerts from detection; matched and started by the engine thread."""
        for alert in alerts:
            self._inbox.put(("alert", msgspec.to_builtins(alert)))
        self._wake.set()

    def submit_incident(self, incident_id: int) -> None:
        """An incident was opened or graded; playbooks ``on: incident`` may start."""
        self._inbox.put(("incident", incident_id))
        self._wake.set()

    def _on_timer(self, kind: str, args: tuple[Any, ...]) -> None:
        self._inbox.put(("timer", (kind, args)))
        self._wake.set()

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> None:
        """Start the timers and the engine thread."""
        if self.timers is not None:
            self.timers.start()
        self._thread = threading.Thread(target=self._loop, name="playbooks", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Finish the current step, then stop (runs resume at the next start)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        if self.timers is not None:
            self.timers.shutdown()

    def _loop(self) -> None:
        interval = self.settings.playbooks.poll_interval_s
        while not self._stop.is_set():
            try:
                self.run_pending()
            except Exception:  # the engine must outlive one bad pass
                log.exception("playbook engine pass failed")
            self._wake.wait(interval)
            self._wake.clear()

    # -- one pass ----------------------------------------------------------------------------

    def run_pending(self) -> int:
        """Start matched runs, handle fired timers, lift expired blocks, advance due runs."""
        with self._lock:
            done = 0
            while True:
                try:
                    kind, payload = self._inbox.get_nowait()
                except queue.Empty:
                    break
                if kind == "alert":
                    done += self._start_for_alert(payload)
                elif kind == "incident":
                    done += self._start_for_incident(int(payload))
                else:
                    self._timer(*payload)
                    done += 1
            done += self._expire_blocks()
            for run_id in self._due_runs():
                if self._stop.is_set():
                    break
                self._advance(run_id)
                done += 1
            return done

    # -- starting runs -----------------------------------------------------------------------

    def _start_for_alert(self, alert: dict[str, Any]) -> int:
        with self.state.session() as session:
            assets = [
                session.scalar(select(AssetRecord).where(AssetRecord.ip == ip))
                for ip in (alert.get("source_ip"), alert.get("destination_ip"))
                if ip
            ]
        zones = {a.zone for a in assets if a is not None and a.zone}
        criticalities = [Criticality(a.criticality) for a in assets if a is not None and a.criticality]
        started = 0
        for playbook in self.playbooks.values():
            if matches_alert(playbook, alert, zones=zones, criticalities=criticalities):
                started += self._create_run(playbook, str(alert.get("id")), {"alert": alert}, alert.get("id"))
        return started

    def _start_for_incident(self, incident_id: int) -> int:
        with self.state.session(readonly=True) as session:
            row = session.get(IncidentRecord, incident_id)
            if row is None:
                return 0
            incident = {"id": row.id, "title": row.title, "category": row.category, "level": row.level}
        started = 0
        for playbook in self.playbooks.values():
            trigger = playbook.trigger
            if trigger.on != "incident":
                continue
            if trigger.levels and incident["level"] not in {lv.value for lv in trigger.levels}:
                continue
            if trigger.categories and incident["category"] not in trigger.categories:
                continue
            context = {"incident": incident, "incident_id": incident_id}
            started += self._create_run(
                playbook, f"incident:{incident_id}:{incident['level']}", context, None
            )
        return started

    def _create_run(self, playbook: Playbook, key: str, context: dict[str, Any], alert_id: Any) -> int:
        now = self.clock()
        try:
            with self.state.session() as session:
                run = PlaybookRun(
                    playbook_id=playbook.id,
                    trigger_key=key[:255],
                    alert_id=None if alert_id is None else str(alert_id),
                    status=RunStatus.RUNNING.value,
                    step_index=0,
                    context={**context, "steps": {}},
                    created_at=now,
                    updated_at=now,
                )
                session.add(run)
                session.flush()
                append_audit(
                    session,
                    actor=f"playbook:{playbook.id}",
                    action="playbook.start",
                    target=str(run.id),
                    detail={"trigger": key, "playbook": playbook.name},
                    now=now,
                )
        except IntegrityError:
            return 0  # this trigger already started this playbook
        return 1

    # -- running -----------------------------------------------------------------------------

    def _due_runs(self) -> list[int]:
        now = self.clock()
        with self.state.session(readonly=True) as session:
            # A decision sets wake_at to its time, so waiting runs are due by wake_at alone.
            rows = session.scalars(
                select(PlaybookRun.id)
                .where(
                    or_(
                        PlaybookRun.status == RunStatus.RUNNING,
                        (PlaybookRun.status == RunStatus.WAITING) & (PlaybookRun.wake_at <= now),
                    )
                )
                .order_by(PlaybookRun.id)
                .limit(500)
            )
            return list(rows)

    def _after_commit(self) -> AbstractContextManager[None]:
        return self.timers.after_commit() if self.timers is not None else nullcontext()

    def _advance(self, run_id: int) -> None:
        """Run steps of one run until it finishes, waits or fails."""
        while not self._stop.is_set():
            with self._after_commit(), self.state.session() as session:
                run = session.get(PlaybookRun, run_id)
                if run is None or run.status not in (RunStatus.RUNNING, RunStatus.WAITING):
                    return
                playbook = self.playbooks.get(run.playbook_id)
                if playbook is None:
                    run.status, run.error = RunStatus.FAILED.value, "the playbook is no longer loaded"
                    return
                if run.step_index >= len(playbook.steps):
                    self._finish(session, run, RunStatus.SUCCEEDED)
                    return
                keep_going = self._step(session, run, playbook)
            if not keep_going:
                return

    def _step(self, session: Any, run: PlaybookRun, playbook: Playbook) -> bool:
        index = run.step_index
        step = playbook.steps[index]
        name = playbook.step_name(index)
        now = self.clock()
        previous = [s for s in run.steps if s.step_index == index]
        row = (
            previous[-1]
            if previous and previous[-1].status in (StepStatus.WAITING, StepStatus.RUNNING)
            else None
        )
        attempt = row.attempt if row is not None else len(previous) + 1
        ctx = StepContext(
            session=session,
            run=run,
            playbook_id=playbook.id,
            step_index=index,
            step_name=name,
            attempt=attempt,
            now=now,
            settings=self.settings,
            channels=self.channels,
            responders=self.responders,
            timers=self.timers,
        )
        inputs = step.model_dump(mode="json", exclude_none=True)
        try:
            result = ACTIONS[step.action](step, ctx)
        except Exception as exc:  # a handler bug fails the step, not the engine
            log.exception("step %s of run %s failed", name, run.id)
            result = StepResult(status="failed", error=f"{type(exc).__name__}: {exc}")
        if row is None:
            row = PlaybookStep(
                run_id=run.id,
                step_index=index,
                name=name,
                action=step.action,
                attempt=attempt,
                inputs=inputs,
                started_at=now,
                status=StepStatus.RUNNING.value,
            )
            session.add(row)
        row.outputs, row.error, row.approved_by = result.outputs, result.error, result.approved_by
        steps = dict(run.context.get("steps") or {})
        steps[name] = result.outputs
        run.context = {**run.context, "steps": steps}
        run.updated_at = now
        if result.status == "waiting":
            row.status = StepStatus.WAITING.value
            run.status, run.wake_at = RunStatus.WAITING.value, result.wake_at
            return False
        if result.status == "retry" and attempt < self.settings.playbooks.retry_attempts:
            row.status, row.finished_at = StepStatus.FAILED.value, now
            delay = self.settings.playbooks.retry_backoff_s * 2 ** (attempt - 1)
            run.status, run.wake_at = RunStatus.WAITING.value, now + dt.timedelta(seconds=delay)
            run.error = f"{name}: {result.error} (try {attempt} of {self.settings.playbooks.retry_attempts})"
            return False
        row.finished_at = now
        if result.status in ("failed", "retry"):
            row.status = StepStatus.FAILED.value
            run.error = f"{name}: {result.error}"
            self._finish(session, run, RunStatus.FAILED)
            return False
        row.status = StepStatus.SKIPPED.value if result.status == "skipped" else StepStatus.SUCCEEDED.value
        run.step_index, run.wake_at, run.error = index + 1, None, None
        if result.cancel:
            self._finish(session, run, RunStatus.CANCELLED)
            return False
        run.status = RunStatus.RUNNING.value
        return True

    def _finish(self, session: Any, run: PlaybookRun, status: RunStatus) -> None:
        run.status, run.wake_at, run.updated_at = status.value, None, self.clock()
        append_audit(
            session,
            actor=f"playbook:{run.playbook_id}",
            action="playbook.finish",
            target=str(run.id),
            outcome="success" if status == RunStatus.SUCCEEDED else "failure",
            detail={"status": status.value, "error": run.error},
            now=run.updated_at,
        )

    # -- timers ------------------------------------------------------------------------------

    def _timer(self, kind: str, args: tuple[Any, ...]) -> None:
        if kind == "escalation":
            self._escalate(int(args[0]), int(args[1]))
        elif kind == "block_expiry":
            self._expire_blocks(only=int(args[0]))
        elif kind == "report_deadline":
            self._report_deadline(int(args[0]))

    def _escalate(self, run_id: int, step_index: int) -> None:
        now = self.clock()
        with self.state.session() as session:
            run = session.get(PlaybookRun, run_id)
            playbook = self.playbooks.get(run.playbook_id) if run is not None else None
            if run is None or playbook is None or step_index >= len(playbook.steps):
                return
            step = playbook.steps[step_index]
            if not isinstance(step, EscalateAfterStep):
                return
            name = playbook.step_name(step_index)
            outputs = dict((run.context.get("steps") or {}).get(name) or {})
            if outputs.get("fired"):
                return
            alert_id = (run.context.get("alert") or {}).get("id")
            status = session.scalar(select(AlertRecord.status).where(AlertRecord.id == str(alert_id)))
            if status is not None and status != AlertStatus.NEW:
                outputs.update(fired=True, escalated=False, reason=f"alert is {status}")
            else:
                ctx = StepContext(
                    session=session,
                    run=run,
                    playbook_id=playbook.id,
                    step_index=step_index,
                    step_name=name,
                    attempt=1,
                    now=now,
                    settings=self.settings,
                    channels=self.channels,
                    responders=self.responders,
                    timers=self.timers,
                )
                message = alert_message(ctx, escalation=True)
                if step.recipients:
                    message = message.model_copy(update={"recipients": step.recipients})
                result = deliver(
                    ctx,
                    channels=step.channels,
                    message=message,
                    done=outputs.get("delivered") or {},
                    action="notify",
                )
                outputs.update(result.outputs, fired=True, escalated=True)
            steps = dict(run.context.get("steps") or {})
            steps[name] = outputs
            run.context = {**run.context, "steps": steps}
            run.updated_at = now

    def _report_deadline(self, report_id: int) -> None:
        now = self.clock()
        with self.state.session() as session:
            record = session.get(ReportRecord, report_id)
            if record is None or record.status != ReportStatus.DRAFT or record.deadline_at > now:
                return
            append_audit(
                session,
                actor="playbook:timers",
                action="report.overdue",
                target=str(report_id),
                outcome="failure",
                detail={"deadline_at": record.deadline_at.isoformat(), "unit": record.unit},
                now=now,
            )

    # -- blocks ------------------------------------------------------------------------------

    def _expire_blocks(self, only: int | None = None) -> int:
        now = self.clock()
        with self.state.session(readonly=True) as session:
            query = select(BlockRecord.id).where(
                BlockRecord.status.in_([BlockStatus.ACTIVE, BlockStatus.DRY_RUN]),
                BlockRecord.expires_at <= now,
            )
            if only is not None:
                query = query.where(BlockRecord.id == only)
            due = list(session.scalars(query))
        for block_id in due:
            self._lift(block_id, status=BlockStatus.EXPIRED, actor="playbook:ttl", roles=(), source_ip=None)
        return len(due)

    def _lift(
        self, block_id: int, *, status: BlockStatus, actor: str, roles: Iterable[str], source_ip: str | None
    ) -> BlockRecord:
        now = self.clock()
        with self.state.session() as session:
            record = session.get(BlockRecord, block_id)
            if record is None:
                raise PlaybookError(f"no block {block_id}")
            if record.status not in (BlockStatus.ACTIVE, BlockStatus.DRY_RUN):
                raise PlaybookError(f"block {block_id} is {record.status}, not active")
            responder = self.responders.get(record.responder)
            error = None
            if responder is None:
                error = f"responder {record.responder!r} is no longer configured"
            elif not record.dry_run:
                try:
                    responder.unblock(record.handle)
                except ResponderError as exc:
                    error = exc.message
            if error is not None:
                record.error = error
                append_audit(
                    session,
                    actor=actor,
                    actor_roles=list(roles),
                    action="response.unblock",
                    target=record.address,
                    outcome="failure",
                    detail={"block": block_id, "error": error},
                    source_ip=source_ip,
                    now=now,
                )
                return record
            record.status, record.lifted_at = status.value, now
            append_audit(
                session,
                actor=actor,
                actor_roles=list(roles),
                action="response.unblock",
                target=record.address,
                detail={"block": block_id, "reason": status.value, "responder": record.responder},
                source_ip=source_ip,
                now=now,
            )
            session.flush()
            session.expunge(record)
            return record

    def lift_block(
        self, block_id: int, *, actor: str, roles: Iterable[str], source_ip: str | None
    ) -> BlockRecord:
        """Lift a block by hand (audited)."""
        with self._lock:
            return self._lift(
                block_id, status=BlockStatus.REMOVED, actor=actor, roles=roles, source_ip=source_ip
            )

    # -- approvals ---------------------------------------------------------------------------

    def decide(
        self,
        approval_id: int,
        *,
        approve: bool,
        actor: str,
        roles: Iterable[str],
        source_ip: str | None,
        reason: str | None = None,
    ) -> Approval:
        """Approve or reject a pending approval (audited); the run continues on the next pass."""
        now = self.clock()
        with self.state.session() as session:
            row = session.get(Approval, approval_id)
            if row is None:
                raise PlaybookError(f"no approval {approval_id}")
            if row.status != ApprovalStatus.PENDING:
                raise PlaybookError(f"approval {approval_id} is already {row.status}")
            row.status = (ApprovalStatus.APPROVED if approve else ApprovalStatus.REJECTED).value
            row.decided_by, row.decided_at, row.reason = actor, now, reason
            run = session.get(PlaybookRun, row.run_id)
            if run is not None and run.status == RunStatus.WAITING:
                run.wake_at = now
            append_audit(
                session,
                actor=actor,
                actor_roles=list(roles),
                action="playbook.approve" if approve else "playbook.reject",
                target=str(approval_id),
                detail={"run": row.run_id, "summary": row.summary, "reason": reason},
                source_ip=source_ip,
                now=now,
            )
            session.flush()
            session.expunge(row)
        self._wake.set()
        return row


def matches_alert(
    playbook: Playbook, alert: Mapping[str, Any], *, zones: set[str], criticalities: list[Criticality]
) -> bool:
    """Whether ``alert`` meets every condition of the playbook's trigger."""
    trigger = playbook.trigger
    if trigger.on != "alert":
        return False
    floor = trigger.min_severity
    if floor is not None and int(alert.get("severity") or 0) < floor:
        return False
    tags = {str(t).lower() for t in alert.get("tags") or ()}
    if trigger.tags_any and not tags & {t.lower() for t in trigger.tags_any}:
        return False
    if trigger.rules and str(alert.get("rule_id")) not in trigger.rules:
        return False
    if trigger.categories and alert.get("gb20986_category") not in trigger.categories:
        return False
    if trigger.zones and not zones & set(trigger.zones):
        return False
    if trigger.criticality_at_least is not None:
        floor_rank = _CRITICALITY_ORDER[trigger.criticality_at_least]
        if not any(_CRITICALITY_ORDER[c] >= floor_rank for c in criticalities):
            return False
    return True
