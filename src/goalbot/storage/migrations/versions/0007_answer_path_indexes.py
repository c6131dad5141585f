"""indexes for what every input and every report asks: a period's answers, old inbox rows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # reports and obligations read one period's answers; every input forgets old updates
    op.create_index("ix_answers_period", "answers", ["period"])
    op.create_index("ix_inbox_received_at", "inbox", ["received_at"])


def downgrade() -> None:
    op.drop_index("ix_inbox_received_at", table_name="inbox")
    op.drop_index("ix_answers_period", table_name="answers")
