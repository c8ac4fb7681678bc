"""Issue 14: the shapes office workbooks take, refreshed on 2026-10-20 and checked by hand.

Shapes: two yearly sheets; three per-category sheets in different layouts (one a quarterly
target layout) beside a hidden sheet and a phone list; a printed ledger with an item over
three unit rows, a repeated header, blank rows, 合计, 注 and a signature line (these three
workbooks saved once by LibreOffice); and a ledger without 编号 sorted between two refreshes.

Working days (2026, docs/rules.md §2.2): 中秋 09-25 and 国庆 10-01…10-07 are off, Sunday
09-20 and Saturday 10-10 are worked. After 09-30 up to 10-20: 10; after 10-20 up to 10-31:
8, up to 11-30: 29, up to 12-31: 52 (see test_office_ledgers.py for the counts).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from conftest import SOFFICE
from fixtures_office import (
    GENERATED,
    Package,
    block,
    category_sheets,
    changes_outside,
    printed_sheet,
    row_values,
    rows_by_header,
    save_with_libreoffice,
    sheet_rows,
    unnumbered_sheet,
    write_workbook,
    yearly_sheets,
)

from automation import history_states
from automation.cli import cli
from automation.evaluate import evaluate_readonly
from automation.letters.issue import LetterRequest
from automation.mail.messages import KIND_UNIT, build_messages
from automation.refresh import RefreshReport, refresh

TODAY = date(2026, 10, 20)
NOW = datetime(2026, 10, 20, 8, 30)
STAMP = "2026-10-20 08:30"
WIDE = {"COLUMNS": "400"}
COMPUTED = (
    "预警", "认定时限", "计算状态", "剩余工作日", "逾期工作日", "下次反馈日", "序时进度",
    "进度偏差", "督办等级", "已催办次数",
)  # fmt: skip
WRITTEN = (*COMPUTED, "更新时间", "档案")


def D(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def cells(light=None, deadline=None, status=None, left=None, late=None, next_on=None,
          expected=None, deviation=None, level=None, reminders=0) -> tuple:  # fmt: skip
    """One row's computed cells in COMPUTED order (blank = None)."""
    return (light, deadline, status, left, late, next_on, expected, deviation, level, reminders)


BLANK = cells()
EMPTY = (None,) * 12  # a row that is not an item: 编号 and every computed cell left alone

SHAPES = {
    "yearly": yearly_sheets,
    "categories": category_sheets,
    "printed": lambda: [printed_sheet()],
}


@dataclass
class Refreshed:
    before: Path
    after: Path
    report: RefreshReport


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """The three workbooks written by xlsxwriter, then opened and saved once by LibreOffice."""
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("shapes")
    sources = [write_workbook(folder / f"{name}.xlsx", build()) for name, build in SHAPES.items()]
    return dict(zip(SHAPES, save_with_libreoffice(sources, folder / "saved", SOFFICE), strict=True))


@pytest.fixture(scope="module")
def refreshed(saved, tmp_path_factory) -> dict[str, Refreshed]:
    out = {}
    for name, path in saved.items():
        work = tmp_path_factory.mktemp(name) / "台账.xlsx"
        shutil.copy(path, work)
        out[name] = Refreshed(path, work, refresh(work, today=TODAY, now=NOW, progress=False))
    return out


def computed(path: Path, sheet: str, key: str = "序号") -> dict[object, tuple]:
    """Return key (a column's value, or the sheet row) -> (编号, computed cells, 更新时间)."""
    out = {}
    for row, v in rows_by_header(path, sheet, 2).items():
        k = row if key == "row" else v.get(key)
        if k is not None:
            out[k] = (v.get("编号"), *(v.get(h) for h in COMPUTED), v.get("更新时间"))
    return out


def assert_rows(path: Path, sheet: str, expected: dict, key: str = "序号") -> None:
    found = computed(path, sheet, key)
    for k, (item_id, want) in expected.items():
        assert found[k] == (item_id, *want, STAMP), (sheet, k)


