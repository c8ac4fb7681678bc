"""回头看 (docs/rules.md §15): exactly the items due are listed; a 反弹 reopens an item."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from fixtures_folders import item, office_ledger
from python_calamine import CalamineWorkbook

from automation import dashboard, schema, settings
from automation.evaluate import evaluate
from automation.mail.messages import build_messages
from automation.refresh import refresh
from automation.schema import Status

TODAY = date(2026, 10, 9)
NOW = datetime(2026, 10, 9, 8, 30)
# 民生实事 are looked back at after 30 working days, 上级来文 after 回头看间隔 (default 60).
SETTINGS = [("回头看类别", "民生实事:30、上级来文")]


def done(n: int, category: str, on: date, status: str = "已办结", **more) -> list[object]:
    return item(n, 事项类别=category, 办理状态=status, 办结日期=on, 完成进度=1, **more)


ROWS = [
    done(1, "民生实事", date(2026, 8, 21)),  # 30 working days to 10-09: due today
    done(2, "民生实事", date(2026, 8, 24)),  # 29: due on 10-10 (a 调休 Saturday)
    done(3, "上级来文", date(2026, 7, 10), "已销号"),  # 60: due today
    done(4, "上级来文", date(2026, 7, 13)),  # 59
    done(5, "会议议定", date(2026, 3, 2)),  # not a category looked back at
    done(6, "民生实事", date(2026, 6, 1)),  # 巩固 on 09-01: off the list for good
    done(7, "民生实事", date(2026, 6, 30)),  # its 巩固 belongs to an earlier completion
    done(8, "民生实事", date(2026, 6, 1)),  # 反弹 on 09-15: reopened
    item(9, 事项类别="民生实事"),  # still in hand
    done(10, "民生实事", date(2026, 7, 1), 办结时限=date(2026, 6, 30)),  # 逾期办结 counts
    done(11, "民生实事", date(2026, 6, 1)),  # a 反弹 dated after today does not count yet
]
LOOKBACKS = [
    ["DB-2026-006", date(2026, 9, 1), "巩固", "路灯运行正常", "李四"],
    ["DB-2026-007", date(2026, 5, 10), "巩固", "上一轮整改", "李四"],
    ["DB-2026-008", date(2026, 9, 15), "反弹", "再次出现占道经营", "李四"],
    ["DB-2026-011", date(2026, 10, 20), "反弹", "", "李四"],
]


def write(tmp_path: Path, lookbacks=LOOKBACKS) -> Path:
    return office_ledger(tmp_path / "台账.xlsx", ROWS, lookbacks=lookbacks, settings=SETTINGS)


def grid(path: Path, name: str) -> list[list[object]]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return wb.get_sheet_by_name(name).to_python()


def ledger_rows(path: Path) -> dict[str, dict[str, object]]:
    rows = grid(path, schema.LEDGER)
    return {r[0]: dict(zip(rows[0], r, strict=False)) for r in rows[1:] if r[0]}


def test_the_list_holds_exactly_the_items_due(tmp_path):
    path = write(tmp_path)
    refresh(path, today=TODAY, now=NOW)
    rows = grid(path, schema.LOOKBACK_LIST)
    header, body = rows[0], rows[1:]
    due = body[: next(i for i, r in enumerate(body) if not any(r))]
    listed = [dict(zip(header, r, strict=False)) for r in due]
    assert sorted(r["编号"] for r in listed) == [
        "DB-2026-001", "DB-2026-003", "DB-2026-007", "DB-2026-010", "DB-2026-011",
    ]  # fmt: skip
    assert [r["应回头看日期"] for r in listed] == sorted(r["应回头看日期"] for r in listed)
    one = next(r for r in listed if r["编号"] == "DB-2026-001")
    assert one["应回头看日期"] == date(2026, 10, 9) and one["已超过工作日"] == 0
    three = next(r for r in listed if r["编号"] == "DB-2026-003")
    assert three["计算状态"] == "已销号" and three["应回头看日期"] == date(2026, 10, 9)
    seven = next(r for r in listed if r["编号"] == "DB-2026-007")
    assert seven["上次回头看"] == ""  # the 05-10 record is before this 办结日期


def test_a_rebound_reopens_the_item_red_without_touching_what_staff_typed(tmp_path):
    path = write(tmp_path)
    report = refresh(path, today=TODAY, now=NOW)
    eight = ledger_rows(path)["DB-2026-008"]
    assert eight["计算状态"] == "回头看反弹" and eight["预警"] == "红"
    assert eight["办理状态"] == "已办结" and eight["办结日期"] == date(2026, 6, 1)
    assert ledger_rows(path)["DB-2026-011"]["计算状态"] == "已办结"  # its 反弹 is dated later

    rows = grid(path, schema.LOOKBACK_LIST)
    start = next(i for i, r in enumerate(rows) if i and r and r[0] == "反弹事项编号")
    assert rows[start + 1][0] == "DB-2026-008" and rows[start + 1][-1] == "再次出现占道经营"

    # Back in every list: 在办 in 统计汇总 and the dashboard, the unit's mail, the workload.
    assert report.outcome.status_counts()[Status.REBOUND] == 1
    evaluation = evaluate(path, TODAY, None)
    data = dashboard.page_data(evaluation.ledger, evaluation.outcome)
    rebound = data["statuses"].index("回头看反弹")
    assert "回头看反弹" in data["open"] and "回头看反弹" in data["red"]
    assert sum(1 for it in data["items"] if it[3] == rebound) == 1
    messages, _ = build_messages(
        evaluation.ledger, evaluation.outcome, sender="dcs@example.cn", now=NOW
    )
    (mail,) = [m for m in messages if m.unit == "县财政局"]
    assert mail.counts[Status.REBOUND] == 1 and "回头看反弹1项" in mail.subject
    workload = grid(path, schema.WORKLOAD)
    owner = dict(zip(workload[0], next(r for r in workload if r[0] == "张三"), strict=False))
    assert owner["回头看反弹"] == 1 and owner["在办"] == 2
    total = next(r for r in grid(path, schema.SUMMARY) if r and r[0] == "合计")
    assert total[grid(path, schema.SUMMARY)[0].index("办理中")] == 2  # 008 and 009


def test_a_later_holds_closes_it_again_and_takes_it_off_for_good(tmp_path):
    path = write(tmp_path)
    refresh(path, today=TODAY, now=NOW)
    write(tmp_path, [*LOOKBACKS, ["DB-2026-008", date(2026, 10, 12), "巩固", "已整改到位", "李四"]])
    refresh(path, today=date(2026, 10, 12), now=NOW)
    assert ledger_rows(path)["DB-2026-008"]["计算状态"] == "已办结"
    listed = {r[0] for r in grid(path, schema.LOOKBACK_LIST)[1:] if r}
    assert "DB-2026-008" not in listed and "DB-2026-006" not in listed


@pytest.mark.parametrize(
    ("record", "cell", "message"),
    [
        (
            ["DB-2099-001", date(2026, 9, 1), "巩固", "", ""],
            "A2",
            "编号“DB-2099-001”在督办事项中找不到",
        ),
        (["DB-2026-006", date(2026, 9, 1), "无反弹", "", ""], "C2", "结论“无反弹”无法识别"),
        (["DB-2026-006", "九月", "巩固", "", ""], "B2", "日期“九月”不是有效日期"),
        (["", date(2026, 9, 1), "巩固", "", ""], "A2", "缺少事项编号"),
    ],
)
def test_a_record_that_cannot_be_used_is_a_problem_naming_its_cell(tmp_path, record, cell, message):
    path = write(tmp_path, [record])
    evaluation = evaluate(path, TODAY, None)
    found = [p for p in evaluation.problems if p.sheet == "回头看记录"]
    assert [(p.cell, message in p.message) for p in found] == [(cell, True)]
    assert evaluation.outcome.status_counts().get(Status.REBOUND) is None


def test_settings_of_the_categories_and_intervals():
    spec = settings.SPECS["lookback_categories"]
    assert settings.parse_value("民生实事：30、 上级来文", spec) == (
        ("民生实事", 30),
        ("上级来文", None),
    )
    assert settings.parse_value("无", spec) == ()
    assert len(settings.parse_value("全部", spec)) == len(schema.CATEGORIES)
    with pytest.raises(ValueError, match="“民生”不是事项类别"):
        settings.parse_value("民生、上级来文", spec)
    with pytest.raises(ValueError, match="1 到 750"):
        settings.parse_value("民生实事:0", spec)
    assert settings.default_text("lookback_categories") == "民生实事、上级来文"
    assert settings.DEFAULTS.lookback_days == 60 and settings.DEFAULTS.unfollowed_days == 20


def test_a_bad_category_setting_names_its_cell_and_uses_the_default(tmp_path):
    path = office_ledger(
        tmp_path / "台账.xlsx", ROWS, settings=[("回头看类别", "民生"), ("回头看间隔", 30)]
    )
    evaluation = evaluate(path, TODAY, None)
    (problem,) = [p for p in evaluation.problems if "回头看类别" in p.message]
    assert problem.where == "参数设置!B3" and "民生实事、上级来文" in problem.message
    assert evaluation.ledger.settings.lookback_days == 30


def test_the_blank_ledger_has_the_record_sheet_with_its_drop_down(tmp_path):
    import openpyxl

    from automation.workbooks.template import build_template

    wb = openpyxl.load_workbook(build_template(tmp_path))
    ws = wb[schema.LOOKBACK_LOG]
    assert [c.value for c in ws[1]][:5] == ["编号", "日期", "结论", "说明", "录入人"]
    (verdict,) = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert str(verdict.sqref) == "C2:C5000" and verdict.formula1 == '"巩固,反弹"'
    values = {r[0]: r[1] for r in wb[schema.SETTINGS].iter_rows(min_row=2, values_only=True)}
    assert values["回头看类别"] == "民生实事、上级来文"
    assert values["回头看间隔"] == 60 and values["未跟进提醒工作日"] == 20


def test_a_second_refresh_the_same_day_rewrites_the_three_sheets_unchanged(tmp_path):
    import zipfile

    from automation.workbooks import xlsm

    path = write(tmp_path)
    refresh(path, today=TODAY, now=NOW)

    def parts() -> dict[str, bytes]:
        with zipfile.ZipFile(path) as z:
            book = {n: z.read(n) for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")}
            return {s: z.read(xlsm.sheet_part(book, s)) for s in schema.FOLDER_SHEETS}

    first = parts()
    refresh(path, today=TODAY, now=NOW)
    assert parts() == first
