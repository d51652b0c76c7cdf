"""The event store: one append-only, hash-chained sequence of events that every room writes to.

An event has a global sequence number, a stream (``experts/evaluations``,
``dossier/LY-001``), a kind, the time it was recorded, a JSON payload, the previous
event's hash and its own hash: SHA-256 over all of these, so each hash covers the whole
chain before it. ``docs/events.md`` describes the schema, the checks and their limits.

Append-only
    The API has no update or delete, and triggers refuse UPDATE and DELETE (and on
    PostgreSQL TRUNCATE) on the events and checkpoint tables. With
    :func:`postgres_grants` the application role can only SELECT and INSERT and does not
    own the tables, so it cannot disable the triggers either.

Batches and projections
    :meth:`EventStore.append` writes a batch in one transaction. A room keeps its own
    indexed read tables (derived state, rebuildable from the events with
    :meth:`EventStore.rebuild`) through a projection callback that runs in the same
    transaction before the events are inserted: a projection that raises leaves nothing
    written.

Concurrency
    Appends are serialised by the database: ``BEGIN IMMEDIATE`` on SQLite (WAL, busy
    timeout), a transaction-scoped advisory lock on PostgreSQL. The chain is a total
    order in which every append reads the head and extends it, so appends cannot run in
    parallel in any case; under SERIALIZABLE all but one of the concurrent appenders would
    fail and retry, wasting work and starving under contention, whereas the lock queues
    them. ``prev_hash`` is UNIQUE as a backstop: two appends can never extend the same
    head. A writer killed mid-append leaves nothing: its transaction never commits.

Tail truncation and consistent rewrites
    Every append also records the new head (seq, hash) in an append-only checkpoint: a
    file beside a SQLite database (``<database>-checkpoints``, one JSON line per append,
    written after the commit, so it may lag but never leads), a table on PostgreSQL
    written in the same transaction. :meth:`EventStore.verify` checks that every
    checkpointed head is still in the chain.

HMAC
    With a key (``hmac_key`` or ``$SAFETY_RULES_HMAC_KEY``) each event also carries
    HMAC-SHA-256 of its hash. As the hash covers everything before it, one valid MAC
    authenticates the whole prefix; from the first authenticated event on, every event
    must carry a valid MAC, so an append forged without the key fails verification.

Migrations
    The schema is made by Alembic. Each contributor (this room, and any room above that
    passes a :class:`Migrations`) is its own Alembic environment with its own version
    table, so the rooms' revisions never need to know about each other; this room's run
    first.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    select,
    text,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import NullPool

from ._errors import EventStoreError, EventValueError, LogIntegrityError

GENESIS = "0" * 64
STREAM_MAX = 200
KIND_MAX = 100
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:/-]*")
_PG_LOCK_KEY = 7_301_953  # any constant: the advisory lock that serialises appends
_APPEND_LOCK = "safety_rules_append_lock"  # execution option: this transaction writes (SQLite BEGIN IMMEDIATE)
_MIGRATIONS = Path(__file__).with_name("_migrations")
KEY_VARIABLE = "SAFETY_RULES_HMAC_KEY"
LOCATION_VARIABLE = "SAFETY_RULES_LOG"

metadata = MetaData()

events_table = Table(
    "events", metadata,
    # INTEGER on SQLite makes seq the rowid, so reading in chain order needs no extra index.
    Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("stream", String(STREAM_MAX), nullable=False),
    Column("kind", String(KIND_MAX), nullable=False),
    Column("recorded_at", String(40), nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
    Column("mac", String(64), nullable=True),
    Index("ix_events_stream_seq", "stream", "seq"),
    Index("ix_events_kind_seq", "kind", "seq"),
)

checkpoints_table = Table(  # PostgreSQL only; SQLite keeps its checkpoints in a file
    "event_checkpoints", metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("recorded_at", String(40), nullable=False),
)


@dataclass(frozen=True)
class NewEvent:
    """An event to append. ``payload`` must be JSON: str keys; str, int, float, bool, None, lists, dicts.

    ``recorded_at`` is for carrying over events recorded elsewhere (migrations); it
    defaults to the time of the append.
    """

    stream: str
    kind: str
    payload: Mapping[str, Any]
    recorded_at: dt.datetime | None = None


@dataclass(frozen=True)
class Event:
    """An event as stored, with its place in the chain."""

    seq: int
    stream: str
    kind: str
    recorded_at: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str
    mac: str | None = None


@dataclass(frozen=True)
class Migrations:
    """A room's own Alembic revisions: a directory of revision files and the name of its version table.

    The revisions run after the event store's own, each room in its own environment
    (version table ``alembic_version_<name>``). A revision can read
    ``context.config.attributes["hmac_key"]`` and append events with :func:`append_events`.
    """

    name: str
    location: Path

    @property
    def version_table(self) -> str:
        return f"alembic_version_{self.name}"


STORE_MIGRATIONS = Migrations("events", _MIGRATIONS / "versions")


@dataclass(frozen=True)
class VerificationCheck:
    """One of the checks :meth:`EventStore.verify` makes, or says it could not make."""

    name: str
    made: bool
    ok: bool
    detail: str

    def __str__(self) -> str:
        state = ("ok" if self.ok else "FAILED") if self.made else "not made"
        return f"{self.name}: {state} — {self.detail}"


@dataclass(frozen=True)
class Verification:
    """The result of :meth:`EventStore.verify`: the first problem found, and which checks were made."""

    ok: bool
    events: int
    head_seq: int
    head: str
    first_bad_seq: int | None = None
    stream: str | None = None
    problem: str | None = None
    checks: tuple[VerificationCheck, ...] = field(default_factory=tuple)

    def __str__(self) -> str:
        if self.ok:
            first = f"ok: {self.events} events, head seq {self.head_seq} {self.head}"
        else:
            where = f" ({self.stream})" if self.stream else ""
            first = f"broken at seq {self.first_bad_seq}{where}: {self.problem}"
        return "\n".join([first, *(f"  {c}" for c in self.checks)])


Projection = Callable[[Connection, Sequence[Event]], None]
FollowUp = Callable[[Sequence[Event]], tuple[Sequence[NewEvent], Projection | None]]


def default_url() -> str:
    """``$SAFETY_RULES_LOG``, else ``events.sqlite3`` in the platform's user-data directory."""
    configured = os.environ.get(LOCATION_VARIABLE)
    if configured:
        return store_url(configured)
    return store_url(platformdirs.user_data_path("safety-rules") / "events.sqlite3")


