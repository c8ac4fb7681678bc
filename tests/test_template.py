"""`duban init`: the empty ledger workbook, read back by openpyxl and by a real LibreOffice."""

from __future__ import annotations

import csv
import subprocess
import sys

import openpyxl
import pytest

from automation import schema, settings
from automation.errors import DubanError
from automation.workbooks.template import build_template

LEDGER_HEADERS = [
    "编号", "事项类别", "来源依据", "事项内容", "工作要求", "牵头领导", "责任单位", "配合单位",
    "责任人", "联系电话", "交办日期", "办结时限", "延期至", "反馈周期", "最新进展", "最近反馈日期",
    "完成进度", "办理状态", "办结日期", "督办人", "备注",
    "预警", "认定时限", "计算状态", "剩余工作日", "逾期工作日", "下次反馈日", "序时进度", "进度偏差",
    "督办等级", "已催办次数", "更新时间", "档案",
]  # fmt: skip
COMPUTED = LEDGER_HEADERS[21:]


@pytest.fixture(scope="module")
def template_path(tmp_path_factory):
    return build_template(tmp_path_factory.mktemp("init") / "督查室")


@pytest.fixture(scope="module")
def wb(template_path):
    return openpyxl.load_workbook(template_path)


def validations_by_range(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def rules_by_range(ws) -> dict[str, list]:
    return {str(cf.sqref): list(cf.rules) for cf in ws.conditional_formatting}


def dxf_colour(rule) -> str:
    """The fill colour of a conditional format, wherever the writer put it (fg or bg)."""
    fill = rule.dxf.fill
    colours = {c.rgb for c in (fill.fgColor, fill.bgColor) if isinstance(c.rgb, str)}
    colours.discard("00000000")
    return next(iter(colours))[-6:]


# --- openpyxl ------------------------------------------------------------------------------


def test_file_name_and_every_sheet_in_spec_order(template_path, wb):
    assert template_path.name == "督查台账.xlsx"
    assert wb.sheetnames == [
        "督办事项", "责任单位", "进展记录", "发文登记", "参数设置", "节假日调整", "回头看记录",
        "统计汇总", "考评排名", "逾期清单", "临期清单", "校验问题",
        "督办人工作量", "差错登记", "回头看清单",
    ]  # fmt: skip


def test_headers_of_every_staff_sheet(wb):
    assert [c.value for c in wb["督办事项"][1]] == LEDGER_HEADERS
    assert [c.value for c in wb["责任单位"][1]] == [
        "单位名称", "别名", "类型", "主要领导", "分管领导", "联系人", "联系电话", "邮箱", "抄送邮箱",
        "通知群",
    ]  # fmt: skip
    assert [c.value for c in wb["进展记录"][1]] == [
        "日期", "编号", "责任单位", "进展内容", "完成进度", "佐证材料", "录入人",
    ]  # fmt: skip
    assert [c.value for c in wb["发文登记"][1]] == [
        "文号",
        "类型",
        "日期",
        "责任单位",
        "事项编号",
        "文件",
        "状态",
        "审定人",
        "审定日期",
    ]
    assert [c.value for c in wb["参数设置"][1]] == ["参数", "值", "说明"]
    assert [c.value for c in wb["节假日调整"][1]][:3] == ["日期", "类型", "说明"]
    assert [c.value for c in wb["回头看记录"][1]][:5] == ["编号", "日期", "结论", "说明", "录入人"]


def test_generated_sheets_carry_only_a_note(wb):
    for name in schema.GENERATED_SHEETS + schema.FOLDER_SHEETS:
        ws = wb[name]
        assert "本表由系统刷新时自动生成" in ws["A1"].value
        assert ws.max_row == 1 and ws.max_column == 1


def test_computed_headers_are_grey_and_commented(wb):
    ws = wb["督办事项"]
    for cell in ws[1]:
        if cell.value in COMPUTED:
            assert cell.fill.fgColor.rgb.endswith("BFBFBF"), cell.value
            assert cell.comment.text == "系统自动计算，请勿手工填写"
        else:
            assert not cell.fill.fgColor.rgb.endswith("BFBFBF"), cell.value
            assert cell.comment is None
    assert ws["V1"].value == "预警" and ws["AF1"].value == "更新时间"
    assert ws["AG1"].value == "档案"


def test_ledger_drop_downs(wb):
    dvs = validations_by_range(wb["督办事项"])
    category = dvs["B2:B5000"]
    assert category.type == "list"
    assert (
        category.formula1
        == '"上级来文,政府工作报告,民生实事,会议议定,领导批示,建议提案,热线交办,其他"'
    )
    status = dvs["R2:R5000"]
    assert status.formula1 == '"办理中,已办结,已销号,申请延期,已调整,已取消,暂缓"'
    unit = dvs["G2:G5000"]
    assert unit.type == "list"
    assert unit.formula1 == "'责任单位'!$A$2:$A$1000"
    assert unit.errorStyle == "warning"  # an alias typed by hand is allowed, the refresh matches it


def test_ledger_date_validations(wb):
    dvs = validations_by_range(wb["督办事项"])
    for rng in ("K2:K5000", "M2:M5000", "P2:P5000", "S2:S5000"):  # 交办/延期至/最近反馈/办结日期
        dv = dvs[rng]
        assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (
            "date",
            "between",
            "36526",
            "73415",
        )
        assert "2026-03-05" in dv.error
    deadline = dvs["L2:L5000"]
    assert deadline.type == "custom"
    assert 'L2="长期"' in deadline.formula1 and 'L2="常态化"' in deadline.formula1
    assert "长期" in deadline.error
    assert "80%" in dvs["Q2:Q5000"].prompt and dvs["Q2:Q5000"].type is None  # progress: hint only


def test_date_columns_display_as_dates(wb):
    ws = wb["督办事项"]
    for letter in ("K", "L", "M", "P", "S", "W", "AA"):  # W 认定时限, AA 下次反馈日 (refresh)
        assert ws.column_dimensions[letter].number_format == "yyyy-mm-dd", letter
    assert ws.column_dimensions["D"].alignment.wrap_text  # 事项内容 wraps


def test_colour_rules_on_light_and_overdue_rows(wb):
    rules = rules_by_range(wb["督办事项"])
    lights = rules["V2:V5000"]
    assert [(r.operator, r.formula) for r in lights] == [
        ("equal", ['"红"']), ("equal", ['"黄"']), ("equal", ['"绿"']), ("equal", ['"蓝"']), ("equal", ['"灰"']),
    ]  # fmt: skip
    assert [dxf_colour(r) for r in lights] == ["FF0000", "FFFF00", "00B050", "5B9BD5", "BFBFBF"]
    (row_rule,) = rules["A2:AG5000"]
    assert row_rule.formula == ['$X2="逾期"']
    assert dxf_colour(row_rule) == "FFC7CE"


def test_frozen_filter_and_print_setup(wb):
    ws = wb["督办事项"]
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == "A1:AG1"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.print_title_rows == "$1:$1"
    for name in ("责任单位", "进展记录", "发文登记", "节假日调整"):
        assert wb[name].freeze_panes == "A2", name


def test_settings_hold_every_default_with_help(wb):
    ws = wb["参数设置"]
    rows = {r[0]: (r[1], r[2]) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert list(rows) == [spec.name for spec in settings.SPECS.values()]
    assert all(help_text for _, help_text in rows.values())
    assert rows["临期提醒工作日"][0] == 3
    assert rows["进度滞后阈值"][0] == 20
    assert rows["每日发送时间"][0] == "08:30"
    assert rows["配合单位权重"][0] == 0.5
    assert rows["单位名称"][0] == "XX县人民政府督查室"
    period = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert [dv.formula1 for dv in period] == ['"是,否"', '"月度,季度,年度"']
    assert rows["文书须审定"][0] == "是"
    assert rows["须审定文书"][0] == "限期整改通知书、督查通报、落实情况报告"


def test_letter_log_offers_the_review_states(wb):
    dvs = validations_by_range(wb["发文登记"])
    assert dvs["G2:G5000"].formula1 == '"待审定,已审定,已发出,退回"'
    assert "I2:I5000" in dvs  # 审定日期 takes dates only


def test_calendar_sheet_has_kind_drop_down_and_note(wb):
    ws = wb["节假日调整"]
    dvs = validations_by_range(ws)
    assert dvs["B2:B5000"].formula1 == '"休,班"'
    assert dvs["A2:A5000"].type == "date"
    assert "国务院办公厅" in ws["E1"].value


# --- refusing to overwrite ---------------------------------------------------------------


def test_refuses_to_overwrite_without_force(tmp_path):
    path = build_template(tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["督办事项"]["A2"] = "DB-2026-001"
    wb.save(path)
    before = path.read_bytes()
    with pytest.raises(DubanError) as raised:
        build_template(tmp_path)
    assert "已存在" in str(raised.value) and "--force" in str(raised.value)
    assert path.read_bytes() == before
    build_template(tmp_path, force=True)
    assert openpyxl.load_workbook(path)["督办事项"]["A2"].value is None


def test_cli_init_refuses_existing_file_with_chinese_message(tmp_path):
    command = [sys.executable, "-m", "automation", "init", str(tmp_path / "台账")]
    first = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert first.returncode == 0, first.stderr
    assert "已创建台账" in first.stdout
    second = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert second.returncode != 0
    assert "文件已存在" in second.stderr and "--force" in second.stderr
    assert "Traceback" not in second.stderr


# --- a program we did not write: LibreOffice -------------------------------------------


@pytest.fixture(scope="module")
def resaved(template_path, soffice, tmp_path_factory):
    """The template opened and saved again by headless LibreOffice."""
    out = soffice(template_path, "xlsx", tmp_path_factory.mktemp("lo-xlsx"))
    return openpyxl.load_workbook(out)


@pytest.mark.libreoffice
def test_libreoffice_keeps_sheets_headers_and_settings(resaved):
    assert resaved.sheetnames == list(schema.ALL_SHEETS)
    assert [c.value for c in resaved["督办事项"][1]] == LEDGER_HEADERS
    assert resaved["督办事项"]["V1"].comment.text.strip() == "系统自动计算，请勿手工填写"
    names = [r[0] for r in resaved["参数设置"].iter_rows(min_row=2, values_only=True)]
    assert names == [spec.name for spec in settings.SPECS.values()]


@pytest.mark.libreoffice
def test_libreoffice_understands_validations(resaved):
    # LibreOffice trims validation ranges to rows it considers in use, so compare by start cell.
    dvs = {
        str(dv.sqref).split(":")[0]: dv
        for dv in resaved["督办事项"].data_validations.dataValidation
    }
    assert dvs["B2"].type == "list" and "热线交办" in dvs["B2"].formula1
    assert dvs["R2"].type == "list" and "已销号" in dvs["R2"].formula1
    assert dvs["G2"].formula1.replace("'", "") == "责任单位!$A$2:$A$1000"
    assert (dvs["K2"].type, dvs["K2"].formula1, dvs["K2"].formula2) == ("date", "36526", "73415")
    assert dvs["L2"].type == "custom" and '"持续推进"' in dvs["L2"].formula1


@pytest.mark.libreoffice
def test_libreoffice_understands_colour_rules_and_print_setup(resaved):
    ws = resaved["督办事项"]
    rules = rules_by_range(ws)
    assert [r.formula for r in rules["V2:V5000"]] == [
        ['"红"'],
        ['"黄"'],
        ['"绿"'],
        ['"蓝"'],
        ['"灰"'],
    ]
    assert [dxf_colour(r) for r in rules["V2:V5000"]] == [
        "FF0000",
        "FFFF00",
        "00B050",
        "5B9BD5",
        "BFBFBF",
    ]
    assert [r.formula for r in rules["A2:AG5000"]] == [['$X2="逾期"']]
    assert ws.page_setup.orientation == "landscape"
    assert ws.print_title_rows == "$1:$1"
    # A headless --convert-to drops every file's view settings (xlsxwriter's too), so the
    # frozen panes are checked through LibreOffice's own view below.


@pytest.mark.libreoffice
def test_libreoffice_reads_ledger_headers_as_csv(template_path, soffice, tmp_path):
    out = soffice(template_path, "csv:Text - txt - csv (StarCalc):44,34,76,1", tmp_path)
    with out.open(encoding="utf-8") as f:
        header = next(csv.reader(f))
    assert header == LEDGER_HEADERS


FROZEN_PANES_MACRO = """
Sub FrozenPanes(sUrl As String, sOut As String)
  Dim args(0) As New com.sun.star.beans.PropertyValue
  args(0).Name = "Hidden"
  args(0).Value = True
  oDoc = StarDesktop.loadComponentFromURL(sUrl, "_blank", 0, args())
  oView = oDoc.getCurrentController()
  s = ""
  For i = 0 To oDoc.Sheets.Count - 1
    oView.setActiveSheet(oDoc.Sheets.getByIndex(i))
    s = s & i & " " & oView.hasFrozenPanes() & " " & oView.getSplitColumn() & " " & oView.getSplitRow() & Chr(10)
  Next
  n = FreeFile
  Open sOut For Output As #n
  Print #n, s
  Close #n
  oDoc.close(True)
  StarDesktop.terminate()
End Sub
"""


@pytest.mark.libreoffice
def test_libreoffice_sees_the_frozen_panes(template_path, soffice_macro, tmp_path):
    out = tmp_path / "panes.txt"
    soffice_macro(FROZEN_PANES_MACRO, "FrozenPanes", template_path.as_uri(), str(out))
    panes = [line.split() for line in out.read_text().splitlines() if line.strip()]
    # sheet index, frozen?, frozen columns, frozen rows -- in the order of README 台账结构
    assert panes[:6] == [
        ["0", "True", "2", "1"],  # 督办事项: header row + 编号, 事项类别
        ["1", "True", "0", "1"],
        ["2", "True", "0", "1"],
        ["3", "True", "0", "1"],
        ["4", "True", "1", "1"],  # 参数设置: header row + 参数
        ["5", "True", "0", "1"],
    ]
