"""督办人 accountability (docs/rules.md §14), as pure functions: 差错 found today, the log, workload.

A 差错 is one of two things that went wrong with an item a 督办人 owns (资料 000: "凡负责督办的
事项不能按期办结销号的，将会作为差错登记"):

- 逾期未办结: today is past the effective deadline (延期至, else 办结时限) and the item is
  neither 办结 nor extended; its key is (编号, 逾期未办结, the deadline missed);
- 未跟进: an item in hand with no 进展记录, letter, reply or 回头看 for 未跟进提醒工作日
  working days since its last one (or its 交办日期); key (编号, 未跟进, the last follow-up).

``reconcile`` turns today's 差错 into the log: a key not logged yet becomes an entry (once);
an open entry whose key is gone today is marked 已纠正 with the date and how. Entries are
never removed.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import NamedTuple

from automation import schema
from automation.models import GeneratedSheet, Item, ItemResult, Ledger, Letter
from automation.rules.workdays import WorkCalendar
from automation.schema import DONE_STATUSES, OPEN_STATUSES, SET_ASIDE, ErrorKind, Status

BLANK_OWNER = "（未填写）"
DATE = "yyyy-mm-dd"
OPEN_ENTRY, CORRECTED = "未纠正", "已纠正"


@dataclass(frozen=True)
class ErrorEntry:
    """One row of 差错登记."""

    item_id: str
    kind: ErrorKind
    basis: date  # the deadline missed, or the last follow-up before the gap
    owner: str
    occurred_on: date
    recorded_on: date
    content: str = ""
    unit: str = ""
    detail: str = ""
    corrected_on: date | None = None
    correction: str = ""

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.item_id, str(self.kind), self.basis)


def date_cn(d: date) -> str:
    """Write a date as 2026年3月5日."""
    return f"{d.year}年{d.month}月{d.day}日"


def nth_workday_after(cal: WorkCalendar, start: date, n: int) -> date:
    """Return the n-th working day after start (n >= 1), by bisection on the day counts.

    ``WorkCalendar.add_workdays`` steps day by day; a 50 000-item ledger asks this for every
    item not followed up, so the counts (constant time each) are searched instead.
    """
    low, high = start, start + timedelta(days=2 * n + 14)
    while cal.workdays_after(start, high) < n:
        low, high = high, high + timedelta(days=2 * n + 14)
    while (high - low).days > 1:  # workdays_after(start, low) < n <= workdays_after(start, high)
        middle = low + timedelta(days=(high - low).days // 2)
        if cal.workdays_after(start, middle) < n:
            low = middle
        else:
            high = middle
    return high


def week_of(day: date) -> tuple[date, date]:
    """Return the Monday and Sunday of the week holding day."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def distinct(pairs: Iterable[tuple[Item, ItemResult]]) -> list[tuple[Item, ItemResult]]:
    """Return one (item, result) per item: an item over several unit rows counts once here."""
    seen: set[object] = set()
    out = []
    for item, result in pairs:
        key = item.part_of or (item.sheet, item.row)
        if key not in seen:
            seen.add(key)
            out.append((item, result))
    return out


# --- what is wrong today -------------------------------------------------------------------


def follow_ups(ledger: Ledger, letters: Iterable[Letter], today: date) -> dict[str, date]:
    """Return 编号 -> the latest 进展记录, issued letter or 回头看 about it, on or before today."""
    latest: dict[str, date] = {}

    def seen(item_id: str, day: date) -> None:
        if day <= today and day > latest.get(item_id, date.min):
            latest[item_id] = day

    for feedback in ledger.feedback:
        seen(feedback.item_id.strip(), feedback.date)
    for letter in letters:
        if letter.issued:  # a 送审稿 is not sent yet
            for item_id in letter.item_ids:
                seen(item_id.strip(), letter.date)
    for record in ledger.lookbacks:
        seen(record.item_id, record.date)
    return latest


def last_follow_up(item: Item, follow: Mapping[str, date], today: date) -> date | None:
    """Return the item's last follow-up: its 交办日期, 最近反馈日期 or a dated record, whichever is latest."""
    days = [
        d
        for d in (item.assigned_on, item.last_feedback_on, follow.get(item.id.strip()))
        if d is not None and d <= today
    ]
    return max(days) if days else None


