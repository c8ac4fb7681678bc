"""A staff sheet as a table: header row found by name, columns mapped by key, data rows with addresses.

Used by the reader for every sheet (ledger, units, settings, ...). Merged title rows, a
second header row under merged group headers, vertically merged data cells, hidden and
empty rows and formulas lacking a cached value are all handled here; what calamine cannot
tell (formula cells, the real used range) comes from ``sheet_scan``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter

from automation.ledger import row_kinds
from automation.ledger.normalize import header_key
from automation.ledger.sheet_scan import SheetScan
from automation.models import Problem
from automation.xlsx.cellxml import column_letters as get_column_letter

HEADER_SCAN_ROWS = 10


@dataclass
class Table:
    """One staff sheet as read: its header row, column map (key -> 1-based index) and data rows."""

    sheet: str
    header_row: int = 0  # 0 when no header was found
    columns: dict[str, int] = field(default_factory=dict)
    rows: list[tuple[int, list[object]]] = field(default_factory=list)  # (1-based row, cells)
    last_row: int = 0
    max_col: int = 0  # the last column used in any row, extra staff columns included
    max_col_cell: str = ""  # a cell in that column that holds something, e.g. "XFD5"
    bad_formulas: set[tuple[int, int]] = field(default_factory=set)  # (row, col), 1-based
    formula_cells: set[tuple[int, int]] = field(default_factory=set)  # every formula, 1-based
    headers: dict[int, str] = field(default_factory=dict)  # 1-based column -> header as typed
    # Rows that look like data but are not items (合计, 注：…, 填报人…, a repeated header), by kind.
    skipped: dict[str, list[int]] = field(default_factory=dict)
    # Vertically merged data cells as ((first row, col), (last row, col)), 1-based.
    merges: list[tuple[tuple[int, int], tuple[int, int]]] = field(default_factory=list)
    title: str = ""  # the text of the rows above the header (e.g. "XX县2026年督查事项台账")

    def cell(self, key: str, row: int) -> str:
        """Return the A1 reference of ``key``'s cell in ``row``."""
        return f"{get_column_letter(self.columns[key])}{row}"

    def values(self, cells: list[object]) -> dict[str, object]:
        """Pick the known columns out of one row's cells."""
        return {k: cells[i - 1] if i <= len(cells) else "" for k, i in self.columns.items()}


def load_table(workbook, name: str, columns, scan: SheetScan, *, min_matches: int) -> Table:
    """Read a sheet's cells, find its header row and map columns by header name.

    The sheet's XML is scanned first (``SheetScan``): a used range too large to read is
    refused before calamine would try to allocate it.
    """
    scan.check(name)
    sheet = workbook.get_sheet_by_name(name)
    grid = sheet.to_python(skip_empty_area=False)
    table = Table(name)
    by_name = {header_key(n): c.key for c in columns for n in c.names}
    for r, cells in enumerate(grid[:HEADER_SCAN_ROWS]):
        found = _match_header(cells, by_name)
        if len(found) >= min_matches:
            table.header_row, table.columns = r + 1, found
            break
    if not table.header_row:
        return table
    table.title = " ".join(
        str(v).strip() for cells in grid[: table.header_row - 1] for v in cells if _filled(v)
    )
    table.headers = {
        i + 1: str(v).strip() for i, v in enumerate(grid[table.header_row - 1]) if _filled(v)
    }
    table.max_col, table.max_col_cell = _last_used_column(grid)
    facts = scan.facts(name)
    if facts and facts.max_col > table.max_col:  # formula cells without a value count too
        table.max_col, table.max_col_cell = facts.max_col, facts.last_col_cell
    _merge_subheader(grid, table, by_name)
    table.merges = _fill_vertical_merges(grid, sheet.merged_cell_ranges or [], table.header_row)
    # A row is data when a staff (input) column holds something: computed cells left over
    # from an earlier refresh do not make an item.
    # A 序号 alone (pre-numbered blank rows of a printed ledger) does not make an item either.
    passive = {c.key for c in columns if c.computed or c.kind == "rownumber"}
    inputs = [i - 1 for k, i in table.columns.items() if k not in passive]
    data: list[tuple[int, list[object]]] = []
    blank: list[int] = []
    for r in range(table.header_row, len(grid)):
        cells = grid[r]
        # A filled input cell makes the row used as well, so the whole row is scanned only
        # when no input cell holds anything.
        if any(i < len(cells) and cells[i] not in ("", None) for i in inputs):
            table.last_row = r + 1
            data.append((r + 1, cells))
        elif any(v != "" and v is not None for v in cells):
            table.last_row = r + 1
            # A note or a signature line is often typed in the 序号 column (or merged
            # across from it), which alone does not make a row data: say what it is too.
            kind = not_an_item(cells, by_name, min_matches)
            if kind:
                table.skipped.setdefault(kind, []).append(r + 1)
        else:
            blank.append(r + 1)
    others = row_kinds.kinds(
        [cells for _, cells in data],
        lambda cells: not_an_item(cells, by_name, min_matches),
        non_item_test(by_name),
    )
    for i, (row, cells) in enumerate(data):
        if i in others:
            table.skipped.setdefault(others[i], []).append(row)
        else:
            table.rows.append((row, cells))
    for rows in table.skipped.values():
        rows.sort()
    separators = [r for r in blank if r < table.last_row]
    if separators:
        table.skipped["blank"] = separators
    if table.rows and facts:
        table.formula_cells = set(facts.formulas)
        table.bad_formulas = {k for k, bad in facts.formulas.items() if bad}
    return table


