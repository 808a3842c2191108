"""Chinese working days: holidays, make-up working days (调休), working hours, and the Monday to
Friday fallback for a year the calendar does not cover."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from handlers.reviews.workdays import (
    SHANGHAI,
    add_workdays,
    covered,
    in_working_hours,
    is_makeup_workday,
    is_workday,
    local_date,
    workdays_between,
)


def test_three_working_days_across_national_day_2025_end_on_the_make_up_saturday() -> None:
    due = add_workdays(date(2025, 9, 30), 3)
    assert due.day == date(2025, 10, 11) and not due.estimated
    assert is_makeup_workday(date(2025, 10, 11)) and is_makeup_workday(date(2025, 9, 28))
    assert not any(is_workday(date(2025, 10, d)) for d in range(1, 9))
    assert not is_workday(date(2025, 10, 12))  # an ordinary Sunday


def test_counting_working_days_between_two_days() -> None:
    assert workdays_between(date(2025, 9, 30), date(2025, 10, 11)) == 3
    assert workdays_between(date(2025, 10, 11), date(2025, 10, 13)) == 1
    assert workdays_between(date(2025, 10, 11), date(2025, 10, 11)) == 0
    assert workdays_between(date(2025, 10, 13), date(2025, 10, 11)) == 0


def test_working_hours_are_nine_to_six_in_shanghai_on_working_days() -> None:
    monday = datetime(2025, 10, 13, tzinfo=SHANGHAI)
    assert not in_working_hours(monday.replace(hour=8, minute=59))
    assert in_working_hours(monday.replace(hour=9))
    assert in_working_hours(monday.replace(hour=17, minute=59))
    assert not in_working_hours(monday.replace(hour=18))
    assert not in_working_hours(datetime(2025, 10, 3, 10, tzinfo=SHANGHAI))  # National Day
    assert in_working_hours(datetime(2025, 10, 11, 10, tzinfo=SHANGHAI))  # make-up Saturday
    # 01:30 UTC is 09:30 in Shanghai.
    assert in_working_hours(datetime(2025, 10, 13, 1, 30, tzinfo=UTC))
    assert local_date(datetime(2025, 10, 12, 16, 30, tzinfo=UTC)) == date(2025, 10, 13)


def test_a_year_without_an_official_schedule_counts_statutory_holidays_and_says_so() -> None:
    assert covered(date(2025, 1, 1)) and covered(date(2026, 12, 31))
    assert not covered(date(2027, 1, 1)) and not covered(date(2099, 1, 1))
    due = add_workdays(date(2099, 12, 30), 3)  # Wednesday; Friday 1 January 2100 is 元旦
    assert due.day == date(2100, 1, 5) and due.estimated_years == (2099, 2100)
    assert not is_workday(date(2100, 1, 1)) and not is_workday(date(2100, 1, 2))
    assert not is_makeup_workday(date(2100, 1, 2))


def test_across_2026_into_2027_new_years_day_and_spring_festival_are_days_off() -> None:
    due = add_workdays(date(2026, 12, 29), 3)
    assert due.day == date(2027, 1, 4) and due.estimated_years == (2027,)
    assert not is_workday(date(2027, 1, 1))
    assert not any(is_workday(date(2027, 2, day)) for day in range(5, 11))  # 春节 2027
    assert not in_working_hours(datetime(2027, 2, 8, 10, tzinfo=SHANGHAI))
    assert in_working_hours(datetime(2027, 2, 15, 10, tzinfo=SHANGHAI))


@given(st.dates(min_value=date(2005, 1, 1), max_value=date(2025, 12, 1)),
       st.integers(min_value=1, max_value=10))
def test_the_due_date_is_a_working_day_exactly_n_working_days_later(start: date, n: int) -> None:
    due = add_workdays(start, n)
    assert is_workday(due.day) and due.day > start
    assert workdays_between(start, due.day) == n
    assert workdays_between(start, due.day - timedelta(days=1)) == n - 1
