"""The pure rules core: one ledger as of ``today`` in, every computed column and score out.

``compute`` ties together working days (workdays), cadence, status (rules),
escalation and scoring. It reads no file and no clock. Only what is dated on or before
``today`` counts (feedback, letters), so a past date can be recomputed faithfully.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date

from automation import schema
from automation.models import Feedback, Item, ItemResult, Ledger, Letter, Outcome, Problem
from automation.rules.escalation import Ladder, level_for
from automation.rules.scoring import (
    PERIOD_WORDS,
    ItemFacts,
    missed_nodes,
    period_containing,
    score_units,
)
from automation.rules.status import Assessment, assess
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterType, Level, Light, Status

CALENDAR_FIX = "请在节假日调整表补录该年度放假和调休安排"


def _distinct_letters(letters: Sequence[Letter], today: date) -> list[Letter]:
    """Merge letters from 发文登记 and history, once each, dated on or before today.

    Only issued letters count: a 送审稿 escalates nothing until it is numbered (Letter.issued).
    """
    seen, out = set(), []
    for letter in letters:
        key = (letter.type, letter.doc_no) if letter.doc_no else letter
        if key in seen or letter.date > today or not letter.issued:
            continue
        seen.add(key)
        out.append(letter)
    return out


def _fallback_problems(cal: WorkCalendar) -> list[Problem]:
    return [
        Problem(
            schema.CALENDAR,
            "",
            f"{year}年的法定节假日安排不在内置日历中，节假日调整表也未填写，已暂按周一至周五为工作日计算",
            CALENDAR_FIX,
        )
        for year in sorted(cal.fallback_years)
    ]


def compute(
    ledger: Ledger,
    today: date,
    *,
    letters: Sequence[Letter] = (),
    previous_levels: Mapping[str | tuple[str, str], str] = {},  # noqa: B006 - never mutated
) -> Outcome:
    """Compute every item's columns, the rule problems and the unit scores as of today."""
    problems: list[Problem] = []
    settings = ledger.settings
    period = period_containing(today, PERIOD_WORDS[settings.score_period])
    cal = WorkCalendar(ledger.calendar_overrides)
    ladder = Ladder(**{k: getattr(settings, k) for k in Ladder.__dataclass_fields__})

    feedback: dict[str, list[Feedback]] = defaultdict(list)
    for row in ledger.feedback:
        if row.date <= today:
            feedback[row.item_id.strip()].append(row)

    reminders: dict[str, list[Letter]] = defaultdict(list)
    yellow_letters: dict[str, list[Letter]] = defaultdict(list)
    issued = _distinct_letters([*ledger.letters, *letters], today)
    for letter in issued:
        for item_id in letter.item_ids:
            if letter.type == LetterType.REMINDER:
                reminders[item_id.strip()].append(letter)
            elif letter.type == LetterType.YELLOW_CARD:
                yellow_letters[item_id.strip()].append(letter)

    results: list[ItemResult] = []
    facts: list[ItemFacts] = []
    for item in ledger.items:
        key = item.id.strip()
        dates = _feedback_dates(item, feedback.get(key, ()))
        if item.last_feedback_on is not None and item.last_feedback_on <= today:
            dates = [*dates, item.last_feedback_on]
        latest = max(dates, default=None)
        a = assess(
            item,
            today,
            cal,
            latest_feedback=latest,
            due_soon_days=settings.due_soon_days,
            lag_threshold=settings.lag_threshold,
        )
        reminder_dates = [x.date for x in _letters_for(item, reminders.get(key, ()))]
        level = level_for(
            overdue=a.status == Status.OVERDUE,
            due_soon=a.due_soon,
            days_overdue=a.days_overdue,
            reminder_dates=reminder_dates,
            latest_feedback=latest,
            yellow_issued=bool(_letters_for(item, yellow_letters.get(key, ()))),
            previous=_previous_level(item, previous_levels),
            ladder=ladder,
        )
        results.append(
            ItemResult(
                item_id=item.id,
                row=item.row,
                light=a.light,
                status=a.status,
                days_left=a.days_left,
                days_overdue=a.days_overdue,
                next_feedback_on=a.next_feedback_on,
                expected_progress=a.expected_progress,
                deviation=a.deviation,
                level=level,
                reminder_count=len(reminder_dates),
                deadline=None if item.ongoing else item.effective_deadline,
                sheet=item.sheet,
            )
        )
        if a.light != Light.GREY or a.status == Status.CLOSED:
            facts.append(_facts(item, a, level, dates, period.start, today, cal))

    by_id: dict[str, list[Item]] = defaultdict(list)
    for item in ledger.items:
        by_id[item.id.strip()].append(item)
    factor = settings.co_unit_factor
    reminder_units = []
    for letter in issued:
        if letter.type == LetterType.REMINDER and letter.date >= period.start:
            reminder_units.append(_letter_units(letter, by_id, factor))

    scores = score_units([u.name for u in ledger.units], facts, reminder_units, settings, period)
    problems.extend(_fallback_problems(cal))
    return Outcome(
        today=today, results=results, problems=problems, scores=scores, period=period.label
    )


