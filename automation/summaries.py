"""Turn a computed ledger into the WritePlan: computed cells and the regenerated sheets.

Pure: (Ledger, Outcome, now) → WritePlan. The file writer and the live (Excel) writer both
apply this same plan, so they cannot drift apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime
from operator import attrgetter

from automation import errors, schema, staffnotes
from automation.models import (
    CellWrite,
    ColumnWrites,
    GeneratedSheet,
    Item,
    ItemResult,
    Ledger,
    LedgerSheet,
    Outcome,
    WritePlan,
)
from automation.schema import Status, TypedStatus
from automation.xlsx.cellxml import column_letters as get_column_letter

DONE = schema.DONE_STATUSES
INACTIVE = schema.SET_ASIDE
OPEN = schema.OPEN_STATUSES

ID_HEADER = next(c.header for c in schema.LEDGER_INPUT_COLUMNS if c.key == "id")
MAX_COLUMNS = 16_384  # Excel's last column, XFD
NO_PROBLEMS = "未发现问题"  # 校验问题's one line when there is nothing to fix
PERCENT = "0.0%"
DATE = "yyyy-mm-dd"


def build_plan(ledger: Ledger, outcome: Outcome, *, now: datetime) -> WritePlan:
    """Build everything one refresh writes: computed columns, assigned 编号, summary sheets.

    What staff typed beside or below the previous generated sheets is carried into the new
    ones (staffnotes); a note whose row is gone is listed in the new 校验问题. Those lines
    are the write's own: ``duban check`` (which writes nothing) does not list them.
    """
    pairs = list(zip(ledger.items, outcome.results, strict=True))
    placed = {sheet.name: _within_excel(sheet, ledger) for sheet in ledger.sheets}
    sheets = [
        summary_sheet(pairs, ledger),
        ranking_sheet(outcome),
        overdue_sheet(pairs, ledger),
        due_soon_sheet(pairs, ledger),
    ]
    lost = [
        p for sheet in sheets for p in staffnotes.carry(sheet, ledger.generated.get(sheet.name))
    ]
    problems = [*ledger.problems, *outcome.problems, *lost]
    previous = ledger.generated.get(schema.PROBLEMS)
    lost = staffnotes.orphans(problems_sheet(problems), previous, {NO_PROBLEMS})
    sheets.append(problems_sheet([*problems, *lost]))
    staffnotes.carry(sheets[-1], previous, {NO_PROBLEMS})
    cells, columns = ledger_writes(ledger, outcome.results, now=now)
    return WritePlan(
        cells=cells,
        columns=columns,
        formula_columns={name: frozenset(cols.values()) for name, cols in placed.items()},
        sheets=sheets,
    )


def computed_columns(sheet: LedgerSheet) -> dict[str, int]:
    """Return the column of each computed field (and 档案) of a ledger sheet.

    Missing ones go right of the sheet's used range (and of the 编号 column the refresh adds
    to a sheet that has none), never onto a staff column.
    """
    placed = {
        c.key: sheet.columns[c.key] for c in schema.LEDGER_OUTPUT_COLUMNS if c.key in sheet.columns
    }
    next_col = max([sheet.max_col, *sheet.columns.values(), sheet.id_column(), 0]) + 1
    for column in schema.LEDGER_OUTPUT_COLUMNS:
        if column.key not in placed:
            placed[column.key] = next_col
            next_col += 1
    return placed


def _within_excel(sheet: LedgerSheet, ledger: Ledger) -> dict[str, int]:
    """Return the sheet's computed columns; refuse to write when one would fall past XFD."""
    placed = computed_columns(sheet)
    if max([*placed.values(), sheet.id_column()]) <= MAX_COLUMNS:
        return placed
    # The reader reported the cell that leaves no room: in the sheet's last used column.
    letters = get_column_letter(min(sheet.max_col, MAX_COLUMNS))
    problem = next(
        (
            p
            for p in ledger.problems
            if p.sheet == sheet.name and p.cell.rstrip("0123456789") == letters
        ),
        None,
    )
    where = problem.where if problem else f"“{sheet.name}”表 {letters} 列"
    raise errors.WriteFailed(
        f"{where} 右侧放不下刷新要添加的列（Excel 最多 {MAX_COLUMNS} 列，到 XFD 列为止），本次没有写入",
        problem.fix if problem else "请把最右侧的内容移到左侧的空列后再刷新",
    )


