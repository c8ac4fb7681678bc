"""落实情况汇总报告 upward (`duban report`): what a 关于…落实情况的报告 prints, chosen from the ledger.

Seed 004 has the 督查室 "及时进行汇总整理，经县政府领导审定后按时报市政府", and the units of
《政府工作报告》 tasks report on 4月10日、7月10日、10月10日、12月10日. For a chosen source — a
事项类别 (政府工作报告), a 来源依据 (县政府常务会议纪要〔2026〕5号, matched as part of the
cell), or a list of 编号 — and a reporting node (default: the next of those four dates), the
report holds:

- per item, each lead unit's latest progress, quoted exactly as typed: the later of its
  newest 进展记录 row (that unit's, or unnamed) and the ledger's own 最新进展 cell (the row's
  first lead unit), with its 完成进度 as typed (the ledger's when the 进展记录 row has none);
- the items counted 完成 (已办结, 逾期办结, 已销号), 滞后 (逾期, 进度滞后) or 推进中 (the
  rest), per lead unit and in total; 已取消/已调整/暂缓 are listed but not counted;
- the lead units that sent nothing after the previous node up to this one (a feedback dated
  in that window, from 进展记录 or the ledger's 最近反馈日期), for items open in the window.

The report is one Draft (type 落实情况报告), drafted and approved like any letter (review.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from automation import schema
from automation.errors import DubanError, UsageError
from automation.evaluate import Evaluation
from automation.ledger.normalize import clean
from automation.letters.selection import Draft, date_cn
from automation.models import Feedback, Item, ItemResult
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterType, Status

# Seed 004 (二)(二)2: the four reporting nodes of 《政府工作报告》 tasks, as (month, day).
NODES = ((4, 10), (7, 10), (10, 10), (12, 10))
DONE, ACTIVE, LAGGING = "完成", "推进中", "滞后"
_LAGGING = (Status.OVERDUE, Status.LAGGING)
_DIGITS = "零一二三四五六七八九"
NO_REPORT = "未报送进展情况"
NO_TEXT = "无进展情况说明"
NO_UNIT = "（责任单位未填写）"


@dataclass(frozen=True)
class ReportRequest:
    """Which items (a source: 事项类别 or 来源依据; or 编号), the node, the addressee, the subject."""

    source: str = ""
    ids: tuple[str, ...] = ()
    node: date | None = None
    to: str = ""
    subject: str = ""


def next_node(today: date) -> date:
    """Return the first seed-004 node on or after today (next year's first after 12月10日)."""
    for month, day in NODES:
        if date(today.year, month, day) >= today:
            return date(today.year, month, day)
    return date(today.year + 1, *NODES[0])


def previous_node(node: date) -> date:
    """Return the seed-004 node before ``node`` (a date that is no node: the one before it)."""
    earlier = [date(node.year, m, d) for m, d in NODES if date(node.year, m, d) < node]
    return earlier[-1] if earlier else date(node.year - 1, *NODES[-1])


def cn_number(n: int) -> str:
    """Write 1–99 in Chinese numerals (一, 十二, 二十), for （一）-style headings."""
    tens, ones = divmod(n, 10)
    if n < 10:
        return _DIGITS[n]
    return (_DIGITS[tens] if tens > 1 else "") + "十" + (_DIGITS[ones] if ones else "")


def subject_of(request: ReportRequest, year: int) -> str:
    """Return what the title reports on: 关于<subject>落实情况的报告."""
    if request.subject:
        return request.subject
    source = request.source.strip()
    if not source:
        return "有关督查事项"
    if clean(source) in schema.CATEGORIES:
        if source.endswith("报告"):
            return f"{year}年《{source}》重点工作"
        return f"{year}年{source}" + ("" if source.endswith("事") else "事项")
    return source


def choose_items(
    evaluation: Evaluation, request: ReportRequest
) -> list[list[tuple[Item, ItemResult]]]:
    """Return the chosen items, each as its rows (one item may span several unit rows)."""
    if not (request.source.strip() or request.ids):
        raise UsageError(
            "请指定报告哪些事项",
            "用 --source 写事项类别（如 政府工作报告）或来源依据，或用 --item 写事项编号",
        )
    wanted = {clean(i) for i in request.ids}
    source = clean(request.source)
    by_category = source in schema.CATEGORIES
    groups: dict[str, list[tuple[Item, ItemResult]]] = {}
    for item, result in evaluation.pairs():
        if wanted:
            chosen = clean(item.id) in wanted
        elif by_category:
            chosen = clean(item.category) == source
        else:
            chosen = source in clean(item.source)
        if chosen:
            groups.setdefault(clean(item.id), []).append((item, result))
    missing = sorted(wanted - set(groups))
    if missing:
        raise DubanError(f"台账中没有编号为 {'、'.join(missing)} 的事项", "请核对 --item 的编号")
    if not groups:
        what = "事项类别" if by_category else "来源依据包含"
        raise DubanError(
            f"台账中没有{what}“{request.source.strip()}”的事项",
            f"事项类别可写 {'、'.join(schema.CATEGORIES)}；来源依据写其中的一段文字即可",
        )
    return list(groups.values())


def _state(results: Sequence[ItemResult]) -> str:
    """Return 完成, 滞后, 推进中 for an item's rows, or "" when all are set aside (not counted)."""
    counted = [r for r in results if r.status not in schema.SET_ASIDE]
    if not counted:
        return ""
    if all(r.status in schema.DONE_STATUSES for r in counted):
        return DONE
    if any(r.status in _LAGGING for r in counted):
        return LAGGING
    return ACTIVE


def _state_text(state: str, results: Sequence[ItemResult]) -> str:
    if not state:
        return str(results[0].status)
    if state != LAGGING:
        return "已完成" if state == DONE else "正在推进"
    overdue = max((r.days_overdue or 0 for r in results if r.status == Status.OVERDUE), default=0)
    if overdue:
        return f"滞后（逾期{overdue}个工作日）"
    behind = max((-(r.deviation or 0) for r in results if r.status == Status.LAGGING), default=0)
    return f"滞后（进度落后序时进度{behind}个百分点）"


def _names(ledger) -> dict[str, str]:
    """Return every unit name and alias (cleaned) -> the unit's name, to read 进展记录's 责任单位."""
    names: dict[str, str] = {}
    for unit in ledger.units:
        for name in (unit.name, *unit.aliases):
            names.setdefault(clean(name), unit.name)
    return names


def _speaks_for(fb: Feedback, unit: str, names: dict[str, str]) -> bool:
    """Tell whether a 进展记录 row speaks for ``unit`` (a row naming no unit speaks for all)."""
    named = clean(fb.unit)
    return not named or names.get(named, named) == unit or named == clean(unit)


def _latest(item: Item, unit: str, log: Sequence[Feedback], today: date) -> dict | None:
    """Return a unit's latest progress on an item, quoted as typed (None: nothing reported).

    ``log`` holds the item's 进展记录 rows that speak for ``unit``.
    """
    rows = [fb for fb in log if fb.date <= today]
    newest = max(rows, key=lambda fb: (fb.date, fb.row), default=None)
    own = unit == item.unit and bool(item.latest_progress)
    cell_day = (
        item.last_feedback_on if item.last_feedback_on and item.last_feedback_on <= today else None
    )
    if own and (newest is None or (cell_day is not None and cell_day >= newest.date)):
        return {
            "unit": unit,
            "date": date_cn(cell_day),
            "progress": item.progress_text,
            "text": item.latest_progress,
        }
    if newest is None:
        return None
    return {
        "unit": unit,
        "date": date_cn(newest.date),
        "progress": newest.progress_text or (item.progress_text if unit == item.unit else ""),
        "text": newest.text,
    }


def _nothing(item: Item, unit: str) -> dict:
    """Say a unit reported no progress text (its 完成进度 as typed, when the ledger has one)."""
    progress = item.progress_text if unit == item.unit else ""
    return {
        "unit": unit,
        "date": "",
        "progress": progress,
        "text": NO_TEXT if progress else NO_REPORT,
    }


def _reported(item: Item, unit: str, log: Sequence[Feedback], after: date, by: date) -> bool:
    days = [fb.date for fb in log]
    if unit == item.unit and item.last_feedback_on:
        days.append(item.last_feedback_on)
    return any(after < d <= by for d in days)


def _due_to_report(item: Item, result: ItemResult, after: date, by: date) -> bool:
    """Tell whether an item was open in (after, by] and so owed a report at the node."""
    if result.status in schema.SET_ASIDE or (item.assigned_on and item.assigned_on > by):
        return False
    return not (result.status in schema.DONE_STATUSES and item.done_on and item.done_on <= after)


def report_draft(evaluation: Evaluation, request: ReportRequest) -> Draft:
    """Build the 落实情况报告 for the chosen items and node, as a Draft to draft or issue."""
    ledger, today = evaluation.ledger, evaluation.today
    node = request.node or next_node(today)
    due = WorkCalendar(ledger.calendar_overrides).roll_forward(node)  # 遇节假日顺延
    after = previous_node(node)
    groups = choose_items(evaluation, request)
    names = _names(ledger)
    log: dict[str, list[Feedback]] = {}
    for fb in ledger.feedback:
        log.setdefault(clean(fb.item_id), []).append(fb)
    sections: list[dict[str, object]] = []
    counts: dict[str, dict[str, int]] = {}  # unit -> state -> items
    missing: dict[str, list[str]] = {}  # unit -> 编号 of items without a report
    totals = {DONE: 0, ACTIVE: 0, LAGGING: 0}
    for n, rows in enumerate(groups, start=1):
        first = rows[0][0]
        entries = log.get(clean(first.id), [])
        state = _state([r for _, r in rows])
        units: list[str] = []
        reports = []
        for item, result in rows:
            for unit in item.lead_units or (item.unit_text or NO_UNIT,):
                if unit in units:
                    continue
                units.append(unit)
                own = [fb for fb in entries if _speaks_for(fb, unit, names)]
                reports.append(_latest(item, unit, own, today) or _nothing(item, unit))
                if _due_to_report(item, result, after, due) and not _reported(
                    item, unit, own, after, due
                ):
                    missing.setdefault(unit, []).append(first.ref)
                if state:
                    row = counts.setdefault(unit, {DONE: 0, ACTIVE: 0, LAGGING: 0})
                    row[state] += 1
        if state:
            totals[state] += 1
        deadline = first.effective_deadline
        sections.append(
            {
                "no": cn_number(n) if n < 100 else str(n),
                "id": first.ref,
                "content": first.content,
                "units": "、".join(units),
                "co_units": "、".join(dict.fromkeys(c for i, _ in rows for c in i.co_units)),
                "deadline": "长期" if first.ongoing else date_cn(deadline) or "未定",
                "state": _state_text(state, [r for _, r in rows]),
                "reports": reports,
            }
        )
    s = ledger.settings
    counted = sum(totals.values())
    return Draft(
        LetterType.REPORT,
        request.to.strip() or s.report_to,
        tuple(rows[0][0].id for rows in groups),
        {
            "office": s.office_name,
            "contact": s.contact,
            "phone": s.contact_phone,
            "date_cn": date_cn(today),
            "unit": request.to.strip() or s.report_to,
            "cc": "",
            "signer": "",  # 签发人: the 审定人, filled in when the approved report is issued
            "subject": subject_of(request, node.year),
            "as_of": date_cn(today),
            "node": date_cn(node),
            "node_passed": today >= due,
            "totals": {
                "total": counted,
                "done": totals[DONE],
                "active": totals[ACTIVE],
                "lagging": totals[LAGGING],
                "set_aside": len(groups) - counted,
            },
            "table": [
                {
                    "unit": u,
                    "total": sum(c.values()),
                    "done": c[DONE],
                    "active": c[ACTIVE],
                    "lagging": c[LAGGING],
                }
                for u, c in counts.items()
            ],  # fmt: skip
            "items": sections,
            "missing": [{"unit": u, "ids": "、".join(ids)} for u, ids in missing.items()],
        },
    )
