"""Feedback cadence (反馈周期): parse the free text and list its nodes (docs/rules.md §7).

Accepted forms (full-width digits, spaces, ``号`` for ``日`` and the separators
``、，,；;和及`` are tolerated, as are a trailing ``前`` and a trailing
``反馈``/``报送``/``上报`` word):

- ``无``, ``一次性``, blank — no periodic feedback (kind ``none``);
- ``每周五`` / ``每周星期五`` / ``每周周五`` — weekly on that weekday;
- ``每两周`` — every 14 days counted from 交办日期 (the first node is 交办日期 + 14
  days); ``每两周周五`` — every other Friday counted from the first Friday on or after
  交办日期 (the first node is two weeks after that Friday);
- ``每月10日``, ``每月10日、25日``, ``每月10日前``, ``每月底``/``每月末`` — monthly on
  those days; a day the month does not have (31, 30, 29) means the month's last day;
- ``每季度``/``每季度末`` — 3/31, 6/30, 9/30, 12/31; ``每季度末月10日`` — 3/10, 6/10,
  9/10, 12/10; ``每季度首月10日`` — 1/10, 4/10, 7/10, 10/10;
- ``每半年`` — 6/30 and 12/31;
- explicit dates ``4月10日、7月10日、10月10日、12月10日`` (optionally ``每年`` first),
  repeating every year.

Anything else raises ``ValueError`` with a Chinese sentence naming these forms; the
reader turns it into a 校验问题 row. ``每周`` or ``每月`` without a day is rejected
rather than guessed.

A node on a non-working day moves to the next working day (遇节假日顺延). An item's
series of nodes starts with the first node *scheduled* on or after 交办日期 (an item
assigned on Monday 2026-09-28 with 每周五 is not due on that Monday for the 中秋 Friday
before it). A feedback covers the first (moved) node on or after its date, so a report
on Sunday 09-06 covers the 09-05 node moved to 09-07; 下次反馈日 is the node after the
one covered by the latest feedback, or with no feedback the first node of the series.
Feedback dated before 交办日期 covers nothing.
"""

from __future__ import annotations

import calendar
import heapq
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta

from automation.models import Cadence
from automation.rules.workdays import WorkCalendar

ACCEPTED_FORMS = (
    "“无”“一次性”“每周五”“每两周”“每月10日”“每月10日、25日”“每月10日前”“每季度”"
    "“每季度末月10日”，或具体日期如“4月10日、7月10日、10月10日、12月10日”"
)

