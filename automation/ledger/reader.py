"""Read a ledger workbook fast (python-calamine) into a normalised ``Ledger`` (docs/rules.md §3.1, §11; README 台账结构).

Headers are found by name (a title row above them, reordered, hidden and extra columns are
fine); each value keeps its cell address so every problem names the cell to fix. Reading
never fails on a bad cell: it yields a Problem and leaves that field blank.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook, PasswordError

from automation import schema
from automation.errors import LedgerUnreadable
from automation.ledger.ledger_rows import read_items
from automation.ledger.normalize import (
    clean,
    header_key,
    parse_date,
    parse_progress,
    split_list,
)
from automation.ledger.settings_sheet import read_settings
from automation.ledger.sheet_table import HEADER_SCAN_ROWS, FormulaScan, Table, load_table, rows_of
from automation.mail.addresses import parse_addresses
from automation.models import Feedback, Ledger, Letter, Problem, SheetLayout, Unit
from automation.safetext import visible
from automation.settings import Settings

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")
_CELL = re.compile(r"([A-Z]*)(\d*)(?::(\d+))?")
CALENDAR_KINDS = {"休": False, "休息": False, "放假": False, "班": True, "上班": True, "补班": True}


def read_ledger(path: Path, *, today: date) -> Ledger:
    """Read and normalise a ledger workbook; raise LedgerUnreadable when it cannot be opened at all."""
    path = Path(path)
    workbook = open_workbook(path)
    with workbook:
        names = visible_sheets(workbook)
        formulas = FormulaScan(path)
        ledger = Ledger(sheet_names=[m.name for m in workbook.sheets_metadata])
        table = _ledger_table(workbook, names, formulas, ledger.problems)
        tables = {
            sheet: _table(workbook, names, sheet, formulas)
            for sheet in (
                schema.UNITS,
                schema.SETTINGS,
                schema.CALENDAR,
                schema.PROGRESS_LOG,
                schema.LETTER_LOG,
            )
        }
    units = _read_units(tables[schema.UNITS], ledger.problems)
    ledger.settings = _read_settings(tables[schema.SETTINGS], ledger.problems)
    ledger.calendar_overrides = _read_calendar(tables[schema.CALENDAR], ledger.problems, today)
    ledger.feedback = _read_feedback(tables[schema.PROGRESS_LOG], ledger.problems, today)
    ledger.letters = _read_letters(tables[schema.LETTER_LOG], ledger.problems, today)
    ledger.layouts = {sheet: _layout(t) for sheet, t in tables.items() if t is not None}
    if table is not None:
        ledger.layouts[schema.LEDGER] = _layout(table)
    ledger.units = units
    if table is not None:
        ledger.ledger_sheet = table.sheet
        ledger.header_row = table.header_row or 1
        ledger.columns = dict(table.columns)
        ledger.last_row = max(table.last_row, ledger.header_row)
        ledger.max_col = table.max_col
        ledger.items = read_items(table, units, ledger.settings, ledger.problems, today)
        ledger.computed_seen = _computed_values(table)
    ledger.problems.sort(key=lambda p: _reading_order(p, ledger.ledger_sheet))
    return ledger


def _layout(table: Table) -> SheetLayout:
    return SheetLayout(
        table.sheet,
        table.header_row,
        dict(table.columns),
        max(table.last_row, table.header_row),
        max(table.max_col, *table.columns.values()),
    )


def _computed_values(table: Table) -> dict[int, dict[str, object]]:
    """Return the non-blank values in the computed columns, by row, as found in the sheet."""
    where = [
        (c.key, table.columns[c.key] - 1)
        for c in schema.LEDGER_COMPUTED_COLUMNS
        if c.key in table.columns
    ]
    seen: dict[int, dict[str, object]] = {}
    for row, cells in table.rows:
        width = len(cells)
        found = {k: cells[i] for k, i in where if i < width and cells[i] not in ("", None)}
        if found:
            seen[row] = found
    return seen


def _reading_order(problem: Problem, ledger_sheet: str) -> tuple:
    """Sort problems as staff read the workbook: ledger sheet first, then row by row, left to right."""
    m = _CELL.match(problem.cell)
    row = int(m.group(2) or m.group(3)) if m else 0
    column = (len(m.group(1)), m.group(1)) if m and m.group(1) else (0, "")
    return (problem.sheet != ledger_sheet, problem.sheet, row, column)


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


def open_workbook(path: Path) -> CalamineWorkbook:
    """Open ``path`` with calamine, telling apart missing, locked, encrypted and non-workbook files."""
    where = str(path)
    check_file(path)
    try:
        with path.open("rb") as f:
            head = f.read(8)
            if head == CFB_MAGIC and ENCRYPTED_STREAM in f.read():
                raise LedgerUnreadable(
                    "文件已加密（设置了打开密码）", "请在 Excel 中取消密码后再试", path=where
                )
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


def visible_sheets(workbook: CalamineWorkbook) -> list[str]:
    """Return the worksheet names, visible ones first (staff's fallbacks should not pick a hidden sheet)."""
    meta = [m for m in workbook.sheets_metadata if str(m.typ).endswith("WorkSheet")]
    visible = [m.name for m in meta if str(m.visible).endswith(".Visible")]
    return visible + [m.name for m in meta if m.name not in visible]


# --- tables ------------------------------------------------------------------------------


def _ledger_table(
    workbook, names: list[str], formulas: FormulaScan, problems: list[Problem]
) -> Table | None:
    """Find the ledger sheet: 督办事项, else a sheet named like a ledger with a header, else the first."""
    staff = set(schema.ALL_SHEETS) - {schema.LEDGER}
    exact = [n for n in names if header_key(n) == schema.LEDGER]
    hinted = [n for n in names if n not in staff and any(w in n for w in schema.LEDGER_NAME_HINTS)]
    others = [n for n in names if n not in staff]
    for candidates in (exact, hinted, others):
        for name in candidates:
            table = load_table(workbook, name, schema.LEDGER_COLUMNS, formulas, min_matches=3)
            if table.header_row:
                _check_required(table, schema.LEDGER_COLUMNS, problems)
                return table
        if candidates and candidates is exact:
            break
    if not names:
        problems.append(
            Problem(schema.LEDGER, "", "工作簿中没有任何工作表", "请使用 duban init 新建台账")
        )
        return None
    name = (exact or hinted or others or names)[0]
    problems.append(
        Problem(
            name,
            "",
            f"在前 {HEADER_SCAN_ROWS} 行中未找到台账表头（至少需要“编号”“事项内容”“责任单位”等列名中的 3 个）",
            "请在台账首行（或标题行下方）填写列名，如：编号、事项内容、责任单位、办结时限",
        )
    )
    return None


def _table(workbook, names: list[str], sheet: str, formulas: FormulaScan) -> Table | None:
    """Load one staff sheet by its schema name (全角/spaces tolerated); None when absent or headerless."""
    name = next((n for n in names if header_key(n) == sheet), None)
    if name is None:
        return None
    table = load_table(workbook, name, schema.SHEET_COLUMNS[sheet], formulas, min_matches=2)
    return table if table.header_row else None


def _check_required(table: Table, columns, problems: list[Problem]) -> None:
    for column in columns:
        if column.required and column.key != "id" and column.key not in table.columns:
            problems.append(
                Problem(
                    table.sheet,
                    f"{table.header_row}:{table.header_row}",
                    f"表头中没有“{column.header}”列",
                    f"请在第 {table.header_row} 行添加列名“{column.header}”（也可写作：{'、'.join(column.variants) or '无'}）",
                )
            )


# --- the small sheets ----------------------------------------------------------------------


def _read_units(table: Table | None, problems: list[Problem]) -> list[Unit]:
    units = []
    seen: dict[str, int] = {}
    for row, v in rows_of(table, problems):
        name = clean(v.get("name", ""))
        if not name:
            continue
        if name in seen:
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("name", row),
                    f"单位“{name}”与第 {seen[name]} 行重复",
                    "请删除重复的一行",
                )
            )
            continue
        seen[name] = row
        units.append(
            Unit(
                name=name,
                aliases=tuple(split_list(clean(v.get("aliases", "")))),
                head=clean(v.get("head", "")),
                leader=clean(v.get("leader", "")),
                contact=clean(v.get("contact", "")),
                phone=clean(v.get("phone", "")),
                emails=_addresses(table, "email", row, v, name, problems),
                cc=_addresses(table, "cc", row, v, name, problems),
                row=row,
            )
        )
    return units


