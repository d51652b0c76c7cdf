"""Planning a campaign exactly, with OR-Tools CP-SAT, and explaining a campaign that does not fit.

Variables (booleans; ``e`` a demanded enterprise, ``t`` a team, ``k`` a campaign day,
``c`` a county, ``o`` an officer, ``p`` a 陪检人员)::

    v[e,k]      e is inspected on day k
    a[e,t,k]    team t takes part in that inspection (only teams of e's industries)
    x[t,k,c]    team t works in county c on day k
    z[o,k]      certified officer o may go on day k (only officers with a relation)
    w[t,k,p]    p accompanies team t on day k

Rules (the ids are those of ``--check`` and of the explanation):

* fixed, never relaxed: ``campaign-days`` (only campaign days exist), ``specialty`` (a
  team only has variables for its specialty), ``joint-visit`` (for every industry i of e:
  the sum of a[e,t,k] over the teams of i equals v[e,k], so one day, all teams);
* ``coverage``: every demanded enterprise is inspected once;
* ``recheck-deadline``: a re-inspection due within the campaign happens by its due date;
* ``team-day-visits``: sum of a[e,t,k] over e at most the cap;
* ``one-county``: sum of x[t,k,c] over c at most 1 (and x only where t inspects);
* ``county-day-teams``: sum of x[t,k,c] over t at most N;
* ``days-off``: no x on a team's day off;
* ``certified-officers``: certified officers present and not recused at least n on
  every day the team works; ``officer-recusal``: z[o,k] + a[e,t,k] <= 1 for a relation;
* ``escort``: a team in a county on a day has exactly one present 陪检人员 of that county,
  who accompanies one team a day; ``escort-recusal``: w[t,k,p] + a[e,t,k] <= 1;
* ``annual-cap``: enterprises at their cap are left out of the demand before solving.

Objective, lexicographic (each term is minimised, then fixed at its value while the
next one is minimised):

1. priority: sum over enterprises with open major hazards or an overdue re-inspection
   of (open major hazards + 1 if overdue) x day index: the most urgent go first. Due
   re-inspections are hard deadlines, not terms;
2. days used: team-days in the field, summed over teams (fewer days, fuller days);
3. travel: minutes between counties. A team leaves the base on the first day, moves
   from county to county on consecutive campaign days, is at the base on a day it does
   not work and across a gap in the campaign days, and returns at the end (a flow over
   positions from one day to the next).

Determinism: one worker, a fixed random seed, and a *deterministic* time budget
(``max_deterministic_time``, counted in solver operations, never wall-clock): the same
input gives the same plan on the same build. With ``workers > 1`` the solver runs with
``interleave_search``, which OR-Tools documents as deterministic whatever the number of
workers.

When the campaign cannot fit, :func:`explain` first sets demand against supply per
specialty, county, county escorts and deadline, then solves the same model with one
assumption literal per (rule, subject) and reads CP-SAT's
``sufficient_assumptions_for_infeasibility``; the core is then shrunk by dropping one
group at a time while the rest stays infeasible, and mapped back to named rules.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import version

from ortools.sat.python import cp_model

from ..shared._errors import PlanningError
from ._campaign import Campaign, Enterprise, Team
from ._plan import (
    Conflict,
    Drawn,
    DrawOut,
    Explanation,
    LeftOut,
    Objective,
    Plan,
    SolverInfo,
    SpecialtyDrawOut,
    Status,
    SupplyLine,
    TeamDay,
    TeamLoad,
    Visit,
    rule_title,
)

RANDOM_SEED = 1
DEFAULT_BUDGET = 20.0  # deterministic seconds per solve
SHRINK_BUDGETS = 5  # shrinking an infeasible core may take this many solve budgets in all
IDLE = "(idle)"

Key = tuple[str, str]  # (rule, subject)


@dataclass
class _Model:
    """The CP-SAT model of one campaign, with the variables the plan is read from."""

    campaign: Campaign
    explain: bool
    m: cp_model.CpModel = field(default_factory=cp_model.CpModel)
    v: dict[tuple[str, int], cp_model.IntVar] = field(default_factory=dict)
    a: dict[tuple[str, str, int], cp_model.IntVar] = field(default_factory=dict)
    x: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    w: dict[tuple[str, int, str], cp_model.IntVar] = field(default_factory=dict)
    work: dict[tuple[str, int], cp_model.LinearExprT] = field(default_factory=dict)
    literals: dict[Key, cp_model.IntVar] = field(default_factory=dict)
    terms: dict[str, cp_model.LinearExprT] = field(default_factory=dict)

    def literal(self, key: Key) -> cp_model.IntVar:
        if key not in self.literals:
            self.literals[key] = self.m.new_bool_var(f"assume {key[0]} {key[1]}")
        return self.literals[key]

    def rule(self, constraint: cp_model.Constraint, rule: str, subject: str) -> None:
        """Make ``constraint`` part of a relaxable group (only when explaining)."""
        if self.explain:
            constraint.only_enforce_if(self.literal((rule, subject)))

    def boolean(self, name: str) -> cp_model.IntVar:
        return self.m.new_bool_var(name)


def _build(campaign: Campaign, explain: bool, demand_ids: Sequence[str] | None = None) -> _Model:
    """The model; ``demand_ids``: only these of the campaign's enterprises (a relaxation)."""
    c, lim = campaign, campaign.limits
    md = _Model(c, explain)
    m = md.m
    days = c.days
    demand = [c.enterprise[i] for i in (c.demand if demand_ids is None else demand_ids)]

    def team_day(t: Team, k: int) -> bool:
        # When explaining, days off and thin days stay in the model so that their rules can be relaxed.
        return explain or c.team_can_work(t, days[k])

    def enterprise_day(e: Enterprise, k: int) -> bool:
        deadline = c.deadline(e)
        return explain or deadline is None or days[k] <= deadline

    for e in demand:
        ks = [k for k in range(len(days)) if enterprise_day(e, k)]
        for k in ks:
            md.v[(e.id, k)] = md.boolean(f"v {e.id} {k}")
        for industry in e.industries:
            for k in ks:
                teams = [t for t in c.teams_of(industry) if team_day(t, k)]
                for t in teams:
                    md.a[(e.id, t.id, k)] = md.boolean(f"a {e.id} {t.id} {k}")
                m.add(sum(md.a[(e.id, t.id, k)] for t in teams) == md.v[(e.id, k)])
        visits = [md.v[(e.id, k)] for k in ks]
        m.add(sum(visits) <= 1)
        md.rule(m.add(sum(visits) == 1), "coverage", e.id)
        if explain and (deadline := c.deadline(e)) is not None:
            md.rule(m.add(sum(md.v[(e.id, k)] for k in ks if days[k] > deadline) == 0), "recheck-deadline", e.id)

    # team-days: a per (team, day, county)
    groups: dict[tuple[str, int], dict[str, list[tuple[Enterprise, cp_model.IntVar]]]] = defaultdict(
        lambda: defaultdict(list))
    for (eid, tid, k), var in md.a.items():
        e = c.enterprise[eid]
        groups[(tid, k)][e.county].append((e, var))
    for (tid, k), by_county in sorted(groups.items()):
        t = c.team[tid]
        xs = []
        for county, items in sorted(by_county.items()):
            x = md.x[(tid, k, county)] = md.boolean(f"x {tid} {k} {county}")
            xs.append(x)
            for _, var in items:
                m.add(var <= x)
            m.add(x <= sum(var for _, var in items))
            # implied by the cap and a <= x, but much stronger in the LP relaxation
            md.rule(m.add(sum(var for _, var in items) <= lim.visits_per_team_day * x), "team-day-visits", tid)
        visits = [var for items in by_county.values() for _, var in items]
        md.rule(m.add(sum(visits) <= lim.visits_per_team_day), "team-day-visits", tid)
        if explain:
            work = md.boolean(f"work {tid} {k}")
            for x in xs:
                m.add(work >= x)
            m.add(work <= sum(xs))
            if len(xs) > 1:
                md.rule(m.add(sum(xs) <= 1), "one-county", tid)
            if days[k] in t.days_off:
                md.rule(m.add(work == 0), "days-off", tid)
            md.work[(tid, k)] = work
        else:
            m.add(sum(xs) <= 1)
            md.work[(tid, k)] = sum(xs)
        _officers(md, t, k, by_county)
        for county, items in sorted(by_county.items()):
            _escorts(md, t, k, county, items)

    _spread(md, demand)
    by_county_day: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
    for (_, k, county), x in md.x.items():
        by_county_day[(k, county)].append(x)
    for (_, county), xs in sorted(by_county_day.items()):
        if len(xs) > lim.teams_per_county_day:
            md.rule(m.add(sum(xs) <= lim.teams_per_county_day), "county-day-teams", county)
    escort_day: dict[tuple[int, str], list[cp_model.IntVar]] = defaultdict(list)
    for (_, k, pid), w in md.w.items():
        escort_day[(k, pid)].append(w)
    for (_, pid), ws in sorted(escort_day.items()):
        if len(ws) > 1:
            md.rule(m.add(sum(ws) <= 1), "escort", c.county_of_escort[pid])

    if not explain:
        md.terms["priority"] = sum(c.urgency(c.enterprise[eid]) * k * var for (eid, k), var in md.v.items())
        md.terms["team_days"] = sum(md.work.values())
        md.terms["travel"] = _travel(md)
    return md


