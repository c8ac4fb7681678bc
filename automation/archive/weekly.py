"""The 周例会通报 (docs/rules.md §14.4): each 督办人's 差错 of the week, as a GB/T 9704 .docx.

资料 000: "凡负责督办的事项不能按期办结销号的，将会作为差错登记，系统予以提醒、周例会通报". It is
written on the last working day of the week by a run that issues letters (the daily job,
``duban letters``), and whenever asked (``duban weekly``). It is an internal paper of the
督查室: no 文号, the week ("2026年第41周") is printed in its place.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from automation import paths
from automation.archive.accountability import ErrorEntry, date_cn, distinct, week_of
from automation.letters import docx_render
from automation.models import Item, ItemResult
from automation.rules.workdays import WorkCalendar
from automation.schema import OPEN_STATUSES, ErrorKind
from automation.settings import Settings

TITLE = "周例会通报"
TEMPLATE = f"{TITLE}.docx"


def week_label(day: date) -> str:
    """Return the ISO week of day as printed: 2026年第41周."""
    year, week, _ = day.isocalendar()
    return f"{year}年第{week}周"


def is_last_workday_of_week(day: date, cal: WorkCalendar) -> bool:
    """Tell whether day is a working day and no later day of its week is one (调休 Saturdays count)."""
    _, sunday = week_of(day)
    later = (day + timedelta(days=n) for n in range(1, (sunday - day).days + 1))
    return cal.is_workday(day) and not any(cal.is_workday(d) for d in later)


def context(
    shown: Sequence[ErrorEntry],
    pairs: Sequence[tuple[Item, ItemResult]],
    settings: Settings,
    today: date,
) -> dict:
    """Return what the template prints: the week, one row per 督办人, this week's entries."""
    monday, sunday = week_of(today)
    this_week = [e for e in shown if monday <= e.recorded_on <= today]
    fixed_this_week = [e for e in shown if e.corrected_on and monday <= e.corrected_on <= today]
    in_hand = Counter(
        item.owner for item, result in distinct(pairs) if result.status in OPEN_STATUSES
    )
    owners = {o for o in in_hand if o} | {e.owner for e in shown if e.owner}
    rows: list[dict[str, Any]] = []
    for owner in owners:
        new = [e for e in this_week if e.owner == owner]
        rows.append(
            {
                "owner": owner,
                "in_hand": in_hand.get(owner, 0),
                "new": len(new),
                "overdue": sum(e.kind == ErrorKind.OVERDUE for e in new),
                "unfollowed": sum(e.kind == ErrorKind.UNFOLLOWED for e in new),
                "corrected": sum(e.owner == owner for e in fixed_this_week),
                "open": sum(e.owner == owner and e.corrected_on is None for e in shown),
            }
        )
    rows.sort(key=lambda r: (-r["new"], -r["open"], r["owner"]))
    for n, row in enumerate(rows, start=1):
        row["no"] = n
    entries = [
        {
            "no": n,
            "owner": e.owner,
            "id": e.item_id,
            "content": e.content,
            "kind": str(e.kind),
            "occurred": e.occurred_on.isoformat(),  # fits the table's column on one line
            "state": f"已纠正（{e.correction}）" if e.corrected_on else "未纠正",
        }
        for n, e in enumerate(
            sorted(this_week, key=lambda e: (e.owner, e.occurred_on, e.item_id)), 1
        )
    ]
    return {
        "office": settings.office_name,
        "doc_no": week_label(today),
        "week": f"{date_cn(monday)}至{date_cn(min(sunday, today))}",
        "date_cn": date_cn(today),
        "contact": settings.contact,
        "phone": settings.contact_phone,
        "cc": "",
        "unfollowed_days": settings.unfollowed_days,
        "totals": {
            "new": len(this_week),
            "overdue": sum(e.kind == ErrorKind.OVERDUE for e in this_week),
            "unfollowed": sum(e.kind == ErrorKind.UNFOLLOWED for e in this_week),
            "corrected": len(fixed_this_week),
            "open": sum(e.corrected_on is None for e in shown),
        },
        "owners": rows,
        "entries": entries,
    }


def target_for(ledger_path: Path, today: date, *, again: bool) -> Path | None:
    """Return where this week's 通报 goes; None when one is there already and not asked again."""
    folder = paths.day_folder(ledger_path, today, TITLE)
    target = folder / f"{TITLE}（{week_label(today)}）.docx"
    if not target.exists():
        return target
    if not again:
        return None
    n = 2
    while target.exists():
        target = folder / f"{TITLE}（{week_label(today)}）（{n}）.docx"
        n += 1
    return target


def write(ledger_path: Path, target: Path, values: dict) -> Path:
    """Render the 周例会通报 template (the office's copy in 模板/ wins) and write it."""
    template = docx_render.LetterTemplate(docx_render.find_template(TEMPLATE, Path(ledger_path)))
    docx_render.write_letter(target, template.render(values))
    return target