def store_url(location: str | Path) -> str:
    """A SQLAlchemy URL for ``location``: a URL as given, a plain path as a SQLite file."""
    if isinstance(location, str) and "://" in location:
        return location
    return f"sqlite:///{Path(location).expanduser().absolute()}"


def _key(value: str | bytes | None) -> bytes | None:
    if value is None:
        value = os.environ.get(KEY_VARIABLE) or None
    if isinstance(value, str):
        value = value.encode("utf-8")
    return value or None


def canonical_json(payload: Mapping[str, Any]) -> str:
    """The payload as stored and hashed: sorted keys, no spaces, no NaN; raises EventValueError."""
    if not isinstance(payload, Mapping):
        raise EventValueError(f"an event payload must be a mapping, got {type(payload).__name__}")
    try:
        text_ = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        text_.encode("utf-8")
    except (TypeError, ValueError) as exc:  # UnicodeEncodeError is a ValueError
        raise EventValueError(f"the event payload cannot be stored as JSON: {exc}") from None
    return text_


def _check_name(what: str, value: object, limit: int) -> None:
    if not isinstance(value, str) or not _NAME.fullmatch(value) or len(value) > limit:
        raise EventValueError(
            f"event {what} {value!r} must be 1 to {limit} characters of A-Z a-z 0-9 . _ : / - "
            "(starting with a letter or digit)", field=what)