def _addresses(
    table: Table, key: str, row: int, values: dict, unit: str, problems: list[Problem]
) -> tuple[str, ...]:
    """Return the addresses typed in a unit's 邮箱/抄送邮箱 cell, reporting whatever else is there."""
    found, refused = parse_addresses(clean(values.get(key, "")))
    for piece in refused:
        problems.append(
            Problem(
                table.sheet,
                table.cell(key, row),
                f"单位“{unit}”的{_header(key)}中“{visible(piece)}”不是邮箱地址，不会向它发送",
                "请只填写邮箱地址，如 office@example.gov.cn；多个邮箱用逗号或分号分隔",
            )
        )
    return tuple(found)


def _header(key: str) -> str:
    return next(c.header for c in schema.UNIT_COLUMNS if c.key == key)


def _read_settings(table: Table | None, problems: list[Problem]) -> Settings:
    if table is None:
        return Settings()
    has_value = "value" in table.columns
    rows = (
        (
            v.get("name", ""),
            v.get("value", "") if has_value else "",
            table.cell("name", row),
            table.cell("value", row) if has_value else "",
        )
        for row, v in rows_of(table, problems)
    )
    settings, found = read_settings(rows, table.sheet)
    problems.extend(found)
    return settings


def _read_calendar(table: Table | None, problems: list[Problem], today: date) -> dict[date, bool]:
    overrides: dict[date, bool] = {}
    for row, v, day in _dated_rows(table, problems, today):
        kind = header_key(v.get("kind", ""))
        if kind not in CALENDAR_KINDS:
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("kind", row) if "kind" in table.columns else f"A{row}",
                    f"类型“{kind}”无法识别",
                    "请填写“休”（放假）或“班”（调休上班）",
                )
            )
            continue
        overrides[day] = CALENDAR_KINDS[kind]
    return overrides


