"""Issue 13's three real ledger layouts, saved once by LibreOffice, refreshed on 2026-10-20.

Every computed cell is checked against an answer worked out by hand from docs/rules.md and
docs/deadlines.md; each comment says how. The working days used (2026 calendar, 国办发明电
〔2025〕7号, docs/rules.md §2.2): 中秋 09-25 (Fri) to 09-27 and 国庆 10-01 to 10-07 are off;
Sunday 09-20 and Saturday 10-10 are 调休 working days; 10-08 (Thu) is a working day. So:

- after 09-30 up to today 10-20: 10-08, 10-09, 10-10, 10-12…10-16, 10-19, 10-20 = 10;
- September 2026 has 22 working days (21 weekdays without 09-25, plus Sunday 09-20);
- after today up to 10-31: 10-21, 10-22, 10-23, 10-26…10-30 = 8; November has 21 (no
  holiday), December 23 (no holiday); so up to 11-30 = 29, up to 12-31 = 52.

The ledgers have no 编号 column: the refresh adds one right of the staff's columns, numbered
DB-<year>-<n> in row order (year: 交办日期's, else the sheet's title's, docs/rules.md §11.1).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SOFFICE
from fixtures_office import (
    UNIT_HEADERS,
    block,
    changes_outside,
    row_values,
    rows_by_header,
    save_with_libreoffice,
    sheet_a,
    sheet_b,
    sheet_c,
    sheet_rows,
    write_workbook,
)

from automation.cli import cli
from automation.refresh import RefreshReport, refresh

pytestmark = pytest.mark.libreoffice

TODAY = date(2026, 10, 20)  # a Tuesday
NOW = datetime(2026, 10, 20, 8, 30)
STAMP = "2026-10-20 08:30"
WIDE = {"COLUMNS": "400"}
COMPUTED = (
    "预警", "认定时限", "计算状态", "剩余工作日", "逾期工作日", "下次反馈日", "序时进度",
    "进度偏差", "督办等级", "已催办次数",
)  # fmt: skip


def D(month: int, day: int, year: int = 2026) -> date:
    return date(year, month, day)


def cells(light=None, deadline=None, status=None, left=None, late=None, next_on=None,
          expected=None, deviation=None, level=None, reminders=0) -> tuple:  # fmt: skip
    """One row's computed cells in COMPUTED order (blank = None; 已催办次数 is always written)."""
    return (light, deadline, status, left, late, next_on, expected, deviation, level, reminders)


BLANK = cells()  # the deadline could not be read: nothing that depends on it is computed

# The three layouts: (builder, headers of 责任单位). 会议议定's 责任单位 sheet has no 类型
# column, as most existing ones do.
LAYOUTS = {
    "重点工作台账": (sheet_a, UNIT_HEADERS),
    "领导批示": (sheet_b, UNIT_HEADERS),
    "会议议定事项": (sheet_c, tuple(h for h in UNIT_HEADERS if h != "类型")),
}


@dataclass
class Refreshed:
    before: Path  # as LibreOffice saved it
    after: Path  # the same file after one refresh
    report: RefreshReport


@pytest.fixture(scope="module")
def saved(tmp_path_factory) -> dict[str, Path]:
    """Each layout written by xlsxwriter, then opened and saved once by LibreOffice."""
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    folder = tmp_path_factory.mktemp("layouts")
    sources = [
        write_workbook(folder / f"{name}.xlsx", [build()], unit_headers=headers)
        for name, (build, headers) in LAYOUTS.items()
    ]
    return dict(
        zip(LAYOUTS, save_with_libreoffice(sources, folder / "saved", SOFFICE), strict=True)
    )


@pytest.fixture(scope="module")
def refreshed(saved, tmp_path_factory) -> dict[str, Refreshed]:
    out = {}
    for i, (name, path) in enumerate(saved.items()):
        work = tmp_path_factory.mktemp(f"refresh{i}") / "台账.xlsx"
        shutil.copy(path, work)
        out[name] = Refreshed(path, work, refresh(work, today=TODAY, now=NOW, progress=False))
    return out


def computed_by_seq(path: Path, sheet: str) -> dict[int, tuple]:
    """Return 序号 -> (编号, the computed cells in COMPUTED order, 更新时间)."""
    return {
        v["序号"]: (v["编号"], tuple(v[h] for h in COMPUTED), v["更新时间"])
        for v in rows_by_header(path, sheet, 2).values()
        if v.get("序号") is not None
    }