def _letters_for(item: Item, letters: Sequence[Letter]) -> list[Letter]:
    """Return the letters naming an item; a part of a multi-unit item takes its unit's only."""
    if item.part_of is None:
        return list(letters)
    return [x for x in letters if not x.unit or x.unit in item.lead_units]


def _previous_level(item: Item, levels: Mapping[str | tuple[str, str], str]) -> str:
    """Return the item's 督办等级 at the last refresh; a part's is its own unit's."""
    if item.part_of is not None:
        found = levels.get((item.id, item.unit or item.unit_text))
        if found is not None:
            return found
    return levels.get(item.id, "")


def _feedback_dates(item: Item, rows: Sequence[Feedback]) -> list[date]:
    """Return the dates of an item's 进展记录 rows; a part of a multi-unit item takes its unit's."""
    if item.part_of is None:
        return [fb.date for fb in rows]
    mine = {*item.lead_units, item.unit_text}
    return [fb.date for fb in rows if not fb.unit or fb.unit in mine]


def _facts(
    item: Item,
    a: Assessment,
    level: Level,
    feedback_dates: list[date],
    start: date,
    today: date,
    cal: WorkCalendar,
) -> ItemFacts:
    """Collect what one item contributes to its units' scores in the period."""
    before = today if item.done_on is None else min(today, item.done_on)
    late = missed_nodes(item.cadence, item.assigned_on, feedback_dates, start, before, cal)
    deadline = item.effective_deadline
    early = (
        item.done_on is not None
        and deadline is not None
        and start <= item.done_on <= today
        and item.done_on < deadline
    )
    return ItemFacts(
        item_id=item.id,
        units=item.lead_units,
        co_units=item.co_units,
        late_feedbacks=len(late),
        overdue=a.status == Status.OVERDUE,
        level=level if level in (Level.YELLOW_CARD, Level.RED_CARD) else Level.NONE,
        early=early,
    )


def _letter_units(
    letter: Letter, by_id: Mapping[str, Sequence[Item]], factor: float
) -> dict[str, float]:
    """Return the units one 催办函 concerns: lead units at 1, co-units at factor.

    An item over several unit rows shares one 编号: the letter concerns the part of its unit.
    """
    units: dict[str, float] = {}
    for item_id in letter.item_ids:
        found = by_id.get(item_id.strip(), ())
        mine = [i for i in found if i.part_of is not None and letter.unit in i.lead_units]
        for item in mine or found[-1:]:
            for co in item.co_units:
                units[co] = max(units.get(co, 0.0), factor)
            if item.unit:
                units[item.unit] = 1.0  # a 催办函 is addressed to the 主送
    if not units and letter.unit:
        units[letter.unit] = 1.0
    return units
