"""The WritePlan built from a hand-made ledger: computed cells land where they must, sheets add up."""

from datetime import date, datetime

from automation import schema
from automation.models import (
    Item,
    ItemResult,
    Ledger,
    LedgerSheet,
    Outcome,
    Problem,
    Unit,
    UnitScore,
)
from automation.summaries import build_plan, computed_columns

NOW = datetime(2026, 10, 9, 8, 30)


def make_ledger(columns=None, max_col=0):
    items = [
        Item(
            row=2,
            id="DB-2026-001",
            unit="县住建局",
            content="老旧小区改造",
            leader="张副县长",
            deadline=date(2026, 9, 30),
            owner="李明",
        ),
        Item(
            row=3,
            id="DB-2026-002",
            unit="县住建局",
            content="背街小巷整治",
            leader="张副县长",
            deadline=date(2026, 10, 12),
            progress=50,
        ),
        Item(
            row=5,
            id="DB-2026-003",
            id_assigned=True,
            unit="县教育局",
            content="学校扩建",
            leader="王副县长",
            deadline=date(2026, 9, 1),
            done_on=date(2026, 8, 20),
        ),
        Item(
            row=6,
            id="DB-2026-004",
            unit=None,
            unit_text="县交通具",
            content="道路养护",
            deadline=date(2026, 9, 1),
            done_on=date(2026, 9, 3),
        ),
    ]
    units = [Unit("县住建局", contact="赵六", phone="0370-1234567"), Unit("县教育局")]
    if columns is None:
        columns = {c.key: i + 1 for i, c in enumerate(schema.LEDGER_COLUMNS)}
    return Ledger(
        items=items,
        units=units,
        sheets=[LedgerSheet(schema.LEDGER, columns=columns, max_col=max_col)],
        problems=[
            Problem(schema.LEDGER, "G6", "责任单位“县交通具”不在责任单位表中", "是否为：县交通局")
        ],
    )


def make_outcome():
    return Outcome(
        today=date(2026, 10, 9),
        results=[
            ItemResult("DB-2026-001", 2, "红", "逾期", 0, 2, None, 100, None, "催办", 1),
            ItemResult("DB-2026-002", 3, "黄", "临期", 1, None, None, 90, -40, "提醒", 0),
            ItemResult("DB-2026-003", 5, "蓝", "已办结"),
            ItemResult("DB-2026-004", 6, "蓝", "逾期办结"),
        ],
        scores=[
            UnitScore("县住建局", "2026年第4季度", 97.0, 2, {"逾期": 1}),
            UnitScore("县教育局", "2026年第4季度", 101.0, 1, {"提前办结": 1}),
        ],
    )


def cell_map(plan):
    return {(c.row, c.col): c.value for c in plan.all_cells()}


def test_computed_cells_land_in_the_template_columns():
    ledger = make_ledger()
    cells = cell_map(build_plan(ledger, make_outcome(), now=NOW))
    light_col = ledger.sheets[0].columns["light"]
    overdue_col = ledger.sheets[0].columns["days_overdue"]
    assert cells[(2, light_col)] == "红"
    assert cells[(2, overdue_col)] == 2
    assert cells[(3, ledger.sheets[0].columns["deviation"])] == -40
    assert (
        cells[(5, ledger.sheets[0].columns["level"])] is None
    )  # no escalation: cell cleared, not "".
    assert cells[(2, ledger.sheets[0].columns["updated_at"])] == "2026-10-09 08:30"
    # The assigned 编号 is written back; typed ones are not touched.
    assert cells[(5, ledger.sheets[0].columns["id"])] == "DB-2026-003"
    assert (2, ledger.sheets[0].columns["id"]) not in cells
    # No header rewrites when the template already has the computed columns.
    assert not [c for c in cell_map(build_plan(ledger, make_outcome(), now=NOW)) if c[0] == 1]


def test_missing_computed_columns_go_right_of_the_used_range_never_onto_staff_columns():
    # An office's own ledger: 5 known columns, and staff extra columns up to column 9.
    columns = {"id": 1, "content": 2, "unit": 3, "deadline": 5, "typed_status": 6}
    ledger = make_ledger(columns=columns, max_col=9)
    placed = computed_columns(ledger.sheets[0])
    assert placed["light"] == 10
    assert placed["updated_at"] == 20
    cells = cell_map(build_plan(ledger, make_outcome(), now=NOW))
    assert cells[(1, 10)] == "预警"
    assert cells[(1, 11)] == "认定时限"
    assert cells[(1, 12)] == "计算状态"
    assert all(col >= 10 for (_, col) in cells if col != 1)


def test_summary_sheet_counts_and_chart():
    plan = build_plan(make_ledger(), make_outcome(), now=NOW)
    summary = {s.name: s for s in plan.sheets}[schema.SUMMARY]
    header = summary.rows[0]
    unit_rows = {row[0]: dict(zip(header, row, strict=True)) for row in summary.rows[1:4]}
    housing = unit_rows["县住建局"]
    assert (
        housing["总数"] == 2
        and housing["办理中"] == 2
        and housing["逾期"] == 1
        and housing["临期"] == 1
    )
    assert housing["已办结"] == 0 and housing["办结率"] == 0 and housing["按期办结率"] is None
    education = unit_rows["县教育局"]
    assert education["办结率"] == 1 and education["按期办结率"] == 1 and education["蓝灯"] == 1
    assert unit_rows["县交通具"]["按期办结率"] == 0  # done two days late
    total = next(r for r in summary.rows if r and r[0] == "合计")
    assert dict(zip(header, total, strict=True))["总数"] == 4
    title, cat_col, val_col, first, last = summary.chart
    assert (cat_col, header[val_col], first, last) == (0, "办结率", 1, 3)
    assert len(summary.header_rows) == 3  # unit, category and leader blocks


def test_lists_ranking_and_problems():
    sheets = {s.name: s for s in build_plan(make_ledger(), make_outcome(), now=NOW).sheets}
    assert [s for s in schema.GENERATED_SHEETS] == [
        s.name for s in build_plan(make_ledger(), make_outcome(), now=NOW).sheets
    ]
    overdue = sheets[schema.OVERDUE_LIST].rows
    assert overdue[1][:3] == ["DB-2026-001", "老旧小区改造", "县住建局"]
    assert overdue[1][4] == date(2026, 9, 30) and overdue[1][8:10] == ["赵六", "0370-1234567"]
    assert len(overdue) == 2
    soon = sheets[schema.DUE_SOON_LIST].rows
    assert soon[1][0] == "DB-2026-002" and soon[1][6] == 0.5
    ranking = sheets[schema.RANKING].rows
    assert ranking[0][:3] == ["排名", "责任单位", "得分"]
    assert [r[1] for r in ranking[1:]] == ["县教育局", "县住建局"]
    problems = sheets[schema.PROBLEMS].rows
    assert problems[1][:2] == [schema.LEDGER, "督办事项!G6"]
