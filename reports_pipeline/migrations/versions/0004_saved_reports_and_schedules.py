"""Add saved reports and schedules.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_reports",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(length=40),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("base_report_id", sa.String(length=120), nullable=False),
        sa.Column("overrides", sa.JSON(), nullable=False),
        sa.Column("definition", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_saved_reports_org_id", "saved_reports", ["organization_id", "id"])
    op.create_table(
        "schedules",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column(
            "organization_id",
            sa.String(length=40),
            sa.ForeignKey("organizations.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("report_id", sa.String(length=120), nullable=True),
        sa.Column("saved_report_id", sa.String(length=40), nullable=True),
        sa.Column("target_id", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("cron", sa.String(length=120), nullable=False),
        sa.Column("cron_key", sa.String(length=400), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("formats", sa.JSON(), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("render_options", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("channel_secrets", sa.Text(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("disabled_reason", sa.String(length=60), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint(
            "organization_id", "target_id", "timezone", "cron_key", name="uq_schedules_cron"
        ),
    )
    op.create_index("ix_schedules_org_id", "schedules", ["organization_id", "id"])
    op.create_index("ix_schedules_saved_report", "schedules", ["saved_report_id"])


def downgrade() -> None:
    op.drop_table("schedules")
    op.drop_table("saved_reports")
