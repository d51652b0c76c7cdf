"""``safety-rules dossier ...`` and ``safety-rules report``: the enforcement dossier on the command line."""

from __future__ import annotations

import datetime as dt
import json
import sys
from enum import StrEnum
from itertools import groupby
from pathlib import Path
from typing import Annotated

import typer
from rich.cells import cell_len
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ..dossier._due import DueItem
from ..dossier._evidence import store_file
from ..dossier._model import Officer
from ..dossier._report import campaign_report_html, campaign_report_markdown
from ..dossier._store import Dossier, load_event_file
from ..experts._records import OUTCOMES
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
    date: Annotated[dt.datetime, typer.Option("--date", formats=["%Y-%m-%d"], help="the inspection day, YYYY-MM-DD")],
    campaign: Annotated[str | None, typer.Option("--campaign")] = None,
    expert_finding: Annotated[list[str] | None, typer.Option(
        "--expert-finding", help="RULE=ID: the finding of that rule came from the expert registry's finding ID "
        "(recorded in the same store); its outcome is recorded there")] = None,
    db: DbOption = None,
    rules: RulesOption = None,
) -> None:
    """Record an inspection: assess the enterprise on the day and freeze every finding as issued."""
    links: dict[str, str] = {}
    for pair in expert_finding or []:
        rule_id, sep, expert_id = pair.partition("=")
        if not sep or not rule_id or not expert_id:
            fail(f"--expert-finding {pair!r}: expected RULE=ID, e.g. dust.zone20-electrics=F-2024-001")
        links[rule_id] = expert_id
    dossier = _open(db, rules, read_only=False)
    enterprise = dossier.book.load_enterprise(file)
    written = dossier.inspect(enterprise, inspection_id=inspection_id, team=team, campaign=campaign,
                              officers=[_officer(o) for o in officer], date=date.date(), expert_findings=links)
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
        outcomes = sum(1 for e in written if e.stream == OUTCOMES)
        also = f" and {outcomes} expert finding outcome(s) ({OUTCOMES})" if outcomes else ""
        out.print(f"recorded {len(written) - outcomes} event(s){also}, seq {written[0].seq}-{written[-1].seq}",
                  highlight=False)
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
    made_at: Annotated[str, typer.Option("--made-at", help="制作时间, ISO 8601 with a time zone, e.g. "
                                         "2024-10-08T09:30:00+08:00")],
    made_by: Annotated[str, typer.Option("--made-by", help="制作人")],
    proves: Annotated[str, typer.Option("--proves", help="证明对象")],
    source: Annotated[str, typer.Option("--source", help="来源（设备、提供人）")],
    finding: Annotated[list[str] | None, typer.Option("--finding", help="finding it supports")] = None,
    db: DbOption = None,
) -> None:
    """Store an evidence file (content-addressed) and record it with what the evidence rules ask for."""
    try:
        made = dt.datetime.fromisoformat(made_at)
    except ValueError:
        fail(f"--made-at {made_at!r}: write an ISO 8601 time with a time zone, e.g. 2024-10-08T09:30:00+08:00")
    sha = _open(db, read_only=False).add_evidence(file, enterprise, kind=kind, method=method, made_at=made,
                                                  made_by=made_by, proves=proves, source=source,
                                                  findings=finding or [])
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
    evidence = dossier.check_evidence()
    for p in evidence.problems:
        out.print(f"  evidence: FAILED — {p}", highlight=False)
    if evidence.files and evidence.ok:
        out.print(f"  evidence: ok — {evidence.files} file(s) match their SHA-256", highlight=False)
    if not result.ok or not evidence.ok:
        raise typer.Exit(1)


