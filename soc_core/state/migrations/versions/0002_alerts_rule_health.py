"""Alerts, rule health, and saved detection state (correlation windows, dedup).

Revision ID: 0002
Revises: 0001
Create Date: 2024-12-04

Status and disposition values are frozen here on purpose, as in 0001.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ALERT_STATUSES = ("new", "in_progress", "closed")
DISPOSITIONS = ("true_positive", "false_positive", "benign")
RULE_STATES = ("loaded", "failed", "unrouted")
_TS = sa.DateTime(timezone=True)


def _in(values: Sequence[str]) -> str:
    return ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    """Create ``alerts``, ``rule_health`` and ``detection_state``."""
    op.create_table(
        "alerts",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(255), nullable=False),
        sa.Column("rule_name", sa.Text, nullable=False),
        sa.Column("severity", sa.Integer, nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("timestamp", _TS, nullable=False),
        sa.Column("last_seen", _TS, nullable=False),
        sa.Column("count", sa.BigInteger, nullable=False),
        sa.Column("group_key", sa.Text, nullable=True),
        sa.Column("source_ip", sa.String(64), nullable=True),
        sa.Column("destination_ip", sa.String(64), nullable=True),
        sa.Column("target", sa.Text, nullable=True),
        sa.Column("attack_type", sa.Text, nullable=True),
        sa.Column("gb20986", sa.String(16), nullable=True),
        sa.Column("tags", sa.JSON, nullable=False),
        sa.Column("event_ids", sa.JSON, nullable=False),
        sa.Column("assignee", sa.String(64), nullable=True),
        sa.Column("disposition", sa.String(32), nullable=True),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alerts"),
        sa.CheckConstraint(f"status IN ({_in(ALERT_STATUSES)})", name="ck_alerts_status_known"),
        sa.CheckConstraint(
            f"disposition IS NULL OR disposition IN ({_in(DISPOSITIONS)})", name="ck_alerts_disposition_known"
        ),
    )
    op.create_index("ix_alerts_timestamp", "alerts", ["timestamp"])
    op.create_index("ix_alerts_last_seen", "alerts", ["last_seen"])
    op.create_index("ix_alerts_source_ip", "alerts", ["source_ip"])
    op.create_index("ix_alerts_status_last_seen", "alerts", ["status", "last_seen"])
    op.create_index("ix_alerts_rule_id_last_seen", "alerts", ["rule_id", "last_seen"])

    op.create_table(
        "rule_health",
        sa.Column("rule_id", sa.String(255), nullable=False),
        sa.Column("path", sa.Text, nullable=True),
        sa.Column("title", sa.Text, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("matches", sa.BigInteger, nullable=False),
        sa.Column("last_fired", _TS, nullable=True),
        sa.Column("cost_ns_total", sa.BigInteger, nullable=False),
        sa.Column("evaluations", sa.BigInteger, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("rule_id", name="pk_rule_health"),
        sa.CheckConstraint(f"state IN ({_in(RULE_STATES)})", name="ck_rule_health_state_known"),
    )

    op.create_table(
        "detection_state",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_detection_state"),
    )


def downgrade() -> None:
    """Drop the three tables (their data with them)."""
    op.drop_table("detection_state")
    op.drop_table("rule_health")
    op.drop_index("ix_alerts_rule_id_last_seen", table_name="alerts")
    op.drop_index("ix_alerts_status_last_seen", table_name="alerts")
    op.drop_index("ix_alerts_source_ip", table_name="alerts")
    op.drop_index("ix_alerts_last_seen", table_name="alerts")
    op.drop_index("ix_alerts_timestamp", table_name="alerts")
    op.drop_table("alerts")
