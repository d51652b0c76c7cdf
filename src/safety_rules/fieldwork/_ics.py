"""A plan as an iCalendar file (RFC 5545, written by the ``icalendar`` package).

One all-day event per inspection: the enterprise and its county, every team it needs,
the officers and the 陪检人员. Event ids are stable (campaign, enterprise, day), so a
calendar imported again after re-planning updates the same events. The calendar is for
the teams: inspections are unannounced (四不两直), so it is not to be shared with the
enterprises or the county offices before the day.
"""

from __future__ import annotations

import datetime as dt

from icalendar import Calendar, Event

from ._plan import Plan

PRODID = "-//safety-rules//campaign plan//ZH"


def plan_calendar(plan: Plan, stamp: dt.datetime | None = None) -> bytes:
    """The plan's visits as iCalendar bytes; ``stamp``: the DTSTAMP (default: now, UTC)."""
    stamp = stamp or dt.datetime.now(dt.UTC)
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", plan.title)
    for v in plan.visits:
        event = Event()
        event.add("uid", f"{plan.campaign}.{v.enterprise}.{v.date.isoformat()}@safety-rules")
        event.add("dtstamp", stamp)
        event.add("dtstart", v.date)
        event.add("dtend", v.date + dt.timedelta(days=1))
        event.add("summary", f"检查 {v.enterprise_name}（{v.county}）")
        event.add("location", v.county)
        event.add("categories", v.teams)
        lines = [f"企业：{v.enterprise} {v.enterprise_name}", f"县区：{v.county}", f"行业：{'、'.join(v.industries)}",
                 f"检查组：{'、'.join(v.teams)}", f"执法人员：{'、'.join(v.officers)}",
                 f"陪检人员：{'、'.join(v.escorts) or '（无）'}"]
        if v.priority:
            lines.append(f"重点：{v.priority}")
        event.add("description", "\n".join(lines))
        cal.add_component(event)
    return bytes(cal.to_ical())
