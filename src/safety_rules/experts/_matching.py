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

from ..shared._errors import MatchingError
from ._registry import Case, Expert, PastAssignment, Policy
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
    span = ctx.policy.workload.case_days
    # subtracting dates cannot overflow; d + span could past 9999-12-31
    return sum(1 for d in ctx.open_dates.get(expert.id, ()) if 0 <= (day - d).days < span)


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


ADD_PER_ROUND = 3  # improving candidates added per case and round of the optimality check


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
    candidates, rejected = _eligible(cases, experts, slots, ctx)
    caps = {e.id: capacity(ctx, e) for e in experts}
    total_slots = sum(s.count for ss in slots.values() for s in ss)
    fill = SCALE * 10 * (total_slots + 1)  # above any total of scores: filling seats comes first
    keep = _initial_candidates(cases, slots, candidates, caps, policy.candidates_per_case)
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


Candidate = tuple[int, Expert, dict[str, ScoreTerms]]  # (best cost, expert, terms per industry)


def _eligible(cases: Sequence[Case], experts: Sequence[Expert], slots: Mapping[str, list[_Slot]],
              ctx: _Context) -> tuple[dict[str, list[Candidate]], dict[str, list[Exclusion]]]:
    """Eligible candidates of every case (best first) and the experts of its industries left out.

    The same result as calling :func:`exclusion` for every pair, but it calls it only for
    the pairs a case-specific rule could touch (found through indexes by enterprise,
    county and date): a batch of 1,000 cases and 2,000 experts has half a million pairs.
    """
    policy = ctx.policy
    by_industry: dict[str, list[Expert]] = defaultdict(list)
    for e in experts:
        for i in e.industries:
            by_industry[i.industry].append(e)
    flagged_enterprise: dict[str, set[str]] = defaultdict(set)
    flagged_county: dict[str, set[str]] = defaultdict(set)
    for e in experts:
        for t in e.ties:
            flagged_enterprise[t.enterprise].add(e.id)
        for g in e.engagements:
            flagged_enterprise[g.enterprise].add(e.id)
        if policy.recusal.exclude_home_county:
            flagged_county[e.home_county].add(e.id)
    for expert_id, enterprise in ctx.by_expert_enterprise:
        flagged_enterprise[enterprise].add(expert_id)
    flagged_day = {d: {e.id for e in experts if not any(q.valid_on(d) for q in e.qualifications)
                       or any(r.contains(d) for r in e.unavailable)} for d in ctx.batch_days}
    static = {e.id: e.status != "active" or bool((s := ctx.scores.get(e.id)) and s.suspended)
              or capacity(ctx, e) == 0 for e in experts}
    levels = {e.id: {i.industry: i.level for i in e.industries} for e in experts}

    # Candidates and case-independent exclusions are the same for every case with the same
    # industries and difficulty: work them out once per kind of case.
    kinds: dict[tuple[tuple[str, ...], int], tuple[list[Candidate], list[Expert], list[Expert]]] = {}

    def kind(c: Case) -> tuple[list[Candidate], list[Expert], list[Expert]]:
        need = policy.min_level.get(c.difficulty, 1)
        key = (tuple(sorted(set(c.industries))), need)
        if key not in kinds:
            pool = sorted({e.id: e for ind in key[0] for e in by_industry.get(ind, ())}.values(), key=lambda e: e.id)
            ok, static_out, low = [], [], []
            for e in pool:
                lv = levels[e.id]
                if static[e.id]:
                    static_out.append(e)
                elif max(lv.get(i, 0) for i in key[0]) < need:
                    low.append(e)
                else:
                    terms = {i: score_terms(e, i, ctx) for i in key[0] if lv.get(i)}
                    ok.append((max(_cost(t) for t in terms.values()), e, terms))
            ok.sort(key=lambda x: (-x[0], x[1].id))
            kinds[key] = (ok, static_out, low)
        return kinds[key]

    candidates: dict[str, list[Candidate]] = {}
    rejected: dict[str, list[Exclusion]] = {}
    reasons: dict[tuple[str, str], Exclusion] = {}  # case-independent reasons, shared between cases
    for c in cases:
        ok, static_out, low = kind(c)
        risky = flagged_enterprise.get(c.enterprise, set()) | flagged_county.get(c.county, set()) | flagged_day[c.date]
        out = []
        for e in (*static_out, *low):
            key = (e.id, c.difficulty)
            if key not in reasons or risky and e.id in risky:
                why = exclusion(e, c, ctx)
                assert why is not None
                x = Exclusion(expert_id=e.id, expert_name=e.name, rule=why[0], detail=why[1])
                if why[0] in ("status", "suspended", "level", "workload"):
                    reasons[key] = x
                out.append(x)
            else:
                out.append(reasons[key])
        found = []
        for cand in ok:
            e = cand[1]
            if e.id in risky and (why := exclusion(e, c, ctx)) is not None:
                out.append(Exclusion(expert_id=e.id, expert_name=e.name, rule=why[0], detail=why[1]))
            else:
                found.append(cand)
        out.sort(key=lambda x: x.expert_id)
        candidates[c.id] = found
        rejected[c.id] = out
    return candidates, rejected


