"""Matching: hard rules always hold, the total is the brute-force optimum, workload is per day, output is stable."""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from safety_rules import MatchingError
from safety_rules.experts._evaluation_log import load_evaluations
from safety_rules.experts._matching import (
    SCALE,
    MatchResult,
    _cost,
    cap_of,
    context,
    exclusion,
    held_on,
    match,
    score_terms,
    slots_of,
)
from safety_rules.experts._registry import (
    Case,
    Expert,
    PastAssignment,
    Policy,
    load_cases,
    load_experts,
    load_history,
    load_policy,
)
from safety_rules.experts._scores import ExpertScore, expert_scores

from ..conftest import EXAMPLES, ROOT

DAY = dt.date(2017, 9, 5)
POLICY_FILE = ROOT / "experts" / "policy.yaml"


def sample() -> tuple[list[Case], list[Expert], Policy, list[PastAssignment], dict[str, ExpertScore]]:
    experts = load_experts(ROOT / "experts" / "experts.yaml")
    policy = load_policy(POLICY_FILE, DAY)
    scores = expert_scores(experts, load_evaluations(EXAMPLES / "cases" / "evaluations.yaml"), policy, on=DAY)
    return (load_cases(EXAMPLES / "cases" / "cases.yaml"), experts, policy,
            load_history(EXAMPLES / "cases" / "history.yaml"), scores)


def test_sample_batch() -> None:
    cases, experts, policy, history, scores = sample()
    r = match(cases, experts, policy, history, scores)
    assert (r.policy.bureau, r.policy.version) == ("临沂市安全生产监督管理局", "2017-1")
    by_case = {c.case_id: c for c in r.cases}
    assert [c.case_id for c in r.cases if not c.filled] == ["CASE-2017-07"]
    unfilled = by_case["CASE-2017-07"]
    assert len(unfilled.assigned) == 2 and unfilled.required == 3
    rules = {x.expert_id: x.rule for x in unfilled.excluded}
    assert rules["EXP-T01"] == "availability" and rules["EXP-T02"] == "status" and rules["EXP-T05"] == "engagement"
    assert len(unfilled.excluded) + len(unfilled.assigned) == len(experts)  # every expert accounted for
    seen = Counter(x.rule for c in r.cases for x in c.excluded)
    for rule in ("engagement", "tie", "county", "repeat", "workload", "qualification", "suspended", "status"):
        assert seen[rule], rule
    assert [s.expert_id for s in r.suspended] == ["EXP-D05"]
    multi = by_case["CASE-2017-06"]
    assert {a.industry for a in multi.assigned} == {"dust", "ammonia"}
    for c in r.cases:
        assert c.until == c.date + dt.timedelta(days=policy.workload.case_days - 1)
        for a in c.assigned:
            assert a.score.total == pytest.approx(a.score.level_term + a.score.performance_term, abs=1e-3)


def test_batch_errors() -> None:
    cases, experts, policy, history, scores = sample()
    with pytest.raises(MatchingError, match="distinct"):
        match([cases[0], cases[0]], experts, policy)


# ------------------------------------------------------------------ workload by day


def _expert(expert_id: str, cap: int, industry: str = "dust", **kw: Any) -> Expert:
    return Expert.model_validate({"id": expert_id, "name": f"专家{expert_id}", "home_county": "甲县",
                                  "max_concurrent_cases": cap, "industries": [{"industry": industry, "level": 2}],
                                  "qualifications": [{"name": "注册安全工程师"}], **kw})


def _case(case_id: str, day: dt.date, enterprise: str | None = None, industry: str = "dust") -> Case:
    return Case.model_validate({"id": case_id, "enterprise": enterprise or f"ENT-{case_id}", "industries": [industry],
                                "county": "乙县", "date": day, "difficulty": "routine"})


