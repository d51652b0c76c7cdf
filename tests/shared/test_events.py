"""The event store: batches and projections, reading, verification of every kind of tampering,
concurrent and killed writers, read-only opening, checkpoints, HMAC and PostgreSQL roles.

Each test that takes ``url`` runs on SQLite and on PostgreSQL (see tests/conftest.py).
"""

from __future__ import annotations

import json
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine import Connection

from safety_rules import Event, EventStore, EventStoreError, EventValueError, LogIntegrityError, NewEvent
from safety_rules.shared._events import GENESIS, default_url, event_hash

from ..conftest import PG, PG_URL, postgres_database, tamper

KEY = "a key only the bureau's servers hold"


def ev(k: int, stream: str = "dossier/LY-001", kind: str = "inspection") -> NewEvent:
    return NewEvent(stream, kind, {"k": k, "note": "现场检查"})


def fill(store: EventStore, n: int) -> list[Event]:
    """n events, each appended on its own (so every head is checkpointed)."""
    return [store.append([ev(k)])[0] for k in range(1, n + 1)]


# ----------------------------------------------------------------------------- basics
def test_append_and_read_by_stream_kind_and_seq(url: str) -> None:
    store = EventStore(url)
    assert store.head() == (0, GENESIS) and store.verify().ok
    first = store.append([ev(1), ev(2, "experts/evaluations", "evaluation")])
    second = store.append([ev(3, kind="finding")])
    assert [e.seq for e in first + second] == [1, 2, 3]
    assert first[1].prev_hash == first[0].hash and second[0].prev_hash == first[1].hash
    assert [e.payload["k"] for e in store.events(stream="dossier/LY-001")] == [1, 3]
    assert [e.seq for e in store.events(kind="evaluation")] == [2]
    assert [e.seq for e in store.events(after=1)] == [2, 3]
    assert [e.seq for e in store.events(after=0, upto=2)] == [1, 2]
    assert list(store.events()) == first + second  # what append returns is what is read back
    assert store.head() == (3, second[0].hash)
    assert store.verify(anchor=first[0].hash).ok
    assert [e.hash for e in EventStore(url).events()] == [e.hash for e in first + second]


def test_a_refusing_projection_leaves_nothing_written(url: str) -> None:
    store = EventStore(url)
    store.append([ev(1)])
    seen: list[Sequence[Event]] = []

    def refuse_the_third(conn: Connection, events: Sequence[Event]) -> None:
        seen.append(events)
        if len(events) >= 3:
            raise EventValueError("refused by the room")

    with pytest.raises(EventValueError, match="refused by the room"):
        store.append([ev(2), ev(3), ev(4)], project=refuse_the_third)
    assert [e.seq for e in seen[0]] == [2, 3, 4]  # the projection saw the events as they would be stored
    assert store.head()[0] == 1 and store.verify().ok
    written = store.append([ev(5)], project=refuse_the_third)
    assert written[0].seq == 2


def test_follow_up_events_are_appended_in_the_same_transaction(url: str) -> None:
    store = EventStore(url)
    store.append([ev(1)])
    projected: list[list[int]] = []

    def outcome_of_the_decision(events: Sequence[Event]) -> tuple[list[NewEvent], Any]:
        # the follow-up names the batch's events as stored, and goes through its own projection
        return [ev(10 + e.seq, "experts/outcomes", "outcome") for e in events], project

    def project(conn: Connection, events: Sequence[Event]) -> None:
        projected.append([e.seq for e in events])
        if any(e.payload["k"] > 13 for e in events):
            raise EventValueError("refused by the other room")

    written = store.append([ev(2)], follow=outcome_of_the_decision)
    assert [(e.seq, e.stream, e.payload["k"]) for e in written] == [(2, "dossier/LY-001", 2),
                                                                    (3, "experts/outcomes", 12)]
    assert projected == [[3]] and store.verify().ok
    with pytest.raises(EventValueError, match="other room"):
        store.append([ev(4), ev(5)], follow=outcome_of_the_decision)  # follow-ups 14, 15: refused
    assert store.head()[0] == 3 and store.verify().ok  # the batch they followed is not written either
    assert store.append([ev(6)], follow=lambda events: ([], None))[-1].seq == 4


