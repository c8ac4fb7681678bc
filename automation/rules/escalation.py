"""督办等级 (docs/rules.md §8): 提醒 → 催办 → 限期整改 → 黄牌 → 红牌, every threshold a setting.

Interpretation, where the spec leaves room:

- Only an overdue (逾期) item escalates past 提醒. An active item within 临期提醒工作日
  (whatever its status) is 提醒; an overdue item fewer than ``remind_from`` working
  days late (a deadline on Friday seen on Saturday) is 提醒 too.
- "Two 催办函 already issued with no feedback since" counts the 催办函 letters naming
  the item, dated on or before today, and needs no feedback dated after the latest one.
- "A 黄牌 already issued" means a letter of type 黄牌 naming the item (dated on or
  before today). The previous refresh's level is deliberately NOT read as "issued":
  otherwise an item reaching 黄牌 by days (> 10) would turn 红牌 at the very next
  refresh and ``red_from`` (> 20) could never matter. Seed 002 likewise issues the
  红牌 only when problems persist after a 黄色警告 was given.
- The level never goes down while the item stays overdue: the previous refresh's
  level is a floor for an overdue item. Once the item is no longer overdue (done,
  extended, cancelled) the level is recomputed from scratch.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from automation.schema import Level

_RANK = {level: i for i, level in enumerate(Level)}


@dataclass(frozen=True)
class Ladder:
    """The escalation thresholds from 参数设置 (working days overdue, letters issued)."""

    remind_from: int = 1
    rectify_from: int = 6
    yellow_from: int = 11
    red_from: int = 21
    yellow_after_reminders: int = 2


def higher(a: Level, b: Level | str) -> Level:
    """Return the higher of two levels; an unknown text counts as no level."""
    other = Level(b) if b in _RANK else Level.NONE
    return a if _RANK[a] >= _RANK[other] else other


def level_for(
    *,
    overdue: bool,
    due_soon: bool,
    days_overdue: int | None,
    reminder_dates: Sequence[date] = (),
    latest_feedback: date | None = None,
    yellow_issued: bool = False,
    previous: Level | str = Level.NONE,
    ladder: Ladder = Ladder(),
) -> Level:
    """Return 督办等级 for one item from its overdue days, letters and previous level."""
    if not overdue:
        return Level.REMIND if due_soon else Level.NONE
    days = days_overdue or 0
    if days >= ladder.red_from:
        level = Level.RED_CARD
    elif days >= ladder.yellow_from:
        level = Level.YELLOW_CARD
    elif days >= ladder.rectify_from:
        level = Level.RECTIFY
    elif days >= ladder.remind_from:
        level = Level.URGE
    else:
        level = Level.REMIND
    if reminder_dates and len(reminder_dates) >= ladder.yellow_after_reminders:
        if latest_feedback is None or latest_feedback <= max(reminder_dates):
            level = higher(level, Level.YELLOW_CARD)
    if yellow_issued:
        level = Level.RED_CARD
    return higher(level, previous)
