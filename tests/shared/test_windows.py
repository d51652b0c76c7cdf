"""Effective-date windows at the ends of the calendar."""

from __future__ import annotations

import datetime as dt

from safety_rules.shared._windows import Window, day_after, day_before, effective_windows, overlaps_and_gaps


def test_days_at_the_ends_of_the_calendar() -> None:
    assert day_after(dt.date.max) is None and day_before(dt.date.min) is None
    assert day_after(dt.date(2024, 2, 28)) == dt.date(2024, 2, 29)
    assert day_before(dt.date(2024, 3, 1)) == dt.date(2024, 2, 29)


def test_windows_touching_the_ends_of_the_calendar() -> None:
    windows = effective_windows([(dt.date(2020, 1, 1), None), (dt.date.min, dt.date.max)])
    assert windows[0] == Window(dt.date(2020, 1, 1), dt.date.min)
    assert overlaps_and_gaps(windows)  # reported, not raised
    assert overlaps_and_gaps(effective_windows([(dt.date.min, dt.date(2020, 1, 1)),
                                                (dt.date(2020, 1, 2), dt.date.max)])) == []
