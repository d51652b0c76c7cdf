"""Expert performance scores from outcome evaluations, ageing, and score-based suspension.

Each effective evaluation (the latest record of its correction chain) scores 1-5: the
weighted mean, with the policy's ``scoring.parts`` weights, of the parts known so far:

- timeliness (1-5) and quality of the opinion (1-5);
- advice adopted (5 or 1);
- hazard found eliminated at re-inspection (5 or 1), once known;
- findings confirmed (``1 + 4 x`` the share of the expert's findings on the case that
  the enforcement outcome upheld, at re-inspection or in the penalty decision), once
  an outcome is recorded: this ties the score to what enforcement found, not to the form.

An evaluation's weight halves every ``half_life_days`` after its case date (as of the day
the score is worked out), and the expert's score is the Bayesian average with the policy's
prior::

    score = (prior_weight * prior_mean + sum(weight_i * score_i)) / (prior_weight + sum(weight_i))

so one bad case does not sink a new expert, and an old one counts less than a recent one.
Below ``min_evaluations`` (counted, whatever their weights) the score does not count:
matching uses the prior and no one is suspended on it.

Suspension and reinstatement
    A counted score below ``suspend_below`` suspends the expert. A suspension on record
    (``experts/status``) lasts until a reinstatement is recorded, whatever the score does
    meanwhile: ageing alone never lifts one silently. After a reinstatement, only a new
    evaluation (of a case dated after it) can suspend the expert again.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, Field

from ._evaluation_log import Evaluation
from ._registry import Expert, PartWeights, Policy


class CountedEvaluation(BaseModel):
    """One evaluation as it entered an expert's score: its parts, its score and its weight."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    case_date: dt.date
    parts: dict[str, float] = Field(description="the parts known, each 1-5")
    score: float = Field(description="weighted mean of the parts (the policy's part weights)")
    age_days: int
    weight: float = Field(description="0.5 ** (age_days / half_life_days); 1 without ageing")


class ExpertScore(BaseModel):
    model_config = ConfigDict(frozen=True)

    expert_id: str
    evaluations: int
    mean: float | None = Field(description="plain mean of the evaluation scores; null if none")
    score: float = Field(description="Bayesian average with the policy's prior")
    counts: bool = Field(description="enough evaluations for the score to count")
    suspended: bool
    reason: str | None = Field(default=None, description="why the expert is suspended from matching")
    suspended_since: dt.date | None = Field(default=None, description="the suspension on record, if any")
    counted: list[CountedEvaluation] = Field(default_factory=list, description="the evaluations that counted, "
                                             "newest first, with their weights")


class Confirmation(BaseModel):
    """The share of an expert's findings on a case that the enforcement outcome confirmed."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    expert_id: str
    confirmed: int
    decided: int


class StatusChange(BaseModel):
    """A suspension or reinstatement on record (stream ``experts/status``)."""

    model_config = ConfigDict(frozen=True)

    expert_id: str
    kind: str = Field(description="suspension | reinstatement")
    on: dt.date
    reason: str


def parts_of(e: Evaluation, confirmation: Confirmation | None = None) -> dict[str, float]:
    parts: dict[str, float] = {"timeliness": e.timeliness, "quality": e.quality,
                               "adopted": 5 if e.advice_adopted else 1}
    if e.hazard_eliminated is not None:
        parts["eliminated"] = 5 if e.hazard_eliminated else 1
    if confirmation is not None and confirmation.decided:
        parts["confirmed"] = 1 + 4 * confirmation.confirmed / confirmation.decided
    return parts


def evaluation_score(e: Evaluation, weights: PartWeights | None = None,
                     confirmation: Confirmation | None = None) -> float:
    """The evaluation's score: the weighted mean of its known parts (equal weights if none given)."""
    parts = parts_of(e, confirmation)
    w: dict[str, float] = (weights or PartWeights()).model_dump()
    total = sum(w[k] for k in parts)
    if total == 0:  # only parts the policy gives no weight are known yet
        return sum(parts.values()) / len(parts)
    return float(sum(w[k] * v for k, v in parts.items()) / total)


def age_weight(case_date: dt.date, on: dt.date, half_life_days: int | None) -> tuple[int, float]:
    age = max(0, (on - case_date).days)
    return age, 1.0 if half_life_days is None else 0.5 ** (age / half_life_days)


