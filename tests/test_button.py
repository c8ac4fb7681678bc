"""The live writer, driven through xlwings' real remote object model (no Excel on Linux).

A payload is built from a real workbook (the demo ledger written by openpyxl), opened
with ``xw.Book(json=...)``; the button's core writes the plan into it; the actions that
book returns are applied to the payload's cells and must equal the cells the file
refresh (``duban refresh``) writes.
"""

from __future__ import annotations

import os

# xlwings' remote engine (PolyForm Noncommercial) registers only when a key is set at import.
os.environ["XLWINGS_LICENSE_KEY"] = "noncommercial"

import re
import shutil
from datetime import date, datetime, time
from pathlib import Path

import pytest
import xlwings as xw  # noqa: E402 (after the licence key)
from python_calamine import CalamineWorkbook

from automation import button, refresh
from automation.errors import DubanError
from automation.letters.issue import LetterRequest
from automation.models import CellWrite, GeneratedSheet, WritePlan
from automation.workbooks.demo import build_demo
from automation.xlsx.cellxml import Formula

ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T[\d:.]+Z$")
TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 9, 30)


def sheet_values(path: Path) -> dict[str, list[list[object]]]:
    """Read every sheet's values from A1, as calamine sees them."""
    wb = CalamineWorkbook.from_path(str(path))
    grids = {}
    for name in wb.sheet_names:
        sheet = wb.get_sheet_by_name(name)
        rows = sheet.to_python()
        top, left = sheet.start or (0, 0)
        width = max((len(r) for r in rows), default=0) + left
        grids[name] = [[""] * width for _ in range(top)] + [[""] * left + list(r) for r in rows]
    return grids


def payload_value(value: object) -> object:
    # What the xlwings clients send: ISO strings with a Z for dates, "" for empty cells.
    if isinstance(value, datetime):
        return value.isoformat(timespec="milliseconds") + "Z"
    if isinstance(value, date):
        return datetime.combine(value, time()).isoformat(timespec="milliseconds") + "Z"
    return "" if value is None else value


def payload_from(path: Path) -> dict:
    """Build the JSON an xlwings client sends for a workbook, from the real file."""
    return {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": path.name, "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {
                "name": name,
                "values": [[payload_value(v) for v in row] for row in grid] or [[""]],
                "pictures": [],
                "tables": [],
            }
            for name, grid in sheet_values(path).items()
        ],
    }


HYPERLINK = re.compile(r'=HYPERLINK\("[^"]*","([^"]*)"\)')


def normal(value: object) -> object:
    """Compare cells by meaning: empty is empty, numbers as floats, dates as ISO dates.

    A 档案 link the live writer types as a formula is what Excel shows: its text.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str) and (link := HYPERLINK.fullmatch(value)):
        return link.group(1)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and ISO_Z.match(value):  # a date cell as the client sends it
        value = datetime.fromisoformat(value[:-1])
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def apply_actions(payload: dict, actions: list[dict]) -> dict[str, dict[tuple[int, int], object]]:
    """Apply the value-changing actions of a remote book to the payload's cells."""
    order = [s["name"] for s in payload["sheets"]]
    cells = {
        s["name"]: {
            (r, c): normal(v)
            for r, row in enumerate(s["values"])
            for c, v in enumerate(row)
            if normal(v) is not None
        }
        for s in payload["sheets"]
    }
    for action in actions:
        func = action["func"]
        if func == "setValues":
            grid = cells[order[action["sheet_position"]]]
            for i, row in enumerate(action["values"]):
                for j, v in enumerate(row):
                    key = (action["start_row"] + i, action["start_column"] + j)
                    if normal(v) is None:
                        grid.pop(key, None)
                    else:
                        grid[key] = normal(v)
        elif func in ("sheetClear", "sheetClearContents"):
            cells[order[action["sheet_position"]]] = {}
        elif func == "addSheet":
            index, name = action["args"]
            order.insert(index, name)
            cells[name] = {}
    return cells