def check(path: Path, *options: str):
    return CliRunner().invoke(
        cli, ["check", str(path), "--today", TODAY.isoformat(), *options], env=WIDE
    )


def written_columns(path: Path, sheet: str) -> set[int]:
    """Return the columns a refresh writes in a ledger sheet: computed ones and an added 编号."""
    return {i + 1 for i, h in enumerate(row_values(path, sheet, 2)) if h in (*WRITTEN, "编号")}


# --- two yearly sheets --------------------------------------------------------------------

EXPECTED_2025 = {
    # 年底前: no 交办日期 needed, 交办日期 2025-03-10 gives 2025 → 2025-12-31; done on 12-20.
    1: ("DB-2025-001", cells("蓝", D(12, 31, 2025), "已办结")),
    # 10月底前 with no 交办日期: the year is the sheet's, 2025 → 2025-10-31; but 延期至
    # 2026-11-30 is the 认定时限: 29 working days left. Numbered for its sheet's year.
    2: ("DB-2025-002", cells("绿", D(11, 30), "正常推进", 29)),
    # 2025年12月 → 2025-12-31, still 推进中: 逾期 every working day of 2026 up to 10-20:
    # Jan 21, Feb 16, Mar 22, Apr 21, May 19, Jun 21, Jul 23, Aug 21, Sep 22, Oct 10 = 196.
    3: ("DB-2025-003", cells("红", D(12, 31, 2025), "逾期", 0, 196, level="红牌")),
    # 11月中旬 (交办 2025-02-10) → 2025-11-20, done 2025-11-25: 逾期办结, late by 11-21,
    # 11-24, 11-25 = 3 working days.
    4: ("DB-2025-004", cells("蓝", D(11, 20, 2025), "逾期办结", late=3)),
}
EXPECTED_2026 = {
    # 9月底前: 逾期 10 → 限期整改; past the deadline 序时进度 100.
    1: ("DB-2026-001", cells("红", D(9, 30), "逾期", 0, 10, expected=100, level="限期整改")),
    # 12月底前, 交办 09-01: total after 09-01 up to 12-31 = 21 + 18 + 21 + 23 = 83, up to today
    # 21 + 10 = 31; 31/83 = 37.3 → 37.
    2: ("DB-2026-002", cells("绿", D(12, 31), "正常推进", 52, expected=37)),
    # Blank 编号: the next 2026 number after DB-2026-004 (the formula's value) → DB-2026-005.
    # 11月30日前, 交办 10-12: total 10-13…16, 19…23, 26…30 (14) + 21 = 35, up to today 6;
    # 6/35 = 17.1 → 17.
    3: ("DB-2026-005", cells("绿", D(11, 30), "正常推进", 29, expected=17)),
    # 编号 is a formula whose value is DB-2026-004 (kept as a formula); 汛前 is no date: a
    # problem, blank.
    4: ("DB-2026-004", BLANK),
}


@pytest.mark.libreoffice
def test_every_yearly_sheet_is_read_and_computed(refreshed):
    r = refreshed["yearly"]
    assert_rows(r.after, "2025年督办事项", EXPECTED_2025)
    assert_rows(r.after, "2026年督办事项", EXPECTED_2026)
    ws = openpyxl.load_workbook(r.after)["2026年督办事项"]
    assert ws["A6"].value == '="DB-2026-"&TEXT(B6,"000")'  # the formula is never replaced


