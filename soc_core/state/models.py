"""Declarative models of the StateStore (SQLAlchemy 2 typed mappings).

The schema itself is owned by the Alembic migrations in ``soc_core/state/migrations``; these
classes must match them. Times are stored in UTC and always come back timezone-aware.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

from soc_core.vocabulary import (
    ADMIN_ROLES,
    PROTECTION_LEVELS,
    AlertStatus,
    AssetOrigin,
    Criticality,
    Disposition,
    EvidenceKind,
    IncidentLevel,
    IncidentStatus,
    Role,
    RuleState,
)

_ROLE_LIST = ", ".join(f"'{r.value}'" for r in Role)
_ADMIN_LIST = ", ".join(f"'{r.value}'" for r in sorted(ADMIN_ROLES))
_ALERT_STATUS_LIST = ", ".join(f"'{s.value}'" for s in AlertStatus)
_DISPOSITION_LIST = ", ".join(f"'{d.value}'" for d in Disposition)
RULE_STATES: tuple[str, ...] = tuple(s.value for s in RuleState)
_RULE_STATE_LIST = ", ".join(f"'{s}'" for s in RULE_STATES)
_CRITICALITY_LIST = ", ".join(f"'{c.value}'" for c in Criticality)
_ORIGIN_LIST = ", ".join(f"'{o.value}'" for o in AssetOrigin)
_INCIDENT_STATUS_LIST = ", ".join(f"'{s.value}'" for s in IncidentStatus)
_INCIDENT_LEVEL_LIST = ", ".join(f"'{lv.value}'" for lv in IncidentLevel)
_EVIDENCE_KIND_LIST = ", ".join(f"'{k.value}'" for k in EvidenceKind)
_LEVEL_LIST = ", ".join(str(level) for level in PROTECTION_LEVELS)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utc(value: dt.datetime) -> dt.datetime:
    """``value`` as an aware UTC datetime; naive values are taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC)


def utcnow() -> dt.datetime:
    """The current time, aware, in UTC."""
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """``TIMESTAMP WITH TIME ZONE``; SQLite keeps naive UTC. Values read back are aware UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        aware = utc(value)
        return aware.replace(tzinfo=None) if dialect.name == "sqlite" else aware

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        return None if value is None else utc(value)


class Base(DeclarativeBase):
    """Declarative base with a constraint naming convention (stable names for migrations)."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {dt.datetime: UTCDateTime()}


class User(Base):
    """A console / API account."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_username_lower", func.lower(text("username")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(128))
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None]
    locked_until: Mapped[dt.datetime | None]
    password_changed_at: Mapped[dt.datetime]

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )
    sessions: Mapped[list[ApiSession]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def roles(self) -> frozenset[Role]:
        """The account's roles."""
        return frozenset(Role(row.role) for row in self.role_rows)

    @property
    def role_names(self) -> list[str]:
        """The account's role values, sorted."""
        return sorted(row.role for row in self.role_rows)

    def is_locked(self, now: dt.datetime) -> bool:
        """Whether a lockout is in force at ``now``."""
        return self.locked_until is not None and utc(now) < self.locked_until

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, username={self.username!r}, roles={sorted(self.roles)!r})"


class UserRole(Base):
    """One role held by one user. A partial unique index allows one admin role per user."""

    __tablename__ = "user_roles"
    __table_args__ = (
        CheckConstraint(f"role IN ({_ROLE_LIST})", name="role_known"),
        Index(
            "uq_user_roles_one_admin",
            "user_id",
            unique=True,
            sqlite_where=text(f"role IN ({_ADMIN_LIST})"),
            postgresql_where=text(f"role IN ({_ADMIN_LIST})"),
        ),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class ApiSession(Base):
    """An API / console session. Only the SHA-256 of the bearer token is stored."""

    __tablename__ = "api_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[dt.datetime]
    last_seen_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    source_ip: Mapped[str | None] = mapped_column(String(64))
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)

    user: Mapped[User] = relationship(back_populates="sessions", lazy="joined")


