"""The hash-chained operation log (操作日志, dataset ``shaowang.audit``) on the StateStore.

Each entry's ``hash`` is SHA-256 over a canonical JSON of its content and the previous entry's
hash (genesis: 64 zeros), so editing, removing or reordering entries is detectable by
:func:`verify_audit_chain`. There is deliberately no update or delete function; the database
rejects ``UPDATE``/``DELETE`` on ``audit_log`` with triggers, and the ORM refuses to flush one.

Appends are serialised so the chain never forks: PostgreSQL takes the ``audit_log`` lock row
``FOR UPDATE``; SQLite write transactions start with ``BEGIN IMMEDIATE`` (see ``state.db``).
Truncating the tail cannot be seen from inside the log: keep ``head_seq``/``head_hash`` of a
verification somewhere else (evidence pack, manifest) and pass them back as the anchor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import ipaddress
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from pathlib import PurePath
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from soc_core.state.db import READONLY_KEY, ReadOnlySessionError
from soc_core.state.models import AUDIT_LOCK, AuditEntry, StateLock, utc, utcnow
from soc_core.vocabulary import AUDIT_DATASET, EventCategory, EventKind, EventOutcome, EventType

GENESIS_HASH = "0" * 64
MAX_ACTION_LENGTH = 64
IAM_ACTION_PREFIXES = frozenset({"user", "role", "session", "auth", "login", "logout", "password"})
_INFO_VERBS = ("login", "logout", "lockout", "view", "read", "export", "verify", "search")
_CREATE_VERBS = ("create", "add", "grant")
_DELETE_VERBS = ("delete", "remove", "revoke", "drop")

__all__ = [
    "GENESIS_HASH",
    "AuditEntry",
    "AuditImmutableError",
    "AuditVerification",
    "append_audit",
    "canonical_json",
    "compute_entry_hash",
    "list_audit",
    "to_ecs",
    "verify_audit_chain",
]


class AuditImmutableError(RuntimeError):
    """Something tried to change or remove an operation-log entry."""


@dataclass(frozen=True, slots=True)
class AuditVerification:
    """Result of :func:`verify_audit_chain`.

    ``entries`` counts the entries that verified (all of them when ``ok``); ``first_bad_seq``
    and ``reason`` say where and why verification stopped. ``head_seq``/``head_hash`` are the
    last good entry (an anchor to keep elsewhere).
    """

    ok: bool
    entries: int
    first_bad_seq: int | None = None
    reason: str | None = None
    head_seq: int = 0
    head_hash: str = GENESIS_HASH


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return utc(value).isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, uuid.UUID | Decimal | PurePath):
        return str(value)
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot put {type(value).__name__} in an audit entry")


def _clean(text: str) -> str:
    """Text every backend stores verbatim: no NUL, no lone surrogates."""
    return text.replace("\x00", "\ufffd").encode("utf-8", "replace").decode("utf-8")


def canonical_json(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 text, no NaN."""
    text = json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    )
    return _clean(text)


def _optional_json(value: Any) -> str | None:
    return None if value is None else canonical_json(value)


def _optional_text(value: str | None) -> str | None:
    return None if value is None else _clean(str(value))


def _ts_text(ts: dt.datetime) -> str:
    return utc(ts).isoformat(timespec="microseconds")


def compute_entry_hash(entry: AuditEntry) -> str:
    """SHA-256 (hex) of the canonical JSON of the entry's content and ``prev_hash``."""
    material = {
        "seq": entry.seq,
        "ts": _ts_text(entry.ts),
        "actor": entry.actor,
        "actor_roles": entry.actor_roles,
        "source_ip": entry.source_ip,
        "action": entry.action,
        "target": entry.target,
        "outcome": entry.outcome,
        "detail": entry.detail,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


def _chain_head(session: Session) -> tuple[int, str]:
    """Lock the chain (PostgreSQL: lock row ``FOR UPDATE``) and return the last (seq, hash)."""
    session.execute(select(StateLock.name).where(StateLock.name == AUDIT_LOCK).with_for_update())
    last = session.execute(
        select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)
    ).first()
    if last is None:
        return 0, GENESIS_HASH
    return int(last[0]), str(last[1])


def append_audit(
    session: Session,
    *,
    actor: str,
    actor_roles: Iterable[str] = (),
    action: str,
    target: str | None = None,
    outcome: str = "success",
    detail: Any = None,
    before: Any = None,
    after: Any = None,
    source_ip: str | None = None,
    now: dt.datetime | None = None,
) -> AuditEntry:
    """Append one entry to the operation log, chained to the previous one, and flush it.

    It becomes durable when the caller's transaction commits; the chain stays locked until
    then, so keep transactions that write audit entries short.
    """
    if session.info.get(READONLY_KEY):
        raise ReadOnlySessionError("the operation log cannot be written from a read-only session")
    if outcome not in {o.value for o in EventOutcome}:
        raise ValueError(f"outcome must be one of success/failure/unknown, not {outcome!r}")
    if not action or len(action) > MAX_ACTION_LENGTH:
        raise ValueError(f"action must be 1..{MAX_ACTION_LENGTH} characters")
    roles = sorted({_clean(str(r.value if isinstance(r, Enum) else r)) for r in actor_roles})
    last_seq, last_hash = _chain_head(session)
    entry = AuditEntry(
        seq=last_seq + 1,
        ts=utc(now) if now is not None else utcnow(),
        actor=_clean(actor),
        actor_roles=canonical_json(roles),
        source_ip=_optional_text(source_ip),
        action=_clean(action),
        target=_optional_text(target),
        outcome=outcome,
        detail=_optional_json(detail),
        before=_optional_json(before),
        after=_optional_json(after),
        prev_hash=last_hash,
    )
    entry.hash = compute_entry_hash(entry)
    session.add(entry)
    session.flush()
    return entry