def event_hash(seq: object, stream: object, kind: object, recorded_at: object, payload: object,
               prev_hash: object) -> str:
    """SHA-256 of an event's content, its sequence number and the previous hash.

    Takes the values as read from the database, whatever their type, so that a tampered
    value makes a different hash (or a TypeError) rather than a crash elsewhere. ASCII
    JSON keeps the input encodable even for text that is not valid Unicode.
    """
    content = json.dumps([seq, stream, kind, recorded_at, payload, prev_hash], separators=(",", ":"))
    return hashlib.sha256(content.encode("ascii")).hexdigest()


def event_mac(key: bytes, hash_: str) -> str:
    return hmac.new(key, hash_.encode("ascii"), hashlib.sha256).hexdigest()


def _timestamp(at: dt.datetime | None) -> str:
    moment = at or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        raise EventValueError(f"recorded_at {moment.isoformat()} has no time zone")
    return moment.isoformat(timespec="microseconds")


def append_events(conn: Connection, new: Sequence[NewEvent], *, key: bytes | None,
                  project: Projection | None = None) -> list[Event]:
    """Append ``new`` on ``conn``, which must hold the append lock (see :meth:`EventStore.append`).

    Used by :meth:`EventStore.append` and by migrations that carry records over.
    """
    rows = [(e.stream, e.kind, canonical_json(e.payload), _timestamp(e.recorded_at)) for e in new]
    for e in new:
        _check_name("stream", e.stream, STREAM_MAX)
        _check_name("kind", e.kind, KIND_MAX)
    t = events_table.c
    head = conn.execute(select(t.seq, t.hash, t.mac).order_by(t.seq.desc()).limit(1)).first()
    seq, prev = (int(head.seq), str(head.hash)) if head else (0, GENESIS)
    if head is not None:
        _check_head_mac(conn, head.seq, head.hash, head.mac, key)
    written = []
    for stream, kind, payload, at in rows:
        seq += 1
        h = event_hash(seq, stream, kind, at, payload, prev)
        written.append(Event(seq, stream, kind, at, json.loads(payload), prev, h, event_mac(key, h) if key else None))
        prev = h
    if project is not None:
        project(conn, written)
    if written:
        conn.execute(events_table.insert(), [
            {"seq": w.seq, "stream": w.stream, "kind": w.kind, "recorded_at": w.recorded_at, "payload": payload,
             "prev_hash": w.prev_hash, "hash": w.hash, "mac": w.mac}
            for w, (_, _, payload, _) in zip(written, rows, strict=True)])
        if conn.dialect.name == "postgresql":
            last = written[-1]
            conn.execute(checkpoints_table.insert().values(seq=last.seq, hash=last.hash,
                                                           recorded_at=_timestamp(None)))
    return written


def _check_head_mac(conn: Connection, seq: int, hash_: str, mac: str | None, key: bytes | None) -> None:
    """Refuse to extend a chain whose head the configured key does not authenticate."""
    if mac is not None and key is None:
        raise EventStoreError(f"the events in this store are authenticated (HMAC); set ${KEY_VARIABLE} to append")
    if key is None:
        return
    if mac is None:
        authenticated = conn.execute(select(events_table.c.seq).where(events_table.c.mac.is_not(None)).limit(1))
        if authenticated.first() is not None:
            raise LogIntegrityError(f"the last event (seq {seq}) has no HMAC although earlier ones do: "
                                    "an append made without the key; run verify", seq=seq)
    elif not hmac.compare_digest(str(mac), event_mac(key, str(hash_))):
        raise LogIntegrityError(f"the last event (seq {seq}) does not match the configured HMAC key: "
                                "a wrong key, or an event forged without it", seq=seq)


def rebuild_projection(conn: Connection, reset: Callable[[Connection], None], project: Projection,
                       *, stream: str | None = None, batch: int = 1000) -> None:
    """Empty a projection's tables with ``reset`` and feed it every event (of ``stream``) again."""
    reset(conn)
    pending: list[Event] = []
    for e in _read(conn, stream=stream, kind=None, after=0, upto=None):
        pending.append(e)
        if len(pending) == batch:
            project(conn, pending)
            pending = []
    if pending:
        project(conn, pending)


