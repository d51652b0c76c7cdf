"""Deadlines counted as the law counts them: working days across holidays, 调休 and year ends."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safety_rules import Rulebook
from safety_rules.dossier._deadlines import DeadlineTable, add_working_days, is_workday, later
from safety_rules.shared._errors import CalendarError


@pytest.fixture(scope="module")
def table(book: Rulebook) -> DeadlineTable:
    return DeadlineTable(book.law)


def test_working_days_skip_national_day_and_count_the_adjusted_sunday(table: DeadlineTable) -> None:
    d = table.deadline("hearing-request", dt.date(2024, 9, 27))  # 5 工作日 (行政处罚法 2021 第八十五条)
    assert d.due == dt.date(2024, 10, 10) and d.checked
    assert is_workday(dt.date(2024, 9, 29)) and is_workday(dt.date(2024, 10, 12))  # 调休 workdays


def test_working_days_across_the_year_end(table: DeadlineTable) -> None:
    assert table.deadline("delivery", dt.date(2024, 12, 31)).due == dt.date(2025, 1, 10)  # 1 Jan skipped
    assert table.deadline("court-demand-wait", dt.date(2024, 12, 31)).due == dt.date(2025, 1, 15)


def test_the_counting_follows_the_edition_in_force(table: DeadlineTable) -> None:
    old = table.deadline("hearing-request", dt.date(2017, 9, 29))  # 3 calendar days before 2021-07-15
    assert old.due == dt.date(2017, 10, 2) and "第四十二条" in old.provision


def test_review_period_rolls_off_a_holiday(table: DeadlineTable) -> None:
    assert table.deadline("review-application", dt.date(2024, 8, 2)).due == dt.date(2024, 10, 8)


def test_unverified_periods_are_flagged(table: DeadlineTable) -> None:
    d = table.deadline("reinspection", dt.date(2024, 10, 1))
    assert not d.checked and d.basis.endswith("[未核实]") and "凭记忆" in (d.note or "")
    assert not table.deadline("decision", dt.date(2026, 3, 2)).checked  # 18号令: text not found


def test_later_of(table: DeadlineTable) -> None:
    a, b = table.deadline("review-application", dt.date(2024, 1, 10)), table.deadline("direct-suit",
                                                                                    dt.date(2024, 1, 10))
    assert later(a, b) is b and later(b, a) is b


def test_a_year_outside_the_calendar_is_a_clear_error_for_the_calendar_itself() -> None:
    with pytest.raises(CalendarError, match="year 2099"):
        is_workday(dt.date(2099, 1, 5))


def test_a_deadline_reaching_an_uncovered_year_is_provisional_and_flagged(table: DeadlineTable) -> None:
    # 5 工作日 from Friday 2099-12-25: the calendar has no 2099/2100 holidays, so Monday to Friday count
    d = table.deadline("hearing-request", dt.date(2099, 12, 25))
    assert d.due == dt.date(2100, 1, 1) and not d.checked
    assert "2099、2100年的节假日安排" in (d.note or "") and d.basis.endswith("[未核实]")
    # a period wholly inside covered years is unaffected
    assert table.deadline("hearing-request", dt.date(2024, 9, 27)).checked


@given(st.dates(dt.date(2005, 1, 1), dt.date(2025, 12, 1)), st.integers(0, 15))
def test_working_day_arithmetic(start: dt.date, n: int) -> None:
    end = add_working_days(start, n)
    between = [start + dt.timedelta(days=i) for i in range(1, (end - start).days + 1)]
    assert sum(map(is_workday, between)) == n
    assert n == 0 or is_workday(end)