def test_a_full_week_does_not_block_the_next() -> None:
    # X holds H from 08-10: 30 days, through 09-08, and X's cap is 1. A case on 09-05 falls on
    # a full day; one on 09-12 does not. Counting the batch as one busy period (cap less the
    # cases held on its busiest day, 09-05) left X no room for either.
    policy = load_policy(POLICY_FILE, DAY)
    held = [PastAssignment(case="H", expert="X", enterprise="ENT-H", date=dt.date(2017, 8, 10))]
    r = match([_case("A", dt.date(2017, 9, 5)), _case("B", dt.date(2017, 9, 12))], [_expert("X", 1)], policy, held)
    a, b = r.cases
    assert [x.expert_id for x in b.assigned] == ["X"] and not a.assigned
    (why,) = [x for x in a.excluded if x.expert_id == "X"]
    assert why.rule == "workload" and "holds 1 cases on 2017-09-05 (H)" in why.detail


def test_cases_a_month_apart_share_one_seat_of_capacity() -> None:
    # cap 1; cases on 09-01 and 10-15 never overlap (30 days each), so X takes both
    policy = load_policy(POLICY_FILE, DAY)
    r = match([_case("A", dt.date(2017, 9, 1)), _case("B", dt.date(2017, 10, 15))], [_expert("X", 1)], policy)
    assert [[x.expert_id for x in c.assigned] for c in r.cases] == [["X"], ["X"]]
    # ... but not two cases whose days overlap: the later one says which day was full
    r = match([_case("A", dt.date(2017, 9, 1)), _case("B", dt.date(2017, 9, 20))], [_expert("X", 1)], policy)
    assert r.filled_slots == 1
    (unfilled,) = [c for c in r.cases if not c.filled]
    (why,) = [x for x in unfilled.excluded if x.expert_id == "X"]
    assert why.rule == "capacity" and "full on 2017-09-" in why.detail and "reach the cap of 1" in why.detail


def test_crossing_day_ranges_are_solved_exactly_by_cp_sat() -> None:
    # case_days 30, cases on days 0, 20 and 40, cap 1: X can take 0 and 40 (apart) but 20
    # overlaps both; the windows {0, 20} and {20, 40} cross, so no flow models them exactly.
    policy = load_policy(POLICY_FILE, DAY)
    start = dt.date(2017, 9, 1)
    cases = [_case(f"C{k}", start + dt.timedelta(days=20 * k)) for k in range(3)]
    r = match(cases, [_expert("X", 1)], policy)
    assert r.method == "CP-SAT" and r.verified_optimal
    assert [[x.expert_id for x in c.assigned] for c in r.cases] == [["X"], [], ["X"]]
    with pytest.raises(MatchingError, match="cross"):
        match(cases, [_expert("X", 1)], policy, method="flow")


def test_pending_cases_after_the_batch_count_on_their_days() -> None:
    # X (cap 1) already holds P from 09-20; a batch case on 09-01 would still be open then
    policy = load_policy(POLICY_FILE, DAY)
    held = [PastAssignment(case="P", expert="X", enterprise="ENT-P", date=dt.date(2017, 9, 20))]
    r = match([_case("A", dt.date(2017, 9, 1))], [_expert("X", 1)], policy, held)
    (why,) = [x for x in r.cases[0].excluded if x.expert_id == "X"]
    assert why.rule == "workload" and "on 2017-09-20 (P)" in why.detail


def test_an_assignment_both_on_record_and_evaluated_counts_once() -> None:
    policy = load_policy(POLICY_FILE, DAY)
    twice = [PastAssignment(case="H", expert="X", enterprise="ENT-H", date=dt.date(2017, 9, 1))] * 2
    r = match([_case("A", DAY)], [_expert("X", 2)], policy, twice)
    assert [x.expert_id for x in r.cases[0].assigned] == ["X"]


# ------------------------------------------------------------------ properties

INDS = ["dust", "ammonia"]
ENTS = ["E1", "E2", "E3"]


