"""Alerts, rule health and saved detection state in the StateStore.

Functions take the SQLAlchemy session explicitly and never commit it. Detection calls
:func:`save_alerts` with every alert it raised or updated; triage owns ``status``,
``assignee`` and ``disposition`` once a row exists, so a later update from detection (a
deduplicated alert counting more matches) never undoes an analyst's work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

import msgspec
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from soc_core.alerts import Alert
from soc_core.errors import ShaowangError
from soc_core.state.models import AlertRecord, DetectionState, RuleHealth, utc, utcnow
from soc_core.vocabulary import AlertStatus, Disposition, RuleState

DEFAULT_LIST_LIMIT = 100
MAX_LIST_LIMIT = 10_000


class AlertStoreError(ShaowangError, ValueError):
    """An alert or rule health row could not be stored as given."""


# -- alerts --------------------------------------------------------------------------------


def _payload(alert: Alert) -> dict[str, Any]:
    doc: dict[str, Any] = msgspec.to_builtins(alert)
    return doc


def record_to_alert(record: AlertRecord) -> Alert:
    """The ``Alert`` a row holds, with triage's status, assignee and disposition."""
    alert = msgspec.convert(record.payload, Alert, strict=False)
    alert.status = AlertStatus(record.status)
    alert.assignee = record.assignee
    alert.disposition = None if record.disposition is None else Disposition(record.disposition)
    return alert


def alerts_recorded_since(
    session: Session, *, since: dt.datetime, limit: int = 500
) -> list[tuple[dt.datetime, Alert]]:
    """(recorded at, alert) for alerts first recorded at or after ``since``, oldest first."""
    rows = session.scalars(
        select(AlertRecord)
        .where(AlertRecord.created_at >= utc(since))
        .order_by(AlertRecord.created_at, AlertRecord.id)
        .limit(limit)
    )
    return [(utc(row.created_at), record_to_alert(row)) for row in rows]


def _detection_columns(alert: Alert) -> dict[str, Any]:
    first = utc(alert.timestamp)
    return {
        "rule_id": alert.rule_id,
        "rule_name": alert.rule_name,
        "severity": int(alert.severity),
        "timestamp": first,
        "last_seen": utc(alert.last_seen) if alert.last_seen is not None else first,
        "count": alert.count,
        "group_key": alert.group_key,
        "source_ip": alert.source_ip,
        "destination_ip": alert.destination_ip,
        "target": alert.target,
        "attack_type": alert.attack_type,
        "gb20986": alert.gb20986_category,
        "tags": list(alert.tags),
        "event_ids": list(alert.event_ids),
    }


def save_alerts(session: Session, *, alerts: Iterable[Alert], now: dt.datetime | None = None) -> int:
    """Insert new alerts and update known ones (by id); returns how many rows were written.

    An update refreshes what detection knows (count, last seen, event ids, payload …) and
    keeps the row's status, assignee and disposition.
    """
    batch: dict[str, Alert] = {}
    for alert in alerts:
        batch[alert.id] = alert  # the last state of an alert offered twice wins
    if not batch:
        return 0
    stamp = utc(now) if now is not None else utcnow()
    existing = {
        row.id: row for row in session.scalars(select(AlertRecord).where(AlertRecord.id.in_(list(batch))))
    }
    for alert_id, alert in batch.items():
        columns = _detection_columns(alert)
        row = existing.get(alert_id)
        if row is None:
            session.add(
                AlertRecord(
                    id=alert_id,
                    status=str(alert.status),
                    assignee=alert.assignee,
                    disposition=None if alert.disposition is None else str(alert.disposition),
                    payload=_payload(alert),
                    created_at=stamp,
                    updated_at=stamp,
                    **columns,
                )
            )
            continue
        for name, value in columns.items():
            setattr(row, name, value)
        payload = _payload(alert)
        payload["status"] = row.status
        for name in ("assignee", "disposition"):
            value = getattr(row, name)
            if value is None:
                payload.pop(name, None)
            else:
                payload[name] = value
        row.payload = payload
        row.updated_at = stamp
    session.flush()
    return len(batch)


def get_alert(session: Session, *, alert_id: str) -> AlertRecord | None:
    """The alert row with this id, if any."""
    return session.get(AlertRecord, alert_id)


