"""Performance scores: Bayesian average with the policy's prior, and suspension."""

from __future__ import annotations

import datetime as dt

import pytest

from safety_rules.experts._evaluation_log import Evaluation
from safety_rules.experts._registry import Expert, load_policy
from safety_rules.experts._scores import evaluation_score, expert_scores

from ..conftest import ROOT

POLICY = load_policy(ROOT / "experts" / "policy.yaml")  # prior 3.5 weighing 3; min 3; suspend below 2.5
EXPERT = Expert.model_validate({"id": "X", "name": "甲", "home_county": "甲县",
                                "industries": [{"industry": "dust", "level": 2}]})


def ev(t: int, q: int, adopted: bool, eliminated: bool | None = None) -> Evaluation:
    return Evaluation(case_id=f"C{t}{q}{adopted}{eliminated}", expert_id="X", enterprise_id="E",
                      case_date=dt.date(2017, 1, 1), timeliness=t, quality=q, advice_adopted=adopted,
                      hazard_eliminated=eliminated, recorded_by="r")


def test_evaluation_score() -> None:
    assert evaluation_score(ev(5, 5, True, True)) == 5
    assert evaluation_score(ev(1, 1, False, False)) == 1
    assert evaluation_score(ev(4, 2, True)) == pytest.approx(11 / 3)  # elimination not yet known


def test_too_few_evaluations_use_the_prior_and_never_suspend() -> None:
    s = expert_scores([EXPERT], [ev(1, 1, False, False)] * 2, POLICY)["X"]
    assert s.evaluations == 2 and not s.counts and s.score == 3.5 and not s.suspended


def test_bayesian_average_and_suspension() -> None:
    bad = [ev(1, 2, False, False), ev(2, 1, False), ev(2, 2, False, False)]
    s = expert_scores([EXPERT], bad, POLICY)["X"]
    expected = (3 * 3.5 + sum(evaluation_score(e) for e in bad)) / 6
    assert s.counts and s.score == pytest.approx(expected, abs=1e-4)
    assert s.suspended and "below the policy's 2.5" in (s.reason or "")
    good = expert_scores([EXPERT], bad + [ev(5, 5, True, True)] * 3, POLICY)["X"]
    assert not good.suspended and good.score > s.score