@st.composite
def instances(draw: st.DrawFn) -> dict[str, Any]:
    case_days = draw(st.sampled_from([1, 3, 6, 30]))
    n_experts = draw(st.integers(1, 4))
    experts = []
    for k in range(n_experts):
        inds = draw(st.lists(st.sampled_from(INDS), min_size=1, max_size=2, unique=True))
        experts.append(Expert.model_validate({
            "id": f"X{k}", "name": f"专家{k}", "home_county": draw(st.sampled_from(["甲县", "乙县"])),
            "status": draw(st.sampled_from(["active"] * 6 + ["retired"])),
            "industries": [{"industry": i, "level": draw(st.integers(1, 3))} for i in inds],
            "qualifications": [{"name": "注册安全工程师",
                                "expires": draw(st.sampled_from([None, dt.date(2017, 9, 6), dt.date(2017, 1, 1)]))}],
            "engagements": [{"enterprise": draw(st.sampled_from(ENTS)), "role": "employee",
                             "from": dt.date(2010, 1, 1), "to": dt.date(2016, 1, 1)}] if draw(st.booleans()) else [],
            "ties": [{"enterprise": draw(st.sampled_from(ENTS)), "kind": "relative"}] if draw(
                st.integers(0, 4)) == 0 else [],
            "max_concurrent_cases": draw(st.integers(0, 3)),
            "unavailable": [{"from": DAY, "to": DAY}] if draw(st.integers(0, 5)) == 0 else [],
        }))
    cases = []
    for k in range(draw(st.integers(1, 4))):
        cases.append(Case.model_validate({
            "id": f"C{k}", "enterprise": draw(st.sampled_from(ENTS)),
            "industries": draw(st.lists(st.sampled_from(INDS), min_size=1, max_size=2, unique=True)),
            "county": draw(st.sampled_from(["甲县", "乙县"])),
            "date": DAY + dt.timedelta(days=draw(st.integers(0, 8))),
            "difficulty": draw(st.sampled_from(["routine", "difficult"])),
        }))
    policy = Policy.model_validate({
        "experts_per_case": {"routine": 1, "difficult": 2, "major": 3},
        "min_level": {"routine": 1, "difficult": draw(st.integers(1, 2)), "major": 2},
        "recusal": {"former_engagement_years": draw(st.integers(0, 3)), "exclude_home_county": draw(st.booleans()),
                    "repeat_enterprise_months": 12},
        "workload": {"case_days": case_days, "max_concurrent_cases": draw(st.integers(1, 3))},
        "scoring": {"level_weight": 0.6, "evaluation_weight": 0.4, "prior_mean": 3.5, "prior_weight": 3,
                    "min_evaluations": 1, "suspend_below": 2.0},
        "candidates_per_case": draw(st.integers(1, 5)),
    })
    # held cases before, during and after the batch's days: they open and close within it
    history = [PastAssignment(case=f"H{k}", expert=f"X{draw(st.integers(0, n_experts - 1))}",
                              enterprise=draw(st.sampled_from([*ENTS, "E9"])),
                              date=DAY + dt.timedelta(days=draw(st.integers(-40, 10))))
               for k in range(draw(st.integers(0, 4)))]
    scores = {e.id: ExpertScore(expert_id=e.id, evaluations=3, mean=m, score=m, counts=True,
                                suspended=m < 2.0, reason="low" if m < 2.0 else None)
              for e in experts if (m := draw(st.sampled_from([None, 1.5, 2.2, 3.0, 4.5, 5.0]))) is not None}
    return {"cases": cases, "experts": experts, "policy": policy, "history": history, "scores": scores}


def objective(r: MatchResult) -> tuple[int, int]:
    return r.filled_slots, sum(round(a.score.total * SCALE) for c in r.cases for a in c.assigned)


def _days(cases: list[Case], span: int) -> list[dt.date]:
    first, last = min(c.date for c in cases), max(c.date for c in cases)
    return [first + dt.timedelta(days=k) for k in range((last - first).days + span)]


