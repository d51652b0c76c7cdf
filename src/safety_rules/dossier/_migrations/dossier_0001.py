"""The dossier's read tables: enterprises, inspections, findings, cases, due items, evidence.

Revision ID: dossier_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "dossier_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("dossier_enterprises",
                    sa.Column("enterprise_id", sa.String(64), primary_key=True),
                    sa.Column("county", sa.String(40), nullable=True),
                    sa.Column("state", sa.String(10), nullable=False),
                    sa.Column("closed_on", sa.Date, nullable=True),
                    sa.Column("doc", sa.Text, nullable=False))
    op.create_table("dossier_inspections",
                    sa.Column("inspection_id", sa.String(64), primary_key=True),
                    sa.Column("enterprise_id", sa.String(64), nullable=False),
                    sa.Column("campaign", sa.String(64), nullable=True),
                    sa.Column("inspected_on", sa.Date, nullable=False),
                    sa.Column("doc", sa.Text, nullable=False))
    op.create_index("ix_dossier_inspections_campaign", "dossier_inspections", ["campaign"])
    op.create_table("dossier_findings",
                    sa.Column("finding_id", sa.String(64), primary_key=True),
                    sa.Column("enterprise_id", sa.String(64), nullable=False),
                    sa.Column("campaign", sa.String(64), nullable=True),
                    sa.Column("rule_id", sa.String(100), nullable=False),
                    sa.Column("severity", sa.String(20), nullable=False),
                    sa.Column("state", sa.String(20), nullable=False),
                    sa.Column("found_on", sa.Date, nullable=False),
                    sa.Column("deadline", sa.Date, nullable=True),
                    sa.Column("repeat_of", sa.String(64), nullable=True),
                    sa.Column("doc", sa.Text, nullable=False))
    op.create_index("ix_dossier_findings_enterprise_rule", "dossier_findings", ["enterprise_id", "rule_id"])
    op.create_index("ix_dossier_findings_severity_state_deadline", "dossier_findings",
                    ["severity", "state", "deadline"])
    op.create_index("ix_dossier_findings_state", "dossier_findings", ["state"])
    op.create_index("ix_dossier_findings_repeat", "dossier_findings", ["repeat_of", "found_on"])
    op.create_table("dossier_cases",
                    sa.Column("case_id", sa.String(64), primary_key=True),
                    sa.Column("enterprise_id", sa.String(64), nullable=False),
                    sa.Column("campaign", sa.String(64), nullable=True),
                    sa.Column("state", sa.String(20), nullable=False),
                    sa.Column("decided_on", sa.Date, nullable=True),
                    sa.Column("doc", sa.Text, nullable=False))
    op.create_index("ix_dossier_cases_decided", "dossier_cases", ["decided_on", "enterprise_id"])
    op.create_table("dossier_due",
                    sa.Column("item_id", sa.String(120), primary_key=True),
                    sa.Column("subject", sa.String(10), nullable=False),
                    sa.Column("subject_id", sa.String(64), nullable=False),
                    sa.Column("enterprise_id", sa.String(64), nullable=False),
                    sa.Column("county", sa.String(40), nullable=True),
                    sa.Column("team", sa.String(40), nullable=False),
                    sa.Column("officer", sa.String(40), nullable=False),
                    sa.Column("period", sa.String(40), nullable=False),
                    sa.Column("label", sa.String(100), nullable=False),
                    sa.Column("party", sa.String(20), nullable=False),
                    sa.Column("due_on", sa.Date, nullable=False),
                    sa.Column("provision", sa.Text, nullable=False),
                    sa.Column("checked", sa.Boolean, nullable=False),
                    sa.Column("note", sa.Text, nullable=True))
    op.create_index("ix_dossier_due_due_on", "dossier_due", ["due_on"])
    op.create_index("ix_dossier_due_subject", "dossier_due", ["subject_id"])
    op.create_table("dossier_evidence",
                    sa.Column("sha256", sa.String(64), primary_key=True),
                    sa.Column("enterprise_id", sa.String(64), nullable=False),
                    sa.Column("seq", sa.Integer, nullable=False),
                    sa.Column("doc", sa.Text, nullable=False))