COMPUTED_KEYS = tuple(c.key for c in schema.LEDGER_COMPUTED_COLUMNS)


def stamp_of(now: datetime) -> str:
    """Return the 更新时间 text a refresh at ``now`` writes."""
    return now.strftime("%Y-%m-%d %H:%M")


def computed_values(r: ItemResult, stamp: str) -> tuple:
    """Return what goes into one row's computed columns, in ``COMPUTED_KEYS`` order."""
    return (
        r.light or None,  # unknown: the cell is left blank, never a guessed light
        r.deadline,
        r.status or None,
        r.days_left,
        r.days_overdue,
        r.next_feedback_on,
        r.expected_progress,
        r.deviation,
        r.level or None,  # no escalation: the cell is cleared, not set to ""
        r.reminder_count,
        stamp,
    )


def computed_value_columns(results: list[ItemResult], stamp: str) -> list[list[object]]:
    """Return ``computed_values`` of each result as one list per column (the same values).

    Built by fields in C (attrgetter, zip) rather than one tuple per row in Python.
    """
    columns = [list(c) for c in zip(*map(_RESULT_FIELDS, results), strict=True)] or [
        [] for _ in range(len(COMPUTED_KEYS) - 1)
    ]
    for k in (0, 2, 8):  # 预警, 计算状态, 督办等级: "" leaves the cell blank
        columns[k] = [v or None for v in columns[k]]
    return [*columns, [stamp] * len(results)]


# The ItemResult fields of computed_values, in its order (updated_at is the stamp).
_RESULT_FIELDS = attrgetter(
    "light", "deadline", "status", "days_left", "days_overdue", "next_feedback_on",
    "expected_progress", "deviation", "level", "reminder_count",
)  # fmt: skip


def ledger_writes(
    ledger: Ledger, results: Iterable[ItemResult], *, now: datetime
) -> tuple[list[CellWrite], list[ColumnWrites]]:
    """Return the writes of every ledger sheet: computed columns (as column arrays) and cells.

    The cells are the headers of computed columns a sheet lacks and the 编号 of items that
    had none; a sheet without an 编号 column gets one (header and every item's number), so
    history, letters and feedback forms keep following each item when staff sort or insert
    rows. A computed cell that already holds exactly its new value is marked ``kept``.
    """
    stamp = stamp_of(now)
    assigned = {(i.sheet, i.row): i.id for i in ledger.items if i.id_assigned}
    by_sheet: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        by_sheet[r.sheet].append(r)
    cells: list[CellWrite] = []
    blocks: list[ColumnWrites] = []
    for sheet in ledger.sheets:
        columns = computed_columns(sheet)
        cells.extend(
            CellWrite(sheet.name, sheet.header_row, columns[c.key], c.header)
            for c in schema.LEDGER_OUTPUT_COLUMNS
            if c.key not in sheet.columns
        )
        id_col = sheet.id_column()
        if "id" not in sheet.columns:
            cells.append(CellWrite(sheet.name, sheet.header_row, id_col, ID_HEADER))
        mine = by_sheet.get(sheet.name, [])
        if not mine:
            continue
        rows = [r.row for r in mine]
        values = computed_value_columns(mine, stamp)
        blocks.append(
            ColumnWrites(
                sheet.name,
                rows,
                [columns[k] for k in COMPUTED_KEYS],
                values,
                [_kept(sheet, key, rows, values[k]) for k, key in enumerate(COMPUTED_KEYS)],
            )
        )
        cells.extend(
            CellWrite(sheet.name, row, id_col, assigned[(sheet.name, row)])
            for row in rows
            if (sheet.name, row) in assigned
        )
    return cells, blocks


