"""``safety-rules plan`` end to end: the sample campaign, the hand-made plan, an over-full campaign."""

from __future__ import annotations

import json
from pathlib import Path

from icalendar import Calendar

from ..conftest import EXAMPLES, FIXTURES
from ..conftest import run_cli as run

SAMPLE = str(EXAMPLES / "campaigns" / "linyi-2017-09.yaml")
HANDMADE = str(EXAMPLES / "campaigns" / "linyi-2017-09-handmade.yaml")


def test_plan_json_and_calendar_then_check_the_json(tmp_path: Path) -> None:
    ics = tmp_path / "new-folder" / "plan.ics"
    code, out, _ = run("plan", SAMPLE, "-f", "json", "--ics", str(ics))
    assert code == 0
    plan = json.loads(out)
    assert plan["status"] == "planned" and plan["objective"]["proven_optimal"]["travel"] is True
    assert len(list(Calendar.from_ical(ics.read_bytes()).walk("VEVENT"))) == len(plan["visits"])
    saved = tmp_path / "plan.json"
    saved.write_text(out, encoding="utf-8")
    code, out, _ = run("plan", SAMPLE, "--check", str(saved))
    assert code == 0 and "没有违反规则" in out


def test_plan_table() -> None:
    code, out, _ = run("plan", SAMPLE)
    assert code == 0
    assert "已排定" in out and "2017-09-04 星期一" in out and "危化组" in out and "★ 重大事故隐患未销号" in out
    assert "annual-cap：本年已检查 4 次" in out and "双随机抽取（公开种子" in out


def test_check_handmade_plan_lists_every_broken_rule() -> None:
    code, out, _ = run("plan", SAMPLE, "--check", HANDMADE)
    assert code == 1
    assert "涉及 17 条" in out
    assert f"{HANDMADE}:20: team-day-visits: 2017-09-05 冶炼组 罗庄区" in out
    code, out, _ = run("plan", SAMPLE, "--check", HANDMADE, "-f", "json")
    assert code == 1 and len({v["rule"] for v in json.loads(out)["violations"]}) == 17


def test_overfull_campaign_is_explained_and_fails(tmp_path: Path) -> None:
    ics = tmp_path / "none.ics"
    code, out, err = run("plan", str(FIXTURES / "overfull_campaign.yaml"), "--ics", str(ics))
    assert code == 1 and not ics.exists()
    assert "排不下" in out and "✗ hazchem（危化组）：需检查 5 家" in out
    assert "coverage（列入本次检查的企业都要检查到）：HC-1 化工一" in out
    assert "team-day-visits（每组每天不超过 2 家企业）：危化组" in out
    assert "no plan, so no calendar" in err


def test_unwritable_calendar_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    code, _, err = run("plan", str(FIXTURES / "small_campaign.yaml"), "--ics", str(blocker / "plan.ics"))
    assert code == 2 and "cannot write the calendar" in err


def test_bad_files_are_clear_errors() -> None:
    bad = FIXTURES / "broken_campaigns" / "unknown_industry.yaml"
    code, _, err = run("plan", str(bad))
    assert code == 2 and f"{bad}:7" in err and "did you mean 'dust'" in err
    plan = FIXTURES / "broken_plans" / "wrong_campaign.yaml"
    code, _, err = run("plan", str(FIXTURES / "small_campaign.yaml"), "--check", str(plan))
    assert code == 2 and "the plan is for campaign 'linyi-2017-09'" in err


def test_schemas() -> None:
    for kind, key in (("campaign", "teams"), ("plan", "team_days")):
        code, out, _ = run("schema", kind)
        assert code == 0 and key in json.loads(out)["properties"]
