"""Read a ledger workbook fast (python-calamine) into a normalised ``Ledger`` (docs/rules.md §3.1, §11; README 台账结构).

Headers are found by name (a title row above them, reordered, hidden and extra columns are
fine); each value keeps its cell address so every problem names the cell to fix. Reading
never fails on a bad cell: it yields a Problem and leaves that field blank.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from automation import schema
from automation.errors import LedgerUnreadable
from automation.ledger.ledger_rows import SheetContext, read_items
from automation.ledger.ledger_sheets import find_ledger_tables, sheet_reading, year_hint
from automation.ledger.limits import Limits, check_package, limits_for, room_problems
from automation.ledger.lookback_sheet import read_lookbacks
from automation.ledger.normalize import (
    assign_ids,
    duplicate_ids,
    header_key,
)
from automation.ledger.sheet_scan import SheetScan
from automation.ledger.sheet_table import Table, load_table
from automation.ledger.staff_sheets import (
    read_calendar,
    read_feedback,
    read_letters,
    read_settings_sheet,
    read_units,
)
from automation.ledger.stages import find_stages
from automation.ledger.words import category_named
from automation.models import Ledger, LedgerSheet, Problem, SheetLayout
from automation.rules.workdays import WorkCalendar
from automation.xlsx.cellxml import column_letters as get_column_letter

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CELL = re.compile(r"([A-Z]*)(\d*)(?::(\d+))?")


def read_ledger(path: Path, *, today: date) -> Ledger:
    """Read and normalise a ledger workbook; raise LedgerUnreadable when it cannot be opened at all."""
    path = Path(path)
    limits = limits_for(path)
    workbook = open_workbook(path, limits)
    with workbook:
        names, hidden = worksheets(workbook)
        formulas = SheetScan(path, limits)
        ledger = Ledger(sheet_names=[m.name for m in workbook.sheets_metadata])
        tables = {
            sheet: _table(workbook, names, sheet, formulas)
            for sheet in (
                schema.UNITS,
                schema.SETTINGS,
                schema.CALENDAR,
                schema.PROGRESS_LOG,
                schema.LETTER_LOG,
                schema.LOOKBACK_LOG,
            )
        }
        ledger_tables, ledger.unread = find_ledger_tables(
            workbook, names, hidden, formulas, ledger.problems
        )
        ledger.generated = _generated_sheets(workbook, names, formulas)
    ledger.units = read_units(tables[schema.UNITS], ledger.problems)
    ledger.settings = read_settings_sheet(tables[schema.SETTINGS], ledger.problems)
    ledger.calendar_overrides = read_calendar(tables[schema.CALENDAR], ledger.problems, today)
    ledger.feedback = read_feedback(tables[schema.PROGRESS_LOG], ledger.problems, today)
    ledger.letters = read_letters(tables[schema.LETTER_LOG], ledger.problems, today)
    ledger.lookbacks = read_lookbacks(tables[schema.LOOKBACK_LOG], ledger.problems, today)
    ledger.layouts = {sheet: _layout(t) for sheet, t in tables.items() if t is not None}
    calendar = WorkCalendar(ledger.calendar_overrides)
    id_formulas: set[tuple[str, int]] = set()  # (sheet, row) whose 编号 cell is a formula
    for table in ledger_tables:
        ledger.problems.extend(room_problems(table))
        id_col = table.columns.get("id")
        id_formulas.update((table.sheet, r) for r, c in table.formula_cells if c == id_col)
        year = year_hint(table)
        context = SheetContext(
            today,
            calendar,
            ledger.settings,
            year,
            find_stages(table.headers),
            category_named(table.sheet, table.title),
        )
        items = read_items(table, ledger.units, context, ledger.problems)
        ledger.items.extend(items)
        ledger.sheets.append(
            LedgerSheet(
                table.sheet,
                table.header_row,
                dict(table.columns),
                max(table.last_row, table.header_row),
                table.max_col,
                _computed_values(table),
                year,
                sheet_reading(table, items),
                _computed_formulas(table),
            )
        )
    _settle_ids(ledger, today, id_formulas)
    if len(ledger.sheets) > 1:  # every output names the sheet an item came from
        for item in ledger.items:
            item.sheet_label = item.sheet
    order = {sheet.name: i for i, sheet in enumerate(ledger.sheets)}
    ledger.problems.sort(key=lambda p: _reading_order(p, order))
    return ledger


def _settle_ids(ledger: Ledger, today: date, formulas: set[tuple[str, int]]) -> None:
    """Check 编号 across every ledger sheet and number the items that have none.

    An 编号 cell holding a formula (``formulas``: (sheet, row)) is never numbered: staff typed it.
    """
    columns = {s.name: get_column_letter(s.id_column()) for s in ledger.sheets}
    added = {s.name for s in ledger.sheets if "id" not in s.columns}
    ledger.problems.extend(duplicate_ids(ledger.items, columns=columns))
    ledger.problems.extend(
        assign_ids(
            ledger.items,
            prefix=ledger.settings.id_prefix,
            today=today,
            columns=columns,
            added=added,
            formulas=formulas,
            years={s.name: s.year for s in ledger.sheets},
        )
    )
    for sheet in ledger.sheets:
        if sheet.name in added and sheet.reading is not None and sheet.reading.items:
            sheet.reading.notes.append(
                f"没有“编号”列：刷新时将在 {columns[sheet.name]} 列添加“编号”列并为各事项编号，"
                "此后排序、插行都能跟住每个事项"
            )


def _layout(table: Table) -> SheetLayout:
    return SheetLayout(
        table.sheet,
        table.header_row,
        dict(table.columns),
        max(table.last_row, table.header_row),
        max(table.max_col, *table.columns.values()),
    )


def _computed_values(table: Table) -> dict[int, dict[str, object]]:
    """Return the non-blank values in the computed columns (and 档案), by row, as found."""
    where = [
        (c.key, table.columns[c.key] - 1)
        for c in schema.LEDGER_OUTPUT_COLUMNS
        if c.key in table.columns
    ]
    seen: dict[int, dict[str, object]] = {}
    for row, cells in table.rows:
        width = len(cells)
        found = {k: cells[i] for k, i in where if i < width and cells[i] not in ("", None)}
        if found:
            seen[row] = found
    return seen


def _computed_formulas(table: Table) -> frozenset[tuple[int, int]]:
    """Return (row, col) of the formula cells in the computed columns."""
    computed = {
        table.columns[c.key] for c in schema.LEDGER_COMPUTED_COLUMNS if c.key in table.columns
    }
    return frozenset(cell for cell in table.formula_cells if cell[1] in computed)


def _reading_order(problem: Problem, ledger_sheets: dict[str, int]) -> tuple:
    """Sort problems as staff read the workbook: ledger sheets first, then row by row, left to right."""
    m = _CELL.match(problem.cell)
    digits = (m.group(2) or m.group(3)) if m else None
    row = int(digits) if digits else 0
    column = (len(m.group(1)), m.group(1)) if m and m.group(1) else (0, "")
    first = ledger_sheets.get(problem.sheet, len(ledger_sheets))
    return (first, problem.sheet, row, column)


# --- opening -----------------------------------------------------------------------------


def check_file(path: Path) -> None:
    """Raise LedgerUnreadable when ``path`` is missing or a folder."""
    where = str(path)
    if not path.exists():
        raise LedgerUnreadable("找不到台账文件", "请检查文件路径和文件名是否正确", path=where)
    if path.is_dir():
        raise LedgerUnreadable(
            "这是一个文件夹而不是台账文件", "请指定 .xlsx 或 .xlsm 文件", path=where
        )


_OTHER_FORMATS = {".xls": "Excel 97-2003（.xls）", ".xlsb": "Excel 二进制（.xlsb）",
                  ".ods": "OpenDocument（.ods）", ".et": "WPS 表格（.et）"}  # fmt: skip


def check_writable_format(path: Path) -> None:
    """Refuse, in Chinese, a workbook format the lossless writer cannot write back (.xls, .xlsb, .ods)."""
    kind = _OTHER_FORMATS.get(path.suffix.lower())
    if kind is None:
        try:
            with path.open("rb") as f:
                kind = "Excel 97-2003（.xls）" if f.read(8) == CFB_MAGIC else None
        except OSError:
            return  # opening it will say what is wrong
    if kind is not None:
        raise LedgerUnreadable(
            f"duban 只能写回 .xlsx 或 .xlsm 格式的台账，这个文件是 {kind} 格式",
            "请在 Excel 或 WPS 中打开它，另存为“Excel 工作簿（*.xlsx）”后再刷新；只检查不写入可用 duban check",
            path=str(path),
        )


def open_workbook(path: Path, limits: Limits | None = None) -> CalamineWorkbook:
    """Open ``path`` with calamine, telling apart missing, locked, encrypted and non-workbook files.

    A zip (.xlsx/.xlsm) is first checked against ``limits`` (by default those set beside
    the ledger): a zip bomb is refused before anything is inflated.
    """
    path = Path(path)
    where = str(path)
    check_file(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if head == CFB_MAGIC and ENCRYPTED_STREAM in f.read():
                raise LedgerUnreadable(
                    "文件已加密（设置了打开密码）", "请在 Excel 中取消密码后再试", path=where
                )
        if head.startswith(b"PK"):
            check_package(path, limits or limits_for(path))
        return CalamineWorkbook.from_path(str(path))
    except PermissionError:
        raise LedgerUnreadable(
            "无法读取文件：没有读取权限，或文件被其他程序独占打开",
            "请关闭正在打开它的 Excel/WPS，或检查文件权限后再试",
            path=where,
        ) from None
    except PasswordError:
        raise LedgerUnreadable(
            "文件已加密（设置了打开密码）", "请在 Excel 中取消密码后再试", path=where
        ) from None
    except OSError as e:
        raise LedgerUnreadable(
            f"无法读取文件（{e.strerror or e}）", "请检查文件是否可以打开后再试", path=where
        ) from None
    except CalamineError:
        raise LedgerUnreadable(
            "这不是有效的 Excel 工作簿（文件已损坏，或不是 .xlsx/.xlsm/.xls 格式）",
            "请在 Excel 中打开并另存为 .xlsx 后再试",
            path=where,
        ) from None


def worksheets(workbook: CalamineWorkbook) -> tuple[list[str], set[str]]:
    """Return the worksheet names in workbook order, and the hidden ones among them."""
    meta = [m for m in workbook.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    hidden = {m.name for m in meta if not str(m.visible).endswith(".Visible")}
    return [m.name for m in meta], hidden


def visible_sheets(workbook: CalamineWorkbook) -> list[str]:
    """Return the worksheet names, visible ones first (staff's fallbacks should not pick a hidden sheet)."""
    names, hidden = worksheets(workbook)
    return [n for n in names if n not in hidden] + [n for n in names if n in hidden]


# --- tables ------------------------------------------------------------------------------


def _table(workbook, names: list[str], sheet: str, formulas: SheetScan) -> Table | None:
    """Load one staff sheet by its schema name (全角/spaces tolerated); None when absent or headerless."""
    name = next((n for n in names if header_key(n) == sheet), None)
    if name is None:
        return None
    table = load_table(workbook, name, schema.SHEET_COLUMNS[sheet], formulas, min_matches=2)
    return table if table.header_row else None


def _generated_sheets(workbook, names: list[str], scan: SheetScan) -> dict[str, list[list[object]]]:
    """Return the values of the sheets a refresh regenerates, by schema name, as grids from A1."""
    found = {}
    for name in names:
        key = header_key(name)
        if key in (*schema.GENERATED_SHEETS, *schema.FOLDER_SHEETS) and key not in found:
            scan.check(name)
            found[key] = workbook.get_sheet_by_name(name).to_python(skip_empty_area=False)
    return found


# --- the small sheets ----------------------------------------------------------------------