def _initial_candidates(cases: Sequence[Case], slots: Mapping[str, list[_Slot]],
                        candidates: Mapping[str, list[Candidate]], caps: Mapping[str, int],
                        per_case: int) -> dict[str, set[str]]:
    """The candidates each case starts with, so that the first flow is small and already close
    to the optimum: a greedy assignment's choices, the case's best candidates, and the best of
    those the greedy assignment left with spare capacity. (Scores tie a lot, so "the best"
    alone would offer every case the same few experts.) The optimality check adds whatever
    else could do better.
    """
    load: dict[str, int] = defaultdict(int)
    on_enterprise: set[tuple[str, str]] = set()
    greedy: dict[str, set[str]] = {}
    for c in cases:
        need = {s.industry: s.count for s in slots[c.id]}
        taken: set[str] = set()
        for _, e, terms in candidates[c.id]:
            if load[e.id] >= caps[e.id] or (e.id, c.enterprise) in on_enterprise:
                continue
            industry = next((i for i in sorted(terms, key=lambda i: -_cost(terms[i])) if need.get(i)), None)
            if industry is None:
                continue
            need[industry] -= 1
            load[e.id] += 1
            on_enterprise.add((e.id, c.enterprise))
            taken.add(e.id)
            if not any(need.values()):
                break
        greedy[c.id] = taken
    keep: dict[str, set[str]] = {}
    for c in cases:
        best = [e.id for _, e, _ in candidates[c.id][:per_case]]
        spare = [e.id for _, e, _ in candidates[c.id] if load[e.id] < caps[e.id]][:per_case]
        keep[c.id] = greedy[c.id] | set(best) | set(spare)
    return keep


def _build(cases: Sequence[Case], slots: Mapping[str, list[_Slot]],
           candidates: Mapping[str, list[tuple[int, Expert, dict[str, ScoreTerms]]]],
           keep: Mapping[str, set[str]], caps: Mapping[str, int], total_slots: int,
           fill: int) -> tuple[nx.DiGraph, list[tuple[Any, Any, str, str, str]]]:
    g = nx.DiGraph()
    g.add_node("source", demand=-total_slots)
    g.add_node("sink", demand=total_slots)
    g.add_edge("source", "sink", capacity=total_slots, weight=0)
    per_enterprise: dict[tuple[str, str], int] = defaultdict(int)
    for c in cases:
        for expert_id in keep[c.id]:
            per_enterprise[(expert_id, c.enterprise)] += 1
    experts_used = sorted({e for ids in keep.values() for e in ids})
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
                          slots: Mapping[str, list[_Slot]], candidates: Mapping[str, list[Candidate]],
                          keep: Mapping[str, set[str]], fill: int) -> list[tuple[str, str]]:
    """Left-out candidates with negative reduced cost: adding them could improve the flow."""
    if all(len(keep[c.id]) == len(candidates[c.id]) for c in cases):
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
    source = potential["source"]
    improving = []
    for c in cases:
        kept = keep[c.id]
        found: list[tuple[int, str]] = []
        slot_potential = {s.industry: potential[("slot", c.id, s.industry)] for s in slots[c.id]}
        for _, e, terms in candidates[c.id]:
            if e.id in kept:
                continue
            # where the new path would leave the graph: the expert's [expert, enterprise] node if
            # there is one, else the expert node, else (expert not in the graph) the source
            base = potential.get(("enterprise", e.id, c.enterprise), potential.get(("expert", e.id), source))
            reduced = min(-(fill + _cost(t)) + base - slot_potential[i] for i, t in terms.items())
            if reduced < 0:
                found.append((reduced, e.id))
        # Each of these alone would improve the flow, but a few are enough for one round;
        # adding them all would swell the graph that the next round solves.
        improving += [(c.id, expert_id) for _, expert_id in sorted(found)[:ADD_PER_ROUND]]
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
