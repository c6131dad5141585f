"""sends are claimed by one bot at a time, keep which of their parts went out, and are reported

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.add_column(sa.Column("claimed_by", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("progress", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("reported_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("resend_of", sa.Integer(), nullable=True))
        batch.create_index("ix_sends_status", ["status"])
    # what went wrong before this version was not reported: the administrators are told now
    # only of what goes wrong from here on
    op.execute(
        "UPDATE sends SET reported_at = COALESCE(sent_at, created_at)"
        " WHERE status IN ('uncertain', 'failed', 'blocked')"
    )


def downgrade() -> None:
    with op.batch_alter_table("sends") as batch:
        batch.drop_index("ix_sends_status")
        for column in ("resend_of", "reported_at", "progress", "claimed_until", "claimed_by"):
            batch.drop_column(column)
