"""`duban report`: the 落实情况汇总报告 upward, quoting the units' progress exactly as typed.

The fixture ledger is written by xlsxwriter: 《政府工作报告》 tasks with the seed-004 reporting
nodes, progress kept both in the ledger and in 进展记录 (full-width figures and punctuation
typed on purpose). 2026-07-08 is a Wednesday, two days before the 7月10日 node.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from fixtures_xlsx import HEADERS, row, write_ledger

from automation.cli import cli
from automation.evaluate import evaluate
from automation.letters.docx_render import to_pdf
from automation.letters.report import ReportRequest, cn_number, next_node, report_draft

TODAY = date(2026, 7, 8)
COLUMNS = (*HEADERS, "来源依据", "最新进展")
REPORT_SOURCE = "2026年县政府工作报告"
ROAD = "路基工程已完成３．２公里，桥梁桩基施工中；下一步，加快征迁扫尾。"
ASSETS = "已梳理闲置资产12处（其中房产７处），拟于三季度公开处置。"
SCHOOL = "主体竣工验收完毕，秋季开学投入使用。"


def item(n: int, **fields) -> list[object]:
    values = {
        "编号": f"DB-2026-{n:03d}",
        "事项类别": "政府工作报告",
        "来源依据": REPORT_SOURCE,
        "交办日期": date(2026, 3, 2),
        "办结时限": date(2026, 12, 31),
        "反馈周期": "4月10日、7月10日、10月10日、12月10日",
        "办理状态": "办理中",
        **fields,
    }
    return row(COLUMNS, **values)


ROWS = [
    item(
        1,
        事项内容="实施国道改线工程",
        责任单位="县交通运输局",
        完成进度=0.4,
        最近反馈日期=date(2026, 4, 8),
        最新进展="4月8日：完成初步设计，正在开展环评。",
    ),
    # deadline passed: 逾期 -> 滞后
    item(2, 事项内容="盘活存量资产", 责任单位="县财政局", 办结时限=date(2026, 6, 30)),
    item(
        3,
        事项内容="新建城东小学",
        责任单位="县教育局",
        办理状态="已办结",
        办结日期=date(2026, 6, 20),
        完成进度=1,
    ),
    # nothing reported since the 4月10日 node
    item(4, 事项内容="改造老旧小区", 责任单位="县住房和城乡建设局", 完成进度="35%"),
    item(
        5,
        事项内容="建设口袋公园",
        事项类别="民生实事",
        来源依据="2026年县十件民生实事",
        责任单位="县住房和城乡建设局",
    ),
    item(6, 事项内容="新建物流园", 责任单位="县财政局", 办理状态="已取消"),
]
PROGRESS = [
    # 交通局 is an alias of 县交通运输局; the percentage is typed as full-width text
    (date(2026, 7, 6), "DB-2026-001", "交通局", ROAD, "６０％"),
    (date(2026, 5, 10), "DB-2026-002", "县财政局", ASSETS, 0.5),
    (date(2026, 6, 21), "DB-2026-003", "", SCHOOL, 1),
    (date(2026, 3, 30), "DB-2026-004", "县住建局", "完成摸底调查。", "10%"),
]
SETTINGS = [("联系人", "周敏"), ("联系电话", "0370-5551234")]


@pytest.fixture
def ledger(tmp_path) -> Path:
    return write_ledger(
        tmp_path / "台账.xlsx", ROWS, headers=COLUMNS, progress=PROGRESS, settings=SETTINGS
    )


def draft_for(ledger: Path, **request) -> dict:
    evaluation = evaluate(ledger, TODAY, None)
    return report_draft(evaluation, ReportRequest(**request)).context


def test_the_next_node_is_the_next_of_seed_004s_four_dates():
    assert next_node(date(2026, 7, 8)) == date(2026, 7, 10)
    assert next_node(date(2026, 7, 10)) == date(2026, 7, 10)
    assert next_node(date(2026, 7, 11)) == date(2026, 10, 10)
    assert next_node(date(2026, 12, 11)) == date(2027, 4, 10)
    assert [cn_number(n) for n in (1, 9, 10, 12, 20, 35)] == [
        "一", "九", "十", "十二", "二十", "三十五",
    ]  # fmt: skip


def test_progress_is_quoted_exactly_as_typed_and_counted(ledger):
    context = draft_for(ledger, source="政府工作报告")
    assert context["subject"] == "2026年《政府工作报告》重点工作"
    assert context["node"] == "2026年7月10日" and not context["node_passed"]
    by_id = {it["id"]: it for it in context["items"]}
    assert list(by_id) == [
        "DB-2026-001",
        "DB-2026-002",
        "DB-2026-003",
        "DB-2026-004",
        "DB-2026-006",
    ]
    assert by_id["DB-2026-001"]["reports"] == [
        {"unit": "县交通运输局", "date": "2026年7月6日", "progress": "６０％", "text": ROAD}
    ]
    assert by_id["DB-2026-002"]["reports"] == [
        {"unit": "县财政局", "date": "2026年5月10日", "progress": "50%", "text": ASSETS}
    ]
    assert by_id["DB-2026-003"]["reports"][0]["text"] == SCHOOL
    assert by_id["DB-2026-004"]["reports"] == [
        {"unit": "县住房和城乡建设局", "date": "2026年3月30日", "progress": "10%",
         "text": "完成摸底调查。"}
    ]  # fmt: skip
    assert by_id["DB-2026-002"]["state"] == "滞后（逾期6个工作日）"
    assert by_id["DB-2026-003"]["state"] == "已完成"
    assert by_id["DB-2026-006"]["state"] == "已取消"
    assert context["totals"] == {"total": 4, "done": 1, "active": 2, "lagging": 1, "set_aside": 1}
    assert context["table"] == [
        {"unit": "县交通运输局", "total": 1, "done": 0, "active": 1, "lagging": 0},
        {"unit": "县财政局", "total": 1, "done": 0, "active": 0, "lagging": 1},
        {"unit": "县教育局", "total": 1, "done": 1, "active": 0, "lagging": 0},
        {"unit": "县住房和城乡建设局", "total": 1, "done": 0, "active": 1, "lagging": 0},
    ]
    # reported after 4月10日? 交通局 7-06, 财政局 5-10, 教育局 6-21 yes; 住建局 only 3-30
    assert context["missing"] == [{"unit": "县住房和城乡建设局", "ids": "DB-2026-004"}]


def test_a_source_text_or_item_numbers_choose_the_items(ledger):
    by_source = draft_for(ledger, source="县政府工作报告")
    assert by_source["subject"] == "县政府工作报告"
    assert len(by_source["items"]) == 5
    by_ids = draft_for(ledger, ids=("DB-2026-005", "DB-2026-001"))
    assert [it["id"] for it in by_ids["items"]] == ["DB-2026-001", "DB-2026-005"]
    assert by_ids["subject"] == "有关督查事项"
    # 口袋公园 has no progress at all
    assert by_ids["items"][1]["reports"][0]["text"] == "未报送进展情况"


def test_cli_writes_the_draft_registers_it_and_the_approval_issues_it(ledger, tmp_path):
    runner = CliRunner()
    args = ["report", str(ledger), "--source", "政府工作报告", "--today", TODAY.isoformat()]
    result = runner.invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    [draft] = out["drafts"]
    assert draft["type"] == "落实情况报告" and draft["state"] == "待审定"
    assert draft["file"] == "输出/2026-07-08/送审稿/市人民政府办公室-落实情况报告-送审稿.docx"
    assert out["letters"] == []
    document = docx.Document(ledger.parent / draft["file"])
    paragraphs = [p.text for p in document.paragraphs]
    assert "关于2026年《政府工作报告》重点工作落实情况的报告" in paragraphs
    assert f"县交通运输局（2026年7月6日报送，完成进度６０％）：{ROAD}" in paragraphs
    assert f"县财政局（2026年5月10日报送，完成进度50%）：{ASSETS}" in paragraphs
    assert "县住房和城乡建设局（DB-2026-004）。" in paragraphs
    assert "督查报告〔2026〕 号\t签发人：" in paragraphs
    [table] = document.tables[:1]
    cells = [[c.text for c in r.cells] for r in table.rows]
    assert cells[0] == ["责任单位", "事项数", "完成", "推进中", "滞后"]
    assert cells[-1] == ["合计", "4", "1", "2", "1"]
    # 审定 by the 县政府 leader, then numbered by the next refresh, 签发人 named
    wb = openpyxl.load_workbook(ledger)
    ws = wb["发文登记"]
    header = [c.value for c in ws[1]]
    ws.cell(2, header.index("状态") + 1, "已审定")
    ws.cell(2, header.index("审定人") + 1, "李明")
    ws.cell(2, header.index("审定日期") + 1, datetime(2026, 7, 9))
    wb.save(ledger)
    issued = runner.invoke(cli, ["refresh", str(ledger), "--today", "2026-07-09", "--json"])
    assert issued.exit_code == 0, issued.output
    [letter] = json.loads(issued.output)["letters"]
    assert letter["doc_no"] == "督查报告〔2026〕1号"
    final = [p.text for p in docx.Document(ledger.parent / letter["file"]).paragraphs]
    assert "督查报告〔2026〕1号\t签发人：李明" in final
    assert f"县交通运输局（2026年7月6日报送，完成进度６０％）：{ROAD}" in final


def test_asking_for_nothing_or_for_unknown_items_is_refused_in_chinese(ledger):
    runner = CliRunner()
    nothing = runner.invoke(cli, ["report", str(ledger), "--json"])
    assert nothing.exit_code == 64
    assert "请指定报告哪些事项" in json.loads(nothing.output)["error"]
    unknown = runner.invoke(cli, ["report", str(ledger), "--item", "DB-2026-099"])
    assert unknown.exit_code == 8 and "DB-2026-099" in unknown.output
    bad_node = runner.invoke(
        cli, ["report", str(ledger), "--source", "政府工作报告", "--node", "7月"]
    )
    assert bad_node.exit_code == 64 and "--node" in bad_node.output


def test_the_report_renders_through_libreoffice(ledger, tmp_path):
    pdfplumber = pytest.importorskip("pdfplumber")
    runner = CliRunner()
    args = ["report", str(ledger), "--source", "政府工作报告", "--today", TODAY.isoformat()]
    assert runner.invoke(cli, args).exit_code == 0
    [path] = (ledger.parent / "输出" / "2026-07-08" / "送审稿").glob("*.docx")
    [pdf] = to_pdf([path])
    with pdfplumber.open(pdf) as document:
        pages = [page.extract_text() or "" for page in document.pages]
    text = "".join("".join(page.split()) for page in pages)
    assert pages[0].splitlines()[0].strip() == "送审稿"
    assert "关于2026年《政府工作报告》重点工作落实情况的报告" in text
    assert "".join(ROAD.split()) in text  # the full-width figures survive into the PDF
    assert "合计4121" in text
    assert "特此报告。" in text
