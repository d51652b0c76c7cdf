"""The dossier room's Alembic revisions (version table ``alembic_version_dossier``), run by the
event store after its own."""
