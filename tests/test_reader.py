"""The reader on real workbooks written by xlsxwriter, openpyxl and LibreOffice (docs/rules.md §3.1, §11; README 台账结构)."""

from __future__ import annotations

import os
import zipfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from fixtures_xlsx import HEADERS, TODAY, Formula, good_row, row, write_ledger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automation.errors import LedgerUnreadable
from automation.ledger.reader import read_ledger


def read(path: Path):
    return read_ledger(path, today=TODAY)


def where(ledger) -> dict[str, str]:
    return {p.cell: p.message for p in ledger.problems}


# --- dates -------------------------------------------------------------------------------

DATE_FORMS = [
    (date(2026, 3, 5), date(2026, 3, 5)),
    (datetime(2026, 3, 5, 9, 0), date(2026, 3, 5)),
    (46086, date(2026, 3, 5)),
    ("2026-3-5", date(2026, 3, 5)),
    ("2026/03/05", date(2026, 3, 5)),
    ("2026.3.5", date(2026, 3, 5)),
    ("2026年3月5日", date(2026, 3, 5)),
    ("3月5日", date(2026, 3, 5)),
    (" 2026 - 3 - 5 ", date(2026, 3, 5)),
    ("２０２６年３月５日", date(2026, 3, 5)),
]


def test_every_date_form_is_read(tmp_path):
    rows = [
        good_row(i + 1, 交办日期=date(2026, 1, 5), 办结时限=typed)
        for i, (typed, _) in enumerate(DATE_FORMS)
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    assert [i.deadline for i in ledger.items] == [want for _, want in DATE_FORMS]
    assert ledger.problems == []


def test_invalid_date_names_the_cell_and_leaves_the_field_blank(tmp_path):
    ledger = read(
        write_ledger(tmp_path / "t.xlsx", [good_row(1), good_row(2, 办结时限="2026.13.5")])
    )
    item = ledger.items[1]
    assert item.deadline is None and item.unit == "县财政局" and item.progress == 50.0
    [problem] = ledger.problems
    assert (problem.sheet, problem.cell) == ("督办事项", "G3")
    assert problem.message == "办结时限“2026.13.5”不是有效日期：没有 13 月"
    assert problem.fix.startswith("请填写如 2026-03-05 的日期")


@pytest.mark.parametrize("word", ["长期", "持续推进", "常态化"])
def test_ongoing_words_mean_no_deadline(tmp_path, word):
    ledger = read(write_ledger(tmp_path / "t.xlsx", [good_row(1, 办结时限=word)]))
    [item] = ledger.items
    assert item.ongoing and item.deadline is None
    assert ledger.problems == []


# --- units, 编号, progress, cross-field checks ---------------------------------------------


def test_units_by_name_alias_and_with_stray_spaces(tmp_path):
    rows = [
        good_row(1, 责任单位="县交通运输局 "),
        good_row(2, 责任单位="交通局"),
        good_row(3, 责任单位="县 住建局", 配合单位="县财政局、县教育局"),
        good_row(4, 责任单位="县交通运局"),
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    assert [i.unit for i in ledger.items] == [
        "县交通运输局",
        "县交通运输局",
        "县住房和城乡建设局",
        None,
    ]
    assert ledger.items[2].co_units == ("县财政局", "县教育局")
    assert ledger.items[3].unit_text == "县交通运局"
    [problem] = ledger.problems
    assert problem.cell == "D5"
    assert problem.message == "责任单位“县交通运局”不在“责任单位”表中"
    assert problem.fix.startswith("是否为：县交通运输局？")


def test_blank_and_duplicate_ids(tmp_path):
    rows = [good_row(1), good_row(30), good_row(0, 编号=None), good_row(1), good_row(0, 编号=" ")]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    assert [i.id for i in ledger.items] == [
        "DB-2026-001",
        "DB-2026-030",
        "DB-2026-031",
        "DB-2026-001",
        "DB-2026-032",
    ]
    assert [i.id_assigned for i in ledger.items] == [False, False, True, False, True]
    assert where(ledger) == {
        "A5": "编号“DB-2026-001”与第 2 行重复",
        "A4": "编号为空，已自动编号为 DB-2026-031",
        "A6": "编号为空，已自动编号为 DB-2026-032",
    }


def test_progress_as_percent_fraction_and_number(tmp_path):
    rows = [
        good_row(1, 完成进度="80%"),
        good_row(2, 完成进度=0.8),
        good_row(3, 完成进度=80),
        good_row(4, 完成进度="120"),
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    assert [i.progress for i in ledger.items] == [80.0, 80.0, 80.0, None]
    assert where(ledger) == {"K5": "完成进度“120”无效：超过了 100%"}


def test_cross_field_checks(tmp_path):
    rows = [
        good_row(1, 交办日期=date(2026, 3, 2), 办结日期=date(2026, 2, 1), 办理状态="已办结"),
        good_row(2, 办理状态="已办结"),
        good_row(3, 办理状态="已销号"),
        good_row(4, 办理状态="完成"),
        good_row(5, 事项类别="市长热线"),
        good_row(6, 事项类别="会议决定"),
        good_row(7, 反馈周期="看情况"),
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    problems = where(ledger)
    assert problems["M2"] == "办结日期 2026-02-01 早于交办日期 2026-03-02"
    assert problems["M3"] == "办理状态为“已办结”，但办结日期为空"
    assert problems["M4"].startswith("办理状态为“已销号”，但办结日期为空")
    assert (
        "L5" not in problems and ledger.items[3].typed_status == "已办结"
    )  # 完成 is a status word
    assert problems["M5"] == "办理状态为“已办结”，但办结日期为空"
    assert "B6" not in problems and ledger.items[4].category == "热线交办"
    assert problems["B7"] == "事项类别“会议决定”不在规定类别中"
    assert ledger.items[5].category == ""
    assert problems["I8"] == "反馈周期“看情况”无法识别"
    assert ledger.items[6].cadence is None and ledger.items[6].cadence_text == "看情况"
    assert len(ledger.problems) == 6
    fixes = {p.cell: p.fix for p in ledger.problems}
    assert "会议议定" in fixes["B7"] and "每月10日" in fixes["I8"]


# --- layout: formulas, merges, hidden and empty rows, columns --------------------------------


def test_formulas_are_read_as_their_cached_values(tmp_path):
    rows = [
        good_row(1, 办结时限=Formula("=F2+30", date(2026, 4, 1)), 完成进度=Formula("=40/100", 0.4)),
        good_row(2, 事项内容=Formula('="修缮"&"道路"', "修缮道路")),
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows))
    assert ledger.items[0].deadline == date(2026, 4, 1)
    assert ledger.items[0].progress == 40.0
    assert ledger.items[1].content == "修缮道路"
    assert ledger.problems == []


def test_formula_without_cached_value_is_a_problem(tmp_path):
    # openpyxl writes formulas without a cached value, as a never-recalculated file has.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "督办事项"
    ws.append(list(HEADERS))
    ws.append(good_row(1))
    ws.append(good_row(2))
    ws["G3"] = "=G2+10"
    ws["C3"] = "=A2"
    wb.save(tmp_path / "t.xlsx")
    ledger = read(tmp_path / "t.xlsx")
    assert ledger.items[1].deadline is None
    assert set(where(ledger)) >= {"G3", "C3"}
    assert where(ledger)["G3"] == "单元格是公式，但没有计算结果（或结果是错误值）"


def test_a_formatted_blank_before_a_formula_does_not_hide_its_problem(tmp_path):
    # xlsxwriter, like LibreOffice for every formatted blank, writes <c r="H3" s="1"/>.
    def layout(wb, ws, header_row):
        ws.write_blank(header_row + 2, 7, None, wb.add_format({"num_format": "yyyy-mm-dd"}))
        ws.write_formula(header_row + 2, 8, "=1/0", None, "#DIV/0!")  # 反馈周期 of row 3

    ledger = read(write_ledger(tmp_path / "t.xlsx", [good_row(1), good_row(2)], hook=layout))
    assert where(ledger) == {"I3": "单元格是公式，但没有计算结果（或结果是错误值）"}


def test_title_row_merged_cells_hidden_and_empty_rows(tmp_path):
    def layout(wb, ws, header_row):
        ws.merge_range(header_row + 1, 3, header_row + 2, 3, "县交通局")  # one unit over two items
        ws.set_row(header_row + 2, None, None, {"hidden": True})

    rows = [good_row(1), good_row(2), [], [None] * len(HEADERS), good_row(3), []]
    ledger = read(
        write_ledger(tmp_path / "t.xlsx", rows, title="XX县2026年督查事项台账", hook=layout)
    )
    assert ledger.sheets[0].header_row == 2
    assert [(i.row, i.id) for i in ledger.items] == [
        (3, "DB-2026-001"),
        (4, "DB-2026-002"),
        (7, "DB-2026-003"),
    ]
    assert [i.unit for i in ledger.items] == ["县交通运输局", "县交通运输局", "县财政局"]
    assert ledger.sheets[0].last_row == 7
    assert ledger.problems == []


def test_reordered_hidden_extra_columns_and_header_variants(tmp_path):
    headers = (
        " 备注 ",
        "截止日期",
        "序号",
        "事项内容（必填）",
        "牵头单位",
        "编 号",
        "完成进度",
        "交办时间",
        "Ｘ列",
    )
    rows = [
        row(
            headers,
            截止日期="2026-12-31",
            序号=1,
            **{
                " 备注 ": "无",
                "事项内容（必填）": "修路",
                "牵头单位": "财政局",
                "编 号": "DB-2026-001",
                "完成进度": "80%",
                "交办时间": "2026-3-1",
                "Ｘ列": "其他",
            },
        ),
        row(
            headers,
            截止日期="2026-13-01",
            **{"事项内容（必填）": "建桥", "牵头单位": "县财政局", "编 号": "DB-2026-002"},
        ),
    ]

    def hide(wb, ws, header_row):
        ws.set_column(1, 1, None, None, {"hidden": True})

    ledger = read(write_ledger(tmp_path / "t.xlsx", rows, headers=headers, hook=hide))
    assert ledger.sheets[0].max_col == 9
    assert ledger.sheets[0].columns == {
        "note": 1,
        "deadline": 2,
        "seq": 3,  # 序号 is a row number, never the 编号
        "content": 4,
        "unit": 5,
        "id": 6,
        "progress": 7,
        "assigned_on": 8,
    }
    first = ledger.items[0]
    assert (first.id, first.content, first.unit, first.deadline, first.progress, first.note) == (
        "DB-2026-001",
        "修路",
        "县财政局",
        date(2026, 12, 31),
        80.0,
        "无",
    )
    assert where(ledger) == {"B3": "办结时限“2026-13-01”不是有效日期：没有 13 月"}


def test_full_width_headers_with_spaces(tmp_path):
    headers = ("编　号", "事项内容", "责任单位 ", "完成时限", "完成进度＊")
    rows = [
        row(
            headers,
            **{
                "编　号": "DB-2026-001",
                "事项内容": "甲",
                "责任单位 ": "县教育局",
                "完成时限": "２０２６．１２．３１",
                "完成进度＊": "５０％",
            },
        )
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows, headers=headers))
    [item] = ledger.items
    assert (item.unit, item.deadline, item.progress) == ("县教育局", date(2026, 12, 31), 50.0)


def test_computed_columns_are_mapped_and_leftovers_are_not_items(tmp_path):
    headers = (*HEADERS, "预警", "计算状态", "下次反馈日")
    rows = [
        good_row(1) + ["红", "逾期", None],
        [None] * len(HEADERS) + ["黄", "临期", "2026-10-12"],
    ]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows, headers=headers))
    assert (
        ledger.sheets[0].columns["light"],
        ledger.sheets[0].columns["status"],
        ledger.sheets[0].columns["next_feedback_on"],
    ) == (14, 15, 16)
    assert [i.row for i in ledger.items] == [2]
    assert ledger.sheets[0].last_row == 3 and ledger.sheets[0].max_col == 16