class Found(NamedTuple):
    """A 差错 as it stands today: the item, its kind, its basis and the day it occurred."""

    item: Item
    kind: ErrorKind
    basis: date
    occurred_on: date

    @property
    def key(self) -> tuple[str, str, date]:
        return (self.item.id.strip(), str(self.kind), self.basis)

    def entry(self, today: date, unfollowed_days: int) -> ErrorEntry:
        """Return the 差错登记 entry for it, logged today."""
        item, basis = self.item, self.basis
        if self.kind == ErrorKind.OVERDUE:
            what = "延期至" if item.extended_to else "办结时限"
            detail = f"{what}{date_cn(basis)}已过，仍未办结，也未延期"
        else:
            detail = (
                f"自{date_cn(basis)}起连续{unfollowed_days}个工作日没有进展记录、文书、反馈或回头看"
            )
        return ErrorEntry(item.id.strip(), self.kind, basis, item.owner, self.occurred_on, today,
                          item.content, item.unit or item.unit_text, detail)  # fmt: skip


def found_today(
    pairs: Sequence[tuple[Item, ItemResult]],
    follow: Mapping[str, date],
    cal: WorkCalendar,
    today: date,
    unfollowed_days: int,
) -> dict[tuple[str, str, date], Found]:
    """Return every 差错 as it stands today, by key (owned or not: an owner may be filled in later)."""
    found: dict[tuple[str, str, date], Found] = {}
    gaps: dict[date, date | None] = {}  # last follow-up -> the day it became a 差错 (None: not yet)
    for item, result in pairs:
        item_id = item.id.strip()
        if result.status not in OPEN_STATUSES or not item_id:
            continue
        deadline = item.effective_deadline
        if result.status == Status.OVERDUE and deadline is not None:
            key = (item_id, str(ErrorKind.OVERDUE), deadline)
            found.setdefault(
                key, Found(item, ErrorKind.OVERDUE, deadline, deadline + timedelta(days=1))
            )
        last = last_follow_up(item, follow, today)
        if last is None:
            continue
        if last not in gaps:  # many items share a date: each is worked out once
            late = cal.workdays_after(last, today) >= unfollowed_days
            gaps[last] = nth_workday_after(cal, last, unfollowed_days) if late else None
        if gaps[last] is not None:
            key = (item_id, str(ErrorKind.UNFOLLOWED), last)
            found.setdefault(key, Found(item, ErrorKind.UNFOLLOWED, last, gaps[last]))  # type: ignore[arg-type]
    return found


# --- the log -------------------------------------------------------------------------------


@dataclass
class Reconciled:
    """The log as of today: what to add, what to mark 已纠正, and every entry to show."""

    new: list[ErrorEntry]
    corrected: list[ErrorEntry]
    shown: list[ErrorEntry]


def reconcile(
    logged: Iterable[ErrorEntry],
    today_found: Mapping[tuple[str, str, date], Found],
    pairs: Sequence[tuple[Item, ItemResult]],
    follow: Mapping[str, date],
    today: date,
    unfollowed_days: int,
) -> Reconciled:
    """Add today's new 差错 of owned items once; mark the logged ones gone today 已纠正."""
    by_id: dict[str, tuple[Item, ItemResult]] = {}
    for item, result in pairs:
        by_id.setdefault(item.id.strip(), (item, result))
    logged = [e for e in logged if e.recorded_on <= today]  # a recompute of an earlier day
    keys = {e.key for e in logged}
    new = [
        f.entry(today, unfollowed_days)
        for k, f in today_found.items()
        if k not in keys and f.item.owner
    ]
    corrected, shown = [], []
    for entry in logged:
        if entry.corrected_on is None and entry.key not in today_found:
            day, how = _correction(entry, by_id.get(entry.item_id), follow, today)
            entry = replace(entry, corrected_on=day, correction=how)
            corrected.append(entry)
        elif entry.corrected_on is not None and entry.corrected_on > today:
            entry = replace(entry, corrected_on=None, correction="")
        shown.append(entry)
    shown.extend(new)
    shown.sort(key=lambda e: (e.recorded_on, e.occurred_on, e.item_id, str(e.kind)))
    return Reconciled(new, corrected, shown)


