"""Alembic environment: runs on the connection the event store passes in, which already
holds the append lock, so that concurrent first openings migrate one at a time."""

from __future__ import annotations

from alembic import context

attributes = context.config.attributes
context.configure(connection=attributes["connection"], version_table=attributes["version_table"])
with context.begin_transaction():
    context.run_migrations()
