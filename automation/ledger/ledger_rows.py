"""Turn the ledger sheet's rows into ``Item``s, with one Problem per bad cell (docs/rules.md §4.1, §11).

A row with problems still becomes an Item carrying every field that could be understood;
what could not is left blank (None), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import date
from functools import lru_cache

from openpyxl.utils.cell import get_column_letter

from automation import schema
from automation.ledger.normalize import (
    DATE_HINT,
    UnitMatcher,
    assign_ids,
    clean,
    did_you_mean,
    duplicate_ids,
    is_ongoing,
    parse_date,
    parse_progress,
    split_list,
    squeeze,
    suggest_from,
)
from automation.ledger.sheet_table import Table, rows_of
from automation.models import Cadence, Item, Problem, Unit
from automation.rules.cadence import parse_cadence
from automation.schema import ACTIVE_TYPED, TypedStatus
from automation.settings import Settings

TEXT_FIELDS = (
    "source",
    "content",
    "requirement",
    "leader",
    "person",
    "phone",
    "latest_progress",
    "owner",
    "note",
)
DATE_FIELDS = ("assigned_on", "extended_to", "last_feedback_on", "done_on")
HEADERS = {c.key: c.header for c in schema.LEDGER_COLUMNS}
CATEGORY_ALIASES = {
    "市长热线": "热线交办",
    "12345": "热线交办",
    "12345热线": "热线交办",
    "热线": "热线交办",
}
STATUS_ALIASES = {
    "已完成": TypedStatus.DONE,
    "完成": TypedStatus.DONE,
    "办结": TypedStatus.DONE,
    "销号": TypedStatus.CLOSED,
    "取消": TypedStatus.CANCELLED,
}


def read_items(
    table: Table, units: list[Unit], settings: Settings, problems: list[Problem], today: date
) -> list[Item]:
    """Build one Item per non-empty ledger row of ``table``, appending problems."""
    cols = table.columns
    matcher = UnitMatcher(units)

    # A ledger names the same few units on thousands of rows: match each typed pair once.
    @lru_cache(maxsize=4096)
    def match_units(text: str, co_text: str) -> UnitMatch:
        return _match_units(text, co_text, matcher)

    items = []
    no_formulas: frozenset[str] = frozenset()
    for row, values in rows_of(table, problems):

        def report(key: str, message: str, fix: str, row: int = row) -> None:
            cell = table.cell(key, row) if key in cols else f"{row}:{row}"
            problems.append(Problem(table.sheet, cell, message, fix))

        formulas = (
            {k for k, c in cols.items() if (row, c) in table.bad_formulas}
            if table.bad_formulas
            else no_formulas
        )
        items.append(_item(row, values, cols, match_units, report, today, formulas))
    id_col = get_column_letter(cols["id"]) if "id" in cols else ""
    problems.extend(duplicate_ids(items, sheet=table.sheet, column=id_col))
    problems.extend(
        assign_ids(items, prefix=settings.id_prefix, today=today, sheet=table.sheet, column=id_col)
    )
    if not id_col and items:
        problems.append(
            Problem(
                table.sheet,
                f"{table.header_row}:{table.header_row}",
                f"表头中没有“编号”列，本次已临时为 {len(items)} 个事项编号（未写回台账）",
                "请添加“编号”列并为每个事项填写唯一编号，如 DB-2026-001",
            )
        )
    return items


def _item(
    row: int,
    v: dict[str, object],
    cols: dict[str, int],
    match_units: Callable[[str, str], UnitMatch],
    report: Callable,
    today: date,
    formulas: Collection[str],
) -> Item:
    """Build one Item; ``formulas`` are keys whose cell was a formula without a value (already reported)."""
    dates = {
        key: _date(key, v[key], today, report)
        for key in DATE_FIELDS
        if key in cols and not _blank(v[key])
    }
    item = Item(
        row=row,
        id=clean(v.get("id", "")),
        **{key: clean(v[key]) for key in TEXT_FIELDS if key in cols},
        **dates,
    )
    _deadline(item, v.get("deadline", ""), today, report)
    item.category, problem = _category(clean(v.get("category", "")))
    if problem:
        report("category", *problem)
    item.typed_status, problem = _status(clean(v.get("typed_status", "")))
    if problem:
        report("typed_status", *problem)
    item.unit_text = clean(v.get("unit", ""))
    item.unit, item.co_units, unit_problems = match_units(
        item.unit_text, clean(v.get("co_units", ""))
    )
    for key, message, fix in unit_problems:
        report(key, message, fix)
    if _blank_cell(v, "unit", cols, formulas):
        report("unit", "责任单位为空", "请填写牵头负责的单位名称")
    if not _blank(v.get("cadence", "")):
        item.cadence_text = clean(v["cadence"])
        try:
            item.cadence = _cadence(item.cadence_text)
        except ValueError as e:
            report("cadence", *_split_cadence_error(str(e), item.cadence_text))
    if not _blank(v.get("progress", "")):
        try:
            item.progress = parse_progress(v["progress"])
        except ValueError as e:
            report(
                "progress",
                f"完成进度“{clean(v['progress'])}”无效：{e}",
                "请填写 0–100 之间的百分比，如 80% 或 80",
            )
    if item.typed_status in ACTIVE_TYPED and _blank_cell(v, "deadline", cols, formulas):
        report(
            "deadline", "办结时限为空", "请填写办结日期（如 2026-03-05），没有时限的事项请填“长期”"
        )
    if _blank_cell(v, "content", cols, formulas):
        report("content", "事项内容为空", "请填写督办事项的具体内容")
    _cross_checks(item, cols, report, today)
    return item


def _blank_cell(
    v: dict[str, object], key: str, cols: dict[str, int], formulas: Collection[str]
) -> bool:
    """Tell whether ``key``'s column is there and its cell was left blank (not a failed formula)."""
    return key in cols and key not in formulas and _blank(v[key])


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None


