"""The campaign file: who inspects, where, on which days, and whom.

One strict YAML file (``safety-rules schema campaign``) describes an inspection
campaign (执法检查): its days, the teams (one specialty each, with their officers),
the counties with their accompanying county staff (陪检人员) and a travel-time matrix,
the enterprises with their priorities and inspections already made this year, the
relations that require recusal (回避), the annual inspection caps and an optional
双随机 draw. Unknown keys, bad values, unknown ids and unknown industries are
``path:line`` errors with a "did you mean".

:func:`load_campaign` returns a :class:`Campaign`: the validated file with the
indexes the planner and the checker share, and the campaign's demand: which
enterprises must be visited (priorities, the draw, or every enterprise listed) and
which are left out before planning, and why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..shared._errors import Problem, did_you_mean
from ..shared._validation import load_model, schema_error
from ..shared._yaml import line_of

CAMPAIGN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _id(value: str) -> str:
    if not CAMPAIGN_ID.fullmatch(value):
        raise ValueError(f"id {value!r} may hold letters, digits, '.', '_' and '-'")
    return value


class Officer(_Strict):
    id: str
    name: str
    certificate: str | None = Field(default=None, description="执法证号")
    certified: bool = Field(description="holds a valid law-enforcement certificate (行政执法资格) "
                            "for the campaign; trainees without one may go but do not count")
    absent: list[dt.date] = Field(default_factory=list, description="days the officer is away")

    _check_id = field_validator("id")(_id)

    @model_validator(mode="after")
    def _certificate(self) -> Officer:
        if self.certified and not self.certificate:
            raise ValueError(f"officer {self.id!r} is certified but has no certificate number")
        return self


class Team(_Strict):
    id: str
    name: str = Field(description="e.g. 危化组")
    specialty: str = Field(description="an industry of the rulebook: the only enterprises the team inspects")
    officers: list[Officer] = Field(min_length=1)
    days_off: list[dt.date] = Field(default_factory=list, description="days the team does not work (dates "
                                    "outside the campaign are ignored)")

    _check_id = field_validator("id")(_id)


class Escort(_Strict):
    """Accompanying county staff (陪检人员)."""

    id: str
    name: str
    absent: list[dt.date] = Field(default_factory=list)

    _check_id = field_validator("id")(_id)


class County(_Strict):
    name: str
    escorts: list[Escort] = Field(default_factory=list, description="陪检人员 of this county")


class Travel(_Strict):
    base: str = Field(description="the county the teams leave from and return to (the bureau's seat)")
    illustrative: bool = Field(description="true: rough figures for planning examples, not measured road times")
    minutes: dict[str, dict[str, int]] = Field(
        description="travel time between county seats in minutes; one direction per pair is enough")

    @field_validator("minutes")
    @classmethod
    def _non_negative(cls, v: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
        for a, row in v.items():
            for b, m in row.items():
                if m < 0:
                    raise ValueError(f"travel time {a} -> {b} is negative ({m})")
        return v


class Enterprise(_Strict):
    id: str
    name: str
    county: str
    industries: list[str] = Field(min_length=1)
    open_major_hazards: int = Field(default=0, ge=0, description="major accident hazards not yet closed")
    recheck_due: dt.date | None = Field(default=None, description="a re-inspection (复查) due by this date")
    inspections_this_year: int = Field(default=0, ge=0, description="site inspections already made this year")
    annual_cap: int | None = Field(default=None, ge=0, description="this enterprise's published annual cap on "
                                   "site inspections; omitted: annual_caps.default")

    _check_id = field_validator("id")(_id)

    @model_validator(mode="after")
    def _distinct(self) -> Enterprise:
        if len(set(self.industries)) != len(self.industries):
            raise ValueError("each industry may be listed once")
        return self


class Relation(_Strict):
    """A tie between an officer or 陪检人员 and an enterprise: that person stays away from it."""

    person: str = Field(description="an officer's or 陪检人员's id")
    enterprise: str
    ground: str = Field(min_length=1, description="the 回避 ground, as text (e.g. 近亲属在该企业任职)")


class AnnualCaps(_Strict):
    default: int | None = Field(default=None, ge=0, description="cap for enterprises that name none")
    source: str = Field(min_length=1, description="where the cap values come from")
    source_checked: bool = Field(description="true only if the values were checked against the published list")


class Draw(_Strict):
    """A 双随机 draw: how many enterprises to draw per specialty, from a published seed."""

    seed: str = Field(min_length=1, description="published before the draw; anyone can redo the draw from it")
    per_specialty: dict[str, int] = Field(description="enterprises to draw for each specialty")

    @field_validator("per_specialty")
    @classmethod
    def _non_negative(cls, v: dict[str, int]) -> dict[str, int]:
        for k, n in v.items():
            if n < 0:
                raise ValueError(f"{k}: cannot draw {n} enterprises")
        return v


class Limits(_Strict):
    teams_per_county_day: int = Field(default=3, ge=1, description="teams in one county on one day, at most")
    visits_per_team_day: int = Field(default=2, ge=1, description="enterprises per team per day, at most")
    target_visits_per_team_day: float = Field(default=2, gt=0, description="the average aimed at; reported")
    certified_officers_per_team: int = Field(default=2, ge=2, description="certified officers with a team on "
                                             "every day it works; the law asks for at least two")


class CampaignFile(_Strict):
    id: str
    title: str
    days: list[dt.date] = Field(min_length=1, description="the campaign's working days")
    limits: Limits = Field(default_factory=Limits)
    teams: list[Team] = Field(min_length=1)
    counties: list[County] = Field(min_length=1)
    travel: Travel
    enterprises: list[Enterprise]
    relations: list[Relation] = Field(default_factory=list)
    annual_caps: AnnualCaps
    draw: Draw | None = None

    _check_id = field_validator("id")(_id)


class PrioritySource(BaseModel):
    """Where an enterprise's priority came from when the dossier (一企一册) knows it: the dossier's
    figures replace the campaign file's, and both are kept so an inspector can see what changed."""

    model_config = ConfigDict(frozen=True)

    enterprise: str
    as_of: dt.date = Field(description="the day the dossier's major hazards were counted open")
    open_major_hazards: int = Field(description="major-hazard findings found by as_of and not closed (销号) "
                                    "or withdrawn by then")
    major_hazard_findings: list[str]
    recheck_due: dt.date | None = Field(description="the earliest open re-inspection (复查) due in the dossier")
    recheck_finding: str | None = Field(description="the finding that re-inspection is for")
    recheck_checked: bool = Field(description="false: the period it is counted from is unverified (未核实)")
    file_open_major_hazards: int = Field(description="what the campaign file said")
    file_recheck_due: dt.date | None = Field(description="what the campaign file said")
    differs: bool = Field(description="the file and the dossier disagree (the dossier's figures are used)")
    text: str


