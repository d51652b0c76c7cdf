"""Matching experts to cases: every hard rule holds, and the total score is maximal.

Hard rules, checked per (expert, case) in this order; the first that fails is the
reason given for leaving the expert out:

1. status is ``active``, and the expert is not suspended by low evaluation scores;
2. industry: the expert covers one of the case's industries, at the policy's
   minimum level for the case's difficulty;
3. a qualification valid on the case date;
4. available on the case date;
5. recusal: no declared tie to the enterprise; no employment or consulting for it
   within ``former_engagement_years``; optionally not from the enterprise's county;
   not assigned to the same enterprise within ``repeat_enterprise_months`` (past
   assignments, and no two cases of one enterprise in one batch);
6. workload: open cases (past assignments within ``case_days``) below the cap.

The model (min-cost flow, ``networkx.min_cost_flow``)::

    source -> expert            capacity: cases the expert may still take; cost 0
    expert -> [expert, enterprise] -> [expert, case] -> slot(case, industry)
                                capacity 1 each; the bracketed nodes only where an
                                expert could otherwise take two cases of one enterprise,
                                or two slots of one case; cost -(FILL + score)
    slot(case, industry) -> sink    capacity: experts needed for that industry
    source -> sink              unfilled slots, cost 0

A case needs ``experts_per_case[difficulty]`` experts, at least one per industry it
spans. FILL exceeds any sum of scores, so the flow first fills as many slots as
possible and then maximises the total score. With integer capacities the optimal flow
is integral, i.e. an assignment.

For large batches only the best ``candidates_per_case`` candidates of each case enter
the flow; the result is then checked against *all* candidates with the flow's node
potentials (reduced costs, found by Bellman-Ford on the residual graph), and any
candidate that could improve it is added and the flow solved again. So the result is
optimal over every eligible candidate, not just the kept ones. Everything is sorted by
id before the graph is built: the same input gives the same output.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import networkx as nx
from pydantic import BaseModel, ConfigDict, Field

from ._errors import MatchingError
from ._experts import Case, Expert, PastAssignment, Policy
from ._scores import ExpertScore

SCALE = 10_000  # scores are turned into integer costs; network simplex wants integers


class _Result(BaseModel):
    model_config = ConfigDict(frozen=True)


class ScoreTerms(_Result):
    """Why an expert scored as they did for a case: the terms add up to ``total``."""

    industry: str
    level: int
    level_term: float = Field(description="level_weight x level / 3")
    performance: float = Field(description="the expert's evaluation score (1-5)")
    performance_counts: bool = Field(description="false: too few evaluations, the prior is used")
    performance_term: float = Field(description="evaluation_weight x (performance - 1) / 4")
    total: float


class Assignment(_Result):
    case_id: str
    expert_id: str
    expert_name: str
    industry: str
    score: ScoreTerms


class Exclusion(_Result):
    expert_id: str
    expert_name: str
    rule: str = Field(description="status | suspended | industry | level | qualification | availability | "
                      "tie | engagement | county | repeat | workload | capacity")
    detail: str


class CaseResult(_Result):
    case_id: str
    enterprise: str
    industries: list[str]
    date: dt.date
    difficulty: str
    required: int
    assigned: list[Assignment]
    filled: bool
    excluded: list[Exclusion] = Field(default_factory=list, description="experts of the case's industries kept "
                                      "off it by a hard rule; for a case not filled, every expert not on it")


class MatchResult(_Result):
    cases: list[CaseResult]
    total_score: float
    filled_slots: int
    required_slots: int
    verified_optimal: bool = Field(description="checked against every eligible candidate")
    rounds: int = Field(description="flow solves needed (1 unless candidates had to be added)")
    suspended: list[ExpertScore] = Field(default_factory=list, description="experts kept out by their scores")


@dataclass(frozen=True)
class _Slot:
    case: Case
    industry: str
    count: int


@dataclass
class _Context:
    policy: Policy
    scores: Mapping[str, ExpertScore]
    batch_days: tuple[dt.date, ...] = ()
    by_expert_enterprise: dict[tuple[str, str], list[dt.date]] = field(default_factory=dict)
    open_dates: dict[str, list[dt.date]] = field(default_factory=dict)
    _capacity: dict[str, int] = field(default_factory=dict)


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _months_before(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month + 1, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def slots_of(case: Case, policy: Policy) -> list[_Slot]:
    """The experts a case needs, per industry: at least one for each industry it spans."""
    industries = sorted(set(case.industries))
    total = max(policy.experts_per_case[case.difficulty], len(industries))
    base, extra = divmod(total, len(industries))
    return [_Slot(case, ind, base + (1 if i < extra else 0)) for i, ind in enumerate(industries)]


def open_cases(ctx: _Context, expert: Expert, day: dt.date) -> int:
    span = dt.timedelta(days=ctx.policy.workload.case_days)
    return sum(1 for d in ctx.open_dates.get(expert.id, ()) if d <= day < d + span)


def capacity(ctx: _Context, expert: Expert) -> int:
    """Cases the expert may take in this batch.

    A batch (one inspection campaign) counts as concurrent: the cap less the most
    cases the expert has open on any date of the batch.
    """
    cached = ctx._capacity.get(expert.id)
    if cached is None:
        cap = min(expert.max_concurrent_cases, ctx.policy.workload.max_concurrent_cases)
        busiest = max((open_cases(ctx, expert, d) for d in ctx.batch_days), default=0)
        cached = ctx._capacity[expert.id] = max(0, cap - busiest)
    return cached


def exclusion(expert: Expert, case: Case, ctx: _Context) -> tuple[str, str] | None:
    """The first hard rule that keeps ``expert`` off ``case``, as (rule, detail); None if eligible."""
    policy, day = ctx.policy, case.date
    if expert.status != "active":
        return "status", f"status is {expert.status}"
    score = ctx.scores.get(expert.id)
    if score is not None and score.suspended:
        return "suspended", score.reason or "suspended by evaluations"
    levels = {i: expert.level(i) for i in case.industries if expert.level(i)}
    if not levels:
        return "industry", f"covers {', '.join(i.industry for i in expert.industries)}, not " \
                           f"{', '.join(case.industries)}"
    need = policy.min_level.get(case.difficulty, 1)
    if max(levels.values()) < need:
        return "level", f"level {max(levels.values())} is below {need} required for {case.difficulty} cases"
    if not any(q.valid_on(day) for q in expert.qualifications):
        expired = ", ".join(f"{q.name} ({q.expires})" for q in expert.qualifications) or "none on file"
        return "qualification", f"no qualification valid on {day}: {expired}"
    for r in expert.unavailable:
        if r.contains(day):
            return "availability", f"unavailable {r.start}..{r.end or ''}" + (f" ({r.reason})" if r.reason else "")
    for t in expert.ties:
        if t.enterprise == case.enterprise:
            return "tie", f"declared {t.kind} tie to {case.enterprise}" + (f": {t.note}" if t.note else "")
    since = _years_before(day, policy.recusal.former_engagement_years)
    for g in expert.engagements:
        if g.enterprise == case.enterprise and (g.end is None or g.end >= since):
            return "engagement", (f"{g.role} of {case.enterprise} {g.start}..{g.end or 'now'}, within "
                                  f"{policy.recusal.former_engagement_years} years")
    if policy.recusal.exclude_home_county and expert.home_county == case.county:
        return "county", f"home county is {case.county}, the enterprise's county"
    window_start = _months_before(day, policy.recusal.repeat_enterprise_months)
    for d in ctx.by_expert_enterprise.get((expert.id, case.enterprise), ()):
        if window_start <= d <= day:
            return "repeat", (f"was on {case.enterprise} on {d}, within "
                              f"{policy.recusal.repeat_enterprise_months} months")
    if capacity(ctx, expert) == 0:
        busiest = max(ctx.batch_days, key=lambda d: open_cases(ctx, expert, d))
        return "workload", f"{open_cases(ctx, expert, busiest)} open cases on {busiest}; cap reached"
    return None


def score_terms(expert: Expert, industry: str, ctx: _Context) -> ScoreTerms:
    s = ctx.policy.scoring
    level = expert.level(industry)
    perf = ctx.scores.get(expert.id)
    performance = perf.score if perf is not None else s.prior_mean
    level_term = s.level_weight * level / 3
    perf_term = s.evaluation_weight * (performance - 1) / 4
    return ScoreTerms(industry=industry, level=level, level_term=round(level_term, 4),
                      performance=performance, performance_counts=perf.counts if perf else False,
                      performance_term=round(perf_term, 4), total=round(level_term + perf_term, 4))


def _cost(terms: ScoreTerms) -> int:
    return round(terms.total * SCALE)


def context(cases: Sequence[Case], policy: Policy, history: Iterable[PastAssignment] = (),
            scores: Mapping[str, ExpertScore] | None = None) -> _Context:
    """What the hard rules need to know about a batch: its dates, past assignments, scores."""
    ctx = _Context(policy, scores or {}, tuple(sorted({c.date for c in cases})))
    for a in sorted(history, key=lambda a: (a.date, a.case, a.expert)):
        ctx.by_expert_enterprise.setdefault((a.expert, a.enterprise), []).append(a.date)
        ctx.open_dates.setdefault(a.expert, []).append(a.date)
    return ctx


def match(cases: Sequence[Case], experts: Sequence[Expert], policy: Policy,
          history: Iterable[PastAssignment] = (), scores: Mapping[str, ExpertScore] | None = None) -> MatchResult:
    """Assign experts to ``cases``; see the module documentation for the rules and the model."""
    cases = sorted(cases, key=lambda c: c.id)
    experts = sorted(experts, key=lambda e: e.id)
    if len({c.id for c in cases}) != len(cases):
        raise MatchingError("case ids must be distinct within a batch")
    if len({e.id for e in experts}) != len(experts):
        raise MatchingError("expert ids must be distinct")
    ctx = context(cases, policy, history, scores)

    slots = {c.id: slots_of(c, policy) for c in cases}
    by_industry: dict[str, list[Expert]] = defaultdict(list)
    for e in experts:
        for i in e.industries:
            by_industry[i.industry].append(e)

    # eligible candidates per case, best first: (score cost, expert, best terms per industry)
    candidates: dict[str, list[tuple[int, Expert, dict[str, ScoreTerms]]]] = {}
    rejected: dict[str, list[Exclusion]] = {}
    for c in cases:
        pool = {e.id: e for ind in c.industries for e in by_industry.get(ind, ())}
        found, out = [], []
        for e in sorted(pool.values(), key=lambda e: e.id):
            why = exclusion(e, c, ctx)
            if why is None:
                terms = {s.industry: score_terms(e, s.industry, ctx) for s in slots[c.id] if e.level(s.industry)}
                found.append((max(_cost(t) for t in terms.values()), e, terms))
            else:
                out.append(Exclusion(expert_id=e.id, expert_name=e.name, rule=why[0], detail=why[1]))
        found.sort(key=lambda x: (-x[0], x[1].id))
        candidates[c.id] = found
        rejected[c.id] = out

    caps = {e.id: capacity(ctx, e) for e in experts}
    total_slots = sum(s.count for ss in slots.values() for s in ss)
    fill = SCALE * 10 * (total_slots + 1)  # above any total of scores

    keep: dict[str, set[str]] = {c.id: {e.id for _, e, _ in candidates[c.id][:policy.candidates_per_case]}
                                 for c in cases}
    rounds = 0
    while True:
        rounds += 1
        graph, pair_edges = _build(cases, slots, candidates, keep, caps, total_slots, fill)
        flow = nx.min_cost_flow(graph)
        missing = _improving_candidates(graph, flow, cases, slots, candidates, keep, fill)
        if not missing:
            break
        for case_id, expert_id in missing:
            keep[case_id].add(expert_id)
        if rounds >= 20:
            keep = {c.id: {e.id for _, e, _ in candidates[c.id]} for c in cases}  # everything, once

    return _result(cases, experts, slots, candidates, rejected, flow, pair_edges, ctx, total_slots, rounds)


def _build(cases: Sequence[Case], slots: Mapping[str, list[_Slot]],
           candidates: Mapping[str, list[tuple[int, Expert, dict[str, ScoreTerms]]]],
           keep: Mapping[str, set[str]], caps: Mapping[str, int], total_slots: int,
           fill: int) -> tuple[nx.DiGraph, list[tuple[Any, Any, str, str, str]]]:
    g = nx.DiGraph()
    g.add_node("source", demand=-total_slots)
    g.add_node("sink", demand=total_slots)
    g.add_edge("source", "sink", capacity=total_slots, weight=0)
    kept = {(c.id, e.id): (e, terms) for c in cases for _, e, terms in candidates[c.id] if e.id in keep[c.id]}
    per_enterprise: dict[tuple[str, str], int] = defaultdict(int)
    case_by_id = {c.id: c for c in cases}
    for case_id, expert_id in kept:
        per_enterprise[(expert_id, case_by_id[case_id].enterprise)] += 1
    experts_used = sorted({e for _, e in kept})
    for expert_id in experts_used:
        g.add_edge("source", ("expert", expert_id), capacity=caps[expert_id], weight=0)
    pair_edges = []
    for c in cases:
        for s in slots[c.id]:
            g.add_edge(("slot", c.id, s.industry), "sink", capacity=s.count, weight=0)
        for _, e, terms in candidates[c.id]:
            if e.id not in keep[c.id]:
                continue
            node: Any = ("expert", e.id)
            if per_enterprise[(e.id, c.enterprise)] > 1:
                g.add_edge(node, ("enterprise", e.id, c.enterprise), capacity=1, weight=0)
                node = ("enterprise", e.id, c.enterprise)
            if len(terms) > 1:
                g.add_edge(node, ("pair", e.id, c.id), capacity=1, weight=0)
                node = ("pair", e.id, c.id)
            for industry, t in terms.items():
                slot = ("slot", c.id, industry)
                g.add_edge(node, slot, capacity=1, weight=-(fill + _cost(t)))
                pair_edges.append((node, slot, c.id, e.id, industry))
    return g, pair_edges


def _improving_candidates(graph: nx.DiGraph, flow: Mapping[Any, Mapping[Any, int]], cases: Sequence[Case],
                          slots: Mapping[str, list[_Slot]],
                          candidates: Mapping[str, list[tuple[int, Expert, dict[str, ScoreTerms]]]],
                          keep: Mapping[str, set[str]], fill: int) -> list[tuple[str, str]]:
    """Left-out candidates with negative reduced cost: adding them could improve the flow."""
    left_out = [(c, e, terms) for c in cases for _, e, terms in candidates[c.id] if e.id not in keep[c.id]]
    if not left_out:
        return []
    residual = nx.DiGraph()
    for u, v, data in graph.edges(data=True):
        f = flow[u][v]
        if f < data["capacity"]:
            residual.add_edge(u, v, weight=data["weight"])
        if f > 0:
            residual.add_edge(v, u, weight=-data["weight"])
    root = ("root",)
    for n in list(graph.nodes):
        residual.add_edge(root, n, weight=0)
    potential = nx.single_source_bellman_ford_path_length(residual, root)
    improving = []
    for c, e, terms in left_out:
        start: Any = ("enterprise", e.id, c.enterprise)
        if start not in potential:
            start = ("expert", e.id)
        # an expert not in the graph at all has an unused source edge: its potential is the source's
        base = potential.get(start, potential["source"])
        for industry, t in terms.items():
            reduced = -(fill + _cost(t)) + base - potential[("slot", c.id, industry)]
            if reduced < 0:
                improving.append((c.id, e.id))
                break
    return improving


def _result(cases: Sequence[Case], experts: Sequence[Expert], slots: Mapping[str, list[_Slot]],
            candidates: Mapping[str, list[tuple[int, Expert, dict[str, ScoreTerms]]]],
            rejected: Mapping[str, list[Exclusion]],
            flow: Mapping[Any, Mapping[Any, int]], pair_edges: Sequence[tuple[Any, Any, str, str, str]],
            ctx: _Context, total_slots: int, rounds: int) -> MatchResult:
    names = {e.id: e.name for e in experts}
    terms_of = {(c.id, e.id): terms for c in cases for _, e, terms in candidates[c.id]}
    assigned: dict[str, list[Assignment]] = defaultdict(list)
    for node, slot, case_id, expert_id, industry in pair_edges:
        if flow[node][slot]:
            assigned[case_id].append(Assignment(case_id=case_id, expert_id=expert_id, expert_name=names[expert_id],
                                                industry=industry, score=terms_of[(case_id, expert_id)][industry]))
    elsewhere: dict[str, list[str]] = defaultdict(list)
    for case_id, items in assigned.items():
        for a in items:
            elsewhere[a.expert_id].append(case_id)
    results, total, filled_slots = [], 0.0, 0
    for c in cases:
        items = sorted(assigned.get(c.id, []), key=lambda a: (a.industry, a.expert_id))
        required = sum(s.count for s in slots[c.id])
        per_industry = {s.industry: s.count for s in slots[c.id]}
        filled = all(sum(1 for a in items if a.industry == i) >= n for i, n in per_industry.items())
        excluded = list(rejected[c.id])
        if not filled:
            excluded = _unfilled_exclusions(c, experts, candidates[c.id], excluded, elsewhere,
                                            {a.expert_id for a in items})
        total += sum(a.score.total for a in items)
        filled_slots += len(items)
        results.append(CaseResult(case_id=c.id, enterprise=c.enterprise, industries=sorted(set(c.industries)),
                                  date=c.date, difficulty=c.difficulty, required=required, assigned=items,
                                  filled=filled, excluded=excluded))
    suspended = sorted((s for s in ctx.scores.values() if s.suspended), key=lambda s: s.expert_id)
    return MatchResult(cases=results, total_score=round(total, 4), filled_slots=filled_slots,
                       required_slots=total_slots, verified_optimal=True, rounds=rounds, suspended=suspended)


def _unfilled_exclusions(case: Case, experts: Sequence[Expert],
                         candidates: Sequence[tuple[int, Expert, dict[str, ScoreTerms]]],
                         rejected: Sequence[Exclusion], elsewhere: Mapping[str, list[str]],
                         on_case: set[str]) -> list[Exclusion]:
    """For a case not filled: every expert not on it, and why."""
    why = {x.expert_id: x for x in rejected}
    for _, e, _ in candidates:
        if e.id not in on_case:
            others = ", ".join(elsewhere.get(e.id, [])) or "none"
            why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="capacity",
                                  detail=f"eligible, but needed elsewhere in this batch (assigned: {others})")
    for e in experts:
        if e.id not in why and e.id not in on_case:
            covers = ", ".join(i.industry for i in e.industries)
            why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="industry",
                                  detail=f"covers {covers}, not {', '.join(case.industries)}")
    return [why[k] for k in sorted(why)]
