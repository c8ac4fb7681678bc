"""Which letters to issue today: a pure choice from the ledger, the outcome and the letters issued.

Each choice is a ``Draft`` — type, addressee, the items it names and the values the
template prints — without a 文号; numbering, rendering and registering happen at the edge
(docnumber, docx_render, refresh). Rules, where the spec leaves room:

- 督办通知单 (one per new item): an active item (not done, closed or set aside) with a
  known 责任单位, 交办日期 on or before today and at most ``NEW_ITEM_WORKDAYS`` working days
  ago, and no 督办通知单 naming it yet. So the first refresh of a legacy ledger with 300
  old items issues notices only for the items assigned in the last week, not 300.
- 催办函 (one per unit): the unit's 逾期 items at level 催办 or above that have had no
  催办函 in the last ``REMIND_EVERY_WORKDAYS`` working days. A unit that already got a
  催办函 today gets no second one, so a rerun the same day issues nothing new.
- 限期整改通知书 (one per unit): its 逾期 items at level 限期整改 or above with no
  限期整改通知书 in the last ``RECTIFY_WORKDAYS`` working days (the new deadline the
  previous one set); the new deadline is today + ``RECTIFY_WORKDAYS`` working days.
- 督查通报 (one per scoring period): issued when asked for by type, or by itself on the
  period's last working day if none was issued in the period yet. Praise goes to the
  ``praise_top`` best-ranked units (ties included) among those that lead items and have
  none overdue; criticism to units leading an item at 红牌 or scoring below
  ``criticise_below``. Counts in the reasons are whole lead items; the ranking table shows
  the scoring's weighted counts (a 配合单位 counts half).

Only letters dated on or before today count as issued.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from automation import schema
from automation.models import Item, ItemResult, Ledger, Letter, Outcome, UnitScore
from automation.rules.scoring import (
    LATE_FEEDBACK,
    LEAD_ITEMS,
    PERIOD_WORDS,
    RED,
    REMINDER,
    YELLOW,
    period_containing,
)
from automation.rules.scoring import OVERDUE as OVERDUE_RULE
from automation.rules.workdays import WorkCalendar
from automation.schema import Level, Light, Status

NOTICE, REMINDER_LETTER, RECTIFY, BULLETIN = schema.LETTER_TYPES
DONE_LATE, FEEDBACK_LATE, OVERDUE = Status.DONE_LATE, Status.FEEDBACK_LATE, Status.OVERDUE
NEW_ITEM_WORKDAYS = 5
REMIND_EVERY_WORKDAYS = 5
RECTIFY_WORKDAYS = 5
RECEIPT_WORKDAYS = 2
REPLY_WORKDAYS = 3
ALL_UNITS = "各责任单位"

_LEVEL_RANK = {level: i for i, level in enumerate(Level)}
_INACTIVE_LIGHTS = (Light.GREY, Light.BLUE)


@dataclass(frozen=True)
class Draft:
    """A letter to issue: its type, addressee, the items it names and what the template prints."""

    type: str
    unit: str
    item_ids: tuple[str, ...]
    context: dict = field(default_factory=dict, hash=False, compare=False)


def date_cn(d: date | None) -> str:
    """Write a date as 公文 do, in Arabic numerals: 2026年3月5日 (blank for None)."""
    return f"{d.year}年{d.month}月{d.day}日" if d else ""


def select(
    ledger: Ledger,
    outcome: Outcome,
    issued: Sequence[Letter],
    today: date,
    *,
    types: Sequence[str] | None = None,
    unit: str | None = None,
) -> list[Draft]:
    """Choose today's letters: all due ones, or only ``types`` (and only ``unit``'s) when given."""
    cal = WorkCalendar(ledger.calendar_overrides)
    issued = [letter for letter in issued if letter.date <= today]
    wanted = tuple(types) if types else (NOTICE, REMINDER_LETTER, RECTIFY, BULLETIN)
    drafts: list[Draft] = []
    if NOTICE in wanted:
        drafts += notices(ledger, outcome, issued, today, cal)
    if REMINDER_LETTER in wanted:
        drafts += reminders(ledger, outcome, issued, today, cal)
    if RECTIFY in wanted:
        drafts += rectifications(ledger, outcome, issued, today, cal)
    if BULLETIN in wanted and not unit:
        asked = types is not None and BULLETIN in types
        drafts += bulletins(ledger, outcome, issued, today, cal, asked=asked)
    if unit:
        drafts = [d for d in drafts if d.unit == unit]
    return drafts


def _common(ledger: Ledger, today: date) -> dict:
    s = ledger.settings
    return {
        "office": s.office_name,
        "contact": s.contact,
        "phone": s.contact_phone,
        "date_cn": date_cn(today),
    }


def _pairs(ledger: Ledger, outcome: Outcome) -> list[tuple[Item, ItemResult]]:
    return list(zip(ledger.items, outcome.results, strict=True))


def _last_letter(issued: Iterable[Letter], letter_type: str) -> dict[str, dict[str, date]]:
    """Return item id -> unit -> date of the latest letter of a type naming it.

    Kept per unit: the parts of one item over several unit rows share a 编号, and a letter to
    one unit must not hold back the letter due to another (docs/rules.md §3.7).
    """
    last: dict[str, dict[str, date]] = defaultdict(dict)
    for letter in issued:
        if letter.type == letter_type:
            for item_id in letter.item_ids:
                units = last[item_id.strip()]
                units[letter.unit] = max(units.get(letter.unit, letter.date), letter.date)
    return last


def _named(last: dict[str, dict[str, date]], item: Item) -> date | None:
    """Return when a letter last named this item (for a part: to its unit, or to all units)."""
    units = last.get(item.id.strip())
    if not units:
        return None
    if item.part_of is None:
        return max(units.values())
    return max((d for u, d in units.items() if u in (item.unit, ALL_UNITS, "")), default=None)


def _leaders(items: Iterable[Item]) -> str:
    names = list(dict.fromkeys(i.leader for i in items if i.leader))
    return "、".join(names) + "同志" if names else ""


def notices(
    ledger: Ledger, outcome: Outcome, issued: Sequence[Letter], today: date, cal: WorkCalendar
) -> list[Draft]:
    """One 督办通知单 per new item (see the module docstring for "new")."""
    noticed = _last_letter(issued, NOTICE)
    common = _common(ledger, today)
    drafts = []
    for item, result in _pairs(ledger, outcome):
        assigned = item.assigned_on
        if (
            result.light in _INACTIVE_LIGHTS
            or not item.unit
            or assigned is None
            or assigned > today
            or cal.workdays_after(assigned, today) > NEW_ITEM_WORKDAYS
            or _named(noticed, item) is not None
        ):
            continue
        deadline = (
            "长期（按反馈周期报送进展）" if item.ongoing else date_cn(item.effective_deadline)
        )
        context = {
            **common,
            "unit": item.unit,
            "cc": "、".join(item.co_units),
            "receipt_by": date_cn(cal.add_workdays(today, RECEIPT_WORKDAYS)),
            "item": {
                "id": item.id,
                "category": item.category,
                "source": item.source or "县政府工作部署",
                "content": item.content,
                "requirement": item.requirement,
                "leader": item.leader,
                "co_units": "、".join(item.co_units) or "无",
                "assigned_on": date_cn(assigned),
                "deadline": deadline,
                "cadence": item.cadence_text or "办结后及时报送办理结果",
            },
        }
        drafts.append(Draft(NOTICE, item.unit, (item.id,), context))
    return drafts


def _overdue_by_unit(
    ledger: Ledger,
    outcome: Outcome,
    issued: Sequence[Letter],
    today: date,
    cal: WorkCalendar,
    *,
    letter_type: str,
    min_level: Level,
    every: int,
) -> dict[str, list[tuple[Item, ItemResult]]]:
    """Group the overdue items at min_level or above, not named by letter_type in the last ``every`` working days."""
    last = _last_letter(issued, letter_type)
    since = cal.add_workdays(today, -every)
    groups: dict[str, list[tuple[Item, ItemResult]]] = defaultdict(list)
    for item, result in _pairs(ledger, outcome):
        if result.status != OVERDUE or not item.unit:
            continue
        if _LEVEL_RANK.get(result.level, 0) < _LEVEL_RANK[min_level]:
            continue
        previous = _named(last, item)
        if previous is not None and previous > since:
            continue
        groups[item.unit].append((item, result))
    return groups


def _row(no: int, item: Item, result: ItemResult) -> dict:
    return {
        "no": no,
        "id": item.ref,
        "content": item.content,
        "deadline": date_cn(item.effective_deadline),
        "days_overdue": result.days_overdue or 0,
        "prior_reminders": result.reminder_count,
        "level": result.level,
    }


def reminders(
    ledger: Ledger, outcome: Outcome, issued: Sequence[Letter], today: date, cal: WorkCalendar
) -> list[Draft]:
    """One 催办函 per unit listing its overdue items due a reminder."""
    sent_today = {
        letter.unit for letter in issued if letter.type == REMINDER_LETTER and letter.date == today
    }
    groups = _overdue_by_unit(
        ledger,
        outcome,
        issued,
        today,
        cal,
        letter_type=REMINDER_LETTER,
        min_level=Level.URGE,
        every=REMIND_EVERY_WORKDAYS,
    )
    common = _common(ledger, today)
    reply_by = date_cn(cal.add_workdays(today, REPLY_WORKDAYS))
    return [
        _unit_letter(REMINDER_LETTER, unit, groups[unit], common, reply_by=reply_by)
        for unit in _unit_order(ledger, groups)
        if unit not in sent_today
    ]


def rectifications(
    ledger: Ledger, outcome: Outcome, issued: Sequence[Letter], today: date, cal: WorkCalendar
) -> list[Draft]:
    """One 限期整改通知书 per unit listing its items at 限期整改 or above, with a new deadline."""
    groups = _overdue_by_unit(
        ledger,
        outcome,
        issued,
        today,
        cal,
        letter_type=RECTIFY,
        min_level=Level.RECTIFY,
        every=RECTIFY_WORKDAYS,
    )
    common = _common(ledger, today)
    new_deadline = date_cn(cal.add_workdays(today, RECTIFY_WORKDAYS))
    return [
        _unit_letter(RECTIFY, unit, groups[unit], common, new_deadline=new_deadline)
        for unit in _unit_order(ledger, groups)
    ]


def _unit_letter(
    letter_type: str,
    unit: str,
    pairs: list[tuple[Item, ItemResult]],
    common: dict[str, object],
    **fields: object,
) -> Draft:
    """Return a letter to one unit listing its items, copied to their leaders, with ``fields``."""
    context = {
        **common,
        "unit": unit,
        "cc": _leaders(i for i, _ in pairs),
        **fields,
        "items": [_row(n, i, r) for n, (i, r) in enumerate(pairs, start=1)],
    }
    return Draft(letter_type, unit, tuple(i.id for i, _ in pairs), context)


def _unit_order(ledger: Ledger, groups: dict[str, list]) -> list[str]:
    """Return the units of ``groups`` in 责任单位 order, unknown ones after."""
    known = [u.name for u in ledger.units if u.name in groups]
    return known + sorted(set(groups) - set(known))


def _period_kind(ledger: Ledger) -> str:
    return PERIOD_WORDS[ledger.settings.score_period]


def last_workday(start: date, end: date, cal: WorkCalendar) -> date:
    """Return the last working day in [start, end] (end itself when none)."""
    d = end
    while d > start and not cal.is_workday(d):
        d = date.fromordinal(d.toordinal() - 1)
    return d


def bulletins(
    ledger: Ledger,
    outcome: Outcome,
    issued: Sequence[Letter],
    today: date,
    cal: WorkCalendar,
    *,
    asked: bool,
) -> list[Draft]:
    """The period's 督查通报: when asked, or on the period's last working day if none yet."""
    period = period_containing(today, _period_kind(ledger))
    if not asked:
        done_already = any(
            letter.type == BULLETIN and period.start <= letter.date <= period.end
            for letter in issued
        )
        if done_already or today != last_workday(period.start, period.end, cal):
            return []
    context = {
        **_common(ledger, today),
        "unit": ALL_UNITS,
        "cc": "",
        "period": outcome.period or period.label,
        "totals": totals(outcome.results),
        **praise_and_criticism(outcome.scores, ledger, outcome),
        "ranking": [_ranking_row(s) for s in outcome.scores],
    }
    return [Draft(BULLETIN, "", (), context)]


def totals(results: Sequence[ItemResult]) -> dict:
    """Count the period's overall figures for the bulletin."""
    counted = [r for r in results if r.status not in schema.SET_ASIDE]
    done = [r for r in counted if r.status in schema.DONE_STATUSES]
    late = sum(r.status == DONE_LATE for r in done)
    rate = f"{(len(done) - late) / len(done) * 100:.1f}%" if done else "—"
    return {
        "total": len(counted),
        "done": len(done),
        "active": len(counted) - len(done),
        "overdue": sum(r.status == OVERDUE for r in counted),
        "due_soon": sum(r.status == Status.DUE_SOON for r in counted),
        "late_feedback": sum(r.status == FEEDBACK_LATE for r in counted),
        "on_time_rate": rate,
    }


