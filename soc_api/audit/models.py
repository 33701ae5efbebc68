"""Response bodies of the operation-log routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel

from soc_core.state.models import AuditEntry


class AuditEntryOut(BaseModel):
    """One operation-log entry."""

    seq: int
    ts: dt.datetime
    actor: str
    actor_roles: list[str]
    source_ip: str | None
    action: str
    target: str | None
    outcome: str
    detail: Any = None
    before: Any = None
    after: Any = None
    hash: str

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        """The entry as the API shows it."""
        return cls(
            seq=entry.seq,
            ts=entry.ts,
            actor=entry.actor,
            actor_roles=entry.roles,
            source_ip=entry.source_ip,
            action=entry.action,
            target=entry.target,
            outcome=entry.outcome,
            detail=entry.detail_value,
            before=entry.before_value,
            after=entry.after_value,
            hash=entry.hash,
        )


class AuditPage(BaseModel):
    """A page of entries, newest first."""

    total: int
    items: list[AuditEntryOut]


class ChainVerification(BaseModel):
    """Whether the hash chain holds; where and why it breaks when not."""

    ok: bool
    entries: int
    first_bad_seq: int | None
    reason: str | None
    head_seq: int
    head_hash: str
