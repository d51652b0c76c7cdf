"""The dossier on the shared event store: its read tables (projections) and the :class:`Dossier`.

Every event goes to the enterprise's stream ``dossier/<id>`` of the one hash-chained store. The
read tables below are derived state, maintained by a projection that runs inside the append's
transaction: it applies each event with :class:`Procedure` (refusing the whole batch if the law
forbids a step) and rewrites the due items of every record the batch touched. The tables are
made by this room's Alembic revisions (``_migrations/``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    Select,
    String,
    Table,
    Text,
    bindparam,
    delete,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection

from ..engine._enterprise import Enterprise
from ..engine._rulebook import Rulebook
from ..experts._evaluation_log import MIGRATIONS as EXPERTS_MIGRATIONS
from ..shared._errors import DossierError, NotFoundError, SafetyRulesError, SchemaError, did_you_mean
from ..shared._events import Event, EventStore, Migrations, NewEvent, Projection, Verification
from ._deadlines import DeadlineTable
from ._due import DueItem, case_items, finding_items
from ._evidence import EvidenceCheck, check_evidence, evidence_dir, store_file
from ._model import (
    PAYLOADS,
    STREAM_PREFIX,
    CaseRecord,
    EnterpriseRecord,
    EvidenceRecord,
    FindingRecord,
    InspectionRecord,
    Officer,
)
from ._outcomes import OutcomeLinks
from ._procedure import Procedure, record_key
from ._replay import ReplayChange, freeze, replay

if TYPE_CHECKING:
    from ._warnings import DossierWarning

MIGRATIONS = Migrations("dossier", Path(__file__).with_name("_migrations"))
Where = tuple[str | None, int | None]

metadata = MetaData()
enterprises_table = Table(
    "dossier_enterprises", metadata,
    Column("enterprise_id", String(64), primary_key=True),
    Column("county", String(40), nullable=True),
    Column("state", String(10), nullable=False),
    Column("closed_on", Date, nullable=True),
    Column("doc", Text, nullable=False),
)
inspections_table = Table(
    "dossier_inspections", metadata,
    Column("inspection_id", String(64), primary_key=True),
    Column("enterprise_id", String(64), nullable=False),
    Column("campaign", String(64), nullable=True),
    Column("inspected_on", Date, nullable=False),
    Column("doc", Text, nullable=False),
    Index("ix_dossier_inspections_campaign", "campaign"),
)
findings_table = Table(
    "dossier_findings", metadata,
    Column("finding_id", String(64), primary_key=True),
    Column("enterprise_id", String(64), nullable=False),
    Column("campaign", String(64), nullable=True),
    Column("rule_id", String(100), nullable=False),
    Column("severity", String(20), nullable=False),
    Column("state", String(20), nullable=False),
    Column("found_on", Date, nullable=False),
    Column("deadline", Date, nullable=True),
    Column("repeat_of", String(64), nullable=True),
    Column("referral", String(200), nullable=True),  # revision dossier_0002
    # revision dossier_0003: what warnings print, so that they parse no document
    Column("title", String(200), nullable=True),
    Column("penalty", Text, nullable=True),
    Column("refused_on", Date, nullable=True),
    Column("measures", Text, nullable=True),  # JSON list
    Column("doc", Text, nullable=False),
    Index("ix_dossier_findings_enterprise_rule", "enterprise_id", "rule_id"),
    Index("ix_dossier_findings_state", "state"),
    # revision dossier_0003: covering the overdue and repeat warnings
    Index("ix_dossier_findings_overdue", "severity", "state", "deadline", "enterprise_id", "finding_id", "title"),
    Index("ix_dossier_findings_repeat_found", "found_on", "enterprise_id", "finding_id", "repeat_of", "rule_id",
          "penalty", sqlite_where=text("repeat_of IS NOT NULL"), postgresql_where=text("repeat_of IS NOT NULL")),
)
cases_table = Table(
    "dossier_cases", metadata,
    Column("case_id", String(64), primary_key=True),
    Column("enterprise_id", String(64), nullable=False),
    Column("campaign", String(64), nullable=True),
    Column("state", String(20), nullable=False),
    Column("decided_on", Date, nullable=True),
    Column("edition", String(10), nullable=True),  # revision dossier_0003
    Column("fine", BigInteger, nullable=True),  # revision dossier_0003
    Column("doc", Text, nullable=False),
    # covers the 提请关闭 count (cases decided in a window, per enterprise, with a fine, by edition)
    Index("ix_dossier_cases_decided", "decided_on", "enterprise_id", "edition", "fine"),
)
due_table = Table(
    "dossier_due", metadata,
    Column("item_id", String(120), primary_key=True),
    Column("subject", String(10), nullable=False),
    Column("subject_id", String(64), nullable=False),
    Column("enterprise_id", String(64), nullable=False),
    Column("county", String(40), nullable=True),
    Column("team", String(40), nullable=False),
    Column("officer", String(40), nullable=False),
    Column("period", String(40), nullable=False),
    Column("label", String(100), nullable=False),
    Column("party", String(20), nullable=False),
    Column("due_on", Date, nullable=False),
    Column("provision", Text, nullable=False),
    Column("checked", Boolean, nullable=False),
    Column("note", Text, nullable=True),
    Index("ix_dossier_due_due_on", "due_on"),
    Index("ix_dossier_due_subject", "subject_id"),
    Index("ix_dossier_due_county_due_on", "county", "due_on"),  # revision dossier_0002
)
evidence_table = Table(
    "dossier_evidence", metadata,
    Column("sha256", String(64), primary_key=True),
    Column("enterprise_id", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("doc", Text, nullable=False),
)
READ_TABLES = [enterprises_table, inspections_table, findings_table, cases_table, due_table, evidence_table]

_TABLE: dict[type[BaseModel], Table] = {
    FindingRecord: findings_table, CaseRecord: cases_table, EnterpriseRecord: enterprises_table,
    InspectionRecord: inspections_table, EvidenceRecord: evidence_table,
}


def _row(record: BaseModel) -> dict[str, Any]:
    """The indexed columns of a record, and the whole record as JSON in ``doc``."""
    doc = record.model_dump_json()
    if isinstance(record, FindingRecord):
        return {"finding_id": record.finding_id, "enterprise_id": record.enterprise_id, "campaign": record.campaign,
                "rule_id": record.issued.rule_id, "severity": record.issued.severity, "state": record.state,
                "found_on": record.issued.date, "deadline": record.deadline, "repeat_of": record.repeat_of,
                "referral": record.referral, "title": record.issued.title,
                "penalty": record.penalty.text if record.penalty else None, "refused_on": record.refused_on,
                "measures": json.dumps(record.measures, ensure_ascii=False), "doc": doc}
    if isinstance(record, CaseRecord):
        return {"case_id": record.case_id, "enterprise_id": record.enterprise_id, "campaign": record.campaign,
                "state": record.state, "decided_on": record.decided_on, "edition": record.edition,
                "fine": record.fine, "doc": doc}
    if isinstance(record, EnterpriseRecord):
        return {"enterprise_id": record.enterprise_id, "county": record.county, "state": record.state,
                "closed_on": record.closed_on, "doc": doc}
    if isinstance(record, InspectionRecord):
        i = record.inspection
        return {"inspection_id": i.inspection_id, "enterprise_id": record.enterprise_id, "campaign": i.campaign,
                "inspected_on": i.date, "doc": doc}
    if isinstance(record, EvidenceRecord):
        return {"sha256": record.evidence.sha256, "enterprise_id": record.enterprise_id, "seq": record.seq, "doc": doc}
    raise TypeError(type(record).__name__)


class MemoryWorld:
    """States in dicts: for folding the events in memory (reports, replay, tests)."""

    def __init__(self) -> None:
        self.records: dict[type[BaseModel], dict[str, Any]] = {k: {} for k in _TABLE}

    def get(self, kind: type[BaseModel], key: str) -> Any:
        return self.records[kind].get(key)

    def put(self, record: BaseModel) -> None:
        kind, key = record_key(record)
        self.records[kind][key] = record

    def all(self, kind: type[BaseModel]) -> list[Any]:
        return list(self.records[kind].values())


def _by_keys(table: Table) -> Select[Any]:
    pk = table.primary_key.columns.values()[0]
    return select(pk, table.c.doc).where(pk.in_(bindparam("keys", expanding=True)))


# Built once: building a statement costs more than running it on an indexed key.
_SELECT_BY_KEYS = {kind: _by_keys(table) for kind, table in _TABLE.items()}
_CHUNK = 500


class SqlWorld:
    """States in the read tables, inside the append's transaction: what a batch touches is loaded in a few
    queries (:meth:`preload`), anything else on demand, and every change written back once (:meth:`flush`)."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self.cache: dict[tuple[type[BaseModel], str], Any] = {}
        self.stored: set[tuple[type[BaseModel], str]] = set()
        self.dirty: dict[tuple[type[BaseModel], str], BaseModel] = {}

    def _load(self, kind: type[BaseModel], keys: Iterable[str]) -> None:
        missing = sorted({k for k in keys if (kind, k) not in self.cache})
        for start in range(0, len(missing), _CHUNK):
            chunk = missing[start:start + _CHUNK]
            for key in chunk:
                self.cache[(kind, key)] = None
            for row in self.conn.execute(_SELECT_BY_KEYS[kind], {"keys": chunk}):
                self.cache[(kind, row[0])] = kind.model_validate_json(row.doc)
                self.stored.add((kind, row[0]))

    def preload(self, events: Sequence[tuple[str, str, BaseModel]]) -> None:
        """Load every record the (enterprise id, kind, payload) events will read: their enterprises, the
        findings, cases, inspections and evidence they name (new ids too: recording one twice is refused), and
        the cases of those findings and the findings of those cases."""
        payloads = [p for _e, _k, p in events]
        self._load(EnterpriseRecord, {e for e, _k, _p in events})
        findings = {x for p in payloads for x in [getattr(p, "finding_id", None), *getattr(p, "finding_ids", ())] if x}
        cases = {x for p in payloads if (x := getattr(p, "case_id", None))}
        self._load(FindingRecord, findings)
        self._load(CaseRecord, cases | {c for f in findings if (r := self.cache[(FindingRecord, f)]) for c in r.cases})
        self._load(FindingRecord, {f for c in cases if (r := self.cache[(CaseRecord, c)]) for f in r.finding_ids})
        self._load(InspectionRecord, (x for p in payloads if (x := getattr(p, "inspection_id", None))))
        self._load(EvidenceRecord, (x for p in payloads for x in [getattr(p, "sha256", None),
                                                                  *getattr(p, "evidence", ())] if x))

    def get(self, kind: type[BaseModel], key: str) -> Any:
        if (kind, key) not in self.cache:
            self._load(kind, [key])
        return self.cache[(kind, key)]

    def put(self, record: BaseModel) -> None:
        k = record_key(record)
        self.cache[k] = record
        self.dirty[k] = record

    def flush(self, procedure: Procedure) -> None:
        # due items to replace: those of records already stored (a new one has none yet); a finding and a case
        # may share an id
        replaced = {subject: [key for (kind, key) in self.dirty if kind is model and (kind, key) in self.stored]
                    for subject, model in (("finding", FindingRecord), ("case", CaseRecord))}
        for kind, table in _TABLE.items():
            records = [(key, r) for (k, key), r in self.dirty.items() if k is kind]
            if not records:
                continue
            pk = table.primary_key.columns.values()[0]
            new = [_row(r) for key, r in records if (kind, key) not in self.stored]
            old = [{**_row(r), "_pk": key} for key, r in records if (kind, key) in self.stored]
            if new:
                self.conn.execute(table.insert(), new)
            if old:
                columns: dict[str, Any] = {c: bindparam(c) for c in old[0] if c != "_pk" and c != pk.name}
                self.conn.execute(update(table).where(pk == bindparam("_pk")).values(columns), old)
            self.stored |= {(kind, key) for key, _ in records}
        t = due_table.c
        for subject, keys in replaced.items():
            for start in range(0, len(keys), _CHUNK):
                self.conn.execute(delete(due_table).where(t.subject == subject,
                                                          t.subject_id.in_(keys[start:start + _CHUNK])))
        items = [i.as_row() for r in self.dirty.values() if isinstance(r, FindingRecord | CaseRecord)
                 for i in due_items(procedure, r)]
        if items:
            self.conn.execute(due_table.insert(), items)
        self.dirty.clear()


