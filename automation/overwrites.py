"""The computed columns belong to the refresh: find what staff typed there (SPEC §3.3).

The refresh overwrites those cells anyway; this says so, cell by cell, in 校验问题. What the
previous refresh wrote comes from the history; without it (the first refresh), a value is
reported only when it differs from what is about to be written.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from openpyxl.utils.cell import get_column_letter

from automation import schema
from automation.models import CellWrite, Ledger, Problem

Written = dict[int, tuple[str, dict[str, str]]]  # row -> (item id, column key -> text)

# More edits than this in one column are reported as one line for the column, not one per cell.
PER_CELL_LIMIT = 10

_HEADERS = {c.key: c.header for c in schema.LEDGER_COMPUTED_COLUMNS}


def cell_text(value: object) -> str:
    """Return a value as comparable text: 2.0 and 2 are "2", dates are ISO, blanks are ""."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return (
            value.date().isoformat()
            if value.time() == datetime.min.time()
            else value.strftime("%Y-%m-%d %H:%M")
        )
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def written_cells(
    ledger: Ledger, cells: Iterable[CellWrite], columns: Mapping[str, int]
) -> Written:
    """Return what ``cells`` put into each item row's computed columns, as text."""
    key_of = {col: key for key, col in columns.items()}
    ids = {item.row: item.id for item in ledger.items}
    written: Written = {}
    for cell in cells:
        key = key_of.get(cell.col)
        if key is None or cell.sheet != ledger.ledger_sheet or cell.row not in ids:
            continue
        written.setdefault(cell.row, (ids[cell.row], {}))[1][key] = cell_text(cell.value)
    return written


def staff_edits(
    ledger: Ledger, previous: Written, now_writing: Written, columns: Mapping[str, int]
) -> list[Problem]:
    """Return one problem per computed cell whose value is not what the refresh last wrote."""
    previous_by_id = _unique_by_id(previous)
    edits: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for item in ledger.items:
        seen = ledger.computed_seen.get(item.row)
        if not seen:
            continue
        before = previous.get(item.row)
        if before is None or before[0] != item.id:
            before = previous_by_id.get(item.id)  # staff inserted or sorted rows since
        expected = before[1] if before else now_writing.get(item.row, ("", {}))[1]
        for key, value in seen.items():
            if before is None and key == "updated_at":
                continue  # a new timestamp is not an edit
            text = cell_text(value)
            if text != expected.get(key, ""):
                edits[key].append((item.row, text))
    return [
        p
        for key, found in edits.items()
        for p in _problems(ledger.ledger_sheet, key, columns[key], found)
    ]


def _unique_by_id(previous: Written) -> dict[str, tuple[str, dict[str, str]]]:
    by_id: dict[str, list] = defaultdict(list)
    for entry in previous.values():
        by_id[entry[0]].append(entry)
    return {item_id: entries[0] for item_id, entries in by_id.items() if len(entries) == 1}


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
