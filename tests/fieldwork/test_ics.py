"""The plan as an iCalendar file: one all-day event per inspection, readable by an iCalendar parser."""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar

from safety_rules import Plan, plan_calendar

STAMP = dt.datetime(2017, 9, 1, 8, 0, tzinfo=dt.UTC)


def test_calendar_has_one_event_per_visit(sample_plan: Plan) -> None:
    plan = sample_plan
    cal = Calendar.from_ical(plan_calendar(plan, STAMP))
    events = list(cal.walk("VEVENT"))
    assert len(events) == len(plan.visits)
    by_uid = {str(e["uid"]): e for e in events}
    food = next(v for v in plan.visits if v.enterprise == "LY-FOOD-012")
    event = by_uid[f"linyi-2017-09.LY-FOOD-012.{food.date.isoformat()}@safety-rules"]
    assert event.decoded("dtstart") == food.date
    assert event.decoded("dtend") == food.date + dt.timedelta(days=1)
    assert event.decoded("dtstamp") == STAMP
    assert str(event["location"]) == "沂南县"
    text = str(event["description"])
    for team in food.teams:
        assert team in text
    assert all(name in text for name in food.escorts) and "执法人员：" in text
    assert sorted(str(c) for c in event["categories"].cats) == sorted(food.teams)


def test_calendar_is_the_same_for_the_same_plan(sample_plan: Plan) -> None:
    assert plan_calendar(sample_plan, STAMP) == plan_calendar(sample_plan, STAMP)