def _spread(md: _Model, demand: Sequence[Enterprise]) -> None:
    """Implied bounds: n inspections of one industry in one county need ceil(n / cap) team-days there.

    They follow from coverage, joint visits and the daily cap, but the solver would have to
    discover the rounding itself; stated, they prove a too-spread campaign infeasible at once.
    When explaining, the bound holds while every group it follows from holds, and each covered
    enterprise needs a team-day there on its own.
    """
    c, cap = md.campaign, md.campaign.limits.visits_per_team_day
    need: dict[tuple[str, str], list[str]] = defaultdict(list)
    for e in demand:
        for industry in e.industries:
            need[(industry, e.county)].append(e.id)
    present: dict[tuple[str, str], list[cp_model.IntVar]] = defaultdict(list)
    for (tid, _, county), x in md.x.items():
        present[(tid, county)].append(x)
    for (industry, county), eids in sorted(need.items()):
        teams = [t.id for t in c.teams_of(industry)]
        xs = [x for tid in teams for x in present[(tid, county)]]
        if not xs:
            continue
        if not md.explain:
            md.m.add(sum(xs) >= math.ceil(len(eids) / cap))
            continue
        covered = [md.literal(("coverage", eid)) for eid in eids]
        capped = [md.literal(("team-day-visits", tid)) for tid in teams]
        for lit in covered:
            md.m.add(sum(xs) >= lit)
        md.m.add(sum(xs) >= math.ceil(len(eids) / cap)).only_enforce_if(covered + capped)