def file_cells(path: Path) -> dict[str, dict[tuple[int, int], object]]:
    return {
        name: {
            (r, c): normal(v)
            for r, row in enumerate(grid)
            for c, v in enumerate(row)
            if normal(v) is not None
        }
        for name, grid in sheet_values(path).items()
    }


@pytest.fixture(scope="module")
def ledger(tmp_path_factory) -> Path:
    return build_demo(tmp_path_factory.mktemp("demo"), seed=7, items=100, today=TODAY, force=False)


def test_live_writer_gives_the_same_cells_as_the_file_refresh(ledger, tmp_path):
    live_dir, file_dir = tmp_path / "live", tmp_path / "file"
    live_dir.mkdir()
    file_dir.mkdir()
    live_path = shutil.copy(ledger, live_dir / ledger.name)
    file_path = shutil.copy(ledger, file_dir / ledger.name)

    payload = payload_from(Path(live_path))
    book = xw.Book(json=payload)
    report = button.refresh_book(
        book,
        Path(live_path),
        ledger_path=Path(live_path),
        today=TODAY,
        now=NOW,
        letters=LetterRequest(),
    )
    live = apply_actions(payload, book.json()["actions"])

    file_report = refresh.refresh(Path(file_path), today=TODAY, now=NOW, letters=LetterRequest())
    expected = file_cells(Path(file_path))

    assert list(live) == list(expected)
    for name in expected:
        assert live[name] == expected[name], name
    # The plan did change the workbook: status column filled for every item.
    assert len(report.outcome.results) == len(report.ledger.items) > 0
    # The history was recorded beside the ledger, as the file refresh does.
    assert (live_dir / ".duban" / "history.sqlite").exists()
    # The same 送审稿 were written into the ledger's folder and registered in 发文登记 (审定
    # before issue, docs/letters.md): none numbered yet.
    assert report.drafts and [(x.type, x.unit, x.file) for x in report.drafts] == [
        (x.type, x.unit, x.file) for x in file_report.drafts
    ]
    assert report.letters == file_report.letters == []
    assert all((live_dir / x.file).exists() for x in report.drafts)


def test_live_writer_keeps_what_staff_typed_into_a_generated_sheet(ledger, tmp_path):
    """Notes beside and below 逾期清单, typed with another program, survive both writers alike."""
    import openpyxl

    from automation import schema

    (tmp_path / "first").mkdir()
    noted = Path(shutil.copy(ledger, tmp_path / "first" / ledger.name))
    refresh.refresh(noted, today=TODAY, now=NOW)  # the generated sheets as a refresh writes them
    wb = openpyxl.load_workbook(noted)
    overdue = wb[schema.OVERDUE_LIST]
    width = max(c for c in range(1, overdue.max_column + 1) if overdue.cell(1, c).value)
    item = overdue.cell(3, 1).value
    overdue.cell(3, width + 2, "已电话督促")
    overdue.cell(overdue.max_row + 2, 1, "以上事项周五前反馈")
    wb.save(noted)
    live_dir, file_dir = tmp_path / "live", tmp_path / "file"
    live_dir.mkdir()
    file_dir.mkdir()
    live_path = Path(shutil.copy(noted, live_dir / ledger.name))
    file_path = Path(shutil.copy(noted, file_dir / ledger.name))

    payload = payload_from(live_path)
    book = xw.Book(json=payload)
    button.refresh_book(book, live_path, ledger_path=live_path, today=TODAY, now=NOW)
    live = apply_actions(payload, book.json()["actions"])
    refresh.refresh(file_path, today=TODAY, now=NOW)
    expected = file_cells(file_path)
    assert live[schema.OVERDUE_LIST] == expected[schema.OVERDUE_LIST]
    cells = expected[schema.OVERDUE_LIST]
    row = next(r for (r, c), v in cells.items() if c == 0 and v == item)
    assert cells[row, width + 1] == "已电话督促"
    assert "以上事项周五前反馈" in {v for (r, c), v in cells.items() if c == 0}