def assert_rows(path: Path, sheet: str, expected: dict[int, tuple[str, tuple]]) -> None:
    found = computed_by_seq(path, sheet)
    assert sorted(found) == sorted(expected)
    for seq, (item_id, want) in expected.items():
        assert found[seq] == (item_id, want, STAMP), (sheet, seq)


# --- 重点工作: 序号 | 任务来源 | 工作任务 | 责任领导 | 牵头单位 | 责任单位 | 完成时限 | 进展情况 | 完成情况 | 备注

# No 交办日期 column: a year left out comes from the title "XX县2026年重点工作督查台账"; no
# 序时进度 (it needs 交办日期); no 反馈周期, so no 下次反馈日 except from 阶段节点; 完成情况
# gives the status (已完成/√/是 → 已办结, 推进中 → 办理中; blank → 办理中).
EXPECTED_A = {
    # 9月底前 → 09-30; 逾期 10 working days (see above) → 限期整改 (6–10, §8.1). The dated
    # progress "10月8日：…" is only a feedback date; there is no cadence to judge it against.
    1: ("DB-2026-001", cells("红", D(9, 30), "逾期", 0, 10, level="限期整改")),
    # 年底前 → 12-31: 52 working days left → 正常推进.
    2: ("DB-2026-002", cells("绿", D(12, 31), "正常推进", 52)),
    # 6月30日前 → 06-30; 完成情况 已完成 → 已办结 (no 办结日期 column: not a problem).
    3: ("DB-2026-003", cells("蓝", D(6, 30), "已办结")),
    # 三季度末 → 09-30; √ → 已办结.
    4: ("DB-2026-004", cells("蓝", D(9, 30), "已办结")),
    # 10月中旬 → the 20th, today: 0 working days left ≤ 3 → 临期, 提醒 (not yet overdue).
    5: ("DB-2026-005", cells("黄", D(10, 20), "临期", 0, level="提醒")),
    # 2026年11月 → 11-30: 8 + 21 = 29 left. "截至9月底，完成60%" gives 完成进度 60 but with no
    # 交办日期 there is no 序时进度 to compare it with.
    6: ("DB-2026-006", cells("绿", D(11, 30), "正常推进", 29)),
    # 长期坚持 → no deadline: no 认定时限, no day counts, cadence only (none here) → 正常推进.
    7: ("DB-2026-007", cells("绿", None, "正常推进")),
    # 立行立改 counts from 交办日期, which this ledger lacks: a problem, never a guess.
    8: ("DB-2026-008", BLANK),
    # 国庆节前 → the last working day before the 10-01 rest: 09-30 (Wed); 是 → 已办结.
    9: ("DB-2026-009", cells("蓝", D(9, 30), "已办结")),
    # "9月底前完成主体，12月底前全面完工" → 12-31, with 阶段节点 09-30; the progress note
    # "9月28日：…" is a feedback covering that node (on or before it), and no node follows →
    # 下次反馈日 blank; 52 left → 正常推进.
    10: ("DB-2026-010", cells("绿", D(12, 31), "正常推进", 52)),
    # 11月上旬 → 11-10 (Tue): 8 + 11-02…11-06, 11-09, 11-10 = 15 left.
    11: ("DB-2026-011", cells("绿", D(11, 10), "正常推进", 15)),
    # 尽快: no date at all → a problem; blank.
    12: ("DB-2026-012", BLANK),
    # 12月20日前 → 12-20 (Sun, not moved, §3.3): 8 + 21 + 12-01…12-04, 12-07…12-11,
    # 12-14…12-18 (14) = 43 left. Its lead unit 县往建局 is a typo: a problem only.
    13: ("DB-2026-013", cells("绿", D(12, 20), "正常推进", 43)),
    # 8月底前 → 08-31; 完成情况 "基本完成" is no status word: a problem, read as 办理中, so
    # 逾期 22 (September) + 10 = 32 working days → 红牌 (≥ 21).
    14: ("DB-2026-014", cells("红", D(8, 31), "逾期", 0, 32, level="红牌")),
}

