"""考评排名 (docs/rules.md §9): score every unit for the period containing today, then rank.

How each default rule is counted (weights from 参数设置; a 配合单位 counts each rule
at ``co_unit_factor``, a 牵头单位 at 1; the counts in ``UnitScore.details`` are these
weighted counts):

- 反馈逾期 (``w_late_feedback``): the item's feedback nodes due (after 遇节假日顺延)
  inside the period, strictly before today (and before 办结日期 for a done item), that
  no feedback covers. A feedback covers the first node on or after its date, so a late
  report covers the next node, not the missed one.
- 逾期事项 (``w_overdue``): items overdue at period end, i.e. 计算状态 逾期 as of
  today (today is the end of the period so far).
- 催办函 (``w_reminder``): 催办函 letters dated in the period up to today; one letter
  counts once per unit it concerns, however many items it lists.
- 黄牌 / 红牌 (``w_yellow``, ``w_red``): items whose 督办等级 is that now.
- 提前办结 (``w_early``, a bonus): items whose 办结日期 is in the period up to today and
  strictly before the effective deadline.

已取消 / 已调整 / 暂缓 items are not scored. Every unit of 责任单位 gets a row, even with
no items. Ranks are competition ranks over the score rounded to 2 decimals (1, 2, 2, 4);
rows come out by rank, then in 责任单位 order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from automation.models import Cadence, UnitScore
from automation.rules.cadence import covered_node, has_nodes, nodes_due
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterType, Level, Status
from automation.settings import Settings

PERIOD_WORDS = {
    "月度": "month",
    "月": "month",
    "季度": "quarter",
    "季": "quarter",
    "年度": "year",
    "年": "year",
}

# The 考评排名 columns, one per rule.
LATE_FEEDBACK = str(Status.FEEDBACK_LATE)
OVERDUE = "逾期事项"
REMINDER = str(LetterType.REMINDER)
YELLOW = str(Level.YELLOW_CARD)
RED = str(Level.RED_CARD)
EARLY = "提前办结"
LEAD_ITEMS = "牵头事项"
RULE_WEIGHTS = {
    LATE_FEEDBACK: "w_late_feedback",
    OVERDUE: "w_overdue",
    REMINDER: "w_reminder",
    YELLOW: "w_yellow",
    RED: "w_red",
    EARLY: "w_early",
}
_BONUSES = (EARLY,)


@dataclass(frozen=True)
class Period:
    """A scoring period: its Chinese label and first/last day."""

    label: str
    start: date
    end: date


def period_containing(today: date, kind: str) -> Period:
    """Return the month, quarter or year (kind "month"/"quarter"/"year") containing today."""
    y = today.year
    if kind == "month":
        first, label = date(y, today.month, 1), f"{y}年{today.month}月"
        nxt = date(y + 1, 1, 1) if today.month == 12 else date(y, today.month + 1, 1)
    elif kind == "year":
        first, label, nxt = date(y, 1, 1), f"{y}年度", date(y + 1, 1, 1)
    else:
        q = (today.month - 1) // 3
        first, label = date(y, 3 * q + 1, 1), f"{y}年第{q + 1}季度"
        nxt = date(y + 1, 1, 1) if q == 3 else date(y, 3 * q + 4, 1)
    return Period(label, first, nxt - timedelta(days=1))


def missed_nodes(
    cadence: Cadence | None,
    assigned_on: date | None,
    feedback_dates: Iterable[date],
    start: date,
    before: date,
    cal: WorkCalendar,
) -> list[date]:
    """List the item's feedback nodes due in [start, before) that no feedback covers."""
    if cadence is None or not has_nodes(cadence) or assigned_on is None or before <= start:
        return []
    nodes = nodes_due(cadence, assigned_on, start, before, cal)
    if not nodes:
        return []
    covered = {
        covered_node(cadence, f, cal, assigned_on) for f in feedback_dates if f >= assigned_on
    }
    return [n for n in nodes if n not in covered]


@dataclass(slots=True)
class ItemFacts:
    """What one item contributes to its units' scores in the period."""

    item_id: str
    units: tuple[str, ...]  # lead units (each counts the item at weight 1)
    co_units: tuple[str, ...] = ()
    late_feedbacks: int = 0
    overdue: bool = False
    level: Level = Level.NONE
    early: bool = False


def _unit_weights(units: Sequence[str], co_units: Sequence[str], factor: float) -> dict[str, float]:
    weights = {c: factor for c in co_units if c and c not in units}
    weights.update(dict.fromkeys(units, 1.0))
    return weights


def score_units(
    unit_names: Sequence[str],
    facts: Sequence[ItemFacts],
    reminder_units: Sequence[Mapping[str, float]],
    settings: Settings,
    period: Period,
) -> list[UnitScore]:
    """Score and rank every unit; reminder_units gives each 催办函's units and their weights."""
    factor = settings.co_unit_factor
    names = list(dict.fromkeys([*unit_names, *(u for f in facts for u in f.units)]))
    tallies = {name: dict.fromkeys([LEAD_ITEMS, *RULE_WEIGHTS], 0.0) for name in names}
    for f in facts:
        # Only the rules an item counts for: adding 0.0 would change no tally (tens of
        # thousands of items, most of them counting for none).
        rules = [
            (rule, count)
            for rule, count in (
                (LATE_FEEDBACK, f.late_feedbacks),
                (OVERDUE, int(f.overdue)),
                (YELLOW, int(f.level == Level.YELLOW_CARD)),
                (RED, int(f.level == Level.RED_CARD)),
                (EARLY, int(f.early)),
            )
            if count
        ]
        weights = (
            _unit_weights(f.units, f.co_units, factor)
            if f.co_units or len(f.units) != 1
            else {f.units[0]: 1.0}
        )
        for unit, weight in weights.items():
            tally = tallies.get(unit)
            if tally is None:
                continue
            tally[LEAD_ITEMS] += unit in f.units
            for rule, count in rules:
                tally[rule] += weight * count
    for letter_units in reminder_units:
        for unit, weight in letter_units.items():
            if unit in tallies:
                tallies[unit][REMINDER] += weight

    base = settings.score_base
    scored = []
    for name in names:
        tally = tallies[name]
        score = base
        for rule, key in RULE_WEIGHTS.items():
            sign = 1 if rule in _BONUSES else -1
            score += sign * getattr(settings, key) * tally[rule]
        scored.append((round(score, 2), name, {k: round(v, 2) for k, v in tally.items()}))

    order = {name: i for i, name in enumerate(names)}
    scored.sort(key=lambda s: (-s[0], order[s[1]]))
    results, rank = [], 0
    for i, (score, name, details) in enumerate(scored):
        if i == 0 or score != scored[i - 1][0]:
            rank = i + 1
        results.append(UnitScore(name, period.label, score, rank, details))
    return results