def expert_scores(experts: Iterable[Expert], evaluations: Iterable[Evaluation], policy: Policy, *,
                  on: dt.date | None = None, confirmations: Iterable[Confirmation] = (),
                  status: Iterable[StatusChange] = ()) -> dict[str, ExpertScore]:
    """Score of every expert as of ``on`` (default today; those without evaluations get the prior)."""
    s = policy.scoring
    day = on or dt.date.today()
    confirmed = {(c.case_id, c.expert_id): c for c in confirmations}
    by_expert: dict[str, list[Evaluation]] = defaultdict(list)
    for e in evaluations:
        by_expert[e.expert_id].append(e)
    on_record = _on_record(status, day)
    out = {}
    for expert in experts:
        items = sorted(by_expert.get(expert.id, []), key=lambda e: (e.case_date, e.case_id), reverse=True)
        counted = []
        for e in items:
            c = confirmed.get((e.case_id, e.expert_id))
            age, weight = age_weight(e.case_date, day, s.half_life_days)
            counted.append(CountedEvaluation(case_id=e.case_id, case_date=e.case_date, parts=parts_of(e, c),
                                             score=round(evaluation_score(e, s.parts, c), 4), age_days=age,
                                             weight=round(weight, 4)))
        values = [x.score for x in counted]
        n = len(values)
        bayes = _bayes([x.weight for x in counted], values, policy)
        counts = n >= s.min_evaluations
        suspended, reason, since = _suspension(counted, bayes, counts, policy, on_record.get(expert.id))
        out[expert.id] = ExpertScore(expert_id=expert.id, evaluations=n,
                                     mean=round(sum(values) / n, 3) if n else None,
                                     score=round(bayes if counts else s.prior_mean, 4), counts=counts,
                                     suspended=suspended, reason=reason, suspended_since=since, counted=counted)
    return out


def _on_record(status: Iterable[StatusChange], day: dt.date) -> dict[str, StatusChange]:
    """Each expert's latest status change on or before ``day``."""
    latest: dict[str, StatusChange] = {}
    for change in status:
        if change.on <= day:
            latest[change.expert_id] = change
    return latest


def _bayes(weights: Sequence[float], values: Sequence[float], policy: Policy) -> float:
    s = policy.scoring
    return (s.prior_weight * s.prior_mean + sum(w * v for w, v in zip(weights, values, strict=True))) / (
        s.prior_weight + sum(weights))


def _suspension(counted: Sequence[CountedEvaluation], bayes: float, counts: bool, policy: Policy,
                last: StatusChange | None) -> tuple[bool, str | None, dt.date | None]:
    s = policy.scoring
    if last is not None and last.kind == "suspension":
        return True, f"suspended on {last.on} ({last.reason}); reinstatement is recorded, not automatic", last.on
    if last is not None:
        # reinstated: judged on the work since, as a new expert would be
        counted = [x for x in counted if x.case_date > last.on]
        bayes = _bayes([x.weight for x in counted], [x.score for x in counted], policy)
        counts = len(counted) >= s.min_evaluations
    if counts and bayes < s.suspend_below:
        return True, f"score {bayes:.2f} from {len(counted)} evaluations is below the policy's {s.suspend_below}", None
    return False, None, None


def reinstatement_refusal(score: ExpertScore, policy: Policy, on: dt.date,
                          evaluations: Iterable[Evaluation]) -> str | None:
    """Why a suspended expert cannot be reinstated on ``on``; None if they can (the period has passed,
    or an evaluation of a case after the suspension brought the score back to the threshold)."""
    s = policy.scoring
    if not score.suspended or score.suspended_since is None:
        return f"{score.expert_id} has no suspension on record to lift"
    since = score.suspended_since
    if s.reinstate_after_days is not None and (on - since).days >= s.reinstate_after_days:
        return None
    newer = [e for e in evaluations if e.expert_id == score.expert_id and e.case_date > since]
    if newer and score.score >= s.suspend_below:
        return None
    period = "the policy sets no period"
    if s.reinstate_after_days is not None:
        period = f"the policy's {s.reinstate_after_days} days run until {since + dt.timedelta(s.reinstate_after_days)}"
    lifted = ("no evaluation of a case after the suspension" if not newer else
              f"the score {score.score:.2f} is still below {s.suspend_below}")
    return f"{score.expert_id} was suspended on {since}: {period}, and {lifted}"
