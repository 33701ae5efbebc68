"""Evaluate the catalogue on live data and gather the records an evidence pack carries."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from compliance.catalogue import load_catalogue
from compliance.facts import Facts, collect_facts
from compliance.measures import MEASURES
from compliance.models import MANUAL, CatalogueItem, ComplianceReport, Finding, ItemResult
from soc_core.config import Settings
from soc_core.state.db import StateStore
from soc_core.state.models import AlertRecord, AuditEntry, IncidentRecord, RuleHealth
from soc_core.storage.base import EventStore
from soc_core.vocabulary import ComplianceStatus

PLATFORM = "哨望 Shaowang"
MAX_ALERTS = 5_000
MAX_OPLOG = 20_000
# Worst first: what the gap view and the report put at the top.
STATUS_ORDER = {
    ComplianceStatus.NON_COMPLIANT: 0,
    ComplianceStatus.PARTIAL: 1,
    ComplianceStatus.UNDETERMINED: 2,
    ComplianceStatus.COMPLIANT: 3,
}


def catalogue() -> list[CatalogueItem]:
    """The shipped catalogue, checked against the measures that exist."""
    return load_catalogue(measures=MEASURES)


def judge(item: CatalogueItem, facts: Facts) -> ItemResult:
    """One item's verdict on ``facts``."""
    if item.measure == MANUAL:
        finding = Finding(
            status=ComplianceStatus.UNDETERMINED,
            summary=f"平台数据无法单独证明，需人工核查：{item.evidenced_by}。",
        )
    else:
        finding = MEASURES[item.measure](facts)
    return ItemResult(
        clause=item.clause,
        item=item.item,
        control=item.control,
        text=item.text,
        evidenced_by=item.evidenced_by,
        method=item.method,
        measure=item.measure,
        high_risk=item.high_risk,
        high_risk_note=item.high_risk_note,
        status=finding.status,
        status_zh=finding.status.label_zh,
        summary=finding.summary,
        evidence=finding.numbers,
        links=list(item.links),
    )


def evaluate(items: Sequence[CatalogueItem], facts: Facts) -> list[ItemResult]:
    """Every item's verdict, in catalogue order."""
    return [judge(item, facts) for item in items]


def gap_order(results: Sequence[ItemResult]) -> list[ItemResult]:
    """High-risk items first, then the worst verdicts, then clause order."""
    return sorted(
        results,
        key=lambda r: (not r.high_risk, STATUS_ORDER[r.status], _clause_key(r.clause), r.item),
    )


def _clause_key(clause: str) -> tuple[int, ...]:
    return tuple(int(part) for part in clause.split("."))


def totals(results: Sequence[ItemResult]) -> dict[str, int]:
    """How many items have each verdict (every verdict listed, zeros included)."""
    counts = Counter(r.status for r in results)
    return {status.value: counts.get(status, 0) for status in ComplianceStatus}


def build_report(
    *,
    events: EventStore,
    state: StateStore,
    settings: Settings,
    start: dt.datetime,
    end: dt.datetime,
    role_matrix: Mapping[str, Sequence[str]],
    generated_at: dt.datetime | None = None,
) -> ComplianceReport:
    """The whole report for ``[start, end)``; ``role_matrix`` is permission → roles (the API's policy)."""
    facts = collect_facts(events=events, state=state, settings=settings, start=start, end=end)
    results = evaluate(catalogue(), facts)
    with state.session(readonly=True) as session:
        oplog, truncated = _operation_log(session, start=start, end=end)
        records = {
            "rules": _rules(session),
            "alerts": _alerts(session, start=start, end=end),
            "incidents": _incidents(session, start=start, end=end),
        }
    return ComplianceReport(
        generated_at=generated_at or dt.datetime.now(dt.UTC),
        period_start=start,
        period_end=end,
        platform=PLATFORM if not settings.compliance.unit else f"{PLATFORM} · {settings.compliance.unit}",
        items=results,
        totals=totals(results),
        sources=facts.sources,
        retention_days_policy=facts.retention_days_policy,
        retention=facts.retention,
        samples=_samples(events),
        role_matrix={k: sorted(v) for k, v in role_matrix.items()},
        role_holders=facts.holders,
        operation_log=oplog,
        operation_log_truncated=truncated,
        checks={
            "store": {
                "ok": facts.store_ok,
                "partitions": facts.store_partitions,
                "problems": facts.store_problems,
            },
            "operation_log": {
                "ok": facts.oplog.chain_ok,
                "entries": facts.oplog.chain_entries,
                "reason": facts.oplog.chain_reason,
            },
        },
        **records,
    )


