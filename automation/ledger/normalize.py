"""Turn what staff type into typed values: dates, progress, unit names, 编号 (docs/rules.md §3.1, §11).

Every parser raises ``ValueError`` with a short Chinese reason; the reader turns that into a
``Problem`` naming the cell. Nothing here guesses: a value is either understood or refused.
"""

from __future__ import annotations

import difflib
import math
import re
import unicodedata
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from automation import schema
from automation.models import Item, Problem, Unit

# Excel's day 0 (the 1900 date system, after the Lotus leap-year bug).
EXCEL_EPOCH = date(1899, 12, 30)
# Dates outside these years are typos, not ledger dates (a serial 5 is 1900-01-05).
YEAR_MIN, YEAR_MAX = 1990, 2100
SERIAL_MIN = (date(YEAR_MIN, 1, 1) - EXCEL_EPOCH).days
SERIAL_MAX = (date(YEAR_MAX, 12, 31) - EXCEL_EPOCH).days

DATE_HINT = "请填写如 2026-03-05 的日期"
# Spaces do not separate names ("县 住建局" is one unit typed with a stray space); newlines do.
LIST_SEPARATORS = re.compile(r"[,，、;；/／\n]+")

_TIME = r"(?:(?:\s+|T)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
_FULL_DATE = re.compile(
    rf"(\d{{4}})\s*[-/.年]\s*(\d{{1,2}})\s*[-/.月]\s*(\d{{1,2}})\s*[日号]?{_TIME}"
)
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_MONTH_DAY = re.compile(r"(\d{1,2})\s*月\s*(\d{1,2})\s*[日号]?")
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")
_WHITESPACE = re.compile(r"\s+")
_REQUIRED_MARK = re.compile(r"(\*|（必填）|\(必填\)|必填)+$")


