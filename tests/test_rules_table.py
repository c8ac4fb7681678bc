"""Hand-computed cases for the rules core (docs/rules.md §2–§9), one table per concern.

Every expected value below was worked out by hand from the State Council holiday
notices for 2024–2026 (e.g. 2026 国庆 10-01..10-07 off, 09-20 and 10-10 worked;
2026 春节 02-15..02-23 off, 02-14 and 02-28 worked; 2026 中秋 09-25..09-27 off;
2025 春节 01-28..02-04 off, 01-26 and 02-08 worked; 2025 国庆 10-01..10-08 off,
09-28 and 10-11 worked; 2024 春节 02-10..02-17 off, 02-04 and 02-18 worked;
2024 国庆 10-01..10-07 off, 09-29 and 10-12 worked) and the SPEC text.
"""

from datetime import date

import pytest

from automation.models import Feedback, Item, Ledger, Letter, Unit
from automation.rules.cadence import QUARTER_ENDS, feedback_nodes, next_feedback_on, parse_cadence
from automation.rules.engine import compute
from automation.rules.escalation import Ladder, level_for
from automation.rules.scoring import ItemFacts, Period, score_units
from automation.rules.status import expected_progress
from automation.rules.workdays import WorkCalendar
from automation.settings import Settings

D = date
CAL = WorkCalendar()


def item(**fields) -> Item:
    """Build a ledger row with sensible defaults: assigned 2026-09-01, due 2026-12-31."""
    base = dict(
        row=2, id="DB-2026-001", unit="甲局", assigned_on=D(2026, 9, 1), deadline=D(2026, 12, 31)
    )
    base.update(fields)
    return Item(**base)


def one(it: Item, today: date, **ledger_fields):
    """Compute a one-item ledger and return its result."""
    ledger = Ledger(items=[it], units=[Unit("甲局"), Unit("乙局")], **ledger_fields)
    return compute(ledger, today).results[0]


# --- 1. working days across 春节 / 国庆 / 调休 ------------------------------------------------

WORKDAY_CASES = [
    pytest.param(D(2026, 9, 30), D(2026, 10, 9), 2, id="spec-example-national-day-2026"),
    pytest.param(
        D(2026, 2, 13), D(2026, 2, 24), 2, id="spring-festival-2026-with-make-up-saturday"
    ),
    pytest.param(D(2026, 2, 27), D(2026, 3, 2), 2, id="make-up-saturday-0228-2026"),
    pytest.param(D(2025, 1, 24), D(2025, 2, 5), 3, id="spring-festival-2025-make-up-sunday-0126"),
    pytest.param(D(2025, 9, 26), D(2025, 10, 10), 5, id="national-day-2025-eight-days"),
    pytest.param(D(2024, 9, 27), D(2024, 10, 8), 3, id="national-day-2024-make-up-0929"),
    pytest.param(D(2024, 2, 2), D(2024, 2, 19), 8, id="spring-festival-2024-two-make-up-sundays"),
    pytest.param(D(2024, 12, 31), D(2025, 1, 2), 1, id="across-new-year-2025"),
    pytest.param(D(2025, 12, 31), D(2026, 1, 5), 2, id="across-new-year-2026-make-up-0104"),
    pytest.param(D(2026, 10, 9), D(2026, 10, 9), 0, id="same-day"),
    pytest.param(D(2026, 8, 31), D(2026, 10, 9), 24, id="september-2026-with-mid-autumn"),
]


@pytest.mark.parametrize(("a", "b", "expected"), WORKDAY_CASES)
def test_workdays_after(a, b, expected):
    assert CAL.workdays_after(a, b) == expected


# --- 2. parsing 反馈周期 --------------------------------------------------------------------

