"""The expert room's Alembic revisions (version table ``alembic_version_experts``), run by
the event store after its own."""
