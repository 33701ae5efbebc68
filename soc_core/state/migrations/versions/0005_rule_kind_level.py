"""Rule health says what a rule is: a detection or a correlation, and its Sigma level.

The 等保 evaluation needs both (8.1.3.3 c: correlation analysis in place; d: rules that alert on
serious intrusions), and the rules page shows them.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("rule_health") as batch:
        batch.add_column(sa.Column("kind", sa.String(16), nullable=False, server_default="detection"))
        batch.add_column(sa.Column("level", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("rule_health") as batch:
        batch.drop_column("level")
        batch.drop_column("kind")