_TOTAL_WORDS = frozenset({"合计", "小计", "总计", "共计", "总合计", "累计"})
_NOTE = re.compile(r"^(注|说明|备注|附注|附注说明)\s*\d*\s*[:：]")
_SIGNATURE = re.compile(
    r"^(填报人|审核人|审核|填报日期|填表日期|制表人|制表日期|填报单位|填表人|单位负责人|统计人|"
    r"负责人签字|签发人|报送日期)\s*[:：]"
)
_NOTE_OR_SIGNATURE = row_kinds.part_start(_NOTE, _SIGNATURE)


def not_an_item(cells: Sequence[object], by_name: dict[str, str], min_matches: int) -> str:
    """Say what kind of non-item row this is (total, note, signature, header), or "" for data.

    Printed ledgers end with 合计 rows, notes (注：…) and signature lines (填报人：…), and
    repeat their header row on every page; none of these is an item (docs/rules.md §3.5).
    """
    texts = [v.strip() for v in cells if isinstance(v, str) and v.strip()]
    if not texts:
        return ""
    if any(header_key(t) in _TOTAL_WORDS for t in texts[:3]):
        return "total"
    first = next(v for v in cells if v not in ("", None))
    if isinstance(first, str):
        if _NOTE.match(first.strip()):
            return "note"
        if _SIGNATURE.match(first.strip()):
            return "signature"
    if any(_SIGNATURE.match(t) for t in texts) and len(texts) <= 4:
        return "signature"
    if len(_match_header(cells, by_name)) >= max(min_matches, 3):
        return "header"
    return ""


def _last_used_column(grid: list[list[object]]) -> tuple[int, str]:
    """Return the last column holding a value (1-based, 0 when none) and a cell of it, e.g. "AE7"."""
    width = max((len(cells) for cells in grid), default=0)
    for c in range(width - 1, -1, -1):
        for r, cells in enumerate(grid):
            if c < len(cells) and cells[c] not in ("", None):
                return c + 1, f"{get_column_letter(c + 1)}{r + 1}"
    return 0, ""


def _filled(value: object) -> bool:
    return value not in ("", None)


# A header with a note in brackets or on a second line: 完成时限（截止日期）, 责任单位\n(责任人).
_HEADER_NOTE = re.compile(r"[(（【\[].*?[)）】\]]|\n.*", re.S)


def header_field(value: object, by_name: dict[str, str]) -> str | None:
    """Return the key a header cell names: its words, else its words without a bracketed note."""
    if not isinstance(value, str):
        return None
    return _field_of(value, header_key(value), by_name)


def _field_of(value: str, key: str, by_name: dict[str, str]) -> str | None:
    found = by_name.get(key)
    if found is None:
        stripped = _HEADER_NOTE.sub("", value)
        if stripped == value:  # no note to drop: the bare words are the words
            return None
        bare = header_key(stripped)
        found = by_name.get(bare) if bare and bare != key else None
    return found


def _could_make_a_non_item(text: str, by_name: dict[str, str]) -> bool:
    """Tell whether a text cell may make ``not_an_item`` call its row a non-item (row_kinds)."""
    key = header_key(text)
    return (
        key in _TOTAL_WORDS
        or _field_of(text, key, by_name) is not None
        or _NOTE_OR_SIGNATURE.match(text) is not None
    )


