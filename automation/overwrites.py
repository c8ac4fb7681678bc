"""The computed columns belong to the refresh: find what staff typed there (docs/rules.md §11.3).

The refresh overwrites those cells anyway; this says so, cell by cell, in 校验问题. What the
previous refresh wrote is rebuilt from its results in the history; without them (the first
refresh), a value is reported only when it differs from what is about to be written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from automation import schema
from automation.models import ItemResult, Ledger, Problem
from automation.summaries import COMPUTED_KEYS, computed_columns, computed_values, stamp_of
from automation.xlsx.cellxml import column_letters as get_column_letter

# More edits than this in one column are reported as one line for the column, not one per cell.
PER_CELL_LIMIT = 10

_HEADERS = {c.key: c.header for c in schema.LEDGER_COMPUTED_COLUMNS}


def cell_text(value: object) -> str:
    """Return a value as comparable text: 2.0 and 2 are "2", dates are ISO, blanks are ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def same(found: object, written: object) -> bool:
    """Tell whether a value read back from a cell is the value that was written there."""
    # Equality settles almost every cell (2.0 == 2, "红" == "红"); text only on a mismatch.
    return found == written or cell_text(found) == cell_text(written)


def staff_edits(
    ledger: Ledger,
    results: Sequence[ItemResult],
    *,
    previous: Sequence[ItemResult] = (),
    previous_at: datetime | None = None,
) -> list[Problem]:
    """Return one problem per computed cell whose value is not what the refresh wrote there.

    ``results`` are this refresh's; ``previous`` and ``previous_at`` the latest recorded one's.
    """
    before_by_cell = {(r.sheet, r.row): r for r in previous}
    before_by_id = _unique_by_id(previous)
    now_by_cell = {(r.sheet, r.row): r for r in results}
    previous_stamp = stamp_of(previous_at) if previous_at else ""
    problems: list[Problem] = []
    for sheet in ledger.sheets:
        edits: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for item in ledger.items:
            seen = sheet.computed_seen.get(item.row) if item.sheet == sheet.name else None
            if not seen:
                continue
            before = before_by_cell.get((sheet.name, item.row))
            if before is None or before.item_id != item.id:
                before = before_by_id.get(item.id)  # staff inserted or sorted rows since
            if before is not None:
                expected = dict(
                    zip(COMPUTED_KEYS, computed_values(before, previous_stamp), strict=True)
                )
            elif (sheet.name, item.row) in now_by_cell:
                now = now_by_cell[(sheet.name, item.row)]
                expected = dict(zip(COMPUTED_KEYS, computed_values(now, ""), strict=True))
            else:
                continue
            for key, value in seen.items():
                if key not in expected:
                    continue  # 档案: the folder's link, not a rule's result (archive/office.py)
                if before is None and key == "updated_at":
                    continue  # a new timestamp is not an edit
                if not same(value, expected[key]):
                    edits[key].append((item.row, cell_text(value)))
        columns = computed_columns(sheet)
        for key, found in edits.items():
            problems.extend(_problems(sheet.name, key, columns[key], found))
    return problems


def _unique_by_id(results: Sequence[ItemResult]) -> dict[str, ItemResult]:
    by_id: dict[str, list[ItemResult]] = defaultdict(list)
    for r in results:
        by_id[r.item_id].append(r)
    return {item_id: found[0] for item_id, found in by_id.items() if len(found) == 1}


def _problems(sheet: str, key: str, col: int, found: list[tuple[int, str]]) -> list[Problem]:
    header = _HEADERS[key]
    letter = get_column_letter(col)
    fix = "计算列由系统填写，请勿手工修改；要改变结果，请修改办理状态、办结日期、完成进度等录入列"
    if len(found) > PER_CELL_LIMIT:
        first = found[0][0]
        return [
            Problem(
                sheet,
                f"{letter}{first}",
                f"“{header}”列有 {len(found)} 处手工填写的内容，已被刷新覆盖",
                fix,
            )
        ]
    return [
        Problem(
            sheet, f"{letter}{row}", f"“{header}”是系统计算列，手工填写的“{text}”已被刷新覆盖", fix
        )
        for row, text in found
    ]
