"""The days the festivals named in deadlines fall on (春节, 清明, 端午, 中秋; 元旦, 五一, 国庆 are fixed).

``last_workday_before`` answers "国庆节前" and the like: the last working day before the
festival's rest period begins, in the calendar in use (chinesecalendar + 节假日调整). The
rest period is the run of non-working days that ends on the festival's statutory day, so
walking back from the day before that statutory day to the first working day finds it,
whether the rest starts on a weekday, a weekend, or merges with another holiday (中秋 2025
falls inside the 国庆 rest).

The statutory day is the first day the State Council's 《全国年节及纪念日放假办法》 gives
as a holiday: 1 January, 5月1日, 10月1日, and the lunar/solar-term days below. Since its
2024 revision (国务院令第795号, in force 2025-01-01) 除夕 is a statutory holiday too, so from
2025 the 春节 rest begins on 除夕 at the latest; before 2025 it began on 正月初一 at the
latest. This matters only for years chinesecalendar does not cover (Monday–Friday fallback),
where the calendar does not know the holiday itself.

``_TABLE``: Gregorian dates of 正月初一, 清明 (solar term), 五月初五 (端午) and 八月十五 (中秋)
for 2000–2099, as published in the Purple Mountain Observatory's 《中国天文年历》 and computed
by the rules of GB/T 33661-2017《农历的编算和颁行》. Generated with the ``lunardate`` package
and cross-checked against ``lunar-python`` (all 300 lunar dates agree), against
``chinese_calendar.get_solar_terms`` (all 100 清明 dates agree) and against chinesecalendar's
official holiday lists for 2004–2026 (each date is inside its festival's holiday).
"""

from __future__ import annotations

from datetime import date, timedelta

from automation.rules.workdays import WorkCalendar

# Canonical festival keys, and the words staff write for them (after NFKC, no spaces).
NEW_YEAR, SPRING, QINGMING, LABOUR, DRAGON_BOAT, MID_AUTUMN, NATIONAL = (
    "元旦",
    "春节",
    "清明节",
    "劳动节",
    "端午节",
    "中秋节",
    "国庆节",
)
ALIASES = {
    "元旦": NEW_YEAR,
    "新年": NEW_YEAR,
    "春节": SPRING,
    "清明": QINGMING,
    "五一劳动": LABOUR,
    "五一": LABOUR,
    "劳动": LABOUR,
    "端午": DRAGON_BOAT,
    "中秋": MID_AUTUMN,
    "国庆": NATIONAL,
    "十一": NATIONAL,
}
_FIXED = {NEW_YEAR: (1, 1), LABOUR: (5, 1), NATIONAL: (10, 1)}
_COLUMNS = (SPRING, QINGMING, DRAGON_BOAT, MID_AUTUMN)
# 除夕 became a statutory holiday in the 2024 revision, in force from 2025 (see above).
_EVE_HOLIDAY_FROM = 2025
_LONGEST_REST = 60  # days; a longer run of non-working days is a broken 节假日调整 sheet