def test_two_row_header_under_a_merged_group_header(tmp_path):
    path = tmp_path / "t.xlsx"
    import xlsxwriter

    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("督办事项")
    ws.merge_range("A1:A2", "编号")
    ws.merge_range("B1:B2", "事项内容")
    ws.merge_range("C1:C2", "责任单位")
    ws.merge_range("D1:E1", "时间节点")
    ws.write_row("D2", ["交办日期", "办结时限"])
    ws.write_row("A3", ["DB-2026-001", "修路", "县财政局", "2026-3-1", "2026-6-30"])
    wb.close()
    ledger = read(path)
    assert ledger.sheets[0].header_row == 2
    assert ledger.sheets[0].columns == {
        "id": 1,
        "content": 2,
        "unit": 3,
        "assigned_on": 4,
        "deadline": 5,
    }
    assert ledger.items[0].deadline == date(2026, 6, 30)


def test_missing_required_columns_are_problems_and_ids_are_assigned(tmp_path):
    headers = ("事项名称", "办结时限", "进度")
    rows = [row(headers, 事项名称="修路", 办结时限="2026-6-30", 进度=0.5)]
    ledger = read(write_ledger(tmp_path / "t.xlsx", rows, headers=headers, units=None))
    messages = [p.message for p in ledger.problems]
    assert "表头中没有“责任单位”列" in messages
    assert any("没有“编号”列" in n for n in ledger.sheets[0].reading.notes)
    assert ledger.items[0].id == "DB-2026-001" and ledger.items[0].id_assigned


