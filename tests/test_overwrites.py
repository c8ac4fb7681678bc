"""What staff typed into computed columns is overwritten by the refresh and reported (docs/rules.md §11.3)."""

from datetime import date, datetime

from automation import schema
from automation.models import Item, ItemResult, Ledger, LedgerSheet
from automation.overwrites import cell_text, same, staff_edits

COLUMNS = {
    c.key: 22 + i for i, c in enumerate(schema.LEDGER_COMPUTED_COLUMNS)
}  # V 预警, W 认定时限, X…
YESTERDAY = datetime(2026, 10, 8, 8, 30)


def ledger(seen):
    items = [Item(row=2, id="DB-1"), Item(row=3, id="DB-2"), Item(row=4, id="DB-3")]
    return Ledger(
        items=items, sheets=[LedgerSheet(schema.LEDGER, columns=COLUMNS, computed_seen=seen)]
    )


def result(item_id, row, light="红", status="逾期", days_overdue=2, level="催办"):
    return ItemResult(item_id, row, light, status, 0, days_overdue, None, 100, None, level, 1)


def test_cell_text_makes_read_back_values_comparable_with_written_ones():
    assert cell_text(2.0) == cell_text(2) == "2"
    assert cell_text(datetime(2026, 10, 8)) == cell_text(date(2026, 10, 8)) == "2026-10-08"
    assert cell_text(datetime(2026, 10, 8, 8, 30)) == "2026-10-08 08:30"
    assert cell_text(None) == cell_text(" ") == ""
    assert cell_text(-3.5) == "-3.5"


def test_same_accepts_what_a_cell_gives_back_for_what_was_written():
    assert same(2.0, 2) and same("红", "红") and same(datetime(2026, 10, 8), date(2026, 10, 8))
    assert not same("绿", "红") and not same(3.0, 2) and not same("x", None)


def test_edit_against_the_previous_refresh_is_reported_with_cell_and_value():
    previous = [result("DB-1", 2)]
    # Yesterday's values as read back (numbers come back as floats), and one typed-over light.
    seen = {
        2: {"light": "绿", "status": "逾期", "days_overdue": 2.0, "updated_at": "2026-10-08 08:30"}
    }
    problems = staff_edits(
        ledger(seen),
        [result("DB-1", 2, days_overdue=3)],
        previous=previous,
        previous_at=YESTERDAY,
    )
    assert [(p.cell, p.message) for p in problems] == [
        ("V2", "“预警”是系统计算列，手工填写的“绿”已被刷新覆盖")
    ]
    assert "办理状态" in problems[0].fix


def test_unchanged_values_from_the_last_refresh_are_not_edits_even_if_today_differs():
    previous = [result("DB-1", 2, light="黄", status="临期", days_overdue=None, level="提醒")]
    seen = {2: {"light": "黄", "status": "临期", "level": "提醒", "updated_at": "2026-10-08 08:30"}}
    today = [result("DB-1", 2)]  # overdue today: what will be written differs, no edit though
    assert staff_edits(ledger(seen), today, previous=previous, previous_at=YESTERDAY) == []


def test_a_typed_timestamp_is_an_edit_once_there_is_a_previous_refresh():
    seen = {2: {"updated_at": "2026-01-01"}}
    problems = staff_edits(ledger(seen), [], previous=[result("DB-1", 2)], previous_at=YESTERDAY)
    assert [p.cell for p in problems] == ["AF2"]


def test_rows_moved_by_staff_are_matched_by_id():
    previous = [result("DB-1", 3, light="红"), result("DB-2", 2, light="绿")]  # before staff sorted
    seen = {2: {"light": "红"}, 3: {"light": "绿"}}
    assert staff_edits(ledger(seen), [], previous=previous, previous_at=YESTERDAY) == []


def test_first_refresh_reports_only_values_differing_from_what_is_written_and_ignores_timestamps():
    seen = {2: {"light": "红", "updated_at": "2026-01-01"}, 3: {"status": "已办结"}}
    now = [result("DB-1", 2, light="红"), result("DB-2", 3, status="逾期")]
    problems = staff_edits(ledger(seen), now)
    assert [p.cell for p in problems] == ["X3"]  # 计算状态


def test_many_edits_in_one_column_are_one_line():
    items = [Item(row=r, id=f"DB-{r}") for r in range(2, 20)]
    seen = {r: {"status": "完成"} for r in range(2, 20)}
    now = [result(f"DB-{r}", r) for r in range(2, 20)]
    problems = staff_edits(
        Ledger(
            items=items, sheets=[LedgerSheet(schema.LEDGER, columns=COLUMNS, computed_seen=seen)]
        ),
        now,
    )
    assert len(problems) == 1
    assert problems[0].cell == "X2" and "18 处" in problems[0].message


def test_refresh_overwrites_a_typed_light_says_so_once_and_then_is_quiet(tmp_path):
    import openpyxl

    from automation.refresh import refresh
    from automation.workbooks.demo import build_demo

    today = date(2026, 11, 20)
    path = build_demo(tmp_path, seed=7, items=120, today=today, force=False)
    refresh(path, today=today, now=datetime(2026, 11, 20, 8, 30), progress=False)

    wb = openpyxl.load_workbook(path)  # staff type over a computed cell, in another program
    ws = wb[schema.LEDGER]
    header = [c.value for c in ws[1]]
    light_col = header.index("预警") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, light_col).value == "红")
    ws.cell(row, light_col).value = "绿"
    wb.save(path)

    report = refresh(path, today=today, now=datetime(2026, 11, 20, 9, 0), progress=False)
    where = f"{openpyxl.utils.get_column_letter(light_col)}{row}"
    typed = [p for p in report.problems if p.cell == where]
    assert len(typed) == 1 and "“绿”已被刷新覆盖" in typed[0].message
    ws = openpyxl.load_workbook(path, read_only=True)[schema.LEDGER]
    assert next(ws.iter_rows(min_row=row, max_row=row, values_only=True))[light_col - 1] == "红"

    again = refresh(path, today=today, now=datetime(2026, 11, 20, 9, 30), progress=False)
    assert not [p for p in again.problems if "已被刷新覆盖" in p.message]
