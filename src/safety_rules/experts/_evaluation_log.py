"""The outcome-evaluation log: append-only, hash-chained, safe for concurrent writers.

After a case, the bureau records for each (case, expert) how the expert did
(效果评估). The log is stored through SQLAlchemy: a SQLite file by default
(``sqlite:///path/to/file.sqlite3``), or PostgreSQL with the same code
(``postgresql+psycopg://...``).

Append-only
    There is no update or delete in the API, and database triggers refuse UPDATE
    and DELETE on the table. A correction is a new record whose ``corrects`` names
    the record it replaces; only the latest record of a correction chain counts.

Hash chain
    Each record stores the SHA-256 of its own content (its sequence number included)
    and of the previous record's hash. :meth:`EvaluationLog.verify` walks the chain
    and reports the first record that was altered, removed or moved. Removing the
    *last* records leaves a shorter valid chain; to detect that, keep the head hash
    that every write returns (:meth:`EvaluationLog.head`) and pass it as ``anchor``.

Concurrent writers
    Appends are serialised by the database: ``BEGIN IMMEDIATE`` on SQLite, a
    transaction-scoped advisory lock on PostgreSQL. ``prev_hash`` is UNIQUE, so two
    writers can never both extend the same record even if locking failed. A writer
    killed mid-append leaves no partial record: the transaction never commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    Boolean,
    Date,
    Engine,
    Integer,
    String,
    Text,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..shared._errors import EvaluationLogError, LogIntegrityError, NotFoundError
from ..shared._validation import load_model

GENESIS = "0" * 64
TABLE = "expert_evaluations"
_PG_LOCK_KEY = 7_301_953  # any constant: the advisory lock that serialises appends


class _Base(DeclarativeBase):
    pass


class _Row(_Base):
    __tablename__ = TABLE

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    record_id: Mapped[str] = mapped_column(String(32), unique=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    expert_id: Mapped[str] = mapped_column(String(64), index=True)
    enterprise_id: Mapped[str] = mapped_column(String(64))
    case_date: Mapped[dt.date] = mapped_column(Date)
    timeliness: Mapped[int] = mapped_column(Integer)
    quality: Mapped[int] = mapped_column(Integer)
    advice_adopted: Mapped[bool] = mapped_column(Boolean)
    hazard_eliminated: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    remark: Mapped[str] = mapped_column(Text)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[str] = mapped_column(String(40))
    corrects: Mapped[str | None] = mapped_column(String(32), nullable=True)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class Evaluation(BaseModel):
    """One evaluation of one expert's work on one case, as the bureau records it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(min_length=1)
    expert_id: str = Field(min_length=1)
    enterprise_id: str = Field(min_length=1)
    case_date: dt.date
    timeliness: int = Field(ge=1, le=5, description="1 很差 … 5 很好")
    quality: int = Field(ge=1, le=5, description="quality of the opinion, 1 … 5")
    advice_adopted: bool
    hazard_eliminated: bool | None = Field(default=None, description="at re-inspection; null until then")
    remark: str = ""
    recorded_by: str = Field(min_length=1)
    corrects: str | None = Field(default=None, description="record_id of the record this one corrects")


