"""What staff type into the generated sheets survives the next refresh (issue 15, class 2).

Staff annotate the printed 逾期清单 (已电话督促 right of an item), 统计汇总, 考评排名 and
校验问题, and write lines below the tables; they save with another program (openpyxl here).
The next refresh regenerates those sheets: each note follows its row's key (the item's
编号 when the list is re-sorted), lines below stay below, and a note whose row is gone is
listed in 校验问题 and kept in the backup.
"""

from __future__ import annotations

from datetime import date

import openpyxl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation import schema, staffnotes
from automation.models import GeneratedSheet
from automation.refresh import refresh
from automation.xlsx import safety
from tests.fixtures_xlsx import TODAY, good_row, write_ledger

NOTE = "已电话督促"


def _ledger(tmp_path, deadlines: dict[int, date]):
    rows = [good_row(n, 办结时限=deadlines.get(n, date(2026, 12, 31))) for n in range(1, 7)]
    return write_ledger(tmp_path / "台账.xlsx", rows)


def _row_of(ws, value, col: int = 1) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, col).value == value)


def _width(ws) -> int:
    return max(c for c in range(1, ws.max_column + 1) if ws.cell(1, c).value is not None)


def test_notes_follow_their_rows_and_lines_below_stay_below(tmp_path):
    path = _ledger(tmp_path, {2: date(2026, 9, 1), 4: date(2026, 9, 20)})
    refresh(path, today=TODAY)
    wb = openpyxl.load_workbook(path)
    overdue = wb[schema.OVERDUE_LIST]
    width = _width(overdue)
    assert [overdue.cell(r, 1).value for r in (2, 3)] == ["DB-2026-002", "DB-2026-004"]
    overdue.cell(1, width + 1, "督办备注")
    overdue.cell(_row_of(overdue, "DB-2026-004"), width + 1, NOTE)
    overdue.cell(_row_of(overdue, "DB-2026-004"), width + 3, 3)  # a number, two columns on
    overdue.cell(6, 1, "以上事项请于周五前反馈")
    summary = wb[schema.SUMMARY]
    summary.cell(_row_of(summary, "县财政局"), 25, "本周约谈")
    problems = wb[schema.PROBLEMS]
    problems.cell(2, 6, "已通知经办人")
    wb.save(path)  # saved by another program

    # Item 5 becomes the most overdue: the list is re-sorted and grows.
    wb = openpyxl.load_workbook(path)
    ledger = wb[schema.LEDGER]
    headers = [c.value for c in ledger[1]]
    ledger.cell(_row_of(ledger, "DB-2026-005"), headers.index("办结时限") + 1, date(2026, 8, 3))
    wb.save(path)
    refresh(path, today=TODAY)

    wb = openpyxl.load_workbook(path)
    overdue = wb[schema.OVERDUE_LIST]
    assert [overdue.cell(r, 1).value for r in (2, 3, 4)] == [
        "DB-2026-005",
        "DB-2026-002",
        "DB-2026-004",
    ]
    width = _width(overdue) - 1  # the staff header counts too
    assert overdue.cell(1, width + 1).value == "督办备注"
    assert overdue.cell(4, width + 1).value == NOTE and overdue.cell(4, width + 3).value == 3
    assert not any(overdue.cell(r, width + 1).value for r in (2, 3))
    assert overdue.cell(7, 1).value == "以上事项请于周五前反馈"  # still two rows below
    summary = wb[schema.SUMMARY]
    assert summary.cell(_row_of(summary, "县财政局"), 25).value == "本周约谈"
    assert wb[schema.PROBLEMS].cell(2, 6).value == "已通知经办人"


def test_a_note_whose_row_is_gone_is_listed_and_kept_in_the_backup(tmp_path):
    path = _ledger(tmp_path, {2: date(2026, 9, 1), 4: date(2026, 9, 20)})
    refresh(path, today=TODAY)
    wb = openpyxl.load_workbook(path)
    overdue = wb[schema.OVERDUE_LIST]
    row = _row_of(overdue, "DB-2026-004")
    cell = overdue.cell(row, _width(overdue) + 1)
    cell.value = NOTE
    where = cell.coordinate
    ledger = wb[schema.LEDGER]
    headers = [c.value for c in ledger[1]]
    r = _row_of(ledger, "DB-2026-004")
    ledger.cell(r, headers.index("办理状态") + 1, "已办结")
    ledger.cell(r, headers.index("办结日期") + 1, date(2026, 10, 8))
    wb.save(path)
    refresh(path, today=TODAY)

    wb = openpyxl.load_workbook(path)
    listed = [[c.value for c in row] for row in wb[schema.PROBLEMS].iter_rows()]
    lost = [row for row in listed if row[0] == schema.OVERDUE_LIST]
    assert len(lost) == 1 and lost[0][1] == f"{schema.OVERDUE_LIST}!{where}"
    assert NOTE in lost[0][2] and "备份" in lost[0][3]
    assert all(NOTE not in str(c.value) for row in wb[schema.OVERDUE_LIST].iter_rows() for c in row)
    backup = safety.backups(path)[-1]
    kept = openpyxl.load_workbook(backup)[schema.OVERDUE_LIST]
    assert kept[where].value == NOTE


