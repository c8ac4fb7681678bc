"""Read the date and the percentage that staff write into 进展情况 text (docs/rules.md §3.8).

Used only when the ledger has no 最近反馈日期 (or no 完成进度) column: a progress cell whose line
starts with a date (``10月8日：…``, ``【2026.10.8】…``, ``截至9月底，…``) gives the latest feedback
date; a cell ending with a percentage (``完成60%``) gives 完成进度. Anything else gives nothing —
the text stays as typed either way.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date

_YEAR = r"(?:(\d{4})\s*[年.\-/])?\s*"
# 【2026.10.8】 [10.8] （10月8日） — a bracketed date anywhere at the start of a line.
_BRACKETED = re.compile(
    rf"^[【\[(（]\s*{_YEAR}(\d{{1,2}})\s*[月.\-/]\s*(\d{{1,2}})\s*[日号]?\s*[】\])）]"
)
# 10月8日… / 2026年10月8日… — a date in words opens the line.
_IN_WORDS = re.compile(r"^(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]")
# 2026-10-08： 2026.10.8， 10.8： — a date in figures followed by a separator.
_IN_FIGURES = re.compile(
    rf"^{_YEAR}(\d{{1,2}})\s*[.\-/]\s*(\d{{1,2}})\s*(?:[日号])?\s*[:：,，、\s]"
)
# 截至9月底 / 截止10月8日 / 截至2026年9月末
_UP_TO = re.compile(
    r"^截[至止]\s*(?:到)?\s*(?:(\d{4})\s*年)?\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*[日号]|(底|末))"
)
_PERCENT_AT_END = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%\s*[。.；;]?\s*$")


def dated_progress(text: str, today: date) -> date | None:
    """Return the latest date that opens a line of a progress cell, on or before today."""
    found = []
    for line in unicodedata.normalize("NFKC", text).splitlines():
        day = _line_date(line.strip(), today)
        if day is not None:
            found.append(day)
    return max(found, default=None)


def _line_date(line: str, today: date) -> date | None:
    for pattern in (_BRACKETED, _IN_WORDS, _IN_FIGURES):
        if m := pattern.match(line):
            return _settle(m.group(1), m.group(2), m.group(3), today)
    if m := _UP_TO.match(line):
        year, month, day, end = m.groups()
        if end and 1 <= int(month) <= 12:
            last = calendar.monthrange(int(year or today.year), int(month))[1]
            return _settle(year, month, str(last), today)
        return _settle(year, month, day, today)
    return None


def _settle(year: str | None, month: str, day: str, today: date) -> date | None:
    """Build the date; a year left out is this year's, or last year's when that is later than today."""
    try:
        found = date(int(year or today.year), int(month), int(day))
    except ValueError:
        return None
    if year is None and found > today:
        try:
            found = found.replace(year=found.year - 1)
        except ValueError:
            return None
    return found if found <= today else None


def percent_at_end(text: str) -> float | None:
    """Return the percentage a progress cell ends with (``完成60%``), or None."""
    m = _PERCENT_AT_END.search(unicodedata.normalize("NFKC", text))
    if not m:
        return None
    number = float(m.group(1))
    return number if 0 <= number <= 100 else None