PARSE_CASES = [
    pytest.param("无", "none", None, (), (), id="none-word"),
    pytest.param("一次性", "none", None, (), (), id="one-off"),
    pytest.param("  ", "none", None, (), (), id="blank"),
    pytest.param("每周五", "weekly", 4, (), (), id="weekly-friday"),
    pytest.param("每周 星期一", "weekly", 0, (), (), id="weekly-monday-with-space"),
    pytest.param("每两周", "biweekly", None, (), (), id="biweekly"),
    pytest.param("每月10日", "monthly", None, (10,), (), id="monthly"),
    pytest.param(
        "每月１０号、２５号", "monthly", None, (10, 25), (), id="monthly-two-fullwidth-hao"
    ),
    pytest.param("每月10日，25日", "monthly", None, (10, 25), (), id="monthly-fullwidth-comma"),
    pytest.param("每月10日前", "monthly", None, (10,), (), id="monthly-before"),
    pytest.param("每季度", "quarterly", None, (), QUARTER_ENDS, id="quarterly-default-ends"),
    pytest.param(
        "每季度末月10日",
        "quarterly",
        None,
        (10,),
        ((3, 10), (6, 10), (9, 10), (12, 10)),
        id="quarter-last-month-10th",
    ),
    pytest.param(
        "4月10日、7月10日、10月10日、12月10日",
        "dates",
        None,
        (),
        ((4, 10), (7, 10), (10, 10), (12, 10)),
        id="explicit-list-seed-004",
    ),
    pytest.param(
        "4月10日, 7月10日 10月10日",
        "dates",
        None,
        (),
        ((4, 10), (7, 10), (10, 10)),
        id="explicit-list-mixed-separators",
    ),
]


@pytest.mark.parametrize(("text", "kind", "weekday", "days", "dates"), PARSE_CASES)
def test_parse_cadence(text, kind, weekday, days, dates):
    c = parse_cadence(text)
    assert (c.kind, c.weekday, c.days, c.dates) == (kind, weekday, days, dates)


@pytest.mark.parametrize(
    "text",
    [
        pytest.param("每周", id="week-without-day"),
        pytest.param("每月", id="month-without-day"),
        pytest.param("每月32日", id="day-32"),
        pytest.param("2月30日", id="feb-30"),
        pytest.param("随时报送", id="free-text"),
    ],
)
def test_unparseable_cadence_names_the_accepted_forms(text):
    with pytest.raises(ValueError, match="每季度末月10日") as raised:
        parse_cadence(text)
    assert text in str(raised.value)


# --- 3. feedback nodes (遇节假日顺延) --------------------------------------------------------

NODE_CASES = [
    pytest.param(
        "每月5日",
        D(2026, 9, 1),
        D(2026, 10, 31),
        None,
        [D(2026, 9, 7), D(2026, 10, 8)],
        id="spec-monthly-5th",
    ),
    pytest.param(
        "每周五",
        D(2026, 9, 28),
        D(2026, 10, 16),
        None,
        [D(2026, 10, 8), D(2026, 10, 9), D(2026, 10, 16)],
        id="weekly-friday-over-national-day",
    ),
    pytest.param(
        "每季度",
        D(2025, 1, 1),
        D(2025, 12, 31),
        None,
        [D(2025, 3, 31), D(2025, 6, 30), D(2025, 9, 30), D(2025, 12, 31)],
        id="quarterly-2025-all-working",
    ),
    pytest.param(
        "每季度",
        D(2024, 1, 1),
        D(2024, 12, 31),
        None,
        [D(2024, 4, 1), D(2024, 7, 1), D(2024, 9, 30), D(2024, 12, 31)],
        id="quarterly-2024-sundays-move",
    ),
    pytest.param(
        "4月10日、7月10日、10月10日、12月10日",
        D(2026, 1, 1),
        D(2026, 12, 31),
        None,
        [D(2026, 4, 10), D(2026, 7, 10), D(2026, 10, 10), D(2026, 12, 10)],
        id="explicit-list-make-up-saturday-kept",
    ),
    pytest.param(
        "每月底",
        D(2026, 2, 1),
        D(2026, 6, 5),
        None,
        [D(2026, 2, 28), D(2026, 3, 31), D(2026, 4, 30), D(2026, 6, 1)],
        id="month-end-short-months",
    ),
    pytest.param(
        "每两周",
        D(2026, 9, 18),
        D(2026, 10, 31),
        D(2026, 9, 18),
        [D(2026, 10, 8), D(2026, 10, 16), D(2026, 10, 30)],
        id="biweekly-anchored-on-assignment",
    ),
    pytest.param(
        "每月10日、25日",
        D(2025, 1, 1),
        D(2025, 2, 28),
        None,
        [D(2025, 1, 10), D(2025, 1, 26), D(2025, 2, 10), D(2025, 2, 25)],
        id="twice-monthly-onto-make-up-sunday",
    ),
]


