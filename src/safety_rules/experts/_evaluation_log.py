"""The outcome-evaluation log: the expert room's stream on the shared event store.

After a case, the bureau records for each (case, expert) how the expert did
(效果评估). Each evaluation is one event of stream ``experts/evaluations`` (kind
``evaluation``, or ``correction`` when it corrects an earlier record) in the shared
hash-chained store (:mod:`safety_rules.shared._events`): append-only, verifiable, safe
for concurrent writers.

Corrections
    Nothing is overwritten. A correction is a new record whose ``corrects`` names the
    record it replaces; only the latest record of a correction chain counts. A (case,
    expert) already evaluated can only be corrected.

Read table
    ``expert_evaluation_index`` (record id, seq, case, expert, corrects) is derived from
    the events by a projection that runs in the append's transaction and also checks a
    batch against it: the whole batch is refused, with the file and line of every
    problem, or the whole batch is written. :meth:`EvaluationLog.rebuild_index` remakes
    it from the events.

Migration
    This room's Alembic revisions (``_migrations/``) make the read table and carry over a
    log of the previous format (table ``expert_evaluations``, its own hash chain): its
    chain is verified, every record becomes an event keeping its record id, time and old
    hash in ``legacy``, and the old table is dropped, so there is one chain.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import BigInteger, Column, Index, MetaData, String, Table, delete, select, tuple_
from sqlalchemy.engine import Connection

from ..shared._errors import (
    EvaluationLogError,
    EventStoreError,
    LogIntegrityError,
    NotFoundError,
    SafetyRulesError,
)
from ..shared._events import Event, EventStore, Migrations, NewEvent, Projection, Verification
from ..shared._validation import load_model
from ..shared._yaml import line_of

STREAM = "experts/evaluations"
MIGRATIONS = Migrations("experts", Path(__file__).with_name("_migrations"))
LEGACY_TABLE = "expert_evaluations"
ID_MAX = 64
Where = tuple[str | None, int | None]  # the file and line an evaluation came from, for messages

metadata = MetaData()
index_table = Table(
    "expert_evaluation_index", metadata,
    Column("record_id", String(32), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("case_id", String(ID_MAX), nullable=False),
    Column("expert_id", String(ID_MAX), nullable=False),
    Column("corrects", String(32), nullable=True),
    Index("ix_expert_evaluation_index_case_expert", "case_id", "expert_id"),
)

# The expert room's read tables (made by its revisions; the last two kept by ``_records``).
READ_TABLES = [index_table.name, "expert_assignment_index", "expert_finding_index"]

# Ids keep the previous schema's limits, and case and expert ids go into VARCHAR columns of
# the read table: PostgreSQL refuses a longer value or a NUL where SQLite keeps it, so both
# are refused here, before any database sees them, with the same message.
_ID = r"^[^\x00-\x1f\x7f]+$"


class Evaluation(BaseModel):
    """One evaluation of one expert's work on one case, as the bureau records it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    case_id: str = Field(min_length=1, max_length=ID_MAX, pattern=_ID)
    expert_id: str = Field(min_length=1, max_length=ID_MAX, pattern=_ID)
    enterprise_id: str = Field(min_length=1, max_length=ID_MAX, pattern=_ID)
    case_date: dt.date
    timeliness: int = Field(ge=1, le=5, description="1 很差 … 5 很好")
    quality: int = Field(ge=1, le=5, description="quality of the opinion, 1 … 5")
    advice_adopted: bool
    hazard_eliminated: bool | None = Field(default=None, description="at re-inspection; null until then")
    remark: str = ""
    recorded_by: str = Field(min_length=1, max_length=ID_MAX, pattern=_ID)
    corrects: str | None = Field(default=None, max_length=32, pattern=_ID,
                                 description="record_id of the record this one corrects")