_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "七": 6}
_CN_DIGITS = {
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_NONE_WORDS = {"", "无", "一次性", "不定期"}
_SUFFIX = re.compile(r"(?:反馈|报送|上报|报告)(?:一次|1次)?(?:进展|进度|情况)?$")
_SEPARATORS = re.compile(r"[，,、；;和及/]+")
_NUMBER = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_WEEKDAY = r"(?:星期|周|礼拜)?([一二三四五六日天七])"

_WEEKLY = re.compile(rf"每周{_WEEKDAY}")
_BIWEEKLY = re.compile(rf"每(?:两|2|二)周(?:{_WEEKDAY})?")
_MONTH_DAYS = re.compile(rf"每(?:个)?月((?:{_NUMBER}日?、?)+)")
_MONTH_END = re.compile(r"每(?:个)?月(?:底|末|最后一天)")
_QUARTER = re.compile(r"每(?:个)?季度(?:末)?")
_QUARTER_DAYS = re.compile(rf"每(?:个)?季度(末月|首月|第一个月|最后一个月)((?:{_NUMBER}日?、?)+)")
_HALF_YEAR = re.compile(r"每半年(?:末)?")
_MONTH_DAY = re.compile(rf"{_NUMBER}月{_NUMBER}日")
_DATE_LIST = re.compile(rf"(?:每年)?((?:{_NUMBER}月{_NUMBER}日、?)+)")

QUARTER_ENDS = ((3, 31), (6, 30), (9, 30), (12, 31))
_ONE_DAY = timedelta(days=1)


def _fail(text: str) -> ValueError:
    return ValueError(f"反馈周期“{text}”无法识别，可填写：{ACCEPTED_FORMS}")


def _number(token: str) -> int:
    """Turn "10", "十", "二十五" into an int."""
    if token.isdigit():
        return int(token)
    if "十" in token:
        tens, _, ones = token.partition("十")
        if len(tens) > 1 or len(ones) > 1:
            raise ValueError(token)
        return (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    if len(token) != 1:
        raise ValueError(token)
    return _CN_DIGITS[token]


def _days(text: str, original: str) -> tuple[int, ...]:
    days = sorted({_number(t) for t in re.findall(_NUMBER, text)})
    if not days or days[0] < 1 or days[-1] > 31:
        raise ValueError(f"反馈周期“{original}”中的日期应在1日至31日之间，可填写：{ACCEPTED_FORMS}")
    return tuple(days)


def _normalise(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = re.sub(r"\s+", "", s).replace("号", "日").replace("星期天", "星期日")
    s = _SEPARATORS.sub("、", s).strip("、")
    s = re.sub(r"(?:之?前|以前|前后)$", "", s)
    s = _SUFFIX.sub("", s)
    return re.sub(r"(?:之?前|以前)$", "", s).strip("、")


def parse_cadence(text: str) -> Cadence:
    """Parse a 反馈周期 text into a Cadence, or raise ValueError naming the accepted forms."""
    original = "" if text is None else str(text)
    s = _normalise(original)
    if s in _NONE_WORDS:
        return Cadence(original, "none")
    try:
        return _parse(s, original)
    except (KeyError, ValueError) as e:
        if str(e).startswith("反馈周期"):
            raise
        raise _fail(original) from None


def _parse(s: str, original: str) -> Cadence:
    if m := _WEEKLY.fullmatch(s):
        return Cadence(original, "weekly", weekday=_WEEKDAYS[m.group(1)])
    if m := _BIWEEKLY.fullmatch(s):
        weekday = _WEEKDAYS[m.group(1)] if m.group(1) else None
        return Cadence(original, "biweekly", weekday=weekday)
    if _MONTH_END.fullmatch(s):
        return Cadence(original, "monthly", days=(31,))
    if m := _MONTH_DAYS.fullmatch(s):
        return Cadence(original, "monthly", days=_days(m.group(1), original))
    if _QUARTER.fullmatch(s):
        return Cadence(original, "quarterly", dates=QUARTER_ENDS)
    if m := _QUARTER_DAYS.fullmatch(s):
        days = _days(m.group(2), original)
        first_month = 1 if m.group(1) in ("首月", "第一个月") else 3
        months = range(first_month, 13, 3)
        return Cadence(
            original, "quarterly", days=days, dates=tuple((mo, d) for mo in months for d in days)
        )
    if _HALF_YEAR.fullmatch(s):
        return Cadence(original, "dates", dates=((6, 30), (12, 31)))
    if m := _DATE_LIST.fullmatch(s):
        pairs = set()
        for month_token, day_token in _MONTH_DAY.findall(m.group(1)):
            month, day = _number(month_token), _number(day_token)
            if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(2024, month)[1]:
                raise ValueError(
                    f"反馈周期“{original}”中的“{month_token}月{day_token}日”不是有效日期，可填写：{ACCEPTED_FORMS}"
                )
            pairs.add((month, day))
        return Cadence(original, "dates", dates=tuple(sorted(pairs)))
    raise _fail(original)


# --- nodes ----------------------------------------------------------------------------


def _on(year: int, month: int, day: int) -> date:
    """Return the date, moving a day the month lacks (31 in April) to its last day."""
    if day <= 28:
        return date(year, month, day)
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def with_stages(cadence: Cadence | None, stages: tuple[date, ...]) -> Cadence:
    """Return the cadence with 阶段节点 added as feedback nodes (docs/rules.md §7.1)."""
    if cadence is None:
        return Cadence(text="", kind="none", stages=tuple(sorted(stages)))
    return replace(cadence, stages=tuple(sorted({*cadence.stages, *stages})))


def _raw_nodes(cadence: Cadence, start: date, anchor: date | None) -> Iterator[date]:
    """Yield the cadence's unmoved nodes on or after start, ascending, without end."""
    if not cadence.stages:
        return _periodic_nodes(cadence, start, anchor)
    stages = (d for d in cadence.stages if d >= start)
    if not _has_periodic_nodes(cadence):
        return stages
    return heapq.merge(_periodic_nodes(cadence, start, anchor), stages)


def _periodic_nodes(cadence: Cadence, start: date, anchor: date | None) -> Iterator[date]:
    """Yield the nodes of the cadence's kind on or after start, ascending, without end."""
    kind = cadence.kind
    if kind == "weekly" and cadence.weekday is not None:  # without one it has no nodes
        d = start + timedelta(days=(cadence.weekday - start.weekday()) % 7)
        while True:
            yield d
            d += timedelta(days=7)
    elif kind == "biweekly":
        base = anchor or start
        if cadence.weekday is not None:
            base += timedelta(days=(cadence.weekday - base.weekday()) % 7)
        k = max(1, -(-(start - base).days // 14))
        d = base + timedelta(days=14 * k)
        while True:
            yield d
            d += timedelta(days=14)
    elif kind == "monthly":
        year, month = start.year, start.month
        while True:
            for d in sorted({_on(year, month, day) for day in cadence.days}):
                if d >= start:
                    yield d
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    elif kind in ("quarterly", "dates"):
        year = start.year
        while True:
            for d in sorted({_on(year, month, day) for month, day in cadence.dates}):
                if d >= start:
                    yield d
            year += 1


def has_nodes(cadence: Cadence) -> bool:
    """Tell whether a cadence schedules anything (a hand-built one may lack its days)."""
    return bool(cadence.stages) or _has_periodic_nodes(cadence)


def _has_periodic_nodes(cadence: Cadence) -> bool:
    if cadence.kind == "weekly":
        return cadence.weekday is not None
    if cadence.kind == "monthly":
        return bool(cadence.days)
    if cadence.kind in ("quarterly", "dates"):
        return bool(cadence.dates)
    return cadence.kind == "biweekly"


def _moved(
    cadence: Cadence, origin: date, cal: WorkCalendar, anchor: date | None
) -> Iterator[tuple[date, date]]:
    """Yield (scheduled, moved) nodes scheduled on or after origin, with distinct moved dates."""
    if not has_nodes(cadence):
        return
    last = None
    for raw in _raw_nodes(cadence, origin, anchor):
        moved = cal.roll_forward(raw)
        if moved != last:
            last = moved
            yield raw, moved


def _series_from(
    cadence: Cadence, on_or_after: date, assigned_on: date | None, cal: WorkCalendar
) -> Iterator[date]:
    """Yield the item's moved nodes on or after a date; the series starts at 交办日期."""
    # A node scheduled in the run of non-working days just before on_or_after moves
    # onto or past it; one scheduled earlier lands on a working day before it.
    origin = on_or_after
    while not cal.is_workday(origin - _ONE_DAY):
        origin -= _ONE_DAY
    if assigned_on is not None:
        origin = max(origin, assigned_on)
    for _raw, moved in _moved(cadence, origin, cal, assigned_on or origin):
        if moved >= on_or_after:
            yield moved


def feedback_nodes(
    cadence: Cadence, start: date, end: date, cal: WorkCalendar, *, anchor: date | None = None
) -> list[date]:
    """List the nodes scheduled in [start, end], each moved to a working day (遇节假日顺延).

    A node keeps its scheduled date for membership: 2024-03-31 (a Sunday) is in a list
    for March even though it is due on 2024-04-01. ``anchor`` is 交办日期, the origin of
    a 每两周 cadence (start is used when it is None).
    """
    nodes = []
    for raw, moved in _moved(cadence, start, cal, anchor or start):
        if raw > end:
            break
        nodes.append(moved)
    return nodes


def covered_node(
    cadence: Cadence, feedback_on: date, cal: WorkCalendar, assigned_on: date | None
) -> date | None:
    """Return the node a feedback dated feedback_on covers: the first node on or after it."""
    return cal.memoised(
        ("covered_node", cadence, feedback_on, assigned_on),
        lambda: next(_series_from(cadence, feedback_on, assigned_on, cal), None),
    )


def nodes_due(
    cadence: Cadence, assigned_on: date, start: date, before: date, cal: WorkCalendar
) -> list[date]:
    """List the item's moved nodes due in [start, before), the series starting at 交办日期."""

    def compute() -> tuple[date, ...]:
        nodes = []
        for moved in _series_from(cadence, start, assigned_on, cal):
            if moved >= before:
                break
            nodes.append(moved)
        return tuple(nodes)

    # kept as a tuple so no caller can change the cached answer; each caller gets a list
    return list(cal.memoised(("nodes_due", cadence, assigned_on, start, before), compute))


def next_feedback_on(
    cadence: Cadence | None,
    assigned_on: date | None,
    latest_feedback: date | None,
    today: date,
    cal: WorkCalendar,
) -> date | None:
    """Return 下次反馈日: the node after the one the latest feedback covers (docs/rules.md §7).

    With no feedback it is the first node scheduled on or after 交办日期 (without 交办日期, the
    first 阶段节点). None when there is no cadence, or nothing to count from. ``today`` is
    not needed by the rule; it is accepted so callers pass the same arguments everywhere.
    """
    if cadence is None or not has_nodes(cadence):
        return None
    return cal.memoised(
        ("next_feedback_on", cadence, assigned_on, latest_feedback),
        lambda: _next_feedback_on(cadence, assigned_on, latest_feedback, cal),
    )


def _next_feedback_on(
    cadence: Cadence, assigned_on: date | None, latest_feedback: date | None, cal: WorkCalendar
) -> date | None:
    if cadence.kind == "biweekly" and assigned_on is None:
        return None  # 每两周 counts from 交办日期; without it there is no series
    if latest_feedback is not None and (assigned_on is None or latest_feedback >= assigned_on):
        nodes = _series_from(cadence, latest_feedback, assigned_on, cal)
        next(nodes, None)  # the node this feedback covers
        return next(nodes, None)
    if assigned_on is None:
        # 阶段节点 are the item's own dates (a quarterly target, "9月底前完成主体，…"): the
        # first one is due whatever the 交办日期; a periodic series needs 交办日期 to start.
        return cal.roll_forward(cadence.stages[0]) if cadence.stages else None
    first = next(_moved(cadence, assigned_on, cal, assigned_on), None)
    return first[1] if first else None
