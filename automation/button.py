"""The 刷新台账 button: the entry xlwings' RunPython calls, and the live (through-Excel) writer.

Excel holds a write lock on the open workbook, so the button cannot write the file. It
reads a snapshot instead (``Workbook.SaveCopyAs``: the workbook as Excel holds it, unsaved
edits included, while the open workbook keeps its name and state), runs the same core as
``duban refresh`` on it (reader → engine → ``summaries.build_plan``), and applies that
same ``WritePlan`` through Excel's object model: each sheet's cell writes are covered by a
few rectangles written in one call each, and each generated sheet is cleared and
written in one call. The file writer (``xlsxpatch``) and this writer apply one plan, so
they cannot drift apart.
"""

from __future__ import annotations

import shutil
import tempfile
import traceback
from collections import defaultdict
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from automation import gcpause, paths
from automation.errors import DubanError
from automation.evaluate import evaluate
from automation.history import History
from automation.letters.issue import LetterRequest
from automation.models import CellWrite, GeneratedSheet, WritePlan
from automation.refresh import RefreshReport, plan_refresh, record_refresh
from automation.xlsx.cellxml import Formula

TITLE = "督办台账：刷新台账"


def refresh() -> None:
    """Refresh the workbook whose button was clicked, through Excel, and report in a message box."""
    import xlwings as xw

    book = xw.Book.caller()
    ledger_path = Path(book.fullname)
    try:
        with snapshot(book) as copy:
            report = refresh_book(
                book,
                copy,
                ledger_path=ledger_path,
                today=date.today(),
                now=datetime.now(),
                letters=LetterRequest(),
            )
        book.app.alert(_done_message(report), title=TITLE, mode="info")
    except DubanError as e:
        book.app.alert(f"刷新没有完成：{e}", title=TITLE, mode="critical")
    except Exception as e:
        # The button's edge: staff get a Chinese message, the log gets the traceback.
        log = _log_failure(ledger_path)
        book.app.alert(
            f"刷新时发生意外错误（{type(e).__name__}：{e}）。\n"
            f"请不要保存本台账：关闭后重新打开再试，或在命令行运行 duban refresh 查看原因。\n详细信息已记入 {log}",
            title=TITLE,
            mode="critical",
        )


@contextmanager
def snapshot(book) -> Iterator[Path]:
    """Yield a temporary copy of the workbook as Excel holds it now, unsaved edits included."""
    with tempfile.TemporaryDirectory(prefix="duban-button-") as tmp:
        copy = Path(tmp) / ("snapshot" + Path(book.fullname).suffix)
        save_copy_as = getattr(book.api, "SaveCopyAs", None)  # Windows (COM); absent on macOS
        if save_copy_as is not None:
            save_copy_as(str(copy))
        else:
            book.save()
            shutil.copyfile(book.fullname, copy)
        yield copy


def refresh_book(
    book,
    source: Path,
    *,
    ledger_path: Path,
    today: date,
    now: datetime,
    letters: LetterRequest | None = None,
) -> RefreshReport:
    """Compute the refresh from ``source`` (a copy of ``book``) and write it into ``book`` through Excel.

    The same steps as ``refresh.refresh`` with the file writer swapped for ``write_plan``;
    with ``letters`` the letters due are issued into the ledger's folder (as
    ``duban refresh --letters`` does) and registered in 发文登记 through Excel too.
    """
    history = History(ledger_path)
    try:
        with gcpause.paused():
            evaluation = evaluate(ledger_path, today, history, read_from=source)
            report, batch = plan_refresh(evaluation, history, now=now, letters=letters)
            try:
                write_plan(book, report.plan)
            except BaseException:
                if batch is not None:
                    batch.discard()  # letters not registered in the workbook must not lie around
                raise
            record_refresh(history, report, batch, letters, now=now)
    finally:
        history.close()
    return report


# --- the live writer ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    """A rectangle of values written in one call, its top-left cell at (row, col), 1-based."""

    row: int
    col: int
    values: list[list[object]]


def blocks(cells: Iterable[CellWrite]) -> list[Block]:
    """Cover one sheet's cell writes with few rectangles that touch no cell outside the writes.

    Adjacent columns written on the same rows are merged, then split into runs of
    consecutive rows; a later write to the same cell wins, as in the file writer.
    """
    grid = {
        (c.row, c.col): c.value.typed if isinstance(c.value, Formula) else c.value for c in cells
    }
    rows_of: dict[int, set[int]] = defaultdict(set)
    for row, col in grid:
        rows_of[col].add(row)
    columns = sorted(rows_of)
    found = []
    i = 0
    while i < len(columns):
        j = i
        while (
            j + 1 < len(columns)
            and columns[j + 1] == columns[j] + 1
            and rows_of[columns[j + 1]] == rows_of[columns[i]]
        ):
            j += 1
        span = columns[i : j + 1]
        for run in _runs(sorted(rows_of[columns[i]])):
            found.append(Block(run[0], span[0], [[grid[r, c] for c in span] for r in run]))
        i = j + 1
    return found


