"""Campaign priorities from the dossier: open major hazards and re-inspection dues replace the file's."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from collections.abc import Collection, Iterator
from pathlib import Path
from typing import Any

import chinese_calendar
import pytest

from safety_rules import Rulebook, campaign_with_dossier, check_plan, load_campaign, plan_campaign
from safety_rules.dossier._store import Dossier
from safety_rules.fieldwork._campaign import Campaign
from safety_rules.fieldwork._plan import PlanFile

from ..conftest import EXAMPLES, run_cli
from ..dossier.conftest import WOOD, Events, finding_id, inspection

INSPECTED = dt.date(2024, 9, 27)
SIGNS = "dust.warning-signs"
# ordered on 09-27 with 3 days: rectification due 09-30, re-inspection (复查) due 10-10
RECHECK = dt.date(2024, 10, 10)
DAYS = ["2024-10-08", "2024-10-09", "2024-10-10", "2024-10-11"]

CAMPAIGN = f"""\
id: C-2024-10
title: 涉尘专项
days: [{", ".join(DAYS)}]
limits: {{visits_per_team_day: 1}}
teams:
  - id: dust-team
    name: 涉尘组
    specialty: dust
    officers:
      - {{id: O1, name: 甲, certificate: C-1, certified: true}}
      - {{id: O2, name: 乙, certificate: C-2, certified: true}}
counties:
  - name: 兰山区
    escorts: [{{id: E1, name: 丙}}]
travel: {{base: 兰山区, illustrative: true, minutes: {{}}}}
enterprises:
  - {{id: LY-DUST-001, name: 甲木业, county: 兰山区, industries: [dust], open_major_hazards: 1}}
  - {{id: {WOOD}, name: 示例木业, county: 兰山区, industries: [dust]}}
  - {{id: LY-DUST-002, name: 乙木业, county: 兰山区, industries: [dust]}}