_TABLE = """
2000 0205 0404 0606 0912
2001 0124 0405 0625 1001
2002 0212 0405 0615 0921
2003 0201 0405 0604 0911
2004 0122 0404 0622 0928
2005 0209 0405 0611 0918
2006 0129 0405 0531 1006
2007 0218 0405 0619 0925
2008 0207 0404 0608 0914
2009 0126 0404 0528 1003
2010 0214 0405 0616 0922
2011 0203 0405 0606 0912
2012 0123 0404 0623 0930
2013 0210 0404 0612 0919
2014 0131 0405 0602 0908
2015 0219 0405 0620 0927
2016 0208 0404 0609 0915
2017 0128 0404 0530 1004
2018 0216 0405 0618 0924
2019 0205 0405 0607 0913
2020 0125 0404 0625 1001
2021 0212 0404 0614 0921
2022 0201 0405 0603 0910
2023 0122 0405 0622 0929
2024 0210 0404 0610 0917
2025 0129 0404 0531 1006
2026 0217 0405 0619 0925
2027 0206 0405 0609 0915
2028 0126 0404 0528 1003
2029 0213 0404 0616 0922
2030 0203 0405 0605 0912
2031 0123 0405 0624 1001
2032 0211 0404 0612 0919
2033 0131 0404 0601 0908
2034 0219 0405 0620 0927
2035 0208 0405 0610 0916
2036 0128 0404 0530 1004
2037 0215 0404 0618 0924
2038 0204 0405 0607 0913
2039 0124 0405 0527 1002
2040 0212 0404 0614 0920
2041 0201 0404 0603 0910
2042 0122 0404 0622 0928
2043 0210 0405 0611 0917
2044 0130 0404 0531 1005
2045 0217 0404 0619 0925
2046 0206 0404 0608 0915
2047 0126 0405 0529 1004
2048 0214 0404 0615 0922
2049 0202 0404 0604 0911
2050 0123 0404 0623 0930
2051 0211 0405 0613 0919
2052 0201 0404 0601 0907
2053 0219 0404 0620 0926
2054 0208 0404 0610 0916
2055 0128 0405 0530 1005
2056 0215 0404 0617 0924
2057 0204 0404 0606 0913
2058 0124 0404 0625 1002
2059 0212 0405 0614 0921
2060 0202 0404 0603 0909
2061 0121 0404 0622 0928
2062 0209 0404 0611 0917
2063 0129 0405 0601 1006
2064 0217 0404 0619 0925
2065 0205 0404 0608 0915
2066 0126 0404 0528 1003
2067 0214 0405 0616 0923
2068 0203 0404 0604 0911
2069 0123 0404 0623 0929
2070 0211 0404 0613 0919
2071 0131 0405 0602 0908
2072 0219 0404 0620 0926
2073 0207 0404 0610 0916
2074 0127 0404 0530 1005
2075 0215 0404 0617 0924
2076 0205 0404 0606 0912
2077 0124 0404 0624 1001
2078 0212 0404 0614 0920
2079 0202 0404 0604 0910
2080 0122 0404 0622 0928
2081 0209 0404 0611 0917
2082 0129 0404 0601 1006
2083 0217 0404 0619 0926
2084 0206 0404 0607 0914
2085 0126 0404 0527 1003
2086 0214 0404 0615 0922
2087 0203 0404 0605 0911
2088 0124 0404 0623 0929
2089 0210 0404 0613 0918
2090 0130 0404 0602 0908
2091 0218 0404 0621 0927
2092 0207 0404 0609 0916
2093 0127 0404 0529 1005
2094 0215 0404 0617 0924
2095 0205 0404 0606 0913
2096 0125 0404 0624 0930
2097 0212 0404 0614 0920
2098 0201 0404 0604 0909
2099 0121 0404 0623 0929
"""
_DAYS: dict[int, tuple[str, ...]] = {
    int(year): tuple(days) for year, *days in (line.split() for line in _TABLE.split("\n") if line)
}
FIRST_YEAR, LAST_YEAR = min(_DAYS), max(_DAYS)


def festival_day(festival: str, year: int) -> date:
    """Return the statutory day the festival's rest period ends on at the latest, in ``year``."""
    if festival in _FIXED:
        return date(year, *_FIXED[festival])
    days = _DAYS.get(year)
    if days is None:
        raise ValueError(f"没有 {year} 年{festival}的日期（只有 {FIRST_YEAR}–{LAST_YEAR} 年）")
    mmdd = days[_COLUMNS.index(festival)]
    day = date(year, int(mmdd[:2]), int(mmdd[2:]))
    if festival == SPRING and year >= _EVE_HOLIDAY_FROM:
        day -= timedelta(days=1)  # 除夕
    return day


def last_workday_before(festival: str, year: int, calendar: WorkCalendar) -> date:
    """Return the last working day before the festival's rest period in ``year`` begins."""
    day = festival_day(festival, year) - timedelta(days=1)
    for _ in range(_LONGEST_REST):
        if calendar.is_workday(day):
            return day
        day -= timedelta(days=1)
    raise ValueError(f"{year} 年{festival}前连续 {_LONGEST_REST} 天都不是工作日，请检查节假日调整")