def _officers(md: _Model, t: Team, k: int, by_county: dict[str, list[tuple[Enterprise, cp_model.IntVar]]]) -> None:
    """At least n certified officers go: present, and not related to an enterprise the team visits."""
    c, day = md.campaign, md.campaign.days[k]
    visits = {e.id: var for items in by_county.values() for e, var in items}
    sure, maybe = 0, []
    for o in t.officers:
        if not o.certified or day in o.absent:
            continue
        related = [visits[eid] for eid in c.related.get(o.id, {}) if eid in visits]
        if not related:
            sure += 1
            continue
        z = md.boolean(f"z {o.id} {k}")
        maybe.append(z)
        for var in related:
            md.rule(md.m.add(z + var <= 1), "officer-recusal", t.id)
    need = c.limits.certified_officers_per_team
    if sure < need or md.explain:
        md.rule(md.m.add(sure + sum(maybe) >= need * md.work[(t.id, k)]), "certified-officers", t.id)


def _escorts(md: _Model, t: Team, k: int, county: str, items: list[tuple[Enterprise, cp_model.IntVar]]) -> None:
    """One present 陪检人员 of the county with the team, not related to its enterprises there."""
    c, day = md.campaign, md.campaign.days[k]
    x = md.x[(t.id, k, county)]
    ws = []
    for pid in c.escorts_of[county]:
        if day in c.escort[pid].absent:
            continue
        w = md.w[(t.id, k, pid)] = md.boolean(f"w {t.id} {k} {pid}")
        md.m.add(w <= x)
        ws.append(w)
        for e, var in items:
            if e.id in c.related.get(pid, {}):
                md.rule(md.m.add(w + var <= 1), "escort-recusal", county)
    md.rule(md.m.add(sum(ws) == x), "escort", county)


