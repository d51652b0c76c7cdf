"""A plan: what the planner returns, what ``--check`` reads, and the rules both speak of.

The unit of a plan is the *team-day*: one team, on one day, in one county, with the
enterprises it inspects, the officers who go and the 陪检人员 who accompanies it. An
enterprise with several industries appears in the team-days of every team it needs, on
the same day (综合查一次). Everything else in the output (visits with names, loads, the
draw, the objective) is derived from the team-days and ignored by ``--check``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ._campaign import Limits, PrioritySource

# Rule ids with the title the bureau reads. The checker and the planner's explanation
# name rules by these ids; the titles quote the limits of the campaign at hand.
RULES: dict[str, str] = {
    "campaign-days": "只在检查日安排检查",
    "days-off": "各组休息日不安排检查",
    "specialty": "各组只检查本专业企业",
    "joint-visit": "多行业企业由所需各组同日综合查一次",
    "coverage": "列入本次检查的企业都要检查到",
    "not-in-campaign": "只检查列入本次检查（重点或抽中）的企业",
    "annual-cap": "不超过企业年度检查次数上限",
    "county-day-teams": "每个县区同日不超过 {teams_per_county_day} 个组",
    "team-day-visits": "每组每天不超过 {visits_per_team_day} 家企业",
    "one-county": "每组每天只去一个县区",
    "certified-officers": "每组每个工作日至少 {certified_officers_per_team} 名持证执法人员在岗",
    "officer-team": "执法人员随本组检查",
    "officer-absent": "缺勤的执法人员不安排",
    "officer-recusal": "与企业有利害关系的执法人员回避",
    "escort": "每组由所到县区一名在岗陪检人员陪同，一人一天只陪一组",
    "escort-recusal": "与企业有利害关系的陪检人员回避",
    "recheck-deadline": "到期复查在期限内完成",
}


def rule_title(rule: str, limits: Limits) -> str:
    return RULES[rule].format(**limits.model_dump())


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TeamDay(_Strict):
    """One team on one day: the unit of a plan, hand-made or computed."""

    date: dt.date
    team: str
    county: str | None = Field(default=None, description="where the team is that day; omitted: its "
                               "enterprises' county")
    enterprises: list[str] = Field(min_length=1)
    officers: list[str] = Field(default_factory=list, description="officer ids who go")
    escort: str | None = Field(default=None, description="the 陪检人员 who accompanies the team")


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class Visit(_Out):
    """One inspection of one enterprise: every team it needs, on one day."""

    date: dt.date
    enterprise: str
    enterprise_name: str
    county: str
    industries: list[str]
    teams: list[str] = Field(description="team names")
    officers: list[str] = Field(description="officers who go, as 姓名（执法证号）; 无证 for trainees")
    escorts: list[str] = Field(description="陪检人员 names")
    priority: str | None = None


class LeftOut(_Out):
    enterprise: str
    enterprise_name: str
    rule: str
    reason: str


class Drawn(_Out):
    enterprise: str
    key: str = Field(description="sha256 of 'seed|specialty|enterprise id'; the lowest keys are drawn")


class SpecialtyDrawOut(_Out):
    specialty: str
    asked: int
    population: int = Field(description="enterprises of the specialty that could be drawn")
    drawn: list[Drawn]


class DrawOut(_Out):
    seed: str
    specialties: list[SpecialtyDrawOut]


class TeamLoad(_Out):
    team: str
    name: str
    specialty: str
    working_days: int
    visits: int
    average: float
    target: float


class Objective(_Out):
    """The three terms, minimised in this order (lexicographically)."""

    priority: int = Field(description="sum over priority enterprises of urgency x day index (0-based)")
    team_days: int = Field(description="days in the field, summed over teams")
    travel_minutes: int = Field(description="between counties, from and back to the base")
    proven_optimal: dict[str, bool] = Field(description="per term: the solver proved it minimal given the "
                                            "terms before it")
    lower_bounds: dict[str, int] = Field(description="per term: no plan (with the terms before it fixed) does "
                                         "better than this; equal to the value when proven optimal")


class SupplyLine(_Out):
    kind: Literal["specialty", "county", "escorts", "deadline"]
    subject: str
    needed: int
    available: int
    short: bool
    text: str


class Conflict(_Out):
    rule: str
    title: str
    subjects: list[str]
    text: str


class Explanation(_Out):
    supply: list[SupplyLine] = Field(description="demand against supply, per specialty, county and deadline")
    conflicts: list[Conflict] = Field(description="rule groups that cannot all hold together; empty when the "
                                      "search ran out of budget before proving anything")
    irreducible: bool = Field(description="dropping any one group makes the rest satisfiable (proven)")
    text: str


class SolverInfo(_Out):
    engine: str
    random_seed: int
    workers: int
    deterministic_budget: float = Field(description="per solve, in the solver's deterministic seconds")
    spent: dict[str, float] = Field(description="deterministic seconds each solve took, by objective term "
                                    "(the same on every run: a measure of effort that wall-clock time is not)")


Status = Literal["planned", "infeasible", "unknown"]


class Plan(_Out):
    campaign: str
    title: str
    status: Status
    team_days: list[TeamDay]
    visits: list[Visit]
    left_out: list[LeftOut]
    draw: DrawOut | None
    teams: list[TeamLoad]
    objective: Objective | None
    explanation: Explanation | None
    solver: SolverInfo
    priority_sources: list[PrioritySource] = Field(
        default_factory=list, description="per enterprise the dossier (一企一册) knows: its priority as the dossier "
        "has it, what the campaign file said, and whether they differ (the dossier's is used)")


class PlanFile(_Strict):
    """What ``--check`` reads: a hand-made plan, or the planner's own JSON."""

    campaign: str = Field(description="the campaign id the plan is for")
    team_days: list[TeamDay]
    # The planner's derived sections, so that its JSON can be checked as it is; ignored.
    title: Any = None
    status: Any = None
    visits: Any = None
    left_out: Any = None
    draw: Any = None
    teams: Any = None
    objective: Any = None
    explanation: Any = None
    solver: Any = None
    priority_sources: Any = None


class Violation(_Out):
    rule: str
    title: str
    date: dt.date | None = None
    team: str | None = None
    county: str | None = None
    enterprise: str | None = None
    person: str | None = None
    detail: str
    line: int | None = Field(default=None, description="line in the plan file, when known")


class PlanCheck(_Out):
    campaign: str
    path: str
    violations: list[Violation]
    notes: list[str] = Field(description="observations that break no rule (e.g. an average below target)")

    @property
    def ok(self) -> bool:
        return not self.violations

    def rules_broken(self) -> list[str]:
        return sorted({v.rule for v in self.violations})
