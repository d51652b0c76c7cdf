"""``safety-rules plan``: plan an inspection campaign, or check a hand-made plan against it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ..fieldwork._campaign import Campaign, load_campaign
from ..fieldwork._ics import plan_calendar
from ..fieldwork._plan import Explanation, Plan, PlanCheck
from ..fieldwork._plan_check import check_plan, load_plan
from ..fieldwork._planner import DEFAULT_BUDGET, plan_campaign
from ._app import RulesOption, app, fail, handled, known_industries, out, print_json

WEEKDAY = "一二三四五六日"
STATUS = {"planned": "已排定", "infeasible": "排不下", "unknown": "未能确定"}


class PlanFormat(StrEnum):
    table = "table"
    json = "json"


@app.command("plan")
@handled
def plan_command(
    campaign: Annotated[Path, typer.Argument(help="campaign file (YAML)")],
    check: Annotated[Path | None, typer.Option("--check", show_default=False, help=(
        "check this plan (hand-made YAML, or the JSON of an earlier run) instead of planning"))] = None,
    ics: Annotated[Path | None, typer.Option("--ics", show_default=False,
                                             help="also write the plan as an iCalendar file")] = None,
    budget: Annotated[float, typer.Option("--budget", min=0.01, help=(
        "search budget per solve, in the solver's deterministic seconds"))] = DEFAULT_BUDGET,
    dossier: Annotated[str | None, typer.Option("--dossier", show_default=False, help=(
        "take open major hazards and re-inspection dues from this dossier (一企一册: a SQLite path or a database "
        "URL, read only) for every enterprise it knows"))] = None,
    as_of: Annotated[dt.datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], show_default=False, help=(
        "with --dossier: count major hazards open on this day, YYYY-MM-DD (default: the campaign's first day)"))]
    = None,
    rules: RulesOption = None,
    format: Annotated[PlanFormat, typer.Option("--format", "-f", help="output format")] = PlanFormat.table,
) -> None:
    """Assign a campaign's enterprises to teams and days under every rule, or say why they do not fit."""
    c = load_campaign(campaign, industries=known_industries(rules))
    if dossier is not None:
        # the dossier's database libraries are paid for only when it is asked for
        from ..dossier._store import Dossier
        from ..fieldwork._priorities import campaign_with_dossier

        d = Dossier(dossier, read_only=True, rules=rules)
        try:
            c = campaign_with_dossier(c, d, as_of.date() if as_of else None)
        finally:
            d.store.dispose()
    elif as_of is not None:
        fail("--as-of is the day the dossier's hazards are counted on: it needs --dossier")
    if check is not None:
        data, raw = load_plan(check)
        report = check_plan(c, data, path=str(check), raw=raw)
        if c.priority_sources:
            report = report.model_copy(update={"notes": [*report.notes, *(s.text for s in c.priority_sources
                                                                          if s.differs)]})
        if format is PlanFormat.json:
            print_json(report.model_dump(mode="json"))
        else:
            out.print(_check_text(c, report))
        if not report.ok:
            raise typer.Exit(1)
        return
    result = plan_campaign(c, budget=budget)
    if format is PlanFormat.json:
        print_json(result.model_dump(mode="json"))
    else:
        out.print(_plan_renderable(c, result))
    if result.status != "planned":
        if ics is not None:
            fail(f"no plan, so no calendar was written to {ics}", code=1)
        raise typer.Exit(1)
    if ics is not None:
        try:
            ics.parent.mkdir(parents=True, exist_ok=True)
            ics.write_bytes(plan_calendar(result))
        except OSError as exc:
            fail(f"cannot write the calendar to {ics}: {exc.strerror or exc}")
        if format is PlanFormat.table:
            out.print(f"日历已写入 {ics}（{len(result.visits)} 项检查）", highlight=False)