@pytest.mark.parametrize(("event", "words"), [
    (NewEvent("s" * 201, "k", {}), "event stream 'sss"),
    (NewEvent("dossier/LY\x00-001", "k", {}), "event stream 'dossier/LY\\x00-001' must be 1 to 200 characters"),
    (NewEvent("dossier", "k" * 101, {}), "must be 1 to 100 characters"),
    (NewEvent("dossier", "", {}), "event kind '' must be"),
    (NewEvent("dossier", "k", {"remark": "\ud800"}), "cannot be stored as JSON: 'utf-8' codec can't encode"),
    (NewEvent("dossier", "k", {"x": float("nan")}), "cannot be stored as JSON: Out of range float values"),
    (NewEvent("dossier", "k", {"when": object()}), "cannot be stored as JSON: Object of type object"),
])
def test_values_postgresql_would_refuse_are_refused_alike_before_writing(url: str, event: NewEvent,
                                                                        words: str) -> None:
    store = EventStore(url)
    with pytest.raises(EventValueError) as caught:
        store.append([ev(1), event])
    assert words in str(caught.value)
    assert store.head()[0] == 0
    # A NUL inside a payload string is stored escaped, so both databases keep it as it was.
    assert store.append([NewEvent("dossier", "k", {"remark": "a\x00b"})])[0].payload == {"remark": "a\x00b"}
    assert next(store.events()).payload == {"remark": "a\x00b"}


def test_database_refuses_update_delete_and_truncate(url: str) -> None:
    store = EventStore(url)
    fill(store, 2)
    statements = ["UPDATE events SET kind = 'x'", "DELETE FROM events"]
    if store.engine.dialect.name == "postgresql":
        statements += ["TRUNCATE events", "TRUNCATE event_checkpoints", "DELETE FROM event_checkpoints"]
    for statement in statements:
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), store.engine.begin() as c:
            c.execute(sa.text(statement))
    assert store.verify().ok and store.head()[0] == 2


def test_default_location_is_the_user_data_directory_or_the_variable(monkeypatch: pytest.MonkeyPatch,
                                                                     tmp_path: Path) -> None:
    monkeypatch.delenv("SAFETY_RULES_LOG", raising=False)
    monkeypatch.chdir(tmp_path)
    default = default_url()
    assert default.startswith("sqlite:////") and default.endswith("/safety-rules/events.sqlite3")
    assert str(tmp_path) not in default
    monkeypatch.setenv("SAFETY_RULES_LOG", "archive/log.sqlite3")
    assert default_url() == f"sqlite:///{tmp_path / 'archive' / 'log.sqlite3'}"
    monkeypatch.setenv("SAFETY_RULES_LOG", "postgresql+psycopg://app@db/bureau")
    assert default_url() == "postgresql+psycopg://app@db/bureau"