def due_query(horizon: dt.date, *, county: str | None = None, team: str | None = None,
              officer: str | None = None) -> Select[Any]:
    """The due items on or before ``horizon``, in DueItem's field order, by county, team, officer and day."""
    t = due_table.c
    query = select(*(t[f.name] for f in fields(DueItem))).where(t.due_on <= horizon)
    for column, value in ((t.county, county), (t.team, team), (t.officer, officer)):
        if value is not None:
            query = query.where(column == value)
    return query.order_by(t.county, t.team, t.officer, t.due_on, t.item_id)


def due_items(procedure: Procedure, record: FindingRecord | CaseRecord) -> list[DueItem]:
    if isinstance(record, FindingRecord):
        return finding_items(procedure, record)
    return case_items(procedure, record)


def parse(kind: str, payload: Mapping[str, Any]) -> BaseModel:
    model = PAYLOADS.get(kind)
    if model is None:
        raise DossierError(f"unknown dossier event kind {kind!r}; known: {', '.join(sorted(PAYLOADS))}")
    return model.model_validate(payload)


def enterprise_of(stream: str) -> str | None:
    return stream[len(STREAM_PREFIX):] if stream.startswith(STREAM_PREFIX) else None


def projector(procedure: Procedure, where: Sequence[Where] | None = None,
              parsed: Sequence[BaseModel] | None = None, links: OutcomeLinks | None = None) -> Projection:
    """Apply each dossier event of a batch to the read tables; any refusal refuses the whole batch.

    ``parsed``: the payloads of exactly these events as already validated by the writer (each event's
    payload is its dump), so they are not parsed twice. ``links``: a new batch's links to the expert
    registry, checked and the outcomes they settle collected (not given when the tables are rebuilt).
    """

    def project(conn: Connection, events: Sequence[Event]) -> None:
        mine: list[tuple[int, Event, str, BaseModel]] = []
        for i, e in enumerate(events):
            enterprise = enterprise_of(e.stream)
            if enterprise is None:
                continue
            try:
                mine.append((i, e, enterprise, parsed[i] if parsed is not None else parse(e.kind, e.payload)))
            except ValidationError as exc:
                raise SchemaError(f"event {i + 1} ({e.kind}): {exc.errors()[0]['msg']} at "
                                  f"{'.'.join(map(str, exc.errors()[0]['loc']))}") from None
        world = SqlWorld(conn)
        world.preload([(enterprise, e.kind, payload) for _i, e, enterprise, payload in mine])
        if links is not None:
            links.load(conn, [payload for *_, payload in mine])
        for i, e, enterprise, payload in mine:
            try:
                if links is not None:
                    links.check(enterprise, payload)
                procedure.apply(world, enterprise, e.kind, payload, e.seq)
                if links is not None:
                    links.settle(world, e, payload)
            except SafetyRulesError as exc:
                path, line = where[i] if where else (None, None)
                raise exc.located(path=path, line=line) from None
        world.flush(procedure)

    return project