# --- 领导批示: 序号 | 批示时间 | 批示内容 | 批示领导 | 承办单位 | 办理时限 | 办理情况 | 是否办结

# 批示时间 is 交办日期, so years come from it and 序时进度 is computed; 办理情况 holds text
# (→ 最新进展); 是否办结 是/否.
EXPECTED_B = {
    # 立行立改 → the 5th working day after 09-01: 09-02, 03, 04, 07, 08 → 09-08. 逾期 after
    # 09-08: 09-09…11 (3), 14…18 (5), Sunday 20 (1), 21…24 (4), 28…30 (3) = 16, + 10 = 26 →
    # 红牌; past the deadline 序时进度 is 100.
    1: ("DB-2026-001", cells("红", D(9, 8), "逾期", 0, 26, expected=100, level="红牌")),
    # 15个工作日内 from Saturday 08-15: 08-17…21 (5), 24…28 (10), 31 (11), 09-01…04 (15) →
    # 09-04; 是 → 已办结.
    2: ("DB-2026-002", cells("蓝", D(9, 4), "已办结")),
    # 10月底前 → 10-31, 8 left. 序时进度: working days after 09-10 up to 10-31 = 14 (09-11,
    # 14…18, 20, 21…24, 28…30) + 18 (10-08, 09, 10, 12…16, 19…23, 26…30) = 32; up to today
    # 14 + 10 = 24; 24/32 → 75. "…完成40%" at the end of 办理情况 is 完成进度 40: 75 − 40 =
    # 35 > 20 → 进度滞后, 进度偏差 −35; 8 left > 3, so no 督办等级.
    3: ("DB-2026-003", cells("黄", D(10, 31), "进度滞后", 8, expected=75, deviation=-35)),
    # 3月底前 with 交办日期 2025-11-20: 2025-03-31 falls before it → the next year,
    # 2026-03-31 (docs/deadlines.md 八); 是 → 已办结. Numbered for its 交办 year: DB-2025-001.
    4: ("DB-2025-001", cells("蓝", D(3, 31), "已办结")),
    # 中秋前 → the last working day before the 09-25 rest: 09-24 (Thu). 逾期 after 09-24:
    # 09-28, 29, 30 (3) + 10 = 13 → 黄牌 (11–20).
    5: ("DB-2026-004", cells("红", D(9, 24), "逾期", 0, 13, expected=100, level="黄牌")),
    # 11月中旬前 → 11-20: 8 + 11-02…06, 09…13, 16…20 (15) = 23 left. 序时进度: after 10-09 up
    # to 11-20: 10-10, 12…16, 19…23, 26…30 (16) + 15 = 31; up to today 10-10, 12…16, 19, 20
    # = 8; 8/31 = 25.8 → 26. Lead units 县教育局 and 城关镇 (one cell).
    6: ("DB-2026-005", cells("绿", D(11, 20), "正常推进", 23, expected=26)),
    # 10日内 from Monday 10-12 → 10-22, a working day (民法典 §201): 10-21, 10-22 = 2 left ≤
    # 3 → 临期, 提醒. 序时进度: after 10-12 up to 10-22 = 8, up to today 6 → 75. 各街道 is
    # 东湖街道 (类型 街道).
    7: ("DB-2026-006", cells("黄", D(10, 22), "临期", 2, expected=75, level="提醒")),
    # 批示时间 "2026.9.3" is typed text (a date all the same); 9月30日前 → 09-30; 已办结.
    8: ("DB-2026-007", cells("蓝", D(9, 30), "已办结")),
    # 批示时间 "2026.9.31" does not exist (a problem) → no 交办日期: 12月底前 takes the
    # title's year → 12-31, 52 left, no 序时进度. Numbered with today's year.
    9: ("DB-2026-008", cells("绿", D(12, 31), "正常推进", 52)),
    # 11月底前 → 11-30, 29 left. 序时进度: after 10-10 up to 11-30 = 15 + 21 = 36; up to
    # today 10-12…16, 19, 20 = 7; 7/36 = 19.4 → 19. 县财政局 is not in 责任单位: a problem.
    10: ("DB-2026-009", cells("绿", D(11, 30), "正常推进", 29, expected=19)),
}

# --- 会议议定: 序号 | 议定事项 | 纪要位置 | 责任单位 | 配合单位 | 完成时限 | 办理状态 | 备注

