"""The store's Alembic migrations: the schema they make is the one the code reads and writes,
and a room above contributes its own revisions without the store knowing about them."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import Connection

from safety_rules import EvaluationLog, Event, EventStore, EventStoreError, Migrations, NewEvent
from safety_rules.experts._evaluation_log import index_table
from safety_rules.experts._records import assignment_table, finding_table
from safety_rules.shared._events import checkpoints_table, events_table

from ..conftest import FIXTURES

ROOM = Migrations("room", FIXTURES / "room_migrations")


def test_the_migrated_schema_is_the_one_the_code_uses(url: str) -> None:
    log = EvaluationLog(url)
    expected = sa.MetaData()
    tables = [events_table, index_table, assignment_table, finding_table]
    if log.store.engine.dialect.name == "postgresql":
        tables.append(checkpoints_table)  # SQLite keeps its checkpoints in a file
    for table in tables:
        table.to_metadata(expected)
    with log.store.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={
            "include_name": lambda name, kind, _parent: kind != "table" or name in expected.tables})
        assert compare_metadata(context, expected) == []
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_events")).scalar() == "events_0001"
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_experts")).scalar() == "experts_0002"


def _project(conn: Connection, events: Sequence[Event]) -> None:
    conn.execute(sa.text("INSERT INTO room_findings (seq, enterprise, finding) VALUES (:seq, :e, :f)"),
                 [{"seq": e.seq, "e": e.stream.split("/")[1], "f": e.payload["finding"]} for e in events])


def _reset(conn: Connection) -> None:
    conn.execute(sa.text("DELETE FROM room_findings"))


def test_a_higher_room_contributes_its_own_revisions_and_read_table(url: str) -> None:
    store = EventStore(url, migrations=[ROOM])
    store.append([NewEvent("dossier/LY-001", "finding", {"finding": "除尘系统未设泄爆装置"}),
                  NewEvent("dossier/LY-002", "finding", {"finding": "粉尘清扫制度未落实"})], project=_project)
    # Rooms that do not know about each other open the same database, each with its own revisions.
    EvaluationLog(url)
    EventStore(url).append([NewEvent("registry/assignments", "assigned", {"expert": "EXP-D03"})])
    store.append([NewEvent("dossier/LY-001", "finding", {"finding": "未建立隐患排查台账"})], project=_project)
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT version_num FROM alembic_version_room")).scalar() == "room_0001"
        rows = conn.execute(sa.text("SELECT seq, enterprise FROM room_findings ORDER BY seq")).all()
    assert [tuple(r) for r in rows] == [(1, "LY-001"), (2, "LY-002"), (4, "LY-001")]
    store.rebuild(_reset, _project, stream="dossier/LY-001")  # derived state: remade from the events
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT seq FROM room_findings ORDER BY seq")).scalars().all() == [1, 4]
    assert EventStore(url, migrations=[ROOM], read_only=True).verify().ok


def test_a_schema_from_a_newer_version_is_a_clear_error(url: str) -> None:
    store = EventStore(url)
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version_events SET version_num = 'events_0099'"))
    with pytest.raises(EventStoreError, match="events at events_0099, expected events_0001"):
        EventStore(url, read_only=True)
    with pytest.raises(EventStoreError, match="cannot bring the event store's schema up to date: Can't locate "
                                              "revision identified by 'events_0099'"):
        EventStore(url)