@pytest.mark.libreoffice
def test_yearly_outputs_name_the_sheet_and_the_year(refreshed):
    after = refreshed["yearly"].after
    rows = sheet_rows(after, "统计汇总")
    sheets = block(rows, "工作表")
    # 2025: 4 items, 2 open (2, 3), 2 done (1, 4): 办结率 2/4; 按期 1 of 2 (4 was late).
    assert sheets["2025年度 · 2025年督办事项"] == [4, 2, 2, 0.5, 0.5, 1, 0, 0, 0, 1, 0, 1, 2, 0]
    # 2026: 4 open (one with an unreadable deadline: no light), none done.
    assert sheets["2026年度 · 2026年督办事项"] == [4, 4, 0, 0, None, 1, 0, 0, 0, 1, 0, 2, 0, 0]
    overdue = sheet_rows(after, "逾期清单")
    assert overdue[0][-1] == "工作表"
    assert overdue[1:] == [
        ["DB-2025-003", "建设城北污水处理厂", "县住建局", None, D(12, 31, 2025), 196, "红牌", 0,
         "李明", "0370-6001001", None, "2025年督办事项"],
        ["DB-2026-001", "推进城区道路提升改造", "县住建局", None, D(9, 30), 10, "限期整改", 0,
         "李明", "0370-6001001", None, "2026年督办事项"],
    ]  # fmt: skip


@pytest.mark.libreoffice
def test_yearly_check_lists_the_sheets_read_and_not_read(saved):
    result = check(saved["yearly"])
    lines = result.output.splitlines()
    for line in (
        "工作表“2025年督办事项”（2025年）：表头在第 2 行，读取 4 个事项",
        "  列的理解：C列“牵头单位”→责任单位",
        "  未使用的列（原样保留）：I列“督查科室”",
        "  按文字认定的办结时限 4 个，如 E3“年底前”认定为 2025-12-31，E4“10月底前”认定为 "
        "2025-10-31（见“认定时限”列）",
        "  没有“编号”列：刷新时将在 J 列添加“编号”列并为各事项编号，此后排序、插行都能跟住每个事项",
        "工作表“2026年督办事项”（2026年）：表头在第 2 行，读取 4 个事项",
        "  未使用的列（原样保留）：J列“督查科室”",
        "未作为台账读取：工作表“填表说明”（前 10 行中没有台账表头）",
    ):
        assert line in lines, (line, result.output)
    problems = json.loads(check(saved["yearly"], "--json").output)["problems"]
    assert [(p["sheet"], p["cell"], p["message"]) for p in problems] == [  # the planted ones
        ("2026年督办事项", "A5", "编号为空，已自动编号为 DB-2026-005"),
        ("2026年督办事项", "F6", "办结时限“汛前”无法识别：无法识别的时限写法"),
    ]


# --- one sheet per category -----------------------------------------------------------------