@pytest.mark.parametrize(("text", "start", "end", "anchor", "expected"), NODE_CASES)
def test_feedback_nodes(text, start, end, anchor, expected):
    assert feedback_nodes(parse_cadence(text), start, end, CAL, anchor=anchor) == expected


# --- 4. 下次反馈日 -------------------------------------------------------------------------

NEXT_CASES = [
    pytest.param(
        "每月5日", D(2026, 8, 1), D(2026, 9, 4), D(2026, 10, 8), id="spec-example-early-report"
    ),
    pytest.param("每月5日", D(2026, 8, 1), None, D(2026, 8, 5), id="no-feedback-first-node"),
    pytest.param(
        "每月5日",
        D(2026, 8, 1),
        D(2026, 9, 6),
        D(2026, 10, 8),
        id="sunday-report-covers-moved-node",
    ),
    pytest.param("每月5日", D(2026, 8, 1), D(2026, 9, 7), D(2026, 10, 8), id="report-on-node"),
    pytest.param(
        "每月5日", D(2026, 8, 1), D(2026, 9, 8), D(2026, 11, 5), id="late-report-covers-next-node"
    ),
    pytest.param("每周五", D(2026, 9, 21), None, D(2026, 9, 28), id="weekly-first-node-mid-autumn"),
    pytest.param(
        "每周五",
        D(2026, 9, 28),
        None,
        D(2026, 10, 8),
        id="series-starts-at-assignment-not-moved-node",
    ),
    pytest.param(
        "每两周", D(2026, 9, 18), None, D(2026, 10, 8), id="biweekly-first-node-two-weeks-on"
    ),
    pytest.param("每季度", D(2026, 1, 5), D(2026, 3, 20), D(2026, 6, 30), id="quarterly"),
    pytest.param(
        "每季度末月10日", D(2026, 1, 1), D(2026, 3, 9), D(2026, 6, 10), id="quarter-last-month"
    ),
    pytest.param(
        "4月10日、7月10日、10月10日、12月10日",
        D(2025, 1, 1),
        D(2025, 12, 5),
        D(2026, 4, 10),
        id="explicit-across-year",
    ),
    pytest.param(
        "每月10日",
        D(2026, 3, 15),
        D(2026, 3, 1),
        D(2026, 4, 10),
        id="feedback-before-assignment-ignored",
    ),
    pytest.param("无", D(2026, 3, 15), None, None, id="no-cadence"),
    pytest.param("每月10日", None, None, None, id="no-assignment-no-feedback"),
    pytest.param("每两周", None, D(2026, 3, 1), None, id="biweekly-needs-assignment"),
]


@pytest.mark.parametrize(("text", "assigned", "latest", "expected"), NEXT_CASES)
def test_next_feedback_on(text, assigned, latest, expected):
    assert next_feedback_on(parse_cadence(text), assigned, latest, D(2026, 10, 9), CAL) == expected


# --- 5. status, light and day counts (through compute) -------------------------------------

MONTHLY_5 = parse_cadence("每月5日")
T = D(2026, 10, 9)  # a Friday just after the 2026 国庆 holiday