def within_cap_every_day(inst: dict[str, Any], on: dict[str, list[Case]]) -> bool:
    """Day by day, over every day any batch case occupies: held plus batch cases within the cap."""
    ctx = context(inst["policy"], inst["history"], inst["scores"])
    span = inst["policy"].workload.case_days
    experts = {e.id: e for e in inst["experts"]}
    for expert_id, cases in on.items():
        for day in _days(cases, span) if cases else ():
            batch = sum(1 for c in cases if 0 <= (day - c.date).days < span)
            if batch and batch + len(held_on(ctx, expert_id, day)) > cap_of(ctx, experts[expert_id]):
                return False
    return True


def brute_force(inst: dict[str, Any]) -> tuple[int, int]:
    """The best (filled seats, total integer score) by trying every assignment."""
    cases, experts, policy = inst["cases"], inst["experts"], inst["policy"]
    ctx = context(policy, inst["history"], inst["scores"])
    seats = [(c, s.industry) for c in cases for s in slots_of(c, policy) for _ in range(s.count)]
    eligible = {(c.id, ind): [e for e in experts if e.level(ind) and exclusion(e, c, ctx) is None]
                for c, ind in seats}
    best = (0, 0)

    def go(i: int, on: dict[str, list[Case]], on_case: set[tuple[str, str]], on_ent: set[tuple[str, str]],
           last: dict[tuple[str, str], str], value: tuple[int, int]) -> None:
        nonlocal best
        if i == len(seats):
            if value > best and within_cap_every_day(inst, on):
                best = value
            return
        c, ind = seats[i]
        go(i + 1, on, on_case, on_ent, last, value)  # leave the seat empty
        for e in eligible[(c.id, ind)]:
            if (e.id, c.id) in on_case or (e.id, c.enterprise) in on_ent:
                continue
            if e.id <= last.get((c.id, ind), ""):
                continue  # seats of one (case, industry) are interchangeable: take experts in id order
            on.setdefault(e.id, []).append(c)
            on_case.add((e.id, c.id))
            on_ent.add((e.id, c.enterprise))
            prev = last.get((c.id, ind))
            last[(c.id, ind)] = e.id
            go(i + 1, on, on_case, on_ent, last, (value[0] + 1, value[1] + _cost(score_terms(e, ind, ctx))))
            on[e.id].pop()
            on_case.discard((e.id, c.id))
            on_ent.discard((e.id, c.enterprise))
            if prev is None:
                del last[(c.id, ind)]
            else:
                last[(c.id, ind)] = prev

    go(0, {}, set(), set(), {}, (0, 0))
    return best


def check_hard_rules(inst: dict[str, Any], r: MatchResult) -> None:
    ctx = context(inst["policy"], inst["history"], inst["scores"])
    experts = {e.id: e for e in inst["experts"]}
    cases = {c.id: c for c in inst["cases"]}
    on: dict[str, list[Case]] = {}
    per_enterprise: Counter[tuple[str, str]] = Counter()
    for cr in r.cases:
        c = cases[cr.case_id]
        seats = {s.industry: s.count for s in slots_of(c, inst["policy"])}
        assert Counter(a.industry for a in cr.assigned) <= Counter(seats)
        assert len({a.expert_id for a in cr.assigned}) == len(cr.assigned)  # one seat per expert per case
        for a in cr.assigned:
            e = experts[a.expert_id]
            assert exclusion(e, c, ctx) is None
            assert e.level(a.industry) >= 1
            on.setdefault(e.id, []).append(c)
            per_enterprise[(e.id, c.enterprise)] += 1
    assert within_cap_every_day(inst, on)
    assert max(per_enterprise.values(), default=0) <= 1


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_hard_rules_hold_and_total_is_optimal(inst: dict[str, Any]) -> None:
    r = match(inst["cases"], inst["experts"], inst["policy"], inst["history"], inst["scores"])
    check_hard_rules(inst, r)
    assert r.verified_optimal
    assert objective(r) == brute_force(inst)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances())