class AuditEntry(Base):
    """One entry of the hash-chained operation log. Rows are never updated or deleted.

    ``actor_roles``, ``detail``, ``before`` and ``after`` hold canonical JSON text; the chain
    hash covers exactly the stored text.
    """

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    ts: Mapped[dt.datetime]
    actor: Mapped[str] = mapped_column(Text)
    actor_roles: Mapped[str] = mapped_column(Text)
    source_ip: Mapped[str | None] = mapped_column(Text)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str | None] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[str | None] = mapped_column(Text)
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    @property
    def roles(self) -> list[str]:
        """``actor_roles`` decoded."""
        value: list[str] = json.loads(self.actor_roles)
        return value

    @property
    def detail_value(self) -> Any:
        """``detail`` decoded (None when absent)."""
        return None if self.detail is None else json.loads(self.detail)

    @property
    def before_value(self) -> Any:
        """``before`` decoded (None when absent)."""
        return None if self.before is None else json.loads(self.before)

    @property
    def after_value(self) -> Any:
        """``after`` decoded (None when absent)."""
        return None if self.after is None else json.loads(self.after)

    def __repr__(self) -> str:
        return f"AuditEntry(seq={self.seq!r}, action={self.action!r}, actor={self.actor!r})"


class StateLock(Base):
    """Named lock rows (``SELECT … FOR UPDATE``) that serialise chained writers."""

    __tablename__ = "state_locks"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)


AUDIT_LOCK = "audit_log"


class AlertRecord(Base):
    """One alert as triage sees it. ``payload`` is the whole ``soc_core.alerts.Alert``.

    Detection writes the columns it owns (count, last seen, event ids …); ``status``,
    ``assignee`` and ``disposition`` belong to triage once the row exists.
    """

    __tablename__ = "alerts"
    __table_args__ = (
        CheckConstraint(f"status IN ({_ALERT_STATUS_LIST})", name="status_known"),
        CheckConstraint(
            f"disposition IS NULL OR disposition IN ({_DISPOSITION_LIST})", name="disposition_known"
        ),
        Index("ix_alerts_status_last_seen", "status", "last_seen"),
        Index("ix_alerts_rule_id_last_seen", "rule_id", "last_seen"),
        Index("ix_alerts_severity_last_seen", "severity", "last_seen"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    rule_id: Mapped[str] = mapped_column(String(255))
    rule_name: Mapped[str] = mapped_column(Text)
    severity: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(32))
    timestamp: Mapped[dt.datetime] = mapped_column(index=True)
    last_seen: Mapped[dt.datetime] = mapped_column(index=True)
    count: Mapped[int] = mapped_column(BigInteger)
    group_key: Mapped[str | None] = mapped_column(Text)
    source_ip: Mapped[str | None] = mapped_column(String(64), index=True)
    destination_ip: Mapped[str | None] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(Text)
    attack_type: Mapped[str | None] = mapped_column(Text)
    gb20986: Mapped[str | None] = mapped_column(String(16))
    tags: Mapped[list[str]] = mapped_column(JSON)
    event_ids: Mapped[list[str]] = mapped_column(JSON)
    assignee: Mapped[str | None] = mapped_column(String(64), index=True)
    disposition: Mapped[str | None] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"AlertRecord(id={self.id!r}, rule_id={self.rule_id!r}, status={self.status!r})"


class RuleHealth(Base):
    """How one detection rule is doing: loaded / failed (why) / unrouted, matches, cost."""

    __tablename__ = "rule_health"
    __table_args__ = (CheckConstraint(f"state IN ({_RULE_STATE_LIST})", name="state_known"),)

    rule_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    path: Mapped[str | None] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(16), default="detection", server_default="detection")
    level: Mapped[str | None] = mapped_column(String(16))  # the Sigma level (low … critical)
    reason: Mapped[str | None] = mapped_column(Text)
    matches: Mapped[int] = mapped_column(BigInteger)
    last_fired: Mapped[dt.datetime | None]
    cost_ns_total: Mapped[int] = mapped_column(BigInteger)
    evaluations: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[dt.datetime]

    @property
    def cost_ns_per_event(self) -> float | None:
        """Mean evaluation cost in nanoseconds (None before the first evaluation)."""
        return self.cost_ns_total / self.evaluations if self.evaluations else None

    def __repr__(self) -> str:
        return f"RuleHealth(rule_id={self.rule_id!r}, state={self.state!r}, matches={self.matches!r})"


class DetectionState(Base):
    """Opaque detection state (correlation windows, dedup) saved so it survives a restart."""

    __tablename__ = "detection_state"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    payload: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[dt.datetime]


