"""Writing the operation log on behalf of an API caller, and reading it back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from soc_api.auth.deps import Principal
from soc_core.audit import append_audit
from soc_core.state.models import AuditEntry, utc


def record(
    session: Session,
    *,
    principal: Principal,
    action: str,
    target: str | None = None,
    before: Any = None,
    after: Any = None,
    detail: Any = None,
    outcome: str = "success",
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append an entry naming the caller (who, roles, from where) and mark the request audited."""
    entry = append_audit(
        session,
        actor=principal.username,
        actor_roles=principal.role_names,
        action=action,
        target=target,
        before=before,
        after=after,
        detail=detail,
        outcome=outcome,
        source_ip=principal.source_ip,
        now=now,
    )
    principal.audited = True
    return entry


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the operation-log view narrows to."""

    actor: str | None = None
    action: str | None = None
    outcome: str | None = None
    start: dt.datetime | None = None
    end: dt.datetime | None = None


def search_audit(
    session: Session, *, filters: AuditFilter, limit: int, offset: int
) -> tuple[int, list[AuditEntry]]:
    """Entries matching ``filters``, newest first, and how many match in all."""
    query = select(AuditEntry)
    if filters.actor:
        query = query.where(AuditEntry.actor == filters.actor)
    if filters.action:
        # ``user.`` finds every account action; a full name finds exactly that one.
        if filters.action.endswith("."):
            query = query.where(AuditEntry.action.startswith(filters.action))
        else:
            query = query.where(AuditEntry.action == filters.action)
    if filters.outcome:
        query = query.where(AuditEntry.outcome == filters.outcome)
    if filters.start is not None:
        query = query.where(AuditEntry.ts >= utc(filters.start))
    if filters.end is not None:
        query = query.where(AuditEntry.ts < utc(filters.end))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(AuditEntry.seq.desc()).limit(limit).offset(offset))
    return int(total), list(rows)