def _read(conn: Connection, *, stream: str | None, kind: str | None, after: int,
          upto: int | None) -> Iterator[Event]:
    t = events_table.c
    query = select(events_table).where(t.seq > after).order_by(t.seq)
    if stream is not None:
        query = query.where(t.stream == stream)
    if kind is not None:
        query = query.where(t.kind == kind)
    if upto is not None:
        query = query.where(t.seq <= upto)
    # Per statement: Connection.execution_options would change the connection for what follows.
    for row in conn.execute(query, execution_options={"yield_per": 1000}):
        try:
            payload = json.loads(row.payload)
        except (TypeError, ValueError):
            raise LogIntegrityError(f"event seq {row.seq} has a payload that is not JSON: the store was "
                                    "altered; run verify", seq=row.seq) from None
        yield Event(row.seq, row.stream, row.kind, row.recorded_at, payload, row.prev_hash, row.hash, row.mac)


def _reason(exc: BaseException) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


class EventStore:
    """The event store at ``url`` (a SQLAlchemy URL or a file path; default :func:`default_url`).

    ``read_only``: never create or migrate anything; a missing SQLite file or an
    un-migrated database is an error. ``hmac_key``: authenticate events (default
    ``$SAFETY_RULES_HMAC_KEY``). ``migrations``: the calling rooms' own revisions, run
    after the store's own when the store is opened for writing.
    """

    def __init__(self, url: str | Path | None = None, *, read_only: bool = False,
                 hmac_key: str | bytes | None = None, migrations: Sequence[Migrations] = ()) -> None:
        self.url = store_url(url) if url is not None else default_url()
        self.read_only = read_only
        self._key = _key(hmac_key)
        self._migrations = (STORE_MIGRATIONS, *migrations)
        try:
            parsed = make_url(self.url)
        except ArgumentError:
            raise EventStoreError("not a database URL or path", path=self.url) from None
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        self.name = parsed.render_as_string(hide_password=True)
        self.path: Path | None = None
        if self.is_sqlite and parsed.database and parsed.database != ":memory:" \
                and not parsed.database.startswith("file:"):
            self.path = Path(parsed.database)
            self.name = str(self.path)
        self.checkpoint_path = self.path.with_name(self.path.name + "-checkpoints") if self.path else None
        try:
            self.engine = self._engine()
            with self.engine.connect() as conn:
                self._schema(conn)
                conn.commit()
        except SQLAlchemyError as exc:
            raise EventStoreError(f"cannot open the event store: {_reason(exc)}", path=self.name) from None
        except CommandError as exc:  # e.g. a revision made by a newer version of this library
            raise EventStoreError(f"cannot bring the event store's schema up to date: {exc}", path=self.name) from None

    # ------------------------------------------------------------------ opening
    def _engine(self) -> Engine:
        if not self.is_sqlite:
            if self.read_only:
                return create_engine(self.url, pool_pre_ping=True, isolation_level="REPEATABLE READ",
                                     execution_options={"postgresql_readonly": True})
            return create_engine(self.url, pool_pre_ping=True)
        if self.path is None:
            engine = create_engine(self.url)
        elif self.read_only:
            engine = self._read_only_sqlite(self.path)
        else:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(self.url, connect_args={"timeout": 60})
        writable = not self.read_only

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions (see _begin).
            dbapi_connection.isolation_level = None
            if writable:
                dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # An append takes the write lock before it reads the head; anything else takes a
            # snapshot and never waits for a writer (WAL).
            lock = writable and conn.get_execution_options().get(_APPEND_LOCK, False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if lock else "BEGIN")

        return engine

    def _read_only_sqlite(self, path: Path) -> Engine:
        if not path.is_file():
            raise EventStoreError("no event store: the file does not exist (nothing was created)", path=path)
        uri = path.absolute().as_uri()
        # An archived copy (no write bits on the file or its directory, no WAL file beside it)
        # cannot change while it is read: open it immutable, which needs no -shm/-wal files
        # and so works where they cannot be created. A live database is opened read-only
        # and shares SQLite's locks with its writers.
        archived = not path.with_name(path.name + "-wal").exists() and (
            not path.stat().st_mode & 0o222 or not path.parent.stat().st_mode & 0o222)
        uri += "?immutable=1" if archived else "?mode=ro"
        return create_engine("sqlite://", poolclass=NullPool,
                             creator=lambda: sqlite3.connect(uri, uri=True, timeout=60, check_same_thread=False))

    def _schema(self, conn: Connection) -> None:
        """Bring every contributor's schema to its head (writers), or check that it is there (readers)."""
        configs = [self._alembic(conn, m) for m in self._migrations]
        behind = [f"{m.name} at {', '.join(current) or 'nothing'}, expected {', '.join(heads)}"
                  for m, cfg in zip(self._migrations, configs, strict=True)
                  for current, heads in [self._revisions(conn, m, cfg)] if current != heads]
        if not behind:
            return
        if self.read_only:
            raise EventStoreError(
                f"no event store, or one of another schema version ({'; '.join(behind)}); open it once for "
                "writing to upgrade it", path=self.name, tables=sorted(inspect(conn).get_table_names()))
        with self._locked(conn):
            before = self._head(conn) if inspect(conn).has_table(events_table.name) else (0, GENESIS)
            for cfg in configs:
                command.upgrade(cfg, "heads")
            after = self._head(conn)
        if after != before:
            self._write_checkpoint(*after)

    def _alembic(self, conn: Connection, m: Migrations) -> Config:
        cfg = Config()
        cfg.set_main_option("script_location", str(_MIGRATIONS))
        cfg.set_main_option("version_locations", str(m.location))
        cfg.set_main_option("path_separator", "os")
        cfg.attributes.update(connection=conn, version_table=m.version_table, hmac_key=self._key)
        return cfg

    @staticmethod
    def _revisions(conn: Connection, m: Migrations, cfg: Config) -> tuple[list[str], list[str]]:
        """(the database's revisions, this code's heads) of one contributor."""
        heads = sorted(ScriptDirectory.from_config(cfg).get_heads())
        current = MigrationContext.configure(conn, opts={"version_table": m.version_table}).get_current_heads()
        return sorted(current), heads

    @contextmanager
    def _locked(self, conn: Connection) -> Iterator[None]:
        if conn.in_transaction():
            conn.rollback()  # the schema check's read snapshot; the write lock must come first
        conn.execution_options(**{_APPEND_LOCK: True})  # this connection is closed after the write
        with conn.begin():
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
            yield

    # ------------------------------------------------------------------ writing
    def append(self, new: Sequence[NewEvent], *, project: Projection | None = None,
               follow: FollowUp | None = None) -> list[Event]:
        """Append a batch of events atomically; returns them with their sequence numbers and hashes.

        ``project(connection, events)`` runs in the same transaction, before the events are
        inserted, with the events as they will be stored: a room updates its read tables
        there, and refuses the whole batch by raising.

        ``follow(events)``, called once the batch is projected and inserted, returns the events
        that follow from it (another room's records the batch settles) with that room's
        projection; they are appended after the batch in the same transaction, so both are
        written or neither.
        """
        self._writable()
        try:
            with self.engine.connect() as conn, self._locked(conn):
                written = append_events(conn, new, key=self._key, project=project)
                if follow is not None:
                    more, more_project = follow(written)
                    if more:
                        written += append_events(conn, more, key=self._key, project=more_project)
        except SQLAlchemyError as exc:
            raise EventStoreError(f"cannot write the event store: {_reason(exc)}", path=self.name) from None
        if written:
            self._write_checkpoint(written[-1].seq, written[-1].hash)
        return written

    def rebuild(self, reset: Callable[[Connection], None], project: Projection, *, stream: str | None = None) -> None:
        """Rebuild a projection from the events, in one write transaction (see :func:`rebuild_projection`)."""
        self._writable()
        try:
            with self.engine.connect() as conn, self._locked(conn):
                rebuild_projection(conn, reset, project, stream=stream)
        except SQLAlchemyError as exc:
            raise EventStoreError(f"cannot write the event store: {_reason(exc)}", path=self.name) from None

    def _writable(self) -> None:
        if self.read_only:
            raise EventStoreError("the event store is open read-only", path=self.name)

    def _write_checkpoint(self, seq: int, hash_: str) -> None:
        # After the commit, so a checkpoint never names an event that does not exist; one
        # write of one line with O_APPEND, so concurrent writers do not interleave. The line
        # starts with a newline so that one torn by a crash does not spoil the next.
        if self.checkpoint_path is None:
            return
        line = json.dumps({"seq": seq, "hash": hash_, "at": _timestamp(None)}, separators=(",", ":"))
        fd = os.open(self.checkpoint_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, ("\n" + line).encode("ascii"))
        finally:
            os.close(fd)

    # ------------------------------------------------------------------ reading
    @contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except SQLAlchemyError as exc:
            raise EventStoreError(f"cannot read the event store: {_reason(exc)}", path=self.name) from None

    def events(self, *, stream: str | None = None, kind: str | None = None, after: int = 0,
               upto: int | None = None) -> Iterator[Event]:
        """Events in chain order: of one stream and/or kind, with ``after < seq <= upto``."""
        with self._reading() as conn:
            yield from _read(conn, stream=stream, kind=kind, after=after, upto=upto)

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the last event; (0, GENESIS) when empty."""
        with self._reading() as conn:
            return self._head(conn)

    @staticmethod
    def _head(conn: Connection) -> tuple[int, str]:
        t = events_table.c
        last = conn.execute(select(t.seq, t.hash).order_by(t.seq.desc()).limit(1)).first()
        return (int(last.seq), str(last.hash)) if last else (0, GENESIS)

    def verify(self, anchor: str | None = None) -> Verification:
        """Walk the chain; report the first event altered, removed or moved, and every check made.

        ``anchor``: a head hash kept from an earlier write; the chain must still contain it.
        """
        # The checkpoint file first: each line was written after its commit, so every event it
        # names is in the snapshot read next.
        file_checkpoints, torn = self._file_checkpoints()
        with self._reading() as conn:
            return _Walk(self, conn, file_checkpoints, torn, anchor).run()

    def verified(self, anchor: str | None = None) -> Verification:
        """:meth:`verify`, raising :class:`LogIntegrityError` when a check fails."""
        result = self.verify(anchor)
        if not result.ok:
            raise LogIntegrityError(str(result), seq=result.first_bad_seq, stream=result.stream, path=self.name)
        return result

    def _file_checkpoints(self) -> tuple[dict[int, str] | None, int]:
        if self.checkpoint_path is None or not self.checkpoint_path.exists():
            return None, 0
        found: dict[int, str] = {}
        torn = 0
        with self.checkpoint_path.open(encoding="ascii", errors="replace") as f:
            for line in f:
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                    found[int(entry["seq"])] = str(entry["hash"])
                except (ValueError, KeyError, TypeError):
                    torn += 1
        return found, torn

    # ------------------------------------------------------------------ PostgreSQL roles
    def grant_postgres_roles(self, app_role: str, reader_role: str | None = None, *,
                             read_write_tables: Sequence[str] = ()) -> list[str]:
        """Run :func:`postgres_grants` as the connected (owner) role; returns the statements run."""
        if self.is_sqlite:
            raise EventStoreError("roles are a PostgreSQL feature; a SQLite store is protected by file permissions")
        statements = postgres_grants(app_role, reader_role, read_write_tables=read_write_tables,
                                     version_tables=[m.version_table for m in self._migrations])
        with self.engine.begin() as conn:
            for statement in statements:
                conn.exec_driver_sql(statement)
        return statements

    def dispose(self) -> None:
        self.engine.dispose()


def postgres_grants(app_role: str, reader_role: str | None = None, *, read_write_tables: Sequence[str] = (),
                    version_tables: Sequence[str] = (STORE_MIGRATIONS.version_table,)) -> list[str]:
    """The privileges for a PostgreSQL store whose tables belong to a separate owner role.

    Run as that owner after the migrations (``EventStore(owner_url)`` makes them). The
    application role may only SELECT and INSERT events and checkpoints: no UPDATE,
    DELETE or TRUNCATE, and as it does not own the tables it cannot disable their
    triggers. ``read_write_tables`` are a room's derived read tables, which the
    application may rewrite (:meth:`EventStore.rebuild`). The reader role may only
    SELECT. The roles themselves are made by the DBA (``CREATE ROLE app LOGIN``).
    """
    for role in (app_role, reader_role):
        if role is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", role):
            raise EventValueError(f"role name {role!r}: use lower-case letters, digits and _")
    store = [events_table.name, checkpoints_table.name]
    everything = [*store, *read_write_tables, *version_tables]
    statements = [f"REVOKE ALL ON {', '.join(everything)} FROM PUBLIC",
                  f"REVOKE ALL ON {', '.join(everything)} FROM {app_role}",
                  f"GRANT SELECT, INSERT ON {', '.join(store)} TO {app_role}",
                  f"GRANT SELECT ON {', '.join(version_tables)} TO {app_role}"]
    if read_write_tables:
        statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(read_write_tables)} TO {app_role}")
    if reader_role is not None:
        statements += [f"REVOKE ALL ON {', '.join(everything)} FROM {reader_role}",
                       f"GRANT SELECT ON {', '.join(everything)} TO {reader_role}"]
    return statements


@contextmanager
def _tolerant_text(conn: Connection) -> Iterator[None]:
    """On SQLite, read text that is not valid UTF-8 (bytes written behind the store's back) as
    text that cannot match its hash, instead of failing the whole read."""
    if conn.dialect.name != "sqlite":
        yield
        return
    raw = conn.connection.dbapi_connection
    previous = raw.text_factory  # type: ignore[union-attr]
    raw.text_factory = lambda b: b.decode("utf-8", "surrogateescape")  # type: ignore[union-attr]
    try:
        yield
    finally:
        raw.text_factory = previous  # type: ignore[union-attr]


class _Walk:
    """One pass over the chain for :meth:`EventStore.verify`."""

    def __init__(self, store: EventStore, conn: Connection, file_checkpoints: dict[int, str] | None, torn: int,
                 anchor: str | None) -> None:
        self.store, self.conn, self.anchor, self.torn = store, conn, anchor, torn
        self.key = store._key
        self.checkpoints = file_checkpoints
        self.source: str | None = str(store.checkpoint_path) if store.checkpoint_path else None
        self.missing_table = False
        if conn.dialect.name == "postgresql":
            self.source = "table event_checkpoints"
            self.checkpoints = self._table_checkpoints()
        self.count, self.seq, self.prev = 0, 0, GENESIS
        self.first_mac: int | None = None
        self.unauthenticated_macs = False

    def _table_checkpoints(self) -> dict[int, str] | None:
        if not inspect(self.conn).has_table(checkpoints_table.name):
            self.missing_table = True
            return None
        t = checkpoints_table.c
        return {int(r.seq): str(r.hash) for r in self.conn.execute(select(t.seq, t.hash))}

    def run(self) -> Verification:
        t = events_table.c
        with _tolerant_text(self.conn):
            rows = self.conn.execute(
                select(t.seq, t.stream, t.kind, t.recorded_at, t.payload, t.prev_hash, t.hash, t.mac).order_by(t.seq),
                execution_options={"yield_per": 1000})
            for row in rows:
                self.count += 1
                problem = self._problem(row)
                if problem is not None:
                    check, bad_seq, message = problem
                    return self._broken(check, bad_seq, str(row.stream), message)
        return self._result()

    def _problem(self, row: Any) -> tuple[str, int, str] | None:
        """(the check that failed, the seq it failed at, why), or None for a good event."""
        expected = self.seq + 1
        if row.seq != expected:
            return "chain", expected, (f"event seq {expected} is missing (the next one is seq {row.seq}): "
                              "events removed or moved")
        if row.prev_hash != self.prev:
            return "chain", row.seq, "prev_hash does not match the event before it: events removed or moved"
        try:
            ok = event_hash(row.seq, row.stream, row.kind, row.recorded_at, row.payload, row.prev_hash) == row.hash
        except (TypeError, ValueError):
            ok = False
        if not ok:
            return "chain", row.seq, "content does not match its hash: the event was altered"
        if self.key is not None:
            if row.mac is not None:
                if not isinstance(row.mac, str) or not hmac.compare_digest(row.mac, event_mac(self.key, row.hash)):
                    return "hmac", row.seq, ("HMAC does not match: an event forged or rewritten without the key "
                                             "(or a wrong key)")
                self.first_mac = self.first_mac or row.seq
            elif self.first_mac is not None:
                return "hmac", row.seq, (f"no HMAC although events from seq {self.first_mac} on are authenticated: "
                                 "an append made without the key")
        elif row.mac is not None:
            self.unauthenticated_macs = True
        if self.checkpoints is not None and row.seq in self.checkpoints and self.checkpoints[row.seq] != row.hash:
            return "checkpoints", row.seq, ("hash differs from the one checkpointed for this seq: the chain was "
                                            "rewritten from here or before")
        self.seq, self.prev = row.seq, str(row.hash)
        return None

    def _broken(self, check: str, bad_seq: int, stream: str, problem: str) -> Verification:
        checks = (VerificationCheck(check, True, False, f"failed at seq {bad_seq}, after {self.count - 1} good "
                                                        "events; the walk stopped there"),)
        return Verification(False, self.count, self.seq, self.prev, bad_seq, stream, problem, checks)

    def _result(self) -> Verification:
        checks = [VerificationCheck("chain", True, True, f"{self.count} events in order, each matching its hash"),
                  self._checkpoint_check(), self._hmac_check(), *self._anchor_check()]
        failed = next((c for c in checks if c.made and not c.ok), None)
        if failed is None:
            return Verification(True, self.count, self.seq, self.prev, checks=tuple(checks))
        # A missing tail starts after the last event; unauthenticated events end there.
        bad_seq = self.seq if failed.name == "hmac" else self.seq + 1
        return Verification(False, self.count, self.seq, self.prev, bad_seq, None, failed.detail, tuple(checks))

    def _checkpoint_check(self) -> VerificationCheck:
        if self.checkpoints is None:
            if self.missing_table:
                return VerificationCheck("checkpoints", True, False,
                                         "the table event_checkpoints is missing: it was dropped")
            if self.source is None:
                return VerificationCheck("checkpoints", False, True, "an in-memory SQLite store keeps no checkpoints")
            return VerificationCheck("checkpoints", False, True, f"no checkpoint file at {self.source}")
        beyond = sorted(s for s in self.checkpoints if s > self.seq)
        if beyond:
            return VerificationCheck("checkpoints", True, False,
                         f"{self.source} records seq {beyond[-1]} but the chain ends at seq {self.seq}: events "
                         "removed from the end")
        torn = f"; {self.torn} unreadable line(s) ignored (an interrupted write)" if self.torn else ""
        return VerificationCheck("checkpoints", True, True, f"{len(self.checkpoints)} heads in {self.source} are "
                                 f"in the chain (latest seq {max(self.checkpoints, default=0)}){torn}")

    def _hmac_check(self) -> VerificationCheck:
        if self.key is None:
            note = " although events carry HMACs" if self.unauthenticated_macs else ""
            return VerificationCheck("hmac", False, True, f"no key configured (${KEY_VARIABLE}){note}")
        if self.count and self.first_mac is None:
            return VerificationCheck("hmac", True, False, "a key is configured but no event carries an HMAC: the "
                                     "events were written without it, or their HMACs were stripped")
        first = self.first_mac or 1
        covered = f"; events 1-{first - 1} are covered through the chain" if first > 1 else ""
        return VerificationCheck("hmac", True, True, f"every event from seq {first} on is authenticated{covered}")

    def _anchor_check(self) -> list[VerificationCheck]:
        if self.anchor is None:
            return []
        if self.anchor == GENESIS or self.anchor == self.prev or self._contains(self.anchor):
            return [VerificationCheck("anchor", True, True, f"{self.anchor} is in the chain")]
        return [VerificationCheck("anchor", True, False, f"anchor {self.anchor} is not in the chain: events were "
                                  "removed from its end, or it was never a head")]

    def _contains(self, hash_: str) -> bool:
        return self.conn.execute(select(events_table.c.seq).where(events_table.c.hash == hash_)).first() is not None
