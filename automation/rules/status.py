"""计算状态, 预警 and the day counts of one item (docs/rules.md §4, §5, §6), as pure functions.

Choices where the spec is silent:

- The effective deadline (延期至, else 办结时限) is compared as typed: a deadline on a
  holiday is not moved (only feedback nodes are, §4.3).
- 剩余工作日 is shown for active items with a deadline (0 once it has passed); 逾期工作日
  only for 逾期 items, and for 逾期办结 items it is how late they finished
  (working days after the deadline up to 办结日期). Otherwise both are blank (None).
- 下次反馈日, 序时进度 and 进度偏差 are shown only for active items (rules 4–8): a done,
  closed, cancelled, adjusted or suspended item expects no more feedback.
- An ongoing item (长期, 持续推进…) has no 序时进度, so rule 7 cannot apply to it: it is
  反馈逾期 or 正常推进. An active item whose deadline is blank or could not be read is
  not ongoing: its 计算状态 and 预警 stay blank (Status.UNKNOWN), never 绿/正常推进.
- 申请延期 is still an active item until 延期至 is filled in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from automation.models import Item
from automation.rules.cadence import next_feedback_on
from automation.rules.workdays import WorkCalendar
from automation.schema import Light, Status, TypedStatus

LIGHT_OF = {
    Status.CANCELLED: Light.GREY,
    Status.ADJUSTED: Light.GREY,
    Status.SUSPENDED: Light.GREY,
    Status.REBOUND: Light.RED,  # set after the rules, by a 回头看 (docs/rules.md §15)
    Status.CLOSED: Light.GREY,
    Status.DONE: Light.BLUE,
    Status.DONE_LATE: Light.BLUE,
    Status.OVERDUE: Light.RED,
    Status.FEEDBACK_LATE: Light.YELLOW,
    Status.DUE_SOON: Light.YELLOW,
    Status.LAGGING: Light.YELLOW,
    Status.ON_TRACK: Light.GREEN,
    Status.UNKNOWN: Light.NONE,
}


@dataclass(slots=True)  # one per item and refresh: not frozen, which makes it slow to build
class Assessment:
    """What rules 1–8 say about one item as of today; None where it cannot be computed."""

    status: Status
    light: Light
    days_left: int | None = None
    days_overdue: int | None = None
    next_feedback_on: date | None = None
    expected_progress: int | None = None
    deviation: int | None = None
    # 剩余工作日 within 临期提醒工作日, even when another rule set the status
    due_soon: bool = False


def _round_half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def expected_progress(
    assigned_on: date | None, deadline: date | None, today: date, cal: WorkCalendar
) -> int | None:
    """Return 序时进度: elapsed / total working days from 交办日期 to the deadline, 0–100."""
    if assigned_on is None or deadline is None or deadline < assigned_on:
        return None
    total = cal.workdays_after(assigned_on, deadline)
    if total == 0:  # no working day in between: all expected once the deadline is reached
        return 100 if today >= deadline else 0
    elapsed = cal.workdays_after(assigned_on, min(today, deadline))
    return max(0, min(100, _round_half_up(100 * elapsed, total)))


def _deviation(progress: float | None, expected: int | None) -> int | None:
    if progress is None or expected is None:
        return None
    diff = progress - expected
    return int(diff + 0.5) if diff >= 0 else -int(-diff + 0.5)


def assess(
    item: Item,
    today: date,
    cal: WorkCalendar,
    *,
    latest_feedback: date | None = None,
    due_soon_days: int = 3,
    lag_threshold: float = 20,
) -> Assessment:
    """Apply docs/rules.md §4.1 rules 1–8, in order, to one item as of today."""
    typed = item.typed_status
    if typed in (TypedStatus.CANCELLED, TypedStatus.ADJUSTED, TypedStatus.SUSPENDED):
        return Assessment(Status(typed), Light.GREY)  # the Status of the same word
    if typed == TypedStatus.CLOSED:
        return Assessment(Status.CLOSED, Light.GREY)
    deadline = item.effective_deadline
    if typed == TypedStatus.DONE or item.done_on is not None:
        if item.done_on is not None and deadline is not None and item.done_on > deadline:
            return Assessment(
                Status.DONE_LATE,
                Light.BLUE,
                days_overdue=cal.workdays_after(deadline, item.done_on),
            )
        return Assessment(Status.DONE, Light.BLUE)

    next_on = next_feedback_on(item.cadence, item.assigned_on, latest_feedback, today, cal)
    if deadline is None and not item.ongoing:
        # The deadline is blank or could not be read: nothing that depends on it is computed,
        # and the light stays empty rather than green (docs/rules.md §4.3).
        return Assessment(Status.UNKNOWN, Light.NONE, next_feedback_on=next_on)
    counted = None if item.ongoing else deadline  # an ongoing item has none to count against
    days_left = cal.workdays_after(today, counted) if counted is not None else None
    expected = (
        expected_progress(item.assigned_on, counted, today, cal) if counted is not None else None
    )
    days_overdue, due_soon = None, False
    if counted is not None and today > counted:
        status = Status.OVERDUE
        days_overdue = cal.workdays_after(counted, today)
    else:
        due_soon = days_left is not None and days_left <= due_soon_days
        if next_on is not None and next_on < today:
            status = Status.FEEDBACK_LATE
        elif due_soon:
            status = Status.DUE_SOON
        elif (
            expected is not None
            and item.progress is not None
            and expected - item.progress > lag_threshold
        ):
            status = Status.LAGGING
        else:
            status = Status.ON_TRACK
    return Assessment(
        status,
        LIGHT_OF[status],
        days_left=days_left,
        days_overdue=days_overdue,
        next_feedback_on=next_on,
        expected_progress=expected,
        deviation=_deviation(item.progress, expected),
        due_soon=due_soon,
    )
