"""Read 办结时限 as real ledgers write it: dates, and the words listed in docs/deadlines.md.

Pure: ``today`` and the working-day calendar are parameters; nothing reads the clock or a file.
A plain date (a real date, an Excel serial, ``2026-09-30``…) is read by
``automation.ledger.normalize.parse_date`` exactly as before; everything else goes through the
grammar below, and anything it does not understand is refused with a Chinese reason — never
guessed.

Year rule (the same in docs/deadlines.md): an explicit year always wins (``2026年9月底``,
``明年春节前``). A year left out comes from 交办日期, rolling to the next year when the date
would fall before 交办日期; without a 交办日期, from ``year_hint`` (a year in the ledger sheet's
name or title row, see ``year_in``); else from ``today``. In a cell with several times, a later
time without a year takes the year written on an earlier one, if any. ``元旦前`` without a year
means the 元旦 that ends that year (``元旦前`` in 2026 is 2026-12-31), while ``2027年元旦前``
names 2027-01-01's eve.

Several times in one cell must be written in time order: the last is the deadline, the earlier
ones are 阶段节点 (``stages``), except the start of a range (``3月至6月``), which is dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import NamedTuple

from automation.ledger.normalize import YEAR_MAX, YEAR_MIN, parse_date
from automation.rules import festivals
from automation.rules.deadline_words import (
    CN_DIGIT,
    CN_YEAR,
    Part,
    is_ongoing,
    nfkc,
    normalise,
    parse,
)
from automation.rules.workdays import WorkCalendar

ACCEPTED_FORMS = (
    "可填写日期（如 2026-09-30），或：9月30日前、9月底前、9月、9月中旬、三季度末、上半年、"
    "年底前、2027年、2026年6月、国庆节前（春节、元旦、五一、中秋等同）、立行立改、"
    "15个工作日内；分阶段的写“9月底前完成主体，12月底前全面完工”（最后一个为办结时限）；"
    "没有时限的填“长期”“持续推进”或“常态化”"
)


@dataclass(frozen=True, slots=True)
class DeadlineReading:
    """How one 办结时限 cell was understood."""

    deadline: date | None  # None when ongoing
    ongoing: bool = False
    stages: tuple[date, ...] = ()  # earlier dates in the cell (阶段节点), ascending
    from_words: bool = False  # True unless the cell was a plain date / serial
    rule: str = ""  # short Chinese label of the rule used


# --- reading -----------------------------------------------------------------------------


def read_deadline(
    value: object,
    *,
    assigned_on: date | None,
    year_hint: int | None,
    today: date,
    calendar: WorkCalendar,
    immediate_days: int = 5,
) -> DeadlineReading:
    """Read one 办结时限 cell; raise ValueError with a Chinese reason when it is not clear.

    The reason names what was wrong (and a better way to write it where there is one); callers
    show ``ACCEPTED_FORMS`` as the fix.
    """
    if isinstance(value, str):
        understood = _understand(value)
        if isinstance(understood, str):  # _PLAIN
            return DeadlineReading(parse_date(value, today=today), rule="日期")
        if isinstance(understood, DeadlineReading):
            return understood
        if isinstance(understood, ValueError):
            raise ValueError(str(understood))
        parts = understood
    elif isinstance(value, int | float) and not isinstance(value, bool) and _year_like(value):
        parts = parse(_number_as_year_month(value))
    else:
        return DeadlineReading(parse_date(value, today=today), rule="日期")
    # Settled answers depend on the calendar, so they are kept with it (as cadence.py does).
    year_of_today = today.year if assigned_on is None and year_hint is None else None
    key = ("deadline", parts, assigned_on, year_hint, year_of_today, immediate_days)
    context = _Context(assigned_on, year_hint, today, calendar, immediate_days)
    return calendar.memoised(key, lambda: _settle(parts, context))


_PLAIN = "plain"
_ONGOING = DeadlineReading(None, ongoing=True, from_words=True, rule="长期事项，无办结时限")


@lru_cache(maxsize=8192)
def _understand(value: str) -> str | DeadlineReading | ValueError | tuple[Part, ...]:
    """Sort a text cell once: a plain date, ongoing, its parts, or the reason it is refused.

    Cached by the raw text (a ledger repeats its phrasings); nothing here depends on the year
    context: parse_date reads ``today`` only for a year-less 3月5日, which the grammar takes.
    """
    text = normalise(value)
    if not text:
        return ValueError("为空")
    if is_ongoing(text):
        return _ONGOING
    if not _MONTH_DAY_ONLY.fullmatch(text):
        try:
            parse_date(value, today=date(YEAR_MIN, 1, 1))
            return _PLAIN
        except ValueError:
            pass
    try:
        return parse(text)
    except ValueError as e:
        return e


def year_in(text: str) -> int | None:
    """Return the year named in a sheet name or title row ("2026年督查事项台账"), else None.

    None too when the text names two different years ("2025—2026年"): that is not a hint.
    """
    s = CN_YEAR.sub(lambda m: "".join(str(CN_DIGIT[c]) for c in m[0]), nfkc(text))
    s = _DOC_NUMBER_YEAR.sub("", s)  # 〔2025〕5号 in a title is a document's year, not the ledger's
    years = {int(y) for y in re.findall(r"(?<!\d)(\d{4})(?!\d)", s)}
    years = {y for y in years if YEAR_MIN <= y <= YEAR_MAX}
    if len(years) == 1:
        return years.pop()
    return None


_DOC_NUMBER_YEAR = re.compile(r"[〔\[［(（]\s*\d{4}\s*[〕\]］)）]")
_MONTH_DAY_ONLY = re.compile(r"\d{1,2}月\d{1,2}[日号]?")


def _year_like(number: float) -> bool:
    return YEAR_MIN <= number < YEAR_MAX + 1


def _number_as_year_month(number: float) -> str:
    """Read a number cell such as 2026.6 (Excel stores a typed "2026.6" as a number)."""
    if float(number).is_integer():
        whole = int(number)
        raise ValueError(f"数字 {whole} 只有年份；如指 {whole} 年底，请写“{whole}年底”")
    year, month = repr(float(number)).split(".")
    if month == "1":
        raise ValueError(
            f"数字 {number} 可能是 {year}.1 也可能是被 Excel 存成数字的 {year}.10，"
            f"请写“{year}年1月”或“{year}年10月”"
        )
    return f"{year}.{month}"


# --- settling the years ------------------------------------------------------------------


class _Context(NamedTuple):
    assigned_on: date | None
    year_hint: int | None
    today: date
    calendar: WorkCalendar
    immediate_days: int


def _settle(parts: tuple[Part, ...], ctx: _Context) -> DeadlineReading:
    """Give each part its date by the year rule, check the order, and build the reading."""
    dates: list[date] = []
    notes: list[str] = []
    carried: int | None = None  # the year written on an earlier part
    for part in parts:
        day, note = _date_of(part, carried, ctx)
        if part.year is not None or part.rel is not None:
            carried = _written_year(part, ctx)
        if dates and day < dates[-1]:
            raise ValueError(
                f"“{part.text}”（{day.isoformat()}）早于前面的“{parts[len(dates) - 1].text}”"
                f"（{dates[-1].isoformat()}）：多个时间请按先后书写，跨年的请写明年份"
            )
        dates.append(day)
        notes.append(note)
    deadline = dates[-1]
    stages = sorted({d for d, p in zip(dates[:-1], parts, strict=False) if not p.starts_range})
    stages = [d for d in stages if d < deadline]
    rule = notes[-1]
    if len(parts) > 1:
        rule += "；多个时间取最后一个" + ("，其余为阶段节点" if stages else "")
    return DeadlineReading(deadline, stages=tuple(stages), from_words=True, rule=rule)


def _written_year(part: Part, ctx: _Context) -> int:
    return part.year if part.year is not None else _base_year(ctx) + (part.rel or 0)


def _base_year(ctx: _Context) -> int:
    if ctx.assigned_on is not None:
        return ctx.assigned_on.year
    return ctx.year_hint if ctx.year_hint is not None else ctx.today.year


def _date_of(part: Part, carried: int | None, ctx: _Context) -> tuple[date, str]:
    """Return the part's date and its rule label (form, then where the year came from)."""
    if part.kind in ("immediate", "workdays", "days"):
        return _from_assignment(part, ctx)
    label = _LABELS[part.kind].format(
        p=part,
        xun=_XUN_END.get(part.name, ""),
        half="上半年" if part.a == 1 else "下半年",
        half_end="6月30日" if part.a == 1 else "12月31日",
    )
    if part.year is not None or part.rel is not None:
        year = _written_year(part, ctx)
        return _on(part, year, ctx, closing=False), label
    if carried is not None:
        return _on(part, carried, ctx, closing=True), label + "；年份同前"
    if ctx.assigned_on is not None:
        day = _on(part, ctx.assigned_on.year, ctx, closing=True)
        if day >= ctx.assigned_on:
            return day, label + "；年份取自交办日期"
        return _on(
            part, ctx.assigned_on.year + 1, ctx, closing=True
        ), label + "；早于交办日期，顺延至次年"
    if ctx.year_hint is not None:
        return _on(part, ctx.year_hint, ctx, closing=True), label + "；年份取自台账标题"
    return _on(part, ctx.today.year, ctx, closing=True), label + "；年份取自今天"