def _read_feedback(table: Table | None, problems: list[Problem], today: date) -> list[Feedback]:
    feedback = []
    for row, v, day in _dated_rows(table, problems, today):
        if not clean(v.get("item_id", "")):
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("item_id", row) if "item_id" in table.columns else f"{row}:{row}",
                    "进展记录缺少事项编号，本行未计入",
                    "请填写对应督办事项的编号，如 DB-2026-001",
                )
            )
            continue
        progress = None
        if v.get("progress", "") not in ("", None):
            try:
                progress = parse_progress(v["progress"])
            except ValueError as e:
                problems.append(
                    Problem(
                        table.sheet,
                        table.cell("progress", row),
                        f"完成进度“{clean(v['progress'])}”无效：{e}",
                        "请填写 0–100 之间的百分比，如 80%",
                    )
                )
        feedback.append(
            Feedback(
                date=day,
                item_id=clean(v.get("item_id", "")),
                unit=clean(v.get("unit", "")),
                text=clean(v.get("text", "")),
                progress=progress,
                evidence=clean(v.get("evidence", "")),
                entered_by=clean(v.get("entered_by", "")),
                row=row,
            )
        )
    return feedback


def _read_letters(table: Table | None, problems: list[Problem], today: date) -> list[Letter]:
    letters = []
    for _row, v, day in _dated_rows(table, problems, today):
        letters.append(
            Letter(
                doc_no=clean(v.get("doc_no", "")),
                type=clean(v.get("type", "")),
                date=day,
                unit=clean(v.get("unit", "")),
                item_ids=tuple(split_list(clean(v.get("item_ids", "")))),
                file=clean(v.get("file", "")),
            )
        )
    return letters


def _dated_rows(
    table: Table | None, problems: list[Problem], today: date
) -> Iterator[tuple[int, dict[str, object], date]]:
    """Yield the rows of a log sheet whose 日期 is valid, with it; report the others."""
    for row, v in rows_of(table, problems):
        try:
            yield row, v, parse_date(v.get("date", ""), today=today)
        except ValueError as e:
            problems.append(_date_problem(table, "date", row, "日期", v.get("date", ""), e))


def _date_problem(
    table: Table, key: str, row: int, label: str, raw: object, error: ValueError
) -> Problem:
    cell = table.cell(key, row) if key in table.columns else f"A{row}"
    shown = clean(raw)
    what = f"{label}为空" if not shown else f"{label}“{shown}”不是有效日期：{error}"
    return Problem(table.sheet, cell, what, "请填写如 2026-03-05 的日期")
