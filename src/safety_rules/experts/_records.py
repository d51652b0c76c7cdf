"""The registry's records beside the evaluations: assignments, findings and their outcomes, suspensions.

Three streams of the shared event store, each append-only and checked by a projection in
the append's transaction (a refused batch leaves nothing written); ``docs/experts.md``
lists every payload field.

``experts/assignments``
    ``assignment``: an expert put on a case by ``match --record`` (or as a replacement),
    with the case as matched, the industry seat, the score and the policy version;
    ``withdrawal``: an assignment taken back, with the reason. A replacement is a
    withdrawal and a new assignment naming it in ``replaces``, in one transaction. The read
    table ``expert_assignment_index`` answers "which assignments are open"; every later
    match counts them for workload and recusal until they are withdrawn.

``experts/outcomes``
    ``finding``: what an expert found on a case (a finding id, the rule it concerns);
    ``outcome``: whether enforcement confirmed it, at re-inspection or in the penalty
    decision (or did not: the enforcement finding withdrawn), with the document it rests on.
    A later outcome supersedes the earlier one only as a correction (:data:`CORRECTIONS`): it
    names the ``by`` it corrects in ``corrects`` and is dated on or after it; both stay on
    record and the scores count the latest one dated by the scoring day. The dossier emits
    outcomes for its findings linked to an expert finding (:func:`outcome_state`,
    :func:`project_outcomes`); the registry scores the share confirmed
    (``scoring.parts.confirmed``). Read table ``expert_finding_index`` (its ``outcome_seq`` and
    ``confirmed`` are those of the latest outcome).

``experts/status``
    ``suspension``: an expert suspended by their score; ``reinstatement``: the suspension
    lifted, after the policy's period or by a new evaluation. A suspension on record stays
    until a reinstatement is recorded.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import BigInteger, Column, Date, Index, MetaData, String, Table, delete, select, update
from sqlalchemy.engine import Connection

from ..shared._errors import LogIntegrityError, NotFoundError, RegistryLogError
from ..shared._events import Event, EventStore, NewEvent, Projection, events_table
from ._evaluation_log import _ID, ID_MAX, MIGRATIONS
from ._registry import Case, PastAssignment, Policy
from ._scores import Confirmation, StatusChange

ASSIGNMENTS = "experts/assignments"
OUTCOMES = "experts/outcomes"
STATUS = "experts/status"

metadata = MetaData()
assignment_table = Table(
    "expert_assignment_index", metadata,
    Column("assignment_id", String(32), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("case_id", String(ID_MAX), nullable=False),
    Column("expert_id", String(ID_MAX), nullable=False),
    Column("enterprise_id", String(ID_MAX), nullable=False),
    Column("case_date", Date, nullable=False),
    Column("withdrawn_seq", BigInteger, nullable=True),
    Index("ix_expert_assignment_index_case_expert", "case_id", "expert_id"),
)
finding_table = Table(
    "expert_finding_index", metadata,
    Column("finding_id", String(ID_MAX), primary_key=True),
    Column("seq", BigInteger, nullable=False),
    Column("case_id", String(ID_MAX), nullable=False),
    Column("expert_id", String(ID_MAX), nullable=False),
    Column("outcome_seq", BigInteger, nullable=True),
    Column("confirmed", String(5), nullable=True),
)


class _Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


Id = Field(min_length=1, max_length=ID_MAX, pattern=_ID)


class CaseOnRecord(_Payload):
    """The case as it was matched: enough to count the assignment and to check a replacement."""

    id: str = Id
    enterprise: str = Id
    county: str
    industries: list[str]
    date: dt.date
    difficulty: Literal["routine", "difficult", "major"]

    def case(self) -> Case:
        return Case(id=self.id, enterprise=self.enterprise, county=self.county, industries=self.industries,
                    date=self.date, difficulty=self.difficulty)


class PolicyOnRecord(_Payload):
    bureau: str
    version: str


class AssignmentRecord(_Payload):
    """Payload of an ``assignment`` event."""

    assignment_id: str = Field(min_length=1, max_length=32, pattern=_ID)
    match_id: str | None = Field(default=None, description="the match that made it; null for a replacement")
    case: CaseOnRecord
    expert_id: str = Id
    industry: str
    score: float | None = None
    policy: PolicyOnRecord
    recorded_by: str = Id
    replaces: str | None = Field(default=None, description="assignment_id of the withdrawn assignment it replaces")


class Withdrawal(_Payload):
    """Payload of a ``withdrawal`` event."""

    assignment_id: str = Field(min_length=1, max_length=32, pattern=_ID)
    case_id: str = Id
    expert_id: str = Id
    reason: str = Field(min_length=1)
    recorded_by: str = Id


class ExpertFinding(_Payload):
    """Payload of a ``finding`` event: what one expert found on one case."""

    finding_id: str = Id
    case_id: str = Id
    expert_id: str = Id
    enterprise_id: str = Id
    case_date: dt.date
    rule_id: str | None = Field(default=None, description="the rule the finding concerns, if encoded")
    description: str = Field(min_length=1)
    major_hazard: bool | None = Field(default=None, description="the expert judged it a major accident hazard")
    recorded_by: str = Id


OutcomeBy = Literal["re-inspection", "penalty-decision", "withdrawal"]

# The corrections the registry accepts, (``by`` of the outcome on record, ``by`` of the correction) → the
# ``confirmed`` the correction must carry: a confirmation undone by the enforcement finding's 撤销 (复议, a
# court, the authority). A confirmation after a confirmation changes nothing the scores count, and a
# withdrawal is final: a finding raised again is a new finding.
CORRECTIONS: dict[tuple[str, str], bool] = {("penalty-decision", "withdrawal"): False,
                                            ("re-inspection", "withdrawal"): False}


class FindingOutcome(_Payload):
    """Payload of an ``outcome`` event: whether enforcement confirmed a finding (emitted by the dossier)."""

    finding_id: str = Id
    confirmed: bool = Field(description="upheld (true) or not (false)")
    by: OutcomeBy = Field(
        description="复查, 行政处罚决定, or withdrawal: the enforcement finding 撤销 (复议, a court, the authority)")
    decided_on: dt.date
    reference: str = Field(min_length=1, description="the document: 复查意见书, 行政处罚决定书 or 撤销 decision number")
    source: str | None = Field(default=None, description="where it came from, e.g. dossier/LY-001#seq 42")
    recorded_by: str = Id
    corrects: OutcomeBy | None = Field(default=None, description=(
        "the by of the outcome on record that this one corrects (null for a finding's first outcome)"))

    def payload(self) -> dict[str, Any]:
        """The event payload: ``corrects`` only on a correction, so a first outcome reads as before corrections."""
        dumped = self.model_dump(mode="json")
        if self.corrects is None:
            del dumped["corrects"]
        return dumped

    def describe(self) -> str:
        return (f"{self.by} of {self.decided_on} ({self.reference}, "
                f"{'confirmed' if self.confirmed else 'not confirmed'})")


class Reinstatement(_Payload):
    """Payload of a ``suspension`` or ``reinstatement`` event."""

    expert_id: str = Id
    on: dt.date
    reason: str = Field(min_length=1)
    policy: PolicyOnRecord
    recorded_by: str = Id


class OutcomeFile(_Payload):
    """A YAML file of findings and outcomes to record (``safety-rules experts outcomes --file``)."""

    findings: list[ExpertFinding] = Field(default_factory=list)
    outcomes: list[FindingOutcome] = Field(default_factory=list)


def _policy(p: Policy) -> PolicyOnRecord:
    return PolicyOnRecord(bureau=p.bureau, version=p.version)


def _payload(model: type[BaseModel], e: Event) -> Any:
    try:
        return model.model_validate(e.payload)
    except ValidationError as exc:
        raise LogIntegrityError(f"event seq {e.seq} of {e.stream} is not a {e.kind} ({exc.errors()[0]['msg']}): the "
                                "store was altered; run verify", seq=e.seq) from None


# ------------------------------------------------------------------------------------------ projections


def _project_assignments(conn: Connection, events: Sequence[Event]) -> None:
    t = assignment_table.c
    ids = [e.payload["assignment_id"] for e in events]
    pairs = [(e.payload["case"]["id"] if e.kind == "assignment" else e.payload["case_id"], e.payload["expert_id"])
             for e in events]
    known = {r.assignment_id: r.withdrawn_seq is not None
             for r in conn.execute(select(t.assignment_id, t.withdrawn_seq).where(t.assignment_id.in_(ids)))}
    open_pairs = {(r.case_id, r.expert_id): r.assignment_id for r in conn.execute(
        select(t.case_id, t.expert_id, t.assignment_id).where(t.withdrawn_seq.is_(None),
                                                               t.case_id.in_({p[0] for p in pairs})))}
    for e in events:
        p = e.payload
        if e.kind == "withdrawal":
            if p["assignment_id"] not in known:
                raise NotFoundError(f"no assignment {p['assignment_id']!r} to withdraw", record=p["assignment_id"])
            if known[p["assignment_id"]]:
                raise RegistryLogError(f"assignment {p['assignment_id']} ({p['case_id']} / {p['expert_id']}) is "
                                       "already withdrawn", record=p["assignment_id"])
            known[p["assignment_id"]] = True
            open_pairs.pop((p["case_id"], p["expert_id"]), None)
            conn.execute(update(assignment_table).where(t.assignment_id == p["assignment_id"])
                         .values(withdrawn_seq=e.seq))
            continue
        case, expert = p["case"]["id"], p["expert_id"]
        if (case, expert) in open_pairs:
            raise RegistryLogError(f"{expert} is already assigned to {case} (assignment {open_pairs[(case, expert)]})",
                                   case=case, expert=expert)
        if p["replaces"] is not None and not known.get(p["replaces"]):
            raise RegistryLogError(f"assignment {p['replaces']} that this one replaces is not withdrawn",
                                   record=p["replaces"])
        open_pairs[(case, expert)] = p["assignment_id"]
        known[p["assignment_id"]] = False
        conn.execute(assignment_table.insert(), [{
            "assignment_id": p["assignment_id"], "seq": e.seq, "case_id": case, "expert_id": expert,
            "enterprise_id": p["case"]["enterprise"], "case_date": dt.date.fromisoformat(p["case"]["date"]),
            "withdrawn_seq": None}])


def _latest_outcomes(conn: Connection, ids: Iterable[str]) -> dict[str, FindingOutcome]:
    """The latest outcome on record of each of ``ids`` that has one (the read table's ``outcome_seq``)."""
    t, e = finding_table.c, events_table.c
    rows = conn.execute(select(t.finding_id, e.seq, e.payload).join(events_table, e.seq == t.outcome_seq)
                        .where(t.finding_id.in_(sorted(set(ids)))))
    latest = {}
    for r in rows:
        try:
            latest[r.finding_id] = FindingOutcome.model_validate(json.loads(r.payload))
        except ValidationError as exc:
            raise LogIntegrityError(f"event seq {r.seq} of {OUTCOMES} is not an outcome ({exc.errors()[0]['msg']}): "
                                    "the store was altered; run verify", seq=r.seq) from None
    return latest


def correction_refusal(latest: FindingOutcome | None, new: FindingOutcome) -> str | None:
    """Why ``new`` cannot follow ``latest`` (the finding's outcome on record, None while undecided); None if it
    can: a first outcome that corrects nothing, or a correction of :data:`CORRECTIONS` dated on or after the
    outcome it corrects."""
    f = new.finding_id
    if latest is None:
        if new.corrects is not None:
            return f"finding {f} has no outcome for {new.describe()} to correct (it names corrects: {new.corrects})"
        return None
    on_record = f"finding {f} already has an outcome, {latest.describe()}"
    allowed = " or ".join(f"{b} correcting {a}" for a, b in CORRECTIONS if a == latest.by) or "none: it is final"
    if new.corrects is None:
        return (f"{on_record}: {new.describe()} would be a second outcome; a correction names the outcome it "
                f"corrects (corrects: {latest.by}); allowed after {latest.by}: {allowed}")
    if new.corrects != latest.by:
        return f"{on_record}: {new.describe()} names corrects: {new.corrects}, not {latest.by}"
    if (latest.by, new.by) not in CORRECTIONS:
        return f"{on_record}: {new.describe()} cannot correct it; allowed after {latest.by}: {allowed}"
    if new.confirmed != CORRECTIONS[(latest.by, new.by)]:
        expected = "confirmed" if CORRECTIONS[(latest.by, new.by)] else "not confirmed"
        return f"{on_record}: {new.describe()} must be {expected} to correct it"
    if new.decided_on < latest.decided_on:
        return f"{on_record}: {new.describe()} is dated before the outcome it corrects"
    return None


def project_outcomes(conn: Connection, events: Sequence[Event]) -> None:
    """Check and index findings and outcomes; a refusal names the event's place in the batch (``batch_index``),
    so that a file's line can be given."""
    t = finding_table.c
    wanted = [e.payload["finding_id"] for e in events]
    rows = conn.execute(select(t.finding_id, t.seq, t.outcome_seq).where(t.finding_id.in_(set(wanted)))).all()
    on_record = {r.finding_id: r.seq for r in rows}
    latest = _latest_outcomes(conn, [r.finding_id for r in rows if r.outcome_seq is not None])
    for e in events:
        p = e.payload
        if e.kind == "finding":
            if p["finding_id"] in on_record:
                raise RegistryLogError(f"finding {p['finding_id']} is already on record (seq "
                                       f"{on_record[p['finding_id']]})", record=p["finding_id"],
                                       batch_index=e.seq - events[0].seq)
            conn.execute(finding_table.insert(), [{"finding_id": p["finding_id"], "seq": e.seq, "case_id": p["case_id"],
                                                   "expert_id": p["expert_id"], "outcome_seq": None,
                                                   "confirmed": None}])
            on_record[p["finding_id"]] = e.seq
            continue
        if p["finding_id"] not in on_record:
            raise NotFoundError(f"no finding {p['finding_id']!r} for this outcome", record=p["finding_id"],
                                batch_index=e.seq - events[0].seq)
        outcome = FindingOutcome.model_validate(p)
        refusal = correction_refusal(latest.get(outcome.finding_id), outcome)
        if refusal is not None:
            raise RegistryLogError(refusal, record=outcome.finding_id, batch_index=e.seq - events[0].seq)
        latest[outcome.finding_id] = outcome
        conn.execute(update(finding_table).where(t.finding_id == p["finding_id"])
                     .values(outcome_seq=e.seq, confirmed=str(p["confirmed"]).lower()))


def outcome_state(conn: Connection, finding_ids: Iterable[str]) -> dict[str, tuple[str, FindingOutcome | None]]:
    """The expert findings on record among ``finding_ids``: each one's enterprise and latest outcome (None while
    undecided)."""
    ids = sorted(set(finding_ids))
    if not ids:
        return {}
    t, e = finding_table.c, events_table.c
    rows = conn.execute(select(t.finding_id, t.outcome_seq, e.payload).join(events_table, e.seq == t.seq)
                        .where(t.finding_id.in_(ids))).all()
    latest = _latest_outcomes(conn, [r.finding_id for r in rows if r.outcome_seq is not None])
    return {r.finding_id: (str(json.loads(r.payload)["enterprise_id"]), latest.get(r.finding_id)) for r in rows}


def finding_ids(conn: Connection) -> list[str]:
    """Every expert finding on record (for a "did you mean")."""
    return list(conn.execute(select(finding_table.c.finding_id)).scalars())


def _status_project(conn: Connection, events: Sequence[Event]) -> None:
    """A reinstatement only lifts a suspension on record; a suspension only of an expert not suspended."""
    t = events_table.c
    experts = {e.payload["expert_id"] for e in events}
    last: dict[str, str] = {}
    for row in conn.execute(select(t.kind, t.payload).where(t.stream == STATUS).order_by(t.seq)):
        expert = json.loads(row.payload)["expert_id"]
        if expert in experts:
            last[expert] = row.kind
    for e in events:
        expert = e.payload["expert_id"]
        state = last.get(expert, "reinstatement")
        if e.kind == state:
            raise RegistryLogError(f"{expert} is {'already suspended' if state == 'suspension' else 'not suspended'}"
                                   f"; nothing to {'suspend' if e.kind == 'suspension' else 'reinstate'}",
                                   expert=expert)
        last[expert] = e.kind


def _reset(conn: Connection) -> None:
    conn.execute(delete(assignment_table))
    conn.execute(delete(finding_table))


# ------------------------------------------------------------------------------------------ the log


class RegistryLog:
    """Assignments, findings with their outcomes, and suspensions, in the event store at ``url`` (or ``store``)."""

    def __init__(self, url: str | Path | None = None, *, store: EventStore | None = None, read_only: bool = False,
                 hmac_key: str | bytes | None = None) -> None:
        self.store = store or EventStore(url, read_only=read_only, hmac_key=hmac_key, migrations=[MIGRATIONS])

    def _append(self, events: list[NewEvent], project: Projection) -> list[Event]:
        return self.store.append(events, project=project)

    # ----------------------------------------------------------------- assignments
    def record_assignments(self, cases: Sequence[Case], chosen: Sequence[tuple[str, str, str, float | None]],
                           policy: Policy, recorded_by: str) -> list[AssignmentRecord]:
        """Record a match's assignments, ``(case id, expert id, industry, score)`` each, in one transaction."""
        by_id = {c.id: c for c in cases}
        match_id = uuid.uuid4().hex
        records = [AssignmentRecord(assignment_id=uuid.uuid4().hex, match_id=match_id,
                                    case=_case_on_record(by_id[case_id]), expert_id=expert_id, industry=industry,
                                    score=score, policy=_policy(policy), recorded_by=recorded_by)
                   for case_id, expert_id, industry, score in chosen]
        self._append([NewEvent(ASSIGNMENTS, "assignment", r.model_dump(mode="json")) for r in records],
                     _project_assignments)
        return records

    def withdraw(self, assignment_id: str, reason: str, recorded_by: str, *,
                 replacement: tuple[str, str] | None = None, policy: Policy | None = None) -> list[Event]:
        """Withdraw an assignment; with ``replacement`` (expert id, industry), assign that expert in its place
        in the same transaction (check the expert with :func:`exclusion` first)."""
        old = self.assignment(assignment_id)
        events = [NewEvent(ASSIGNMENTS, "withdrawal", Withdrawal(
            assignment_id=assignment_id, case_id=old.case.id, expert_id=old.expert_id, reason=reason,
            recorded_by=recorded_by).model_dump(mode="json"))]
        if replacement is not None:
            expert_id, industry = replacement
            new = AssignmentRecord(assignment_id=uuid.uuid4().hex, case=old.case, expert_id=expert_id,
                                   industry=industry, policy=_policy(policy) if policy else old.policy,
                                   recorded_by=recorded_by, replaces=assignment_id)
            events.append(NewEvent(ASSIGNMENTS, "assignment", new.model_dump(mode="json")))
        return self._append(events, _project_assignments)

    def assignment(self, assignment_id: str) -> AssignmentRecord:
        for e in self.store.events(stream=ASSIGNMENTS, kind="assignment"):
            if e.payload.get("assignment_id") == assignment_id:
                record: AssignmentRecord = _payload(AssignmentRecord, e)
                return record
        raise NotFoundError(f"no assignment {assignment_id!r} on record", record=assignment_id)

    def open_assignments(self, upto: int | None = None) -> list[AssignmentRecord]:
        """Assignments on record and not withdrawn (as of seq ``upto``), in chain order."""
        records: dict[str, AssignmentRecord] = {}
        for e in self.store.events(stream=ASSIGNMENTS, upto=upto):
            if e.kind == "assignment":
                r = _payload(AssignmentRecord, e)
                records[r.assignment_id] = r
            else:
                records.pop(_payload(Withdrawal, e).assignment_id, None)
        return list(records.values())

    def held(self, upto: int | None = None) -> list[PastAssignment]:
        """The open assignments as the matching counts them (workload and recusal)."""
        return [PastAssignment(case=r.case.id, expert=r.expert_id, enterprise=r.case.enterprise, date=r.case.date)
                for r in self.open_assignments(upto)]

    # ----------------------------------------------------------------- findings and outcomes
    def record_outcomes(self, findings: Sequence[ExpertFinding] = (),
                        outcomes: Sequence[FindingOutcome] = ()) -> list[Event]:
        """Record findings, then outcomes (an outcome may name a finding of the same call), in one transaction."""
        return self._append([*(NewEvent(OUTCOMES, "finding", f.model_dump(mode="json")) for f in findings),
                             *(NewEvent(OUTCOMES, "outcome", o.payload()) for o in outcomes)],
                            project_outcomes)

    def confirmations(self, upto: int | None = None, on: dt.date | None = None) -> list[Confirmation]:
        """Per (case, expert): how many findings enforcement decided on, and how many it confirmed, each by its
        latest outcome dated on or before ``on`` (default: every outcome on record)."""
        findings: dict[str, ExpertFinding] = {}
        latest: dict[str, FindingOutcome] = {}
        for e in self.store.events(stream=OUTCOMES, upto=upto):
            if e.kind == "finding":
                f = _payload(ExpertFinding, e)
                findings[f.finding_id] = f
            else:
                o = _payload(FindingOutcome, e)
                if on is None or o.decided_on <= on:
                    latest[o.finding_id] = o
        counts: dict[tuple[str, str], list[int]] = {}
        for o in latest.values():
            f = findings[o.finding_id]
            tally = counts.setdefault((f.case_id, f.expert_id), [0, 0])
            tally[0] += int(o.confirmed)
            tally[1] += 1
        return [Confirmation(case_id=c, expert_id=x, confirmed=n, decided=d) for (c, x), (n, d) in counts.items()]

    # ----------------------------------------------------------------- status
    def record_status(self, kind: Literal["suspension", "reinstatement"], expert_id: str, on: dt.date, reason: str,
                      policy: Policy, recorded_by: str) -> Event:
        payload = Reinstatement(expert_id=expert_id, on=on, reason=reason, policy=_policy(policy),
                                recorded_by=recorded_by)
        return self._append([NewEvent(STATUS, kind, payload.model_dump(mode="json"))], _status_project)[0]

    def status(self, upto: int | None = None) -> list[StatusChange]:
        out = []
        for e in self.store.events(stream=STATUS, upto=upto):
            p = _payload(Reinstatement, e)
            out.append(StatusChange(expert_id=p.expert_id, kind=e.kind, on=p.on, reason=p.reason))
        return out

    def rebuild_indexes(self) -> None:
        """Remake the read tables from the events (they are derived state)."""

        def project(conn: Connection, events: Sequence[Event]) -> None:
            for stream, fn in ((ASSIGNMENTS, _project_assignments), (OUTCOMES, project_outcomes)):
                mine = [e for e in events if e.stream == stream]
                if mine:
                    fn(conn, mine)

        self.store.rebuild(_reset, project)


def _case_on_record(c: Case) -> CaseOnRecord:
    return CaseOnRecord(id=c.id, enterprise=c.enterprise, county=c.county, industries=sorted(set(c.industries)),
                        date=c.date, difficulty=c.difficulty)
