"""Index artifact paths, which signed downloads look artifacts up by.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("run_artifacts") as batch_op:
        batch_op.create_index("ix_run_artifacts_path", ["path"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("run_artifacts") as batch_op:
        batch_op.drop_index("ix_run_artifacts_path")