# No 交办日期: years from the title "…（2026年）". 办理状态 in real ledger words.
EXPECTED_C = {
    # 12月底前 → 12-31, 52 left; 推进中 → 办理中.
    1: ("DB-2026-001", cells("绿", D(12, 31), "正常推进", 52)),
    # 上半年 → 06-30; 已办结.
    2: ("DB-2026-002", cells("蓝", D(6, 30), "已办结")),
    # "2026-06" → the month's last day 06-30; 正在推进 → 办理中. 逾期 after 06-30: July 23,
    # August 21, September 22, October 10 = 76 → 红牌.
    3: ("DB-2026-003", cells("红", D(6, 30), "逾期", 0, 76, level="红牌")),
    # 10月下旬 → the month's last day 10-31: 8 left > 3 → 正常推进; two lead units.
    4: ("DB-2026-004", cells("绿", D(10, 31), "正常推进", 8)),
    # 第四季度 → 12-31; blank 办理状态 → 办理中.
    5: ("DB-2026-005", cells("绿", D(12, 31), "正常推进", 52)),
    # 9月底前 → 09-30; 已完成 → 已办结.
    6: ("DB-2026-006", cells("蓝", D(9, 30), "已办结")),
    # 下月 names no month: a problem, blank.
    7: ("DB-2026-007", BLANK),
    # 元旦前 without a year → the 元旦 that ends 2026: the last working day before 2027-01-01
    # is Thursday 12-31. Its 配合单位 县发该委 is a typo: a problem only.
    8: ("DB-2026-008", cells("绿", D(12, 31), "正常推进", 52)),
    # 持续推进 → no deadline. 各乡镇（街道） cannot be expanded (no 类型 column): one problem.
    9: ("DB-2026-009", cells("绿", None, "正常推进")),
}

EXPECTED = {"重点工作台账": EXPECTED_A, "领导批示": EXPECTED_B, "会议议定事项": EXPECTED_C}


@pytest.mark.parametrize("sheet", EXPECTED)
def test_every_computed_cell_is_the_hand_worked_answer(refreshed, sheet):
    assert_rows(refreshed[sheet].after, sheet, EXPECTED[sheet])


@pytest.mark.parametrize("sheet", EXPECTED)
def test_only_the_computed_cells_and_the_added_id_column_change(refreshed, sheet):
    r = refreshed[sheet]
    header = row_values(r.after, sheet, 2)
    written = {i + 1 for i, h in enumerate(header) if h in (*COMPUTED, "更新时间", "档案", "编号")}
    staff = len(LAYOUTS[sheet][0]().headers)
    # 编号 goes in the first free column, the computed columns (and 档案) right of it.
    assert written == set(range(staff + 1, staff + 14))
    assert changes_outside(r.before, r.after, {sheet: written}) == []


def test_the_id_column_and_the_computed_headers_sit_right_of_the_staff_columns(refreshed):
    header = row_values(refreshed["重点工作台账"].after, "重点工作台账", 2)
    assert header == [
        "序号", "任务来源", "工作任务", "责任领导", "牵头单位", "责任单位", "完成时限", "进展情况",
        "完成情况", "备注", "编号", *COMPUTED, "更新时间", "档案",
    ]  # fmt: skip
    notes = "\n".join(refreshed["重点工作台账"].report.notes)
    assert "“重点工作台账”表没有“编号”列，已在 K 列添加并为 14 个事项编号" in notes


# --- what `duban check` says -------------------------------------------------------------

# Only the problems planted in each ledger: (cell, what the message says).
PLANTED = {
    "重点工作台账": [
        ("G10", "办结时限“立行立改”无法识别：“立行立改”要从交办日期起算，但交办日期为空"),
        ("G14", "办结时限“尽快”无法识别：“尽快”没有具体日期"),
        ("E15", "责任单位“县往建局”不在“责任单位”表中"),
        ("I16", "办理状态“基本完成”无法识别，本次按“办理中”计算"),
    ],
    "领导批示": [
        ("B11", "交办日期“2026.9.31”不是有效日期：2026 年 9 月没有 31 日"),
        ("E12", "责任单位“县财政局”不在“责任单位”表中"),
    ],
    "会议议定事项": [
        ("F9", "办结时限“下月”无法识别：“下月”没有写明是几月"),
        ("E10", "配合单位“县发该委”不在“责任单位”表中"),
        ("D11", "“各乡镇（街道）”是一组单位，但“责任单位”表中没有可归入这一组的单位"),
    ],
}


