"""Turn the ledger sheet's rows into ``Item``s, with one Problem per bad cell (SPEC §3.2, §3.4).

A row with problems still becomes an Item carrying every field that could be understood;
what could not is left blank (None), never guessed.
"""

from __future__ import annotations

from collections.abc import Callable
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
from automation.models import Cadence, Item, Problem, Settings, Unit
from automation.rules.cadence import parse_cadence

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
    "已完成": "已办结",
    "完成": "已办结",
    "办结": "已办结",
    "销号": "已销号",
    "取消": "已取消",
}
# Statuses under which an item is still being worked on, so a missing 办结时限 matters.
ACTIVE_STATUSES = (schema.STATUS_IN_PROGRESS, schema.STATUS_EXTENSION_REQUESTED)


def read_items(
    table: Table, units: list[Unit], settings: Settings, problems: list[Problem], today: date
) -> list[Item]:
    """Build one Item per non-empty ledger row of ``table``, appending problems."""
    cols = table.columns
    matcher = UnitMatcher(units)
    items = []
    for row, values in rows_of(table, problems):

        def report(key: str, message: str, fix: str, row: int = row) -> None:
            cell = table.cell(key, row) if key in cols else f"{row}:{row}"
            problems.append(Problem(table.sheet, cell, message, fix))

        formulas = (
            {k for k, c in cols.items() if (row, c) in table.bad_formulas}
            if table.bad_formulas
            else set()
        )
        items.append(_item(row, values, cols, matcher, report, today, formulas))
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
    matcher: UnitMatcher,
    report: Callable,
    today: date,
    formulas: set[str],
) -> Item:
    """Build one Item; ``formulas`` are keys whose cell was a formula without a value (already reported)."""
    blank = {
        k
        for k in ("deadline", "content", "unit")
        if k in cols and k not in formulas and _blank(v[k])
    }
    item = Item(row=row, id=clean(v.get("id", "")))
    for key in TEXT_FIELDS:
        if key in cols:
            setattr(item, key, clean(v[key]))
    for key in DATE_FIELDS:
        if key in cols and not _blank(v[key]):
            setattr(item, key, _date(key, v[key], today, report))
    _deadline(item, v.get("deadline", ""), today, report)
    _category(item, v.get("category", ""), report)
    _status(item, v.get("typed_status", ""), report)
    _units(item, v.get("unit", ""), v.get("co_units", ""), matcher, report)
    if "unit" in blank:
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
    if "deadline" in blank and item.typed_status in ACTIVE_STATUSES:
        report(
            "deadline", "办结时限为空", "请填写办结日期（如 2026-03-05），没有时限的事项请填“长期”"
        )
    if "content" in blank:
        report("content", "事项内容为空", "请填写督办事项的具体内容")
    _cross_checks(item, cols, report, today)
    return item


def _blank(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, str) and not value.strip())


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


def _category(item: Item, raw: object, report: Callable) -> None:
    text = squeeze(clean(raw))
    if not text:
        return
    text = CATEGORY_ALIASES.get(text, text)
    if text in schema.CATEGORIES:
        item.category = text
        return
    near = suggest_from(text, schema.CATEGORIES)
    report(
        "category",
        f"事项类别“{clean(raw)}”不在规定类别中",
        did_you_mean(near) or f"请从下拉列表中选择：{'、'.join(schema.CATEGORIES)}",
    )


def _status(item: Item, raw: object, report: Callable) -> None:
    text = squeeze(clean(raw))
    if not text:
        return
    if text in schema.TYPED_STATUSES:
        item.typed_status = text
        return
    near = (
        [STATUS_ALIASES[text]]
        if text in STATUS_ALIASES
        else suggest_from(text, schema.TYPED_STATUSES)
    )
    report(
        "typed_status",
        f"办理状态“{clean(raw)}”无法识别，本次按“办理中”计算",
        f"{did_you_mean(near)}可选：{'、'.join(schema.TYPED_STATUSES)}",
    )


def _units(item: Item, raw: object, raw_co: object, matcher: UnitMatcher, report: Callable) -> None:
    """Match 责任单位 (the first name is the lead, any others join 配合单位) and 配合单位."""
    names = split_list(clean(raw))
    item.unit_text = clean(raw)
    matched_co: list[str] = []
    for i, name in enumerate(names):
        unit = _match_unit(name, "unit", matcher, report)
        if i == 0:
            item.unit = unit
        elif unit:
            matched_co.append(unit)
    for name in split_list(clean(raw_co)):
        unit = _match_unit(name, "co_units", matcher, report)
        if unit and unit not in matched_co and unit != item.unit:
            matched_co.append(unit)
    item.co_units = tuple(matched_co)


def _match_unit(name: str, key: str, matcher: UnitMatcher, report: Callable) -> str | None:
    if not matcher:
        return name  # no 责任单位 sheet: nothing to check the name against
    unit = matcher.match(name)
    if unit is None:
        near = matcher.suggest(name)
        report(
            key,
            f"{HEADERS[key]}“{name}”不在“{schema.UNITS}”表中",
            did_you_mean(near) + "请改为单位全称，或在“责任单位”表的“别名”列登记这个写法",
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
        if item.typed_status == schema.STATUS_DONE:
            report(
                done_key, "办理状态为“已办结”，但办结日期为空", "请填写办结日期（如 2026-03-05）"
            )
        elif item.typed_status == schema.STATUS_CLOSED:
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
