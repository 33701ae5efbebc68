"""Triage and the console: alert comments, incidents (事件) with timeline and evidence, saved
queries, and platform flags (first-start setup).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-28

Status and level values are frozen here on purpose, as in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INCIDENT_STATUSES = ("open", "contained", "resolved", "closed")
INCIDENT_LEVELS = ("I", "II", "III", "IV")
EVIDENCE_KINDS = ("event", "alert", "pcap", "file")
_TS = sa.DateTime(timezone=True)


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    """Create the triage and console tables."""
    op.create_table(
        "alert_comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alert_comments"),
        sa.ForeignKeyConstraint(
            ["alert_id"], ["alerts.id"], name="fk_alert_comments_alert_id_alerts", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_alert_comments_alert_id", "alert_comments", ["alert_id"])
    op.create_index("ix_alerts_assignee", "alerts", ["assignee"])
    op.create_index("ix_alerts_severity_last_seen", "alerts", ["severity", "last_seen"])

    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("category", sa.String(16), nullable=False),
        sa.Column("level", sa.String(4), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("owner", sa.String(64), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("cause_analysis", sa.Text, nullable=True),
        sa.Column("handling_record", sa.Text, nullable=True),
        sa.Column("lessons_learned", sa.Text, nullable=True),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.Column("closed_at", _TS, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_incidents"),
        sa.CheckConstraint(f"status IN ({_in(INCIDENT_STATUSES)})", name="ck_incidents_status_known"),
        sa.CheckConstraint(f"level IN ({_in(INCIDENT_LEVELS)})", name="ck_incidents_level_known"),
    )
    op.create_index("ix_incidents_status_updated_at", "incidents", ["status", "updated_at"])
    op.create_table(
        "incident_alerts",
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("alert_id", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("incident_id", "alert_id", name="pk_incident_alerts"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_alerts_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_incident_alerts_alert_id", "incident_alerts", ["alert_id"])
    op.create_table(
        "incident_timeline",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("at", _TS, nullable=False),
        sa.Column("author", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_timeline"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_timeline_incident_id_incidents",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_incident_timeline_incident_id", "incident_timeline", ["incident_id"])
    op.create_table(
        "incident_evidence",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("ref", sa.Text, nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("added_by", sa.String(64), nullable=False),
        sa.Column("added_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_incident_evidence"),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name="fk_incident_evidence_incident_id_incidents",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(f"kind IN ({_in(EVIDENCE_KINDS)})", name="ck_incident_evidence_kind_known"),
    )
    op.create_index("ix_incident_evidence_incident_id", "incident_evidence", ["incident_id"])

    op.create_table(
        "saved_queries",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("query", sa.Text, nullable=False),
        sa.Column("shared", sa.Boolean, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_saved_queries"),
        sa.UniqueConstraint("owner", "name", name="uq_saved_queries_owner_name"),
    )
    op.create_table(
        "platform_flags",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.JSON, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_platform_flags"),
    )


def downgrade() -> None:
    """Drop the triage and console tables (their data with them)."""
    op.drop_table("platform_flags")
    op.drop_table("saved_queries")
    op.drop_index("ix_incident_evidence_incident_id", table_name="incident_evidence")
    op.drop_table("incident_evidence")
    op.drop_index("ix_incident_timeline_incident_id", table_name="incident_timeline")
    op.drop_table("incident_timeline")
    op.drop_index("ix_incident_alerts_alert_id", table_name="incident_alerts")
    op.drop_table("incident_alerts")
    op.drop_index("ix_incidents_status_updated_at", table_name="incidents")
    op.drop_table("incidents")
    op.drop_index("ix_alerts_severity_last_seen", table_name="alerts")
    op.drop_index("ix_alerts_assignee", table_name="alerts")
    op.drop_index("ix_alert_comments_alert_id", table_name="alert_comments")
    op.drop_table("alert_comments")