def check(path: Path, *options: str):
    return CliRunner().invoke(
        cli, ["check", str(path), "--today", TODAY.isoformat(), *options], env=WIDE
    )


@pytest.mark.parametrize("sheet", PLANTED)
def test_check_reports_only_the_planted_problems(saved, sheet):
    result = check(saved[sheet], "--json")
    assert result.exit_code == 1, result.output
    found = json.loads(result.output)["problems"]
    assert [(p["sheet"], p["cell"]) for p in found] == [(sheet, c) for c, _ in PLANTED[sheet]]
    for problem, (_, message) in zip(found, PLANTED[sheet], strict=True):
        assert problem["message"].startswith(message), problem
        assert problem["fix"]  # and says how to fix it


def test_the_fixes_name_the_accepted_forms_and_the_nearest_unit(saved):
    found = json.loads(check(saved["重点工作台账"], "--json").output)["problems"]
    fixes = {p["cell"]: p["fix"] for p in found}
    assert "9月底前" in fixes["G14"] and "长期" in fixes["G14"]
    assert fixes["E15"].startswith("是否为：县住建局？")
    group = json.loads(check(saved["会议议定事项"], "--json").output)["problems"][-1]
    assert "“类型”列" in group["fix"] and "各乡镇（街道）" in group["fix"]


LAYOUT_REPORTS = {
    "重点工作台账": [
        "工作表“重点工作台账”（2026年）：表头在第 2 行，读取 14 个事项",
        "  列的理解：B列“任务来源”→来源依据；C列“工作任务”→事项内容；D列“责任领导”→牵头领导；"
        "E列“牵头单位”→责任单位；F列“责任单位”→配合单位；G列“完成时限”→办结时限；"
        "H列“进展情况”→最新进展；I列“完成情况”→办理状态",
        # 12 of 14 from words: 立行立改 and 尽快 could not be read.
        "  按文字认定的办结时限 12 个，如 G3“9月底前”认定为 2026-09-30，G4“年底前”认定为 "
        "2026-12-31（见“认定时限”列）",
        "  没有“编号”列：刷新时将在 K 列添加“编号”列并为各事项编号，此后排序、插行都能跟住每个事项",
    ],
    "领导批示": [
        "工作表“领导批示”（2026年）：表头在第 2 行，读取 10 个事项",
        "  列的理解：B列“批示时间”→交办日期；C列“批示内容”→事项内容；D列“批示领导”→牵头领导；"
        "E列“承办单位”→责任单位；F列“办理时限”→办结时限；G列“办理情况”→最新进展；"
        "H列“是否办结”→办理状态",
        "  按文字认定的办结时限 10 个，如 F3“立行立改”认定为 2026-09-08，F4“15个工作日内”认定为 "
        "2026-09-04（见“认定时限”列）",
    ],
    "会议议定事项": [
        "工作表“会议议定事项”（2026年）：表头在第 2 行，读取 9 个事项",
        "  列的理解：B列“议定事项”→事项内容；C列“纪要位置”→来源依据；F列“完成时限”→办结时限",
        "  按文字认定的办结时限 8 个，如 F3“12月底前”认定为 2026-12-31，F4“上半年”认定为 "
        "2026-06-30（见“认定时限”列）",
    ],
}
COUNT_LINES = {
    "重点工作台账": "共 14 个事项：已办结 3，逾期 2，临期 1，正常推进 6，无法计算 2；发现 4 个问题。",
    "领导批示": "共 10 个事项：已办结 3，逾期 2，临期 1，进度滞后 1，正常推进 3；发现 2 个问题。",
    "会议议定事项": "共 9 个事项：已办结 2，逾期 1，正常推进 5，无法计算 1；发现 3 个问题。",
}


@pytest.mark.parametrize("sheet", LAYOUT_REPORTS)
def test_check_prints_how_it_read_the_ledger(saved, sheet):
    result = check(saved[sheet])
    lines = result.output.splitlines()
    for line in LAYOUT_REPORTS[sheet]:
        assert line in lines, (line, result.output)
    assert not any("未使用的列" in line for line in lines)  # every column has a meaning here
    assert lines[-1] == COUNT_LINES[sheet]