STATUS_CASES = [
    pytest.param(
        item(typed_status="已取消", deadline=D(2026, 9, 1)),
        T,
        dict(status="已取消", light="灰"),
        id="cancelled",
    ),
    pytest.param(item(typed_status="已调整"), T, dict(status="已调整", light="灰"), id="adjusted"),
    pytest.param(
        item(typed_status="暂缓"),
        T,
        dict(status="暂缓", light="灰", days_left=None),
        id="suspended",
    ),
    pytest.param(
        item(typed_status="已销号", done_on=D(2026, 9, 20)),
        T,
        dict(status="已销号", light="灰"),
        id="closed",
    ),
    pytest.param(
        item(typed_status="已销号"),
        T,
        dict(status="已销号", light="灰"),
        id="closed-without-done-date",
    ),
    pytest.param(
        item(typed_status="已取消", done_on=D(2026, 9, 20)),
        T,
        dict(status="已取消"),
        id="cancelled-beats-done",
    ),
    pytest.param(
        item(typed_status="已办结", done_on=D(2026, 9, 20), deadline=D(2026, 9, 30)),
        T,
        dict(status="已办结", light="蓝", days_overdue=None, next_feedback_on=None),
        id="done-on-time",
    ),
    pytest.param(
        item(done_on=D(2026, 10, 8), deadline=D(2026, 9, 30)),
        T,
        dict(status="逾期办结", light="蓝", days_overdue=1),
        id="done-date-alone-means-done-late",
    ),
    pytest.param(
        item(done_on=D(2026, 10, 8), deadline=D(2026, 9, 30), extended_to=D(2026, 10, 15)),
        T,
        dict(status="已办结", light="蓝"),
        id="done-within-extension",
    ),
    pytest.param(
        item(deadline=D(2026, 9, 30)),
        T,
        dict(status="逾期", light="红", days_overdue=2, days_left=0, expected_progress=100),
        id="spec-example-overdue-2-working-days",
    ),
    pytest.param(
        item(deadline=D(2026, 9, 30), extended_to=D(2026, 10, 20)),
        T,
        dict(status="正常推进", light="绿", days_left=8, days_overdue=None, expected_progress=74),
        id="extension-counts-make-up-saturday",
    ),
    pytest.param(
        item(deadline=D(2026, 10, 20), progress=50.0),
        T,
        dict(status="进度滞后", light="黄", expected_progress=74, deviation=-24),
        id="lagging-24-points",
    ),
    pytest.param(
        item(deadline=D(2026, 10, 20), progress=54.0),
        T,
        dict(status="正常推进", light="绿", deviation=-20),
        id="lagging-exactly-threshold-is-fine",
    ),
    pytest.param(
        item(deadline=D(2026, 10, 14)), T, dict(status="正常推进", days_left=4), id="four-days-left"
    ),
    pytest.param(
        item(deadline=D(2026, 10, 13)),
        T,
        dict(status="临期", light="黄", days_left=3),
        id="three-days-left",
    ),
    pytest.param(
        item(deadline=T),
        T,
        dict(status="临期", days_left=0, days_overdue=None),
        id="due-today-not-overdue",
    ),
    pytest.param(
        item(cadence=MONTHLY_5, assigned_on=D(2026, 8, 1), last_feedback_on=D(2026, 9, 4)),
        T,
        dict(status="反馈逾期", light="黄", next_feedback_on=D(2026, 10, 8)),
        id="spec-example-feedback-late",
    ),
    pytest.param(
        item(cadence=MONTHLY_5, assigned_on=D(2026, 8, 1), last_feedback_on=D(2026, 9, 4)),
        D(2026, 10, 8),
        dict(status="正常推进", next_feedback_on=D(2026, 10, 8)),
        id="node-today-not-yet-late",
    ),
    pytest.param(
        item(
            cadence=MONTHLY_5,
            assigned_on=D(2026, 8, 1),
            last_feedback_on=D(2026, 9, 4),
            deadline=D(2026, 10, 13),
        ),
        T,
        dict(status="反馈逾期", days_left=3),
        id="feedback-late-beats-due-soon",
    ),
    pytest.param(
        item(
            cadence=MONTHLY_5,
            assigned_on=D(2026, 8, 1),
            last_feedback_on=D(2026, 9, 4),
            deadline=D(2026, 9, 30),
        ),
        T,
        dict(status="逾期", light="红"),
        id="overdue-beats-feedback-late",
    ),
    pytest.param(
        item(deadline=D(2026, 10, 13), progress=0.0),
        T,
        dict(status="临期"),
        id="due-soon-beats-lagging",
    ),
    pytest.param(
        item(
            deadline=None,
            ongoing=True,
            cadence=MONTHLY_5,
            assigned_on=D(2026, 8, 1),
            last_feedback_on=D(2026, 9, 4),
        ),
        T,
        dict(status="反馈逾期", days_left=None, expected_progress=None, deviation=None),
        id="ongoing-feedback-late",
    ),
    pytest.param(
        item(
            deadline=None,
            ongoing=True,
            cadence=MONTHLY_5,
            last_feedback_on=D(2026, 10, 8),
            progress=0.0,
        ),
        T,
        dict(
            status="正常推进", light="绿", next_feedback_on=D(2026, 11, 5), expected_progress=None
        ),
        id="ongoing-never-lagging",
    ),
    pytest.param(
        item(deadline=None, done_on=D(2026, 10, 1)),
        T,
        dict(status="已办结"),
        id="done-without-deadline",
    ),
    pytest.param(
        item(typed_status="申请延期", deadline=D(2026, 9, 30)),
        T,
        dict(status="逾期"),
        id="extension-requested-still-due",
    ),
    pytest.param(
        item(deadline=D(2026, 10, 3)),
        D(2026, 10, 8),
        dict(status="逾期", days_overdue=1),
        id="deadline-on-holiday-not-moved",
    ),
    pytest.param(
        item(deadline=D(2026, 11, 20)),
        D(2026, 11, 21),
        dict(status="逾期", days_overdue=0, level="提醒"),
        id="overdue-on-saturday-zero-working-days",
    ),
    pytest.param(
        item(deadline=D(2026, 8, 31)),
        T,
        dict(status="逾期", days_overdue=24, level="红牌"),
        id="overdue-24-working-days-red",
    ),
]