def _on(part: Part, year: int, ctx: _Context, *, closing: bool) -> date:
    """Return the part's date in ``year``; ``closing``: a year-less 元旦 is the one ending it."""
    if not YEAR_MIN <= year <= YEAR_MAX:
        raise ValueError(f"年份 {year} 不在合理范围（{YEAR_MIN} 年至 {YEAR_MAX} 年）内")
    kind = part.kind
    if kind in ("date", "day"):
        try:
            return date(year, part.a, part.b)
        except ValueError:
            raise ValueError(f"{year} 年 {part.a} 月没有 {part.b} 日") from None
    if kind == "xun" and part.name != "下":
        return date(year, part.a, 10 if part.name == "上" else 20)
    if kind in ("xun", "month_end", "month", "month_of"):
        return _month_end(year, part.a)
    if kind == "quarter":
        return _month_end(year, part.a * 3)
    if kind == "half":
        return _month_end(year, part.a * 6)
    if kind == "midyear":
        return date(year, 6, 30)
    if kind == "year":
        return date(year, 12, 31)
    if part.name == festivals.NEW_YEAR and closing:
        year += 1
    return festivals.last_workday_before(part.name, year, ctx.calendar)


def _month_end(year: int, month: int) -> date:
    first_of_next = date(year + month // 12, month % 12 + 1, 1)
    return first_of_next - timedelta(days=1)


def _from_assignment(part: Part, ctx: _Context) -> tuple[date, str]:
    """Count from 交办日期: 立行立改 and N个工作日 in working days, N日内 in calendar days."""
    if ctx.assigned_on is None:
        raise ValueError(
            f"“{part.text}”要从交办日期起算，但交办日期为空；请填写交办日期或写明具体日期"
        )
    if part.kind == "days":
        # 民法典第二百零一条、第二百零三条: the day of assignment is not counted, and a period
        # ending on a rest day ends on the next working day.
        day = ctx.calendar.roll_forward(ctx.assigned_on + timedelta(days=part.a))
        return day, f"{part.a}日内 → 交办日期后第 {part.a} 天（遇节假日顺延）"
    n = ctx.immediate_days if part.kind == "immediate" else part.a
    return ctx.calendar.add_workdays(ctx.assigned_on, n), f"{part.text} → 交办日期后第 {n} 个工作日"


_LABELS = {
    "date": "写明的日期",
    "day": "X月X日 → 当日",
    "xun": "X月{p.name}旬 → {xun}",
    "month_end": "X月底 → 当月最后一天",
    "month": "X月 → 当月最后一天",
    "month_of": "年.月 → 当月最后一天",
    "quarter": "X季度 → 季度最后一天",
    "half": "{half} → {half_end}",
    "midyear": "年中 → 6月30日",
    "year": "年底/全年 → 12月31日",
    "festival": "{p.name}前 → 放假前最后一个工作日",
}
_XUN_END = {"上": "当月10日", "中": "当月20日", "下": "当月最后一天"}