def count_runs(rows: list[int]) -> int:
    return sum(1 for i, r in enumerate(sorted(rows)) if i == 0 or r != sorted(rows)[i - 1] + 1)


def test_live_writer_writes_in_bulk(ledger):
    book = xw.Book(json=payload_from(ledger))
    report = refresh.refresh(ledger, today=TODAY, now=NOW, dry_run=True)
    writes = button.write_plan(book, report.plan)
    set_values = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert len(set_values) == writes
    items = report.ledger.items
    # One write per run of consecutive item rows (all computed columns at once), one per
    # run of rows whose 编号 was assigned, one per generated sheet: never one per cell or item.
    item_runs = count_runs([i.row for i in items])
    id_runs = count_runs([i.row for i in items if i.id_assigned])
    # and one per run of rows whose 档案 link is written (the items with a folder)
    link_runs = count_runs([c.row for c in report.plan.cells if isinstance(c.value, Formula)])
    assert writes == item_runs + id_runs + link_runs + len(report.plan.sheets)
    assert writes < len(items) / 5


def test_blocks_cover_exactly_the_written_cells():
    cells = [
        CellWrite("s", 2, 3, "a"), CellWrite("s", 2, 4, "b"),
        CellWrite("s", 3, 3, "c"), CellWrite("s", 3, 4, "d"),
        CellWrite("s", 5, 3, "e"), CellWrite("s", 5, 4, "f"),  # row 4 not written: a new run
        CellWrite("s", 3, 1, "id"),                              # a lone cell in column A
        CellWrite("s", 2, 3, "A"),                               # a later write wins
    ]  # fmt: skip
    assert button.blocks(cells) == [
        button.Block(3, 1, [["id"]]),
        button.Block(2, 3, [["A", "b"], ["c", "d"]]),
        button.Block(5, 3, [["e", "f"]]),
    ]


def test_appended_rows_go_below_the_last_filled_row():
    payload = {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": "t.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [
            {
                "name": "进展记录",
                "values": [["日期", "内容"], ["2026-11-01T00:00:00.000Z", "x"], ["", ""]],
                "pictures": [],
                "tables": [],
            }
        ],
    }
    book = xw.Book(json=payload)
    button.write_plan(book, WritePlan(appends={"进展记录": [["2026-11-20", "新进展"]]}))
    (action,) = [a for a in book.json()["actions"] if a["func"] == "setValues"]
    assert (action["start_row"], action["start_column"], action["values"]) == (
        2,
        0,
        [["2026-11-20", "新进展"]],
    )


def test_a_plan_for_a_missing_sheet_is_refused_in_chinese():
    payload = {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": "t.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "督办事项", "values": [["编号"]], "pictures": [], "tables": []}],
    }
    book = xw.Book(json=payload)
    with pytest.raises(DubanError, match="没有名为“进展记录”的工作表"):
        button.write_plan(book, WritePlan(appends={"进展记录": [["x"]]}))
    assert book.json()["actions"] == []


def test_a_missing_generated_sheet_is_added_and_written_once():
    payload = {
        "client": "Office.js",
        "version": xw.__version__,
        "book": {"name": "t.xlsx", "active_sheet_index": 0, "selection": "A1"},
        "names": [],
        "sheets": [{"name": "督办事项", "values": [["编号"]], "pictures": [], "tables": []}],
    }
    book = xw.Book(json=payload)
    writes = button.write_plan(
        book, WritePlan(sheets=[GeneratedSheet("统计汇总", [["单位", "总数"], ["甲", 3], ["乙"]])])
    )
    actions = book.json()["actions"]
    assert writes == 1
    assert [a["func"] for a in actions if a["func"] in ("addSheet", "setValues")] == [
        "addSheet",
        "setValues",
    ]
    assert next(a for a in actions if a["func"] == "setValues")["values"] == [
        ["单位", "总数"],
        ["甲", 3],
        ["乙", ""],
    ]
