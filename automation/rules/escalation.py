"""督办等级 (SPEC §4.4): 提醒 → 催办 → 限期整改 → 黄牌 → 红牌, every threshold a setting.

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

from automation import schema

REMIND, URGE, RECTIFY, YELLOW, RED = schema.LEVELS[1:]
_RANK = {level: i for i, level in enumerate(schema.LEVELS)}


@dataclass(frozen=True)
class Ladder:
    """The escalation thresholds from 参数设置 (working days overdue, letters issued)."""

    remind_from: int = 1
    rectify_from: int = 6
    yellow_from: int = 11
    red_from: int = 21
    yellow_after_reminders: int = 2


def higher(a: str, b: str) -> str:
    """Return the higher of two levels; an unknown text counts as no level."""
    return a if _RANK.get(a, 0) >= _RANK.get(b, 0) else b


def level_for(
    *,
    overdue: bool,
    due_soon: bool,
    days_overdue: int | None,
    reminder_dates: Sequence[date] = (),
    latest_feedback: date | None = None,
    yellow_issued: bool = False,
    previous: str = "",
    ladder: Ladder = Ladder(),
) -> str:
    """Return 督办等级 for one item from its overdue days, letters and previous level."""
    if not overdue:
        return REMIND if due_soon else ""
    days = days_overdue or 0
    if days >= ladder.red_from:
        level = RED
    elif days >= ladder.yellow_from:
        level = YELLOW
    elif days >= ladder.rectify_from:
        level = RECTIFY
    elif days >= ladder.remind_from:
        level = URGE
    else:
        level = REMIND
    if reminder_dates and len(reminder_dates) >= ladder.yellow_after_reminders:
        if latest_feedback is None or latest_feedback <= max(reminder_dates):
            level = higher(level, YELLOW)
    if yellow_issued:
        level = RED
    return higher(level, previous)
