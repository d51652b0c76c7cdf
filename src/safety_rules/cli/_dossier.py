"""``safety-rules dossier ...`` and ``safety-rules report``: the enforcement dossier on the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections import Counter
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ..dossier._evidence import check_evidence, store_file
from ..dossier._model import FindingRecord, InspectionRecord, Officer
from ..dossier._replay import freeze, replay
from ..dossier._report import campaign_report, fold_campaigns, report_html, report_markdown
from ..dossier._store import Dossier, evidence_table, load_event_file
from ..dossier._warnings import warnings
from ..shared._events import KEY_VARIABLE, LOCATION_VARIABLE
from ._app import RulesOption, app, day, err, fail, handled, out, print_json

dossier_app = typer.Typer(no_args_is_help=True, help=(
    "一企一册: inspections and findings frozen as issued, the legal loop to 销号, deadlines, warnings. Events are "
    f"authenticated with HMAC-SHA-256 when ${KEY_VARIABLE} is set."))
app.add_typer(dossier_app, name="dossier")

DbOption = Annotated[str | None, typer.Option("--db", show_default=False, help=(
    f"the event store: a SQLite file path or a SQLAlchemy URL (default: ${LOCATION_VARIABLE}, else events.sqlite3 "
    "in the user data directory)"))]
DayOption = Annotated[dt.datetime, typer.Option("--as-of", formats=["%Y-%m-%d"], help="the day, YYYY-MM-DD")]


class Shape(StrEnum):
    table = "table"
    json = "json"


class ReportFormat(StrEnum):
    markdown = "markdown"
    json = "json"
    html = "html"


def _open(db: str | None, rules: Path | None = None, *, read_only: bool = True) -> Dossier:
    return Dossier(db, read_only=read_only, rules=rules)


def _officer(text: str) -> Officer:
    name, sep, certificate = text.partition(":")
    if not sep:
        fail(f"--officer {text!r}: write NAME:CERTIFICATE (执法证号)")
    return Officer(name=name, certificate=certificate)


@dossier_app.command()
@handled
def inspect(
    file: Annotated[Path, typer.Argument(help="enterprise fact file (YAML)")],
    inspection_id: Annotated[str, typer.Option("--id", help="inspection id")],
    team: Annotated[str, typer.Option("--team", help="检查组")],
    officer: Annotated[list[str], typer.Option("--officer", help="NAME:CERTIFICATE, at least two")],
    date: DayOption,
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Record an inspection: assess the enterprise on the day and freeze every finding as issued."""
    dossier = _open(db, rules, read_only=False)
    enterprise = dossier.book.load_enterprise(file)
    events = freeze(dossier.book, enterprise, inspection_id=inspection_id, team=team, campaign=campaign,
                    officers=[_officer(o) for o in officer], date=date.date())
    written = dossier.record([(enterprise.id, kind, payload) for kind, payload in events])
    out.print(f"recorded inspection {inspection_id}: {len(written) - 1} finding(s), seq {written[0].seq}-"
              f"{written[-1].seq}", highlight=False)


