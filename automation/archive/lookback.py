"""回头看 (docs/rules.md §15), as pure functions of the ledger, its outcome and today.

- An item 已办结 or 已销号 whose 事项类别 is in 回头看类别 is **due** once 回头看间隔 (or its
  category's own number) working days have passed since its 办结日期, until a 巩固 is recorded.
- A 回头看记录 row counts only if dated on or after the item's 办结日期 (an earlier one belongs
  to an earlier completion) and on or before today; the latest such row decides.
- 反弹 reopens the item: 计算状态 回头看反弹, red, in every list, mail and the dashboard, while
  what staff typed in 办理状态 stays as it is. A new 办结日期 after the 反弹, or a later 巩固,
  closes it again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from automation import schema
from automation.archive.accountability import distinct, nth_workday_after
from automation.models import GeneratedSheet, Item, ItemResult, Ledger, Lookback, Outcome, Problem
from automation.rules.status import LIGHT_OF
from automation.rules.workdays import WorkCalendar
from automation.schema import DONE_STATUSES, Status, Verdict
from automation.settings import Settings
from automation.xlsx.cellxml import column_letters as get_column_letter

DATE = "yyyy-mm-dd"


@dataclass(frozen=True)
class Due:
    """An item due for 回头看: when it fell due, how many working days ago, its last look."""

    item: Item
    result: ItemResult
    due_on: date
    waiting: int  # working days since due_on
    last: Lookback | None = None


def intervals(settings: Settings) -> dict[str, int]:
    """Return 事项类别 -> working days after 办结 for every category looked back at."""
    return {c: days or settings.lookback_days for c, days in settings.lookback_categories}


def records_by_item(lookbacks: Iterable[Lookback], today: date) -> dict[str, list[Lookback]]:
    """Group the 回头看记录 rows dated on or before today by 编号, oldest first."""
    found: dict[str, list[Lookback]] = defaultdict(list)
    for record in sorted(lookbacks, key=lambda r: (r.date, r.row)):
        if record.date <= today:
            found[record.item_id].append(record)
    return found


def latest(item: Item, records: dict[str, list[Lookback]]) -> Lookback | None:
    """Return the latest record of this completion of the item (dated on or after 办结日期)."""
    valid = [
        r for r in records.get(item.id.strip(), ()) if not item.done_on or r.date >= item.done_on
    ]
    return valid[-1] if valid else None


def apply_rebounds(ledger: Ledger, outcome: Outcome) -> list[Problem]:
    """Reopen every finished item whose latest 回头看 found a 反弹; report records of unknown 编号."""
    records = records_by_item(ledger.lookbacks, outcome.today)
    for i, (item, result) in enumerate(zip(ledger.items, outcome.results, strict=True)):
        if result.status not in DONE_STATUSES:
            continue
        last = latest(item, records)
        if last is not None and last.verdict == Verdict.REBOUND:
            outcome.results[i] = ItemResult(
                item.id,
                item.row,
                LIGHT_OF[Status.REBOUND],
                Status.REBOUND,
                reminder_count=result.reminder_count,
                deadline=result.deadline,
                sheet=result.sheet,
            )
    return _unknown_ids(ledger)


def _unknown_ids(ledger: Ledger) -> list[Problem]:
    known = {item.id.strip() for item in ledger.items}
    layout = ledger.layouts.get(schema.LOOKBACK_LOG)
    problems = []
    for record in ledger.lookbacks:
        if record.item_id in known:
            continue
        cell = ""
        if layout is not None and "item_id" in layout.columns:
            cell = f"{get_column_letter(layout.columns['item_id'])}{record.row}"
        problems.append(
            Problem(
                layout.name if layout else schema.LOOKBACK_LOG,
                cell,
                f"回头看记录中的编号“{record.item_id}”在督办事项中找不到，本行未计入",
                "请核对编号，应与督办事项的编号一致",
            )
        )
    return problems


def due(ledger: Ledger, outcome: Outcome, cal: WorkCalendar) -> list[Due]:
    """Return the items due for 回头看 today, longest waiting first."""
    today = outcome.today
    after = intervals(ledger.settings)
    records = records_by_item(ledger.lookbacks, today)
    finished = (
        (item, result)
        for item, result in zip(ledger.items, outcome.results, strict=True)
        if result.status in DONE_STATUSES and item.category in after and item.done_on is not None
    )
    found = []
    for item, result in distinct(finished):
        days = after[item.category]
        assert item.done_on is not None  # filtered above
        if item.done_on > today or cal.workdays_after(item.done_on, today) < days:
            continue
        last = latest(item, records)
        if last is not None and last.verdict == Verdict.HOLDS:
            continue
        due_on = nth_workday_after(cal, item.done_on, days)
        found.append(Due(item, result, due_on, cal.workdays_after(due_on, today), last))
    found.sort(key=lambda d: (d.due_on, d.item.id))
    return found


def rebounds(ledger: Ledger, outcome: Outcome) -> list[tuple[Item, Lookback | None]]:
    """Return the items reopened by a 反弹, with the record that reopened them."""
    records = records_by_item(ledger.lookbacks, outcome.today)
    reopened = (
        (item, result)
        for item, result in zip(ledger.items, outcome.results, strict=True)
        if result.status == Status.REBOUND
    )
    return [(item, latest(item, records)) for item, _ in distinct(reopened)]


def lookback_sheet(
    ledger: Ledger, outcome: Outcome, cal: WorkCalendar, found: list[Due] | None = None
) -> GeneratedSheet:
    """Build 回头看清单: the items due (``due`` unless given), then the items a 反弹 reopened."""
    plan = intervals(ledger.settings)
    what = "、".join(
        c if d == ledger.settings.lookback_days else f"{c}（{d}个工作日）" for c, d in plan.items()
    )
    rows: list[list[object]] = [
        ["编号", "事项内容", "事项类别", "责任单位", "督办人", "办结日期", "应回头看日期",
         "已超过工作日", "计算状态", "上次回头看"],
    ]  # fmt: skip
    headers = [0]
    found = due(ledger, outcome, cal) if found is None else found
    for d in found:
        item = d.item
        last = f"{d.last.date.isoformat()} {d.last.verdict}" if d.last else ""
        rows.append([item.id, item.content, item.category, item.unit or item.unit_text,
                     item.owner, item.done_on, d.due_on, d.waiting, str(d.result.status), last])  # fmt: skip
    if not found:
        rows.append(["", f"当前没有到期应回头看的事项（回头看类别：{what or '无'}；"
                         f"办结满{ledger.settings.lookback_days}个工作日后列入）"])  # fmt: skip
    reopened = rebounds(ledger, outcome)
    rows.append([])
    headers.append(len(rows))
    # Its own first header (not 编号 again), so notes beside each block follow the right rows.
    rows.append(["反弹事项编号", "事项内容", "事项类别", "责任单位", "督办人", "办结日期",
                 "反弹登记日期", "", "计算状态", "回头看说明"])  # fmt: skip
    for item, record in reopened:
        rows.append([item.id, item.content, item.category, item.unit or item.unit_text,
                     item.owner, item.done_on, record.date if record else None, None,
                     str(Status.REBOUND), record.note if record else ""])  # fmt: skip
    if not reopened:
        rows.append(["", "没有回头看反弹的事项"])
    rows.append([])
    rows.append(["", "回头看后请在“回头看记录”表登记一行：编号、日期、结论（巩固 或 反弹）、说明。"
                     "巩固的事项不再列入本表；反弹的事项重新督办（计算状态“回头看反弹”，红灯）。"])  # fmt: skip
    widths = (14, 40, 10, 16, 8, 12, 12, 10, 10, 30)
    return GeneratedSheet(schema.LOOKBACK_LIST, rows, tuple(headers), widths, {5: DATE, 6: DATE})