@dossier_app.command()
@handled
def due(
    as_of: DayOption,
    within: Annotated[int, typer.Option("--within", min=0, help="also list what falls due within N days")] = 0,
    county: Annotated[str | None, typer.Option("--county", help="only this county (县区)")] = None,
    team: Annotated[str | None, typer.Option("--team", help="only this team (检查组)")] = None,
    officer: Annotated[str | None, typer.Option("--officer", help="only this officer (执法人员)")] = None,
    format: Annotated[Shape, typer.Option("--format", "-f")] = Shape.table,
    db: DbOption = None,
) -> None:
    """Overdue and due-soon deadlines per county, team and officer, each with its provision. The table fits an
    80-column terminal (provisions abbreviated, long lines folded); --format json gives every field in full."""
    today = as_of.date()
    items = _open(db).due(today, within, county=county, team=team, officer=officer)
    if format is Shape.json:
        print_json([{**i.as_row(), "due_on": i.due_on.isoformat(), "overdue": i.due_on < today} for i in items])
        return
    if not items:
        out.print(f"nothing due on or before {today + dt.timedelta(days=within)}", highlight=False)
        return
    overdue = sum(1 for i in items if i.due_on < today)
    out.print(f"{len(items)} 项到期或将到期（{overdue} 项逾期），截至 {today + dt.timedelta(days=within)}",
              highlight=False)
    subjects = [_subject(i) for i in items]
    width = max(cell_len(s) for s in subjects)
    for (where, group) in groupby(zip(items, subjects, strict=True), key=lambda x: (x[0].county, x[0].team,
                                                                                   x[0].officer)):
        rows = list(group)
        out.print(Text(f"\n{where[0] or '（县区未填）'} · {where[1]} · {where[2]}（{len(rows)} 项）", style="bold"))
        for i, subject in rows:
            line = Table.grid(padding=(0, 1), pad_edge=False)
            line.add_column(width=10, no_wrap=True)
            line.add_column(width=10, no_wrap=True)
            line.add_column(width=width, no_wrap=True)
            line.add_column(overflow="fold")
            line.add_row(i.due_on.isoformat(), _when(i.due_on, today), subject, f"{i.label}（{PARTY[i.party]}）")
            # folded by rich at the terminal's width, each part under its own indent (not the terminal's wrap)
            out.print(Padding(line, (0, 0, 0, 2)), soft_wrap=False)
            basis = _short(i.provision) + ("" if i.checked else " ⚠未核实") + (f"；{i.note}" if i.note else "")
            out.print(Padding(Text(f"依据 {basis}", overflow="fold"), (0, 0, 0, 4)), soft_wrap=False)


PARTY = {"enterprise": "企业", "authority": "执法机关"}


def _subject(i: DueItem) -> str:
    """The finding or case, with its enterprise when its id does not say it."""
    return i.subject_id if i.subject_id.startswith(i.enterprise_id) else f"{i.enterprise_id}/{i.subject_id}"


def _when(due_on: dt.date, today: dt.date) -> str:
    days = (due_on - today).days
    return f"逾期{-days}天" if days < 0 else "今日到期" if days == 0 else f"{days}天后"


def _short(provision: str) -> str:
    """A provision as cited in a table: 《中华人民共和国安全生产法》 → 《安全生产法》 (the usual 简称)."""
    return provision.replace("《中华人民共和国", "《")


@dossier_app.command("warnings")
@handled
def warnings_command(
    as_of: DayOption,
    format: Annotated[Shape, typer.Option("--format", "-f")] = Shape.table,
    db: DbOption = None,
) -> None:
    """隐患预警: overdue major hazards, 提请关闭 (3 penalties in 180 days / 4 in a year), repeats, refusals."""
    found = _open(db).warnings(as_of.date())
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
    changes = dossier.replay()
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
    r = _open(db).report(campaign, as_of=day(as_of) or dt.date.today(), compare=compare)
    text = json.dumps(r, ensure_ascii=False, indent=2) + "\n" if format is ReportFormat.json else \
        campaign_report_html(r) if format is ReportFormat.html else campaign_report_markdown(r)
    if output is not None:
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)
    else:
        sys.stdout.write(text)