def _samples(events: EventStore) -> list[dict[str, Any]]:
    """The newest stored event of each dataset (sample records per device type)."""
    samples: list[dict[str, Any]] = []
    for dataset, _count in events.terms("event.dataset", size=1000):
        docs = events.search(f'event.dataset:"{dataset}"', limit=1, order="desc")
        if docs:
            samples.append(docs[0])
    return samples


def _rules(session: Session) -> list[dict[str, Any]]:
    return [
        {
            "rule_id": r.rule_id,
            "title": r.title,
            "kind": r.kind,
            "level": r.level,
            "state": r.state,
            "reason": r.reason,
            "matches": r.matches,
            "last_fired": r.last_fired,
            "path": r.path,
        }
        for r in session.scalars(select(RuleHealth).order_by(RuleHealth.state, RuleHealth.rule_id))
    ]


def _alerts(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    rows = session.scalars(
        select(AlertRecord)
        .where(AlertRecord.timestamp >= start, AlertRecord.timestamp < end)
        .order_by(AlertRecord.timestamp.desc())
        .limit(MAX_ALERTS)
    )
    return [
        {
            "id": a.id,
            "timestamp": a.timestamp,
            "rule_id": a.rule_id,
            "rule_name": a.rule_name,
            "severity": a.severity,
            "status": a.status,
            "count": a.count,
            "source_ip": a.source_ip,
            "destination_ip": a.destination_ip,
            "attack_type": a.attack_type,
            "assignee": a.assignee,
            "disposition": a.disposition,
        }
        for a in rows
    ]


def _incidents(session: Session, *, start: dt.datetime, end: dt.datetime) -> list[dict[str, Any]]:
    """Incidents open at some point in the period."""
    rows = session.scalars(
        select(IncidentRecord)
        .where(
            IncidentRecord.created_at < end,
            or_(IncidentRecord.closed_at.is_(None), IncidentRecord.closed_at >= start),
        )
        .order_by(IncidentRecord.id)
    )
    return [
        {
            "id": i.id,
            "title": i.title,
            "category": i.category,
            "level": i.level,
            "status": i.status,
            "owner": i.owner,
            "created_at": i.created_at,
            "closed_at": i.closed_at,
            "cause_analysis": i.cause_analysis,
            "handling_record": i.handling_record,
            "lessons_learned": i.lessons_learned,
            "evidence_count": len(i.evidence),
        }
        for i in rows
    ]


def _operation_log(
    session: Session, *, start: dt.datetime, end: dt.datetime
) -> tuple[list[dict[str, Any]], bool]:
    rows = list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.ts >= start, AuditEntry.ts < end)
            .order_by(AuditEntry.seq)
            .limit(MAX_OPLOG + 1)
        )
    )
    entries = [
        {
            "seq": e.seq,
            "ts": e.ts,
            "actor": e.actor,
            "actor_roles": e.actor_roles,
            "source_ip": e.source_ip,
            "action": e.action,
            "target": e.target,
            "outcome": e.outcome,
            "detail": e.detail,
            "hash": e.hash,
        }
        for e in rows[:MAX_OPLOG]
    ]
    return entries, len(rows) > MAX_OPLOG
