"""Write about a third of the demo's open deadlines in words, as real ledgers do (issue 13).

Each phrase means exactly the date the item's scenario needs, by the rules of
docs/deadlines.md: ``10月底前`` only for a month's last day, ``三季度末`` only for a quarter's,
``10月中旬`` only for the 20th, ``年底前`` only for 31 December, ``10月15日前`` for any other
day. The year is left out only when 交办日期 gives it back (its year, or the next one when the
date would fall before 交办日期; docs/deadlines.md 八), else it is written (``2027年3月底前``).
So a refresh settles on the very date (认定时限) and every demo scenario still holds.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

WORDS_SHARE = 1 / 3
# Open items whose 办结时限 is their 认定时限 (no 延期至): the ones shown in words.
SCENARIOS_IN_WORDS = ("normal", "lagging", "due_soon", "overdue")
_QUARTER = "一二三四"


def deadlines_in_words(rng: random.Random, rows: list[dict]) -> None:
    """Write a third of the open items' dated 办结时限 in words; keep the date as ``_deadline_date``."""
    candidates = [
        r
        for r in rows
        if r["_scenario"] in SCENARIOS_IN_WORDS
        and isinstance(r.get("deadline"), date)
        and not r.get("extended_to")
    ]
    for row in rng.sample(candidates, round(len(candidates) * WORDS_SHARE)):
        row["_deadline_date"] = row["deadline"]
        row["deadline"] = in_words(rng, row["deadline"], row["assigned_on"])


def in_words(rng: random.Random, day: date, assigned: date) -> str:
    """Return a phrase of docs/deadlines.md that means ``day`` for an item assigned on ``assigned``."""
    year = "" if _year_implied(day, assigned) else f"{day.year}年"
    month_end = (day + timedelta(days=1)).day == 1
    if (day.month, day.day) == (12, 31):
        forms = [f"{day.year}年底"] if year else ["年底前", "年末", "12月底前"]
    elif month_end and day.month % 3 == 0:
        quarter = _QUARTER[day.month // 3 - 1]
        forms = [f"{year}{quarter}季度末", f"{year}第{quarter}季度"]
    elif month_end:
        forms = [f"{year}{day.month}月底前", f"{year}{day.month}月底", f"{year}{day.month}月末"]
    elif day.day in (10, 20):
        xun = "上" if day.day == 10 else "中"
        forms = [f"{year}{day.month}月{xun}旬", f"{year}{day.month}月{xun}旬前"]
    else:
        forms = [f"{year}{day.month}月{day.day}日前", f"{year}{day.month}月{day.day}日之前"]
    return rng.choice(forms)


def _year_implied(day: date, assigned: date) -> bool:
    """Tell whether the year rule gives ``day``'s year back from 交办日期 when it is left out."""
    if day.year == assigned.year:
        return day >= assigned
    if day.year == assigned.year + 1:
        try:
            return day.replace(year=assigned.year) < assigned
        except ValueError:  # 29 February
            return False
    return False