class EvaluationFile(BaseModel):
    """A YAML file of evaluations to record (``safety-rules experts evaluate --file``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evaluations: list[Evaluation]


def load_evaluations(path: str | Path) -> list[Evaluation]:
    return load_evaluation_batch(path)[0]


def load_evaluation_batch(path: str | Path) -> tuple[list[Evaluation], list[Where]]:
    """The evaluations of a file, each with its (file, line) for :meth:`EvaluationLog.append_many`."""
    model, raw = load_model(EvaluationFile, path)
    where: list[Where] = [(str(path), line_of(raw, ["evaluations", i])) for i in range(len(model.evaluations))]
    return list(model.evaluations), where


class LegacyRecord(BaseModel):
    """Where a record carried over from the previous log format stood in that log's own chain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seq: int
    hash: str
    prev_hash: str
    recorded_at: str


class EvaluationRecord(Evaluation):
    """An evaluation as stored: with its event's place in the chain."""

    seq: int
    record_id: str
    recorded_at: str
    prev_hash: str
    hash: str
    legacy: LegacyRecord | None = None

    @classmethod
    def from_event(cls, e: Event) -> EvaluationRecord:
        try:
            return cls.model_validate({**e.payload, "seq": e.seq, "recorded_at": e.recorded_at,
                                       "prev_hash": e.prev_hash, "hash": e.hash})
        except ValidationError as exc:
            raise LogIntegrityError(f"event seq {e.seq} of {STREAM} is not an evaluation "
                                    f"({exc.errors()[0]['msg']}): the store was altered; run verify",
                                    seq=e.seq) from None


def new_event(evaluation: Evaluation, *, record_id: str | None = None, recorded_at: dt.datetime | None = None,
              legacy: dict[str, Any] | None = None) -> NewEvent:
    payload = {**evaluation.model_dump(mode="json"), "record_id": record_id or uuid.uuid4().hex}
    if legacy is not None:
        payload["legacy"] = legacy
    return NewEvent(STREAM, "correction" if evaluation.corrects else "evaluation", payload, recorded_at)


def projector(where: Sequence[Where] | None = None) -> Projection:
    """The projection that checks new evaluations against the read table and adds them to it.

    ``where[i]`` is the (file, line) of the i-th event, for the messages.
    """

    def project(conn: Connection, events: Sequence[Event]) -> None:
        t = index_table.c
        pairs = sorted({(e.payload["case_id"], e.payload["expert_id"]) for e in events})
        known: dict[tuple[str, str], dict[str, str | None]] = {pair: {} for pair in pairs}
        for start in range(0, len(pairs), 500):
            chunk = pairs[start:start + 500]
            for row in conn.execute(select(t.case_id, t.expert_id, t.record_id, t.corrects)
                                    .where(tuple_(t.case_id, t.expert_id).in_(chunk))):
                known[(row.case_id, row.expert_id)][row.record_id] = row.corrects
        errors: list[SafetyRulesError] = []
        for i, e in enumerate(events):
            p = e.payload
            chain = known[(p["case_id"], p["expert_id"])]
            problem = _refusal(p, chain)
            if problem is not None:
                path, line = where[i] if where else (None, None)
                errors.append(problem.located(path=path, line=line))
            chain[p["record_id"]] = p["corrects"]
        if len(events) == 1 and errors:
            raise errors[0]
        if errors:
            first = errors[0]
            raise EvaluationLogError(f"{first.message} ({len(errors)} of {len(events)} evaluations refused; none "
                                     "was recorded)", path=first.path, line=first.line,
                                     problems=[x.problem() for x in errors])
        conn.execute(index_table.insert(), [
            {"record_id": e.payload["record_id"], "seq": e.seq, "case_id": e.payload["case_id"],
             "expert_id": e.payload["expert_id"], "corrects": e.payload["corrects"]} for e in events])

    return project


