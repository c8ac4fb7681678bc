"""Working days: the official calendar (cross-checked against `holidays`), overrides, fallback.

`holidays.China` models 调休 make-up working days too (its ``weekend_workdays`` and the
"Day off (substituted from …)" entries), so ``is_working_day`` is compared day by day.
"""

from datetime import date, timedelta

import holidays
import pytest

from automation.rules.workdays import WorkCalendar


@pytest.mark.parametrize("year", [2024, 2025, 2026])
def test_every_day_matches_the_holidays_package(year):
    cal = WorkCalendar()
    china = holidays.China(years=year)
    day, differing = date(year, 1, 1), []
    while day.year == year:
        if cal.is_workday(day) != china.is_working_day(day):
            differing.append(day)
        day += timedelta(days=1)
    assert differing == []
    assert cal.fallback_years == set()


@pytest.mark.parametrize(
    ("year", "total"),
    [
        # weekdays − official weekday holidays + 调休 weekend working days, from the notices
        pytest.param(2024, 262 - 19 + 8, id="2024"),
        pytest.param(2025, 261 - 18 + 5, id="2025"),
        pytest.param(2026, 261 - 19 + 6, id="2026"),
    ],
)
def test_working_days_in_a_year(year, total):
    assert WorkCalendar().workdays_after(date(year - 1, 12, 31), date(year, 12, 31)) == total


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        pytest.param(date(2026, 10, 3), date(2026, 10, 8), id="national-day-saturday"),
        pytest.param(date(2026, 10, 10), date(2026, 10, 10), id="make-up-saturday-is-working"),
        pytest.param(date(2026, 2, 15), date(2026, 2, 24), id="spring-festival-2026"),
        pytest.param(date(2026, 11, 21), date(2026, 11, 23), id="plain-weekend"),
        pytest.param(date(2026, 11, 23), date(2026, 11, 23), id="working-day-unchanged"),
    ],
)
def test_roll_forward(d, expected):
    assert WorkCalendar().roll_forward(d) == expected


@pytest.mark.parametrize(
    ("d", "n", "expected"),
    [
        pytest.param(date(2026, 9, 30), 2, date(2026, 10, 9), id="over-national-day"),
        pytest.param(date(2026, 10, 9), -2, date(2026, 9, 30), id="backwards"),
        pytest.param(date(2026, 10, 9), 1, date(2026, 10, 10), id="onto-make-up-saturday"),
        pytest.param(date(2026, 10, 3), 0, date(2026, 10, 3), id="zero"),
    ],
)
def test_add_workdays(d, n, expected):
    assert WorkCalendar().add_workdays(d, n) == expected


def test_reversed_or_equal_range_counts_zero():
    cal = WorkCalendar()
    assert cal.workdays_after(date(2026, 10, 9), date(2026, 10, 9)) == 0
    assert cal.workdays_after(date(2026, 10, 9), date(2026, 9, 30)) == 0


def test_a_year_without_data_falls_back_to_monday_to_friday_and_is_recorded():
    cal = WorkCalendar()
    assert cal.is_workday(date(2027, 1, 1))  # a Friday; the real 2027 元旦 is unknown here
    assert not cal.is_workday(date(2027, 1, 2))
    assert cal.workdays_after(date(2026, 12, 31), date(2027, 1, 8)) == 6
    assert cal.fallback_years == {2027}


def test_overrides_cover_a_year_and_win_over_the_builtin_calendar():
    cal = WorkCalendar({date(2027, 1, 1): False, date(2026, 10, 9): False, date(2026, 10, 3): True})
    assert not cal.is_workday(date(2027, 1, 1))
    assert cal.is_workday(date(2027, 1, 4))  # Monday, not overridden: Mon–Fri base
    # (09-30, 10-09]: 10-03 is now 班, 10-08 as before, 10-09 is now 休
    assert cal.workdays_after(date(2026, 9, 30), date(2026, 10, 9)) == 2
    assert cal.roll_forward(date(2026, 10, 2)) == date(2026, 10, 3)
    assert cal.fallback_years == set()


def test_years_before_2004_fall_back_too():
    cal = WorkCalendar()
    assert cal.is_workday(date(2003, 10, 1))  # a Wednesday, unknown to chinesecalendar
    assert cal.fallback_years == {2003}
