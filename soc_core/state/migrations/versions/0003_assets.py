"""The asset register (资产台账) and security zones (安全域), seeded with the extranet defaults.

Revision ID: 0003
Revises: 0002
Create Date: 2024-12-11

Zone names, criticality, origin and level values are frozen here on purpose, as in 0001.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CRITICALITIES = ("low", "medium", "high", "critical")
ORIGINS = ("import", "api", "discovered")
LEVELS = (1, 2, 3, 4)
DEFAULT_ZONES = (
    ("internet", "互联网接入区", "Internet access: the boundary towards the public internet"),
    ("public", "公用网络区", "Public network area: services every connected agency may reach"),
    ("private", "专用网络区", "Private network area: agency business systems, isolated from the internet"),
    ("management", "安全管理区", "Security management centre: the SOC, monitoring and device management"),
    ("dmz", "DMZ", "Demilitarised zone: servers published to the internet"),
)
_TS = sa.DateTime(timezone=True)


def _in(values: Sequence[object]) -> str:
    return ", ".join(f"'{v}'" if isinstance(v, str) else str(v) for v in values)


def upgrade() -> None:
    """Create ``zones`` (with the default zones) and ``assets``."""
    zones = op.create_table(
        "zones",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("cidrs", sa.JSON, nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_zones"),
        sa.UniqueConstraint("name", name="uq_zones_name"),
    )
    op.create_table(
        "assets",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("cidr", sa.String(64), nullable=True),
        sa.Column("hostname", sa.String(255), nullable=True),
        sa.Column("owner_unit", sa.String(255), nullable=True),
        sa.Column("zone", sa.String(32), nullable=True),
        sa.Column("device_type", sa.String(255), nullable=True),
        sa.Column("level", sa.Integer, nullable=True),
        sa.Column("criticality", sa.String(16), nullable=True),
        sa.Column("contact", sa.String(255), nullable=True),
        sa.Column("first_seen", _TS, nullable=True),
        sa.Column("last_seen", _TS, nullable=True),
        sa.Column("services", sa.JSON, nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("created_at", _TS, nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_assets"),
        sa.UniqueConstraint("ip", name="uq_assets_ip"),
        sa.UniqueConstraint("cidr", name="uq_assets_cidr"),
        sa.ForeignKeyConstraint(["zone"], ["zones.id"], name="fk_assets_zone_zones"),
        sa.CheckConstraint("(ip IS NULL) <> (cidr IS NULL)", name="ck_assets_one_address"),
        sa.CheckConstraint(f"level IS NULL OR level IN ({_in(LEVELS)})", name="ck_assets_level_known"),
        sa.CheckConstraint(
            f"criticality IS NULL OR criticality IN ({_in(CRITICALITIES)})",
            name="ck_assets_criticality_known",
        ),
        sa.CheckConstraint(f"origin IN ({_in(ORIGINS)})", name="ck_assets_origin_known"),
    )
    op.create_index("ix_assets_zone", "assets", ["zone"])

    # A fixed timestamp keeps the seed identical on every database it runs on.
    seeded = dt.datetime(2024, 12, 11, tzinfo=dt.UTC)
    if op.get_bind().dialect.name == "sqlite":
        seeded = seeded.replace(tzinfo=None)  # the models keep naive UTC on SQLite
    op.bulk_insert(
        zones,
        [
            {"id": i, "name": n, "description": d, "cidrs": [], "created_at": seeded, "updated_at": seeded}
            for i, n, d in DEFAULT_ZONES
        ],
    )


def downgrade() -> None:
    """Drop the register and the zones (their data with them)."""
    op.drop_index("ix_assets_zone", table_name="assets")
    op.drop_table("assets")
    op.drop_table("zones")