@pytest.mark.parametrize(("it", "today", "expected"), STATUS_CASES)
def test_status(it, today, expected):
    result = one(it, today)
    assert {k: getattr(result, k) for k in expected} == expected


def test_spec_example_overdue_counts_working_days():
    """docs/rules.md §5: deadline 2026-09-30, today 2026-10-09 → 逾期 2 working days (10-08, 10-09)."""
    result = one(item(deadline=D(2026, 9, 30)), D(2026, 10, 9))
    assert (result.status, result.light, result.days_overdue) == ("逾期", "红", 2)


def test_spec_example_feedback_cadence():
    """docs/rules.md §7.7: 每月5日, latest feedback 2026-09-04, today 2026-10-09 → 下次反馈日 10-08, 反馈逾期."""
    it = item(cadence=parse_cadence("每月5日"), assigned_on=D(2026, 8, 1))
    it.last_feedback_on = D(2026, 9, 4)
    result = one(it, D(2026, 10, 9))
    assert (result.next_feedback_on, result.status, result.light) == (
        D(2026, 10, 8),
        "反馈逾期",
        "黄",
    )


def test_feedback_from_progress_log_counts_when_newer():
    it = item(cadence=MONTHLY_5, assigned_on=D(2026, 8, 1), last_feedback_on=D(2026, 9, 4))
    log = [Feedback(D(2026, 10, 8), "DB-2026-001"), Feedback(D(2026, 8, 3), "DB-2026-001")]
    result = one(it, T, feedback=log)
    assert (result.status, result.next_feedback_on) == ("正常推进", D(2026, 11, 5))


# --- 6. 序时进度 --------------------------------------------------------------------------

PROGRESS_CASES = [
    pytest.param(D(2026, 9, 1), D(2026, 10, 20), T, 74, id="23-of-31-working-days"),
    pytest.param(D(2026, 9, 1), D(2026, 10, 20), D(2026, 8, 1), 0, id="before-assignment"),
    pytest.param(D(2026, 9, 1), D(2026, 10, 20), D(2026, 11, 1), 100, id="after-deadline"),
    pytest.param(
        D(2026, 11, 2), D(2026, 11, 12), D(2026, 11, 3), 13, id="one-of-eight-rounds-half-up"
    ),
    pytest.param(
        D(2026, 2, 13), D(2026, 3, 13), D(2026, 2, 24), 13, id="two-of-sixteen-over-spring-festival"
    ),
    pytest.param(D(2026, 9, 1), D(2026, 8, 1), T, None, id="deadline-before-assignment"),
    pytest.param(D(2026, 10, 3), D(2026, 10, 4), D(2026, 10, 3), 0, id="no-working-day-in-between"),
]


