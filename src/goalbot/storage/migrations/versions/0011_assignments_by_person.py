"""an index of assignments by person: who someone is, read at every input and reminder

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01
"""

from __future__ import annotations

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # identify() reads the roles a person holds; without it each read scans every assignment
    op.create_index("ix_assignments_person", "assignments", ["person_id"])


def downgrade() -> None:
    op.drop_index("ix_assignments_person", table_name="assignments")