@dataclass(frozen=True)
class NotPlanned:
    """An enterprise left out of the demand before planning, and the rule that keeps it out."""

    enterprise: str
    rule: str
    reason: str


@dataclass(frozen=True)
class DrawnEnterprise:
    enterprise: str
    key: str  # sha256 of "seed|specialty|enterprise id": the lowest keys are drawn


@dataclass(frozen=True)
class SpecialtyDraw:
    specialty: str
    asked: int
    population: int
    drawn: tuple[DrawnEnterprise, ...]


class _Problems:
    def __init__(self, raw: Any, path: str) -> None:
        self.raw, self.path, self.items = raw, path, list[Problem]()

    def add(self, loc: Sequence[str | int], message: str, candidates: Collection[str] = (),
            name: str | None = None) -> None:
        hint = did_you_mean(name, candidates) if name is not None else None
        if hint:
            message += f" (did you mean {hint!r}?)"
        self.items.append(Problem(message, path=self.path, line=line_of(self.raw, list(loc)), code="SchemaError"))


class Campaign:
    """A validated campaign with the indexes the planner and the checker share."""

    def __init__(self, file: CampaignFile, path: str = "<campaign>", raw: Any = None,
                 industries: Collection[str] | None = None,
                 priority_sources: Sequence[PrioritySource] = ()) -> None:
        self.file = file
        self.path = path
        self.priority_sources = list(priority_sources)
        problems = _Problems(raw, path)
        _validate(file, problems, industries)
        if problems.items:
            raise schema_error(problems.items, path)
        self.days: list[dt.date] = sorted(file.days)
        self.limits = file.limits
        self.teams: list[Team] = sorted(file.teams, key=lambda t: t.id)
        self.team: dict[str, Team] = {t.id: t for t in self.teams}
        self.officer: dict[str, Officer] = {o.id: o for t in self.teams for o in t.officers}
        self.team_of_officer: dict[str, str] = {o.id: t.id for t in self.teams for o in t.officers}
        self.counties: list[str] = sorted(c.name for c in file.counties)
        self.escort: dict[str, Escort] = {e.id: e for c in file.counties for e in c.escorts}
        self.county_of_escort: dict[str, str] = {e.id: c.name for c in file.counties for e in c.escorts}
        self.escorts_of: dict[str, list[str]] = {c.name: sorted(e.id for e in c.escorts) for c in file.counties}
        self.enterprise: dict[str, Enterprise] = {e.id: e for e in file.enterprises}
        self.related: dict[str, dict[str, str]] = defaultdict(dict)  # person -> enterprise -> ground
        for r in file.relations:
            self.related[r.person][r.enterprise] = r.ground
        self._minutes: dict[tuple[str, str], int] = {}
        for a, row in file.travel.minutes.items():
            for b, m in row.items():
                self._minutes[(a, b)] = self._minutes[(b, a)] = m

    # ------------------------------------------------------------------ lookups

    @property
    def id(self) -> str:
        return self.file.id

    def minutes(self, a: str, b: str) -> int:
        return 0 if a == b else self._minutes[(a, b)]

    @cached_property
    def specialties(self) -> list[str]:
        return sorted({t.specialty for t in self.teams})

    def teams_of(self, specialty: str) -> list[Team]:
        return [t for t in self.teams if t.specialty == specialty]

    def cap(self, enterprise: Enterprise) -> int:
        cap = enterprise.annual_cap if enterprise.annual_cap is not None else self.file.annual_caps.default
        assert cap is not None  # _validate ensures every enterprise has one
        return cap

    def over_cap(self, enterprise: Enterprise) -> bool:
        return enterprise.inspections_this_year + 1 > self.cap(enterprise)

    def certified_available(self, team: Team, day: dt.date) -> int:
        """Certified officers of ``team`` not absent on ``day`` (before any recusal)."""
        return sum(1 for o in team.officers if o.certified and day not in o.absent)

    def team_can_work(self, team: Team, day: dt.date) -> bool:
        """Not a day off, and enough certified officers on duty before any recusal."""
        return (day not in team.days_off
                and self.certified_available(team, day) >= self.limits.certified_officers_per_team)

    # ------------------------------------------------------------------ priorities

    def deadline(self, enterprise: Enterprise) -> dt.date | None:
        """The last campaign day a due re-inspection may take place; None if not due in the campaign
        or already overdue (an overdue one has no day left to meet, so it goes first instead)."""
        due = enterprise.recheck_due
        if due is None or due < self.days[0] or due > self.days[-1]:
            return None
        return max(d for d in self.days if d <= due)

    def overdue(self, enterprise: Enterprise) -> bool:
        return enterprise.recheck_due is not None and enterprise.recheck_due < self.days[0]

    def is_priority(self, enterprise: Enterprise) -> bool:
        return (enterprise.open_major_hazards > 0 or self.overdue(enterprise)
                or self.deadline(enterprise) is not None)

    def urgency(self, enterprise: Enterprise) -> int:
        """Weight of visiting early: one per open major hazard, one for an overdue re-inspection."""
        return enterprise.open_major_hazards + (1 if self.overdue(enterprise) else 0)

    def priority_text(self, enterprise: Enterprise) -> str | None:
        parts = []
        if enterprise.open_major_hazards:
            parts.append(f"重大事故隐患未销号 {enterprise.open_major_hazards} 项")
        if self.overdue(enterprise):
            parts.append(f"复查已逾期（{enterprise.recheck_due}）")
        elif (d := self.deadline(enterprise)) is not None:
            latest = f"（最迟 {d}）" if d != enterprise.recheck_due else ""
            parts.append(f"复查期限 {enterprise.recheck_due}{latest}")
        return "；".join(parts) or None

    # ------------------------------------------------------------------ demand

    @cached_property
    def _demand(self) -> tuple[list[str], list[NotPlanned], list[SpecialtyDraw] | None]:
        left_out: list[NotPlanned] = []
        eligible = []
        for e in sorted(self.file.enterprises, key=lambda e: e.id):
            if self.over_cap(e):
                why = (f"本年已检查 {e.inspections_this_year} 次，年度上限 {self.cap(e)} 次"
                       + ("（重点企业，须另行处理）" if self.is_priority(e) else ""))
                left_out.append(NotPlanned(e.id, "annual-cap", why))
            else:
                eligible.append(e)
        draw = self.file.draw
        if draw is None:
            return [e.id for e in eligible], left_out, None
        chosen = {e.id for e in eligible if self.is_priority(e)}
        draws = []
        for specialty in sorted(draw.per_specialty):
            population = [e for e in eligible if specialty in e.industries and e.id not in chosen]
            keyed = sorted((draw_key(draw.seed, specialty, e.id), e.id) for e in population)
            picked = tuple(DrawnEnterprise(eid, key) for key, eid in keyed[:draw.per_specialty[specialty]])
            chosen.update(p.enterprise for p in picked)
            draws.append(SpecialtyDraw(specialty, draw.per_specialty[specialty], len(population), picked))
        return sorted(chosen), left_out, draws

    @property
    def demand(self) -> list[str]:
        """Enterprise ids the campaign must visit, sorted."""
        return self._demand[0]

    @property
    def left_out(self) -> list[NotPlanned]:
        """Enterprises left out before planning (annual cap reached), with the reason."""
        return self._demand[1]

    @property
    def draws(self) -> list[SpecialtyDraw] | None:
        return self._demand[2]