def _refusal(p: dict[str, Any], chain: dict[str, str | None]) -> SafetyRulesError | None:
    """Why the evaluation ``p`` cannot follow the records ``chain`` (record id → corrects) of its (case, expert)."""
    corrected = {c for c in chain.values() if c}
    heads = sorted(set(chain) - corrected)
    case, expert, corrects = p["case_id"], p["expert_id"], p["corrects"]
    if corrects is None:
        if heads:
            return EvaluationLogError(f"case {case} / expert {expert} is already evaluated (record {heads[0]}); "
                                      "record a correction that names it in 'corrects'", case=case, expert=expert)
        return None
    if corrects not in chain:
        return NotFoundError(f"no record {corrects!r} for case {case} / expert {expert} to correct", record=corrects)
    if corrects in corrected:
        return EvaluationLogError(f"record {corrects} is already corrected; correct the latest record of its "
                                  "chain instead", record=corrects)
    return None


def _reset_index(conn: Connection) -> None:
    conn.execute(delete(index_table))


class EvaluationLog:
    """The evaluation log in the event store at ``url`` (a SQLAlchemy URL or a path).

    ``read_only``: never create or upgrade anything (``scores``, ``match`` and
    ``verify-log`` open it so). ``hmac_key``: see :class:`EventStore`.
    """

    def __init__(self, url: str | Path | None = None, *, read_only: bool = False,
                 hmac_key: str | bytes | None = None) -> None:
        try:
            self.store = EventStore(url, read_only=read_only, hmac_key=hmac_key, migrations=[MIGRATIONS])
        except EventStoreError as exc:
            if LEGACY_TABLE in exc.context.get("tables", ()):
                raise EventStoreError("an evaluation log of the previous format; upgrade it once (safety-rules "
                                      "experts upgrade-log --log ...)", path=exc.path) from None
            raise

    @property
    def url(self) -> str:
        return self.store.name

    # ----------------------------------------------------------------- writing
    def append(self, evaluation: Evaluation, *, recorded_at: dt.datetime | None = None) -> EvaluationRecord:
        """Append one evaluation; returns it with its sequence number and hash."""
        return self.append_many([evaluation], recorded_at=recorded_at)[0]

    def append_many(self, evaluations: Sequence[Evaluation], *, recorded_at: dt.datetime | None = None,
                    where: Sequence[Where] | None = None) -> list[EvaluationRecord]:
        """Append a batch in one transaction: every evaluation is checked first, and either all are
        recorded or none (an :class:`EvaluationLogError` lists every problem at its ``where``)."""
        events = self.store.append([new_event(e, recorded_at=recorded_at) for e in evaluations],
                                   project=projector(where))
        return [EvaluationRecord.from_event(e) for e in events]

    def rebuild_index(self) -> None:
        """Remake the read table from the events (it is derived state)."""
        self.store.rebuild(_reset_index, projector(), stream=STREAM)

    # ----------------------------------------------------------------- reading
    def records(self, upto: int | None = None) -> Iterator[EvaluationRecord]:
        """Every record, in chain order (only those with ``seq <= upto`` if given)."""
        for e in self.store.events(stream=STREAM, upto=upto):
            yield EvaluationRecord.from_event(e)

    def effective(self, upto: int | None = None) -> list[EvaluationRecord]:
        """The evaluations that count: the latest record of every correction chain."""
        records = list(self.records(upto))
        corrected = {r.corrects for r in records if r.corrects}
        return [r for r in records if r.record_id not in corrected]

    def head(self) -> tuple[int, str]:
        """(sequence number, hash) of the store's last event."""
        return self.store.head()

    def verify(self, anchor: str | None = None) -> Verification:
        """Verify the whole store (see :meth:`EventStore.verify`)."""
        return self.store.verify(anchor)

    def verified(self, anchor: str | None = None) -> Verification:
        return self.store.verified(anchor)

    def grant_postgres_roles(self, app_role: str, reader_role: str | None = None) -> list[str]:
        """The store's role setup (:func:`postgres_grants`), with this room's read table."""
        return self.store.grant_postgres_roles(app_role, reader_role, read_write_tables=READ_TABLES)

