"""Working days in the Chinese official calendar, with the 节假日调整 sheet on top (docs/rules.md §2).

The base calendar is ``chinesecalendar`` (official holidays and 调休 make-up working
days). Overrides from the 节假日调整 sheet win over it. A year that neither covers falls
back to Monday–Friday and is recorded in ``fallback_years`` so the engine can say so.

Counting is the hot path (tens of thousands of items per refresh), so each year is
built once into a per-day flag list and a cumulative count table: ``workdays_after``
is then a couple of list look-ups per year spanned.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import TypeVar, cast

import chinese_calendar

_ONE_DAY = timedelta(days=1)
_NOT_YET = object()  # a memo entry not computed yet (None is a valid answer)
T = TypeVar("T")


def _days_in(year: int) -> int:
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


@functools.cache
def _official_flags(year: int) -> tuple[bool, ...] | None:
    """Return chinesecalendar's working-day flags for a year, or None when it has no data."""
    first = date(year, 1, 1)
    try:
        return tuple(
            chinese_calendar.is_workday(first + timedelta(days=i)) for i in range(_days_in(year))
        )
    except NotImplementedError:
        return None


class _Year:
    """One year's working-day flags and cumulative counts, indexed by day of year (0-based)."""

    __slots__ = ("first", "flags", "upto", "total")

    def __init__(self, first: int, flags: list[bool]):
        self.first = first  # ordinal of 1 January
        self.flags = flags
        upto = [0] * len(flags)  # upto[i] = working days among days 0..i
        running = 0
        for i, working in enumerate(flags):
            running += working
            upto[i] = running
        self.upto = upto
        self.total = running


class WorkCalendar:
    """The official working-day calendar, overridden by staff entries (date -> True for 班)."""

    def __init__(self, overrides: Mapping[date, bool] = {}):  # noqa: B006 - never mutated
        self._overrides = {d: bool(v) for d, v in overrides.items()}
        self._override_years = {d.year for d in self._overrides}
        self._years: dict[int, _Year] = {}
        self.fallback_years: set[int] = set()
        self._memo: dict[tuple, object] = {}  # see memoised()

    def memoised(self, key: tuple, compute: Callable[[], T]) -> T:
        """Return compute(), worked out once per calendar for this key.

        Items share a few cadences, deadline phrasings and a few hundred dates, so a refresh
        asks the same node and deadline questions tens of thousands of times. The answers
        depend only on the arguments named in the key and on this calendar's overrides,
        hence the cache lives on the instance.
        """
        found = self._memo.get(key, _NOT_YET)  # one look-up: hashing the key is not free
        if found is _NOT_YET:
            found = self._memo[key] = compute()
        return cast(T, found)  # what compute() returned for this key

    # --- building ---------------------------------------------------------------------

    def _year(self, year: int) -> _Year:
        built = self._years.get(year)
        if built is None:
            built = self._years[year] = self._build(year)
        return built

    def _build(self, year: int) -> _Year:
        first = date(year, 1, 1)
        official = _official_flags(year)
        if official is None:
            # chinesecalendar has no data for this year: Monday–Friday, unless staff
            # entered the year's schedule, in which case it is not a silent fallback.
            flags = [(first + timedelta(days=i)).weekday() < 5 for i in range(_days_in(year))]
            if year not in self._override_years:
                self.fallback_years.add(year)
        else:
            flags = list(official)
        if year in self._override_years:
            for d, working in self._overrides.items():
                if d.year == year:
                    flags[(d - first).days] = working
        return _Year(first.toordinal(), flags)

    def _upto(self, d: date) -> int:
        """Count working days from 1 January of d's year through d (inclusive)."""
        y = self._year(d.year)
        return y.upto[d.toordinal() - y.first]

    # --- queries ----------------------------------------------------------------------

    def is_workday(self, d: date) -> bool:
        """Tell whether d is a working day (调休 make-up days included)."""
        y = self._year(d.year)
        return y.flags[d.toordinal() - y.first]

    def workdays_after(self, a: date, b: date) -> int:
        """Count working days in (a, b]: a excluded, b included; 0 when b <= a."""
        if b <= a:
            return 0
        if a.year == b.year:
            return self._upto(b) - self._upto(a)
        count = self._year(a.year).total - self._upto(a)
        for year in range(a.year + 1, b.year):
            count += self._year(year).total
        return count + self._upto(b)

    def roll_forward(self, d: date) -> date:
        """Return d if it is a working day, else the next working day (遇节假日顺延)."""
        y = self._year(d.year)
        i = d.toordinal() - y.first
        if i < len(y.flags) and y.flags[i]:
            return d
        while not self.is_workday(d):
            d += _ONE_DAY
        return d

    def add_workdays(self, d: date, n: int) -> date:
        """Return the date n working days after d (before d when n is negative; d when 0)."""
        step = _ONE_DAY if n >= 0 else -_ONE_DAY
        remaining = abs(n)
        while remaining:
            d += step
            if self.is_workday(d):
                remaining -= 1
        return d