def clean(value: object) -> str:
    """Return a cell value as text: NFKC (full-width to half-width), trimmed, integral floats as ints."""
    if value is None:
        return ""
    if isinstance(value, str):
        if not unicodedata.is_normalized("NFKC", value):  # most cells: nothing to change
            value = _nfkc(value)
        return value.strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time(0) else value.isoformat(" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value).strip()


def text(value: object) -> str:
    """Return a cell as staff typed it, for display: trimmed, nothing else changed.

    Outputs quote the ledger exactly (full-width punctuation, ㎡, ② stay); only the copies used
    for matching go through ``clean``/``squeeze``.
    """
    if isinstance(value, str):
        return value.strip()
    return clean(value)


# NFKC turns each full-width form (U+FF01–FF5E: ，：（）０-９Ａ-Ｚ...) and the ideographic space
# into one ASCII character. CPython's normalize is slow (~2.5 µs for a short sentence) on any
# string it has to change, and Chinese text nearly always holds a full-width comma: mapping
# these characters first leaves normalize nothing (or little) to do. Same result: each is
# replaced by its own compatibility decomposition, which NFKC would have produced anyway.
_FULL_WIDTH = {
    chr(c): unicodedata.normalize("NFKC", chr(c)) for c in (*range(0xFF01, 0xFF5F), 0x3000)
}
_FULL_WIDTH_CHAR = re.compile("[\uff01-\uff5e\u3000]")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", _FULL_WIDTH_CHAR.sub(_half_width, text))


def _half_width(match: re.Match[str]) -> str:
    return _FULL_WIDTH[match[0]]


def squeeze(text: str) -> str:
    """Drop every whitespace character (incl. U+3000) after NFKC, for name comparisons."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", text))


def header_key(value: object) -> str:
    """Normalise a header cell so that variants compare equal (全角/半角, spaces, trailing ``*``/（必填）)."""
    # squeeze(clean(value)) without its second NFKC (clean's result is normalised already);
    # str.split() drops exactly the characters \s matches. Asked of many cells, hence lean.
    key = "".join(clean(value).split())
    return _REQUIRED_MARK.sub("", key) if key.endswith(_MARK_ENDS) else key


_MARK_ENDS = ("*", "填", ")", "）")  # the last character of any _REQUIRED_MARK


def split_list(text: str) -> list[str]:
    """Split a list typed in one cell on commas, 顿号, semicolons, slashes or line breaks."""
    return [part.strip() for part in LIST_SEPARATORS.split(clean(text)) if part.strip()]


# --- dates -------------------------------------------------------------------------------


def parse_date(value: object, *, today: date) -> date:
    """Parse a date cell (real date, Excel serial, or one of the text forms of docs/rules.md §3.1, §11)."""
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        if not YEAR_MIN <= day.year <= YEAR_MAX:
            raise ValueError(f"年份 {day.year} 不在合理范围（{YEAR_MIN} 年至 {YEAR_MAX} 年）内")
        return day
    if isinstance(value, time):
        raise ValueError("这是时间而不是日期")
    if isinstance(value, bool):
        raise ValueError("这是逻辑值而不是日期")
    if isinstance(value, int | float):
        return _from_serial(value)
    if isinstance(value, str):
        return _parse_date_text(value, today.year)
    raise ValueError("无法识别为日期")


def _from_serial(serial: float) -> date:
    if not SERIAL_MIN <= serial <= SERIAL_MAX:
        raise ValueError("数字不在合理的日期范围（1990 年至 2100 年）内")
    return EXCEL_EPOCH + timedelta(days=int(serial))


@lru_cache(maxsize=4096)
def _parse_date_text(text: str, year: int) -> date:
    s = unicodedata.normalize("NFKC", text).strip()
    if not s:
        raise ValueError("为空")
    if m := _FULL_DATE.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _COMPACT_DATE.fullmatch(s):
        y, mo, d = (int(g) for g in m.groups())
    elif m := _MONTH_DAY.fullmatch(s):
        y, (mo, d) = year, (int(g) for g in m.groups())
    else:
        raise ValueError("无法识别的日期写法")
    if not 1 <= mo <= 12:
        raise ValueError(f"没有 {mo} 月")
    try:
        day = date(y, mo, d)
    except ValueError:
        raise ValueError(f"{y} 年 {mo} 月没有 {d} 日") from None
    return parse_date(day, today=date(year, 1, 1))


def is_ongoing(value: object) -> bool:
    """Tell whether a deadline cell means "no deadline" (长期/持续推进/常态化)."""
    return isinstance(value, str) and squeeze(value) in schema.ONGOING_WORDS


# --- progress ----------------------------------------------------------------------------


def parse_progress(value: object) -> float:
    """Parse 完成进度 into 0–100.

    ``80%`` is 80; a bare number in [0, 1] is a fraction (Excel stores a cell formatted as
    percent that way, so ``0.8`` is 80 and ``1`` is 100); a bare number in (1, 100] is
    already a percentage. Anything below 0 or above 100 is refused.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("不是数字或百分比")
    if isinstance(value, str):
        return _parse_progress_text(value)
    return _scale_progress(float(value), percent=False)


def progress_shown(value: object, parsed: float) -> str:
    """Return 完成进度 as staff typed it: text exactly, a number cell as the percentage it means."""
    if isinstance(value, str):
        return value.strip()
    return f"{parsed:g}%"


@lru_cache(maxsize=1024)
def _parse_progress_text(text: str) -> float:
    s = squeeze(text)
    percent = s.endswith("%")
    number = s.rstrip("%")
    if not _NUMBER.fullmatch(number):
        raise ValueError("不是数字或百分比")
    return _scale_progress(float(number), percent=percent)


def _scale_progress(number: float, *, percent: bool) -> float:
    if not math.isfinite(number):
        raise ValueError("不是数字或百分比")
    if number < 0:
        raise ValueError("不能为负数")
    if not percent and number <= 1:
        number *= 100
    if number > 100:
        raise ValueError("超过了 100%")
    return number


# --- units -------------------------------------------------------------------------------


class UnitMatcher:
    """Find the canonical unit for a typed name: exact name or alias, ignoring spaces and 全角."""

    def __init__(self, units: Iterable[Unit]):
        self._by_key: dict[str, str] = {}
        for unit in units:
            for name in (unit.name, *unit.aliases):
                self._by_key.setdefault(squeeze(name), unit.name)

    def __bool__(self) -> bool:
        return bool(self._by_key)

    def match(self, text: str) -> str | None:
        """Return the canonical unit name for ``text``, or None when it is not a known name or alias."""
        return self._by_key.get(squeeze(text))

    def suggest(self, text: str, n: int = 3) -> list[str]:
        """Return up to ``n`` canonical unit names closest to ``text`` (for a "did you mean")."""
        key = squeeze(text)
        close = difflib.get_close_matches(key, self._by_key, n=n * 3, cutoff=0.6)
        close += [k for k in self._by_key if key and (key in k or k in key)]
        names: list[str] = []
        for k in close:
            if self._by_key[k] not in names:
                names.append(self._by_key[k])
        return names[:n]


def suggest_from(text: str, choices: Sequence[str], n: int = 3) -> list[str]:
    """Return up to ``n`` of ``choices`` closest to ``text``."""
    return difflib.get_close_matches(squeeze(text), list(choices), n=n, cutoff=0.3)


def did_you_mean(names: Sequence[str]) -> str:
    """Phrase suggestions as a Chinese fix hint, e.g. 是否为：县交通运输局、县交通局？"""
    return f"是否为：{'、'.join(names)}？" if names else ""


# --- 编号 ---------------------------------------------------------------------------------


def assign_ids(
    items: Sequence[Item],
    *,
    prefix: str,
    today: date,
    columns: Mapping[str, str],
    added: Collection[str] = (),
    formulas: Collection[tuple[str, int]] = (),
    years: Mapping[str, int | None] = {},  # noqa: B006 - never mutated
) -> list[Problem]:
    """Give every item with a blank 编号 the next ``<prefix>-<year>-<seq>`` and say so, per cell.

    ``year`` is the item's 交办日期 year, else the year its sheet's name or title names
    (``years``: 2025年督办事项 numbers its items DB-2025-…), else today's; ``seq`` continues
    after the highest existing one for that prefix and year, across every ledger sheet.
    ``columns`` gives each sheet's 编号 column letter; sheets in ``added`` have no 编号 column
    yet (the refresh adds one and fills it, announced once for the sheet, so no line per row).
    An item whose (sheet, row) is in ``formulas`` has a formula in its 编号 cell (without a
    usable result): staff typed it, so it is never written over; the item gets a number for
    this run only.
    """
    pattern = re.compile(rf"{re.escape(prefix)}-(\d{{4}})-(\d+)")
    highest: dict[int, int] = {}
    for item in items:
        if m := pattern.fullmatch(item.id):
            year, seq = int(m.group(1)), int(m.group(2))
            highest[year] = max(highest.get(year, 0), seq)
    problems = []
    given: dict[tuple[str, int], str] = {}  # parts of one item get one number
    for item in items:
        if item.id:
            continue
        if item.part_of in given:
            item.id = given[item.part_of]
        else:
            year = (
                item.assigned_on.year if item.assigned_on else years.get(item.sheet) or today.year
            )
            highest[year] = highest.get(year, 0) + 1
            item.id = f"{prefix}-{year}-{highest[year]:03d}"
            if item.part_of is not None:
                given[item.part_of] = item.id
        if (item.sheet, item.row) in formulas:
            problems.append(
                Problem(
                    item.sheet,
                    f"{columns.get(item.sheet, 'A')}{item.row}",
                    "编号单元格是公式，但没有可用的计算结果（未计算、结果为空或是错误值），"
                    f"本次临时按 {item.id} 计算，未写回台账",
                    "请在 Excel/WPS 中打开台账、确认公式无误后保存一次，或把公式改为直接填写的编号",
                )
            )
            continue
        item.id_assigned = True
        if item.sheet not in added:
            problems.append(
                Problem(
                    item.sheet,
                    f"{columns.get(item.sheet, 'A')}{item.row}",
                    f"编号为空，已自动编号为 {item.id}",
                    "如需其他编号请手工修改",
                )
            )
    return problems


def duplicate_ids(items: Sequence[Item], *, columns: Mapping[str, str]) -> list[Problem]:
    """Report every 编号 that repeats an earlier row's; both rows are still computed under that 编号."""
    first: dict[str, Item] = {}
    problems = []
    for item in items:
        if not item.id:
            continue
        if item.id in first:
            earlier = first[item.id]
            if item.part_of is not None and item.part_of == earlier.part_of:
                continue  # parts of one item over several unit rows share its 编号
            where = (
                f"第 {earlier.row} 行"
                if earlier.sheet == item.sheet
                else f"“{earlier.sheet}”表第 {earlier.row} 行"
            )
            problems.append(
                Problem(
                    item.sheet,
                    f"{columns.get(item.sheet, 'A')}{item.row}",
                    f"编号“{item.id}”与{where}重复",
                    "请为其中一行改用唯一编号；修改前两行都照常计算，进展记录会同时算给两行",
                )
            )
        else:
            first[item.id] = item
    return problems