def _travel(md: _Model) -> cp_model.LinearExprT:
    """Minutes between counties: a flow over each team's position from one day to the next."""
    c = md.campaign
    base = c.file.travel.base
    cost: list[cp_model.LinearExprT] = []

    def place(p: str) -> str:
        return base if p == IDLE else p

    where: dict[tuple[str, int], dict[str, cp_model.IntVar]] = defaultdict(dict)
    for (tid, k, county), x in md.x.items():
        where[(tid, k)][county] = x
    for t in c.teams:
        positions: list[dict[str, cp_model.LinearExprT]] = []
        for k in range(len(c.days)):
            here = where[(t.id, k)]
            idle = md.boolean(f"idle {t.id} {k}")
            md.m.add(idle + sum(here.values()) == 1)
            positions.append({IDLE: idle, **here})
        cost.append(sum(c.minutes(base, place(p)) * var for p, var in positions[0].items()))
        cost.append(sum(c.minutes(place(p), base) * var for p, var in positions[-1].items()))
        for k in range(1, len(c.days)):
            home = (c.days[k] - c.days[k - 1]).days > 1  # a gap in the campaign: back to the base between
            before, after = positions[k - 1], positions[k]
            if len(before) == 1:  # a day the team cannot work: the cost is linear
                (p0, _), = before.items()
                cost.append(sum(_move(c, place(p0), place(q), base, home) * var for q, var in after.items()))
                continue
            if len(after) == 1:
                (q0, _), = after.items()
                cost.append(sum(_move(c, place(p), place(q0), base, home) * var for p, var in before.items()))
                continue
            y = {(p, q): md.boolean(f"y {t.id} {k} {p} {q}") for p in before for q in after}
            for p, var in before.items():
                md.m.add(sum(y[(p, q)] for q in after) == var)
            for q, var in after.items():
                md.m.add(sum(y[(p, q)] for p in before) == var)
            cost.append(sum(_move(c, place(p), place(q), base, home) * var for (p, q), var in y.items()))
    return sum(cost)


def _move(c: Campaign, a: str, b: str, base: str, home: bool) -> int:
    return c.minutes(a, base) + c.minutes(base, b) if home else c.minutes(a, b)


# ---------------------------------------------------------------------- solving


def _solver(budget: float, workers: int) -> cp_model.CpSolver:
    s = cp_model.CpSolver()
    s.parameters.random_seed = RANDOM_SEED
    s.parameters.max_deterministic_time = budget
    s.parameters.num_workers = workers
    # Every constraint in the LP relaxation: the capacity bounds are then proved at the root,
    # which makes infeasibility proofs and optimality proofs fast on this model.
    s.parameters.linearization_level = 2
    if workers > 1:
        s.parameters.interleave_search = True
    return s


def _check_status(status: cp_model.CpSolverStatus) -> None:
    if status == cp_model.MODEL_INVALID:
        raise PlanningError("the solver rejected the planning model as invalid; this is a bug in the planner")


