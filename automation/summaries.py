"""Turn a computed ledger into the WritePlan: computed cells and the regenerated sheets.

Pure: (Ledger, Outcome, now) → WritePlan. The file writer and the live (Excel) writer both
apply this same plan, so they cannot drift apart.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import datetime
from itertools import repeat

from automation import schema
from automation.models import (
    CellWrite,
    GeneratedSheet,
    Item,
    ItemResult,
    Ledger,
    Outcome,
    WritePlan,
)
from automation.schema import Status, TypedStatus

DONE = schema.DONE_STATUSES
INACTIVE = schema.SET_ASIDE
OPEN = schema.OPEN_STATUSES

PERCENT = "0.0%"
DATE = "yyyy-mm-dd"


def build_plan(ledger: Ledger, outcome: Outcome, *, now: datetime) -> WritePlan:
    """Build everything one refresh writes: computed columns, assigned 编号, summary sheets."""
    pairs = list(zip(ledger.items, outcome.results, strict=True))
    return WritePlan(
        cells=ledger_cells(ledger, outcome.results, now=now),
        sheets=[
            summary_sheet(pairs),
            ranking_sheet(outcome),
            overdue_sheet(pairs, ledger),
            due_soon_sheet(pairs, ledger),
            problems_sheet([*ledger.problems, *outcome.problems]),
        ],
    )


def computed_columns(ledger: Ledger) -> dict[str, int]:
    """Return the column of each computed field, placing missing ones right of the sheet's used range."""
    placed = {
        c.key: ledger.columns[c.key]
        for c in schema.LEDGER_COMPUTED_COLUMNS
        if c.key in ledger.columns
    }
    next_col = max([ledger.max_col, *ledger.columns.values(), 0]) + 1
    for column in schema.LEDGER_COMPUTED_COLUMNS:
        if column.key not in placed:
            placed[column.key] = next_col
            next_col += 1
    return placed


COMPUTED_KEYS = tuple(c.key for c in schema.LEDGER_COMPUTED_COLUMNS)


def stamp_of(now: datetime) -> str:
    """Return the 更新时间 text a refresh at ``now`` writes."""
    return now.strftime("%Y-%m-%d %H:%M")


def computed_values(r: ItemResult, stamp: str) -> tuple:
    """Return what goes into one row's computed columns, in ``COMPUTED_KEYS`` order."""
    return (
        r.light or None,  # unknown: the cell is left blank, never a guessed light
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


def ledger_cells(
    ledger: Ledger, results: Iterable[ItemResult], *, now: datetime
) -> list[CellWrite]:
    """Return the cell writes for the computed columns (headers included) and assigned 编号."""
    sheet = ledger.ledger_sheet
    columns = computed_columns(ledger)
    cells = [
        CellWrite(sheet, ledger.header_row, columns[c.key], c.header)
        for c in schema.LEDGER_COMPUTED_COLUMNS
        if c.key not in ledger.columns
    ]
    stamp = stamp_of(now)
    cols = [columns[k] for k in COMPUTED_KEYS]
    assigned = {item.row: item.id for item in ledger.items if item.id_assigned}
    id_col = ledger.columns.get("id")
    for r in results:
        # Over half a million cells at 50 000 rows: built with map, not a per-cell loop.
        cells.extend(map(CellWrite, repeat(sheet), repeat(r.row), cols, computed_values(r, stamp)))
        if id_col and r.row in assigned:
            cells.append(CellWrite(sheet, r.row, id_col, assigned[r.row]))
    return cells


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
        sum(map(_on_time, done)) / len(done) if done else None,
        *(statuses[s] for s in COUNTED),
        *(lights[light] for light in schema.LIGHTS),
    ]


def _grouped(pairs, key) -> list[tuple[str, list[tuple[Item, ItemResult]]]]:
    groups: dict[str, list] = defaultdict(list)
    for item, result in pairs:
        groups[key(item) or "（未填写）"].append((item, result))
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def summary_sheet(pairs: list[tuple[Item, ItemResult]]) -> GeneratedSheet:
    """Build 统计汇总: a per-unit block (charted), then per-category and per-leader blocks."""
    rows: list[list[object]] = []
    headers: list[int] = []
    chart = None
    blocks = (
        ("责任单位", lambda i: i.unit or i.unit_text),
        ("事项类别", lambda i: i.category),
        ("牵头领导", lambda i: i.leader),
    )
    for title, key in blocks:
        if rows:
            rows.append([])
        headers.append(len(rows))
        rows.append([title, *GROUP_HEADERS])
        first = len(rows)
        rows.extend(_group_row(name, group) for name, group in _grouped(pairs, key))
        if title == "责任单位":
            rows.append(_group_row("合计", pairs))
            if len(rows) - 1 > first:
                chart = (
                    "各责任单位办结率",
                    0,
                    GROUP_HEADERS.index("办结率") + 1,
                    first,
                    len(rows) - 2,
                )
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


def overdue_sheet(pairs, ledger: Ledger) -> GeneratedSheet:
    """Build 逾期清单: overdue items, most overdue first, with the unit's contact."""
    contacts = _contacts(ledger)
    rows: list[list[object]] = [
        "编号 事项内容 责任单位 牵头领导 办结时限 逾期工作日 督办等级 已催办次数 联系人 联系电话 督办人".split()
    ]
    overdue = [(i, r) for i, r in pairs if r.status == Status.OVERDUE]
    overdue.sort(key=lambda p: (-(p[1].days_overdue or 0), p[0].id))
    for item, r in overdue:
        contact, phone = contacts.get(item.unit or "", ("", ""))
        rows.append([item.id, item.content, item.unit or item.unit_text, item.leader,
                     item.effective_deadline, r.days_overdue, r.level, r.reminder_count,
                     contact, phone, item.owner])  # fmt: skip
    return GeneratedSheet(
        schema.OVERDUE_LIST, rows, (0,), (14, 40, 16, 10, 12, 10, 10, 10, 10, 14, 10), {4: DATE}
    )


def due_soon_sheet(pairs, ledger: Ledger) -> GeneratedSheet:
    """Build 临期清单: items due within the warning window, soonest first."""
    contacts = _contacts(ledger)
    rows: list[list[object]] = [
        "编号 事项内容 责任单位 牵头领导 办结时限 剩余工作日 完成进度 联系人 联系电话 督办人".split()
    ]
    soon = [(i, r) for i, r in pairs if r.status == Status.DUE_SOON]
    soon.sort(key=lambda p: (p[1].days_left if p[1].days_left is not None else 99, p[0].id))
    for item, r in soon:
        contact, phone = contacts.get(item.unit or "", ("", ""))
        progress = None if item.progress is None else item.progress / 100
        rows.append([item.id, item.content, item.unit or item.unit_text, item.leader,
                     item.effective_deadline, r.days_left, progress, contact, phone, item.owner])  # fmt: skip
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
        rows.append(["", "", "未发现问题", ""])
    return GeneratedSheet(schema.PROBLEMS, rows, (0,), (12, 16, 60, 50))