def _plan_renderable(c: Campaign, p: Plan) -> RenderableType:
    head = Text()
    head.append(f"{p.title}（{p.campaign}）：{STATUS[p.status]}\n", style="bold")
    parts: list[RenderableType] = [head]
    by_day = defaultdict(list)
    for td in p.team_days:
        by_day[td.date].append(td)
    for day, tds in sorted(by_day.items()):
        table = Table(title=f"{day} 星期{WEEKDAY[day.weekday()]}", title_justify="left", show_lines=True)
        for name in ("检查组", "县区", "企业", "执法人员", "陪检人员"):
            table.add_column(name)
        for td in tds:
            ents = "\n".join(f"{eid} {c.enterprise[eid].name}"
                             + (f"\n  ★ {pr}" if (pr := c.priority_text(c.enterprise[eid])) else "")
                             for eid in td.enterprises)
            officers = "\n".join(f"{c.officer[o].name}" + ("" if c.officer[o].certified else "（无证）")
                                 for o in td.officers)
            escort = c.escort[td.escort].name if td.escort else "—"
            table.add_row(c.team[td.team].name, td.county or "", ents, officers, escort)
        parts.append(table)
    tail = Text()
    if p.objective is not None:
        o = p.objective
        proven = "，均已证明最优" if all(o.proven_optimal.values()) else \
            "；未证明最优：" + "、".join(f"{k}（下界 {o.lower_bounds[k]}）" if k in o.lower_bounds else k
                                     for k, v in o.proven_optimal.items() if not v)
        tail.append(f"\n目标（依次最小化）：重点企业 {o.priority}，组日 {o.team_days}，行程 {o.travel_minutes} 分钟"
                    f"{proven}\n")
        for t in p.teams:
            tail.append(f"  {t.name}：{t.working_days} 个工作日，检查 {t.visits} 家，平均 {t.average:.2f} 家/日"
                        f"（目标 {t.target:g}）\n")
    if p.left_out:
        tail.append("\n未列入计划：\n", style="bold")
        for x in p.left_out:
            tail.append(f"  {x.enterprise} {x.enterprise_name}  {x.rule}：{x.reason}\n")
    if p.priority_sources:
        tail.append(f"\n重点来源（一企一册，{len(p.priority_sources)} 家；"
                    f"{sum(s.differs for s in p.priority_sources)} 家与计划文件不同）：\n", style="bold")
        for s in p.priority_sources:
            tail.append(f"  {'≠' if s.differs else ' '} {s.enterprise} {c.enterprise[s.enterprise].name}  {s.text}\n",
                        style="yellow" if s.differs else "")
    if p.draw is not None:
        tail.append(f"\n双随机抽取（公开种子 {p.draw.seed}）：\n", style="bold")
        for d in p.draw.specialties:
            tail.append(f"  {d.specialty}：从 {d.population} 家中抽 {d.asked} 家："
                        f"{'、'.join(x.enterprise for x in d.drawn) or '—'}\n")
    if p.explanation is not None:
        tail.append_text(_explanation_text(p.explanation))
    parts.append(tail)
    return Group(*parts)


def _explanation_text(e: Explanation) -> Text:
    t = Text()
    t.append("\n供需（需要 / 可用）：\n", style="bold")
    for line in e.supply:
        t.append(("  ✗ " if line.short else "    ") + line.text + "\n", style="bold red" if line.short else "")
    if e.conflicts:
        t.append("\n不能同时满足的规则组" + ("（已证明最小：去掉任何一组其余即可满足）" if e.irreducible else "")
                 + "：\n", style="bold")
        for conflict in e.conflicts:
            t.append(f"  {conflict.text}\n")
    t.append(f"\n{e.text}\n")
    return t


def _check_text(c: Campaign, r: PlanCheck) -> Text:
    t = Text()
    if r.ok:
        t.append(f"{r.path}：没有违反规则（{c.file.title}）\n", style="bold green")
    else:
        t.append(f"{r.path}：{len(r.violations)} 处违反规则，涉及 {len(r.rules_broken())} 条："
                 f"{'、'.join(r.rules_broken())}\n", style="bold red")
    for v in r.violations:
        where = f"{r.path}:{v.line}" if v.line else r.path
        about = " ".join(x for x in (str(v.date) if v.date else None, c.team[v.team].name if v.team else None,
                                     v.county, v.enterprise) if x)
        t.append(f"{where}: {v.rule}: {about}: {v.detail}\n")
    for note in r.notes:
        t.append(f"注：{note}\n", style="dim")
    return t
