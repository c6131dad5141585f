"""runs of the bot with their heartbeat (for goalbot health)

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
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
        "bot_instances",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("bot_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("telegram_ok", sa.Boolean(), nullable=False),
        sa.Column("telegram_since", sa.DateTime(timezone=True), nullable=False),
        sa.Column("telegram_detail", sa.Text(), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_instances")),
    )
    op.create_index(op.f("ix_bot_instances_heartbeat_at"), "bot_instances", ["heartbeat_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_bot_instances_heartbeat_at"), table_name="bot_instances")
    op.drop_table("bot_instances")
