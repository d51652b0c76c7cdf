"""The expert registry's data: experts, the bureau's policy, cases and past assignments.

Files (strict YAML, validated like rule files: unknown keys and bad values are
``path:line`` errors)::

    experts/experts.yaml     experts: [...]          the pool (执法安全专家库)
    experts/policy.yaml      the rules for using experts (专家使用办法), edited by the bureau
    cases.yaml               cases: [...]            a batch of cases to staff
    history.yaml             assignments: [...]      past assignments (for recusal and load)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..shared._errors import NotFoundError, Problem, did_you_mean
from ..shared._validation import load_model, schema_error

EXPERT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
Difficulty = Literal["routine", "difficult", "major"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DateRange(_Strict):
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to", description="inclusive; open if omitted")
    reason: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"'to' ({self.end}) is before 'from' ({self.start})")
        return self

    def contains(self, day: dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)


class IndustryLevel(_Strict):
    industry: str
    level: int = Field(ge=1, le=3, description="1 一般, 2 骨干, 3 资深")


class Qualification(_Strict):
    name: str = Field(description="e.g. 注册安全工程师, 高级工程师")
    number: str | None = None
    expires: dt.date | None = Field(default=None, description="omitted: does not expire")

    def valid_on(self, day: dt.date) -> bool:
        return self.expires is None or day <= self.expires


class Engagement(_Strict):
    """Employment by, or consulting for, an enterprise."""

    enterprise: str
    role: Literal["employee", "consultant"]
    start: dt.date = Field(alias="from")
    end: dt.date | None = Field(default=None, alias="to", description="omitted: still engaged")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Tie(_Strict):
    """A declared tie to an enterprise: it always recuses."""

    enterprise: str
    kind: Literal["relative", "shareholding", "other"]
    note: str | None = None


class Expert(_Strict):
    id: str
    name: str
    status: Literal["active", "suspended", "retired"] = "active"
    home_county: str
    industries: list[IndustryLevel] = Field(min_length=1)
    qualifications: list[Qualification] = Field(default_factory=list)
    engagements: list[Engagement] = Field(default_factory=list, description="employment and consulting history")
    ties: list[Tie] = Field(default_factory=list)
    max_concurrent_cases: int = Field(default=3, ge=0)
    unavailable: list[DateRange] = Field(default_factory=list)
    note: str | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        if not EXPERT_ID.fullmatch(v):
            raise ValueError(f"expert id {v!r} may hold letters, digits, '.', '_' and '-'")
        return v

    @model_validator(mode="after")
    def _distinct_industries(self) -> Expert:
        names = [i.industry for i in self.industries]
        if len(set(names)) != len(names):
            raise ValueError("each industry may be listed once")
        return self

    def level(self, industry: str) -> int:
        return next((i.level for i in self.industries if i.industry == industry), 0)


class ExpertFile(_Strict):
    experts: list[Expert]


class Recusal(_Strict):
    former_engagement_years: int = Field(ge=0, description="no expert on an enterprise they worked for or "
                                         "consulted for within this many years")
    exclude_home_county: bool = Field(description="no expert from the enterprise's own county")
    repeat_enterprise_months: int = Field(ge=0, description="no expert on the same enterprise twice within "
                                          "this many months")


class Workload(_Strict):
    case_days: int = Field(ge=1, description="a case occupies its experts for this many days from its date")
    max_concurrent_cases: int = Field(ge=1, description="cap on the cases an expert holds on any one day; an "
                                      "expert's own lower cap wins")


class PartWeights(_Strict):
    """How much each part of an evaluation weighs in its score (relative weights; 0 leaves a part out)."""

    timeliness: float = Field(default=1, ge=0)
    quality: float = Field(default=1, ge=0, description="quality of the opinion")
    adopted: float = Field(default=1, ge=0, description="the advice was adopted")
    eliminated: float = Field(default=1, ge=0, description="the hazard was found eliminated at re-inspection")
    confirmed: float = Field(default=1, ge=0, description="share of the expert's findings that the enforcement "
                             "outcome confirmed (re-inspection or penalty decision)")

    @model_validator(mode="after")
    def _some_weight(self) -> PartWeights:
        if not any((self.timeliness, self.quality, self.adopted, self.eliminated, self.confirmed)):
            raise ValueError("at least one part needs a weight above 0")
        return self


class Scoring(_Strict):
    level_weight: float = Field(ge=0, description="weight of the industry level (1-3, scaled to 0-1)")
    evaluation_weight: float = Field(ge=0, description="weight of past evaluations (1-5, scaled to 0-1)")
    prior_mean: float = Field(ge=1, le=5, description="Bayesian prior: the score assumed before evaluations")
    prior_weight: float = Field(gt=0, description="Bayesian prior: how many evaluations the prior counts as")
    min_evaluations: int = Field(ge=0, description="evaluations needed before the score counts")
    suspend_below: float = Field(ge=1, le=5, description="a counted score below this suspends the expert "
                                 "from matching")
    parts: PartWeights = Field(default_factory=PartWeights, description="weight of each part of an evaluation")
    half_life_days: int | None = Field(default=None, ge=1, description="an evaluation's weight halves every this "
                                       "many days after its case date; omitted: evaluations never age")
    reinstate_after_days: int | None = Field(default=None, ge=1, description="a suspended expert may be "
                                             "reinstated this many days after the suspension; omitted: only a "
                                             "new evaluation that lifts the score can")


class Qualifications(_Strict):
    remind_days: int = Field(ge=0, description="remind this many days before a qualification of an assigned "
                             "expert expires (before the case's days are over)")


class Policy(_Strict):
    """One version of the bureau's rules for using experts (``experts/policy.yaml`` holds every version)."""

    bureau: str = Field(default="", description="the bureau whose rules these are")
    version: str = Field(default="unversioned", description="the version's name, as the bureau cites it")
    effective_from: dt.date | None = Field(default=None, description="first day in force")
    effective_to: dt.date | None = Field(default=None, description="last day in force; open if omitted")
    experts_per_case: dict[Difficulty, int]
    min_level: dict[Difficulty, int] = Field(default_factory=dict, description="lowest industry level "
                                             "accepted, by difficulty")
    recusal: Recusal
    workload: Workload
    scoring: Scoring
    qualifications: Qualifications | None = Field(default=None, description="omitted: no reminders")
    candidates_per_case: int = Field(default=8, ge=1, description="candidates kept per case before "
                                     "optimising; the result is verified optimal over all candidates")

    @model_validator(mode="after")
    def _complete(self) -> Policy:
        missing = {"routine", "difficult", "major"} - set(self.experts_per_case)
        if missing:
            raise ValueError(f"experts_per_case needs a number for {sorted(missing)}")
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError(f"effective_to ({self.effective_to}) is before effective_from ({self.effective_from})")
        return self

    def in_force(self, day: dt.date) -> bool:
        return ((self.effective_from is None or self.effective_from <= day)
                and (self.effective_to is None or day <= self.effective_to))

    def label(self) -> str:
        span = f"{self.effective_from or '…'}..{self.effective_to or ''}"
        return f"{self.bureau} {self.version} ({span})".strip()