def non_item_test(by_name: dict[str, str]) -> Callable[[str], bool]:
    """Return ``_could_make_a_non_item`` for ``by_name``, with quick exact answers for most texts.

    Asked once per distinct text of a sheet (a big ledger has a hundred thousand): a text
    that is not a note or signature is no header or total word when it is all ASCII (no
    such word is) or when, with no bracket or line break to drop, it holds a run of CJK
    ideographs longer than any such word. Those ideographs (none of 必 填) are unchanged
    by NFKC, are never spaces and never combine with their neighbours, so every one of
    them is in the text's header key (``normalize.header_key``).
    """
    words = _TOTAL_WORDS | set(by_name)
    ascii_words = any(w.isascii() for w in words)
    long_run = _ideograph_run(max(map(len, words)) + 1)

    def could(text: str) -> bool:
        if _NOTE_OR_SIGNATURE.match(text):
            return True
        if text.isascii() and not ascii_words:
            return False
        if _HEADER_NOTE_START.search(text) is None and long_run.search(text):
            return False
        return _could_make_a_non_item(text, by_name)

    return could


_HEADER_NOTE_START = re.compile(r"[(（【\[\n]")  # where a _HEADER_NOTE match can start


@lru_cache(maxsize=8)
def _ideograph_run(length: int) -> re.Pattern:
    """Return a pattern for ``length`` CJK unified ideographs in a row, 必 and 填 excepted."""
    return re.compile(f"[\u4e00-\u586a\u586c-\u5fc4\u5fc6-\u9fff]{{{length}}}")


def _match_header(cells: Sequence[object], by_name: dict[str, str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, value in enumerate(cells):
        key = header_field(value, by_name)
        if key and key not in found:
            found[key] = i + 1
    return found


def _merge_subheader(grid: list[list[object]], table: Table, by_name: dict[str, str]) -> None:
    """Take a second header row (under a merged group header such as 时间节点) into the column map.

    A column named in the second row takes the name given there: a group word above it (时间节点
    over 交办日期 | 办结时限) names the group, not that column.
    """
    r = table.header_row  # 0-based index of the row below the header
    if r >= len(grid):
        return
    below = _match_header(grid[r], by_name)
    only_names = all(v in ("", None) or header_field(v, by_name) for v in grid[r])
    if not (below and only_names):
        return
    if all(k in table.columns and table.columns[k] == c for k, c in below.items()):
        return  # the same names again: a repeated header, not a second header row
    for key, col in below.items():
        for upper in [k for k, c in table.columns.items() if c == col or k == key]:
            del table.columns[upper]
    table.columns.update(below)
    table.headers.update({i: str(grid[r][i - 1]).strip() for i in below.values()})
    table.header_row += 1


def _fill_vertical_merges(
    grid: list[list[object]], merged, header_row: int
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Copy a vertically merged cell's value down its rows (one unit merged over several items).

    Return the merges below the header, 1-based, so one item over several rows can be told.
    """
    found = []
    for (r0, c0), (r1, c1) in merged:
        if r1 > r0 and r0 >= header_row and c0 == c1 and r0 < len(grid):
            value = grid[r0][c0] if c0 < len(grid[r0]) else ""
            for r in range(r0 + 1, min(r1, len(grid) - 1) + 1):
                if c0 < len(grid[r]):
                    grid[r][c0] = value
            found.append(((r0 + 1, c0 + 1), (r1 + 1, c1 + 1)))
    return found


def rows_of(
    table: Table | None, problems: list[Problem], own: Collection[str] = ()
) -> Iterator[tuple[int, dict[str, object]]]:
    """Yield (row, values by key) of a table, with formula cells lacking a cached value reported and blanked.

    Such a cell in a column of ``own`` is blanked but not reported: the caller says more.
    """
    if table is None:
        return
    # One C-level itemgetter for the whole table instead of a dict comprehension per row
    # (50 000 rows); rows shorter than the last mapped column take the padding path.
    keys = list(table.columns)
    width = max(table.columns.values(), default=0)
    pick = itemgetter(*(i - 1 for i in table.columns.values())) if len(keys) > 1 else None
    bad_rows = {r for r, _ in table.bad_formulas}
    for row, cells in table.rows:
        if pick is not None and len(cells) >= width:
            values = dict(zip(keys, pick(cells), strict=False))
        else:
            values = table.values(cells)
        if row in bad_rows:
            for key, col in table.columns.items():
                if (row, col) in table.bad_formulas:
                    values[key] = ""
                    if key in own:
                        continue
                    problems.append(
                        Problem(
                            table.sheet,
                            table.cell(key, row),
                            "单元格是公式，但没有计算结果（或结果是错误值）",
                            "请在 Excel/WPS 中打开台账、确认公式无误后保存一次，或改为直接填写值",
                        )
                    )
        yield row, values