EXPECTED_CATEGORIES = {
    "领导批示": {
        # 立行立改 from 09-01 → 09-08; 逾期 26 → 红牌 (test_office_ledgers.py, 领导批示 1).
        1: ("DB-2026-001", cells("红", D(9, 8), "逾期", 0, 26, expected=100, level="红牌")),
        # 中秋前 → 09-24; 是 → 已办结.
        2: ("DB-2026-002", cells("蓝", D(9, 24), "已办结")),
    },
    "会议议定": {
        1: ("DB-2026-003", cells("绿", D(12, 31), "正常推进", 52)),
        # 2026-06 → 06-30: 逾期 23 + 21 + 22 + 10 = 76 → 红牌.
        2: ("DB-2026-004", cells("红", D(6, 30), "逾期", 0, 76, level="红牌")),
    },
    # 一季度目标 … 全年目标: each target is a stage due at its quarter's end (2026, from the
    # title); the last planned one is the deadline, the others 阶段节点. A filled 完成情况
    # reports its stage; the first passed stage left empty is the 下次反馈日 (反馈逾期).
    "政府工作报告": {
        # Q1, H1, Q3 reported, 全年 not due yet: nothing pending → 正常推进, 52 left.
        1: ("DB-2026-005", cells("绿", D(12, 31), "正常推进", 52)),
        # 三季度完成情况 empty and 09-30 passed → 下次反馈日 09-30, 反馈逾期.
        2: ("DB-2026-006", cells("黄", D(12, 31), "反馈逾期", 52, next_on=D(9, 30))),
        # Nothing reported (and no 交办日期): the first stage, 03-31, is pending → 反馈逾期.
        3: ("DB-2026-007", cells("黄", D(12, 31), "反馈逾期", 52, next_on=D(3, 31))),
        # Only 半年目标 planned: it is the deadline (06-30), its 完成情况 已完成 → 已办结.
        4: ("DB-2026-008", cells("蓝", D(6, 30), "已办结")),
        # Every stage reported, 全年完成情况 已完成 → 已办结.
        5: ("DB-2026-009", cells("蓝", D(12, 31), "已办结")),
        # 全年完成情况 "未完成" (written early): still 办理中; 半年, 三季度 reported and the
        # early year-end report dated today covers the rest → 正常推进.
        6: ("DB-2026-010", cells("绿", D(12, 31), "正常推进", 52)),
        # Q1 reported, 半年 left empty, Q3 filled: 06-30 is still unreported → 反馈逾期 with
        # 下次反馈日 06-30 (a later report does not make up for a missed stage).
        7: ("DB-2026-011", cells("黄", D(12, 31), "反馈逾期", 52, next_on=D(6, 30))),
    },
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("sheet", EXPECTED_CATEGORIES)
def test_every_category_sheet_in_its_own_layout(refreshed, sheet):
    assert_rows(refreshed["categories"].after, sheet, EXPECTED_CATEGORIES[sheet])


@pytest.mark.libreoffice
def test_categories_come_from_the_sheet_names_and_the_sources(refreshed):
    rows = sheet_rows(refreshed["categories"].after, "统计汇总")
    assert {k: v[0] for k, v in block(rows, "事项类别").items()} == {
        "政府工作报告": 7, "会议议定": 2, "领导批示": 2,
    }  # fmt: skip
    # 政府工作报告: 5 open (1, 2, 3, 6, 7), 2 done; 反馈逾期 3 (2, 3, 7): 黄 3, 绿 2, 蓝 2.
    assert block(rows, "工作表")["2026年度 · 政府工作报告"] == [
        7, 5, 2, pytest.approx(2 / 7, abs=1e-4), None, 0, 0, 3, 0, 0, 3, 2, 2, 0,
    ]  # fmt: skip


@pytest.mark.libreoffice
def test_category_check_lists_the_sheets_not_read_and_finds_nothing_else(saved):
    result = check(saved["categories"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in (
        "工作表“领导批示”（2026年）：表头在第 2 行，读取 2 个事项",
        "工作表“会议议定”（2026年）：表头在第 2 行，读取 2 个事项",
        "工作表“政府工作报告”（2026年）：表头在第 2 行，读取 7 个事项",
        "  列的理解：B列“重点任务”→事项内容；D列“一季度目标”→阶段目标（3月底）；"
        "E列“一季度完成情况”→阶段完成情况（3月底）；F列“半年目标”→阶段目标（6月底）；"
        "G列“半年完成情况”→阶段完成情况（6月底）；H列“三季度目标”→阶段目标（9月底）；"
        "I列“三季度完成情况”→阶段完成情况（9月底）；J列“全年目标”→阶段目标（12月底）；"
        "K列“全年完成情况”→阶段完成情况（12月底）",
        "未作为台账读取：工作表“2024年台账（旧）”（工作表已隐藏）",
        "未作为台账读取：工作表“通讯录”（前 10 行中没有台账表头）",
    ):
        assert line in lines, (line, result.output)
    assert lines[-1] == "共 11 个事项：已办结 3，逾期 2，反馈逾期 3，正常推进 3；未发现问题。"


# --- a printed ledger: items over several unit rows, 合计, 注, 落款, repeated header ----------

EXPECTED_PRINTED = {
    # One item over rows 3–5 (序号, 工作任务 and 完成时限 merged): one part per unit, each
    # with its own cells. 9月底前 → 09-30. 城关镇 已完成, 东湖街道 √: 已办结; 河口镇 推进中:
    # 逾期 10 → 限期整改. All three parts carry the item's one 编号.
    3: ("DB-2026-001", cells("蓝", D(9, 30), "已办结")),
    4: ("DB-2026-001", cells("红", D(9, 30), "逾期", 0, 10, level="限期整改")),
    5: ("DB-2026-001", cells("蓝", D(9, 30), "已办结")),
    # 12月底前, 52 left.
    6: ("DB-2026-002", cells("绿", D(12, 31), "正常推进", 52)),
    # Rows 8–9 repeat 序号 3 and the same 工作任务 for two units: one item, two parts.
    # 10月底前 → 10-31; 城关镇 done, 河口镇 8 left → 正常推进.
    8: ("DB-2026-003", cells("蓝", D(10, 31), "已办结")),
    9: ("DB-2026-003", cells("绿", D(10, 31), "正常推进", 8)),
    # Row 10 repeats the header (a printed page); 11: 11月底前, 29 left.
    11: ("DB-2026-004", cells("绿", D(11, 30), "正常推进", 29)),
    # 10月10日前, 已完成.
    12: ("DB-2026-005", cells("蓝", D(10, 10), "已办结")),
}
NOT_ITEMS = (7, 10, 13, 14, 15, 16)  # blank, header, blank, 合计, 注, 落款


@pytest.mark.libreoffice
def test_printed_ledger_parts_and_rows_that_are_not_items(refreshed):
    after = refreshed["printed"].after
    assert_rows(after, "督查台账", EXPECTED_PRINTED, key="row")
    found = computed(after, "督查台账", key="row")
    for row in NOT_ITEMS:  # never computed, never written into
        assert found.get(row, EMPTY) == EMPTY, row
    ws = openpyxl.load_workbook(after)["督查台账"]
    assert [ws[f"A{r}"].value for r in (14, 15, 16)] == [
        "合计", "注：本表由县政府督查室每月10日前汇总，请各单位如实填报。", "填报人：张三",
    ]  # fmt: skip
    assert {str(m) for m in ws.merged_cells.ranges} >= {"A3:A5", "B3:B5", "D3:D5"}


@pytest.mark.libreoffice
def test_each_part_counts_for_its_own_unit(refreshed):
    after = refreshed["printed"].after
    # Only 河口镇's part is overdue: it alone is listed, under its own unit and contact.
    assert sheet_rows(after, "逾期清单")[1:] == [
        ["DB-2026-001", "开展农村人居环境整治", "河口镇", None, D(9, 30), 10, "限期整改", 0,
         "冯军", "0370-6001009", None],
    ]  # fmt: skip
    # Scores (§9.2): 河口镇 loses 2 for its overdue part; the units of the done parts do not.
    ranking = {r[1]: r[2] for r in sheet_rows(after, "考评排名")[1:]}
    assert ranking["河口镇"] == 98 and ranking["城关镇"] == ranking["东湖街道"] == 100
    # 统计汇总: per unit, each part is its unit's; 合计 counts each item once, open while a
    # part is: 5 items, 4 open (1 through 河口镇's part, 2, 3 through 河口镇's part, 4), 1 done.
    rows = sheet_rows(after, "统计汇总")
    units = block(rows, "责任单位")
    assert units.pop("合计") == [5, 4, 1, 0.2, None, 1, 0, 0, 0, 1, 0, 3, 1, 0]
    assert units == {
        "城关镇": [2, 0, 2, 1, None, 0, 0, 0, 0, 0, 0, 0, 2, 0],
        "河口镇": [2, 2, 0, 0, None, 1, 0, 0, 0, 1, 0, 1, 0, 0],
        "县住建局": [2, 1, 1, 0.5, None, 0, 0, 0, 0, 0, 0, 1, 1, 0],
        "东湖街道": [1, 0, 1, 1, None, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        "县农业农村局": [1, 1, 0, 0, None, 0, 0, 0, 0, 0, 0, 1, 0, 0],
    }
    assert "注：1 个已办结事项没有办结日期（台账无“办结日期”列），未计入按期办结率" in [
        r[0] for r in rows
    ]


@pytest.mark.libreoffice
def test_each_part_is_mailed_to_its_own_unit(refreshed):
    evaluation = evaluate_readonly(refreshed["printed"].after, TODAY)
    messages, _ = build_messages(
        evaluation.ledger, evaluation.outcome, sender="dcs@example.cn", now=NOW
    )
    units = {m.unit: m for m in messages if m.kind == KIND_UNIT}
    assert list(units) == ["河口镇"]
    assert units["河口镇"].to == ("hkz@example.cn",)
    assert "开展农村人居环境整治" in units["河口镇"].message.get_body(("plain",)).get_content()


@pytest.mark.libreoffice
def test_printed_check_reports_each_kind_of_row_once(saved):
    result = check(saved["printed"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    for line in (
        "工作表“督查台账”（2026年）：表头在第 2 行，读取 8 个事项",
        "  跳过的重复的表头行 1 行（第 10 行），不计为事项",
        "  跳过的合计/小计行 1 行（第 14 行），不计为事项",
        "  跳过的注释行 1 行（第 15 行），不计为事项",
        "  跳过的落款行 1 行（第 16 行），不计为事项",
        "  跳过的空行 2 行（第 7、13 行），不计为事项",
        "  一个事项分多行、每行一个责任单位：第 3—5 行、第 8—9 行（共 2 个事项）；"
        "每行分别计算、计入各自的单位，各行都办结后该事项才算办结",
        # the merged 完成时限 is one cell typed once; the examples differ
        "  按文字认定的办结时限 5 个，如 D3“9月底前”认定为 2026-09-30，D6“12月底前”认定为 "
        "2026-12-31（见“认定时限”列）",
    ):
        assert line in lines, (line, result.output)


# --- preservation on every shape ------------------------------------------------------------

LEDGER_SHEETS = {
    "yearly": ("2025年督办事项", "2026年督办事项"),
    "categories": ("领导批示", "会议议定", "政府工作报告"),
    "printed": ("督查台账",),
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("shape", LEDGER_SHEETS)
def test_only_computed_cells_and_added_ids_change(refreshed, shape):
    r = refreshed[shape]
    allowed = {s: written_columns(r.after, s) for s in LEDGER_SHEETS[shape]}
    assert changes_outside(r.before, r.after, allowed) == []
    # The sheets not read (a readme, a hidden sheet, a phone list) are untouched, part for part.
    old, new = Package.read(r.before), Package.read(r.after)
    for name in set(old.sheets) - set(LEDGER_SHEETS[shape]):
        assert new.parts[new.sheets[name]] == old.parts[old.sheets[name]], name


# --- a ledger without 编号, sorted between two refreshes ------------------------------------

# 序号 | 工作任务 | 牵头单位 | 交办时间 | 完成时限 | 进展情况 | 完成情况. The first refresh adds 编号
# (H) and issues 催办函; staff then sort the rows (openpyxl) and raise the 黄牌/红牌 thresholds.
# History must follow each 编号, not each row: the level never goes down while overdue (§8.4).
FIRST, SECOND = date(2026, 10, 21), date(2026, 10, 22)
DIRECT = (("文书须审定", "否"),)  # 催办函 issued at once, not drafted for 审定 (docs/letters.md)


@pytest.fixture(scope="module")
def sorted_ledger(tmp_path_factory):
    path = write_workbook(
        tmp_path_factory.mktemp("unnumbered") / "台账.xlsx", [unnumbered_sheet()], settings=DIRECT
    )
    before = shutil.copy(path, path.with_name("刷新前.xlsx"))
    first = refresh(
        path,
        today=FIRST,
        now=datetime(2026, 10, 21, 8, 30),
        progress=False,
        letters=LetterRequest(types=("催办函",)),
    )
    after_first = computed(path, "督办事项")
    unchanged = changes_outside(
        before, path, {"督办事项": written_columns(path, "督办事项")}, (*GENERATED, "发文登记")
    )
    assert unchanged == []  # the first refresh: 编号, computed cells, generated sheets, 发文登记
    wb = openpyxl.load_workbook(path)
    ws = wb["督办事项"]
    rows = [[c.value for c in ws[r]] for r in range(3, 8)]
    by_seq = {row[0]: row for row in rows}
    for r, seq in enumerate((3, 4, 1, 2, 5), start=3):  # C, D, A, B, E
        for c, value in enumerate(by_seq[seq], start=1):
            ws.cell(r, c, value)
    wb["参数设置"].append(["黄牌逾期工作日", 30])
    wb["参数设置"].append(["红牌逾期工作日", 40])
    wb.save(path)
    second = refresh(path, today=SECOND, now=datetime(2026, 10, 22, 8, 30), progress=False)
    return path, first, after_first, second


def test_the_first_refresh_numbers_every_item_and_sends_reminders(sorted_ledger):
    path, first, after_first, _ = sorted_ledger
    # On 10-21: A (9月底前) is 11 working days late → 黄牌; C (10月15日前, Thu) 10-16, 19,
    # 20, 21 = 4 → 催办; D (10月23日前) has 10-22, 10-23 = 2 left → 临期, 提醒. Each overdue
    # unit got one 催办函, counted at once in 已催办次数.
    levels = {seq: (v[0], v[3], v[9], v[10]) for seq, v in after_first.items()}
    assert levels == {
        1: ("DB-2026-001", "逾期", "黄牌", 1),
        2: ("DB-2026-002", "正常推进", None, 0),
        3: ("DB-2026-003", "逾期", "催办", 1),
        4: ("DB-2026-004", "临期", "提醒", 0),
        5: ("DB-2026-005", "已办结", None, 0),
    }
    assert sorted((x.type, x.unit) for x in first.letters) == [
        ("催办函", "县交通运输局"), ("催办函", "县住建局"),
    ]  # fmt: skip
    assert row_values(path, "督办事项", 2)[7] == "编号"  # H: the first free column


def test_after_sorting_each_item_keeps_its_own_history(sorted_ledger):
    path, _, _, second = sorted_ledger
    found = computed(path, "督办事项", key="row")
    content = {row: v["工作任务"] for row, v in rows_by_header(path, "督办事项", 2).items()}
    # Row 3 now holds C and row 5 holds A: had history followed rows, A would drop to
    # 限期整改 (12 days < the raised 30) and C would take A's 黄牌.
    assert {row: (content[row], v[0], v[3], v[5], v[9], v[10]) for row, v in found.items()} == {
        # C: 10-16, 19…22 = 5 → 催办; its 催办函 follows it.
        3: ("整治农贸市场周边环境", "DB-2026-003", "逾期", 5, "催办", 1),
        # D: 10-23 is 1 working day away → 临期, 提醒.
        4: ("完成防汛物资储备", "DB-2026-004", "临期", None, "提醒", 0),
        # A: 12 days is only 限期整改 under the raised thresholds, but it was 黄牌 and is
        # still overdue: 黄牌 (§8.4).
        5: ("推进城区道路提升改造", "DB-2026-001", "逾期", 12, "黄牌", 1),
        6: ("建设智慧停车系统", "DB-2026-002", "正常推进", None, None, 0),
        7: ("落实惠企政策", "DB-2026-005", "已办结", None, None, 0),
    }
    # 序时进度 follows too: B, 交办 09-01, deadline 12-31: 83 working days, 33 by 10-22 →
    # 39.8 → 40; D, deadline 10-23: 21 + 13 = 34, 33 by 10-22 → 97.
    assert (found[6][7], found[4][7]) == (40, 97)
    assert second.ledger.sheets[0].columns["id"] == 8  # the 编号 column is read as such now
    with sqlite3.connect(path.parent / ".duban" / "history.sqlite") as db:
        logged = db.execute(
            "SELECT refresh_id, item_id, row, level FROM item_state ORDER BY refresh_id, item_id"
        ).fetchall()
        kept = [
            history_states.unpack(blob)
            for (blob,) in db.execute("SELECT states FROM refresh ORDER BY id")
        ]
    states = [
        (n, item_id, row, level)
        for n, columns in enumerate(kept, start=1)
        for item_id, row, level in sorted(
            zip(columns["item_id"], columns["row"], columns["level"], strict=True)
        )
    ]
    assert states == [
        (1, "DB-2026-001", 3, "黄牌"), (1, "DB-2026-002", 4, ""), (1, "DB-2026-003", 5, "催办"),
        (1, "DB-2026-004", 6, "提醒"), (1, "DB-2026-005", 7, ""),
        (2, "DB-2026-001", 5, "黄牌"), (2, "DB-2026-002", 6, ""), (2, "DB-2026-003", 3, "催办"),
        (2, "DB-2026-004", 4, "提醒"), (2, "DB-2026-005", 7, ""),
    ]  # fmt: skip
    # item_state logs the first refresh whole, then only the items whose row held another item
    # before (E stayed on row 7 with the same standing).
    assert logged == states[:-1]


# --- the parts of one item across refreshes: letters, levels and scores per unit -------------


def two_part_ledger(folder: Path, deadline: str, statuses: tuple[str, str]) -> Path:
    """One item over two unit rows (序号, 工作任务 and 完成时限 merged), as typed by staff."""
    spec = printed_sheet()
    spec.rows = [
        [1, "开展农村人居环境整治", "城关镇", deadline, "", statuses[0]],
        [None, None, "河口镇", None, "", statuses[1]],
    ]
    spec.merges = [(0, 1, "序号"), (0, 1, "工作任务"), (0, 1, "完成时限")]
    return write_workbook(folder / "台账.xlsx", [spec], settings=DIRECT)


def test_each_part_counts_its_own_reminders_and_scores(tmp_path):
    # 10月15日前 → 10-15 (Thu); on 10-21 both parts are 4 working days late (10-16, 19, 20,
    # 21) → 催办, and each unit gets its own 催办函 naming the item's one 编号.
    path = two_part_ledger(tmp_path, "10月15日前", ("推进中", "推进中"))
    report = refresh(
        path, today=FIRST, now=NOW, progress=False, letters=LetterRequest(types=("催办函",))
    )
    assert sorted((x.unit, x.item_ids) for x in report.letters) == [
        ("城关镇", ("DB-2026-001",)), ("河口镇", ("DB-2026-001",)),
    ]  # fmt: skip
    found = computed(path, "督查台账", key="row")
    # Each part counts the one letter sent to its unit: 已催办次数 1, not 2 — and so is not
    # taken to 黄牌 by "two 催办函 without feedback" (§8.2), which only its unit's letters make.
    assert [(found[r][3], found[r][5], found[r][9], found[r][10]) for r in (3, 4)] == [
        ("逾期", 4, "催办", 1), ("逾期", 4, "催办", 1),
    ]  # fmt: skip
    # Each unit: −2 for its overdue part, −1 for its own 催办函 (§9.2) → 97.
    ranking = {r[1]: r[2] for r in sheet_rows(path, "考评排名")[1:]}
    assert ranking["城关镇"] == ranking["河口镇"] == 97


def test_a_part_keeps_its_level_while_it_stays_overdue(tmp_path):
    # 9月底前: on 10-21 城关镇's part is 11 working days late → 黄牌; 河口镇's part is done.
    path = two_part_ledger(tmp_path, "9月底前", ("推进中", "已完成"))
    refresh(path, today=FIRST, now=NOW, progress=False)
    first = computed(path, "督查台账", key="row")
    assert (first[3][9], first[4][9]) == ("黄牌", None)
    wb = openpyxl.load_workbook(path)
    wb["参数设置"].append(["黄牌逾期工作日", 30])
    wb["参数设置"].append(["红牌逾期工作日", 40])
    wb.save(path)
    second_report = refresh(path, today=SECOND, now=NOW, progress=False)
    assert not second_report.problems  # the raised thresholds are valid settings
    second = computed(path, "督查台账", key="row")
    # 12 days is 限期整改 under the raised threshold, but the part was 黄牌 and is still
    # overdue: it stays 黄牌 (§8.4) — its own level, not the done part's blank one.
    assert (second[3][5], second[3][9]) == (12, "黄牌")