annual_caps: {{default: 4, source: 测试, source_checked: false}}
"""


@pytest.fixture()
def campaign_file(tmp_path: Path) -> Path:
    path = tmp_path / "campaign.yaml"
    path.write_text(CAMPAIGN, encoding="utf-8")
    return path


@pytest.fixture()
def campaign(campaign_file: Path) -> Campaign:
    return load_campaign(campaign_file)


@pytest.fixture()
def recorded(url: str, book: Rulebook) -> Iterator[tuple[Dossier, Events]]:
    """The wood-products example inspected on 09-27, its warning-signs finding ordered with 3 days."""
    d = Dossier(url, book=book)
    events = inspection(book, INSPECTED)
    d.record(events)
    d.record([(WOOD, "finding.ordered", {"finding_id": finding_id(events, SIGNS), "date": "2024-09-27", "days": 3})])
    yield d, events
    d.store.dispose()


def _major(events: Events) -> list[str]:
    return sorted(p["finding_id"] for _e, k, p in events if k == "finding" and p["severity"] == "major_hazard")


def test_the_dossier_puts_its_enterprise_first_and_the_plan_meets_its_recheck(
        campaign: Campaign, recorded: tuple[Dossier, Events]) -> None:
    dossier, events = recorded
    major = _major(events)
    assert len(major) >= 2  # more urgent than LY-DUST-001's one hazard, so it must go first
    before = plan_campaign(campaign)
    assert before.status == "planned" and before.visits[0].enterprise == "LY-DUST-001"

    c = campaign_with_dossier(campaign, dossier)
    wood = c.enterprise[WOOD]
    assert (wood.open_major_hazards, wood.recheck_due) == (len(major), RECHECK)
    assert c.deadline(wood) == RECHECK
    assert c.enterprise["LY-DUST-001"].open_major_hazards == 1  # not in the dossier: the file's figure stays
    [source] = c.priority_sources
    assert source.enterprise == WOOD and source.differs and source.major_hazard_findings == major
    assert source.recheck_finding == finding_id(events, SIGNS) and not source.recheck_checked
    assert "以一企一册为准" in source.text and "期限未核实" in source.text

    plan = plan_campaign(c)
    assert plan.status == "planned"
    assert [v.enterprise for v in plan.visits][:2] == [WOOD, "LY-DUST-001"]
    assert plan.visits[0].date <= RECHECK
    assert plan.priority_sources == c.priority_sources


def test_the_recheck_from_the_dossier_is_a_deadline_a_hand_made_plan_must_meet(
        campaign: Campaign, recorded: tuple[Dossier, Events]) -> None:
    dossier, _ = recorded
    visits = {"2024-10-08": "LY-DUST-001", "2024-10-09": "LY-DUST-002", "2024-10-11": WOOD}  # after 10-10
    late = PlanFile.model_validate({"campaign": "C-2024-10", "team_days": [
        {"date": day, "team": "dust-team", "enterprises": [eid], "officers": ["O1", "O2"], "escort": "E1"}
        for day, eid in visits.items()]})
    assert "recheck-deadline" not in check_plan(campaign, late).rules_broken()
    checked = check_plan(campaign_with_dossier(campaign, dossier), late)
    assert "recheck-deadline" in checked.rules_broken()


def test_a_closed_finding_no_longer_counts(campaign: Campaign, recorded: tuple[Dossier, Events]) -> None:
    dossier, events = recorded
    major = _major(events)
    dossier.record([(WOOD, kind, {"finding_id": fid, "date": "2024-09-28"})
                    for fid in major[1:] for kind in ("finding.corrected", "finding.closed")])
    assert campaign_with_dossier(campaign, dossier).enterprise[WOOD].open_major_hazards == 1
    # on a day before they were closed, they were open
    on_the_day = campaign_with_dossier(campaign, dossier, INSPECTED)
    assert on_the_day.enterprise[WOOD].open_major_hazards == len(major)
    # nothing found yet the day before the inspection: no hazard, no re-inspection
    before = campaign_with_dossier(campaign, dossier, INSPECTED - dt.timedelta(days=1))
    assert (before.enterprise[WOOD].open_major_hazards, before.enterprise[WOOD].recheck_due) == (0, None)


def test_open_major_hazards_on_every_day_around_their_closing(
        campaign: Campaign, recorded: tuple[Dossier, Events]) -> None:
    dossier, events = recorded
    major = _major(events)
    closed = {fid: INSPECTED + dt.timedelta(days=n) for n, fid in enumerate(major[:3], 1)}
    dossier.record([(WOOD, "finding.corrected", {"finding_id": fid, "date": INSPECTED.isoformat()}) for fid in closed]
                   + [(WOOD, "finding.closed", {"finding_id": fid, "date": day.isoformat()})
                      for fid, day in closed.items()])
    for n in range(-2, 8):
        day = INSPECTED + dt.timedelta(days=n)
        expected = [fid for fid in major if day >= INSPECTED and not (fid in closed and closed[fid] <= day)]
        [source] = campaign_with_dossier(campaign, dossier, day).priority_sources
        assert source.major_hazard_findings == expected, day


def test_cli_plan_with_dossier(campaign_file: Path, recorded: tuple[Dossier, Events]) -> None:
    dossier, _ = recorded
    code, out, _ = run_cli("plan", str(campaign_file), "--dossier", dossier.store.url, "-f", "json")
    assert code == 0
    plan = json.loads(out)
    assert plan["visits"][0]["enterprise"] == WOOD
    assert [s["enterprise"] for s in plan["priority_sources"]] == [WOOD]
    code, out, _ = run_cli("plan", str(campaign_file), "--dossier", dossier.store.url)
    assert code == 0 and "重点来源（一企一册，1 家；1 家与计划文件不同）" in out
    late = campaign_file.with_name("late.yaml")
    late.write_text(f"campaign: C-2024-10\nteam_days:\n  - {{date: 2024-10-11, team: dust-team, enterprises: [{WOOD}], "
                    "officers: [O1, O2], escort: E1}\n", encoding="utf-8")
    code, out, _ = run_cli("plan", str(campaign_file), "--check", str(late), "--dossier", dossier.store.url)
    assert code == 1 and "recheck-deadline" in out and "注：一企一册（截至 2024-10-08）" in out


def test_a_mistyped_dossier_path_is_an_error_not_an_empty_dossier(campaign_file: Path, tmp_path: Path) -> None:
    missing = tmp_path / "dossier.sqlite3"
    code, _, err = run_cli("plan", str(campaign_file), "--dossier", str(missing))
    assert code == 2 and "does not exist" in err and "dossier.sqlite3" in err
    assert list(tmp_path.iterdir()) == [campaign_file]  # nothing was created


def test_as_of_without_a_dossier_is_an_error(campaign_file: Path) -> None:
    code, _, err = run_cli("plan", str(campaign_file), "--as-of", "2024-10-08")
    assert code == 2 and "--dossier" in err


# --------------------------------------------------------------------------- the sample re-inspection campaign
RECHECK_CAMPAIGN = EXAMPLES / "campaigns" / "linyi-2024-10-recheck.yaml"
DOSSIER_SAMPLE = EXAMPLES / "dossier" / "campaigns.jsonl"
RECHECK_AS_OF = dt.date(2024, 10, 8)


@pytest.fixture(scope="module")
def sample_dossier(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dossier]:
    db = tmp_path_factory.mktemp("dossier") / "dossier.sqlite3"
    code, _, err = run_cli("dossier", "record", str(DOSSIER_SAMPLE),
                           "--evidence", str(EXAMPLES / "dossier" / "evidence"), "--db", str(db))
    assert code == 0, err
    d = Dossier(db, read_only=True)
    yield d
    d.store.dispose()


def _sample_events() -> list[dict[str, Any]]:
    return [json.loads(line) for line in DOSSIER_SAMPLE.read_text(encoding="utf-8").splitlines()]


def _open_major_hazards(events: list[dict[str, Any]], enterprises: Collection[str], as_of: dt.date) -> Counter[str]:
    """Counted from the event file itself, not from the dossier's projections the planner reads: found by
    ``as_of`` and not closed (销号 after a passed re-inspection, or closed after a correction on the spot) nor
    withdrawn by then."""
    found = {e["payload"]["finding_id"]: e["enterprise"] for e in events if e["kind"] == "finding"
             and e["enterprise"] in enterprises and e["payload"]["severity"] == "major_hazard"
             and dt.date.fromisoformat(e["payload"]["date"]) <= as_of}
    gone = {e["payload"]["finding_id"] for e in events
            if (e["kind"] in ("finding.closed", "finding.withdrawn")
                or e["kind"] == "finding.reinspected" and e["payload"]["result"] == "pass")
            and dt.date.fromisoformat(e["payload"]["date"]) <= as_of}
    return Counter(enterprise for fid, enterprise in found.items() if fid not in gone)


def test_the_sample_recheck_campaign_is_the_dossiers_september_enterprises_on_working_days() -> None:
    c = load_campaign(RECHECK_CAMPAIGN)
    september = {e["enterprise"]: e["payload"]["enterprise"] for e in _sample_events()
                 if e["kind"] == "inspection" and e["payload"]["campaign"] == "2024-09"}
    assert {e.id: {"id": e.id, "name": e.name, "county": e.county, "industries": e.industries}
            for e in c.file.enterprises} == {k: {x: v[x] for x in ("id", "name", "county", "industries")}
                                             for k, v in september.items()}
    # the dossier supplies the priorities: the file states none
    assert all((e.open_major_hazards, e.recheck_due) == (0, None) for e in c.file.enterprises)
    assert all(chinese_calendar.is_workday(day) for day in c.days)
    assert dt.date(2024, 10, 12) in c.days  # Saturday, a 调休 working day after National Day
    sample = load_campaign(EXAMPLES / "campaigns" / "linyi-2017-09.yaml")
    assert c.file.counties == sample.file.counties and c.file.travel == sample.file.travel
    assert ([(t.id, t.specialty, [(o.id, o.name, o.certificate) for o in t.officers]) for t in c.file.teams]
            == [(t.id, t.specialty, [(o.id, o.name, o.certificate) for o in t.officers]) for t in sample.file.teams])


def test_the_sample_recheck_campaign_plans_the_dossiers_priorities(sample_dossier: Dossier) -> None:
    c = campaign_with_dossier(load_campaign(RECHECK_CAMPAIGN), sample_dossier, RECHECK_AS_OF)
    events = _sample_events()
    hazards = _open_major_hazards(events, c.enterprise, RECHECK_AS_OF)
    found_on = {e["payload"]["finding_id"]: dt.date.fromisoformat(e["payload"]["date"])
                for e in events if e["kind"] == "finding"}
    due: dict[str, dt.date] = {}
    for item in sample_dossier.due(c.days[-1]):
        if (item.subject == "finding" and item.period in ("reinspection", "resumption-review")
                and item.enterprise_id in c.enterprise and found_on[item.subject_id] <= RECHECK_AS_OF):
            due[item.enterprise_id] = min(item.due_on, due.get(item.enterprise_id, item.due_on))
    assert {e.id: e.open_major_hazards for e in c.file.enterprises if e.open_major_hazards} == dict(hazards)
    assert {e.id: e.recheck_due for e in c.file.enterprises if e.recheck_due and e.recheck_due <= c.days[-1]} == due
    deadlines = {e.id: d for e in c.file.enterprises if (d := c.deadline(e)) is not None}
    overdue = {e.id for e in c.file.enterprises if c.overdue(e)}
    assert deadlines and overdue and hazards  # the sample exercises each kind of priority

    plan = plan_campaign(c)
    assert plan.status == "planned", plan.explanation and plan.explanation.text
    visited = {v.enterprise: v for v in plan.visits}
    assert set(hazards) <= set(visited)
    assert all(visited[eid].date <= day for eid, day in deadlines.items())
    assert check_plan(c, PlanFile(campaign=plan.campaign, team_days=plan.team_days)).ok
    priorities = {eid: v.priority for eid, v in visited.items() if v.priority}
    assert priorities == {e.id: c.priority_text(e) for e in c.file.enterprises if c.is_priority(e)}
    assert len(priorities) == len(set(hazards) | set(deadlines) | overdue)
    assert len(plan.priority_sources) == len(c.file.enterprises)  # the dossier knows every one