@dossier_app.command()
@handled
def record(
    file: Annotated[Path, typer.Argument(help="events: JSONL ({enterprise, kind, payload} a line) or YAML (events:)")],
    evidence: Annotated[Path | None, typer.Option("--evidence", help="directory holding the files its evidence "
                                                  "events name (stored content-addressed first)")] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Append a file of dossier events in one transaction: every step is checked, all or nothing."""
    items, where = load_event_file(file)
    dossier = _open(db, rules, read_only=False)
    if evidence is not None:
        for (_enterprise, kind, payload), (path, line) in zip(items, where, strict=True):
            if kind == "evidence":
                sha, _size = store_file(dossier.evidence_dir, evidence / str(payload.get("filename")))
                if sha != payload.get("sha256"):
                    fail(f"{path}:{line}: {payload.get('filename')} has SHA-256 {sha}, the event records "
                         f"{payload.get('sha256')}")
    written = dossier.record(items, where=where)
    if written:
        out.print(f"recorded {len(written)} event(s), seq {written[0].seq}-{written[-1].seq}", highlight=False)
    else:
        out.print("no events in the file; nothing recorded", highlight=False)


evidence_app = typer.Typer(no_args_is_help=True, help="evidence files, stored by SHA-256 beside the database")
dossier_app.add_typer(evidence_app, name="evidence")


@evidence_app.command("add")
@handled
def evidence_add(
    file: Annotated[Path, typer.Argument(help="the evidence file")],
    enterprise: Annotated[str, typer.Option("--enterprise")],
    kind: Annotated[str, typer.Option("--kind", help="证据种类, e.g. 视听资料")],
    method: Annotated[str, typer.Option("--method", help="制作方法")],
    made_at: Annotated[str, typer.Option("--made-at", help="制作时间, ISO 8601 with a time zone")],
    made_by: Annotated[str, typer.Option("--made-by", help="制作人")],
    proves: Annotated[str, typer.Option("--proves", help="证明对象")],
    source: Annotated[str, typer.Option("--source", help="来源（设备、提供人）")],
    finding: Annotated[list[str] | None, typer.Option("--finding", help="finding it supports")] = None,
    db: DbOption = None,
) -> None:
    """Store an evidence file (content-addressed) and record it with what the evidence rules ask for."""
    dossier = _open(db, read_only=False)
    sha, size = store_file(dossier.evidence_dir, file)
    dossier.record([(enterprise, "evidence", {
        "sha256": sha, "filename": file.name, "size": size, "kind": kind, "method": method, "made_at": made_at,
        "made_by": made_by, "proves": proves, "source": source, "finding_ids": finding or []})])
    out.print(f"evidence {file.name}: sha256 {sha}", highlight=False)


@dossier_app.command()
@handled
def verify(
    anchor: Annotated[str | None, typer.Option("--anchor", help="a head hash kept from an earlier write")] = None,
    db: DbOption = None,
) -> None:
    """Verify the chain (names the first altered, removed or reordered event) and every evidence file."""
    dossier = _open(db)
    result = dossier.verify(anchor)
    out.print(str(result), highlight=False)
    with dossier.store.engine.connect() as conn:
        recorded = [(sha, json.loads(doc)["evidence"]["filename"], seq)
                    for sha, doc, seq in conn.execute(evidence_table.select().with_only_columns(
                        evidence_table.c.sha256, evidence_table.c.doc, evidence_table.c.seq))]
    problems = check_evidence(dossier.evidence_dir, recorded) if recorded else []
    for p in problems:
        out.print(f"  evidence: FAILED — {p}", highlight=False)
    if recorded and not problems:
        out.print(f"  evidence: ok — {len(recorded)} file(s) match their SHA-256", highlight=False)
    if not result.ok or problems:
        raise typer.Exit(1)


@dossier_app.command()
@handled
def due(
    as_of: DayOption,
    within: Annotated[int, typer.Option("--within", min=0, help="also list what falls due within N days")] = 0,
    format: Annotated[Shape, typer.Option("--format", "-f")] = Shape.table,
    db: DbOption = None,
) -> None:
    """Overdue and due-soon deadlines per county, team and officer, each with its provision."""
    items = _open(db).due(as_of.date(), within)
    today = as_of.date()
    if format is Shape.json:
        print_json([{**i.as_row(), "due_on": i.due_on.isoformat(), "overdue": i.due_on < today} for i in items])
        return
    if not items:
        out.print(f"nothing due on or before {today + dt.timedelta(days=within)}", highlight=False)
        return
    table = Table("县区", "检查组", "执法人员", "企业", "事项", "对象", "期限", "", "依据")
    for i in items:
        state = "逾期" if i.due_on < today else ("今日" if i.due_on == today else "将到期")
        basis = i.provision if i.checked else f"{i.provision} ⚠未核实" + (f"：{i.note}" if i.note else "")
        table.add_row(i.county or "", i.team, i.officer, i.enterprise_id, f"{i.label}（{i.party}）",
                      i.subject_id, i.due_on.isoformat(), state, basis)
    out.print(table)


@dossier_app.command("warnings")
@handled
def warnings_command(
    as_of: DayOption,
    format: Annotated[Shape, typer.Option("--format", "-f")] = Shape.table,
    db: DbOption = None,
) -> None:
    """隐患预警: overdue major hazards, 提请关闭 (3 penalties in 180 days / 4 in a year), repeats, refusals."""
    found = warnings(_open(db), as_of.date())
    if format is Shape.json:
        print_json([w.as_dict() for w in found])
        return
    if not found:
        out.print("no warnings", highlight=False)
        return
    table = Table("预警", "企业", "对象", "日期", "内容", "依据")
    for w in found:
        table.add_row(w.kind, w.enterprise_id, ", ".join(w.subjects), w.day.isoformat(), w.message, w.provision)
    out.print(table)


@dossier_app.command("replay")
@handled
def replay_command(
    db: DbOption = None,
    rules: RulesOption = None,
    format: Annotated[Shape, typer.Option("--format", "-f")] = Shape.table,
) -> None:
    """Open findings whose rule or edition has changed: their frozen facts assessed under the current rulebook
    on their date. Nothing is rewritten."""
    dossier = _open(db, rules)
    world = dossier.fold()
    changes = replay(dossier.book, world.all(FindingRecord),
                     {i.inspection.inspection_id: i for i in world.all(InspectionRecord)})
    if format is Shape.json:
        print_json([{**c.__dict__, "found_on": c.found_on.isoformat()} for c in changes])
        return
    if not changes:
        out.print(f"no open finding changes under rulebook {dossier.book.version}", highlight=False)
    for c in changes:
        out.print(f"{c.finding_id} ({c.enterprise_id}, {c.rule_id}, {c.found_on}): " + "；".join(c.changes),
                  highlight=False)


@dossier_app.command()
@handled
def rebuild(db: DbOption = None, rules: RulesOption = None) -> None:
    """Remake the read tables from the events (they are derived state)."""
    _open(db, rules, read_only=False).rebuild()
    out.print("read tables rebuilt from the events", highlight=False)


@app.command()
@handled
def report(
    campaign: Annotated[str, typer.Argument(help="campaign id, as recorded on its inspections")],
    db: DbOption = None,
    as_of: Annotated[dt.datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], show_default=False,
                                                      help="count up to this day (default: today)")] = None,
    compare: Annotated[str | None, typer.Option("--compare", help="an earlier campaign to compare with")] = None,
    format: Annotated[ReportFormat, typer.Option("--format", "-f")] = ReportFormat.markdown,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to a file")] = None,
) -> None:
    """The campaign report (执法检查情况通报) computed from the dossier's events."""
    dossier = _open(db)
    day_ = day(as_of) or dt.date.today()
    world, documents = fold_campaigns(dossier, day_)
    r = campaign_report(world, documents.get(campaign, Counter()), campaign, as_of=day_,
                        industries=dossier.book.industries, compare=compare,
                        compare_documents=documents.get(compare or ""))
    text = json.dumps(r, ensure_ascii=False, indent=2) + "\n" if format is ReportFormat.json else \
        report_html(r) if format is ReportFormat.html else report_markdown(r)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)
    else:
        sys.stdout.write(text)