def draw_key(seed: str, specialty: str, enterprise_id: str) -> str:
    """The draw's key for one enterprise: anyone can recompute it from the published seed."""
    return hashlib.sha256(f"{seed}|{specialty}|{enterprise_id}".encode()).hexdigest()


def _unique(problems: _Problems, seen: dict[str, tuple[str | int, ...]], value: str,
            loc: tuple[str | int, ...], what: str) -> None:
    if value in seen:
        problems.add(loc, f"{what} {value!r} is used twice (first at {'.'.join(map(str, seen[value]))})")
    else:
        seen[value] = loc


def _validate(f: CampaignFile, p: _Problems, industries: Collection[str] | None) -> None:
    """Cross-references the pydantic models cannot see: ids, counties, industries, days, caps."""
    if len(set(f.days)) != len(f.days):
        p.add(("days",), "a campaign day is listed twice")
    if len({d.year for d in f.days}) > 1:
        p.add(("days",), "campaign days span two years; annual caps count one year: plan each year separately")
    counties = [c.name for c in f.counties]
    seen: dict[str, tuple[str | int, ...]] = {}
    for i, c in enumerate(f.counties):
        _unique(p, seen, c.name, ("counties", i, "name"), "county")
    known_industries = set(industries) if industries is not None else None

    def industry(name: str, loc: tuple[str | int, ...]) -> None:
        if known_industries is not None and name not in known_industries:
            p.add(loc, f"unknown industry {name!r}; the rulebook has {', '.join(sorted(known_industries))}",
                  known_industries, name)

    people: dict[str, tuple[str | int, ...]] = {}
    teams: dict[str, tuple[str | int, ...]] = {}
    for i, t in enumerate(f.teams):
        _unique(p, teams, t.id, ("teams", i, "id"), "team id")
        industry(t.specialty, ("teams", i, "specialty"))
        for j, o in enumerate(t.officers):
            _unique(p, people, o.id, ("teams", i, "officers", j, "id"), "person id")
    for i, c in enumerate(f.counties):
        for j, e in enumerate(c.escorts):
            _unique(p, people, e.id, ("counties", i, "escorts", j, "id"), "person id")

    if f.travel.base not in counties:
        p.add(("travel", "base"), f"base {f.travel.base!r} is not a campaign county", counties, f.travel.base)
    given: dict[frozenset[str], int] = {}
    for a, row in f.travel.minutes.items():
        if a not in counties:
            p.add(("travel", "minutes", a), f"unknown county {a!r}", counties, a)
        for b, m in row.items():
            if b not in counties:
                p.add(("travel", "minutes", a, b), f"unknown county {b!r}", counties, b)
            elif a == b:
                p.add(("travel", "minutes", a, b), f"travel within {a} is not given (it counts as 0)")
            elif given.setdefault(frozenset((a, b)), m) != m:
                p.add(("travel", "minutes", a, b), f"{a} <-> {b} is given twice with different times")
    missing = [f"{a} <-> {b}" for i, a in enumerate(counties) for b in counties[i + 1:]
               if frozenset((a, b)) not in given]
    if missing:
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        p.add(("travel", "minutes"), f"no travel time for {', '.join(missing[:5])}{more}")

    enterprises: dict[str, tuple[str | int, ...]] = {}
    for i, ent in enumerate(f.enterprises):
        _unique(p, enterprises, ent.id, ("enterprises", i, "id"), "enterprise id")
        if ent.county not in counties:
            p.add(("enterprises", i, "county"), f"{ent.id}: county {ent.county!r} is not a campaign county",
                  counties, ent.county)
        for j, name in enumerate(ent.industries):
            industry(name, ("enterprises", i, "industries", j))
        if ent.annual_cap is None and f.annual_caps.default is None:
            p.add(("enterprises", i), f"{ent.id}: no annual cap: give annual_cap or annual_caps.default")
    for i, r in enumerate(f.relations):
        if r.person not in people:
            p.add(("relations", i, "person"), f"unknown officer or 陪检人员 {r.person!r}", people, r.person)
        if r.enterprise not in enterprises:
            p.add(("relations", i, "enterprise"), f"unknown enterprise {r.enterprise!r}", enterprises,
                  r.enterprise)
    if f.draw is not None:
        for name in f.draw.per_specialty:
            industry(name, ("draw", "per_specialty", name))


def load_campaign(path: str | Path, industries: Collection[str] | None = None) -> Campaign:
    """Read and validate a campaign file; ``industries``: the rulebook's (None: not checked)."""
    data, raw = load_model(CampaignFile, path)
    return Campaign(data, str(path), raw, industries)