@pytest.mark.parametrize(("assigned", "deadline", "today", "expected"), PROGRESS_CASES)
def test_expected_progress(assigned, deadline, today, expected):
    assert expected_progress(assigned, deadline, today, CAL) == expected


# --- 7. 督办等级 --------------------------------------------------------------------------

R1, R2 = D(2026, 10, 12), D(2026, 10, 19)
LEVEL_CASES = [
    pytest.param(dict(overdue=False, due_soon=False, days_overdue=None), "", id="nothing"),
    pytest.param(dict(overdue=False, due_soon=True, days_overdue=None), "提醒", id="due-soon"),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=0), "提醒", id="overdue-zero-days"
    ),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=1), "催办", id="1-day"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=5), "催办", id="5-days"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=6), "限期整改", id="6-days"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=10), "限期整改", id="10-days"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=11), "黄牌", id="11-days"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=20), "黄牌", id="20-days"),
    pytest.param(dict(overdue=True, due_soon=False, days_overdue=21), "红牌", id="21-days"),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=3, reminder_dates=[R1, R2]),
        "黄牌",
        id="two-reminders-no-reply",
    ),
    pytest.param(
        dict(
            overdue=True,
            due_soon=False,
            days_overdue=3,
            reminder_dates=[R1, R2],
            latest_feedback=D(2026, 10, 20),
        ),
        "催办",
        id="two-reminders-then-reply",
    ),
    pytest.param(
        dict(
            overdue=True,
            due_soon=False,
            days_overdue=3,
            reminder_dates=[R1, R2],
            latest_feedback=R2,
        ),
        "黄牌",
        id="reply-same-day-as-reminder-is-not-since",
    ),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=3, reminder_dates=[R1]),
        "催办",
        id="one-reminder",
    ),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=3, yellow_issued=True),
        "红牌",
        id="yellow-letter-issued",
    ),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=3, previous="限期整改"),
        "限期整改",
        id="never-down-while-overdue",
    ),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=12, previous="黄牌"),
        "黄牌",
        id="previous-yellow-alone",
    ),
    pytest.param(
        dict(overdue=False, due_soon=False, days_overdue=None, previous="红牌"),
        "",
        id="resets-when-not-overdue",
    ),
    pytest.param(
        dict(overdue=True, due_soon=False, days_overdue=1, ladder=Ladder(remind_from=2)),
        "提醒",
        id="custom-threshold",
    ),
]


@pytest.mark.parametrize(("kwargs", "expected"), LEVEL_CASES)
def test_level_for(kwargs, expected):
    assert level_for(**kwargs) == expected


def test_two_reminders_from_register_and_history_make_yellow():
    it = item(deadline=D(2026, 9, 30))
    register = [Letter("催办〔2026〕3号", "催办函", D(2026, 10, 8), "甲局", ("DB-2026-001",))]
    history = [
        Letter(
            "催办〔2026〕3号",
            "催办函",
            D(2026, 10, 8),
            "甲局",
            ("DB-2026-001",),
            "催办函-甲局.docx",
        ),
        Letter("催办〔2026〕4号", "催办函", D(2026, 10, 9), "甲局", ("DB-2026-001", "DB-2026-002")),
        # dated after today: not counted yet
        Letter("催办〔2026〕9号", "催办函", D(2026, 10, 20), "甲局", ("DB-2026-001",)),
    ]
    ledger = Ledger(items=[it], units=[Unit("甲局")], letters=register)
    result = compute(ledger, T, letters=history).results[0]
    assert (result.level, result.reminder_count) == ("黄牌", 2)


def test_previous_level_is_a_floor_through_compute():
    it = item(deadline=D(2026, 9, 30))
    ledger = Ledger(items=[it], units=[Unit("甲局")])
    assert (
        compute(ledger, T, previous_levels={"DB-2026-001": "限期整改"}).results[0].level
        == "限期整改"
    )
    assert compute(ledger, T).results[0].level == "催办"


# --- 8. 考评排名 --------------------------------------------------------------------------


