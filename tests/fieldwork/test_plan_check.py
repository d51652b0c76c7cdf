"""The plan checker: the hand-made sample plan is caught on every rule it breaks, the planner's own
JSON passes, what a plan leaves unsaid is never compliant, and bad plan files are path:line errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from safety_rules import Plan, PlanCheck, SchemaError, TeamDay, check_plan, load_campaign, load_plan
from safety_rules.fieldwork._campaign import Campaign
from safety_rules.fieldwork._plan import RULES
from safety_rules.fieldwork._plan_check import check_team_days

from ..conftest import EXAMPLES, FIXTURES

HANDMADE = EXAMPLES / "campaigns" / "linyi-2017-09-handmade.yaml"


@pytest.fixture(scope="module")
def handmade(sample: Campaign) -> PlanCheck:
    data, raw = load_plan(HANDMADE)
    return check_plan(sample, data, path=str(HANDMADE), raw=raw)


def test_handmade_plan_breaks_every_rule(handmade: PlanCheck) -> None:
    assert not handmade.ok
    assert handmade.rules_broken() == sorted(RULES)


D = dt.date


@pytest.mark.parametrize(("rule", "where", "words"), [
    ("campaign-days", {"date": D(2017, 9, 14), "team": "mining-team", "line": 82}, "不是本次检查的检查日"),
    ("days-off", {"date": D(2017, 9, 10), "team": "metallurgy-team", "line": 60}, "是冶炼组的休息日"),
    ("specialty", {"team": "ammonia-team", "enterprise": "LY-MINE-003", "line": 66}, "涉氨组（ammonia）检查"),
    ("joint-visit", {"enterprise": "LY-MET-005", "line": 72}, "分 2 天检查"),
    ("joint-visit", {"enterprise": "LY-MINE-003", "date": D(2017, 9, 12)}, "缺少 mining 专业的检查组"),
    ("coverage", {"enterprise": "LY-NH3-004", "line": None}, "没有安排检查"),
    ("coverage", {"enterprise": "LY-DUST-015"}, "没有安排检查"),
    ("not-in-campaign", {"enterprise": "LY-NH3-005", "line": 14}, "未被双随机抽中"),
    ("annual-cap", {"enterprise": "LY-DUST-008", "line": 8}, "年度上限 4 次"),
    ("county-day-teams", {"date": D(2017, 9, 5), "county": "罗庄区"}, "有 4 个组（上限 3）"),
    ("team-day-visits", {"date": D(2017, 9, 5), "team": "metallurgy-team", "line": 20}, "当日检查 3 家（上限 2）"),
    ("one-county", {"date": D(2017, 9, 6), "team": "mining-team", "line": 32}, "LY-MINE-012 在蒙阴县"),
    ("one-county", {"date": D(2017, 9, 7), "team": "mining-team", "line": 42}, "LY-MINE-011 在沂水县"),
    ("certified-officers", {"date": D(2017, 9, 12), "team": "metallurgy-team"}, "执法人员 1 名（至少 2 名）"),
    ("officer-team", {"person": "D4", "team": "mining-team", "line": 52}, "是涉尘组的人员"),
    ("officer-absent", {"person": "T2", "date": D(2017, 9, 12)}, "缺勤"),
    ("officer-recusal", {"person": "H2", "enterprise": "LY-HC-022", "line": 28}, "配偶在该企业任职"),
    ("escort", {"person": "LZ-2", "date": D(2017, 9, 5)}, "同日陪 3 个组"),
    ("escort-recusal", {"person": "LZ-2", "enterprise": "LY-HC-024", "line": 18}, "曾替该企业讲情"),
    ("recheck-deadline", {"enterprise": "LY-DUST-014", "date": D(2017, 9, 11)}, "复查期限 2017-09-07"),
])
def test_handmade_plan_names_each_broken_rule(handmade: PlanCheck, rule: str, where: dict[str, object],
                                              words: str) -> None:
    found = [v for v in handmade.violations if v.rule == rule
             and all(getattr(v, k) == value for k, value in where.items())]
    assert len(found) == 1, [v for v in handmade.violations if v.rule == rule]
    assert words in found[0].detail and found[0].title == RULES[rule].format(
        teams_per_county_day=3, visits_per_team_day=2, certified_officers_per_team=2)


def test_planners_own_json_passes(sample: Campaign, sample_plan: Plan, tmp_path: Path) -> None:
    path = tmp_path / "plan.json"
    path.write_text(json.dumps(sample_plan.model_dump(mode="json"), ensure_ascii=False, indent=2), encoding="utf-8")
    data, raw = load_plan(path)
    report = check_plan(sample, data, path=str(path), raw=raw)
    assert report.ok and report.violations == []


def _one_day(**kw: object) -> list[TeamDay]:
    base: dict[str, object] = {"date": D(2017, 9, 4), "team": "dust-team", "enterprises": ["LY-DUST-007"]}
    return [TeamDay.model_validate({**base, **kw})]


def test_what_a_plan_leaves_unsaid_is_never_compliant(sample: Campaign) -> None:
    report = check_team_days(sample, _one_day())
    rules = {v.rule for v in report.violations if v.date == D(2017, 9, 4)}
    assert rules == {"certified-officers", "escort"}


def test_entries_of_one_team_on_one_day_are_read_together(sample: Campaign) -> None:
    """Two lines for the same team and day are one team-day: their enterprises add up against the cap,
    and the officers and 陪检人员 named on either line count for both."""
    split = [*_one_day(officers=["D1"], escort="LS-1"),
             *_one_day(enterprises=["LY-DUST-015", "LY-MET-005"], officers=["D3"])]
    day = [v for v in check_team_days(sample, split).violations if v.date == D(2017, 9, 4)]
    assert [v.rule for v in day] == ["joint-visit", "team-day-visits"]  # LY-MET-005 also needs metallurgy
    assert "当日检查 3 家" in day[1].detail


def test_escort_from_another_county(sample: Campaign) -> None:
    report = check_team_days(sample, _one_day(officers=["D1", "D2"], escort="FX-1"))
    bad = [v for v in report.violations if v.rule == "escort"]
    assert len(bad) == 1 and "是费县的" in bad[0].detail and bad[0].person == "FX-1"


@pytest.mark.parametrize(("name", "words", "line"), [
    ("unknown_team.yaml", ["unknown team 'dust-teem'", "did you mean 'dust-team'"], 3),
    ("unknown_enterprise.yaml", ["unknown enterprise 'ENT-01'", "did you mean 'ENT-1'"], 3),
    ("unknown_officer.yaml", ["unknown officer 'O7'"], 3),
    ("unknown_key.yaml", ["unknown key 'escorts'", "did you mean 'escort'"], 3),
    ("wrong_campaign.yaml", ["the plan is for campaign 'linyi-2017-09', not 'small'"], 1),
])
def test_bad_plan_file(name: str, words: list[str], line: int) -> None:
    campaign = load_campaign(FIXTURES / "small_campaign.yaml")
    path = FIXTURES / "broken_plans" / name
    with pytest.raises(SchemaError) as info:
        data, raw = load_plan(path)
        check_plan(campaign, data, path=str(path), raw=raw)
    message = str(info.value)
    assert message.startswith(f"{path}:{line}:"), message
    for w in words:
        assert w in message, message
