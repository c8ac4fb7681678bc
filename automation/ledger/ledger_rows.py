"""Turn the ledger sheet's rows into ``Item``s, with one Problem per bad cell (docs/rules.md §4.1, §11).

A row with problems still becomes an Item carrying every field that could be understood;
what could not is left blank (None), never guessed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from automation import schema
from automation.ledger.normalize import (
    DATE_HINT,
    YEAR_MAX,
    YEAR_MIN,
    clean,
    did_you_mean,
    parse_date,
    parse_progress,
    progress_shown,
    squeeze,
    suggest_from,
    text,
)
from automation.ledger.progress_text import dated_progress, percent_at_end
from automation.ledger.sheet_table import Table, rows_of
from automation.ledger.stages import Stage, stage_dates, stage_key
from automation.ledger.unit_names import UnitMatch, UnitNames, group_problem
from automation.ledger.words import CATEGORY_ALIASES, category_from_source, status_of
from automation.models import Cadence, Item, Problem, Unit
from automation.rules.cadence import parse_cadence, with_stages
from automation.rules.deadlines import ACCEPTED_FORMS, read_deadline
from automation.rules.workdays import WorkCalendar
from automation.schema import ACTIVE_TYPED, TypedStatus
from automation.settings import Settings

# A cell written as a date (digits and date separators only), refused as "not a valid date".
_DATE_LIKE = re.compile(r"[\d\s./\-年月日号:：]+")


@dataclass(frozen=True)
class SheetContext:
    """What reading one ledger sheet's rows needs besides the rows."""

    today: date
    calendar: WorkCalendar
    settings: Settings
    year_hint: int | None = None  # a year in the sheet's name or title row
    stages: tuple[Stage, ...] = ()  # quarterly target columns (docs/rules.md §3.9)
    category: str | None = None  # the 事项类别 the sheet's name or title names (领导批示)