def _number(value: float) -> str:
    return f"{value:g}"


def _ranking_row(s: UnitScore) -> dict:
    d = s.details
    return {
        "rank": s.rank,
        "unit": s.unit,
        "score": _number(s.score),
        "overdue": _number(d.get(OVERDUE_RULE, 0)),
        "late_feedback": _number(d.get(LATE_FEEDBACK, 0)),
        "reminders": _number(d.get(REMINDER, 0)),
        "yellow": _number(d.get(YELLOW, 0)),
        "red": _number(d.get(RED, 0)),
    }


def lead_counts(ledger: Ledger, outcome: Outcome) -> dict[str, dict[str, int]]:
    """Count each lead unit's items that are 逾期 and at 红牌 now (whole items, no co-unit weight)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"overdue": 0, "red": 0})
    for item, result in _pairs(ledger, outcome):
        if item.unit and result.status == OVERDUE:
            counts[item.unit]["overdue"] += 1
            counts[item.unit]["red"] += result.level == Level.RED_CARD
    return counts


def praise_and_criticism(scores: Sequence[UnitScore], ledger: Ledger, outcome: Outcome) -> dict:
    """Return the praise text and the criticised units (with the reason) for the bulletin."""
    top = ledger.settings.praise_top
    floor = ledger.settings.criticise_below
    lead = lead_counts(ledger, outcome)
    criticised = []
    for s in scores:
        own = lead.get(s.unit, {"overdue": 0, "red": 0})
        reasons = []
        if own["red"]:
            reasons.append(f"牵头的{own['red']}项事项被亮红牌")
        if s.score < floor:
            reasons.append(f"低于通报批评分数线{_number(floor)}分")
        if own["overdue"]:
            reasons.append(f"牵头事项逾期{own['overdue']}项")
        if own["red"] or s.score < floor:
            criticised.append(
                {"unit": s.unit, "score": _number(s.score), "reason": "，".join(reasons)}
            )
    blamed = {c["unit"] for c in criticised}
    eligible = [
        s
        for s in scores
        if s.unit not in blamed
        and s.details.get(LEAD_ITEMS, 0)
        and not lead.get(s.unit, {}).get("overdue")
    ]
    praised: list[str] = []
    last = None
    for s in sorted(eligible, key=lambda s: s.rank):
        if len(praised) >= top and s.score != last:
            break
        praised.append(s.unit)
        last = s.score
    return {"praise": "、".join(praised), "criticised": criticised}