class ZoneRecord(Base):
    """A security zone (安全域). ``cidrs`` maps networks to the zone without listing assets."""

    __tablename__ = "zones"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    cidrs: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"ZoneRecord(id={self.id!r}, name={self.name!r})"


class AssetRecord(Base):
    """One asset of the register: exactly one of ``ip`` (a host) and ``cidr`` (a network).

    People own the descriptive columns (import, API); passive discovery owns ``first_seen``,
    ``last_seen`` and ``services`` and never writes the others.
    """

    __tablename__ = "assets"
    __table_args__ = (
        CheckConstraint("(ip IS NULL) <> (cidr IS NULL)", name="one_address"),
        CheckConstraint(f"level IS NULL OR level IN ({_LEVEL_LIST})", name="level_known"),
        CheckConstraint(
            f"criticality IS NULL OR criticality IN ({_CRITICALITY_LIST})", name="criticality_known"
        ),
        CheckConstraint(f"origin IN ({_ORIGIN_LIST})", name="origin_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ip: Mapped[str | None] = mapped_column(String(64), unique=True)
    cidr: Mapped[str | None] = mapped_column(String(64), unique=True)
    hostname: Mapped[str | None] = mapped_column(String(255))
    owner_unit: Mapped[str | None] = mapped_column(String(255))
    zone: Mapped[str | None] = mapped_column(ForeignKey("zones.id"), index=True)
    device_type: Mapped[str | None] = mapped_column(String(255))
    level: Mapped[int | None] = mapped_column(Integer)
    criticality: Mapped[str | None] = mapped_column(String(16))
    contact: Mapped[str | None] = mapped_column(String(255))
    first_seen: Mapped[dt.datetime | None]
    last_seen: Mapped[dt.datetime | None]
    services: Mapped[list[str]] = mapped_column(JSON)
    origin: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    def __repr__(self) -> str:
        return f"AssetRecord(id={self.id!r}, address={self.ip or self.cidr!r}, zone={self.zone!r})"


class AlertComment(Base):
    """An analyst's comment on an alert."""

    __tablename__ = "alert_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[str] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(64))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime]


class IncidentRecord(Base):
    """An incident (事件) graded per GB/T 20986, with its handling record (等保 8.1.10.12)."""

    __tablename__ = "incidents"
    __table_args__ = (
        CheckConstraint(f"status IN ({_INCIDENT_STATUS_LIST})", name="status_known"),
        CheckConstraint(f"level IN ({_INCIDENT_LEVEL_LIST})", name="level_known"),
        Index("ix_incidents_status_updated_at", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    level: Mapped[str] = mapped_column(String(4))
    status: Mapped[str] = mapped_column(String(16))
    owner: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str | None] = mapped_column(Text)
    cause_analysis: Mapped[str | None] = mapped_column(Text)
    handling_record: Mapped[str | None] = mapped_column(Text)
    lessons_learned: Mapped[str | None] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
    closed_at: Mapped[dt.datetime | None]

    alert_links: Mapped[list[IncidentAlert]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IncidentAlert.alert_id"
    )
    timeline: Mapped[list[IncidentTimelineEntry]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IncidentTimelineEntry.id"
    )
    evidence: Mapped[list[IncidentEvidence]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="IncidentEvidence.id"
    )

    @property
    def alert_ids(self) -> list[str]:
        """Ids of the alerts linked to the incident."""
        return [link.alert_id for link in self.alert_links]


class IncidentAlert(Base):
    """An alert linked to an incident."""

    __tablename__ = "incident_alerts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True)
    alert_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)


class IncidentTimelineEntry(Base):
    """One entry of an incident's timeline: a note, a status change, an added piece of evidence."""

    __tablename__ = "incident_timeline"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime]
    author: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)


class IncidentEvidence(Base):
    """A piece of evidence: an event or alert id, a pcap or a file (with its SHA-256 when known)."""

    __tablename__ = "incident_evidence"
    __table_args__ = (CheckConstraint(f"kind IN ({_EVIDENCE_KIND_LIST})", name="kind_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime]


class SavedQuery(Base):
    """A named event search, private to its owner unless shared."""

    __tablename__ = "saved_queries"
    __table_args__ = (UniqueConstraint("owner", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    owner: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(128))
    query: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime]


class PlatformFlag(Base):
    """A named platform-wide value (e.g. the first-start setup's progress)."""

    __tablename__ = "platform_flags"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[dt.datetime]