# ----------------------------------------------------------------------------- tampering
def _rewrite_from(url: str, start: int, store: EventStore) -> None:
    """A consistent rewrite: events from ``start`` on altered and rehashed into a valid chain."""
    rows = list(store.events())
    prev = rows[start - 2].hash if start > 1 else GENESIS
    statements: list[tuple[str, dict[str, object]]] = [("DELETE FROM events WHERE seq >= :s", {"s": start})]
    for e in rows[start - 1:]:
        payload = json.dumps({**e.payload, "note": "改写"}, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        h = event_hash(e.seq, e.stream, e.kind, e.recorded_at, payload, prev)
        statements.append(("INSERT INTO events (seq, stream, kind, recorded_at, payload, prev_hash, hash) "
                           "VALUES (:seq, :stream, :kind, :at, :payload, :prev, :hash)",
                           {"seq": e.seq, "stream": e.stream, "kind": e.kind, "at": e.recorded_at,
                            "payload": payload, "prev": prev, "hash": h}))
        prev = h
    tamper(url, *statements)


def _forge_append(url: str, store: EventStore, mac: str | None) -> None:
    """An event appended behind the store's back, with a correct hash but no valid HMAC."""
    seq, prev = store.head()
    payload = '{"k":99}'
    at = "2024-06-01T08:00:00.000000+00:00"
    h = event_hash(seq + 1, "dossier/LY-001", "penalty", at, payload, prev)
    tamper(url, ("INSERT INTO events (seq, stream, kind, recorded_at, payload, prev_hash, hash, mac) "
                 "VALUES (:seq, 'dossier/LY-001', 'penalty', :at, :payload, :prev, :hash, :mac)",
                 {"seq": seq + 1, "at": at, "payload": payload, "prev": prev, "hash": h, "mac": mac}))


@pytest.mark.parametrize("kind", ["altered", "deleted", "swapped", "truncated", "rewritten", "forged",
                                  "forged-mac"])
def test_every_kind_of_tampering_is_detected(url: str, kind: str) -> None:
    key = KEY if kind.startswith("forged") else None
    store = EventStore(url, hmac_key=key)
    fill(store, 5)
    assert store.verify().ok
    if kind == "altered":
        tamper(url, ("UPDATE events SET payload = :p WHERE seq = 3", {"p": '{"k":3,"note":"无隐患"}'}))
        expected, words = 3, "the event was altered"
    elif kind == "deleted":
        tamper(url, ("DELETE FROM events WHERE seq = 3", {}))
        expected, words = 3, "event seq 3 is missing"
    elif kind == "swapped":
        tamper(url, ("UPDATE events SET seq = -1 WHERE seq = 2", {}), ("UPDATE events SET seq = 2 WHERE seq = 4", {}),
               ("UPDATE events SET seq = 4 WHERE seq = -1", {}))
        expected, words = 2, "events removed or moved"
    elif kind == "truncated":  # no anchor kept: the checkpoint notices
        tamper(url, ("DELETE FROM events WHERE seq >= 4", {}))
        expected, words = 4, "but the chain ends at seq 3: events removed from the end"
    elif kind == "rewritten":
        _rewrite_from(url, 2, store)
        expected, words = 2, "hash differs from the one checkpointed"
    else:
        _forge_append(url, store, None if kind == "forged" else "0" * 64)
        expected = 6
        words = "no HMAC although events from seq 1 on" if kind == "forged" else "HMAC does not match"
    result = EventStore(url, hmac_key=key, read_only=True).verify()
    assert not result.ok
    assert result.first_bad_seq == expected, result
    assert words in str(result)
    with pytest.raises(LogIntegrityError, match="broken at seq"):
        EventStore(url, hmac_key=key, read_only=True).verified()
    if kind == "rewritten":
        assert EventStore(url, read_only=True).verify(anchor=store.head()[1]).first_bad_seq == 2
        assert [(c.name, c.ok) for c in EventStore(url, read_only=True).verify().checks] == [("checkpoints", False)]


def test_a_forged_append_is_not_built_upon(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETY_RULES_HMAC_KEY", raising=False)
    store = EventStore(url, hmac_key=KEY)
    fill(store, 2)
    _forge_append(url, store, None)
    with pytest.raises(LogIntegrityError, match="has no HMAC although earlier ones do"):
        store.append([ev(3)])
    tamper(url, ("DELETE FROM events WHERE seq = 3", {}))  # the forgery gone, the head has a valid MAC again
    with pytest.raises(LogIntegrityError, match="does not match the configured HMAC key"):
        EventStore(url, hmac_key="not the key").append([ev(3)])
    with pytest.raises(EventStoreError, match=r"are authenticated \(HMAC\); set \$SAFETY_RULES_HMAC_KEY"):
        EventStore(url).append([ev(3)])
    assert [e.seq for e in store.append([ev(3)])] == [3] and store.verify().ok


def test_hmac_reports_what_it_checked(url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SAFETY_RULES_HMAC_KEY", raising=False)
    fill(EventStore(url), 2)  # written before a key was configured
    monkeypatch.setenv("SAFETY_RULES_HMAC_KEY", KEY)
    keyed = EventStore(url)
    result = keyed.verify()
    assert not result.ok and "no event carries an HMAC" in str(result)
    keyed.append([ev(3)])
    result = keyed.verify()
    assert result.ok and "every event from seq 3 on is authenticated; events 1-2 are covered" in str(result)
    monkeypatch.delenv("SAFETY_RULES_HMAC_KEY")
    unkeyed = EventStore(url, read_only=True).verify()
    assert unkeyed.ok and "hmac: not made — no key configured" in str(unkeyed)
    assert "although events carry HMACs" in str(unkeyed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 6), data=st.data())
def test_any_single_altered_deleted_or_swapped_event_is_named(tmp_path: Path, n: int, data: st.DataObject) -> None:
    url = f"sqlite:///{tmp_path / f'{uuid.uuid4().hex}.sqlite3'}"
    store = EventStore(url)
    store.append([ev(k) for k in range(n)])  # one batch: only the last head is checkpointed
    target = data.draw(st.integers(1, n))
    op = data.draw(st.sampled_from(["alter", "alter-hash", "delete", "swap", "bad-bytes"] if n > 1
                                   else ["alter", "delete", "bad-bytes"]))
    if op == "alter":
        tamper(url, ("UPDATE events SET recorded_at = '2017-09-05T00:00:00.000000+00:00' WHERE seq = :s",
                     {"s": target}))
    elif op == "alter-hash":  # change content and rehash it: the next event (or the checkpoint) catches it
        e = next(store.events(after=target - 1))
        h = event_hash(e.seq, e.stream, "x", e.recorded_at, json.dumps(e.payload, sort_keys=True,
                       ensure_ascii=False, separators=(",", ":")), e.prev_hash)
        tamper(url, ("UPDATE events SET kind = 'x', hash = :h WHERE seq = :s", {"s": target, "h": h}))
    elif op == "delete":
        tamper(url, ("DELETE FROM events WHERE seq = :s", {"s": target}))
    elif op == "bad-bytes":  # a value of the wrong type, or not UTF-8, is reported, not a crash
        column = data.draw(st.sampled_from(["payload", "stream", "mac"]))
        tamper(url, (f"UPDATE events SET {column} = CAST(X'FF61' AS {data.draw(st.sampled_from(['TEXT', 'BLOB']))})"
                     " WHERE seq = :s", {"s": target}))
    else:
        other = data.draw(st.integers(1, n).filter(lambda x: x != target))
        a, b = sorted((target, other))
        tamper(url, ("UPDATE events SET seq = -1 WHERE seq = :a", {"a": a}),
               ("UPDATE events SET seq = :a WHERE seq = :b", {"a": a, "b": b}),
               ("UPDATE events SET seq = :b WHERE seq = -1", {"b": b}))
        target = a
    result = EventStore(url, read_only=True).verify()
    if op == "bad-bytes" and column == "mac":
        assert result.ok  # without a key the MAC column is not read: said so in the hmac check
        assert "hmac: not made" in str(result)
        return
    assert not result.ok, (op, target, n)
    expected = target + 1 if op == "alter-hash" and target < n else target
    assert result.first_bad_seq == expected, (op, target, n, str(result))


# ----------------------------------------------------------------------------- writers
WRITER = """
import sys
from safety_rules.shared._events import EventStore, NewEvent
url, name, count, batch = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
store = EventStore(url)
for k in range(0, count, batch):
    store.append([NewEvent("dossier/LY-001", "finding", {"officer": name, "k": k + j}) for j in range(batch)])
    if count > 100000:
        print(k, flush=True)
"""


def _writer(url: str, name: str, count: int, batch: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", WRITER, url, name, str(count), str(batch)], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_concurrent_appenders_lose_nothing_and_never_fork(url: str) -> None:
    writers = [_writer(url, f"W{i}", 150, batch=1 + 2 * (i % 2)) for i in range(4)]  # racing to create it too
    for w in writers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    store = EventStore(url, read_only=True)
    events = list(store.events())
    assert [e.seq for e in events] == list(range(1, 601))
    assert {(e.payload["officer"], e.payload["k"]) for e in events} == {
        (f"W{i}", k) for i in range(4) for k in range(150)}
    result = store.verify()
    assert result.ok and all(c.ok for c in result.checks if c.made), result


def test_writer_killed_mid_append_leaves_a_valid_chain(url: str) -> None:
    EventStore(url)
    w = _writer(url, "K", 10**7, batch=7)
    assert w.stdout is not None
    while int(w.stdout.readline() or -1) < 350:  # let it write a while, then kill it mid-batch
        pass
    w.send_signal(signal.SIGKILL)
    w.wait(timeout=30)
    time.sleep(0.2)
    store = EventStore(url)
    count = store.head()[0]
    assert count >= 350 and count % 7 == 0  # whole batches only
    assert store.verify().ok
    store.append([ev(1)])
    result = store.verify()
    assert result.ok and result.head_seq == count + 1 and result.checks[1].ok


def test_a_checkpoint_line_torn_by_a_crash_is_tolerated(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "s.sqlite3")
    fill(store, 2)
    assert store.checkpoint_path is not None
    with store.checkpoint_path.open("a") as f:
        f.write('\n{"seq":3,"ha')  # what a write cut short leaves
    fill(store, 1)
    result = store.verify()
    assert result.ok and "3 heads in" in str(result) and "1 unreadable line(s) ignored" in str(result)


# ----------------------------------------------------------------------------- read-only
def test_read_only_opening_of_a_missing_path_creates_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "archiv" / "store.sqlite3"  # a typo for archive/
    with pytest.raises(EventStoreError) as caught:
        EventStore(missing, read_only=True)
    assert str(missing) in str(caught.value) and "does not exist" in str(caught.value)
    assert not (tmp_path / "archiv").exists()
    with pytest.raises(EventStoreError, match="does not exist"):
        EventStore(f"sqlite:///{tmp_path / 'store.sqlite3'}", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_read_only_opening_of_an_empty_database_is_an_error_not_zero_events(url: str) -> None:
    if url.startswith("sqlite"):
        sqlite3.connect(url.removeprefix("sqlite:///")).close()  # an empty file, not a store
    with pytest.raises(EventStoreError, match=r"no event store, or one of another schema version \(events at "
                                              r"nothing, expected events_0001"):
        EventStore(url, read_only=True)


def test_read_only_copy_in_a_read_only_directory(tmp_path: Path) -> None:
    live = EventStore(tmp_path / "live.sqlite3")
    fill(live, 3)
    live.dispose()  # the last connection folds the WAL into the database file
    archive = tmp_path / "archive"
    archive.mkdir()
    for name in ("live.sqlite3", "live.sqlite3-checkpoints"):
        shutil.copy(tmp_path / name, archive / name)
        (archive / name).chmod(0o444)
    archive.chmod(0o555)
    before = {p.name: p.read_bytes() for p in archive.iterdir()}
    try:
        result = EventStore(archive / "live.sqlite3", read_only=True).verify()
        assert result.ok and result.head_seq == 3 and result.checks[1].made, result
        assert {p.name: p.read_bytes() for p in archive.iterdir()} == before  # no -wal, -shm or anything
        with pytest.raises(EventStoreError, match="open read-only"):
            EventStore(archive / "live.sqlite3", read_only=True).append([ev(4)])
    finally:
        archive.chmod(0o755)


def test_readers_do_not_wait_behind_a_writer(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    fill(EventStore(path), 2)
    writer = sqlite3.connect(path, isolation_level=None, timeout=0)
    writer.execute("BEGIN IMMEDIATE")  # a writer in the middle of its transaction
    writer.execute("INSERT INTO events VALUES (3, 's', 'k', 'now', '{}', :p, 'h', NULL)",
                   {"p": "x" * 64})
    try:
        for reader in (EventStore(path, read_only=True), EventStore(path)):  # a writer's own reads too
            assert reader.verify().head_seq == 2 and len(list(reader.events())) == 2 and reader.head()[0] == 2
    finally:
        writer.execute("ROLLBACK")
        writer.close()


# ----------------------------------------------------------------------------- PostgreSQL roles
@pytest.mark.skipif(not PG, reason="no PostgreSQL server reachable (set SAFETY_RULES_TEST_PG_URL)")
def test_postgres_application_role_can_only_append_and_reader_only_read() -> None:
    assert PG_URL is not None
    suffix = uuid.uuid4().hex[:8]
    owner, app, reader = f"owner_{suffix}", f"app_{suffix}", f"reader_{suffix}"
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        for role in (owner, app, reader):
            c.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
    try:
        with postgres_database(owner=owner) as url:
            as_role = {role: sa.make_url(url).set(username=role).render_as_string(hide_password=False)
                       for role in (owner, app, reader)}
            from safety_rules import EvaluationLog
            statements = EvaluationLog(as_role[owner]).grant_postgres_roles(app, reader)
            assert f"GRANT SELECT, INSERT ON events, event_checkpoints TO {app}" in statements
            app_store = EventStore(as_role[app])
            fill(app_store, 3)
            with app_store.engine.connect() as c:
                for statement, refusal in [("UPDATE events SET kind = 'x'", "permission denied"),
                                           ("DELETE FROM events", "permission denied"),
                                           ("TRUNCATE events", "permission denied"),
                                           ("DELETE FROM event_checkpoints", "permission denied"),
                                           ("ALTER TABLE events DISABLE TRIGGER USER", "must be owner"),
                                           ("DROP TRIGGER events_no_truncate ON events", "must be owner"),
                                           ("CREATE TABLE intruder (x int)", "permission denied")]:
                    with pytest.raises(sa.exc.DBAPIError, match=refusal):
                        c.execute(sa.text(statement))
                    c.rollback()
            owner_engine = sa.create_engine(as_role[owner])
            with pytest.raises(sa.exc.DBAPIError, match="append-only"), owner_engine.begin() as c:
                c.execute(sa.text("TRUNCATE events"))
            owner_engine.dispose()
            reading = EventStore(as_role[reader], read_only=True)
            assert reading.verify().ok and reading.head()[0] == 3
            with pytest.raises(EventStoreError, match="permission denied"):
                EventStore(as_role[reader]).append([ev(4)])
            for store in (app_store, reading):
                store.dispose()
    finally:
        with admin.connect() as c:
            for role in (owner, app, reader):
                c.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        admin.dispose()


def test_postgres_read_only_opening_takes_no_lock_and_writes_nothing() -> None:
    with postgres_database() as url:
        fill(EventStore(url), 2)
        holder = sa.create_engine(url)
        with holder.connect() as c:
            c.execute(sa.text("SELECT pg_advisory_lock(7301953)"))  # a writer holding the append lock
            reading = EventStore(url, read_only=True)
            assert reading.verify().ok
            with pytest.raises(EventStoreError, match="read-only"):
                reading.append([ev(3)])
            with pytest.raises(sa.exc.DBAPIError, match="read-only transaction"), reading.engine.connect() as r:
                r.execute(sa.text("INSERT INTO event_checkpoints VALUES (9, 'h', 'now')"))
            c.execute(sa.text("SELECT pg_advisory_unlock(7301953)"))
            reading.dispose()
        holder.dispose()