class PolicyFile(_Strict):
    """``experts/policy.yaml``: a bureau's versions of its rules for using experts, each with effective dates."""

    bureau: str = Field(min_length=1)
    versions: list[Policy] = Field(min_length=1, description="each with version and effective_from (and "
                                   "effective_to once a later version replaces it); the bureau is named above")


class PolicyBook:
    """Every version of one bureau's policy; :meth:`in_force` picks the one for a day."""

    def __init__(self, bureau: str, versions: Sequence[Policy], path: str | Path | None = None) -> None:
        self.bureau, self.versions, self.path = bureau, sorted(versions, key=lambda v: v.effective_from or
                                                                dt.date.min), path

    def in_force(self, day: dt.date) -> Policy:
        for v in self.versions:
            if v.in_force(day):
                return v
        listed = "; ".join(v.label() for v in self.versions)
        raise NotFoundError(f"no version of {self.bureau}'s expert policy is in force on {day} (versions: {listed})",
                            path=self.path)


class Case(_Strict):
    id: str
    enterprise: str
    industries: list[str] = Field(min_length=1)
    county: str
    date: dt.date
    difficulty: Difficulty
    about: list[str] = Field(default_factory=list, description="rule ids or findings the case is about")
    note: str | None = None


class CaseFile(_Strict):
    cases: list[Case]


