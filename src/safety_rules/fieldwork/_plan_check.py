"""Checking a plan, hand-made or computed, against every rule of its campaign.

A plan names things by id; an id that names nothing (a team, enterprise, officer,
陪检人员 or county that is not in the campaign) is a ``path:line`` error with a "did you
mean", since nothing can be checked about it. Everything else is a :class:`Violation`
naming the rule and the team, day, county, enterprise or person concerned. Entries of the
same team on the same day are read as one team-day.

What a plan does not say is not assumed to be right: a team-day without officers breaks
``certified-officers``, one without a 陪检人员 breaks ``escort``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypedDict

from ..shared._errors import Problem, did_you_mean
from ..shared._validation import load_model, schema_error
from ..shared._yaml import line_of
from ._campaign import Campaign
from ._plan import RULES, PlanCheck, PlanFile, TeamDay, Violation, rule_title


def load_plan(path: str | Path) -> tuple[PlanFile, Any]:
    """A plan file (YAML, or the planner's JSON): the model and the raw data with line numbers."""
    return load_model(PlanFile, path)


class _Where(TypedDict, total=False):
    date: dt.date
    team: str
    county: str | None
    enterprise: str
    person: str
    line: int | None


@dataclass
class _TeamDay:
    team: str
    date: dt.date
    line: int | None
    declared: set[str] = field(default_factory=set)
    enterprises: list[str] = field(default_factory=list)
    officers: list[str] = field(default_factory=list)
    escorts: list[str] = field(default_factory=list)


def _references(c: Campaign, plan: PlanFile, path: str, raw: Any) -> None:
    problems: list[Problem] = []

    def unknown(loc: list[str | int], what: str, name: str, known: Collection[str]) -> None:
        hint = did_you_mean(name, known)
        problems.append(Problem(f"unknown {what} {name!r}" + (f" (did you mean {hint!r}?)" if hint else ""),
                                path=path, line=line_of(raw, loc), code="SchemaError"))

    if plan.campaign != c.id:
        problems.append(Problem(f"the plan is for campaign {plan.campaign!r}, not {c.id!r}", path=path,
                                line=line_of(raw, ["campaign"]), code="SchemaError"))
    for i, td in enumerate(plan.team_days):
        if td.team not in c.team:
            unknown(["team_days", i, "team"], "team", td.team, c.team)
        if td.county is not None and td.county not in c.counties:
            unknown(["team_days", i, "county"], "county", td.county, c.counties)
        for j, eid in enumerate(td.enterprises):
            if eid not in c.enterprise:
                unknown(["team_days", i, "enterprises", j], "enterprise", eid, c.enterprise)
        for j, oid in enumerate(td.officers):
            if oid not in c.officer:
                unknown(["team_days", i, "officers", j], "officer", oid, c.officer)
        if td.escort is not None and td.escort not in c.escort:
            unknown(["team_days", i, "escort"], "陪检人员", td.escort, c.escort)
    if problems:
        raise schema_error(problems, path)


def check_plan(c: Campaign, plan: PlanFile, *, path: str = "<plan>", raw: Any = None) -> PlanCheck:
    """Every rule ``plan`` breaks, with the team, day, county, enterprise or person concerned."""
    _references(c, plan, path, raw)
    return _Checker(c).run(plan.team_days, raw, path)


def check_team_days(c: Campaign, team_days: list[TeamDay]) -> PlanCheck:
    """:func:`check_plan` for team-days already known to name only what the campaign has."""
    return _Checker(c).run(team_days, None, "<plan>")


class _Checker:
    def __init__(self, c: Campaign) -> None:
        self.c = c
        self.violations: list[Violation] = []

    def add(self, rule: str, detail: str, **where: Any) -> None:
        self.violations.append(Violation(rule=rule, title=rule_title(rule, self.c.limits), detail=detail, **where))

    def run(self, entries: list[TeamDay], raw: Any, path: str) -> PlanCheck:
        c = self.c
        merged: dict[tuple[str, dt.date], _TeamDay] = {}
        for i, td in enumerate(entries):
            g = merged.setdefault((td.team, td.date), _TeamDay(td.team, td.date, line_of(raw, ["team_days", i])))
            if td.county is not None:
                g.declared.add(td.county)
            g.enterprises += [e for e in td.enterprises if e not in g.enterprises]
            g.officers += [o for o in td.officers if o not in g.officers]
            if td.escort is not None and td.escort not in g.escorts:
                g.escorts.append(td.escort)
        for key in sorted(merged, key=lambda k: (k[1], k[0])):
            self.team_day(merged[key])
        self.across(merged)
        notes = []
        for t in c.teams:
            mine = [g for g in merged.values() if g.team == t.id]
            if mine:
                average = sum(len(g.enterprises) for g in mine) / len(mine)
                if average < c.limits.target_visits_per_team_day:
                    notes.append(f"{t.name}：平均每个工作日 {average:.2f} 家，低于目标 "
                                 f"{c.limits.target_visits_per_team_day:g} 家")
        order = {rule: i for i, rule in enumerate(RULES)}
        violations = sorted(self.violations, key=lambda v: (v.date or dt.date.min, order[v.rule], v.team or "",
                                                            v.enterprise or "", v.person or ""))
        return PlanCheck(campaign=c.id, path=path, violations=violations, notes=notes)

    def team_day(self, g: _TeamDay) -> None:
        """The rules of one team-day."""
        c, lim = self.c, self.c.limits
        t, day, line = c.team[g.team], g.date, g.line
        ents = [c.enterprise[e] for e in g.enterprises]
        at: _Where = {"date": day, "team": t.id, "line": line}
        if day not in c.days:
            self.add("campaign-days", f"{day} 不是本次检查的检查日", **at)
        if day in t.days_off:
            self.add("days-off", f"{day} 是{t.name}的休息日", **at)
        counties = sorted(g.declared | {e.county for e in ents})
        county = counties[0] if len(counties) == 1 else None
        if county is None:
            spread = "、".join(f"{e.id} 在{e.county}" for e in ents)
            declared = f"（计划写明在{'、'.join(sorted(g.declared))}）" if g.declared else ""
            self.add("one-county", f"{t.name}同日去 {len(counties)} 个县区{declared}：{spread}", **at)
        if len(ents) > lim.visits_per_team_day:
            self.add("team-day-visits", f"{t.name}当日检查 {len(ents)} 家（上限 {lim.visits_per_team_day}）：" +
                     "、".join(e.id for e in ents), county=county, **at)
        demand, capped = set(c.demand), {x.enterprise: x.reason for x in c.left_out}
        for e in ents:
            here: _Where = {**at, "county": e.county, "enterprise": e.id}
            if t.specialty not in e.industries:
                self.add("specialty", f"{t.name}（{t.specialty}）检查 {e.id}（{'、'.join(e.industries)}）", **here)
            if e.id in capped:
                self.add("annual-cap", f"{e.id}：{capped[e.id]}", **here)
            elif e.id not in demand:
                why = "未被双随机抽中，也不是重点企业" if c.file.draw is not None else "不在本次检查范围"
                self.add("not-in-campaign", f"{e.id}：{why}", **here)
            deadline = c.deadline(e)
            if deadline is not None and day > deadline:
                self.add("recheck-deadline", f"{e.id} 复查期限 {e.recheck_due}，安排在 {day}", **here)
        certified = 0
        for oid in g.officers:
            o = c.officer[oid]
            person: _Where = {**at, "person": oid, "county": county}
            if c.team_of_officer[oid] != t.id:
                self.add("officer-team", f"{o.name}（{oid}）是{c.team[c.team_of_officer[oid]].name}的人员", **person)
                continue
            if day in o.absent:
                self.add("officer-absent", f"{o.name}（{oid}）{day} 缺勤", **person)
                continue
            related = [(e, c.related[oid][e.id]) for e in ents if e.id in c.related.get(oid, {})]
            for e, ground in related:
                self.add("officer-recusal", f"{o.name}（{oid}）须回避 {e.id}：{ground}",
                         **{**person, "enterprise": e.id})
            if o.certified and not related:
                certified += 1
        if certified < lim.certified_officers_per_team:
            self.add("certified-officers", f"{t.name}当日持证在岗且无需回避的执法人员 {certified} 名"
                     f"（至少 {lim.certified_officers_per_team} 名）", county=county, **at)
        if not g.escorts:
            self.add("escort", f"{t.name}当日没有陪检人员", county=county, **at)
        for pid in g.escorts:
            p, home = c.escort[pid], c.county_of_escort[pid]
            person = {**at, "person": pid, "county": county}
            if home not in counties:
                self.add("escort", f"陪检人员{p.name}（{pid}）是{home}的，{t.name}当日在{'、'.join(counties)}",
                         **person)
            if day in p.absent:
                self.add("escort", f"陪检人员{p.name}（{pid}）{day} 不在岗", **person)
            for e in ents:
                if e.id in c.related.get(pid, {}):
                    self.add("escort-recusal", f"陪检人员{p.name}（{pid}）须回避 {e.id}：{c.related[pid][e.id]}",
                             **{**person, "enterprise": e.id})

    def across(self, merged: dict[tuple[str, dt.date], _TeamDay]) -> None:
        """Rules over several team-days: county-day caps, escorts shared, joint visits, coverage."""
        c, lim = self.c, self.c.limits

        def first_line(groups: list[_TeamDay]) -> int | None:
            return min((g.line for g in groups if g.line is not None), default=None)

        in_county: dict[tuple[dt.date, str], list[_TeamDay]] = defaultdict(list)
        escorting: dict[tuple[dt.date, str], list[_TeamDay]] = defaultdict(list)
        visits: dict[str, dict[dt.date, list[_TeamDay]]] = defaultdict(lambda: defaultdict(list))
        for (_, day), g in sorted(merged.items()):
            for county in sorted({c.enterprise[e].county for e in g.enterprises} | g.declared):
                in_county[(day, county)].append(g)
            for pid in g.escorts:
                escorting[(day, pid)].append(g)
            for eid in g.enterprises:
                visits[eid][day].append(g)
        for (day, county), groups in sorted(in_county.items()):
            if len(groups) > lim.teams_per_county_day:
                names = "、".join(c.team[g.team].name for g in groups)
                self.add("county-day-teams", f"{county} {day} 有 {len(groups)} 个组"
                         f"（上限 {lim.teams_per_county_day}）：{names}", date=day, county=county,
                         line=first_line(groups))
        for (day, pid), groups in sorted(escorting.items()):
            if len(groups) > 1:
                self.add("escort", f"陪检人员{c.escort[pid].name}（{pid}）同日陪 {len(groups)} 个组："
                         + "、".join(c.team[g.team].name for g in groups), date=day, person=pid,
                         county=c.county_of_escort[pid], line=first_line(groups))
        for eid, by_day in sorted(visits.items()):
            e = c.enterprise[eid]
            if len(by_day) > 1:
                self.add("joint-visit", f"{eid} 分 {len(by_day)} 天检查（"
                         + "；".join(f"{day} {'、'.join(c.team[g.team].name for g in groups)}"
                                    for day, groups in sorted(by_day.items()))
                         + "），应由所需各组同日综合查一次", enterprise=eid, county=e.county,
                         line=first_line([g for groups in by_day.values() for g in groups]))
                continue
            (day, groups), = by_day.items()
            missing = [i for i in e.industries if i not in {c.team[g.team].specialty for g in groups}]
            if missing:
                self.add("joint-visit", f"{eid} 的检查缺少 {'、'.join(missing)} 专业的检查组", date=day,
                         enterprise=eid, county=e.county, line=first_line(groups))
        for eid in c.demand:
            if eid not in visits:
                e = c.enterprise[eid]
                self.add("coverage", f"{eid} {e.name} 没有安排检查", enterprise=eid, county=e.county)
