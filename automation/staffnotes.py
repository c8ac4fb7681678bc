"""Keep what staff typed into a generated sheet when the refresh regenerates it.

Staff annotate the printed lists and summaries: 已电话督促 in a column right of 逾期清单,
a remark on a unit's row of 统计汇总, a line below the table. The refresh rewrites those
sheets whole, so before it does, each new sheet takes over what staff added to the old
one (read by the reader into ``Ledger.generated``):

- cells right of the generated columns follow their row's key: the item's 编号 in 逾期清单
  and 临期清单 (with the 工作表 when several ledger sheets are listed), the unit in
  考评排名, the cell and problem in 校验问题, the block and first column in 统计汇总;
  the header row keeps its own (a staff column title). They stay the same distance right
  of the generated columns, however many there are now;
- rows below the generated block stay below it, the same number of rows down.

A note whose row is gone (the item is no longer overdue, the problem was fixed) cannot be
placed: it becomes a problem in 校验问题 naming the old cell and quoting the note, and the
backup made before the refresh still holds it. Cells staff overwrite inside the generated
block are the refresh's to rewrite (the sheets say so in their header).
"""

from __future__ import annotations

import copy
from collections import defaultdict, deque
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from automation import schema
from automation.models import GeneratedSheet, Problem
from automation.xlsx.cellxml import column_letters as get_column_letter

# Columns whose values identify a row, by header; a sheet's first column when none is there.
KEY_HEADERS = {
    schema.OVERDUE_LIST: ("编号", "工作表"),
    schema.DUE_SOON_LIST: ("编号", "工作表"),
    schema.RANKING: ("责任单位",),
    schema.PROBLEMS: ("单元格", "问题"),
    # 文件夹管理 (docs/rules.md §14, §15): a 差错 is its item, kind and day; a person; an item.
    schema.ERROR_LOG: ("编号", "差错类型", "发生日期"),
    schema.WORKLOAD: ("督办人",),
    schema.LOOKBACK_LIST: ("编号",),
}
# Headers a generated sheet may carry that the new one happens not to (工作表 appears only
# when several ledger sheets are read): never taken for a staff column.
OPTIONAL_HEADERS = {"工作表"}
HEADER = "（表头）"
FIX = (
    "原内容仍在刷新前的备份中（台账所在文件夹的 .duban/backups/），"
    "如仍需要，请抄到台账的“备注”列或其他工作表中"
)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: object) -> str:
    """Return a cell as key text: 3.0 and 3 are the same key."""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return "" if value is None else str(value).strip()


@dataclass
class _Block:
    """A header row and the generated columns under it."""

    title: str
    width: int  # generated columns, 1..width
    keys: list[int]  # 0-based columns identifying a row


@dataclass
class _Old:
    """What staff added to the previous sheet."""

    beside: dict[tuple, deque] = field(default_factory=lambda: defaultdict(deque))
    below: list[tuple[int, int, object]] = field(default_factory=list)  # (rows down, col, value)
    loose: list[tuple[int, int, object]] = field(default_factory=list)  # (row, col, value), 0-based


def carry(
    new: GeneratedSheet, old: Sequence[Sequence[object]] | None, lines: Collection[str] = ()
) -> list[Problem]:
    """Put what staff typed into the previous sheet ``old`` into ``new``; return notes left out.

    ``lines`` are texts the refresh itself writes alone on a row (such as 未发现问题): such
    a row belongs to the generated block, never to the staff's lines below it.
    """
    if not old:
        return []
    names = _key_names(new, old)
    if not _blocks(new, old, names):
        return _not_ours(new.name, old)
    found = _read_old(new, old, lines, names)
    blocks = _blocks(new, new.rows, names)
    block = None
    for r, row in enumerate(new.rows):
        block = blocks.get(r, block)
        if block is None:
            continue
        notes = found.beside.get(_key(block, row, header=r in blocks))
        if notes:
            placed, _ = notes.popleft()
            _put(new.rows, r, {block.width + offset: v for offset, v in placed.items()})
    last = _last_generated(new.rows, blocks, lines)
    for down, col, value in found.below:
        _put(new.rows, last + down, {col: value})
    left = [cell for notes in found.beside.values() for _, cells in notes for cell in cells]
    left += [((r, c), v) for r, c, v in found.loose]
    return [_gone(new.name, r, c, v) for (r, c), v in sorted(left, key=lambda x: x[0])]


def orphans(
    new: GeneratedSheet, old: Sequence[Sequence[object]] | None, lines: Collection[str] = ()
) -> list[Problem]:
    """Return the problems ``carry`` would report, without changing ``new``."""
    return carry(copy.deepcopy(new), old, lines)