class EvaluationFile(BaseModel):
    """A YAML file of evaluations to record (``safety-rules experts evaluate --file``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluations: list[Evaluation]


def load_evaluations(path: str | Path) -> list[Evaluation]:
    return list(load_model(EvaluationFile, path)[0].evaluations)


class EvaluationRecord(Evaluation):
    """An evaluation as stored: with its place in the chain."""

    seq: int
    record_id: str
    recorded_at: str
    prev_hash: str
    hash: str


@dataclass(frozen=True)
class Verification:
    ok: bool
    records: int
    head: str
    first_bad_seq: int | None = None
    record_id: str | None = None
    problem: str | None = None

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.records} records, head {self.head}"
        return f"broken at seq {self.first_bad_seq} (record {self.record_id}): {self.problem}"


_CONTENT = ("seq", "record_id", "case_id", "expert_id", "enterprise_id", "case_date", "timeliness",
            "quality", "advice_adopted", "hazard_eliminated", "remark", "recorded_by", "recorded_at",
            "corrects", "prev_hash")


def record_hash(fields: dict[str, Any]) -> str:
    content = {k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in fields.items() if k in _CONTENT}
    canonical = json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def default_url() -> str:
    return "sqlite:///var/evaluations.sqlite3"


class EvaluationLog:
    """The evaluation log at ``url`` (a SQLAlchemy URL); the table is created if missing."""

    def __init__(self, url: str | None = None) -> None:
        self.url = url or default_url()
        try:
            self.engine = _engine(self.url)
            with self.engine.begin() as conn:
                _lock(conn)  # several processes may open a new log at once
                _Base.metadata.create_all(conn)
                _install_append_only_triggers(conn)
        except SQLAlchemyError as exc:
            raise EvaluationLogError(f"cannot open the evaluation log: {_reason(exc)}", url=self.url) from None

    # ----------------------------------------------------------------- writing
    def append(self, evaluation: Evaluation, *, recorded_at: dt.datetime | None = None) -> EvaluationRecord:
        """Append one evaluation; returns it with its sequence number and hash."""
        for attempt in range(5):
            try:
                with self.engine.begin() as conn:
                    _lock(conn)
                    return self._append(conn, evaluation, recorded_at)
            except IntegrityError:
                if attempt == 4:  # pragma: no cover - only if locking is broken
                    raise EvaluationLogError("could not append: the chain head kept changing",
                                             url=self.url) from None
            except OperationalError as exc:
                raise EvaluationLogError(f"cannot write the evaluation log: {_reason(exc)}", url=self.url) from None
        raise AssertionError("unreachable")

    def _append(self, conn: Connection, evaluation: Evaluation, recorded_at: dt.datetime | None) -> EvaluationRecord:
        last = conn.execute(select(_Row.seq, _Row.hash).order_by(_Row.seq.desc()).limit(1)).first()
        seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        current = conn.execute(select(_Row.record_id, _Row.corrects).where(
            _Row.case_id == evaluation.case_id, _Row.expert_id == evaluation.expert_id)).all()
        ids = {record_id for record_id, _ in current}
        corrected = {corrects for _, corrects in current if corrects}
        heads = sorted(ids - corrected)
        if evaluation.corrects is None and heads:
            raise EvaluationLogError(
                f"case {evaluation.case_id} / expert {evaluation.expert_id} is already evaluated "
                f"(record {heads[0]}); record a correction that names it in 'corrects'",
                case=evaluation.case_id, expert=evaluation.expert_id)
        if evaluation.corrects is not None:
            if evaluation.corrects not in ids:
                raise NotFoundError(f"no record {evaluation.corrects!r} for case {evaluation.case_id} / "
                                    f"expert {evaluation.expert_id} to correct", record=evaluation.corrects)
            if evaluation.corrects in corrected:
                raise EvaluationLogError(f"record {evaluation.corrects} is already corrected; correct the "
                                         "latest record of its chain instead", record=evaluation.corrects)
        fields: dict[str, Any] = {
            **evaluation.model_dump(), "seq": seq, "record_id": uuid.uuid4().hex,
            "recorded_at": (recorded_at or dt.datetime.now(dt.UTC)).isoformat(timespec="microseconds"),
            "prev_hash": prev,
        }
        fields["hash"] = record_hash(fields)
        conn.execute(_Row.__table__.insert().values(**fields))  # type: ignore[attr-defined]
        return EvaluationRecord(**fields)

    # ----------------------------------------------------------------- reading
    def records(self) -> Iterator[EvaluationRecord]:
        """Every record, in chain order."""
        with self.engine.connect() as conn:
            for row in conn.execute(select(_Row).order_by(_Row.seq)).mappings():
                yield EvaluationRecord(**dict(row))

    def effective(self) -> list[EvaluationRecord]:
        """The evaluations that count: the latest record of every correction chain."""
        records = list(self.records())
        corrected = {r.corrects for r in records if r.corrects}
        return [r for r in records if r.record_id not in corrected]

    def head(self) -> tuple[int, str]:
        """(number of records, hash of the last one): keep it to detect truncation later."""
        with self.engine.connect() as conn:
            last = conn.execute(select(_Row.seq, _Row.hash).order_by(_Row.seq.desc()).limit(1)).first()
        return (last[0], last[1]) if last else (0, GENESIS)

    def verify(self, anchor: str | None = None) -> Verification:
        """Walk the chain; report the first record altered, removed or moved.

        ``anchor``: a head hash kept from an earlier write; the chain must still contain it.
        """
        expected_prev, expected_seq, count = GENESIS, 1, 0
        seen_anchor = anchor is None or anchor == GENESIS
        for r in self.records():
            count += 1
            fields = r.model_dump()
            if r.seq != expected_seq:
                return Verification(False, count, expected_prev, r.seq, r.record_id,
                                    f"expected seq {expected_seq}: record(s) removed before this one")
            if r.prev_hash != expected_prev:
                return Verification(False, count, expected_prev, r.seq, r.record_id,
                                    "prev_hash does not match the record before it: records removed or moved")
            if record_hash(fields) != r.hash:
                return Verification(False, count, expected_prev, r.seq, r.record_id,
                                    "content does not match its hash: the record was altered")
            seen_anchor = seen_anchor or r.hash == anchor
            expected_prev, expected_seq = r.hash, r.seq + 1
        if not seen_anchor:
            return Verification(False, count, expected_prev, expected_seq, None,
                                f"anchor {anchor} is not in the chain: records were removed from its end")
        return Verification(True, count, expected_prev)

    def verified(self, anchor: str | None = None) -> Verification:
        """:meth:`verify`, raising :class:`LogIntegrityError` when the chain is broken."""
        result = self.verify(anchor)
        if not result.ok:
            raise LogIntegrityError(str(result), seq=result.first_bad_seq, record=result.record_id,
                                    url=self.url)
        return result


def _reason(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        database = url.split("///", 1)[1] if "///" in url else ""
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": 60})

        @event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            # Let SQLAlchemy, not the driver, open transactions, so that BEGIN IMMEDIATE
            # takes the write lock before the chain head is read.
            dbapi_connection.isolation_level = None
            dbapi_connection.execute("PRAGMA journal_mode=WAL")

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True)


def _lock(conn: Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def _install_append_only_triggers(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        for op in ("UPDATE", "DELETE"):
            conn.exec_driver_sql(
                f"CREATE TRIGGER IF NOT EXISTS {TABLE}_no_{op.lower()} BEFORE {op} ON {TABLE} "
                f"BEGIN SELECT RAISE(ABORT, 'the evaluation log is append-only'); END")
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(
            f"CREATE OR REPLACE FUNCTION {TABLE}_append_only() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'the evaluation log is append-only'; END $$ LANGUAGE plpgsql")
        for op in ("update", "delete"):
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {TABLE}_no_{op} ON {TABLE}")
            conn.exec_driver_sql(f"CREATE TRIGGER {TABLE}_no_{op} BEFORE {op.upper()} ON {TABLE} "
                                 f"FOR EACH ROW EXECUTE FUNCTION {TABLE}_append_only()")