def test_flow_and_cp_sat_agree(inst: dict[str, Any]) -> None:
    auto = match(inst["cases"], inst["experts"], inst["policy"], inst["history"], inst["scores"])
    exact = match(inst["cases"], inst["experts"], inst["policy"], inst["history"], inst["scores"], method="cp-sat")
    check_hard_rules(inst, exact)
    assert objective(auto) == objective(exact)


@settings(max_examples=100, deadline=None)
@given(instances(), st.randoms(use_true_random=False))
def test_same_input_same_output(inst: dict[str, Any], rnd: random.Random) -> None:
    first = match(inst["cases"], inst["experts"], inst["policy"], inst["history"], inst["scores"])
    cases, experts = list(inst["cases"]), list(inst["experts"])
    rnd.shuffle(cases)
    rnd.shuffle(experts)
    again = match(cases, experts, inst["policy"], inst["history"], inst["scores"])
    assert again == first


def test_filling_every_seat_comes_before_a_higher_score() -> None:
    # X0 is excellent at dust case A and weak at ammonia case B; X1 can only do A, weakly.
    # The best score alone puts X0 on A and leaves B empty; the bureau needs both staffed.
    experts = [
        Expert.model_validate({"id": "X0", "name": "甲", "home_county": "甲县", "max_concurrent_cases": 1,
                               "industries": [{"industry": "dust", "level": 3}, {"industry": "ammonia", "level": 1}],
                               "qualifications": [{"name": "注册安全工程师"}]}),
        Expert.model_validate({"id": "X1", "name": "乙", "home_county": "甲县", "max_concurrent_cases": 1,
                               "industries": [{"industry": "dust", "level": 1}],
                               "qualifications": [{"name": "注册安全工程师"}]}),
    ]
    cases = [Case.model_validate({"id": c, "enterprise": e, "industries": [i], "county": "乙县", "date": DAY,
                                  "difficulty": "routine"})
             for c, e, i in (("A", "E1", "dust"), ("B", "E2", "ammonia"))]
    policy = load_policy(POLICY_FILE, DAY)
    scores = {"X0": ExpertScore(expert_id="X0", evaluations=5, mean=5.0, score=5.0, counts=True, suspended=False),
              "X1": ExpertScore(expert_id="X1", evaluations=5, mean=2.6, score=2.6, counts=True, suspended=False)}
    r = match(cases, experts, policy, [], scores)
    assert {(c.case_id, a.expert_id) for c in r.cases for a in c.assigned} == {("A", "X1"), ("B", "X0")}


def test_pruned_candidates_still_give_the_optimum() -> None:
    cases, experts, policy, history, scores = sample()
    full = match(cases, experts, policy.model_copy(update={"candidates_per_case": 1000}), history, scores)
    pruned = match(cases, experts, policy.model_copy(update={"candidates_per_case": 1}), history, scores)
    assert objective(pruned) == objective(full)
    assert pruned.rounds > 1  # the verification had to add candidates


def test_qualification_reminder_before_expiry() -> None:
    policy = load_policy(POLICY_FILE, DAY)  # remind 60 days ahead
    soon = _expert("X", 1, qualifications=[{"name": "注册安全工程师", "expires": DAY + dt.timedelta(days=20)}])
    r = match([_case("A", DAY)], [soon], policy)
    assert r.cases[0].assigned and len(r.reminders) == 1
    assert "X 专家X on A" in r.reminders[0] and "注册安全工程师 (2017-09-25)" in r.reminders[0]
    later = _expert("X", 1, qualifications=[{"name": "注册安全工程师", "expires": DAY + dt.timedelta(days=61)}])
    assert match([_case("A", DAY)], [later], policy).reminders == []
    # after expiry: refused
    gone = _expert("X", 1, qualifications=[{"name": "注册安全工程师", "expires": DAY - dt.timedelta(days=1)}])
    r = match([_case("A", DAY)], [gone], policy)
    assert not r.cases[0].assigned and r.cases[0].excluded[0].rule == "qualification"