TEXT_FIELDS = (
    "seq",
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
HEADERS = {c.key: c.header for c in schema.LEDGER_READ_COLUMNS}


def read_items(
    table: Table, units: list[Unit], context: SheetContext, problems: list[Problem]
) -> list[Item]:
    """Build one Item per non-empty ledger row of ``table``, appending problems."""
    cols = table.columns
    names = UnitNames(units)
    unknown_groups: dict[str, str] = {}  # group word -> first cell naming it
    items = []
    no_formulas: frozenset[str] = frozenset()
    bad_rows = {r for r, _ in table.bad_formulas}
    fields = _Fields(cols)
    for row, values in rows_of(table, problems, own=("id",)):  # assign_ids reports 编号

        def report(key: str, message: str, fix: str, row: int = row) -> None:
            cell = table.cell(key, row) if key in cols else f"{row}:{row}"
            problems.append(Problem(table.sheet, cell, message, fix))

        formulas = (
            {k for k, c in cols.items() if (row, c) in table.bad_formulas}
            if row in bad_rows
            else no_formulas
        )
        matched = names.match(_text(values.get("unit", "")), _co_text(values, fields))
        item = _item(row, values, fields, matched, report, context, formulas)
        item.sheet = table.sheet
        for group in matched.groups:
            unknown_groups.setdefault(group, table.cell("unit", row))
        items.append(item)
    for group, cell in unknown_groups.items():
        problems.append(Problem(table.sheet, cell, *group_problem(group)))
    join_parts(items, table)
    return items


class _Fields:
    """One sheet's columns as the row reader needs them, worked out once per sheet."""

    def __init__(self, cols: dict[str, int]):
        self.cols = cols
        self.texts = [k for k in TEXT_FIELDS if k in cols]
        self.dates = [k for k in DATE_FIELDS if k in cols]
        self.co = [k for k in ("co_units", "co_units2") if k in cols]
        # clean() of each text seen: units, categories, statuses and cadences repeat down a
        # ledger, and NFKC is the costly part of reading a row.
        self._cleaned: dict[str, str] = {}
        # 办结时限 cells holding a plain date, read once each: (text, DeadlineReading).
        self.dated: dict[date, tuple] = {}
        self._progress: dict[tuple[type, object], float] = {}

    def progress(self, value: object) -> float:
        """Return ``normalize.parse_progress(value)``, remembered per value read."""
        key = (value.__class__, value)
        found = self._progress.get(key)
        if found is None:
            found = self._progress[key] = parse_progress(value)
        return found

    def clean(self, value: object) -> str:
        """Return ``normalize.clean(value)``, remembered for text cells."""
        if value.__class__ is not str:
            return clean(value)
        found = self._cleaned.get(value)
        if found is None:
            found = self._cleaned[value] = clean(value)
        return found


def join_parts(items: list[Item], table: Table) -> None:
    """Mark rows that are parts of one item: one row per unit under a merged 事项内容/序号/编号.

    The same holds for consecutive rows repeating the same 序号 or 编号 and 事项内容 with a
    different unit each. Every part gets the first part's 编号 (docs/rules.md §3.7).
    """
    keys = {table.columns[k] for k in ("content", "seq", "id") if k in table.columns}
    by_row = {item.row: item for item in items}
    groups: list[list[Item]] = []
    for (r0, c0), (r1, _) in table.merges:
        if c0 in keys:
            groups.append([by_row[r] for r in range(r0, r1 + 1) if r in by_row])
    for before, item in zip(items, items[1:], strict=False):
        same_key = (before.seq and before.seq == item.seq) or (before.id and before.id == item.id)
        if same_key and before.content and before.content == item.content:
            groups.append([before, item])
    for group in _merged(groups):
        units = [i.unit_text for i in group]
        if len(group) < 2 or len(set(units)) < len(units):
            continue  # the same unit twice is not parts of one item (a duplicate stays a problem)
        first = group[0]
        for part in group:
            part.part_of = (table.sheet, first.row)
            part.id = part.id or first.id


def _merged(groups: list[list[Item]]) -> list[list[Item]]:
    """Join overlapping groups of rows (a merge and a repeated 序号 may name the same rows)."""
    joined: list[list[Item]] = []
    for group in sorted((g for g in groups if g), key=lambda g: g[0].row):
        if joined and group[0].row <= joined[-1][-1].row:
            rows = {i.row: i for i in (*joined[-1], *group)}
            joined[-1] = [rows[r] for r in sorted(rows)]
        else:
            joined.append(group)
    return joined


def _co_text(values: dict[str, object], fields: _Fields) -> str:
    """Return the 配合单位 cells of a row as one list (a second unit column joins the first)."""
    parts = (_text(values[k]) for k in fields.co)
    return "、".join(p for p in parts if p)


def _item(
    row: int,
    v: dict[str, object],
    fields: _Fields,
    matched: UnitMatch,
    report: Callable,
    context: SheetContext,
    formulas: Collection[str],
) -> Item:
    """Build one Item; ``formulas`` are keys whose cell was a formula without a value (already reported)."""
    today = context.today
    cols = fields.cols
    # Item fields by name (mypy cannot follow names to fields: Any)
    dates: dict[str, Any] = {}
    for key in fields.dates:
        raw = v[key]
        if raw.__class__ is date and YEAR_MIN <= raw.year <= YEAR_MAX:
            dates[key] = raw  # what parse_date returns for a plain date: most cells
        elif not _blank(raw):
            dates[key] = _date(key, raw, today, report)
    texts: dict[str, Any] = {key: _text(v[key]) for key in fields.texts}
    item = Item(row=row, id=clean(v.get("id", "")), **texts, **dates)
    item.done_known = "done_on" in cols
    if "category" in cols:
        item.category, problem = _category(fields.clean(v["category"]))
        if problem:
            report("category", *problem)
    elif item.source or context.category:
        # 来源依据 first; a sheet kept for one category (领导批示) settles the rest.
        found = category_from_source(item.source) if item.source else "其他"
        item.category = context.category if found == "其他" and context.category else found
    item.typed_status, problem = _status(fields.clean(v.get("typed_status", "")))
    if problem:
        report("typed_status", *problem)
    item.unit_text = _text(v.get("unit", ""))
    item.units, item.co_units = matched.leads, matched.co_units
    item.unit = matched.leads[0] if matched.leads else None
    for key, message, fix in matched.problems:
        report(key, message, fix)
    if _blank_cell(v, "unit", cols, formulas):
        report("unit", "责任单位为空", "请填写牵头负责的单位名称")
    if not _blank(v.get("cadence", "")):
        item.cadence_text = _text(v["cadence"])
        try:
            item.cadence = _cadence(fields.clean(v["cadence"]))
        except ValueError as e:
            report("cadence", *_split_cadence_error(str(e), item.cadence_text))
    _deadline(item, v.get("deadline", ""), context, report, fields)
    if context.stages:
        _stages(item, v, context)
    if item.latest_progress:
        _progress_words(item, cols, today)
    if not _blank(v.get("progress", "")):
        try:
            item.progress = fields.progress(v["progress"])
            item.progress_text = progress_shown(v["progress"], item.progress)
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


def _stages(item: Item, v: dict[str, object], context: SheetContext) -> None:
    """Read a quarterly-target row: its stages, the feedback its 完成情况 cells give, done or not."""
    year = context.year_hint or (item.assigned_on or context.today).year
    dates = stage_dates(year, context.stages)
    planned = [s for s in context.stages if not _blank(v.get(stage_key(s, "target"), ""))]
    if not planned:
        return
    last = planned[-1]
    if item.deadline is None and not item.ongoing:
        item.deadline = dates[last.month]
        item.deadline_rule = f"{last.label}目标 → {dates[last.month].isoformat()}"
    earlier = tuple(dates[s.month] for s in planned[:-1])
    if earlier:
        item.cadence = with_stages(item.cadence, earlier)
    # The stages reported in turn count as feedback up to the first one left empty, so that
    # one is the 下次反馈日 (反馈逾期 once it has passed) even when a later cell is filled; a
    # stage reported before its date was reported by today at the latest.
    latest = None
    for stage in planned:
        if stage.done is None:
            continue  # no 完成情况 column for this stage: nothing to read
        if _blank(v.get(stage_key(stage, "done"), "")):
            break
        latest = min(dates[stage.month], context.today)
    if latest is not None:
        item.last_feedback_on = max(filter(None, (item.last_feedback_on, latest)))
    # The last 完成情况 says done in words (已完成), or is the year-end report once it is due.
    final = clean(v.get(stage_key(last, "done"), ""))
    if final and item.typed_status == TypedStatus.IN_PROGRESS:
        said = status_of(final)
        if said is None and context.today > dates[last.month]:
            said = TypedStatus.DONE
        if said is not None:
            item.typed_status = said
            item.done_known = item.done_known and item.done_on is not None


def _progress_words(item: Item, cols: dict[str, int], today: date) -> None:
    """Take the feedback date and 完成进度 written into 进展情况 when there is no column for them."""
    if "last_feedback_on" not in cols:
        item.last_feedback_on = dated_progress(item.latest_progress, today)
    if "progress" not in cols:
        item.progress = percent_at_end(item.latest_progress)


def _blank_cell(
    v: dict[str, object], key: str, cols: dict[str, int], formulas: Collection[str]
) -> bool:
    """Tell whether ``key``'s column is there and its cell was left blank (not a failed formula)."""
    return key in cols and key not in formulas and _blank(v[key])


def _blank(value: object) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None


def _text(value: object) -> str:
    """Return ``normalize.text(value)`` (a text cell trimmed), without a call for the usual case."""
    return value.strip() if value.__class__ is str else text(value)


def _date(key: str, raw: object, today: date, report: Callable) -> date | None:
    try:
        return parse_date(raw, today=today)
    except ValueError as e:
        report(key, f"{HEADERS[key]}“{clean(raw)}”不是有效日期：{e}", DATE_HINT)
        return None


def _deadline(
    item: Item, raw: object, context: SheetContext, report: Callable, fields: _Fields
) -> None:
    """Read 办结时限 (a date or the words of docs/deadlines.md); refuse what is not clear."""
    if _blank(raw):
        return
    # A plain date in range reads the same whatever the row (no year to guess, no stages).
    if raw.__class__ is date and YEAR_MIN <= raw.year <= YEAR_MAX:
        known = fields.dated.get(raw)
        if known is None:
            known = fields.dated[raw] = (
                text(raw),
                read_deadline(
                    raw,
                    assigned_on=None,
                    year_hint=None,
                    today=context.today,
                    calendar=context.calendar,
                ),
            )
        item.deadline_text, reading = known
        item.deadline, item.ongoing = reading.deadline, reading.ongoing
        item.deadline_rule = reading.rule if reading.from_words else ""
        return
    item.deadline_text = text(raw)
    try:
        reading = read_deadline(
            raw,
            assigned_on=item.assigned_on,
            year_hint=context.year_hint,
            today=context.today,
            calendar=context.calendar,
            immediate_days=context.settings.immediate_days,
        )
    except ValueError as e:
        if _DATE_LIKE.fullmatch(item.deadline_text):
            what, fix = (
                "不是有效日期",
                f"{DATE_HINT}（也可写“9月底前”“年底前”等，见 docs/deadlines.md）",
            )
        else:
            what, fix = "无法识别", ACCEPTED_FORMS
        report("deadline", f"办结时限“{item.deadline_text}”{what}：{e}", fix)
        return
    item.deadline, item.ongoing = reading.deadline, reading.ongoing
    item.deadline_rule = reading.rule if reading.from_words else ""
    if reading.stages:
        item.cadence = with_stages(item.cadence, reading.stages)


# 事项类别 and 办理状态 take a handful of values over the whole ledger, so each typed text is
# checked (and a "did you mean" worked out) once: cached by the cleaned cell text.


@lru_cache(maxsize=1024)
def _category(shown: str) -> tuple[str, tuple[str, str] | None]:
    """Return (事项类别 or "", the (message, fix) of a problem or None) for a cleaned cell."""
    word = squeeze(shown)
    if not word:
        return "", None
    word = CATEGORY_ALIASES.get(word, word)
    if word in schema.CATEGORIES:
        return word, None
    near = suggest_from(word, schema.CATEGORIES)
    return "", (
        f"事项类别“{shown}”不在规定类别中",
        did_you_mean(near) or f"请从下拉列表中选择：{'、'.join(schema.CATEGORIES)}",
    )


@lru_cache(maxsize=1024)
def _status(shown: str) -> tuple[TypedStatus, tuple[str, str] | None]:
    """Return (办理状态, the (message, fix) of a problem or None) for a cleaned cell; 办理中 by default."""
    if not squeeze(shown):
        return TypedStatus.IN_PROGRESS, None
    status = status_of(shown)
    if status is not None:
        return status, None
    near = suggest_from(shown, schema.TYPED_STATUSES)
    return TypedStatus.IN_PROGRESS, (
        f"办理状态“{shown}”无法识别，本次按“办理中”计算",
        f"{did_you_mean(near)}可选：{'、'.join(schema.TYPED_STATUSES)}"
        "（也可写“已完成”“推进中”“是/否”等）",
    )


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
    if item.done_on is None and "typed_status" in cols and "done_on" in cols:
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
