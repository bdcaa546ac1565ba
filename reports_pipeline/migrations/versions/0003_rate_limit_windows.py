"""Add the per-organisation rate-limit counters shared by every API worker.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_windows",
        sa.Column("organization_id", sa.String(length=40), nullable=False),
        sa.Column("budget", sa.String(length=20), nullable=False),
        sa.Column("window_start", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("organization_id", "budget", "window_start"),
    )


def downgrade() -> None:
    op.drop_table("rate_limit_windows")
