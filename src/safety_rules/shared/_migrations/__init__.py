"""Alembic environment of the event store (``env.py``) and its revisions (``versions/``).

The environment is shared by every room that contributes revisions: each passes its own
directory and version table (:class:`safety_rules.shared._events.Migrations`).
"""