def plan_campaign(campaign: Campaign, *, budget: float = DEFAULT_BUDGET, workers: int = 1) -> Plan:
    """Plan ``campaign``: every rule holds, the objective terms minimised in order; or say why not."""
    if budget <= 0:
        raise PlanningError(f"the search budget must be positive, got {budget}")
    spent: dict[str, float] = {}

    def info() -> SolverInfo:
        return SolverInfo(engine=f"OR-Tools CP-SAT {version('ortools')}", random_seed=RANDOM_SEED, workers=workers,
                          deterministic_budget=budget, spent=spent)

    md = _build(campaign, explain=False)
    values: dict[int, int] | None = None
    modelled: dict[str, int] = {}
    proven: dict[str, bool] = {}
    bounds: dict[str, int] = {}
    decision_vars = [*md.v.values(), *md.a.values(), *md.x.values(), *md.w.values()]
    for name in ("priority", "team_days", "travel"):
        term = md.terms[name]
        md.m.minimize(term)
        solver = _solver(budget, workers)
        status = solver.solve(md.m)
        _check_status(status)
        spent[name] = round(solver.deterministic_time, 3)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if values is None:  # no plan at all: infeasible, or out of budget before the first one
                infeasible = status == cp_model.INFEASIBLE
                return _plan_of(campaign, [], "infeasible" if infeasible else "unknown", info(),
                                explanation=explain(campaign, budget=budget) if infeasible else _supply_only(campaign))
            proven[name] = False
            continue
        proven[name] = status == cp_model.OPTIMAL
        bounds[name] = math.ceil(solver.best_objective_bound - 1e-6)  # integer terms: round the bound up
        values = {var.index: solver.value(var) for var in decision_vars}
        modelled = {n: int(solver.value(t)) for n, t in md.terms.items()}
        best = solver.value(term)
        md.m.add(term <= best)
        md.m.clear_hints()  # type: ignore[no-untyped-call]
        for var in decision_vars:
            md.m.add_hint(var, solver.value(var))
    assert values is not None
    result = _read_plan(campaign, md, values, proven, bounds, info())
    assert result.objective is not None
    recomputed = plan_terms(campaign, result.team_days)
    if recomputed != modelled:  # the model and the plan disagree on what was minimised: a planner bug
        raise PlanningError(f"the model's objective terms {modelled} differ from the plan's {recomputed}")
    return result


def _read_plan(campaign: Campaign, md: _Model, values: dict[int, int], proven: dict[str, bool],
              bounds: dict[str, int], info: SolverInfo) -> Plan:
    """The plan in the solver's values: team-days, with every officer who may go."""
    c = campaign
    on = {key for key, var in md.a.items() if values[var.index]}
    chosen_escort = {(tid, k): pid for (tid, k, pid), var in md.w.items() if values[var.index]}
    by_team_day: dict[tuple[str, int], list[str]] = defaultdict(list)
    for eid, tid, k in sorted(on):
        by_team_day[(tid, k)].append(eid)
    team_days = []
    for (tid, k), eids in sorted(by_team_day.items(), key=lambda item: (item[0][1], item[0][0])):
        day, t = c.days[k], c.team[tid]
        officers = [o.id for o in t.officers
                    if day not in o.absent and not any(eid in c.related.get(o.id, {}) for eid in eids)]
        team_days.append(TeamDay(date=day, team=tid, county=c.enterprise[eids[0]].county, enterprises=eids,
                                 officers=officers, escort=chosen_escort.get((tid, k))))
    return _plan_of(c, team_days, "planned", info, objective=_objective(c, team_days, proven, bounds))


def _objective(c: Campaign, team_days: Sequence[TeamDay], proven: dict[str, bool],
               bounds: dict[str, int]) -> Objective:
    terms = plan_terms(c, team_days)
    return Objective(priority=terms["priority"], team_days=terms["team_days"], travel_minutes=terms["travel"],
                     proven_optimal=proven, lower_bounds=bounds)


