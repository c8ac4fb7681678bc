"""督办人 accountability (docs/rules.md §14): 差错 logged once, kept, marked 已纠正; 周例会通报."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from fixtures_folders import item, office_ledger
from python_calamine import CalamineWorkbook
from test_dashboard import Watched, browser  # noqa: F401 - the module's Chromium fixture

from automation import dashboard, schema
from automation.archive import weekly
from automation.archive.register import Register
from automation.letters.issue import LetterRequest
from automation.refresh import refresh
from automation.rules.workdays import WorkCalendar

NOW = datetime(2026, 10, 9, 8, 30)


def write(tmp_path: Path, *, done1=None, extended6=None, followed2=None, drop2=False) -> Path:
    """Owned items: 1 and 6 overdue, 2 never followed up, 3 followed up, 4 unowned, 5 done."""
    rows = [
        item(
            1, 办结时限=date(2026, 9, 30), 办理状态="已办结" if done1 else "办理中", 办结日期=done1
        ),
        item(2, 督办人="李四"),
        item(3, 督办人="李四"),
        item(4, 督办人=None, 办结时限=date(2026, 9, 30)),
        item(5, 督办人="赵六", 办理状态="已办结", 办结日期=date(2026, 9, 20)),
        item(6, 督办人="王五", 办结时限=date(2026, 9, 30), 延期至=extended6),
    ]
    if drop2:
        del rows[1]
    progress = [
        [date(2026, 9, 29), "DB-2026-001", "县财政局", "正在施工", 0.6, None, "张三"],
        [date(2026, 9, 28), "DB-2026-003", "县财政局", "已招标", 0.3, None, "李四"],
        [date(2026, 9, 29), "DB-2026-004", "县财政局", "推进中", 0.3, None, ""],
        [date(2026, 9, 29), "DB-2026-006", "县财政局", "推进中", 0.3, None, "王五"],
    ]
    if followed2:
        progress.append([followed2, "DB-2026-002", "县财政局", "已开工", 0.2, None, "李四"])
    return office_ledger(tmp_path / "台账.xlsx", rows, progress=progress)


def sheet(path: Path, name: str) -> list[list[object]]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return wb.get_sheet_by_name(name).to_python()


def entries(path: Path) -> list[dict[str, object]]:
    grid = sheet(path, schema.ERROR_LOG)
    return [dict(zip(grid[0], r, strict=False)) for r in grid[1:] if r and r[0] != ""]


def test_entries_appear_once_survive_refreshes_and_are_marked_corrected(tmp_path):
    path = write(tmp_path)
    refresh(path, today=date(2026, 10, 9), now=NOW)
    logged = entries(path)
    assert [(e["编号"], e["督办人"], e["差错类型"], e["状态"]) for e in logged] == [
        ("DB-2026-002", "李四", "未跟进", "未纠正"),
        ("DB-2026-001", "张三", "逾期未办结", "未纠正"),
        ("DB-2026-006", "王五", "逾期未办结", "未纠正"),
    ]
    # 20 working days after 交办 09-01 (09-20 a 调休 Sunday, 09-25 中秋): 09-29.
    assert logged[0]["发生日期"] == date(2026, 9, 29)
    assert logged[1]["发生日期"] == date(2026, 10, 1)
    assert all(e["登记日期"] == date(2026, 10, 9) for e in logged)

    refresh(path, today=date(2026, 10, 12), now=NOW)  # still wrong: nothing added twice
    assert entries(path) == logged

    write(
        tmp_path,
        done1=date(2026, 10, 12),
        extended6=date(2026, 11, 30),
        followed2=date(2026, 10, 13),
    )
    refresh(path, today=date(2026, 10, 14), now=NOW)
    fixed = {e["编号"]: e for e in entries(path)}
    assert len(fixed) == 3 and {e["状态"] for e in fixed.values()} == {"已纠正"}
    assert fixed["DB-2026-001"]["纠正日期"] == date(2026, 10, 12)
    assert fixed["DB-2026-001"]["纠正情况"] == "已办结（逾期办结）"
    assert fixed["DB-2026-002"]["纠正日期"] == date(2026, 10, 13)
    assert fixed["DB-2026-002"]["纠正情况"] == "已跟进（2026年10月13日）"
    assert fixed["DB-2026-006"]["纠正情况"] == "已延期至2026年11月30日"

    write(tmp_path, done1=date(2026, 10, 12), extended6=date(2026, 11, 30), drop2=True)
    refresh(path, today=date(2026, 10, 15), now=NOW)  # the row is gone; its entry is not
    again = {e["编号"]: e for e in entries(path)}
    assert again["DB-2026-002"]["纠正情况"] == "已跟进（2026年10月13日）"
    with Register(path) as register:
        assert len(register.entries()) == 3


def test_unowned_items_have_no_entries_and_the_workload_counts_per_owner(tmp_path):
    path = write(tmp_path)
    refresh(path, today=date(2026, 10, 9), now=NOW)
    assert "DB-2026-004" not in {e["编号"] for e in entries(path)}
    grid = sheet(path, schema.WORKLOAD)
    header = grid[0]
    rows = {r[0]: dict(zip(header, r, strict=False)) for r in grid[1:] if r and r[0]}
    assert header[:6] == ["督办人", "在办", "逾期", "临期", "反馈逾期", "回头看反弹"]
    assert (
        rows["张三"]["在办"] == 1 and rows["张三"]["逾期"] == 1 and rows["张三"]["未纠正差错"] == 1
    )
    assert rows["李四"]["在办"] == 2 and rows["李四"]["未跟进（20个工作日以上）"] == 1
    assert rows["（未填写）"]["逾期"] == 1 and rows["（未填写）"]["累计差错"] == 0
    assert "赵六" not in rows  # nothing in hand, no 差错
    assert rows["合计"]["在办"] == 5 and rows["合计"]["本周差错"] == 3


def test_last_working_day_of_the_week_follows_the_official_calendar():
    cal = WorkCalendar()
    # 2026-10-10 is a Saturday worked for 国庆 (国办发明电〔2025〕7号): Friday is not the last day.
    assert not weekly.is_last_workday_of_week(date(2026, 10, 9), cal)
    assert weekly.is_last_workday_of_week(date(2026, 10, 10), cal)
    assert weekly.is_last_workday_of_week(date(2026, 10, 16), cal)
    assert not weekly.is_last_workday_of_week(date(2026, 10, 3), cal)  # a holiday
    assert weekly.week_label(date(2026, 10, 9)) == "2026年第41周"


def test_the_weekly_bulletin_comes_with_the_letters_of_the_last_working_day(tmp_path):
    path = write(tmp_path)
    friday = refresh(path, today=date(2026, 10, 9), now=NOW, letters=LetterRequest())
    assert friday.office.weekly is None
    saturday = refresh(path, today=date(2026, 10, 10), now=NOW, letters=LetterRequest())
    target = tmp_path / "输出" / "2026-10-10" / "周例会通报" / "周例会通报（2026年第41周）.docx"
    assert target in saturday.outputs and target.is_file()
    again = refresh(path, today=date(2026, 10, 10), now=NOW, letters=LetterRequest())
    assert again.office.weekly is None  # once a week by itself; `duban weekly` for more


@pytest.mark.libreoffice
def test_the_weekly_bulletin_opens_in_libreoffice_and_names_the_right_people(tmp_path, soffice):
    path = write(tmp_path)
    report = refresh(path, today=date(2026, 10, 9), now=NOW)
    assert report.office.weekly is None
    from automation.archive.office import OfficeRequest

    report = refresh(path, today=date(2026, 10, 9), now=NOW, office=OfficeRequest(weekly=True))
    (docx,) = [p for p in report.outputs if p.suffix == ".docx"]
    text = soffice(docx, "txt:Text", tmp_path / "lo").read_text(encoding="utf-8-sig")
    assert "督查室周例会差错通报" in text and "2026年第41周" in text
    assert "共登记督办人差错3项，其中逾期未办结2项" in text
    owners, details = text.split("二、本周登记的差错")
    for name in ("张三", "李四", "王五"):
        assert name in owners and name in details
    assert "赵六" not in text  # no item in hand, no 差错
    assert "DB-2026-004" not in details  # overdue but nobody's: no 差错
    for item_id in ("DB-2026-001", "DB-2026-002", "DB-2026-006"):
        assert item_id in details
    second = refresh(path, today=date(2026, 10, 9), now=NOW, office=OfficeRequest(weekly=True))
    (other,) = [p for p in second.outputs if p.suffix == ".docx"]
    assert other != docx and other.name.endswith("（2）.docx") and docx.is_file()


def test_dashboard_shows_the_owner_panel_in_chromium(browser, tmp_path):  # noqa: F811
    path = write(tmp_path)
    refresh(path, today=date(2026, 10, 9), now=NOW)
    page_file = dashboard.write_dashboard(path, today=date(2026, 10, 9), now=NOW)
    w = Watched(browser)
    page = w.open(page_file)
    panel = page.locator("#owners")
    assert panel.is_visible()
    rows = panel.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))"
    )
    assert rows == [  # most 未纠正, then most in hand, first
        ["李四", "2", "0", "1", "1", "1"],
        ["张三", "1", "1", "0", "1", "1"],
        ["王五", "1", "1", "0", "1", "1"],
    ]
    box, screen = panel.bounding_box(), page.viewport_size
    assert (
        box["y"] + box["height"] <= screen["height"] and box["x"] + box["width"] <= screen["width"]
    )
    assert w.errors == [] and w.dialogs == []


def test_an_item_over_several_unit_rows_counts_once_and_each_row_gets_its_link(tmp_path):
    rows = [
        item(7, 督办人="王五", 事项内容="城区道路改造", 办结时限=date(2026, 9, 30)),
        item(
            7,
            督办人="王五",
            事项内容="城区道路改造",
            办结时限=date(2026, 9, 30),
            责任单位="县交通运输局",
        ),
    ]
    path = office_ledger(tmp_path / "台账.xlsx", rows)
    report = refresh(path, today=date(2026, 10, 9), now=NOW, letters=LetterRequest())
    assert len(report.ledger.items) == 2 and report.ledger.items[1].part_of is not None
    grid = sheet(path, schema.WORKLOAD)
    owner = dict(zip(grid[0], next(r for r in grid if r[0] == "王五"), strict=False))
    assert owner["在办"] == 1 and owner["逾期"] == 1 and owner["累计差错"] == 1
    ledger_grid = sheet(path, schema.LEDGER)
    col = ledger_grid[0].index("档案")
    assert [r[col] for r in ledger_grid[1:3]] == ["打开", "打开"]  # both units had a 催办函


def test_nth_working_day_after_agrees_with_the_calendar_across_holidays():
    from datetime import timedelta

    from automation.archive.accountability import nth_workday_after

    cal = WorkCalendar()
    assert nth_workday_after(cal, date(2026, 9, 1), 20) == date(2026, 9, 29)  # rules §14.2
    assert nth_workday_after(cal, date(2026, 9, 30), 1) == date(2026, 10, 8)  # after 国庆
    assert nth_workday_after(cal, date(2026, 10, 9), 1) == date(2026, 10, 10)  # 调休 Saturday
    for offset in range(0, 400, 7):
        start = date(2026, 1, 1) + timedelta(days=offset)
        for n in (1, 5, 20, 60):
            assert nth_workday_after(cal, start, n) == cal.add_workdays(start, n), (start, n)


def test_notes_staff_write_beside_the_log_and_the_workload_stay_with_their_rows(tmp_path):
    import openpyxl

    path = write(tmp_path)
    refresh(path, today=date(2026, 10, 9), now=NOW)
    wb = openpyxl.load_workbook(path)  # staff annotate the printed sheets and finish item 001
    log, load, items = wb[schema.ERROR_LOG], wb[schema.WORKLOAD], wb[schema.LEDGER]
    row = next(r for r in range(2, log.max_row + 1) if log.cell(r, 4).value == "DB-2026-006")
    log.cell(row, 14, "已约谈王五")
    person = next(r for r in range(2, load.max_row + 1) if load.cell(r, 1).value == "王五")
    assert person == 4  # 李四, 张三, 王五
    load.cell(person, 12, "本周请假")
    header = [c.value for c in items[1]]
    one = next(r for r in range(2, items.max_row + 1) if items.cell(r, 1).value == "DB-2026-001")
    items.cell(one, header.index("办理状态") + 1, "已办结")
    items.cell(one, header.index("办结日期") + 1, datetime(2026, 10, 12))
    wb.save(path)

    refresh(path, today=date(2026, 10, 14), now=NOW)
    grid = sheet(path, schema.ERROR_LOG)
    (noted,) = [r for r in grid if "已约谈王五" in r]
    assert noted[3] == "DB-2026-006" and noted.index("已约谈王五") == 13
    grid = sheet(path, schema.WORKLOAD)
    assert [r[0] for r in grid[1:4]] == ["李四", "王五", "张三"]  # 张三 has nothing open now
    (noted,) = [r for r in grid if "本周请假" in r]
    assert noted[0] == "王五"
