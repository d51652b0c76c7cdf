"""The event store's own revisions (version table ``alembic_version_events``)."""