def plan_terms(c: Campaign, team_days: Sequence[TeamDay]) -> dict[str, int]:
    """The three objective terms of any plan, recomputed from its team-days (the model's arithmetic)."""
    index = {d: k for k, d in enumerate(c.days)}
    seen = {eid: index[td.date] for td in team_days for eid in td.enterprises}
    return {"priority": sum(c.urgency(c.enterprise[eid]) * k for eid, k in seen.items()),
            "team_days": len({(td.team, td.date) for td in team_days}),
            "travel": travel_minutes(c, team_days)}


def travel_minutes(c: Campaign, team_days: Iterable[TeamDay]) -> int:
    """Travel of a plan under the model's rules (base on idle days and across gaps)."""
    base = c.file.travel.base
    where = {(td.team, td.date): td.county or c.enterprise[td.enterprises[0]].county for td in team_days}
    total = 0
    for t in c.teams:
        route = [where.get((t.id, d), base) for d in c.days]
        total += c.minutes(base, route[0]) + c.minutes(route[-1], base)
        for k in range(1, len(c.days)):
            total += _move(c, route[k - 1], route[k], base, (c.days[k] - c.days[k - 1]).days > 1)
    return total


def _plan_of(c: Campaign, team_days: Sequence[TeamDay], status: Status, info: SolverInfo, *,
             objective: Objective | None = None, explanation: Explanation | None = None) -> Plan:
    """A :class:`Plan` from team-days: visits with names, loads, the draw and what was left out."""
    team_days = sorted(team_days, key=lambda td: (td.date, td.team))
    per_visit: dict[tuple[dt.date, str], list[TeamDay]] = defaultdict(list)
    for td in team_days:
        for eid in td.enterprises:
            per_visit[(td.date, eid)].append(td)
    visits = []
    for (day, eid), tds in sorted(per_visit.items()):
        e = c.enterprise[eid]
        officers = [_officer_label(c, oid) for td in tds for oid in td.officers]
        escorts = sorted({c.escort[td.escort].name for td in tds if td.escort is not None})
        visits.append(Visit(date=day, enterprise=eid, enterprise_name=e.name, county=e.county,
                            industries=list(e.industries), teams=[c.team[td.team].name for td in tds],
                            officers=officers, escorts=escorts, priority=c.priority_text(e)))
    loads = []
    for t in c.teams:
        mine = [td for td in team_days if td.team == t.id]
        n = sum(len(td.enterprises) for td in mine)
        loads.append(TeamLoad(team=t.id, name=t.name, specialty=t.specialty, working_days=len(mine), visits=n,
                              average=round(n / len(mine), 2) if mine else 0.0,
                              target=c.limits.target_visits_per_team_day))
    left = [LeftOut(enterprise=x.enterprise, enterprise_name=c.enterprise[x.enterprise].name, rule=x.rule,
                    reason=x.reason) for x in c.left_out]
    draw = None
    if c.draws is not None and c.file.draw is not None:
        draw = DrawOut(seed=c.file.draw.seed, specialties=[
            SpecialtyDrawOut(specialty=d.specialty, asked=d.asked, population=d.population,
                             drawn=[Drawn(enterprise=x.enterprise, key=x.key) for x in d.drawn]) for d in c.draws])
    return Plan(campaign=c.id, title=c.file.title, status=status,
                team_days=list(team_days), visits=visits, left_out=left, draw=draw, teams=loads,
                objective=objective, explanation=explanation, solver=info, priority_sources=c.priority_sources)


def _officer_label(c: Campaign, oid: str) -> str:
    o = c.officer[oid]
    return f"{o.name}（{o.certificate}）" if o.certified else f"{o.name}（无证）"


# ---------------------------------------------------------------------- explaining