def test_a_refresh_with_nothing_typed_changes_no_generated_row(tmp_path):
    path = _ledger(tmp_path, {2: date(2026, 9, 1)})
    refresh(path, today=TODAY)
    first = {
        n: [[c.value for c in r] for r in openpyxl.load_workbook(path)[n].iter_rows()]
        for n in schema.GENERATED_SHEETS
    }
    refresh(path, today=TODAY)
    again = {
        n: [[c.value for c in r] for r in openpyxl.load_workbook(path)[n].iter_rows()]
        for n in schema.GENERATED_SHEETS
    }
    assert again == first


# --- the rule, on any list ---------------------------------------------------------------------

HEADER = ["编号", "事项内容", "逾期工作日"]
_ids = st.lists(st.sampled_from([f"DB-{n}" for n in range(12)]), unique=True, max_size=8)


def _list(ids: list[str]) -> GeneratedSheet:
    return GeneratedSheet(schema.OVERDUE_LIST, [HEADER, *([i, f"事项{i}", 3] for i in ids)])


@settings(max_examples=100, deadline=None)
@given(
    before=_ids,
    after=_ids,
    noted=st.data(),
    gap=st.integers(1, 3),
    extra=st.sampled_from([[], ["工作表"]]),
)
def test_each_note_follows_its_id_or_is_reported(before, after, noted, gap, extra):
    old = [list(r) for r in _list(before).rows]
    old[0] += extra
    ids_with_notes = noted.draw(
        st.lists(st.sampled_from(before), unique=True) if before else st.just([])
    )
    for row in old[1:]:
        row += [f"{row[0]}的表" for _ in extra]
        if row[0] in ids_with_notes:
            row += [None, f"注{row[0]}"]
    old += [[] for _ in range(gap - 1)] + [["以上共计"]]
    new = _list(after)
    lost = staffnotes.carry(new, old)
    width = len(HEADER)
    for row in new.rows[1 : len(after) + 1]:
        expected = f"注{row[0]}" if row[0] in ids_with_notes else None
        assert (row[width + 1] if len(row) > width + 1 else None) == expected
    assert new.rows[len(after) + gap][0] == "以上共计"
    gone = sorted(i for i in ids_with_notes if i not in after)
    assert sorted(p.message.split("“")[2].split("”")[0][1:] for p in lost) == gone


@pytest.mark.parametrize("placeholder_first", [True, False])
def test_the_problem_sheet_placeholder_is_never_a_staff_line(placeholder_first):
    old = [["表", "单元格", "问题", "修改建议"], ["", "", "未发现问题", ""], [], ["staff 说明"]]
    rows = [["表", "单元格", "问题", "修改建议"]]
    rows.append(["", "", "未发现问题", ""] if placeholder_first else ["督办事项", "K2", "x", "y"])
    new = GeneratedSheet(schema.PROBLEMS, rows)
    assert staffnotes.carry(new, old, {"未发现问题"}) == []
    assert new.rows[3] == ["staff 说明"]
    assert sum("未发现问题" in map(str, row) for row in new.rows) == (1 if placeholder_first else 0)


def test_a_sheet_the_refresh_did_not_write_is_reported_once_and_the_template_note_not_at_all():
    own = [["2026年各单位办理情况汇总"], ["单位", "件数"], ["县财政局", 3]]
    new = GeneratedSheet(schema.SUMMARY, [["责任单位", "总数"], ["县财政局", 1]], (0,))
    [problem] = staffnotes.carry(new, own)
    assert problem.cell == "A1" and "5 个单元格" in problem.message
    assert new.rows == [["责任单位", "总数"], ["县财政局", 1]]
    template = [["本表由系统刷新时自动生成，请勿在此填写（每次刷新会整表重写）"]]
    assert staffnotes.carry(new, template) == []
