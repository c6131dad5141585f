"""answers keep the round that was given them and who entered them for the role

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("given_in", sa.String(10), nullable=True))
        batch.add_column(sa.Column("entered_by", sa.String(200), nullable=False, server_default=""))
    # until now every answer was given in the round of its own period
    op.execute("UPDATE answers SET given_in = period")


def downgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.drop_column("entered_by")
        batch.drop_column("given_in")
