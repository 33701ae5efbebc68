"""Response state: playbook runs and their steps, approvals, blocks, 通报 records and inbound notices."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from soc_core.state.models import Base
from soc_core.vocabulary import (
    ApprovalStatus,
    BlockStatus,
    NoticeStatus,
    ReportStatus,
    RunStatus,
    StepStatus,
    UnitType,
)


def _in(values: type[Any]) -> str:
    return ", ".join(f"'{v.value}'" for v in values)


class PlaybookRun(Base):
    """One playbook running for one alert (or one source of a trigger); unique per pair, so idempotent."""

    __tablename__ = "playbook_runs"
    __table_args__ = (
        UniqueConstraint("playbook_id", "trigger_key"),
        CheckConstraint(f"status IN ({_in(RunStatus)})", name="status_known"),
        Index("ix_playbook_runs_status_wake_at", "status", "wake_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    playbook_id: Mapped[str] = mapped_column(String(128))
    trigger_key: Mapped[str] = mapped_column(String(255), doc="the alert id, or what else started it")
    alert_id: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16))
    step_index: Mapped[int] = mapped_column(Integer, doc="the next step to run")
    context: Mapped[dict[str, Any]] = mapped_column(JSON, doc="the alert and each step's outputs")
    wake_at: Mapped[dt.datetime | None] = mapped_column(doc="when a waiting run is due again")
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]

    steps: Mapped[list[PlaybookStep]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="PlaybookStep.id"
    )


class PlaybookStep(Base):
    """One attempt at one step: what went in, what came out, what failed, who approved."""

    __tablename__ = "playbook_steps"
    __table_args__ = (CheckConstraint(f"status IN ({_in(StepStatus)})", name="status_known"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON)
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]

    run: Mapped[PlaybookRun] = relationship(back_populates="steps")


class Approval(Base):
    """A response step waiting for a person's yes or no."""

    __tablename__ = "approvals"
    __table_args__ = (
        UniqueConstraint("run_id", "step_index"),
        CheckConstraint(f"status IN ({_in(ApprovalStatus)})", name="status_known"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("playbook_runs.id", ondelete="CASCADE"), index=True)
    step_index: Mapped[int] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(Text, doc="what will happen if approved, in Chinese")
    status: Mapped[str] = mapped_column(String(16), index=True)
    requested_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    decided_by: Mapped[str | None] = mapped_column(String(64))
    decided_at: Mapped[dt.datetime | None]
    reason: Mapped[str | None] = mapped_column(Text)


class BlockRecord(Base):
    """An address blocked by a responder, until its TTL or a person lifts it."""

    __tablename__ = "blocks"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(BlockStatus)})", name="status_known"),
        Index("ix_blocks_status_expires_at", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("playbook_runs.id", ondelete="SET NULL"), index=True
    )
    address: Mapped[str] = mapped_column(String(64), index=True)
    responder: Mapped[str] = mapped_column(String(64))
    dry_run: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    handle: Mapped[dict[str, Any]] = mapped_column(JSON, doc="what the responder needs to lift it")
    approved_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    lifted_at: Mapped[dt.datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class ReportRecord(Base):
    """A 通报 record: the fields of 《国家网络安全事件报告管理办法》 with its deadline clock."""

    __tablename__ = "report_records"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(ReportStatus)})", name="status_known"),
        CheckConstraint(f"unit_type IN ({_in(UnitType)})", name="unit_type_known"),
        Index("ix_report_records_status_deadline_at", "status", "deadline_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    incident_id: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.id", ondelete="SET NULL"), index=True, unique=True
    )
    status: Mapped[str] = mapped_column(String(16))
    unit: Mapped[str] = mapped_column(Text, doc="报告单位")
    unit_type: Mapped[str] = mapped_column(String(32))
    affected_system: Mapped[str | None] = mapped_column(Text, doc="涉事系统")
    discovered_at: Mapped[dt.datetime] = mapped_column(doc="发现时间")
    place: Mapped[str | None] = mapped_column(Text, doc="发生地点")
    category: Mapped[str] = mapped_column(String(16), doc="GB/T 20986 事件分类")
    level: Mapped[str] = mapped_column(String(4), doc="事件分级 I–IV")
    impact: Mapped[str | None] = mapped_column(Text, doc="影响范围与危害")
    measures: Mapped[str | None] = mapped_column(Text, doc="已采取的措施")
    preliminary_cause: Mapped[str | None] = mapped_column(Text, doc="初步原因")
    investigation_leads: Mapped[str | None] = mapped_column(Text, doc="调查线索")
    next_steps: Mapped[str | None] = mapped_column(Text, doc="下一步工作")
    contact: Mapped[str | None] = mapped_column(Text, doc="联系人及方式")
    deadline_at: Mapped[dt.datetime]
    reported_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Notice(Base):
    """An inbound 通报预警 (from 网信, 公安 …): a rectification task for an owner unit."""

    __tablename__ = "notices"
    __table_args__ = (
        CheckConstraint(f"status IN ({_in(NoticeStatus)})", name="status_known"),
        Index("ix_notices_status_due_at", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    issuer: Mapped[str] = mapped_column(Text, doc="通报单位, e.g. 区网信办")
    reference: Mapped[str | None] = mapped_column(Text, doc="文号")
    title: Mapped[str] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    owner_unit: Mapped[str] = mapped_column(Text, doc="整改责任单位")
    asset: Mapped[str | None] = mapped_column(Text, doc="涉及的系统或地址")
    status: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[dt.datetime]
    due_at: Mapped[dt.datetime] = mapped_column(doc="整改期限")
    feedback: Mapped[str | None] = mapped_column(Text)
    feedback_by: Mapped[str | None] = mapped_column(String(64))
    feedback_at: Mapped[dt.datetime | None]
    review: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[str | None] = mapped_column(String(64))
    reviewed_at: Mapped[dt.datetime | None]
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]