# --- which sheet, and the other staff sheets --------------------------------------------------


def test_existing_ledger_found_by_name_hint_and_defaults_for_missing_sheets(tmp_path):
    def extra(wb, ws, header_row):
        wb.add_worksheet("说明").write("A1", "本表由督查室维护")

    path = write_ledger(
        tmp_path / "t.xlsx", [good_row(1)], sheet="2026年重点工作台账", units=None, hook=extra
    )
    ledger = read(path)
    assert [s.name for s in ledger.sheets] == ["2026年重点工作台账"]
    assert ledger.unread == [("说明", "前 10 行中没有台账表头")]
    assert ledger.items[0].unit == "县财政局"  # no 责任单位 sheet: taken as typed
    assert ledger.settings.due_soon_days == 3 and ledger.units == [] and ledger.problems == []


def test_settings_calendar_and_progress_log(tmp_path):
    path = write_ledger(
        tmp_path / "t.xlsx",
        [good_row(1)],
        settings=[
            ("临期提醒工作日", 5),
            ("进度滞后阈值", "很多"),
            ("编号前缀", "DC"),
            ("每日发送时间", "8:30"),
            ("临期天数", 2),
        ],
        calendar=[(date(2027, 1, 1), "休"), ("2027-2-7", "班"), ("2027-2-8", "调休")],
        progress=[
            (date(2026, 9, 4), "DB-2026-001", "县财政局", "已完成招标", "60%"),
            ("9月31日", "DB-2026-001"),
            (date(2026, 9, 5), None, "县财政局", "无编号"),
        ],
    )
    ledger = read(path)
    assert ledger.settings.due_soon_days == 5 and ledger.settings.lag_threshold == 20
    assert ledger.settings.id_prefix == "DC" and ledger.settings.daily_time == "08:30"
    assert ledger.calendar_overrides == {date(2027, 1, 1): False, date(2027, 2, 7): True}
    [fb] = ledger.feedback
    assert (fb.date, fb.item_id, fb.progress, fb.row) == (date(2026, 9, 4), "DB-2026-001", 60.0, 2)
    problems = {(p.sheet, p.cell): p.message for p in ledger.problems}
    assert problems[("参数设置", "B3")].startswith(
        "参数“进度滞后阈值”的值“很多”无效（应为数字），已按默认值 20 计算"
    )
    assert problems[("参数设置", "A6")] == "不认识的参数“临期天数”，已忽略"
    assert problems[("节假日调整", "B4")] == "类型“调休”无法识别"
    assert problems[("进展记录", "A3")] == "日期“9月31日”不是有效日期：2026 年 9 月没有 31 日"
    assert problems[("进展记录", "B4")] == "进展记录缺少事项编号，本行未计入"
    assert len(ledger.problems) == 5