def supply(c: Campaign) -> list[SupplyLine]:
    """Demand against supply, per specialty, county, county escorts and re-inspection deadline."""
    lim = c.limits
    cap = lim.visits_per_team_day
    demand = [c.enterprise[i] for i in c.demand]
    lines = []

    def workable(t: Team, until: dt.date | None = None) -> int:
        return sum(1 for d in c.days if c.team_can_work(t, d) and (until is None or d <= until))

    for s in sorted({i for e in demand for i in e.industries} | set(c.specialties)):
        teams = c.teams_of(s)
        mine = [e for e in demand if s in e.industries]
        counties = {e.county for e in mine}
        # one county per team-day, at most cap enterprises: the team-days the county spread needs
        need_days = sum(math.ceil(sum(1 for e in mine if e.county == cc) / cap) for cc in counties)
        td = sum(workable(t) for t in teams)
        names = "、".join(t.name for t in teams)
        text = (f"{s}（{names}）：需检查 {len(mine)} 家，分布在 {len(counties)} 个县区，至少需 {need_days} 个组日"
                f"（每组每天一个县区、至多 {cap} 家）；可用 {td} 个组日" if teams
                else f"{s}：需检查 {len(mine)} 家；没有该专业的检查组")
        lines.append(SupplyLine(kind="specialty", subject=s, needed=need_days, available=td,
                                short=need_days > td, text=text))
    for county in c.counties:
        here = [e for e in demand if e.county == county]
        if not here:
            continue
        team_visits = sum(len(e.industries) for e in here)
        per_specialty: dict[str, int] = defaultdict(int)
        for e in here:
            for i in e.industries:
                per_specialty[i] += 1
        need_days = sum(math.ceil(n / cap) for n in per_specialty.values())
        room = len(c.days) * lim.teams_per_county_day
        lines.append(SupplyLine(kind="county", subject=county, needed=need_days, available=room,
                                short=need_days > room,
                                text=f"{county}：{len(here)} 家企业、{team_visits} 组次，至少 {need_days} 个组日；"
                                     f"县区容量 {len(c.days)} 天 × {lim.teams_per_county_day} 组 = {room} 个组日"))
        escort_days = sum(1 for d in c.days for pid in c.escorts_of[county] if d not in c.escort[pid].absent)
        lines.append(SupplyLine(kind="escorts", subject=county, needed=need_days, available=escort_days,
                                short=need_days > escort_days,
                                text=f"{county} 陪检人员：至少 {need_days} 人日；在岗 {escort_days} 人日"))
    for s in sorted(c.specialties):
        deadlines = sorted({d for e in demand if s in e.industries and (d := c.deadline(e)) is not None})
        for d in deadlines:
            needed = sum(1 for e in demand if s in e.industries and (dd := c.deadline(e)) is not None and dd <= d)
            td = sum(workable(t, d) for t in c.teams_of(s))
            lines.append(SupplyLine(kind="deadline", subject=f"{s} {d}", needed=needed, available=td * cap,
                                    short=needed > td * cap,
                                    text=f"{s} 到 {d} 须完成复查 {needed} 家；此前可用 {td} 个组日 × {cap} 家 "
                                         f"= {td * cap} 家"))
    return lines


def _supply_only(c: Campaign) -> Explanation:
    return Explanation(supply=supply(c), conflicts=[], irreducible=False,
                       text="在搜索预算内既没有找到方案，也没有证明排不下；可增加预算（--budget）再试")


def explain(campaign: Campaign, *, budget: float = DEFAULT_BUDGET) -> Explanation:
    """Why ``campaign`` cannot be planned: supply and demand, then rule groups that conflict.

    Leaving enterprises out of the demand only relaxes the campaign, so rule groups that conflict
    among the enterprises of a short supply line conflict in the whole campaign too. Those small
    models are tried first (the solver proves them much faster under assumptions); the whole
    campaign only if none of them is infeasible.
    """
    lines = supply(campaign)
    demand = set(campaign.demand)
    subsets: list[list[str]] = []
    for line in lines:
        if line.short:
            ids = sorted(i for i in demand if _concerns(campaign, line, campaign.enterprise[i]))
            if ids and ids not in subsets and len(ids) < len(demand):
                subsets.append(ids)
    for ids in [*subsets, sorted(demand)]:
        found = _core(campaign, ids, budget)
        if found is not None:
            core, irreducible = found
            break
    else:
        return Explanation(supply=lines, conflicts=[], irreducible=False,
                           text="未能在搜索预算内证明冲突的规则组；见上方供需")
    short = sum(1 for x in lines if x.short)
    text = (f"{short} 项供需不足（标 ✗ 的行）；" if short else "供需总量够用，排不下在于规则之间的冲突；") + \
        "所列规则组不能同时满足（不放松的固定规则：只在检查日、专业对口、综合查一次）"
    return Explanation(supply=lines, conflicts=_conflicts(campaign, core), irreducible=irreducible, text=text)