# --- the generated sheets -----------------------------------------------------------------


def test_summary_counts_words_statuses_and_leaves_unknown_on_time_out(refreshed):
    rows = sheet_rows(refreshed["重点工作台账"].after, "统计汇总")
    units = block(rows, "责任单位")
    # 合计: 14 items, 11 open (the two unreadable deadlines included), 3 done of 14 counted;
    # no 办结日期 column, so 按期办结率 is blank and the note says why; 逾期 2 (1, 14), 临期 1
    # (5); lights 红 2, 黄 1, 绿 6 (2, 6, 7, 10, 11, 13), 蓝 3, 灰 0.
    total = units.pop("合计")
    assert total[:3] == [14, 11, 3] and total[3] == pytest.approx(3 / 14, abs=1e-4)
    assert total[4:] == [None, 2, 1, 0, 0, 2, 1, 6, 3, 0]
    note = next(r[0] for r in rows if isinstance(r[0], str) and r[0].startswith("注："))
    assert note == "注：3 个已办结事项没有办结日期（台账无“办结日期”列），未计入按期办结率"
    # Lead units: 牵头单位 only (责任单位 beside it are co-units); several in one cell each count
    # the item (6: 县住建局、县城管局); a name not in 责任单位 is grouped as typed.
    assert {name: r[0] for name, r in units.items()} == {
        "县住建局": 3, "县城管局": 3, "县发改委": 2, "县水利局": 2, "县交通运输局": 2,
        "城关镇": 1, "县教育局": 1, "县往建局": 1,
    }  # fmt: skip
    # 县城管局: 4 done, 6 正常推进, 12 unreadable (open, no light).
    assert units["县城管局"][:3] == [3, 2, 1] and units["县城管局"][-5:] == [0, 0, 1, 1, 0]
    # 事项类别 from 任务来源's words (docs: the keyword table).
    assert {name: r[0] for name, r in block(rows, "事项类别").items()} == {
        "政府工作报告": 3,  # 1, 10, 14
        "会议议定": 3,  # 2, 9, 13: 常务会议纪要
        "上级来文": 2,  # 3 市政府督查室交办, 11 市政府来文
        "其他": 2,  # 8 县委巡察…, 12 县领导调研交办 (a 县 leader's 交办 is not 上级来文)
        "领导批示": 1,  # 4 张县长批示
        "建议提案": 1,  # 5 县人大代表建议
        "民生实事": 1,  # 6 十件民生实事
        "热线交办": 1,  # 7 12345热线工单
    }


def test_lists_name_the_overdue_and_the_due_soon_with_contacts(refreshed):
    overdue = sheet_rows(refreshed["重点工作台账"].after, "逾期清单")
    assert overdue[1:] == [
        # most overdue first (§10.4); 办结时限 is the date duban settled on
        ["DB-2026-014", "完成中小学校舍维修", "县教育局", "赵建华", D(8, 31), 32, "红牌", 0,
         "郑洁", "0370-6001007", None],
        ["DB-2026-001", "完成城区老旧小区改造12个", "县住建局", "王志远", D(9, 30), 10,
         "限期整改", 0, "李明", "0370-6001001", None],
    ]  # fmt: skip
    soon = sheet_rows(refreshed["重点工作台账"].after, "临期清单")
    assert soon[1:] == [
        ["DB-2026-005", "增设城区学校周边交通标志", "县交通运输局", "赵建华", D(10, 20), 0,
         None, "钱进", "0370-6001003", None],
    ]  # fmt: skip


def test_a_sheet_named_for_a_category_gives_it_when_nothing_else_does(refreshed):
    # 领导批示 has no 来源 column: its title "XX县2026年领导批示件办理台账" names the category.
    rows = sheet_rows(refreshed["领导批示"].after, "统计汇总")
    assert {name: r[0] for name, r in block(rows, "事项类别").items()} == {"领导批示": 10}
    # 会议议定 reads its 纪要位置 column as 来源: all 会议议定.
    rows = sheet_rows(refreshed["会议议定事项"].after, "统计汇总")
    assert {name: r[0] for name, r in block(rows, "事项类别").items()} == {"会议议定": 9}
