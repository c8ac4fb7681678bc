"""The plan that leaves unchanged computed cells alone gives the very workbook of writing them all.

The refresh's WritePlan keeps its computed columns as arrays and marks the cells that
already hold their new value (``ColumnWrites.kept``); the file writer skips those. Here the
plan is applied twice to the same workbook, as is and with nothing kept (every computed
cell written, as before issue 19), and the two results must hold the same cells: values,
types, formulas and number formats, on every sheet, generated sheets included.
"""

from __future__ import annotations

import random
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from automation import schema
from automation.evaluate import evaluate
from automation.history import History
from automation.models import WritePlan
from automation.refresh import plan_refresh, refresh
from automation.workbooks.demo import build_demo
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_xlsx import good_row, write_ledger

TODAY = date(2026, 11, 20)


def the_plan(path: Path, today: date) -> WritePlan:
    """Return the plan a refresh of ``path`` on ``today`` would write (nothing is written)."""
    history = History(path)
    try:
        report, _ = plan_refresh(
            evaluate(path, today, history),
            history,
            now=datetime.combine(today, datetime.min.time()),
        )
    finally:
        history.close()
    return report.plan


def writing_everything(plan: WritePlan) -> WritePlan:
    return replace(plan, columns=[replace(block, kept=[]) for block in plan.columns])


def cells(path: Path) -> dict[str, dict[str, tuple]]:
    """Every cell of every sheet: value (formulas as text), type and number format."""
    wb = openpyxl.load_workbook(path)
    return {
        ws.title: {
            c.coordinate: (c.value, c.data_type, c.number_format)
            for row in ws.iter_rows()
            for c in row
            if c.value is not None
        }
        for ws in wb.worksheets
    }


def assert_same_workbook(path: Path, plan: WritePlan, tmp_path: Path) -> None:
    kept = sum(len(k) for block in plan.columns for k in block.kept)
    assert kept, "the plan keeps no cell: nothing is being compared"
    apply_plan(path, plan, tmp_path / "changed-only.xlsx")
    apply_plan(path, writing_everything(plan), tmp_path / "everything.xlsx")
    new, old = cells(tmp_path / "changed-only.xlsx"), cells(tmp_path / "everything.xlsx")
    assert list(new) == list(old)
    for sheet in old:
        assert new[sheet] == old[sheet], sheet


def test_the_demo_next_day(tmp_path):
    path = build_demo(tmp_path / "demo", seed=3, items=150, today=TODAY, force=False)
    refresh(path, today=TODAY, now=datetime(2026, 11, 20, 8, 30))
    assert_same_workbook(path, the_plan(path, TODAY + timedelta(days=1)), tmp_path)


def test_the_demo_again_the_same_minute(tmp_path):
    path = build_demo(tmp_path / "demo", seed=4, items=120, today=TODAY, force=False)
    refresh(path, today=TODAY, now=datetime.combine(TODAY, datetime.min.time()))
    plan = the_plan(path, TODAY)
    # Every computed cell already holds its value: the ledger sheet needs no write at all.
    assert all(len(k) == len(block.rows) for block in plan.columns for k in block.kept)
    assert_same_workbook(path, plan, tmp_path)


# What staff or other programs leave in computed cells: look-alikes of what duban writes.
LOOKALIKES = [
    None, "", " ", "红", "红 ", "逾期", "1", "2", 1, 2, 2.0, 0, -3, True, False, 1.5,
    date(2026, 10, 30), datetime(2026, 10, 30, 0, 0), datetime(2026, 10, 30, 9, 0),
    "2026-10-30", "=1+1", '="红"', "=TODAY()", "催办", "提醒", "2026-10-10 08:30",
]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_ledger_with_lookalikes_in_its_computed_cells(tmp_path, seed):
    rng = random.Random(seed)
    rows = [
        good_row(
            n,
            办结时限=date(2026, 9, 1) + timedelta(days=rng.randrange(120)),
            交办日期=date(2026, 3, 2) + timedelta(days=rng.randrange(60)),
            完成进度=rng.choice([0, 0.3, 0.5, 1, None]),
            办理状态=rng.choice(["办理中", "办理中", "已办结", "暂缓"]),
            办结日期=rng.choice([None, date(2026, 9, 20)]),
        )
        for n in range(1, 41)
    ]
    path = write_ledger(tmp_path / "台账.xlsx", rows)
    refresh(path, today=date(2026, 10, 9), now=datetime(2026, 10, 9, 8, 30))
    wb = openpyxl.load_workbook(path)  # another program edits the computed cells
    ws = wb[schema.LEDGER]
    header = {c.value: c.column for c in ws[1]}
    computed = [header[c.header] for c in schema.LEDGER_COMPUTED_COLUMNS]
    for r in range(2, ws.max_row + 1):
        for col in rng.sample(computed, 4):
            value = rng.choice(LOOKALIKES)
            if rng.random() < 0.5:  # or what the next day's refresh will write there
                continue
            ws.cell(r, col).value = value
    wb.save(path)
    target = tmp_path / "random"
    target.mkdir()
    moved = Path(shutil.move(path, target / path.name))
    shutil.move(tmp_path / ".duban", target / ".duban")
    assert_same_workbook(moved, the_plan(moved, date(2026, 10, 10)), tmp_path)