def _kept(sheet: LedgerSheet, key: str, rows: list[int], values: list[object]) -> frozenset[int]:
    """Return the indexes of the cells of ``key``'s column that already hold their value.

    Only for a column the sheet has (a new one is empty); a formula cell is never kept.
    """
    if key not in sheet.columns:
        return frozenset()
    seen = sheet.computed_seen
    found = [seen[row].get(key) if row in seen else None for row in rows]
    # holds(f, v), spelled out for the kinds of value a refresh writes (half a million cells).
    kind = _SAME_KIND.get
    kept = [
        i
        for i, (f, v) in enumerate(zip(found, values, strict=True))
        if f == v and f.__class__ in kind(v.__class__, ())
    ]
    col = sheet.columns[key]
    formulas = sheet.computed_formulas
    if formulas:
        kept = [i for i in kept if (rows[i], col) not in formulas]
    return frozenset(kept)


# For each kind of value a refresh writes, the kinds of cell value (as calamine reads them)
# that hold it exactly: see holds(). Any other kind of value is always written.
_SAME_KIND: dict[type, tuple[type, ...]] = {
    type(None): (type(None),),
    str: (str,),
    **{enum: (str,) for enum in (schema.Light, schema.Status, schema.Level)},
    int: (int, float),
    float: (int, float),
    date: (date,),
}


def holds(found: object, value: object) -> bool:
    """Tell whether a cell read as ``found`` (None when blank) already holds ``value`` exactly.

    Exactly: the same kind of cell and the same value. A number is a number whether read as
    2.0 or written as 2, but a logical TRUE is not the number 1, nor the text "1" a number,
    and a date is kept only as a date (calamine reads a date-formatted cell as one).
    """
    if value is None or found is None:
        return value is found
    if isinstance(value, str):
        return found.__class__ is str and found == value
    if isinstance(value, bool) or isinstance(found, bool):
        return False
    if isinstance(value, int | float):
        return isinstance(found, int | float) and found == value
    return found.__class__ is value.__class__ and found == value


def added_id_columns(ledger: Ledger) -> list[str]:
    """Say, once per sheet, where a refresh adds the 编号 column a ledger sheet lacked."""
    return [
        f"“{s.name}”表没有“编号”列，已在 {get_column_letter(s.id_column())} 列添加并为 "
        f"{sum(i.sheet == s.name for i in ledger.items)} 个事项编号（录入列，可修改）"
        for s in ledger.sheets
        if "id" not in s.columns and any(i.sheet == s.name for i in ledger.items)
    ]


# --- 统计汇总 -----------------------------------------------------------------------------

# The per-status columns of 统计汇总, after 总数/办理中/已办结/办结率/按期办结率.
COUNTED = (Status.OVERDUE, Status.DUE_SOON, Status.FEEDBACK_LATE, Status.LAGGING)
GROUP_HEADERS = ["总数", str(TypedStatus.IN_PROGRESS), str(Status.DONE), "办结率", "按期办结率",
                 *map(str, COUNTED), *(f"{light}灯" for light in schema.LIGHTS)]  # fmt: skip


def _on_time(item: Item) -> bool:
    deadline = item.effective_deadline
    return item.done_on is not None and (deadline is None or item.done_on <= deadline)


def _group_row(name: str, pairs: list[tuple[Item, ItemResult]]) -> list[object]:
    statuses = Counter(r.status for _, r in pairs)
    lights = Counter(r.light for _, r in pairs)
    done = [item for item, r in pairs if r.status in DONE]
    active = len(pairs) - sum(statuses[s] for s in INACTIVE)
    return [
        name,
        len(pairs),
        sum(statuses[s] for s in OPEN),
        len(done),
        len(done) / active if active else None,
        # Items done with no 办结日期 column cannot be on time or late: left out of the rate.
        sum(map(_on_time, known)) / len(known)
        if (known := [i for i in done if i.done_known])
        else None,
        *(statuses[s] for s in COUNTED),
        *(lights[light] for light in schema.LIGHTS),
    ]


