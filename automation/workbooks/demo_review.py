"""The demo's two days of 审定 (`duban demo`): drafts waiting in 发文登记, one approved and issued.

The demo ledger is refreshed as of the working day before ``today``, which drafts that day's
letters as 送审稿 (待审定); the 督查室主任 then approves one 催办函 (状态 已审定, 审定人,
审定日期, typed into 发文登记 as staff would, through the lossless writer); the refresh as
of ``today`` numbers and issues it and drafts today's new letters. So the demo shows every
state of the review flow (docs/letters.md 审定).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from automation import schema
from automation.ledger import reader
from automation.letters.issue import LetterRequest
from automation.models import CellWrite, Letter, WritePlan
from automation.refresh import RefreshReport, refresh
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterState, LetterType
from automation.xlsx import safety, xlsxpatch

REVIEWER = "李建国"  # 县政府办公室主任


def run_demo(path: Path, *, today: date) -> RefreshReport:
    """Refresh the demo yesterday and today, approving one 送审稿 in between; return today's report."""
    calendar = WorkCalendar(reader.read_ledger(path, today=today).calendar_overrides)
    yesterday = calendar.add_workdays(today, -1)
    refresh(path, today=yesterday, letters=LetterRequest(), progress=False)
    approved = approve_one(path, today=today)
    report = refresh(path, today=today, letters=LetterRequest(), progress=False)
    if approved is not None:
        report.notes.insert(
            0,
            f"演示：{yesterday.isoformat()} 生成的送审稿中，给{approved.unit}的{approved.type}"
            f"已由县政府办公室主任{REVIEWER}审定，今天编号发出；其余送审稿在“发文登记”中待审定",
        )
    return report


def approve_one(path: Path, *, today: date) -> Letter | None:
    """Mark one waiting 送审稿 (a 催办函 if any) 已审定 by REVIEWER today; return it."""
    ledger = reader.read_ledger(path, today=today)
    layout = ledger.layouts.get(schema.LETTER_LOG)
    waiting = [x for x in ledger.letters if x.state == LetterState.PENDING]
    if layout is None or not waiting:
        return None
    chosen = next((x for x in waiting if x.type == LetterType.REMINDER), waiting[0])
    values = {"state": LetterState.APPROVED.value, "reviewer": REVIEWER, "reviewed_on": today}
    plan = WritePlan(
        cells=[CellWrite(layout.name, chosen.row, layout.columns[k], v) for k, v in values.items()]
    )
    safety.write_atomically(
        path,
        safety.fingerprint(path),
        lambda tmp: xlsxpatch.apply_plan(path, plan, tmp),
        backups_kept=ledger.settings.backups_kept,
    )
    return chosen
