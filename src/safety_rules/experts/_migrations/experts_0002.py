"""The read tables of assignments on record and of experts' findings with their outcomes.

Revision ID: experts_0002
Revises: experts_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "experts_0002"
down_revision = "experts_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Spelt out rather than imported: a revision keeps making the same tables whatever the code does later.
    op.create_table(
        "expert_assignment_index",
        sa.Column("assignment_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("enterprise_id", sa.String(64), nullable=False),
        sa.Column("case_date", sa.Date, nullable=False),
        sa.Column("withdrawn_seq", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_expert_assignment_index_case_expert", "expert_assignment_index", ["case_id", "expert_id"])
    op.create_table(
        "expert_finding_index",
        sa.Column("finding_id", sa.String(64), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("outcome_seq", sa.BigInteger, nullable=True),
        sa.Column("confirmed", sa.String(5), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("expert_finding_index")
    op.drop_table("expert_assignment_index")