def _grouped(pairs, key) -> list[tuple[str, list[tuple[Item, ItemResult]]]]:
    """Group (item, result) pairs by key(item): a name, or several (each lead unit counts it)."""
    groups: dict[str, list] = defaultdict(list)
    for item, result in pairs:
        names = key(item)
        for name in (names,) if isinstance(names, str) or not names else names:
            groups[name or "（未填写）"].append((item, result))
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


_URGENCY = {status: i for i, status in enumerate(Status)}  # open statuses: most urgent first


def whole_items(pairs: list[tuple[Item, ItemResult]]) -> list[tuple[Item, ItemResult]]:
    """Return one (item, result) per item: the parts of an item over several unit rows as one.

    The item is open while any part is (with its most urgent part's status), done late when
    a part was, 已销号 when every part is, else done; all set aside, it is set aside.
    """
    groups: dict[object, list[tuple[Item, ItemResult]]] = {}
    for pair in pairs:
        key = pair[0].part_of or id(pair[0])
        groups.setdefault(key, []).append(pair)
    return [_whole(group) for group in groups.values()]


def _whole(group: list[tuple[Item, ItemResult]]) -> tuple[Item, ItemResult]:
    if len(group) == 1:
        return group[0]
    open_parts = [p for p in group if p[1].status in OPEN]
    if open_parts:
        return min(open_parts, key=lambda p: _URGENCY[p[1].status])
    done = [p for p in group if p[1].status in DONE]
    late = [p for p in done if p[1].status == Status.DONE_LATE]
    not_closed = [p for p in done if p[1].status != Status.CLOSED]
    return (late or not_closed or done or group)[0]


def summary_sheet(pairs: list[tuple[Item, ItemResult]], ledger: Ledger) -> GeneratedSheet:
    """Build 统计汇总: a per-unit block (charted), then per-category and per-leader blocks.

    With several ledger sheets a per-sheet block follows, each sheet named with its year
    (2025年度 · 2025年督办事项), so an earlier year's items are told apart. An item kept over
    several unit rows counts for each unit in the per-unit block, and once everywhere else
    (合计 included): done only when every part is done (docs/rules.md §3.7).
    """
    rows: list[list[object]] = []
    headers: list[int] = []
    chart = None
    years = {s.name: s.year for s in ledger.sheets}
    items = whole_items(pairs)
    blocks: list[tuple[str, Callable[[Item], object], list[tuple[Item, ItemResult]]]] = [
        ("责任单位", lambda i: i.lead_units or i.unit_text, pairs),
        ("事项类别", lambda i: i.category, items),
        ("牵头领导", lambda i: i.leader, items),
    ]
    if len(ledger.sheets) > 1:
        blocks.append(
            (
                "工作表",
                lambda i: f"{years[i.sheet]}年度 · {i.sheet}" if years.get(i.sheet) else i.sheet,
                items,
            )
        )
    for title, key, counted in blocks:
        if rows:
            rows.append([])
        headers.append(len(rows))
        rows.append([title, *GROUP_HEADERS])
        first = len(rows)
        rows.extend(_group_row(name, group) for name, group in _grouped(counted, key))
        if title == "责任单位":
            last = len(rows) - 1
            rows.append(_group_row("合计", items))
            unknown = sum(1 for i, r in items if r.status in DONE and not i.done_known)
            if unknown:
                rows.append(
                    [
                        f"注：{unknown} 个已办结事项没有办结日期（台账无“办结日期”列），未计入按期办结率"
                    ]
                )
            if last >= first:
                chart = ("各责任单位办结率", 0, GROUP_HEADERS.index("办结率") + 1, first, last)
    widths = (18, *(9 for _ in GROUP_HEADERS))
    percent_cols = {GROUP_HEADERS.index(h) + 1: PERCENT for h in ("办结率", "按期办结率")}
    return GeneratedSheet(schema.SUMMARY, rows, tuple(headers), widths, percent_cols, 1, chart)


# --- 考评排名 -----------------------------------------------------------------------------