def verify_audit_chain(
    session: Session,
    *,
    anchor_seq: int | None = None,
    anchor_hash: str | None = None,
    batch_size: int = 1000,
) -> AuditVerification:
    """Walk the whole log in order and check sequence, links and hashes.

    With ``anchor_seq``/``anchor_hash`` (a head recorded earlier), also prove that the log
    still reaches that entry unchanged, which exposes a truncated tail.
    """
    expected_seq = 1
    prev_hash = GENESIS_HASH
    good = 0

    def bad(seq: int, reason: str) -> AuditVerification:
        return AuditVerification(False, good, seq, reason, expected_seq - 1, prev_hash)

    rows = session.execute(
        select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=batch_size)
    ).scalars()
    for entry in rows:
        if entry.seq != expected_seq:
            return bad(expected_seq, f"entry {expected_seq} is missing (next entry is {entry.seq})")
        if entry.prev_hash != prev_hash:
            return bad(
                entry.seq, f"prev_hash of entry {entry.seq} does not match the hash of entry {entry.seq - 1}"
            )
        if compute_entry_hash(entry) != entry.hash:
            return bad(entry.seq, f"content of entry {entry.seq} does not match its hash")
        if (
            anchor_seq is not None
            and entry.seq == anchor_seq
            and anchor_hash is not None
            and entry.hash != anchor_hash
        ):
            return bad(entry.seq, f"entry {entry.seq} differs from the recorded anchor")
        good += 1
        prev_hash = entry.hash
        expected_seq += 1
    if anchor_seq is not None and expected_seq - 1 < anchor_seq:
        return bad(expected_seq, f"log ends at entry {expected_seq - 1}, before the anchor {anchor_seq}")
    return AuditVerification(True, good, None, None, expected_seq - 1, prev_hash)


def list_audit(
    session: Session,
    *,
    after_seq: int = 0,
    limit: int = 100,
    action: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """Entries with ``seq > after_seq`` in order, optionally filtered (read-only paging)."""
    query = select(AuditEntry).where(AuditEntry.seq > after_seq)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    return list(session.execute(query.order_by(AuditEntry.seq).limit(limit)).scalars())


def _category(action: str) -> EventCategory:
    prefix = action.split(".", 1)[0].lower()
    return EventCategory.IAM if prefix in IAM_ACTION_PREFIXES else EventCategory.CONFIGURATION


def _types(action: str, category: EventCategory) -> list[str]:
    verb = action.rsplit(".", 1)[-1].lower()
    if any(verb.startswith(v) for v in _INFO_VERBS):
        kind = EventType.INFO
    elif any(verb.startswith(v) for v in _CREATE_VERBS):
        kind = EventType.CREATION
    elif any(verb.startswith(v) for v in _DELETE_VERBS):
        kind = EventType.DELETION
    else:
        kind = EventType.CHANGE
    types = [EventType.USER.value] if category is EventCategory.IAM else []
    return [*types, kind.value]


def _is_ip(value: str | None) -> bool:
    if not value:
        return False
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def to_ecs(entry: AuditEntry) -> dict[str, Any]:
    """The entry as an ECS document of dataset ``shaowang.audit`` (chain fields kept)."""
    category = _category(entry.action)
    audit: dict[str, Any] = {
        "seq": entry.seq,
        "prev_hash": entry.prev_hash,
        "hash": entry.hash,
    }
    for key, value in (
        ("target", entry.target),
        ("detail", entry.detail_value),
        ("before", entry.before_value),
        ("after", entry.after_value),
    ):
        if value is not None:
            audit[key] = value
    doc: dict[str, Any] = {
        "@timestamp": utc(entry.ts).isoformat().replace("+00:00", "Z"),
        "event": {
            "kind": EventKind.EVENT.value,
            "category": [category.value],
            "type": _types(entry.action, category),
            "action": entry.action,
            "outcome": entry.outcome,
            "dataset": AUDIT_DATASET,
            "module": "shaowang",
            "sequence": entry.seq,
            "hash": entry.hash,
            "id": f"audit-{entry.seq}",
        },
        "user": {"name": entry.actor, "roles": entry.roles},
        "message": " ".join(p for p in (entry.actor, entry.action, entry.target or "", entry.outcome) if p),
        "shaowang": {"audit": audit},
    }
    if _is_ip(entry.source_ip):
        doc["source"] = {"ip": entry.source_ip}
    elif entry.source_ip:
        audit["source"] = entry.source_ip
    return doc


@event.listens_for(Session, "before_flush")
def _refuse_audit_changes(session: Session, _ctx: object, _instances: object) -> None:
    """ORM-side guard: operation-log entries are never updated or deleted."""
    for obj in session.deleted:
        if isinstance(obj, AuditEntry):
            raise AuditImmutableError(f"audit entry {obj.seq} cannot be deleted")
    for obj in session.dirty:
        if isinstance(obj, AuditEntry) and session.is_modified(obj):
            raise AuditImmutableError(f"audit entry {obj.seq} cannot be modified")