def _concerns(c: Campaign, line: SupplyLine, e: Enterprise) -> bool:
    if line.kind == "specialty":
        return line.subject in e.industries
    if line.kind in ("county", "escorts"):
        return e.county == line.subject
    specialty, day = line.subject.split(" ")
    deadline = c.deadline(e)
    return specialty in e.industries and deadline is not None and deadline.isoformat() <= day


def _core(c: Campaign, demand_ids: Sequence[str], budget: float) -> tuple[list[Key], bool] | None:
    """An infeasible set of rule groups among ``demand_ids``, shrunk, and whether it is proven
    irreducible; None if infeasibility is not proven within the budget."""
    md = _build(c, explain=True, demand_ids=demand_ids)
    keys = sorted(md.literals)
    index = {md.literals[k].index: k for k in keys}
    left = SHRINK_BUDGETS * budget  # for shrinking the core, all probes together

    def probe(assumed: Sequence[Key], limit: float) -> tuple[str, list[Key], float]:
        """'infeasible' with the solver's core among ``assumed``, 'feasible', or 'unknown' (out of
        budget); and the deterministic time it took."""
        md.m.clear_assumptions()
        md.m.add_assumptions([md.literals[k] for k in assumed])
        s = _solver(limit, 1)  # assumptions need the plain single-worker search
        status = s.solve(md.m)
        _check_status(status)
        if status == cp_model.INFEASIBLE:
            return ("infeasible", sorted(index[i] for i in s.sufficient_assumptions_for_infeasibility()),
                    s.deterministic_time)
        outcome = "feasible" if status in (cp_model.OPTIMAL, cp_model.FEASIBLE) else "unknown"
        return outcome, [], s.deterministic_time

    outcome, core, _ = probe(keys, budget)
    if outcome != "infeasible":
        return None
    # Drop one group at a time: if the rest is still infeasible the group goes (with whatever else
    # the new core leaves out); if the rest is satisfiable the group is necessary, and stays
    # necessary in any smaller core, so the result is irreducible unless a probe ran out of budget
    # or the shrinking budget ran out first.
    necessary: set[Key] = set()
    irreducible = True
    while untested := [k for k in core if k not in necessary]:
        if left <= 0:
            irreducible = False
            break
        trial = [k for k in core if k != untested[0]]
        outcome, smaller, spent = probe(trial, min(budget, left))
        left -= spent
        if outcome == "infeasible":
            core = [k for k in trial if k in set(smaller)] if smaller else trial
        else:
            necessary.add(untested[0])
            irreducible = irreducible and outcome == "feasible"
    return core, irreducible


def _conflicts(c: Campaign, core: Sequence[Key]) -> list[Conflict]:
    subjects: dict[str, list[str]] = defaultdict(list)
    for rule, subject in core:
        subjects[rule].append(subject)
    out = []
    for rule in sorted(subjects):
        names = sorted(subjects[rule])
        shown = [_subject_label(c, s) for s in names]
        listed = "、".join(shown[:12]) + (f" 等 {len(shown)} 项" if len(shown) > 12 else "")
        out.append(Conflict(rule=rule, title=rule_title(rule, c.limits), subjects=names,
                            text=f"{rule}（{rule_title(rule, c.limits)}）：{listed}"))
    return out


def _subject_label(c: Campaign, subject: str) -> str:
    if subject in c.team:
        return c.team[subject].name
    if subject in c.enterprise:
        return f"{subject} {c.enterprise[subject].name}"
    return subject
