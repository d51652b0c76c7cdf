"""The event store: events, checkpoints (PostgreSQL) and the triggers that keep them append-only.

Revision ID: events_0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "events_0001"
down_revision = None
branch_labels = None
depends_on = None

_APPEND_ONLY = "the event store is append-only"


def upgrade() -> None:
    # The schema as of this revision, spelt out rather than imported: a revision must keep
    # making the same tables whatever the code does later.
    op.create_table(
        "events",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False),
        sa.Column("stream", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
        sa.Column("mac", sa.String(64), nullable=True),
    )
    op.create_index("ix_events_stream_seq", "events", ["stream", "seq"])
    op.create_index("ix_events_kind_seq", "events", ["kind", "seq"])
    if op.get_bind().dialect.name == "postgresql":
        op.create_table(
            "event_checkpoints",
            sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
            sa.Column("hash", sa.String(64), nullable=False),
            sa.Column("recorded_at", sa.String(40), nullable=False),
        )
        op.execute("CREATE FUNCTION event_store_append_only() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{_APPEND_ONLY}: % on %', TG_OP, TG_TABLE_NAME; END $$ LANGUAGE plpgsql")
        for table in ("events", "event_checkpoints"):
            op.execute(f"CREATE TRIGGER {table}_no_update_delete BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION event_store_append_only()")
            op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                       "FOR EACH STATEMENT EXECUTE FUNCTION event_store_append_only()")
    else:
        for action in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                       f"BEGIN SELECT RAISE(ABORT, '{_APPEND_ONLY}'); END")


def downgrade() -> None:
    raise NotImplementedError("the event store is append-only: there is no way back that keeps the events")