def _correction(
    entry: ErrorEntry,
    found: tuple[Item, ItemResult] | None,
    follow: Mapping[str, date],
    today: date,
) -> tuple[date, str]:
    """Return when and how a logged 差错 was put right (the event's date when known, else today)."""

    def on(day: date | None) -> date:
        return day if day is not None and entry.occurred_on <= day <= today else today

    if found is None:
        return today, "台账中已无此事项"
    item, result = found
    if result.status in DONE_STATUSES:
        return on(item.done_on), f"已办结（{result.status}）"
    if result.status in SET_ASIDE:
        return today, f"已{result.status}" if result.status != Status.SUSPENDED else "已暂缓"
    if entry.kind == ErrorKind.OVERDUE:
        deadline = item.effective_deadline
        if item.extended_to is not None and deadline and deadline > entry.basis:
            return today, f"已延期至{date_cn(deadline)}"
        if deadline and deadline != entry.basis:
            return today, f"办结时限已改为{date_cn(deadline)}"
        return today, "已不再逾期"
    latest = last_follow_up(item, follow, today)
    if latest is not None and latest > entry.basis:
        return on(latest), f"已跟进（{date_cn(latest)}）"
    return today, "已不再未跟进"


# --- sheets --------------------------------------------------------------------------------


WORKLOAD_COUNTED = (Status.OVERDUE, Status.DUE_SOON, Status.FEEDBACK_LATE, Status.REBOUND)


def workload_rows(
    pairs: Sequence[tuple[Item, ItemResult]],
    shown: Sequence[ErrorEntry],
    unfollowed: set[str],
    today: date,
) -> list[dict[str, object]]:
    """Return one row per 督办人 (and 合计): items in hand by status, 未跟进, 差错 this week and open."""
    monday, _ = week_of(today)
    rows: dict[str, Counter] = defaultdict(Counter)
    for item, result in distinct(p for p in pairs if p[1].status in OPEN_STATUSES):
        counts = rows[item.owner or BLANK_OWNER]
        counts["在办"] += 1
        if result.status in WORKLOAD_COUNTED:
            counts[str(result.status)] += 1
        if item.id.strip() in unfollowed:
            counts["未跟进"] += 1
    for entry in shown:
        counts = rows[entry.owner or BLANK_OWNER]
        counts["累计差错"] += 1
        counts["本周差错"] += monday <= entry.recorded_on <= today
        counts["未纠正差错"] += entry.corrected_on is None
    order = sorted(
        rows,
        key=lambda o: (o == BLANK_OWNER, -rows[o]["未纠正差错"], -rows[o]["在办"], o),
    )
    total: Counter = Counter()
    out = []
    for owner in order:
        total.update(rows[owner])
        out.append({"督办人": owner, **{k: rows[owner][k] for k in workload_keys()}})
    out.append({"督办人": "合计", **{k: total[k] for k in workload_keys()}})
    return out


def workload_keys() -> tuple[str, ...]:
    """Return the counted columns of 督办人工作量, in order."""
    return ("在办", *map(str, WORKLOAD_COUNTED), "未跟进", "本周差错", "未纠正差错", "累计差错")


def workload_sheet(rows: Sequence[Mapping[str, object]], unfollowed_days: int) -> GeneratedSheet:
    """Build 督办人工作量 from ``workload_rows``."""
    header = ["督办人", *workload_keys()]
    header[header.index("未跟进")] = f"未跟进（{unfollowed_days}个工作日以上）"
    grid: list[list[object]] = [list(header)]
    grid.extend([row["督办人"], *(row[k] for k in workload_keys())] for row in rows)
    grid.append([])
    grid.append(["说明：在办＝计算状态为在办的事项；未跟进＝连续多个工作日没有进展记录、文书、反馈或回头看；"
                 "差错见“差错登记”表（本周＝本周一至今天登记的）。"])  # fmt: skip
    widths = (12, *(10 for _ in workload_keys()))
    return GeneratedSheet(schema.WORKLOAD, grid, (0,), widths)


def error_sheet(shown: Sequence[ErrorEntry]) -> GeneratedSheet:
    """Build 差错登记: every entry ever logged, oldest first, with its state."""
    header = ["序号", "登记日期", "督办人", "编号", "事项内容", "责任单位", "差错类型", "发生日期",
              "情况说明", "状态", "纠正日期", "纠正情况"]  # fmt: skip
    grid: list[list[object]] = [list(header)]
    for n, e in enumerate(shown, start=1):
        grid.append([n, e.recorded_on, e.owner, e.item_id, e.content, e.unit, str(e.kind),
                     e.occurred_on, e.detail, CORRECTED if e.corrected_on else OPEN_ENTRY,
                     e.corrected_on, e.correction])  # fmt: skip
    if not shown:
        grid.append(["", "", "", "", "暂无差错登记"])
    widths = (6, 12, 8, 14, 36, 16, 10, 12, 40, 8, 12, 24)
    return GeneratedSheet(schema.ERROR_LOG, grid, (0,), widths, {1: DATE, 7: DATE, 10: DATE})
