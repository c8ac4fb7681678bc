"""One evaluation for every command: check, refresh --dry-run, notify, forms and the dashboard agree."""

from __future__ import annotations

from datetime import date, datetime

import openpyxl
import pytest

from automation import schema
from automation.check import check_ledger
from automation.evaluate import evaluate_readonly
from automation.mail.notify import notify
from automation.refresh import refresh
from automation.workbooks.demo import build_demo

TODAY = date(2026, 11, 20)


@pytest.fixture(scope="module")
def edited_demo(tmp_path_factory):
    """The demo, refreshed once with its letters, then a computed cell typed over by staff."""
    from automation.letters.issue import LetterRequest

    folder = tmp_path_factory.mktemp("demo")
    path = build_demo(folder, seed=11, items=150, today=TODAY, force=False)
    refresh(path, today=TODAY, now=datetime(2026, 11, 20, 8, 30), letters=LetterRequest())
    wb = openpyxl.load_workbook(path)  # staff type over a computed cell, in another program
    ws = wb[schema.LEDGER]
    header = [c.value for c in ws[1]]
    level = header.index("督办等级") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, level).value)
    ws.cell(row, level).value = "已约谈"
    wb.save(path)
    return path


def keys(problems):
    return [(p.sheet, p.cell, p.message) for p in problems]


def test_check_and_dry_run_report_the_same_problems_after_a_staff_edit(edited_demo):
    checked = check_ledger(edited_demo, today=TODAY)
    dry = refresh(edited_demo, today=TODAY, dry_run=True)
    assert keys(checked.problems) == keys(dry.problems)
    assert any("“已约谈”已被刷新覆盖" in p.message for p in checked.problems)
    assert checked.status_counts == dry.outcome.status_counts()


def test_every_command_sees_the_same_levels_and_letters(edited_demo):
    evaluation = evaluate_readonly(edited_demo, TODAY)
    dry = refresh(edited_demo, today=TODAY, dry_run=True)
    assert evaluation.outcome.results == dry.outcome.results
    assert len(evaluation.letters) == len(dry.evaluation.letters) > 0
    report = notify(edited_demo, today=TODAY, now=datetime(2026, 11, 20, 9, 0), env={})
    reachable = {u.name for u in evaluation.ledger.units if u.emails}
    overdue = {
        unit
        for i, r in evaluation.pairs()
        if r.status == schema.Status.OVERDUE
        for unit in i.lead_units
        if unit in reachable
    }
    assert overdue and {o.unit for o in report.messages if o.unit in overdue} == overdue


def test_evaluation_never_creates_the_history(tmp_path):
    path = build_demo(tmp_path, seed=3, items=100, today=TODAY, force=False)
    # build_demo refreshes nothing by itself; a read-only evaluation leaves no .duban behind
    evaluate_readonly(path, TODAY)
    check_ledger(path, today=TODAY)
    assert not (tmp_path / ".duban").exists()