class PastAssignment(_Strict):
    case: str
    expert: str
    enterprise: str
    date: dt.date


class HistoryFile(_Strict):
    assignments: list[PastAssignment]


def _unique(items: Sequence[Any], raw_items: Any, what: str, path: str | Path) -> None:
    seen: dict[str, int] = {}
    problems = []
    for i, item in enumerate(items):
        line = raw_items.item_lines[i] if hasattr(raw_items, "item_lines") else None
        if item.id in seen:
            problems.append(Problem(f"{what} id {item.id!r} is used twice (also item {seen[item.id] + 1})",
                                    path=str(path), line=line, code="SR002"))
        seen[item.id] = i
    if problems:
        raise schema_error(problems, path)


def _check_industries(items: Sequence[Any], raw_items: Any, names: Callable[[Any], list[str]],
                      industries: set[str] | None, path: str | Path) -> None:
    if industries is None:
        return
    problems = []
    for i, item in enumerate(items):
        for name in names(item):
            if name not in industries:
                hint = did_you_mean(name, industries)
                problems.append(Problem(f"{item.id}: unknown industry {name!r}" + (f" (did you mean {hint!r}?)"
                                        if hint else f"; the rulebook has {', '.join(sorted(industries))}"),
                                        path=str(path), line=raw_items.item_lines[i], code="SR002"))
    if problems:
        raise schema_error(problems, path)


def load_experts(path: str | Path, industries: set[str] | None = None) -> list[Expert]:
    """The experts of a registry file, sorted by id; ``industries``: the ones that exist."""
    data, raw = load_model(ExpertFile, path)
    _unique(data.experts, raw["experts"], "expert", path)
    _check_industries(data.experts, raw["experts"], lambda e: [i.industry for i in e.industries], industries, path)
    return sorted(data.experts, key=lambda e: e.id)


def load_policies(path: str | Path) -> PolicyBook:
    """Every version of a policy file; versions need distinct names and effective dates that do not overlap."""
    data, raw = load_model(PolicyFile, path)
    lines = getattr(raw["versions"], "item_lines", [None] * len(data.versions))
    versions = [v.model_copy(update={"bureau": data.bureau}) for v in data.versions]
    problems: list[Problem] = []
    for i, (v, given) in enumerate(zip(versions, data.versions, strict=True)):
        if given.bureau:
            problems.append(Problem(f"version {v.version!r} names a bureau ({given.bureau!r}); the bureau is named "
                                    "once, at the top of the file", path=str(path), line=lines[i], code="SchemaError"))
        if v.version == "unversioned" or v.effective_from is None:
            problems.append(Problem(f"version {i + 1} needs 'version' and 'effective_from'", path=str(path),
                                    line=lines[i], code="SchemaError"))
        for other in versions[:i]:
            if other.version == v.version:
                problems.append(Problem(f"version {v.version!r} is listed twice", path=str(path), line=lines[i],
                                        code="SchemaError"))
            elif _overlap(other, v):
                problems.append(Problem(f"version {v.version!r} ({v.label()}) overlaps version {other.version!r} "
                                        f"({other.label()}); give the earlier one an effective_to", path=str(path),
                                        line=lines[i], code="SchemaError"))
    if problems:
        raise schema_error(problems, path)
    return PolicyBook(data.bureau, versions, path)


def _overlap(a: Policy, b: Policy) -> bool:
    start = max(a.effective_from or dt.date.min, b.effective_from or dt.date.min)
    end = min(a.effective_to or dt.date.max, b.effective_to or dt.date.max)
    return start <= end


def load_policy(path: str | Path, on: dt.date | None = None) -> Policy:
    """The version of a policy file in force on ``on`` (default: today)."""
    return load_policies(path).in_force(on or dt.date.today())


def load_cases(path: str | Path, industries: set[str] | None = None) -> list[Case]:
    data, raw = load_model(CaseFile, path)
    _unique(data.cases, raw["cases"], "case", path)
    _check_industries(data.cases, raw["cases"], lambda c: list(c.industries), industries, path)
    return list(data.cases)


def load_history(path: str | Path) -> list[PastAssignment]:
    return list(load_model(HistoryFile, path)[0].assignments)
