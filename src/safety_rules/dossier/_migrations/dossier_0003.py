"""Warnings read columns, not documents: findings get title, penalty, refused_on and measures; cases
get edition and fine; the overdue and repeat indexes cover what those warnings print (the repeat
one partial, on found_on first); the decision index covers what the 提请关闭 count reads.

Parsing each finding's JSON document made ``warnings`` cost a millisecond per open major hazard
or case decided within the year (seconds for a city). The new columns are filled in from the
documents already recorded.

Revision ID: dossier_0003
Revises: dossier_0002
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "dossier_0003"
down_revision = "dossier_0002"
branch_labels = None
depends_on = None


def _penalty(issued: dict[str, Any]) -> str | None:
    penalties = [c for c in issued.get("citations", []) if c.get("role") == "penalty"]
    chosen = next((c for c in penalties if c.get("preferred")), penalties[0] if penalties else None)
    return chosen["text"] if chosen else None


def upgrade() -> None:
    with op.batch_alter_table("dossier_findings") as batch:
        batch.add_column(sa.Column("title", sa.String(200), nullable=True))
        batch.add_column(sa.Column("penalty", sa.Text, nullable=True))
        batch.add_column(sa.Column("refused_on", sa.Date, nullable=True))
        batch.add_column(sa.Column("measures", sa.Text, nullable=True))
    with op.batch_alter_table("dossier_cases") as batch:
        batch.add_column(sa.Column("edition", sa.String(10), nullable=True))
        batch.add_column(sa.Column("fine", sa.BigInteger, nullable=True))
    conn = op.get_bind()
    findings = sa.table("dossier_findings", sa.column("finding_id", sa.String), sa.column("doc", sa.Text),
                        sa.column("title", sa.String), sa.column("penalty", sa.Text),
                        sa.column("refused_on", sa.Date), sa.column("measures", sa.Text))
    rows = []
    for fid, doc in conn.execute(sa.select(findings.c.finding_id, findings.c.doc)):
        record = json.loads(doc)
        issued = record.get("issued", {})
        refused = record.get("refused_on")
        rows.append({"id": fid, "title": issued.get("title"), "penalty": _penalty(issued),
                     "refused_on": dt.date.fromisoformat(refused) if refused else None,
                     "measures": json.dumps(record.get("measures", []), ensure_ascii=False)})
    if rows:
        conn.execute(findings.update().where(findings.c.finding_id == sa.bindparam("id"))
                     .values(title=sa.bindparam("title"), penalty=sa.bindparam("penalty"),
                             refused_on=sa.bindparam("refused_on"), measures=sa.bindparam("measures")), rows)
    cases = sa.table("dossier_cases", sa.column("case_id", sa.String), sa.column("doc", sa.Text),
                     sa.column("edition", sa.String), sa.column("fine", sa.BigInteger))
    rows = [{"id": cid, "edition": (r := json.loads(doc)).get("edition"), "fine": r.get("fine")}
            for cid, doc in conn.execute(sa.select(cases.c.case_id, cases.c.doc))]
    if rows:
        conn.execute(cases.update().where(cases.c.case_id == sa.bindparam("id"))
                     .values(edition=sa.bindparam("edition"), fine=sa.bindparam("fine")), rows)
    # covering: the overdue and repeat warnings read these indexes only, never the table rows (whose
    # documents make them long)
    op.drop_index("ix_dossier_findings_severity_state_deadline", "dossier_findings")
    op.create_index("ix_dossier_findings_overdue", "dossier_findings",
                    ["severity", "state", "deadline", "enterprise_id", "finding_id", "title"])
    op.drop_index("ix_dossier_findings_repeat", "dossier_findings")
    op.create_index("ix_dossier_findings_repeat_found", "dossier_findings",
                    ["found_on", "enterprise_id", "finding_id", "repeat_of", "rule_id", "penalty"],
                    sqlite_where=sa.text("repeat_of IS NOT NULL"), postgresql_where=sa.text("repeat_of IS NOT NULL"))
    op.drop_index("ix_dossier_cases_decided", "dossier_cases")
    op.create_index("ix_dossier_cases_decided", "dossier_cases", ["decided_on", "enterprise_id", "edition", "fine"])
