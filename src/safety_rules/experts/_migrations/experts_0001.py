"""The evaluation read table; a log of the previous format carried over onto the event store.

Revision ID: experts_0001
Revises:
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from alembic import context, op
from pydantic import ValidationError

from safety_rules.experts._evaluation_log import LEGACY_TABLE, Evaluation, new_event, projector
from safety_rules.shared._errors import EventStoreError, LogIntegrityError
from safety_rules.shared._events import GENESIS, append_events

revision = "experts_0001"
down_revision = None
branch_labels = None
depends_on = None

# The previous format's table and hash, exactly as that code made them.
_legacy = sa.Table(
    LEGACY_TABLE, sa.MetaData(),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("record_id", sa.String(32)), sa.Column("case_id", sa.String(64)),
    sa.Column("expert_id", sa.String(64)), sa.Column("enterprise_id", sa.String(64)),
    sa.Column("case_date", sa.Date), sa.Column("timeliness", sa.Integer), sa.Column("quality", sa.Integer),
    sa.Column("advice_adopted", sa.Boolean), sa.Column("hazard_eliminated", sa.Boolean, nullable=True),
    sa.Column("remark", sa.Text), sa.Column("recorded_by", sa.String(64)), sa.Column("recorded_at", sa.String(40)),
    sa.Column("corrects", sa.String(32), nullable=True), sa.Column("prev_hash", sa.String(64)),
    sa.Column("hash", sa.String(64)),
)
_LEGACY_CONTENT = ("seq", "record_id", "case_id", "expert_id", "enterprise_id", "case_date", "timeliness",
                   "quality", "advice_adopted", "hazard_eliminated", "remark", "recorded_by", "recorded_at",
                   "corrects", "prev_hash")


def _legacy_hash(fields: dict[str, Any]) -> str:
    content = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items() if k in _LEGACY_CONTENT}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def upgrade() -> None:
    op.create_table(
        "expert_evaluation_index",
        sa.Column("record_id", sa.String(32), primary_key=True),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("expert_id", sa.String(64), nullable=False),
        sa.Column("corrects", sa.String(32), nullable=True),
    )
    op.create_index("ix_expert_evaluation_index_case_expert", "expert_evaluation_index", ["case_id", "expert_id"])
    conn = op.get_bind()
    if sa.inspect(conn).has_table(LEGACY_TABLE):
        _carry_over(conn)
        op.drop_table(LEGACY_TABLE)
        if conn.dialect.name == "postgresql":
            op.execute(f"DROP FUNCTION IF EXISTS {LEGACY_TABLE}_append_only()")


def _carry_over(conn: sa.Connection) -> None:
    """Verify the old chain, then append each record as an event that keeps its old hash."""
    events = []
    expected_prev, expected_seq = GENESIS, 1
    for row in conn.execute(sa.select(_legacy).order_by(_legacy.c.seq)).mappings():
        fields = dict(row)
        if fields["seq"] != expected_seq or fields["prev_hash"] != expected_prev or _legacy_hash(fields) != row["hash"]:
            raise LogIntegrityError(f"the evaluation log to carry over does not verify at its seq {fields['seq']} "
                                    f"(record {fields['record_id']}): nothing was migrated", seq=fields["seq"])
        try:
            evaluation = Evaluation.model_validate({k: v for k, v in fields.items() if k in Evaluation.model_fields})
        except ValidationError as exc:
            raise EventStoreError(f"record seq {fields['seq']} ({fields['record_id']}) of the evaluation log to carry "
                                  f"over does not fit the current format: {exc.errors()[0]['msg']}; nothing was "
                                  "migrated", seq=fields["seq"]) from None
        recorded_at = dt.datetime.fromisoformat(fields["recorded_at"])
        legacy = {"seq": fields["seq"], "hash": fields["hash"], "prev_hash": fields["prev_hash"],
                  "recorded_at": fields["recorded_at"]}
        events.append(new_event(evaluation, record_id=fields["record_id"], legacy=legacy,
                                recorded_at=recorded_at if recorded_at.tzinfo else recorded_at.replace(tzinfo=dt.UTC)))
        expected_prev, expected_seq = fields["hash"], fields["seq"] + 1
    append_events(conn, events, key=context.config.attributes.get("hmac_key"), project=projector())
