"""Findings carry their criminal referral (移送) as a column; due items get a (county, due_on) index.

The referral was kept only inside each finding's JSON; the refusal warnings print it, so it
becomes a column, filled in from the JSON of the findings already recorded. The county index
serves ``due --county``.

Revision ID: dossier_0002
Revises: dossier_0001
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "dossier_0002"
down_revision = "dossier_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossier_findings") as batch:
        batch.add_column(sa.Column("referral", sa.String(200), nullable=True))
    findings = sa.table("dossier_findings", sa.column("finding_id", sa.String), sa.column("doc", sa.Text),
                        sa.column("referral", sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(findings.c.finding_id, findings.c.doc)).all()
    updates = [{"id": fid, "referral": json.loads(doc).get("referral")} for fid, doc in rows]
    updates = [u for u in updates if u["referral"]]
    if updates:
        conn.execute(findings.update().where(findings.c.finding_id == sa.bindparam("id"))
                     .values(referral=sa.bindparam("referral")), updates)
    op.create_index("ix_dossier_due_county_due_on", "dossier_due", ["county", "due_on"])
