"""Scheduled hunts in ``soc run``: Sigma rules over stored events, on a timer.

Each ``[[detection.hunts]]`` schedule names rule files and an interval. Schedules with the same
interval form one APScheduler job, and one run of that job reads each time window of the store
once for all their rules (:func:`detectors.hunts.hunt`) — never one job or one read per rule.
A run covers the time since the schedule's previous run (its watermark, kept in the state
store, so a restart neither repeats nor skips a span), up to ``delay_s`` before now so late
events are in, and at most ``catch_up_s`` back after a long pause. Matches become alerts like
the stream's: deduplicated, recorded in the state store and mirrored into the event store.
Correlation rules run in the stream only; a hunt schedule's correlation rules are reported
and skipped.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import msgspec
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger

from detectors.alerting import AlertDeduper, Decision, RuleMeta, build_alert, rule_meta
from detectors.hunts import hunt
from detectors.sigma.rules import CompiledRule, load_rules
from soc_core.config import DetectionSettings, HuntSchedule
from soc_core.detection import Outcome
from soc_core.events import Event, utc
from soc_core.state.alerts import HUNTS_STATE, load_detection_state, save_detection_state
from soc_core.state.db import StateStore
from soc_core.storage.base import EventStore

log = logging.getLogger(__name__)


class HuntStatus(msgspec.Struct, kw_only=True):
    """Where a schedule stands: what it has covered and what its last run did."""

    watermark: dt.datetime | None = None  # events before this have been hunted
    last_run: dt.datetime | None = None
    scanned: int = 0
    windows: int = 0
    matches: int = 0
    alerts: int = 0
    error: str | None = None


@dataclass(slots=True)
class _Schedule:
    config: HuntSchedule
    rules: list[CompiledRule]
    metas: dict[str, RuleMeta]
    status: HuntStatus = field(default_factory=HuntStatus)


class HuntService:
    """The hunt schedules of one node, their state and their APScheduler jobs."""

    def __init__(
        self,
        settings: DetectionSettings,
        *,
        store: EventStore,
        state: StateStore,
        on_alerts: Callable[[Outcome], None],
    ) -> None:
        self.settings = settings
        self.store = store
        self.state = state
        self.on_alerts = on_alerts
        self.deduper = (
            AlertDeduper(window=dt.timedelta(seconds=settings.dedup_window_s))
            if settings.dedup_window_s > 0
            else None
        )
        self.schedules: dict[str, _Schedule] = {}
        for config in settings.hunts:
            ruleset = load_rules(config.rules, placeholders=settings.placeholders)
            for failure in ruleset.failed:
                log.warning("hunt %s: rule refused: %s: %s", config.name, failure.path, failure.reason)
            for _rule, path in ruleset.correlations:
                log.warning("hunt %s: %s: correlation rules run in the stream only", config.name, path)
            metas = {r.id: rule_meta(r.rule, path=r.path) for r in ruleset.rules}
            self.schedules[config.name] = _Schedule(config, list(ruleset.rules), metas)
        self._load_status()

    # -- state --------------------------------------------------------------------------------

    def _load_status(self) -> None:
        with self.state.session() as session:
            saved = load_detection_state(session, name=HUNTS_STATE)
        if saved is None:
            return
        try:
            statuses = msgspec.json.decode(saved, type=dict[str, HuntStatus])
        except msgspec.DecodeError:
            log.exception("saved hunt state is damaged; every schedule starts afresh")
            return
        for name, status in statuses.items():
            if name in self.schedules:
                self.schedules[name].status = status

    def _save_status(self) -> None:
        payload = msgspec.json.encode({name: s.status for name, s in self.schedules.items()})
        with self.state.session() as session:
            save_detection_state(session, name=HUNTS_STATE, payload=payload)

    def statuses(self) -> dict[str, HuntStatus]:
        return {name: schedule.status for name, schedule in self.schedules.items()}

    # -- running ------------------------------------------------------------------------------

    def groups(self) -> dict[int, list[str]]:
        """Schedule names by interval: one job each."""
        out: dict[int, list[str]] = {}
        for name, schedule in self.schedules.items():
            out.setdefault(schedule.config.every_s, []).append(name)
        return out

    def run(self, names: list[str], *, now: dt.datetime | None = None) -> Outcome:
        """One run of the schedules ``names`` (one read of each window for all their rules)."""
        now = utc(now) if now is not None else dt.datetime.now(dt.UTC)
        due = [self.schedules[name] for name in names if self.schedules[name].rules]
        spans: dict[str, tuple[dt.datetime, dt.datetime]] = {}
        for schedule in due:
            config = schedule.config
            end = now - dt.timedelta(seconds=config.delay_s)
            start = schedule.status.watermark or end - dt.timedelta(seconds=config.every_s)
            start = max(utc(start), end - dt.timedelta(seconds=config.catch_up_s))
            if start < end:
                spans[config.name] = (start, end)
        outcome = Outcome()
        if not spans:
            return outcome
        owner: dict[str, list[_Schedule]] = {}  # rule id → schedules that hunt with it
        rules: list[CompiledRule] = []
        for schedule in due:
            if schedule.config.name in spans:
                for rule in schedule.rules:
                    if rule.id not in owner:
                        rules.append(rule)
                    owner.setdefault(rule.id, []).append(schedule)
        counts = {name: [0, 0] for name in spans}  # matches, alerts

        def on_match(rule: CompiledRule, event: Event) -> bool:
            counted = False
            at = utc(event.timestamp)
            for schedule in owner[rule.id]:
                start, end = spans[schedule.config.name]
                if not start <= at < end:
                    continue  # this schedule hunted that span already (or will next time)
                counted = True
                counts[schedule.config.name][0] += 1
                if self._raise(schedule.metas[rule.id], event, outcome):
                    counts[schedule.config.name][1] += 1
            return counted

        first = min(start for start, _ in spans.values())
        last = max(end for _, end in spans.values())
        error = None
        result = None
        try:
            result = hunt(
                rules=rules,
                store=self.store,
                start=first,
                end=last,
                timezone=self.settings.timezone,
                limit=10**12,
                on_match=on_match,
            )
        except Exception as exc:  # reported in the schedule's status; the next run tries again
            log.exception("hunt run failed (%s)", ", ".join(spans))
            error = f"{type(exc).__name__}: {exc}"
        for name, (_, end) in spans.items():
            status = self.schedules[name].status
            status.last_run = now
            status.error = error
            if result is not None:
                status.watermark = end
                status.scanned, status.windows = result.scanned, result.windows
                status.matches, status.alerts = counts[name]
        if outcome.new or outcome.updated:
            self.on_alerts(outcome)
        self._save_status()
        return outcome

    def _raise(self, meta: RuleMeta, event: Event, outcome: Outcome) -> bool:
        alert = build_alert(rule=meta, events=[event])
        if self.deduper is None:
            outcome.new.append(alert)
            return True
        decision, standing = self.deduper.offer(alert, rule=meta, events=[event])
        if decision is Decision.NEW:
            outcome.new.append(standing)
        elif decision is Decision.UPDATED and all(a is not standing for a in outcome.new + outcome.updated):
            outcome.updated.append(standing)
        return decision is Decision.NEW

    # -- scheduling ---------------------------------------------------------------------------

    def schedule(
        self, scheduler: AsyncIOScheduler, *, now: dt.datetime | None = None, settle_s: float = 5.0
    ) -> list[str]:
        """One job per interval on ``scheduler``; returns the job ids.

        The first run keeps the cadence of the saved state: at once (after ``settle_s``, so
        start-up finishes) when a schedule of the job is due or has never run, else when the
        earliest of them falls due.
        """
        now = utc(now) if now is not None else dt.datetime.now(dt.UTC)
        ids: list[str] = []
        for every_s, names in sorted(self.groups().items()):
            job_id = f"hunts-every-{every_s}s"
            due = []
            for name in names:
                last = self.schedules[name].status.last_run
                due.append(now if last is None else utc(last) + dt.timedelta(seconds=every_s))
            first = max(min(due), now + dt.timedelta(seconds=settle_s))
            scheduler.add_job(
                self._job,
                IntervalTrigger(seconds=every_s),
                args=[names],
                id=job_id,
                name=f"hunts every {every_s}s: {', '.join(names)}",
                max_instances=1,
                coalesce=True,
                misfire_grace_time=every_s,
                next_run_time=first,
                replace_existing=True,
            )
            ids.append(job_id)
        return ids

    async def _job(self, names: list[str]) -> None:
        await asyncio.to_thread(self.run, names)


def hunt_summary(statuses: dict[str, HuntStatus]) -> dict[str, Any]:
    """The statuses as plain JSON-ready values."""
    return {name: msgspec.to_builtins(status) for name, status in statuses.items()}
