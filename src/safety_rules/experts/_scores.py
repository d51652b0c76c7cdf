"""Expert performance scores from outcome evaluations, and score-based suspension.

Each effective evaluation (the latest record of its correction chain) scores 1-5: the
mean of timeliness, quality of the opinion, whether the advice was adopted (5 or 1)
and, once known, whether the hazard was found eliminated at re-inspection (5 or 1).
An expert's score is the Bayesian average of those with the policy's prior::

    score = (prior_weight * prior_mean + sum(scores)) / (prior_weight + n)

so one bad case does not sink a new expert and many good ones are needed to rise
far above the prior. Below ``min_evaluations`` the score does not count: matching
uses the prior and no one is suspended on it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from pydantic import BaseModel, ConfigDict, Field

from ._evaluation_log import Evaluation
from ._registry import Expert, Policy


class ExpertScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    expert_id: str
    evaluations: int
    mean: float | None = Field(description="plain mean of the evaluation scores; null if none")
    score: float = Field(description="Bayesian average with the policy's prior")
    counts: bool = Field(description="enough evaluations for the score to count")
    suspended: bool
    reason: str | None = Field(default=None, description="why the expert is suspended from matching")


def evaluation_score(e: Evaluation) -> float:
    parts = [e.timeliness, e.quality, 5 if e.advice_adopted else 1]
    if e.hazard_eliminated is not None:
        parts.append(5 if e.hazard_eliminated else 1)
    return sum(parts) / len(parts)


def expert_scores(experts: Iterable[Expert], evaluations: Iterable[Evaluation],
                  policy: Policy) -> dict[str, ExpertScore]:
    """Score of every expert (those without evaluations get the prior)."""
    s = policy.scoring
    by_expert: dict[str, list[float]] = defaultdict(list)
    for e in evaluations:
        by_expert[e.expert_id].append(evaluation_score(e))
    out = {}
    for expert in experts:
        values = by_expert.get(expert.id, [])
        n = len(values)
        bayes = (s.prior_weight * s.prior_mean + sum(values)) / (s.prior_weight + n)
        counts = n >= s.min_evaluations
        suspended = counts and bayes < s.suspend_below
        reason = (f"score {bayes:.2f} from {n} evaluations is below the policy's {s.suspend_below}"
                  if suspended else None)
        out[expert.id] = ExpertScore(expert_id=expert.id, evaluations=n,
                                     mean=round(sum(values) / n, 3) if n else None,
                                     score=round(bayes if counts else s.prior_mean, 4), counts=counts,
                                     suspended=suspended, reason=reason)
    return out