def _reset(conn: Connection) -> None:
    for table in READ_TABLES:
        conn.execute(delete(table))


class Dossier:
    """一企一册: the enforcement dossiers in the event store at ``url`` (a path or a SQLAlchemy URL).

    ``rules``: the rulebook whose law catalog the deadlines and citations resolve against (and
    that :meth:`inspect` and replay assess with); default the bundled one.
    """

    def __init__(self, url: str | Path | None = None, *, read_only: bool = False,
                 hmac_key: str | bytes | None = None, rules: str | Path | None = None,
                 book: Rulebook | None = None) -> None:
        # the registry's tables too: a dossier finding names an expert finding of the same store
        self.store = EventStore(url, read_only=read_only, hmac_key=hmac_key,
                                migrations=[EXPERTS_MIGRATIONS, MIGRATIONS])
        self.book = book or Rulebook.load(rules)
        self.procedure = Procedure(self.book.law, DeadlineTable(self.book.law))

    @property
    def url(self) -> str:
        return self.store.name

    @property
    def evidence_dir(self) -> Path:
        """Beside a SQLite file (``<database>-evidence``); for another database, ``$SAFETY_RULES_EVIDENCE``."""
        return evidence_dir(self.store)

    # ----------------------------------------------------------------- writing
    def record(self, items: Sequence[tuple[str, str, Mapping[str, Any]]], *,
               where: Sequence[Where] | None = None) -> list[Event]:
        """Append (enterprise id, kind, payload) events in one transaction: all of them, or none; with them,
        the expert registry's outcomes of the linked findings they settle (see :mod:`._outcomes`), which
        follow them in the returned list."""
        new, models = [], []
        for i, (enterprise, kind, payload) in enumerate(items):
            try:
                model = parse(kind, payload)
            except ValidationError as exc:
                path, line = where[i] if where else (None, None)
                err = exc.errors()[0]
                raise SchemaError(f"{kind}: {'.'.join(map(str, err['loc']))}: {err['msg']}", path=path,
                                  line=line) from None
            new.append(NewEvent(f"{STREAM_PREFIX}{enterprise}", kind, model.model_dump(mode="json")))
            models.append(model)
        links = OutcomeLinks()
        return self.store.append(new, project=projector(self.procedure, where, models, links), follow=links.follow)

    def inspect(self, enterprise: Enterprise, *, inspection_id: str, team: str, officers: Sequence[Officer],
                date: dt.date, campaign: str | None = None, observed: Mapping[str, dt.date] | None = None,
                expert_findings: Mapping[str, str] | None = None) -> list[Event]:
        """Assess ``enterprise`` on ``date`` and record the inspection with every finding frozen as issued
        (``observed``: the day each fact was observed, if not ``date``; ``expert_findings``: rule id → the
        expert finding of the registry that the finding of that rule came from)."""
        events = freeze(self.book, enterprise, inspection_id=inspection_id, team=team, officers=officers, date=date,
                        campaign=campaign, observed=dict(observed or {}))
        found = {p["rule_id"]: p for kind, p in events if kind == "finding"}
        for rule_id, expert_finding in (expert_findings or {}).items():
            if rule_id not in found:
                raise NotFoundError(f"inspection {inspection_id} finds nothing under rule {rule_id!r}, so no finding "
                                    f"can come from expert finding {expert_finding!r}",
                                    suggestion=did_you_mean(rule_id, found), rule=rule_id)
            found[rule_id]["expert_finding_id"] = expert_finding
        return self.record([(enterprise.id, kind, payload) for kind, payload in events])

    def add_evidence(self, path: str | Path, enterprise_id: str, *, kind: str, method: str, made_at: dt.datetime,
                     made_by: str, proves: str, source: str, findings: Sequence[str] = ()) -> str:
        """Store an evidence file content-addressed in :attr:`evidence_dir` and record it with what the evidence
        rules ask for (种类、制作方法、制作时间、制作人、证明对象、来源); returns its SHA-256."""
        source_path = Path(path)
        sha, size = store_file(self.evidence_dir, source_path)
        self.record([(enterprise_id, "evidence", {
            "sha256": sha, "filename": source_path.name, "size": size, "kind": kind, "method": method,
            "made_at": made_at.isoformat(), "made_by": made_by, "proves": proves, "source": source,
            "finding_ids": list(findings)})])
        return sha

    def rebuild(self) -> None:
        """Remake every read table from the events (they are derived state)."""
        self.store.rebuild(_reset, projector(self.procedure))

    # ----------------------------------------------------------------- reading
    def events(self, upto: int | None = None) -> Iterator[Event]:
        for e in self.store.events(upto=upto):
            if enterprise_of(e.stream) is not None:
                yield e

    def fold(self, upto: int | None = None) -> MemoryWorld:
        """Every state, from the events alone (not the read tables)."""
        world = MemoryWorld()
        for _ in self.folding(world, upto):
            pass
        return world

    def folding(self, world: MemoryWorld, upto: int | None = None) -> Iterator[tuple[Event, BaseModel]]:
        """Apply each event to ``world`` in chain order, yielding it (and its payload) once applied."""
        for e in self.events(upto):
            enterprise = enterprise_of(e.stream)
            assert enterprise is not None
            payload = parse(e.kind, e.payload)
            self.procedure.apply(world, enterprise, e.kind, payload, e.seq)
            yield e, payload

    def _records(self, kind: type[BaseModel], where: Any = None) -> list[Any]:
        table = _TABLE[kind]
        query = select(table.c.doc)
        if where is not None:
            query = query.where(where)
        with self.store.engine.connect() as conn:
            return [kind.model_validate_json(doc) for doc in conn.execute(query).scalars()]

    def finding(self, finding_id: str) -> FindingRecord | None:
        found = self._records(FindingRecord, findings_table.c.finding_id == finding_id)
        return found[0] if found else None

    def findings(self, where: Any = None) -> list[FindingRecord]:
        return self._records(FindingRecord, where)

    def cases(self, where: Any = None) -> list[CaseRecord]:
        return self._records(CaseRecord, where)

    def enterprises(self, where: Any = None) -> list[EnterpriseRecord]:
        return self._records(EnterpriseRecord, where)

    def due(self, as_of: dt.date, within: int = 0, *, county: str | None = None, team: str | None = None,
            officer: str | None = None) -> list[DueItem]:
        """Every open deadline on or before ``as_of + within`` days (overdue ones included): ``<=``, never ``==``;
        of one county, team or officer if given."""
        query = due_query(as_of + dt.timedelta(days=within), county=county, team=team, officer=officer)
        with self.store.engine.connect() as conn:
            return [DueItem(*row) for row in conn.execute(query)]

    def warnings(self, as_of: dt.date) -> list[DossierWarning]:
        """隐患预警 on ``as_of``: overdue major hazards, 提请关闭, repeats, refusals (see :mod:`._warnings`)."""
        from ._warnings import warnings

        return warnings(self, as_of)

    def replay(self) -> list[ReplayChange]:
        """Open findings whose rule, edition or outcome differs under this dossier's rulebook on their own date.
        Nothing is rewritten."""
        world = self.fold()
        return replay(self.book, world.all(FindingRecord),
                      {i.inspection.inspection_id: i for i in world.all(InspectionRecord)})

    def report(self, campaign: str, *, as_of: dt.date, compare: str | None = None) -> dict[str, Any]:
        """The campaign report (执法检查情况通报) as of ``as_of``, counted from the events; ``compare``: an earlier
        campaign for the violations-per-enterprise comparison. Render it with :func:`campaign_report_markdown`
        or :func:`campaign_report_html`."""
        from ._report import campaign_report, fold_campaigns

        world, documents = fold_campaigns(self, as_of)
        return campaign_report(world, documents.get(campaign, Counter()), campaign, as_of=as_of,
                               industries=self.book.industries, compare=compare,
                               compare_documents=documents.get(compare or ""))

    def verify(self, anchor: str | None = None) -> Verification:
        """The event store's chain (names the first altered, removed or reordered event); see also
        :meth:`check_evidence`."""
        return self.store.verify(anchor)

    def check_evidence(self) -> EvidenceCheck:
        """Hash every recorded evidence file again: each one missing or changed."""
        t = evidence_table.c
        with self.store.engine.connect() as conn:
            recorded = [(sha, json.loads(doc)["evidence"]["filename"], seq)
                        for sha, doc, seq in conn.execute(select(t.sha256, t.doc, t.seq).order_by(t.seq))]
        return check_evidence(self.evidence_dir, recorded) if recorded else EvidenceCheck(0, [])

    def head(self) -> tuple[int, str]:
        return self.store.head()


