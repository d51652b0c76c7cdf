"""The planner: the sample campaign is planned with no rule broken, the plan is deterministic, a
campaign that does not fit is explained, and on small random campaigns the solver agrees with a
brute-force search (feasibility and the lexicographic optimum)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from safety_rules import Plan, PlanningError, TeamDay, load_campaign, plan_campaign
from safety_rules.fieldwork._campaign import Campaign, CampaignFile
from safety_rules.fieldwork._plan_check import check_team_days
from safety_rules.fieldwork._planner import travel_minutes
from safety_rules.shared._validation import load_model

from ..conftest import FIXTURES
from .conftest import SAMPLE


def test_sample_campaign_is_planned_with_no_rule_broken(sample: Campaign, sample_plan: Plan) -> None:
    assert sample_plan.status == "planned"
    report = check_team_days(sample, sample_plan.team_days)
    assert report.violations == []
    visited = [v.enterprise for v in sample_plan.visits]
    assert sorted(visited) == sorted(sample.demand)  # each once, on one day with all its teams
    assert sample_plan.objective is not None and all(sample_plan.objective.proven_optimal.values())
    assert [x.enterprise for x in sample_plan.left_out] == [x.enterprise for x in sample.left_out]


def test_sample_joint_visits_take_every_team_on_one_day(sample: Campaign, sample_plan: Plan) -> None:
    food = next(v for v in sample_plan.visits if v.enterprise == "LY-FOOD-012")
    assert sorted(food.teams) == ["涉尘组", "涉氨组"] and len(food.escorts) == 2


def test_sample_recusal_and_absence(sample: Campaign, sample_plan: Plan) -> None:
    for td in sample_plan.team_days:
        for oid in td.officers:
            assert td.date not in sample.officer[oid].absent
            assert not set(td.enterprises) & set(sample.related.get(oid, {}))
        assert td.escort is not None and not set(td.enterprises) & set(sample.related.get(td.escort, {}))


def test_objective_is_recomputed_from_the_plan(sample: Campaign, sample_plan: Plan) -> None:
    assert sample_plan.objective is not None
    index = {d: k for k, d in enumerate(sample.days)}
    priority = sum(sample.urgency(sample.enterprise[v.enterprise]) * index[v.date] for v in sample_plan.visits)
    assert sample_plan.objective.priority == priority
    assert sample_plan.objective.team_days == len(sample_plan.team_days)
    assert sample_plan.objective.travel_minutes == travel_minutes(sample, sample_plan.team_days)
    o = sample_plan.objective  # every term proven: each bound is the value
    assert o.lower_bounds == {"priority": o.priority, "team_days": o.team_days, "travel": o.travel_minutes}


def test_same_input_same_plan(sample: Campaign, sample_plan: Plan) -> None:
    again = plan_campaign(load_campaign(SAMPLE))
    assert again.model_dump() == sample_plan.model_dump()


def test_overfull_campaign_names_the_shortage_and_an_irreducible_conflict() -> None:
    plan = plan_campaign(load_campaign(FIXTURES / "overfull_campaign.yaml"))
    assert plan.status == "infeasible" and plan.team_days == []
    e = plan.explanation
    assert e is not None
    line = next(x for x in e.supply if x.kind == "specialty")
    assert line.short and (line.needed, line.available) == (3, 2)
    assert line.text == ("hazchem（危化组）：需检查 5 家，分布在 1 个县区，至少需 3 个组日"
                         "（每组每天一个县区、至多 2 家）；可用 2 个组日")
    county = next(x for x in e.supply if x.kind == "county")
    assert not county.short and county.subject == "临沭县"
    # five plants at two a day for two days: every plant's coverage and the daily cap, nothing else
    assert {(c.rule, tuple(c.subjects)) for c in e.conflicts} == {
        ("coverage", ("HC-1", "HC-2", "HC-3", "HC-4", "HC-5")), ("team-day-visits", ("hazchem-team",))}
    assert e.irreducible


def test_sample_in_the_notices_seven_days_does_not_fit() -> None:
    """The sample's enterprises in the notice's own days (9月4日-10日): every specialty is short."""
    file, _ = load_model(CampaignFile, SAMPLE)
    seven = Campaign(file.model_copy(update={"days": [d for d in file.days if d <= dt.date(2017, 9, 10)]}))
    plan = plan_campaign(seven)
    assert plan.status == "infeasible"
    e = plan.explanation
    assert e is not None
    short = {x.subject for x in e.supply if x.kind == "specialty" and x.short}
    assert short == {"mining", "hazchem", "metallurgy", "dust", "ammonia"}
    dust = next(x for x in e.supply if x.subject == "dust")
    assert "可用 6 个组日" in dust.text  # seven days less the team's day off
    rules = {c.rule for c in e.conflicts}
    assert "coverage" in rules and rules <= {"coverage", "days-off", "one-county", "team-day-visits",
                                             "certified-officers", "county-day-teams", "escort"}
    assert e.irreducible


def test_a_budget_must_be_positive(sample: Campaign) -> None:
    with pytest.raises(PlanningError, match="must be positive"):
        plan_campaign(sample, budget=0)


def test_out_of_budget_is_unknown_not_infeasible(sample: Campaign) -> None:
    plan = plan_campaign(sample, budget=1e-6)
    assert plan.status == "unknown"
    assert plan.explanation is not None and plan.explanation.conflicts == []
    assert "预算" in plan.explanation.text and plan.explanation.supply


# ---------------------------------------------------------------------- random small campaigns

DAY0 = dt.date(2024, 6, 3)
SPECIALTIES = ["dust", "hazchem"]
COUNTIES = ["A县", "B县"]


@st.composite
def campaigns(draw: st.DrawFn) -> Campaign:
    n_days = draw(st.integers(1, 3))
    gap = draw(st.booleans())
    days = [DAY0 + dt.timedelta(days=k + (1 if gap and k == n_days - 1 and k else 0)) for k in range(n_days)]

    def sometimes_a_day() -> list[dt.date]:  # absences and days off: rare enough that plans exist
        return [draw(st.sampled_from(days))] if draw(st.integers(0, 4)) == 0 else []

    teams, people = [], []
    specialties = draw(st.lists(st.sampled_from(SPECIALTIES), min_size=1, max_size=3))
    for i, specialty in enumerate(specialties):
        officers = []
        for j in range(draw(st.integers(2, 4))):
            certified = draw(st.integers(0, 7)) > 0
            officers.append({"id": f"O{i}{j}", "name": f"官{i}{j}", "certified": certified,
                             "certificate": f"C{i}{j}" if certified else None, "absent": sometimes_a_day()})
            people.append(f"O{i}{j}")
        teams.append({"id": f"T{i}", "name": f"{specialty}组{i}", "specialty": specialty,
                      "officers": officers, "days_off": sometimes_a_day()})
    counties = []
    for k, name in enumerate(COUNTIES):
        escorts = [{"id": f"P{k}{j}", "name": f"陪{k}{j}", "absent": sometimes_a_day()}
                   for j in range(draw(st.integers(0, 2)) or draw(st.integers(0, 2)) or draw(st.integers(0, 2)))]
        people += [e["id"] for e in escorts]
        counties.append({"name": name, "escorts": escorts})
    enterprises = []
    for k in range(draw(st.integers(1, 4))):
        # mostly industries some team covers; now and then one that none does
        pool = SPECIALTIES if draw(st.integers(0, 7)) == 0 else sorted(set(specialties))
        industries = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=2, unique=True))
        enterprises.append({"id": f"E{k}", "name": f"企业{k}", "county": draw(st.sampled_from(COUNTIES)),
                            "industries": industries, "open_major_hazards": draw(st.integers(0, 2)),
                            "recheck_due": draw(st.none() | st.sampled_from([DAY0 - dt.timedelta(days=1), *days])),
                            "inspections_this_year": draw(st.integers(0, 2))})
    relations = [{"person": p, "enterprise": e["id"], "ground": "关系"}
                 for p in people for e in enterprises if draw(st.integers(0, 7)) == 0]
    data: dict[str, Any] = {
        "id": "random", "title": "随机", "days": days, "teams": teams, "counties": counties,
        "travel": {"base": COUNTIES[0], "illustrative": True, "minutes": {COUNTIES[0]: {COUNTIES[1]: 30}}},
        "enterprises": enterprises, "relations": relations,
        "limits": {"teams_per_county_day": draw(st.integers(1, 3)), "visits_per_team_day": draw(st.integers(1, 2))},
        "annual_caps": {"default": 2, "source": "测试", "source_checked": False},
    }
    if draw(st.booleans()):
        data["draw"] = {"seed": "s", "per_specialty": {"dust": draw(st.integers(0, 2))}}
    return Campaign(CampaignFile.model_validate(data))


def brute_force(c: Campaign) -> list[tuple[int, int, int]]:
    """The objective (priority, team-days, travel) of every plan that passes the checker.

    Each demanded enterprise takes a day and one team per industry; officers are every member
    present and not related; every way of giving each team-day one of its county's 陪检人员 is
    tried. The checker is the judge, so this agrees with the rules as ``--check`` reads them,
    independently of the solver's model.
    """
    demand = [c.enterprise[i] for i in c.demand]
    options = [[(day, combo) for day in c.days for combo in itertools.product(*(c.teams_of(i) for i in e.industries))]
               for e in demand]
    index = {d: k for k, d in enumerate(c.days)}
    found = []
    for pick in itertools.product(*options):
        groups: dict[tuple[str, dt.date], list[str]] = defaultdict(list)
        for e, (day, combo) in zip(demand, pick, strict=True):
            for t in combo:
                groups[(t.id, day)].append(e.id)
        skeleton = []
        for (tid, day), eids in sorted(groups.items()):
            officers = [o.id for o in c.team[tid].officers if day not in o.absent
                        and not any(e in c.related.get(o.id, {}) for e in eids)]
            skeleton.append(TeamDay(date=day, team=tid, enterprises=eids, officers=officers))
        first = check_team_days(c, skeleton)
        if any(v.rule not in ("escort", "escort-recusal") for v in first.violations):
            continue
        choices = [c.escorts_of[c.enterprise[td.enterprises[0]].county] or [None] for td in skeleton]
        for escorts in itertools.product(*choices):
            plan = [td.model_copy(update={"escort": p}) for td, p in zip(skeleton, escorts, strict=True)]
            if check_team_days(c, plan).ok:
                priority = sum(c.urgency(e) * index[day] for e, (day, _) in zip(demand, pick, strict=True))
                found.append((priority, len(plan), travel_minutes(c, plan)))
                break
    return found


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(campaigns())
def test_solver_agrees_with_brute_force(c: Campaign) -> None:
    plan = plan_campaign(c, budget=5.0)
    feasible = brute_force(c)
    event(f"{plan.status}, {len(c.demand)} enterprises demanded")
    assert plan.status != "unknown"
    if plan.status == "planned":
        assert check_team_days(c, plan.team_days).ok
        assert plan.objective is not None and all(plan.objective.proven_optimal.values())
        o = plan.objective
        assert (o.priority, o.team_days, o.travel_minutes) == min(feasible)
    else:
        assert feasible == [], "the solver says infeasible, but brute force found a plan"
        assert plan.explanation is not None and plan.explanation.conflicts


# ---------------------------------------------------------------------- one rule at a time

D1, D2, D3 = DAY0, DAY0 + dt.timedelta(days=1), DAY0 + dt.timedelta(days=3)


def _team(tid: str, specialty: str, certified: int = 2, trainees: int = 0, **extra: Any) -> dict[str, Any]:
    officers = [{"id": f"{tid}-{k}", "name": f"官{k}", "certificate": f"C{tid}{k}", "certified": True}
                for k in range(certified)]
    officers += [{"id": f"{tid}-t{k}", "name": f"新{k}", "certified": False} for k in range(trainees)]
    return {"id": tid, "name": f"{specialty}组", "specialty": specialty, "officers": officers, **extra}


def _ent(eid: str, county: str, *industries: str, **extra: Any) -> dict[str, Any]:
    return {"id": eid, "name": f"企业{eid}", "county": county, "industries": list(industries), **extra}


def small_campaign(**changes: Any) -> Campaign:
    data: dict[str, Any] = {
        "id": "rule", "title": "一条规则", "days": [D1],
        "teams": [_team("D", "dust")],
        "counties": [{"name": "A县", "escorts": [{"id": "PA", "name": "陪A"}]},
                     {"name": "B县", "escorts": [{"id": "PB1", "name": "陪B1"}, {"id": "PB2", "name": "陪B2"}]}],
        "travel": {"base": "A县", "illustrative": True, "minutes": {"A县": {"B县": 30}}},
        "enterprises": [_ent("E1", "B县", "dust")],
        "annual_caps": {"default": 4, "source": "测试", "source_checked": False},
    }
    data.update(changes)
    return Campaign(CampaignFile.model_validate(data))


@pytest.mark.parametrize(("rule", "changes", "conflicts"), [
    ("county-day-teams", {"teams": [_team("D", "dust"), _team("H", "hazchem")], "limits": {"teams_per_county_day": 1},
                          "enterprises": [_ent("E1", "B县", "dust"), _ent("E2", "B县", "hazchem")]},
     {"county-day-teams", "coverage"}),
    ("one-county", {"enterprises": [_ent("E1", "A县", "dust"), _ent("E2", "B县", "dust")]},
     {"one-county", "coverage"}),
    ("team-day-visits", {"enterprises": [_ent("E1", "B县", "dust"), _ent("E2", "B县", "dust")],
                         "limits": {"visits_per_team_day": 1}}, {"team-day-visits", "coverage"}),
    ("days-off", {"teams": [_team("D", "dust", days_off=[D1])]}, {"days-off", "coverage"}),
    ("certified-officers", {"teams": [_team("D", "dust", certified=1, trainees=2)]},
     {"certified-officers", "coverage"}),
    ("officer-recusal", {"relations": [{"person": "D-0", "enterprise": "E1", "ground": "亲属"}]},
     {"officer-recusal", "certified-officers", "coverage"}),
    ("escort", {"counties": [{"name": "A县"}, {"name": "B县", "escorts": [{"id": "PB", "name": "陪B",
                                                                           "absent": [D1]}]}]},
     {"escort", "coverage"}),
    ("escort-recusal", {"counties": [{"name": "A县"}, {"name": "B县", "escorts": [{"id": "PB", "name": "陪B"}]}],
                        "relations": [{"person": "PB", "enterprise": "E1", "ground": "曾替企业讲情"}]},
     {"escort-recusal", "escort", "coverage"}),
    ("escort", {"teams": [_team("D", "dust"), _team("H", "hazchem")],
                "counties": [{"name": "A县"}, {"name": "B县", "escorts": [{"id": "PB", "name": "陪B"}]}],
                "enterprises": [_ent("E1", "B县", "dust"), _ent("E2", "B县", "hazchem")]},
     {"escort", "coverage"}),
    ("recheck-deadline", {"days": [D1, D2], "teams": [_team("D", "dust", days_off=[D1])],
                          "enterprises": [_ent("E1", "B县", "dust", recheck_due=D1)]},
     {"recheck-deadline", "days-off", "coverage"}),
    ("joint-visit", {"days": [D1, D2], "teams": [_team("D", "dust", days_off=[D1]), _team("H", "hazchem",
                                                                                             days_off=[D2])],
                     "enterprises": [_ent("E1", "B县", "dust", "hazchem")]},
     {"days-off", "coverage"}),  # one day for both teams is a fixed rule: it is never relaxed
])
def test_each_rule_alone_makes_a_campaign_not_fit(rule: str, changes: dict[str, Any], conflicts: set[str]) -> None:
    plan = plan_campaign(small_campaign(**changes))
    assert plan.status == "infeasible", rule
    assert plan.explanation is not None and plan.explanation.irreducible
    assert {c.rule for c in plan.explanation.conflicts} == conflicts


def test_travel_goes_home_across_a_gap_in_the_campaign_days() -> None:
    """Three plants in B县, one a day, on days 1, 2 and 4: A→B, stay, B→A→B over the gap, B→A."""
    c = small_campaign(days=[D1, D2, D3], limits={"visits_per_team_day": 1},
                       enterprises=[_ent(f"E{k}", "B县", "dust") for k in range(3)])
    plan = plan_campaign(c)
    assert plan.objective is not None
    assert plan.objective.team_days == 3 and plan.objective.travel_minutes == 30 + 0 + 60 + 30


def test_urgent_enterprises_go_first() -> None:
    c = small_campaign(days=[D1, D2], limits={"visits_per_team_day": 1},
                       enterprises=[_ent("E1", "B县", "dust"), _ent("E2", "B县", "dust", open_major_hazards=1)])
    plan = plan_campaign(c)
    assert [(v.date, v.enterprise) for v in plan.visits] == [(D1, "E2"), (D2, "E1")]
