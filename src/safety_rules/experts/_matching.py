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
   not assigned to the same enterprise within ``repeat_enterprise_months`` (past and
   pending assignments, and no two cases of one enterprise in one batch);
6. workload: on no day of the case (its date and the ``case_days - 1`` days after)
   does the expert already hold the cap of open cases.

Workload by day
    A case occupies its experts for ``case_days`` days from its date. On every day, the
    cases an expert holds (past and pending assignments, plus this batch's) stay within
    the cap. The count of a batch's cases on a day changes only at the batch's case dates,
    and the count of held cases rises only at their dates, so one constraint per such
    "breakpoint" day ``t`` is exact: the batch cases open on ``t`` (those dated in
    ``(t - case_days, t]``, a run of consecutive batch dates) take at most ``cap - held(t)``.

The model
    Maximise the seats filled, then the total score. Per expert the day constraints are
    ranges of batch dates. When, for every expert, those ranges (and the cases of one
    enterprise, at most one per expert and batch) are *laminar* (any two nested or
    disjoint) they form a tree, and the problem is a min-cost flow, which is exact
    (integral) and fast (OR-Tools' ``SimpleMinCostFlow``)::

        source -> expert -> day-range nodes (capacity: cap - held on the range's day)
               -> date node -> [expert, enterprise] -> [expert, case] -> slot(case, industry) -> sink
        source -> sink    unfilled seats, cost 0

    with cost ``-(FILL + score)`` on the arcs into the slots; FILL exceeds any sum of
    scores, so filling a seat comes first. This is the usual case: a batch within one
    ``case_days`` window, or cases far enough apart that their windows do not cross.
    When the ranges cross (a batch longer than ``case_days``, with an expert's held
    cases ending in the middle), a flow per day would not compose: the problem is solved
    as an integer program with OR-Tools' CP-SAT over every eligible pair, with the same
    constraints and objective, and CP-SAT proves the optimum.

Optimal over every candidate
    For large batches the flow starts with the best ``candidates_per_case`` candidates of
    each case (and a greedy assignment's). The flow's node potentials (Bellman-Ford on
    the residual graph) then price every left-out candidate: one with a negative reduced
    cost could improve the result and is added, and the flow is solved again; when none
    is left, the result is optimal over every eligible candidate.

Everything is sorted by id before the model is built: the same input gives the same output.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, Literal

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.sat.python import cp_model
from pydantic import BaseModel, ConfigDict, Field

from ..shared._errors import MatchingError
from ._registry import Case, Expert, PastAssignment, Policy
from ._scores import ExpertScore

SCALE = 10_000  # scores become integer costs: min-cost flow and CP-SAT work on integers
ADD_PER_ROUND = 3  # improving candidates added per case and round of the optimality check
Method = Literal["auto", "flow", "cp-sat"]


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
                      "tie | engagement | county | repeat | workload | capacity | seats")
    detail: str


class CaseResult(_Result):
    case_id: str
    enterprise: str
    industries: list[str]
    date: dt.date
    until: dt.date = Field(description="last day the case occupies its experts")
    difficulty: str
    required: int
    assigned: list[Assignment]
    filled: bool
    excluded: list[Exclusion] = Field(default_factory=list, description="experts of the case's industries kept "
                                      "off it by a hard rule (by rule group, then id); for a case not filled, "
                                      "every expert not on it")


class PolicyUsed(_Result):
    bureau: str
    version: str
    effective_from: dt.date | None
    effective_to: dt.date | None


class MatchResult(_Result):
    policy: PolicyUsed = Field(description="the version of the bureau's policy the match applied")
    cases: list[CaseResult]
    total_score: float
    filled_slots: int
    required_slots: int
    method: str = Field(description="min-cost flow, or CP-SAT where day ranges cross")
    verified_optimal: bool = Field(description="proved optimal over every eligible candidate")
    rounds: int = Field(description="solves needed (1 unless candidates had to be added)")
    suspended: list[ExpertScore] = Field(default_factory=list, description="experts kept out by their scores")
    reminders: list[str] = Field(default_factory=list, description="qualifications of assigned experts that "
                                 "expire within the policy's reminder period")


@dataclass(frozen=True)
class _Slot:
    case: Case
    industry: str
    count: int


def slots_of(case: Case, policy: Policy) -> list[_Slot]:
    """The experts a case needs, per industry: at least one for each industry it spans."""
    industries = sorted(set(case.industries))
    total = max(policy.experts_per_case[case.difficulty], len(industries))
    base, extra = divmod(total, len(industries))
    return [_Slot(case, ind, base + (1 if i < extra else 0)) for i, ind in enumerate(industries)]


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


@dataclass
class _Context:
    """What the hard rules need to know about a batch: the policy, scores and the cases experts hold."""

    policy: Policy
    scores: Mapping[str, ExpertScore]
    held: dict[str, list[PastAssignment]] = field(default_factory=dict)  # by expert, by date
    by_expert_enterprise: dict[tuple[str, str], list[dt.date]] = field(default_factory=dict)
    _full: dict[tuple[str, dt.date], tuple[dt.date, list[str]] | None] = field(default_factory=dict)

    @property
    def span(self) -> int:
        return self.policy.workload.case_days


def context(policy: Policy, history: Iterable[PastAssignment] = (),
            scores: Mapping[str, ExpertScore] | None = None) -> _Context:
    """The context of a batch. ``history``: past and pending assignments; the same (case, expert) given
    twice (an assignment on record that was also evaluated) counts once."""
    ctx = _Context(policy, scores or {})
    seen: set[tuple[str, str]] = set()
    for a in sorted(history, key=lambda a: (a.date, a.case, a.expert)):
        if (a.case, a.expert) in seen:
            continue
        seen.add((a.case, a.expert))
        ctx.by_expert_enterprise.setdefault((a.expert, a.enterprise), []).append(a.date)
        ctx.held.setdefault(a.expert, []).append(a)
    return ctx


def cap_of(ctx: _Context, expert: Expert) -> int:
    return min(expert.max_concurrent_cases, ctx.policy.workload.max_concurrent_cases)


def held_on(ctx: _Context, expert_id: str, day: dt.date) -> list[str]:
    """The cases the expert already holds on ``day`` (ids, by date)."""
    span = ctx.span
    # subtracting dates cannot overflow; d + span could past 9999-12-31
    return [a.case for a in ctx.held.get(expert_id, ()) if 0 <= (day - a.date).days < span]


def until(ctx: _Context, day: dt.date) -> dt.date:
    """The last day a case of ``day`` occupies its experts."""
    try:
        return day + dt.timedelta(days=ctx.span - 1)
    except OverflowError:
        return dt.date.max


def full_day(ctx: _Context, expert: Expert, day: dt.date) -> tuple[dt.date, list[str]] | None:
    """The first day a case of ``day`` would occupy on which the expert already holds the cap, with the
    cases held then; None if there is none. Held counts rise only on held cases' dates, so checking
    ``day`` and those dates is exact."""
    key = (expert.id, day)
    if key in ctx._full:
        return ctx._full[key]
    cap, span = cap_of(ctx, expert), ctx.span
    found = None
    days = [day, *(a.date for a in ctx.held.get(expert.id, ()) if 0 < (a.date - day).days < span)]
    for t in days:
        held = held_on(ctx, expert.id, t)
        if len(held) >= cap:
            found = (t, held)
            break
    ctx._full[key] = found
    return found


Why = tuple[str, str]


def _standing(expert: Expert, case: Case, ctx: _Context) -> Why | None:
    """The rules that depend on the case only through its industries and difficulty."""
    if expert.status != "active":
        return "status", f"status is {expert.status}"
    score = ctx.scores.get(expert.id)
    if score is not None and score.suspended:
        return "suspended", score.reason or "suspended by evaluations"
    levels = {i: expert.level(i) for i in case.industries if expert.level(i)}
    if not levels:
        return "industry", f"covers {', '.join(i.industry for i in expert.industries)}, not " \
                           f"{', '.join(case.industries)}"
    need = ctx.policy.min_level.get(case.difficulty, 1)
    if max(levels.values()) < need:
        return "level", f"level {max(levels.values())} is below {need} required for {case.difficulty} cases"
    return None


def _dated(expert: Expert, day: dt.date) -> Why | None:
    if not any(q.valid_on(day) for q in expert.qualifications):
        expired = ", ".join(f"{q.name} ({q.expires})" for q in expert.qualifications) or "none on file"
        return "qualification", f"no qualification valid on {day}: {expired}"
    for r in expert.unavailable:
        if r.contains(day):
            return "availability", f"unavailable {r.start}..{r.end or ''}" + (f" ({r.reason})" if r.reason else "")
    return None


def _ties(expert: Expert, case: Case, ctx: _Context) -> Why | None:
    policy = ctx.policy
    for t in expert.ties:
        if t.enterprise == case.enterprise:
            return "tie", f"declared {t.kind} tie to {case.enterprise}" + (f": {t.note}" if t.note else "")
    since = _years_before(case.date, policy.recusal.former_engagement_years)
    for g in expert.engagements:
        if g.enterprise == case.enterprise and (g.end is None or g.end >= since):
            return "engagement", (f"{g.role} of {case.enterprise} {g.start}..{g.end or 'now'}, within "
                                  f"{policy.recusal.former_engagement_years} years")
    return None


def _county(expert: Expert, county: str, ctx: _Context) -> Why | None:
    if ctx.policy.recusal.exclude_home_county and expert.home_county == county:
        return "county", f"home county is {county}, the enterprise's county"
    return None


def _repeat(expert: Expert, case: Case, ctx: _Context) -> Why | None:
    months = ctx.policy.recusal.repeat_enterprise_months
    window_start = _months_before(case.date, months)
    for d in ctx.by_expert_enterprise.get((expert.id, case.enterprise), ()):
        if window_start <= d <= case.date:
            return "repeat", f"was on {case.enterprise} on {d}, within {months} months"
    return None


def _workload(expert: Expert, day: dt.date, ctx: _Context) -> Why | None:
    full = full_day(ctx, expert, day)
    if full is None:
        return None
    t, held = full
    return "workload", (f"holds {len(held)} cases on {t} ({', '.join(held)}): the cap of {cap_of(ctx, expert)} is "
                        f"reached within the case's days {day}..{until(ctx, day)}")


def exclusion(expert: Expert, case: Case, ctx: _Context) -> Why | None:
    """The first hard rule that keeps ``expert`` off ``case``, as (rule, detail); None if eligible."""
    return (_standing(expert, case, ctx) or _dated(expert, case.date) or _ties(expert, case, ctx)
            or _county(expert, case.county, ctx) or _repeat(expert, case, ctx)
            or _workload(expert, case.date, ctx))


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


# ---------------------------------------------------------------------------------------------- candidates

Candidate = tuple[int, Expert, dict[str, ScoreTerms], dict[str, int]]  # (best cost, expert, terms, costs) by industry


@dataclass(frozen=True)
class _Candidates:
    """A case's eligible experts, best first: the list of its kind of case (industries and difficulty),
    shared by every case of that kind, less those kept off by the rules of its date and county
    (``out``, shared by the cases of one kind, date and county) and by its enterprise (``own``).
    Eligible pairs are many (5,000 cases x 2,000 experts of an industry): a copy per case, or an
    object per pair, is what makes large batches slow and big."""

    pool: list[Candidate]
    by_id: dict[str, Candidate]
    out: frozenset[str]
    own: frozenset[str]

    def __iter__(self) -> Iterator[Candidate]:
        out, own = self.out, self.own
        return (c for c in self.pool if c[1].id not in out and c[1].id not in own)

    def __len__(self) -> int:
        return len(self.pool) - len(self.out) - len(self.own - self.out)

    def __contains__(self, expert_id: object) -> bool:
        return expert_id in self.by_id and expert_id not in self.out and expert_id not in self.own


@dataclass
class _Kind:
    pool: list[Candidate]
    by_id: dict[str, Candidate]
    standing_out: list[Exclusion]  # experts of the kind's industries kept off by status, score or level


def _eligible(cases: Sequence[Case], experts: Sequence[Expert],
              ctx: _Context) -> tuple[dict[str, _Candidates], dict[str, list[Exclusion]]]:
    """Eligible candidates of every case (best first) and the experts of its industries left out.

    The same result as :func:`exclusion` for every pair, worked out once per kind of case
    (industries, difficulty), once per (kind, date, county) and per case only for the few
    experts with a tie, engagement or past assignment at the case's enterprise.
    """
    by_industry: dict[str, list[Expert]] = defaultdict(list)
    for e in experts:
        for i in e.industries:
            by_industry[i.industry].append(e)
    flagged_enterprise: dict[str, set[str]] = defaultdict(set)
    for e in experts:
        for t in e.ties:
            flagged_enterprise[t.enterprise].add(e.id)
        for g in e.engagements:
            flagged_enterprise[g.enterprise].add(e.id)
    for expert_id, enterprise in ctx.by_expert_enterprise:
        flagged_enterprise[enterprise].add(expert_id)
    by_id = {e.id: e for e in experts}
    interned: dict[tuple[str, str, str], Exclusion] = {}  # one object per distinct exclusion

    def excluded(e: Expert, why: Why) -> Exclusion:
        key = (e.id, *why)
        x = interned.get(key)
        if x is None:
            x = interned[key] = Exclusion.model_construct(expert_id=e.id, expert_name=e.name, rule=why[0],
                                                          detail=why[1])
        return x

    kinds: dict[tuple[tuple[str, ...], str], _Kind] = {}

    def kind_of(c: Case) -> _Kind:
        key = (tuple(sorted(set(c.industries))), c.difficulty)
        k = kinds.get(key)
        if k is None:
            pool = sorted({e.id: e for ind in key[0] for e in by_industry.get(ind, ())}.values(), key=lambda e: e.id)
            ok, standing_out = [], []
            for e in pool:
                why = _standing(e, c, ctx)
                if why is not None:
                    standing_out.append(excluded(e, why))
                    continue
                terms = {i: score_terms(e, i, ctx) for i in key[0] if e.level(i)}
                costs = {i: _cost(t) for i, t in terms.items()}
                ok.append((max(costs.values()), e, terms, costs))
            ok.sort(key=lambda x: (-x[0], x[1].id))
            k = kinds[key] = _Kind(ok, {cand[1].id: cand for cand in ok}, standing_out)
        return k

    # The rules of a date (qualification, availability, workload) once per (kind, date), the
    # county rule once per (kind, county); a group of cases of one kind, date and county shares
    # the result, taking each expert's first failing rule in the order of :func:`exclusion`.
    by_day: dict[tuple[int, dt.date], tuple[dict[str, Why], dict[str, Why]]] = {}
    by_county: dict[int, dict[str, list[Expert]]] = {}
    groups: dict[tuple[int, dt.date, str], tuple[frozenset[str], list[Exclusion]]] = {}

    def group_of(kind: _Kind, c: Case) -> tuple[frozenset[str], list[Exclusion]]:
        key = (id(kind), c.date, c.county)
        g = groups.get(key)
        if g is None:
            flags = by_day.get(key[:2])
            if flags is None:
                dated: dict[str, Why] = {}
                busy: dict[str, Why] = {}
                for _, e, _, _ in kind.pool:
                    if (why := _dated(e, c.date)) is not None:
                        dated[e.id] = why
                    if (e.id in ctx.held or cap_of(ctx, e) == 0) and (why := _workload(e, c.date, ctx)):
                        busy[e.id] = why
                flags = by_day[key[:2]] = (dated, busy)
            counties = by_county.get(id(kind))
            if counties is None:
                counties = by_county[id(kind)] = defaultdict(list)
                for _, e, _, _ in kind.pool:
                    counties[e.home_county].append(e)
            dated, busy = flags
            local = counties.get(c.county, []) if ctx.policy.recusal.exclude_home_county else []
            flagged = {**{i: by_id[i] for i in dated}, **{e.id: e for e in local}, **{i: by_id[i] for i in busy}}
            out = []
            for expert_id, e in flagged.items():
                why = dated.get(expert_id) or _county(e, c.county, ctx) or busy.get(expert_id)
                if why is not None:
                    out.append(excluded(e, why))
            listed = sorted([*kind.standing_out, *out], key=lambda x: x.expert_id)
            g = groups[key] = (frozenset(x.expert_id for x in out), listed)
        return g

    candidates: dict[str, _Candidates] = {}
    rejected: dict[str, list[Exclusion]] = {}
    for c in cases:
        kind = kind_of(c)
        out, listed = group_of(kind, c)
        own: dict[str, Exclusion] = {}
        for expert_id in flagged_enterprise.get(c.enterprise, ()):
            if expert_id in kind.by_id and (why := exclusion(by_id[expert_id], c, ctx)) is not None:
                own[expert_id] = excluded(by_id[expert_id], why)
        if own:
            listed = list(listed)
            for expert_id in sorted(own):  # listed is sorted by id: replace or insert in place
                at = bisect.bisect_left(listed, expert_id, key=lambda x: x.expert_id)
                if at < len(listed) and listed[at].expert_id == expert_id:
                    listed[at] = own[expert_id]
                else:
                    listed.insert(at, own[expert_id])
        candidates[c.id] = _Candidates(kind.pool, kind.by_id, out, frozenset(own))
        rejected[c.id] = listed
    return candidates, rejected


# ---------------------------------------------------------------------------------------------- day rows


@dataclass(frozen=True)
class _Row:
    """One day's workload constraint of one expert: the batch's cases dated ``dates[lo..hi]`` take at most ``cap``."""

    lo: int
    hi: int
    cap: int
    day: dt.date
    held: tuple[str, ...]


def _rows(ctx: _Context, expert: Expert, dates: Sequence[dt.date]) -> list[_Row]:
    """The expert's binding day constraints over the batch's dates (sorted, distinct), redundant ones dropped."""
    span, cap = ctx.span, cap_of(ctx, expert)
    held = ctx.held.get(expert.id, [])
    first, last = dates[0], dates[-1]
    days = sorted({*dates, *(a.date for a in held if (a.date - first).days > 0 and (a.date - last).days < span)})
    rows: list[_Row] = []
    for t in days:
        # batch dates d with d <= t < d + span
        hi = bisect.bisect_right(dates, t) - 1
        lo = bisect.bisect_right(dates, t - dt.timedelta(days=span)) if (t - first).days >= span else 0
        if lo > hi:
            continue
        on = held_on(ctx, expert.id, t) if held else []
        left = cap - len(on)
        if left <= 0:
            continue  # every batch date in range is then excluded by the workload rule
        rows.append(_Row(lo, hi, left, t, tuple(on)))
    # a row inside another with no smaller cap never binds first
    kept = [r for r in rows if not any(o is not r and o.lo <= r.lo and r.hi <= o.hi and o.cap <= r.cap
                                       and (o.lo, o.hi, o.cap) != (r.lo, r.hi, r.cap) for o in rows)]
    unique: dict[tuple[int, int, int], _Row] = {}
    for r in kept:
        unique.setdefault((r.lo, r.hi, r.cap), r)
    return sorted(unique.values(), key=lambda r: (r.lo, -r.hi, r.cap))


def _laminar(ranges: Iterable[tuple[int, int]]) -> bool:
    """Any two ranges nested or disjoint."""
    ordered = sorted(set(ranges), key=lambda r: (r[0], -r[1]))
    stack: list[tuple[int, int]] = []
    for lo, hi in ordered:
        while stack and stack[-1][1] < lo:
            stack.pop()
        if stack and hi > stack[-1][1]:
            return False
        stack.append((lo, hi))
    return True


# ---------------------------------------------------------------------------------------------- the batch


@dataclass
class _Batch:
    cases: list[Case]
    experts: dict[str, Expert]
    ctx: _Context
    slots: dict[str, list[_Slot]]
    candidates: dict[str, _Candidates]
    rejected: dict[str, list[Exclusion]]
    dates: list[dt.date]
    date_index: dict[dt.date, int]
    rows: dict[str, list[_Row]]
    # per expert, per enterprise with several cases the expert is eligible for: their date indexes
    groups: dict[str, dict[str, list[int]]]
    total_slots: int
    fill: int

    def rows_of(self, expert_id: str) -> list[_Row]:
        found = self.rows.get(expert_id)
        if found is None:
            found = self.rows[expert_id] = _rows(self.ctx, self.experts[expert_id], self.dates)
        return found


def _batch(cases: Sequence[Case], experts: Sequence[Expert], policy: Policy, history: Iterable[PastAssignment],
           scores: Mapping[str, ExpertScore] | None) -> _Batch:
    ctx = context(policy, history, scores)
    slots = {c.id: slots_of(c, policy) for c in cases}
    candidates, rejected = _eligible(cases, experts, ctx)
    dates = sorted({c.date for c in cases})
    by_enterprise: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        by_enterprise[c.enterprise].append(c)
    groups: dict[str, dict[str, list[int]]] = defaultdict(dict)
    date_index = {d: i for i, d in enumerate(dates)}
    for enterprise, items in by_enterprise.items():
        if len(items) < 2:
            continue
        count: dict[str, list[int]] = defaultdict(list)
        for c in items:
            for cand in candidates[c.id]:
                count[cand[1].id].append(date_index[c.date])
        for expert_id, idx in count.items():
            if len(idx) > 1:
                groups[expert_id][enterprise] = sorted(set(idx))
    total_slots = sum(s.count for ss in slots.values() for s in ss)
    max_cost = max((cand[0] for c in cases for cand in islice(candidates[c.id], 1)), default=0)
    fill = max(1, max_cost) * (total_slots + 1)  # above any total of scores: filling a seat comes first
    return _Batch(list(cases), {e.id: e for e in experts}, ctx, slots, candidates, rejected, dates, date_index,
                  {}, groups, total_slots, fill)


def _is_laminar(b: _Batch) -> bool:
    """Whether every expert's day rows and enterprise groups are nested or disjoint (the flow is then exact).

    Rows are ranges of the batch's dates, whether or not the expert is eligible on each: a
    cautious test (it may send a batch to CP-SAT that a flow could have solved), never a wrong one.
    """
    pools = {id(cands.pool): cands.pool for cands in b.candidates.values()}
    experts = sorted({cand[1].id for pool in pools.values() for cand in pool})
    for expert_id in experts:
        rows = b.rows_of(expert_id)
        if not _laminar((r.lo, r.hi) for r in rows):
            return False
        for idx in b.groups.get(expert_id, {}).values():
            # an enterprise group must not straddle a row: inside it or apart from it
            for r in rows:
                inside = [r.lo <= i <= r.hi for i in idx]
                if any(inside) and not all(inside):
                    return False
    return True


def match(cases: Sequence[Case], experts: Sequence[Expert], policy: Policy,
          history: Iterable[PastAssignment] = (), scores: Mapping[str, ExpertScore] | None = None, *,
          method: Method = "auto", time_limit_s: float = 120.0) -> MatchResult:
    """Assign experts to ``cases``; see the module documentation for the rules and the model.

    ``history``: past assignments and those on record but still open (pending); ``method``:
    ``auto`` uses the flow where it is exact and CP-SAT elsewhere (``cp-sat`` forces it, for
    comparison); ``time_limit_s`` bounds CP-SAT (a result it could not prove says so).
    """
    cases = sorted(cases, key=lambda c: c.id)
    experts = sorted(experts, key=lambda e: e.id)
    if len({c.id for c in cases}) != len(cases):
        raise MatchingError("case ids must be distinct within a batch")
    if len({e.id for e in experts}) != len(experts):
        raise MatchingError("expert ids must be distinct")
    b = _batch(cases, experts, policy, history, scores)
    if not cases:
        return _result(b, {}, "none", True, 0)
    if method == "flow" or (method == "auto" and _is_laminar(b)):
        if method == "flow" and not _is_laminar(b):
            raise MatchingError("the experts' day ranges cross in this batch: a flow would not be exact; "
                                "use method 'auto' or 'cp-sat'")
        chosen, rounds = _solve_flow(b)
        return _result(b, chosen, "min-cost flow", True, rounds)
    chosen, proved = _solve_cp_sat(b, time_limit_s)
    return _result(b, chosen, "CP-SAT", proved, 1)


# ---------------------------------------------------------------------------------------------- flow


def _initial_candidates(b: _Batch) -> dict[str, set[str]]:
    """The candidates each case starts with, so that the first flow is small and already close
    to the optimum: a greedy assignment's choices, the case's best candidates, and the best of
    those the greedy assignment left with spare capacity. (Scores tie a lot, so "the best"
    alone would offer every case the same few experts.) The optimality check adds whatever
    else could do better. The greedy load ignores days: it only picks a starting set.
    """
    per_case = b.ctx.policy.candidates_per_case
    caps = {e.id: cap_of(b.ctx, e) for e in b.experts.values()}
    load: dict[str, int] = defaultdict(int)
    on_enterprise: set[tuple[str, str]] = set()
    keep: dict[str, set[str]] = {}
    # Per group of cases sharing a candidate list (kind, date, county): the list without the
    # group's exclusions, and how far its front is full. Load only grows, so the front only
    # moves on: a case does not walk again past every expert that earlier cases filled.
    fronts: dict[tuple[int, int], tuple[list[Candidate], list[int]]] = {}
    for c in b.cases:
        cands = b.candidates[c.id]
        key = (id(cands.pool), id(cands.out))
        if key not in fronts:
            fronts[key] = ([x for x in cands.pool if x[1].id not in cands.out], [0])
        pool, front = fronts[key]
        while front[0] < len(pool) and load[pool[front[0]][1].id] >= caps[pool[front[0]][1].id]:
            front[0] += 1
        need = {s.industry: s.count for s in b.slots[c.id]}
        taken: set[str] = set()
        for _, e, _, costs in islice(pool, front[0], None):
            if load[e.id] >= caps[e.id] or e.id in cands.own or (e.id, c.enterprise) in on_enterprise:
                continue
            industry = next((i for i in sorted(costs, key=lambda i: -costs[i]) if need.get(i)), None)
            if industry is None:
                continue
            need[industry] -= 1
            load[e.id] += 1
            on_enterprise.add((e.id, c.enterprise))
            taken.add(e.id)
            if not any(need.values()):
                break
        keep[c.id] = taken
    spare: dict[int, list[Candidate]] = {}  # per shared pool: its candidates the greedy left room
    for c in b.cases:
        cands = b.candidates[c.id]
        roomy = spare.get(id(cands.pool))
        if roomy is None:
            roomy = spare[id(cands.pool)] = [x for x in cands.pool if load[x[1].id] < caps[x[1].id]]
        keep[c.id] |= {cand[1].id for cand in islice(cands, per_case)}
        keep[c.id] |= {cand[1].id for cand in islice((x for x in roomy if x[1].id in cands), per_case)}
    return keep


class _Graph:
    """The flow network of one round: node numbers, arcs, and where each expert's paths start."""

    def __init__(self) -> None:
        self.tails: list[int] = []
        self.heads: list[int] = []
        self.caps: list[int] = []
        self.costs: list[int] = []
        self.nodes = 2  # 0 source, 1 sink
        self.entry: dict[tuple[str, int | str], int] = {}  # (expert, date index | enterprise) -> node
        self.slot: dict[tuple[str, str], int] = {}
        self.pair_arcs: list[tuple[int, str, str, str]] = []  # (arc, case, expert, industry)

    def node(self) -> int:
        self.nodes += 1
        return self.nodes - 1

    def arc(self, tail: int, head: int, cap: int, cost: int = 0) -> int:
        self.tails.append(tail)
        self.heads.append(head)
        self.caps.append(cap)
        self.costs.append(cost)
        return len(self.tails) - 1


def _expert_tree(g: _Graph, b: _Batch, expert_id: str, big: int) -> None:
    """The expert's nodes: a tree of day rows (nested ranges), a node per batch date and per enterprise group."""
    root = g.node()
    g.arc(0, root, big)
    rows = b.rows_of(expert_id)
    row_nodes: list[int] = []
    stack: list[tuple[_Row, int]] = []
    owner: list[int] = [root] * len(b.dates)  # innermost node holding each date
    for r in rows:  # sorted by (lo, -hi): parents before children
        while stack and stack[-1][0].hi < r.lo:
            stack.pop()
        parent = stack[-1][1] if stack else root
        n = g.node()
        g.arc(parent, n, r.cap)
        stack.append((r, n))
        row_nodes.append(n)
        for i in range(r.lo, r.hi + 1):
            owner[i] = n
    for i in range(len(b.dates)):
        n = g.node()
        g.arc(owner[i], n, big)
        g.entry[(expert_id, i)] = n
    for enterprise, idx in sorted(b.groups.get(expert_id, {}).items()):
        if len(idx) == 1:
            parent = g.entry[(expert_id, idx[0])]
        else:
            # the innermost row holding all the group's dates (the rows are laminar with the group)
            holding = [(r.hi - r.lo, n) for r, n in zip(rows, row_nodes, strict=True) if r.lo <= idx[0]
                       and idx[-1] <= r.hi]
            parent = min(holding)[1] if holding else root
        n = g.node()
        g.arc(parent, n, 1)
        g.entry[(expert_id, enterprise)] = n


def _build(b: _Batch, keep: Mapping[str, set[str]]) -> _Graph:
    g = _Graph()
    total = b.total_slots
    g.arc(0, 1, total)  # seats left empty
    in_graph = sorted({e for ids in keep.values() for e in ids})
    big = total
    for expert_id in in_graph:
        _expert_tree(g, b, expert_id, big)
    for c in b.cases:
        for s in b.slots[c.id]:
            n = g.slot[(c.id, s.industry)] = g.node()
            g.arc(n, 1, s.count)
        cands = b.candidates[c.id]
        day = b.date_index[c.date]
        for expert_id in sorted(keep[c.id]):
            _, _, _, costs = cands.by_id[expert_id]
            start = g.entry.get((expert_id, c.enterprise), g.entry[(expert_id, day)])
            if len(costs) > 1:
                pair = g.node()
                g.arc(start, pair, 1)
                start = pair
            for industry, cost in costs.items():
                arc = g.arc(start, g.slot[(c.id, industry)], 1, -cost)
                g.pair_arcs.append((arc, c.id, expert_id, industry))
    return g


def _solve_flow(b: _Batch) -> tuple[dict[str, list[tuple[str, str]]], int]:
    keep = _initial_candidates(b)
    rounds = 0
    while True:
        rounds += 1
        g = _build(b, keep)
        flows = _min_cost_flow(g, b.total_slots)
        missing = _improving_candidates(b, g, flows, keep)
        if not missing:
            break
        for case_id, expert_id in missing:
            keep[case_id].add(expert_id)
        if rounds >= 20:  # every candidate, once: the check then has nothing left to add
            keep = {c.id: {cand[1].id for cand in b.candidates[c.id]} for c in b.cases}
    chosen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for arc, case_id, expert_id, industry in g.pair_arcs:
        if flows[arc]:
            chosen[case_id].append((expert_id, industry))
    return chosen, rounds


def _min_cost_flow(g: _Graph, total: int) -> Any:
    solver = min_cost_flow.SimpleMinCostFlow()
    solver.add_arcs_with_capacity_and_unit_cost(np.array(g.tails, dtype=np.int32), np.array(g.heads, dtype=np.int32),
                                                np.array(g.caps, dtype=np.int64), np.array(g.costs, dtype=np.int64))
    solver.set_node_supply(0, total)
    solver.set_node_supply(1, -total)
    # The most seats, then the least cost among those: the same optimum as with FILL, with small
    # costs (cost scaling runs a phase per bit of the largest cost). The seats left empty then go
    # on the source-sink arc (arc 0), which is what the potentials are worked out on.
    solver.set_arc_capacity(0, 0)
    status = solver.solve_max_flow_with_min_cost()
    if status != solver.OPTIMAL:
        raise MatchingError(f"the min-cost flow ended with status {status}")
    flows = solver.flows(np.arange(len(g.tails), dtype=np.int32))
    flows[0] = total - solver.maximum_flow()
    return flows


def _potentials(g: _Graph, flows: Any, fill: int) -> Any:
    """Shortest distances in the residual graph from a root joined to every node (Bellman-Ford), with
    ``-fill`` on every seat arc: the potentials of the flow as a min-cost flow that fills seats first.

    OR-Tools' min-cost flow does not expose its node potentials, and networkx's Bellman-Ford
    walks a Python dict per arc; this one relaxes every arc at once per pass with numpy, and
    a pass is needed per arc of the longest shortest path.
    """
    tails, heads = np.array(g.tails, dtype=np.int64), np.array(g.heads, dtype=np.int64)
    caps, costs = np.array(g.caps, dtype=np.int64), np.array(g.costs, dtype=np.int64)
    costs[[arc for arc, _, _, _ in g.pair_arcs]] -= fill
    forward, backward = flows < caps, flows > 0
    u = np.concatenate([tails[forward], heads[backward]])
    v = np.concatenate([heads[forward], tails[backward]])
    w = np.concatenate([costs[forward], -costs[backward]])
    order = np.argsort(v, kind="stable")
    u, v, w = u[order], v[order], w[order]
    targets, starts = np.unique(v, return_index=True)
    potential = np.zeros(g.nodes, dtype=np.int64)
    for _ in range(g.nodes + 1):
        best = np.minimum.reduceat(potential[u] + w, starts)
        improved = best < potential[targets]
        if not improved.any():
            return potential
        potential[targets[improved]] = best[improved]
    raise MatchingError("the residual graph has a negative cycle: the flow was not optimal")


def _improving_candidates(b: _Batch, g: _Graph, flows: Any, keep: Mapping[str, set[str]]) -> list[tuple[str, str]]:
    """Left-out candidates with a negative reduced cost: adding them could improve the flow.

    A new arc from the expert's entry node (or, for an expert not in the graph, from the
    source through zero-cost arcs with room) to a slot keeps every reduced cost non-negative
    unless its own is negative; if no candidate's is, the flow is optimal over all of them.
    """
    if all(len(keep[c.id]) == len(b.candidates[c.id]) for c in b.cases):
        return []
    pot = _potentials(g, flows, b.fill)
    source = int(pot[0])
    fill = b.fill
    improving: list[tuple[str, str]] = []
    outside: dict[int, list[Candidate]] = {}  # per shared pool: its candidates without nodes in the graph
    in_graph: dict[tuple[int, int], list[tuple[int, str]]] = {}  # per (pool, date): (entry - cost, expert)
    grouped: dict[str, list[str]] = defaultdict(list)  # enterprise -> experts with a node for it
    for expert_id, groups in sorted(b.groups.items()):
        for enterprise in groups:
            grouped[enterprise].append(expert_id)
    for c in b.cases:
        cands, kept = b.candidates[c.id], keep[c.id]
        day = b.date_index[c.date]
        slot_pot = {s.industry: int(pot[g.slot[(c.id, s.industry)]]) for s in b.slots[c.id]}
        found: list[tuple[int, str]] = []
        if len(slot_pot) == 1:
            (slot_value,) = slot_pot.values()
            threshold = source - fill - slot_value  # an outside expert improves when its cost exceeds this
            pool = outside.get(id(cands.pool))
            if pool is None:
                pool = outside[id(cands.pool)] = [x for x in cands.pool if (x[1].id, 0) not in g.entry]
            for cost, e, _, _ in pool:  # best first: those that improve come first
                if cost <= threshold or len(found) >= ADD_PER_ROUND:
                    break
                if e.id in cands:
                    found.append((threshold - cost, e.id))
            key = (id(cands.pool), day)
            ranked = in_graph.get(key)
            if ranked is None:
                ranked = in_graph[key] = sorted((int(pot[g.entry[(x[1].id, day)]]) - x[0], x[1].id)
                                                for x in cands.pool if (x[1].id, 0) in g.entry)
            limit = slot_value + fill
            taken = 0
            for value, expert_id in ranked:  # by reduced cost: the most improving first
                if value >= limit or taken == ADD_PER_ROUND:
                    break
                if expert_id not in kept and expert_id in cands and (expert_id, c.enterprise) not in g.entry:
                    found.append((value - limit, expert_id))
                    taken += 1
            for expert_id in grouped.get(c.enterprise, ()):
                # experts with an enterprise node: their entry depends on the enterprise
                if expert_id in kept or expert_id not in cands or (expert_id, 0) not in g.entry:
                    continue
                cost = cands.by_id[expert_id][0]
                base = int(pot[g.entry.get((expert_id, c.enterprise), g.entry[(expert_id, day)])])
                if (reduced := base - fill - cost - slot_value) < 0:
                    found.append((reduced, expert_id))
        else:
            for _, e, _, costs in cands:
                if e.id in kept:
                    continue
                node = g.entry.get((e.id, c.enterprise), g.entry.get((e.id, day)))
                base = source if node is None else int(pot[node])
                reduced = min(base - fill - cost - slot_pot[i] for i, cost in costs.items())
                if reduced < 0:
                    found.append((reduced, e.id))
        # Each of these alone would improve the flow, but a few are enough for one round;
        # adding them all would swell the graph that the next round solves.
        improving += [(c.id, expert_id) for _, expert_id in sorted(found)[:ADD_PER_ROUND]]
    return improving


# ---------------------------------------------------------------------------------------------- CP-SAT


def _solve_cp_sat(b: _Batch, time_limit_s: float) -> tuple[dict[str, list[tuple[str, str]]], bool]:
    """The same problem as an integer program over every eligible pair, for batches where day ranges cross."""
    model = cp_model.CpModel()
    x: dict[tuple[str, str, str], cp_model.IntVar] = {}
    by_expert: dict[str, list[tuple[Case, cp_model.IntVar]]] = defaultdict(list)
    objective = []
    for c in b.cases:
        per_slot: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for _, e, _, costs in b.candidates[c.id]:
            pair = []
            for industry, cost in costs.items():
                v = x[(c.id, e.id, industry)] = model.new_bool_var(f"{c.id}|{e.id}|{industry}")
                per_slot[industry].append(v)
                pair.append(v)
                objective.append((b.fill + cost) * v)
                by_expert[e.id].append((c, v))
            if len(pair) > 1:
                model.add(sum(pair) <= 1)
        for s in b.slots[c.id]:
            if per_slot[s.industry]:
                model.add(sum(per_slot[s.industry]) <= s.count)
    for expert_id, items in sorted(by_expert.items()):
        for r in b.rows_of(expert_id):
            inside = [v for c, v in items if r.lo <= b.date_index[c.date] <= r.hi]
            if len(inside) > r.cap:
                model.add(sum(inside) <= r.cap)
        per_enterprise: dict[str, list[cp_model.IntVar]] = defaultdict(list)
        for c, v in items:
            per_enterprise[c.enterprise].append(v)
        for vs in per_enterprise.values():
            if len(vs) > 1:
                model.add(sum(vs) <= 1)
    model.maximize(sum(objective))
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1  # one worker: the same input gives the same output
    solver.parameters.max_time_in_seconds = time_limit_s
    status = solver.solve(model)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        raise MatchingError(f"CP-SAT found no assignment within {time_limit_s} s (status {solver.status_name()})")
    chosen: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for (case_id, expert_id, industry), v in x.items():
        if solver.value(v):
            chosen[case_id].append((expert_id, industry))
    return chosen, status == cp_model.OPTIMAL


# ---------------------------------------------------------------------------------------------- result


def _result(b: _Batch, chosen: Mapping[str, list[tuple[str, str]]], method: str, proved: bool,
            rounds: int) -> MatchResult:
    ctx, policy = b.ctx, b.ctx.policy
    assigned: dict[str, list[Assignment]] = {}
    on: dict[str, list[Case]] = defaultdict(list)  # batch cases per expert
    cases_by_id = {c.id: c for c in b.cases}
    for case_id, pairs in chosen.items():
        cands = b.candidates[case_id]
        assigned[case_id] = sorted((Assignment(case_id=case_id, expert_id=expert_id,
                                               expert_name=b.experts[expert_id].name, industry=industry,
                                               score=cands.by_id[expert_id][2][industry])
                                    for expert_id, industry in pairs), key=lambda a: (a.industry, a.expert_id))
        for expert_id, _ in pairs:
            on[expert_id].append(cases_by_id[case_id])
    results, total, filled_slots = [], 0.0, 0
    reminders: list[str] = []
    for c in b.cases:
        items = assigned.get(c.id, [])
        need = {s.industry: s.count for s in b.slots[c.id]}
        filled = all(sum(1 for a in items if a.industry == i) >= n for i, n in need.items())
        excluded = b.rejected[c.id]
        if not filled:
            excluded = _unfilled_exclusions(b, c, items, on)
        total += sum(a.score.total for a in items)
        filled_slots += len(items)
        results.append(CaseResult(case_id=c.id, enterprise=c.enterprise, industries=sorted(set(c.industries)),
                                  date=c.date, until=until(ctx, c.date), difficulty=c.difficulty,
                                  required=sum(need.values()), assigned=items, filled=filled, excluded=excluded))
        reminders += _reminders(b, c, items)
    suspended = sorted((s for s in ctx.scores.values() if s.suspended), key=lambda s: s.expert_id)
    used = PolicyUsed(bureau=policy.bureau, version=policy.version, effective_from=policy.effective_from,
                      effective_to=policy.effective_to)
    return MatchResult(policy=used, cases=results, total_score=round(total, 4), filled_slots=filled_slots,
                       required_slots=b.total_slots, method=method, verified_optimal=proved, rounds=rounds,
                       suspended=suspended, reminders=reminders)


def _reminders(b: _Batch, case: Case, items: Sequence[Assignment]) -> list[str]:
    """Assigned experts whose qualifications run out within the reminder period or before the case is over."""
    q = b.ctx.policy.qualifications
    if q is None:
        return []
    out = []
    horizon = max(until(b.ctx, case.date), case.date + dt.timedelta(days=q.remind_days))
    for a in items:
        e = b.experts[a.expert_id]
        valid = [x for x in e.qualifications if x.valid_on(case.date)]
        if valid and all(x.expires is not None and x.expires < horizon for x in valid):
            last = max(x.expires for x in valid if x.expires is not None)
            names = "、".join(f"{x.name} ({x.expires})" for x in valid)
            out.append(f"{a.expert_id} {e.name} on {case.id} ({case.date}..{until(b.ctx, case.date)}): {names} "
                       f"expire{'s' if len(valid) == 1 else ''} by {last}; renew it, or it will be refused after")
    return out


def _unfilled_exclusions(b: _Batch, case: Case, items: Sequence[Assignment],
                         on: Mapping[str, list[Case]]) -> list[Exclusion]:
    """For a case not filled: every expert not on it, and why; for an eligible one, the day that was full."""
    why = {x.expert_id: x for x in b.rejected[case.id]}
    on_case = {a.expert_id for a in items}
    need = {s.industry: s.count - sum(1 for a in items if a.industry == s.industry) for s in b.slots[case.id]}
    day = b.date_index[case.date]
    for _, e, _, costs in b.candidates[case.id]:
        if e.id in on_case:
            continue
        same = [c.id for c in on.get(e.id, ()) if c.enterprise == case.enterprise]
        if same:
            why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="repeat",
                                  detail=f"on {', '.join(same)} of the same enterprise in this batch")
            continue
        full = _full_row(b, e.id, day, on.get(e.id, ()))
        if full is not None:
            r, batch = full
            held = f"{len(r.held)} held ({', '.join(r.held)}) and " if r.held else ""
            why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="capacity",
                                  detail=f"eligible, but full on {r.day}: {held}{len(batch)} of this batch "
                                         f"({', '.join(batch)}) reach the cap of {cap_of(b.ctx, e)}")
            continue
        open_for = [i for i in costs if need.get(i, 0) > 0]
        detail = (f"eligible for {', '.join(sorted(costs))}, whose seats on this case are filled" if not open_for
                  else "eligible, and not on it: the result is not proved optimal")
        why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="seats", detail=detail)
    for e in b.experts.values():
        if e.id not in why and e.id not in on_case:
            covers = ", ".join(i.industry for i in e.industries)
            why[e.id] = Exclusion(expert_id=e.id, expert_name=e.name, rule="industry",
                                  detail=f"covers {covers}, not {', '.join(case.industries)}")
    return [why[k] for k in sorted(why)]


def _full_row(b: _Batch, expert_id: str, day: int, on: Sequence[Case]) -> tuple[_Row, list[str]] | None:
    """A day row of the expert covering the date ``day`` that the batch's assignments fill."""
    for r in b.rows_of(expert_id):
        if r.lo <= day <= r.hi:
            batch = [c.id for c in on if r.lo <= b.date_index[c.date] <= r.hi]
            if len(batch) >= r.cap:
                return r, batch
    return None