def scoring_ledger(**settings) -> Ledger:
    return Ledger(
        items=[
            item(id="A", unit="甲局", co_units=("乙局",), deadline=D(2026, 9, 30)),
            item(id="B", unit="乙局", done_on=D(2026, 10, 8), deadline=D(2026, 10, 30)),
            item(
                id="C",
                unit="甲局",
                cadence=MONTHLY_5,
                assigned_on=D(2026, 8, 1),
                last_feedback_on=D(2026, 9, 4),
            ),
            item(id="X", unit="丙局", typed_status="已取消", deadline=D(2026, 9, 30)),
        ],
        units=[Unit("甲局"), Unit("乙局"), Unit("丙局")],
        letters=[Letter("催办〔2026〕5号", "催办函", D(2026, 10, 9), "甲局", ("A",))],
        settings=Settings(**settings),
    )


def test_scores_hand_computed():
    # 甲: −2 overdue A, −1 node 10-08 missed by C, −1 催办函 → 96
    # 乙: −0.5×2 co-unit of A, +1 B done ahead, −0.5 co-unit of the 催办函 → 99.5
    # 丙: only a cancelled item → 100
    outcome = compute(scoring_ledger(), T)
    assert outcome.period == "2026年第4季度"
    assert [(s.unit, s.score, s.rank) for s in outcome.scores] == [
        ("丙局", 100, 1),
        ("乙局", 99.5, 2),
        ("甲局", 96, 3),
    ]
    details = {s.unit: s.details for s in outcome.scores}
    assert (
        details["甲局"]["反馈逾期"] == 1
        and details["甲局"]["逾期事项"] == 1
        and details["甲局"]["催办函"] == 1
    )
    assert details["乙局"]["逾期事项"] == 0.5 and details["乙局"]["提前办结"] == 1


def test_scores_follow_weights_from_settings():
    outcome = compute(scoring_ledger(w_overdue=10, co_unit_factor=0, score_period="月度"), T)
    assert outcome.period == "2026年10月"
    assert [(s.unit, s.score) for s in outcome.scores] == [
        ("乙局", 101),
        ("丙局", 100),
        ("甲局", 88),
    ]


def test_late_feedback_before_the_period_is_not_counted():
    outcome = compute(scoring_ledger(score_period="年度"), T)
    # year 2026 for C: node 08-05 missed, 09-07 covered by the 09-04 report, 10-08 missed
    assert outcome.period == "2026年度"
    assert {s.unit: s.details["反馈逾期"] for s in outcome.scores}["甲局"] == 2


def test_ties_share_a_rank():
    facts = [
        ItemFacts("1", ("乙局",), overdue=True),
        ItemFacts("2", ("丙局",), overdue=True),
        ItemFacts("3", ("丁局",), overdue=True, late_feedbacks=1),
    ]
    period = Period("2026年第4季度", D(2026, 10, 1), D(2026, 12, 31))
    weights = Settings(score_base=100, w_overdue=2, w_late_feedback=1)
    scores = score_units(["甲局", "乙局", "丙局", "丁局"], facts, [], weights, period)
    assert [(s.unit, s.score, s.rank) for s in scores] == [
        ("甲局", 100, 1),
        ("乙局", 98, 2),
        ("丙局", 98, 2),
        ("丁局", 97, 4),
    ]


# --- 9. calendar fallback ------------------------------------------------------------------


def test_fallback_year_reported_once():
    items = [item(id="A", deadline=D(2027, 3, 1)), item(id="B", deadline=D(2027, 6, 1))]
    outcome = compute(Ledger(items=items, units=[Unit("甲局")]), D(2026, 11, 23))
    assert [(p.sheet, p.cell, p.fix) for p in outcome.problems] == [
        ("节假日调整", "", "请在节假日调整表补录该年度放假和调休安排")
    ]
    assert "2027" in outcome.problems[0].message


def test_overrides_for_the_year_silence_the_fallback():
    items = [item(id="A", deadline=D(2027, 3, 1))]
    ledger = Ledger(items=items, units=[Unit("甲局")], calendar_overrides={D(2027, 1, 1): False})
    assert compute(ledger, D(2026, 11, 23)).problems == []
