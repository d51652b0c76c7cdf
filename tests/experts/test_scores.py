"""Performance scores: part weights, ageing, the Bayesian average, suspension and reinstatement,
each against values worked out by hand from the bundled policy."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules.experts._evaluation_log import Evaluation
from safety_rules.experts._registry import Expert, load_policy
from safety_rules.experts._scores import (
    Confirmation,
    StatusChange,
    evaluation_score,
    expert_scores,
    reinstatement_refusal,
)

from ..conftest import ROOT

ON = dt.date(2017, 9, 5)
# parts: timeliness 1, quality 2, adopted 1, eliminated 2, confirmed 2; half-life 730 days;
# prior 3.5 weighing 3; 3 evaluations needed; suspended below 2.5; reinstated after 180 days
POLICY = load_policy(ROOT / "experts" / "policy.yaml", ON)
PARTS = POLICY.scoring.parts
EXPERT = Expert.model_validate({"id": "X", "name": "甲", "home_county": "甲县",
                                "industries": [{"industry": "dust", "level": 2}]})


def ev(t: int, q: int, adopted: bool, eliminated: bool | None = None, *, case: str = "C",
       day: dt.date = ON) -> Evaluation:
    return Evaluation(case_id=case, expert_id="X", enterprise_id="E", case_date=day, timeliness=t, quality=q,
                      advice_adopted=adopted, hazard_eliminated=eliminated, recorded_by="r")


def test_parts_weigh_as_the_policy_says() -> None:
    assert evaluation_score(ev(4, 2, True), PARTS) == pytest.approx((1 * 4 + 2 * 2 + 1 * 5) / 4)  # 3.25
    assert evaluation_score(ev(4, 2, True, False), PARTS) == pytest.approx((4 + 4 + 5 + 2 * 1) / 6)  # 2.5
    half = Confirmation(case_id="C", expert_id="X", confirmed=1, decided=2)  # confirmed part 1 + 4 x 1/2 = 3
    assert evaluation_score(ev(4, 2, True, False), PARTS, half) == pytest.approx((15 + 2 * 3) / 8)  # 2.625
    assert evaluation_score(ev(4, 2, True)) == pytest.approx(11 / 3)  # equal weights: the old behaviour
    undecided = Confirmation(case_id="C", expert_id="X", confirmed=0, decided=0)
    assert evaluation_score(ev(4, 2, True), PARTS, undecided) == pytest.approx(3.25)


def test_old_evaluations_weigh_less() -> None:
    items = [ev(5, 5, True, case="A", day=ON - dt.timedelta(days=1460)),  # score 5, weight 1/4
             ev(5, 5, True, case="B", day=ON - dt.timedelta(days=730)),  # score 5, weight 1/2
             ev(1, 1, False, case="C", day=ON)]  # score (1 + 2 + 1) / 4 = 1, weight 1
    s = expert_scores([EXPERT], items, POLICY, on=ON)["X"]
    assert s.counts and s.score == pytest.approx((3 * 3.5 + 0.25 * 5 + 0.5 * 5 + 1 * 1) / (3 + 1.75), abs=1e-4)
    assert [(x.case_id, x.weight, x.age_days, x.score) for x in s.counted] == [
        ("C", 1.0, 0, 1.0), ("B", 0.5, 730, 5.0), ("A", 0.25, 1460, 5.0)]
    flat = expert_scores([EXPERT], items, POLICY.model_copy(update={"scoring": POLICY.scoring.model_copy(
        update={"half_life_days": None})}), on=ON)["X"]
    assert flat.score == pytest.approx((10.5 + 5 + 5 + 1) / 6, abs=1e-4)


def test_too_few_evaluations_use_the_prior_and_never_suspend() -> None:
    s = expert_scores([EXPERT], [ev(1, 1, False, False, case=c) for c in "AB"], POLICY, on=ON)["X"]
    assert s.evaluations == 2 and not s.counts and s.score == 3.5 and not s.suspended


BAD = [ev(1, 2, False, False, case="A"), ev(2, 1, False, case="B"), ev(2, 2, False, False, case="C")]


def test_bayesian_average_and_suspension() -> None:
    s = expert_scores([EXPERT], BAD, POLICY, on=ON)["X"]
    values = [(1 + 4 + 1 + 2) / 6, (2 + 2 + 1) / 4, (2 + 4 + 1 + 2) / 6]  # 1.333, 1.25, 1.5
    assert s.counts and s.score == pytest.approx((3 * 3.5 + sum(values)) / 6, abs=1e-4)  # 2.4306
    assert s.suspended and "below the policy's 2.5" in (s.reason or "") and s.suspended_since is None
    good = expert_scores([EXPERT], BAD + [ev(5, 5, True, True, case=c) for c in "DEF"], POLICY, on=ON)["X"]
    assert not good.suspended and good.score > s.score


def test_a_suspension_on_record_outlasts_ageing_until_a_reinstatement() -> None:
    later = ON + dt.timedelta(days=3650)  # ten years on, the bad evaluations hardly weigh: 2.4306 -> 3.4
    assert not expert_scores([EXPERT], BAD, POLICY, on=later)["X"].suspended  # what a silent lift would be
    suspended = [StatusChange(expert_id="X", kind="suspension", on=ON, reason="score 2.43")]
    s = expert_scores([EXPERT], BAD, POLICY, on=later, status=suspended)["X"]
    assert s.suspended and s.suspended_since == ON and "reinstatement is recorded" in (s.reason or "")
    back = [*suspended, StatusChange(expert_id="X", kind="reinstatement", on=later, reason="period")]
    assert not expert_scores([EXPERT], BAD, POLICY, on=later, status=back)["X"].suspended
    # after the reinstatement only new work counts towards a new suspension: three bad ones do it
    again = [ev(1, 1, False, False, case=c, day=later + dt.timedelta(days=1)) for c in "GHI"]
    assert expert_scores([EXPERT], BAD + again, POLICY, on=later + dt.timedelta(days=2), status=back)["X"].suspended


def test_reinstatement_after_the_period_or_a_lifting_evaluation() -> None:
    suspended = [StatusChange(expert_id="X", kind="suspension", on=ON, reason="score 2.43")]
    early = ON + dt.timedelta(days=179)
    s = expert_scores([EXPERT], BAD, POLICY, on=early, status=suspended)["X"]
    refusal = reinstatement_refusal(s, POLICY, early, BAD)
    assert refusal is not None and "run until 2018-03-04" in refusal and "no evaluation of a case after" in refusal
    assert reinstatement_refusal(s, POLICY, ON + dt.timedelta(days=180), BAD) is None
    lifted = BAD + [ev(5, 5, True, True, case=c, day=ON + dt.timedelta(days=10)) for c in "DEF"]
    s = expert_scores([EXPERT], lifted, POLICY, on=early, status=suspended)["X"]
    assert s.score >= 2.5 and reinstatement_refusal(s, POLICY, early, lifted) is None
    free = expert_scores([EXPERT], [], POLICY, on=ON)["X"]
    assert "no suspension on record" in (reinstatement_refusal(free, POLICY, ON, []) or "")