def load_event_file(path: str | Path) -> tuple[list[tuple[str, str, dict[str, Any]]], list[Where]]:
    """Dossier events from a JSONL file (one ``{"enterprise", "kind", "payload"}`` per line) or a YAML file
    (``events: [...]`` of the same), each with its (file, line)."""
    from ..shared._yaml import line_of, load_yaml

    p = Path(path)
    items: list[tuple[str, str, dict[str, Any]]] = []
    where: list[Where] = []
    if p.suffix == ".jsonl":
        with p.open(encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise SchemaError(f"not JSON: {exc.msg}", path=p, line=n) from None
                items.append(_entry(entry, p, n))
                where.append((str(p), n))
        return items, where
    raw = load_yaml(p, max_bytes=64 * 1024 * 1024)
    if not isinstance(raw, dict) or not isinstance(raw.get("events"), list):
        raise SchemaError("expected a mapping with a list 'events'", path=p, line=1)
    for i, entry in enumerate(raw["events"]):
        at = line_of(raw, ["events", i])
        items.append(_entry(entry, p, at))
        where.append((str(p), at))
    return items, where


def _entry(entry: Any, path: Path, line: int | None) -> tuple[str, str, dict[str, Any]]:
    if not isinstance(entry, dict) or set(entry) != {"enterprise", "kind", "payload"}:
        raise SchemaError("each event has exactly the keys enterprise, kind, payload", path=path, line=line)
    if not isinstance(entry["payload"], dict):
        raise SchemaError("payload must be a mapping", path=path, line=line)
    return str(entry["enterprise"]), str(entry["kind"]), json.loads(json.dumps(entry["payload"], default=str))
