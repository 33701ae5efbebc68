"""Response: playbook runs and steps, approvals, blocks, 通报 records and inbound notices.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28

Status values are frozen here on purpose, as in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Create the response tables."""
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("issuer", sa.Text(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("owner_unit", sa.Text(), nullable=False),
        sa.Column("asset", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", _TS, nullable=False),
        sa.Column("due_at", _TS, nullable=False),
        sa.Column("feedback", sa.Text(), nullable=True),
        sa.Column("feedback_by", sa.String(length=64), nullable=True),
        sa.Column("feedback_at", _TS, nullable=True),
        sa.Column("review", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=64), nullable=True),
        sa.Column("reviewed_at", _TS, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint("status IN ('open', 'feedback', 'closed')", name=op.f("ck_notices_status_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index("ix_notices_status_due_at", "notices", ["status", "due_at"], unique=False)
    op.create_table(
        "playbook_runs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("playbook_id", sa.String(length=128), nullable=False),
        sa.Column("trigger_key", sa.String(length=255), nullable=False),
        sa.Column("alert_id", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("context", sa.JSON(), nullable=False),
        sa.Column("wake_at", _TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('running', 'waiting', 'succeeded', 'failed', 'cancelled')",
            name=op.f("ck_playbook_runs_status_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_runs")),
        sa.UniqueConstraint(
            "playbook_id", "trigger_key", name=op.f("uq_playbook_runs_playbook_id_trigger_key")
        ),
    )
    op.create_index(op.f("ix_playbook_runs_alert_id"), "playbook_runs", ["alert_id"], unique=False)
    op.create_index("ix_playbook_runs_status_wake_at", "playbook_runs", ["status", "wake_at"], unique=False)
    op.create_table(
        "approvals",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("decided_by", sa.String(length=64), nullable=True),
        sa.Column("decided_at", _TS, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'rejected', 'expired')", name=op.f("ck_approvals_status_known")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["playbook_runs.id"],
            name=op.f("fk_approvals_run_id_playbook_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_approvals")),
        sa.UniqueConstraint("run_id", "step_index", name=op.f("uq_approvals_run_id_step_index")),
    )
    op.create_index(op.f("ix_approvals_run_id"), "approvals", ["run_id"], unique=False)
    op.create_index(op.f("ix_approvals_status"), "approvals", ["status"], unique=False)
    op.create_table(
        "blocks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("responder", sa.String(length=64), nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("handle", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("expires_at", _TS, nullable=True),
        sa.Column("lifted_at", _TS, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "status IN ('active', 'dry_run', 'removed', 'expired', 'failed')",
            name=op.f("ck_blocks_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["playbook_runs.id"], name=op.f("fk_blocks_run_id_playbook_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocks")),
    )
    op.create_index(op.f("ix_blocks_address"), "blocks", ["address"], unique=False)
    op.create_index(op.f("ix_blocks_run_id"), "blocks", ["run_id"], unique=False)
    op.create_index("ix_blocks_status_expires_at", "blocks", ["status", "expires_at"], unique=False)
    op.create_table(
        "playbook_steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("inputs", sa.JSON(), nullable=False),
        sa.Column("outputs", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'waiting', 'succeeded', 'failed', 'skipped')",
            name=op.f("ck_playbook_steps_status_known"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["playbook_runs.id"],
            name=op.f("fk_playbook_steps_run_id_playbook_runs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_playbook_steps")),
    )
    op.create_index(op.f("ix_playbook_steps_run_id"), "playbook_steps", ["run_id"], unique=False)
    op.create_table(
        "report_records",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("unit_type", sa.String(length=32), nullable=False),
        sa.Column("affected_system", sa.Text(), nullable=True),
        sa.Column("discovered_at", _TS, nullable=False),
        sa.Column("place", sa.Text(), nullable=True),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("level", sa.String(length=4), nullable=False),
        sa.Column("impact", sa.Text(), nullable=True),
        sa.Column("measures", sa.Text(), nullable=True),
        sa.Column("preliminary_cause", sa.Text(), nullable=True),
        sa.Column("investigation_leads", sa.Text(), nullable=True),
        sa.Column("next_steps", sa.Text(), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        sa.Column("deadline_at", _TS, nullable=False),
        sa.Column("reported_at", _TS, nullable=True),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.CheckConstraint(
            "status IN ('draft', 'reported', 'handling', 'feedback', 'closed')",
            name=op.f("ck_report_records_status_known"),
        ),
        sa.CheckConstraint(
            "unit_type IN ('critical_infrastructure', 'party_government', 'network_operator')",
            name=op.f("ck_report_records_unit_type_known"),
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_report_records_incident_id_incidents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_report_records")),
    )
    op.create_index(op.f("ix_report_records_incident_id"), "report_records", ["incident_id"], unique=True)
    op.create_index(
        "ix_report_records_status_deadline_at", "report_records", ["status", "deadline_at"], unique=False
    )


def downgrade() -> None:
    """Drop them."""

    op.drop_index("ix_report_records_status_deadline_at", table_name="report_records")
    op.drop_index(op.f("ix_report_records_incident_id"), table_name="report_records")
    op.drop_table("report_records")
    op.drop_index(op.f("ix_playbook_steps_run_id"), table_name="playbook_steps")
    op.drop_table("playbook_steps")
    op.drop_index("ix_blocks_status_expires_at", table_name="blocks")
    op.drop_index(op.f("ix_blocks_run_id"), table_name="blocks")
    op.drop_index(op.f("ix_blocks_address"), table_name="blocks")
    op.drop_table("blocks")
    op.drop_index(op.f("ix_approvals_status"), table_name="approvals")
    op.drop_index(op.f("ix_approvals_run_id"), table_name="approvals")
    op.drop_table("approvals")
    op.drop_index("ix_playbook_runs_status_wake_at", table_name="playbook_runs")
    op.drop_index(op.f("ix_playbook_runs_alert_id"), table_name="playbook_runs")
    op.drop_table("playbook_runs")
    op.drop_index("ix_notices_status_due_at", table_name="notices")
    op.drop_table("notices")