def ranking_sheet(outcome: Outcome) -> GeneratedSheet:
    """Build 考评排名: rank, unit, score and the per-rule details for the period."""
    keys: list[str] = []
    for s in outcome.scores:
        keys.extend(k for k in s.details if k not in keys)
    rows: list[list[object]] = [["排名", "责任单位", "得分", *keys, "考评周期"]]
    for s in sorted(outcome.scores, key=lambda s: (s.rank, s.unit)):
        rows.append([s.rank, s.unit, s.score, *(s.details.get(k, 0) for k in keys), s.period])
    widths = (6, 18, 8, *(10 for _ in keys), 16)
    return GeneratedSheet(schema.RANKING, rows, (0,), widths, {2: "0.0"})


# --- 逾期清单 / 临期清单 -------------------------------------------------------------------


def _contacts(ledger: Ledger) -> dict[str, tuple[str, str]]:
    return {u.name: (u.contact, u.phone) for u in ledger.units}


def _sheet_cell(item: Item, ledger: Ledger) -> list[str]:
    """Return the 工作表 cell of a list row: the item's sheet, when there are several ledgers."""
    return [item.sheet] if len(ledger.sheets) > 1 else []


def _list_header(words: str, ledger: Ledger) -> list[object]:
    """Return a list's header row: the words, then 工作表 when there are several ledgers."""
    return [*words.split(), *(["工作表"] if len(ledger.sheets) > 1 else [])]


def overdue_sheet(pairs, ledger: Ledger) -> GeneratedSheet:
    """Build 逾期清单: overdue items, most overdue first, with the unit's contact."""
    contacts = _contacts(ledger)
    rows = [
        _list_header(
            "编号 事项内容 责任单位 牵头领导 办结时限 逾期工作日 督办等级 已催办次数 联系人 联系电话 督办人",
            ledger,
        )
    ]
    overdue = [(i, r) for i, r in pairs if r.status == Status.OVERDUE]
    overdue.sort(key=lambda p: (-(p[1].days_overdue or 0), p[0].id))
    for item, r in overdue:
        contact, phone = contacts.get(item.unit or "", ("", ""))
        rows.append([item.id, item.content, item.unit_text or item.unit, item.leader,
                     item.effective_deadline, r.days_overdue, r.level, r.reminder_count,
                     contact, phone, item.owner, *_sheet_cell(item, ledger)])  # fmt: skip
    return GeneratedSheet(
        schema.OVERDUE_LIST, rows, (0,), (14, 40, 16, 10, 12, 10, 10, 10, 10, 14, 10), {4: DATE}
    )


def due_soon_sheet(pairs, ledger: Ledger) -> GeneratedSheet:
    """Build 临期清单: items due within the warning window, soonest first."""
    contacts = _contacts(ledger)
    rows = [
        _list_header(
            "编号 事项内容 责任单位 牵头领导 办结时限 剩余工作日 完成进度 联系人 联系电话 督办人",
            ledger,
        )
    ]
    soon = [(i, r) for i, r in pairs if r.status == Status.DUE_SOON]
    soon.sort(key=lambda p: (p[1].days_left if p[1].days_left is not None else 99, p[0].id))
    for item, r in soon:
        contact, phone = contacts.get(item.unit or "", ("", ""))
        progress = None if item.progress is None else item.progress / 100
        rows.append([item.id, item.content, item.unit_text or item.unit, item.leader,
                     item.effective_deadline, r.days_left, progress, contact, phone, item.owner,
                     *_sheet_cell(item, ledger)])  # fmt: skip
    return GeneratedSheet(
        schema.DUE_SOON_LIST,
        rows,
        (0,),
        (14, 40, 16, 10, 12, 10, 10, 10, 14, 10),
        {4: DATE, 6: "0%"},
    )


# --- 校验问题 -----------------------------------------------------------------------------


def problems_sheet(problems) -> GeneratedSheet:
    """Build 校验问题: one row per problem, in sheet and cell order as found."""
    rows: list[list[object]] = [["表", "单元格", "问题", "修改建议"]]
    rows.extend([p.sheet, p.where, p.message, p.fix] for p in problems)
    if len(rows) == 1:
        rows.append(["", "", NO_PROBLEMS, ""])
    return GeneratedSheet(schema.PROBLEMS, rows, (0,), (12, 16, 60, 50))