def _date(key: str, raw: object, today: date, report: Callable) -> date | None:
    try:
        return parse_date(raw, today=today)
    except ValueError as e:
        report(key, f"{HEADERS[key]}“{clean(raw)}”不是有效日期：{e}", DATE_HINT)
        return None


def _deadline(item: Item, raw: object, today: date, report: Callable) -> None:
    if _blank(raw):
        return
    if is_ongoing(raw):
        item.ongoing = True
        return
    try:
        item.deadline = parse_date(raw, today=today)
    except ValueError as e:
        report(
            "deadline",
            f"办结时限“{clean(raw)}”不是有效日期：{e}",
            f"{DATE_HINT}；没有时限的事项请填“{'”“'.join(schema.ONGOING_WORDS)}”之一",
        )


# 事项类别 and 办理状态 take a handful of values over the whole ledger, so each typed text is
# checked (and a "did you mean" worked out) once: cached by the cleaned cell text.


@lru_cache(maxsize=1024)
def _category(shown: str) -> tuple[str, tuple[str, str] | None]:
    """Return (事项类别 or "", the (message, fix) of a problem or None) for a cleaned cell."""
    text = squeeze(shown)
    if not text:
        return "", None
    text = CATEGORY_ALIASES.get(text, text)
    if text in schema.CATEGORIES:
        return text, None
    near = suggest_from(text, schema.CATEGORIES)
    return "", (
        f"事项类别“{shown}”不在规定类别中",
        did_you_mean(near) or f"请从下拉列表中选择：{'、'.join(schema.CATEGORIES)}",
    )


@lru_cache(maxsize=1024)
def _status(shown: str) -> tuple[TypedStatus, tuple[str, str] | None]:
    """Return (办理状态, the (message, fix) of a problem or None) for a cleaned cell; 办理中 by default."""
    text = squeeze(shown)
    if not text:
        return TypedStatus.IN_PROGRESS, None
    if text in schema.TYPED_STATUSES:
        return TypedStatus(text), None
    near = (
        [STATUS_ALIASES[text]]
        if text in STATUS_ALIASES
        else suggest_from(text, schema.TYPED_STATUSES)
    )
    return TypedStatus.IN_PROGRESS, (
        f"办理状态“{shown}”无法识别，本次按“办理中”计算",
        f"{did_you_mean(near)}可选：{'、'.join(schema.TYPED_STATUSES)}",
    )


# (lead unit or None, 配合单位, problems as (key, message, fix))
UnitMatch = tuple[str | None, tuple[str, ...], tuple[tuple[str, str, str], ...]]


def _match_units(text: str, co_text: str, matcher: UnitMatcher) -> UnitMatch:
    """Match cleaned 责任单位 (the first name is the lead, any others join 配合单位) and 配合单位."""
    problems: list[tuple[str, str, str]] = []
    lead: str | None = None
    matched_co: list[str] = []
    for i, name in enumerate(split_list(text)):
        unit = _match_unit(name, "unit", matcher, problems)
        if i == 0:
            lead = unit
        elif unit:
            matched_co.append(unit)
    for name in split_list(co_text):
        unit = _match_unit(name, "co_units", matcher, problems)
        if unit and unit not in matched_co and unit != lead:
            matched_co.append(unit)
    return lead, tuple(matched_co), tuple(problems)


def _match_unit(
    name: str, key: str, matcher: UnitMatcher, problems: list[tuple[str, str, str]]
) -> str | None:
    if not matcher:
        return name  # no 责任单位 sheet: nothing to check the name against
    unit = matcher.match(name)
    if unit is None:
        near = matcher.suggest(name)
        problems.append(
            (
                key,
                f"{HEADERS[key]}“{name}”不在“{schema.UNITS}”表中",
                did_you_mean(near) + "请改为单位全称，或在“责任单位”表的“别名”列登记这个写法",
            )
        )
    return unit


def _cross_checks(item: Item, cols: dict[str, int], report: Callable, today: date) -> None:
    done_key = "done_on" if "done_on" in cols else "typed_status"
    if item.done_on and item.assigned_on and item.done_on < item.assigned_on:
        report(
            "done_on",
            f"办结日期 {item.done_on} 早于交办日期 {item.assigned_on}",
            "请核对办结日期和交办日期",
        )
    if item.done_on and item.done_on > today:
        report("done_on", f"办结日期 {item.done_on} 晚于今天", "请核对办结日期，尚未办结的请清空")
    if item.deadline and item.assigned_on and item.deadline < item.assigned_on:
        report(
            "deadline",
            f"办结时限 {item.deadline} 早于交办日期 {item.assigned_on}",
            "请核对办结时限和交办日期",
        )
    if item.done_on is None and "typed_status" in cols:
        if item.typed_status == TypedStatus.DONE:
            report(
                done_key, "办理状态为“已办结”，但办结日期为空", "请填写办结日期（如 2026-03-05）"
            )
        elif item.typed_status == TypedStatus.CLOSED:
            report(
                done_key,
                "办理状态为“已销号”，但办结日期为空（办结方能销号）",
                "请先填写办结日期；未办结的事项不能销号",
            )


def _split_cadence_error(message: str, text: str) -> tuple[str, str]:
    """Split the cadence parser's sentence into (what is wrong, how to fix it) at its first comma."""
    head = f"反馈周期“{text}”"
    reason, _, fix = message.removeprefix(head).partition("，")
    if message.startswith(head) and fix:
        return head + reason, fix
    return message, "请改为可识别的反馈周期，如 每月10日"


@lru_cache(maxsize=1024)
def _cadence(text: str) -> Cadence:
    return parse_cadence(text)