# --- files that cannot be read ----------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(LedgerUnreadable, match="找不到台账文件") as e:
        read(tmp_path / "没有这个.xlsx")
    assert e.value.exit_code == 2


def test_not_a_workbook(tmp_path):
    (tmp_path / "t.xlsx").write_text("这不是表格", encoding="utf-8")
    with pytest.raises(LedgerUnreadable, match="不是有效的 Excel 工作簿"):
        read(tmp_path / "t.xlsx")


def test_corrupt_zip(tmp_path):
    whole = write_ledger(tmp_path / "whole.xlsx", [good_row(1)]).read_bytes()
    (tmp_path / "t.xlsx").write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LedgerUnreadable, match="不是有效的 Excel 工作簿"):
        read(tmp_path / "t.xlsx")


def test_encrypted_workbook(tmp_path):
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_ledger(tmp_path / "plain.xlsx", [good_row(1)])
    with plain.open("rb") as f, (tmp_path / "t.xlsx").open("wb") as out:
        OOXMLFile(f).encrypt("mima123", out)
    with pytest.raises(LedgerUnreadable, match="文件已加密（设置了打开密码）") as e:
        read(tmp_path / "t.xlsx")
    assert "请在 Excel 中取消密码后再试" in str(e.value)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(tmp_path):
    path = write_ledger(tmp_path / "t.xlsx", [good_row(1)])
    path.chmod(0)
    with pytest.raises(LedgerUnreadable, match="没有读取权限"):
        read(path)