def list_alerts(
    session: Session,
    *,
    status: AlertStatus | str | None = None,
    rule_id: str | None = None,
    since: dt.datetime | None = None,
    limit: int = DEFAULT_LIST_LIMIT,
) -> list[AlertRecord]:
    """Alerts, most recently seen first; ``since`` keeps those seen (last) at or after it."""
    if not 0 < limit <= MAX_LIST_LIMIT:
        raise AlertStoreError(f"limit must be between 1 and {MAX_LIST_LIMIT}, got {limit}")
    query = select(AlertRecord)
    if status is not None:
        query = query.where(AlertRecord.status == str(AlertStatus(status)))
    if rule_id is not None:
        query = query.where(AlertRecord.rule_id == rule_id)
    if since is not None:
        query = query.where(AlertRecord.last_seen >= utc(since))
    query = query.order_by(AlertRecord.last_seen.desc(), AlertRecord.id).limit(limit)
    return list(session.scalars(query))


# -- rule health ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RuleHealthEntry:
    """One rule's health as the engine reports it (counters since the engine started)."""

    rule_id: str
    state: RuleState | str
    path: str | None = None
    title: str | None = None
    reason: str | None = None
    kind: str = "detection"  # or "correlation"
    level: str | None = None
    matches: int = 0
    last_fired: dt.datetime | None = None
    cost_ns_total: int = 0
    evaluations: int = 0


def record_rule_health(
    session: Session,
    *,
    rows: Iterable[RuleHealthEntry | Mapping[str, Any]],
    now: dt.datetime | None = None,
    prune: bool = False,
) -> int:
    """Insert or replace the health rows of these rules; with ``prune``, drop every other rule's.

    Returns how many rows were written.
    """
    entries: dict[str, RuleHealthEntry] = {}
    for given in rows:
        entry = given if isinstance(given, RuleHealthEntry) else _entry(given)
        try:
            state = RuleState(entry.state)
        except ValueError as exc:
            raise AlertStoreError(f"unknown rule state {entry.state!r}", where=entry.rule_id) from exc
        entries[entry.rule_id] = replace(entry, state=state)
    stamp = utc(now) if now is not None else utcnow()
    if prune:
        stale = delete(RuleHealth)
        if entries:
            stale = stale.where(RuleHealth.rule_id.not_in(list(entries)))
        session.execute(stale)
    if not entries:
        session.flush()
        return 0
    existing = {
        health.rule_id: health
        for health in session.scalars(select(RuleHealth).where(RuleHealth.rule_id.in_(list(entries))))
    }
    for rule_id, entry in entries.items():
        row = existing.get(rule_id)
        if row is None:
            row = RuleHealth(rule_id=rule_id)
            session.add(row)
        row.path = entry.path
        row.title = entry.title
        row.state = str(entry.state)
        row.reason = entry.reason
        row.kind = entry.kind
        row.level = entry.level
        row.matches = entry.matches
        row.last_fired = None if entry.last_fired is None else utc(entry.last_fired)
        row.cost_ns_total = entry.cost_ns_total
        row.evaluations = entry.evaluations
        row.updated_at = stamp
    session.flush()
    return len(entries)


def _entry(row: Mapping[str, Any]) -> RuleHealthEntry:
    try:
        return RuleHealthEntry(**row)
    except TypeError as exc:
        raise AlertStoreError(f"not a rule health row: {exc}", where=str(row.get("rule_id"))) from exc


def list_rule_health(session: Session, *, state: RuleState | str | None = None) -> list[RuleHealth]:
    """Every rule's health (failed first, then unrouted, then loaded; by rule id within)."""
    query = select(RuleHealth)
    if state is not None:
        query = query.where(RuleHealth.state == str(RuleState(state)))
    order = {RuleState.FAILED: 0, RuleState.UNROUTED: 1, RuleState.LOADED: 2}
    rows = list(session.scalars(query))
    return sorted(rows, key=lambda r: (order.get(RuleState(r.state), 3), r.rule_id))


# -- detection state -----------------------------------------------------------------------


HUNTS_STATE = "hunts"
"""The detection_state row of scheduled hunts: each schedule's watermark and last run (JSON)."""


def save_detection_state(
    session: Session, *, name: str, payload: bytes, now: dt.datetime | None = None
) -> None:
    """Store (or replace) the named state blob."""
    if not name or len(name) > 128:
        raise AlertStoreError(f"detection state name must be 1-128 characters, got {name!r}")
    stamp = utc(now) if now is not None else utcnow()
    row = session.get(DetectionState, name)
    if row is None:
        session.add(DetectionState(name=name, payload=bytes(payload), updated_at=stamp))
    else:
        row.payload = bytes(payload)
        row.updated_at = stamp
    session.flush()


def load_detection_state(session: Session, *, name: str) -> bytes | None:
    """The named state blob, or None when none was saved."""
    row = session.get(DetectionState, name)
    return None if row is None else bytes(row.payload)
