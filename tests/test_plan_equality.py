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


def test_column_arrays_hold_computed_values_row_by_row():
    from automation.models import ItemResult
    from automation.schema import Level, Light, Status
    from automation.summaries import computed_value_columns, computed_values

    rng = random.Random(7)
    results = [
        ItemResult(
            f"DB-{n}",
            n,
            rng.choice(list(Light)),
            rng.choice(list(Status)),
            rng.choice([None, 0, 3]),
            rng.choice([None, 1]),
            rng.choice([None, TODAY]),
            rng.choice([None, 50]),
            rng.choice([None, -10]),
            rng.choice(list(Level)),
            rng.randrange(3),
            rng.choice([None, TODAY]),
        )
        for n in range(200)
    ]
    columns = computed_value_columns(results, "2026-11-20 08:30")
    assert [tuple(c[i] for c in columns) for i in range(len(results))] == [
        computed_values(r, "2026-11-20 08:30") for r in results
    ]
    assert computed_value_columns([], "x") == [[] for _ in range(11)]


def test_kept_cells_are_the_ones_that_hold_their_value():
    from automation.models import LedgerSheet
    from automation.summaries import _kept, holds

    found = [*LOOKALIKES, 2.0, 0.0, -3.0, date(2026, 10, 30), None]
    values = [None, "红", "逾期", 2, 0, -3, date(2026, 10, 30), "2026-10-10 08:30", 1]
    from automation.schema import Light, Status

    values += [Light.RED, Status.OVERDUE]
    rows = list(range(2, 2 + len(found) * len(values)))
    pairs = [(f, v) for f in found for v in values]
    seen = {
        row: {"light": f} for row, (f, _) in zip(rows, pairs, strict=True) if f not in (None, "")
    }
    sheet = LedgerSheet(schema.LEDGER, columns={"light": 20}, computed_seen=seen)
    kept = _kept(sheet, "light", rows, [v for _, v in pairs])
    expected = {i for i, (f, v) in enumerate(pairs) if holds(None if f == "" else f, v)}
    assert kept == expected and expected
    formulas = LedgerSheet(
        schema.LEDGER,
        columns={"light": 20},
        computed_seen=seen,
        computed_formulas=frozenset((rows[i], 20) for i in expected),
    )
    assert _kept(formulas, "light", rows, [v for _, v in pairs]) == frozenset()