def _runs(rows: list[int]) -> Iterator[list[int]]:
    run: list[int] = []
    for r in rows:
        if run and r != run[-1] + 1:
            yield run
            run = []
        run.append(r)
    if run:
        yield run


def write_plan(book, plan: WritePlan) -> int:
    """Apply a WritePlan to an open xlwings Book in bulk range writes; return how many writes it made."""
    by_sheet: dict[str, list[CellWrite]] = defaultdict(list)
    for cell in plan.all_cells():  # whole rectangles: kept cells are written too, as one call
        by_sheet[cell.sheet].append(cell)
    names = [s.name for s in book.sheets]
    missing = [n for n in [*by_sheet, *plan.appends] if n not in names]
    if missing:
        raise DubanError(f"工作簿中没有名为“{missing[0]}”的工作表", "请检查工作表名称是否被改动")
    for name, rows in plan.appends.items():
        by_sheet[name].extend(_append_cells(book.sheets[name], rows, by_sheet[name]))
    writes = 0
    app = book.app
    app.screen_updating = False
    try:
        for name, cells in by_sheet.items():
            sheet = book.sheets[name]
            for block in blocks(cells):
                sheet.range((block.row, block.col)).value = block.values
                writes += 1
        for generated in plan.sheets:
            writes += _write_generated(book, generated)
    finally:
        app.screen_updating = True
    return writes


def _append_cells(sheet, rows: list[list[object]], planned: list[CellWrite]) -> list[CellWrite]:
    """Turn appended rows into cell writes below the sheet's last non-empty row (and any planned write)."""
    used = sheet.used_range
    values = used.options(ndim=2).value
    last = 0
    for offset, row in enumerate(values):
        if any(v is not None and v != "" for v in row):
            last = used.row + offset
    last = max([last, *(c.row for c in planned)])
    return [
        CellWrite(sheet.name, last + i, col, value)
        for i, row in enumerate(rows, start=1)
        for col, value in enumerate(row, start=1)
        if value is not None and value != ""
    ]


def _write_generated(book, generated: GeneratedSheet) -> int:
    """Clear (or add) a generated sheet and write its grid in one call, then its light formatting."""
    if generated.name in [s.name for s in book.sheets]:
        sheet = book.sheets[generated.name]
        sheet.clear()
    else:
        sheet = book.sheets.add(generated.name, after=book.sheets[len(book.sheets) - 1])
    width = max((len(r) for r in generated.rows), default=0)
    if not width:
        return 0
    grid = [list(r) + [None] * (width - len(r)) for r in generated.rows]
    sheet.range((1, 1)).value = grid
    for header in generated.header_rows:
        sheet.range((header + 1, 1), (header + 1, width)).font.bold = True
    for col, fmt in generated.number_formats.items():
        sheet.range((1, col + 1), (len(grid), col + 1)).number_format = fmt
    for col, w in enumerate(generated.widths[:width]):
        sheet.range((1, col + 1)).column_width = w
    return 1


# --- messages ----------------------------------------------------------------------------------


def _done_message(report: RefreshReport) -> str:
    counts = "，".join(f"{k} {v}" for k, v in report.outcome.status_counts().items()) or "无事项"
    lines = [
        f"已刷新（计算日期 {report.today.isoformat()}），共 {len(report.ledger.items)} 项：{counts}。"
    ]
    if report.problems:
        lines.append(f"校验问题 {len(report.problems)} 条，详见“校验问题”表。")
    if report.letters:
        lines.append(f"已生成文书 {len(report.letters)} 份，已登记在“发文登记”表。")
    lines.extend(report.notes)
    lines.extend(f"文书位置：{p}" for p in report.outputs)
    lines.append("结果已写入当前打开的台账，请检查后保存。")
    return "\n".join(lines)


def _log_failure(ledger_path: Path) -> Path:
    log = paths.button_log(ledger_path)
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("a", encoding="utf-8") as f:
        f.write(
            f"--- {datetime.now().isoformat(timespec='seconds')} {ledger_path}\n{traceback.format_exc()}\n"
        )
    return log