def _read_old(new: GeneratedSheet, old: Sequence[Sequence[object]], lines, names) -> _Old:
    found = _Old()
    blocks = _blocks(new, old, names)
    last = _last_generated(old, blocks, lines)
    block = None
    for r, row in enumerate(old):
        block = blocks.get(r, block)
        if r > last:
            found.below.extend((r - last, c, v) for c, v in enumerate(row) if not _blank(v))
            continue
        width = block.width if block else 0
        beside = {c - width: v for c, v in enumerate(row[width:], width) if not _blank(v)}
        if not beside:
            continue
        where = [((r, width + offset), v) for offset, v in beside.items()]
        if block is None or (r not in blocks and all(_blank(v) for v in row[:width])):
            found.loose.extend((r, c, v) for (_, c), v in where)
        else:
            found.beside[_key(block, row, header=r in blocks)].append((beside, where))
    return found


def _last_generated(grid: Sequence[Sequence[object]], blocks: dict[int, _Block], lines) -> int:
    """Return the index of the grid's last generated row (-1 when it has none).

    A generated row fills several of the generated columns (or is a header, or one of the
    refresh's own one-cell ``lines``); a row with one cell below them is a staff line.
    """
    last = -1
    block = None
    for r, row in enumerate(grid):
        block = blocks.get(r, block)
        if block is None:
            continue
        filled = _first_filled(row[: block.width], 2)
        if r in blocks or len(filled) > 1 or (filled and _text(filled[0]) in lines):
            last = r
    return last


def _first_filled(cells: Sequence[object], n: int) -> list[object]:
    """Return the first ``n`` non-blank cells (a list of tens of thousands of rows asks each)."""
    found = []
    for v in cells:
        if not _blank(v):
            found.append(v)
            if len(found) == n:
                break
    return found


def _key_names(new: GeneratedSheet, old: Sequence[Sequence[object]]) -> list[str]:
    """Return the key headers both the new sheet and the old one have (工作表 may come and go)."""
    wanted = KEY_HEADERS.get(new.name, ())
    in_new = {_text(v) for h in new.header_rows if h < len(new.rows) for v in new.rows[h]}
    starts = {
        tuple(_text(v) for v in new.rows[h][:2]) for h in new.header_rows if h < len(new.rows)
    }
    in_old = {_text(v) for row in old if tuple(map(_text, row[:2])) in starts for v in row}
    return [n for n in wanted if n in in_new and n in in_old]


def _blocks(
    new: GeneratedSheet, grid: Sequence[Sequence[object]], names: Sequence[str]
) -> dict[int, _Block]:
    """Find the header rows of ``grid`` that spell one of ``new``'s header rows, by row index."""
    headers = [new.rows[h] for h in new.header_rows if h < len(new.rows) and len(new.rows[h]) > 1]
    starts = [[_text(v) for v in header[:2]] for header in headers]
    found = {}
    for r, row in enumerate(grid):
        start = [_text(v) for v in row[:2]]
        if start not in starts:  # most rows: no header starts this way
            continue
        cells = [_text(v) for v in row]
        for header in headers:
            if cells[:2] == [_text(v) for v in header[:2]]:
                known = {_text(v) for v in header} | OPTIONAL_HEADERS
                width = 1 + max(i for i, v in enumerate(cells) if i < 2 or v in known)
                keys = [cells.index(n) for n in names if n in cells[:width]] or [0]
                found[r] = _Block(cells[0], width, keys)
                break
    return found


def _key(block: _Block, row: Sequence[object], *, header: bool) -> tuple:
    if header:
        return (block.title, HEADER)
    return (block.title, *(_text(row[k]) if k < len(row) else "" for k in block.keys))


def _not_ours(sheet: str, old: Sequence[Sequence[object]]) -> list[Problem]:
    """Say that a sheet the refresh did not write (an office's own 统计汇总) is replaced.

    Its content cannot be matched to the generated rows; the template's own note is no loss.
    """
    from automation.workbooks.template import GENERATED_NOTE  # openpyxl: imported when needed

    cells = [
        (r, c, v)
        for r, row in enumerate(old)
        for c, v in enumerate(row)
        if not _blank(v) and _text(v) != GENERATED_NOTE
    ]
    if not cells:
        return []
    r, c, first = cells[0]
    return [
        Problem(
            sheet,
            f"{get_column_letter(c + 1)}{r + 1}",
            f"“{sheet}”表原有的 {len(cells)} 个单元格（如“{_text(first)}”）不是刷新生成的表格，"
            "已被本次刷新生成的表替换",
            FIX,
        )
    ]


def _put(rows: list[list[object]], r: int, cells: dict[int, object]) -> None:
    while len(rows) <= r:
        rows.append([])
    row = rows[r]
    for c, value in cells.items():
        while len(row) <= c:
            row.append(None)
        row[c] = value


def _gone(sheet: str, r: int, c: int, value: object) -> Problem:
    return Problem(
        sheet,
        f"{get_column_letter(c + 1)}{r + 1}",
        f"员工在“{sheet}”此处填写的“{_text(value)}”所在的行在本次刷新后已不存在"
        "（如事项已不再逾期或临期、问题已改正），刷新后的表中不再显示",
        FIX,
    )