def test_a_folder_is_not_a_ledger(tmp_path):
    with pytest.raises(LedgerUnreadable, match="文件夹"):
        read(tmp_path)


# --- LibreOffice ------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_workbook_saved_by_libreoffice(tmp_path, soffice):
    rows = [
        good_row(1, 办结时限="2026年3月5日", 完成进度="80%"),
        good_row(2, 办结时限=46086, 责任单位="县交通局 "),
        [],
        good_row(0, 编号=None, 办结时限=date(2026, 3, 5), 办理状态="已办结"),
    ]
    (tmp_path / "src").mkdir()
    source = write_ledger(tmp_path / "src" / "ledger.xlsx", rows, title="XX县2026年督查事项台账")
    saved = soffice(source, "xlsx", tmp_path / "lo")
    ledger = read(saved)
    assert [i.deadline for i in ledger.items] == [date(2026, 3, 5)] * 3
    assert [i.unit for i in ledger.items] == ["县财政局", "县交通运输局", "县财政局"]
    assert ledger.items[0].progress == 80.0
    assert where(ledger) == {
        "A6": "编号为空，已自动编号为 DB-2026-003",
        "M6": "办理状态为“已办结”，但办结日期为空",
    }
    with zipfile.ZipFile(saved) as z:  # really LibreOffice's file, not ours
        assert b"LibreOffice" in z.read("docProps/app.xml")


@pytest.mark.libreoffice
def test_legacy_xls_saved_by_libreoffice(tmp_path, soffice):
    (tmp_path / "src").mkdir()
    rows = [
        good_row(1, 办结时限="2026.3.5"),
        good_row(2, 办结时限=date(2026, 3, 6), 责任单位="住建局"),
    ]
    source = write_ledger(tmp_path / "src" / "ledger.xlsx", rows, title="XX县督查台账")
    ledger = read(soffice(source, "xls", tmp_path / "lo"))
    assert [(i.row, i.deadline, i.unit) for i in ledger.items] == [
        (3, date(2026, 3, 5), "县财政局"),
        (4, date(2026, 3, 6), "县住房和城乡建设局"),
    ]
    assert ledger.problems == []


# --- anything in any cell ---------------------------------------------------------------------

cell_junk = st.one_of(
    st.none(),
    st.text(max_size=12).filter(lambda s: not s.startswith("=")),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.booleans(),
    st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 12, 31)),
    st.sampled_from(
        ["长期", "2026.13.5", "80%", "已办结", "县交通局", "每月10日", "、、", "\u3000"]
    ),
)


# Columns of HEADERS whose typed value must end up parsed or reported, never dropped silently.
PARSED = {
    "F": "assigned_on",
    "G": "deadline",
    "H": "extended_to",
    "J": "last_feedback_on",
    "K": "progress",
    "M": "done_on",
}


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(
        st.lists(cell_junk, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=3
    ),
    side=st.lists(st.tuples(cell_junk, cell_junk, cell_junk), max_size=3),
)
def test_any_junk_in_any_cell_yields_problems_never_an_exception(tmp_path, rows, side):
    settings_rows = [("临期提醒工作日", a) for a, _, _ in side] + [(a, b) for a, b, _ in side]
    path = write_ledger(
        tmp_path / "junk.xlsx", rows, settings=settings_rows, calendar=side, progress=side
    )
    ledger = read(path)
    reported = {(p.sheet, p.cell) for p in ledger.problems}
    for problem in ledger.problems:
        assert problem.message and problem.fix and problem.sheet
    for item in ledger.items:
        assert item.id
        assert item.progress is None or 0 <= item.progress <= 100
        for column, key in PARSED.items():
            typed = rows[item.row - 2][ord(column) - ord("A")]
            blank = typed is None or (isinstance(typed, str) and not typed.strip())
            if (
                not blank
                and getattr(item, key) is None
                and not (key == "deadline" and item.ongoing)
            ):
                assert ("督办事项", f"{column}{item.row}") in reported, (column, typed)
    assert isinstance(ledger.settings.due_soon_days, int)
