"""Properties of the rules core that must hold for any ledger row and any day (hypothesis)."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from automation import schema
from automation.models import Item, Ledger, Letter, Unit
from automation.rules.cadence import next_feedback_on, parse_cadence
from automation.rules.engine import compute
from automation.rules.workdays import WorkCalendar
from automation.schema import Level, Light, Status, TypedStatus

CAL = WorkCalendar()
DAYS = st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31))
MAYBE_DAY = st.none() | DAYS
CADENCE_TEXTS = [
    "无",
    "每周五",
    "每周一",
    "每两周",
    "每月5日",
    "每月10日、25日",
    "每月底",
    "每季度",
    "每季度末月10日",
    "4月10日、7月10日、10月10日、12月10日",
]
CADENCES = st.sampled_from([parse_cadence(t) for t in CADENCE_TEXTS])

items = st.builds(
    Item,
    row=st.just(2),
    id=st.just("DB-2026-001"),
    unit=st.just("甲局"),
    typed_status=st.sampled_from(schema.TYPED_STATUSES),
    assigned_on=MAYBE_DAY,
    deadline=MAYBE_DAY,
    extended_to=st.none() | DAYS,
    done_on=st.none() | DAYS,
    ongoing=st.booleans(),
    cadence=st.none() | CADENCES,
    last_feedback_on=MAYBE_DAY,
    progress=st.none() | st.floats(min_value=0, max_value=100),
)


def result_for(it: Item, today: date, **kwargs):
    return compute(Ledger(items=[it], units=[Unit("甲局")]), today, **kwargs).results[0]


@settings(max_examples=200, deadline=None)
@given(items, DAYS)
def test_status_and_light_are_defined_values_and_percentages_bounded(it, today):
    r = result_for(it, today)
    assert r.status in tuple(Status) and r.light in tuple(Light) and r.level in tuple(Level)
    # Only a deadline nobody could read leaves 计算状态 and 预警 blank, never a green light.
    unknown = it.typed_status in schema.ACTIVE_TYPED and not it.done_on
    unknown = unknown and it.effective_deadline is None and not it.ongoing
    assert (r.status == Status.UNKNOWN) == unknown
    assert (r.light == Light.NONE) == unknown
    assert r.expected_progress is None or 0 <= r.expected_progress <= 100
    assert r.days_left is None or r.days_left >= 0
    assert r.days_overdue is None or r.days_overdue >= 0


@settings(max_examples=150, deadline=None)
@given(items, DAYS, DAYS)
def test_a_done_item_is_never_overdue(it, done_on, today):
    it.done_on = done_on
    if it.typed_status not in schema.SET_ASIDE:
        it.typed_status = TypedStatus.DONE
    r = result_for(it, today)
    assert r.status != Status.OVERDUE
    assert r.light != Light.RED


@settings(max_examples=100, deadline=None)
@given(
    deadline=st.dates(min_value=date(2025, 1, 1), max_value=date(2026, 6, 30)),
    reminder_offsets=st.lists(st.integers(1, 60), max_size=3),
    feedback_offset=st.none() | st.integers(0, 80),
    steps=st.lists(st.integers(1, 9), min_size=1, max_size=12),
)
def test_escalation_never_decreases_while_overdue(
    deadline, reminder_offsets, feedback_offset, steps
):
    item_id = "DB-2026-001"
    feedback = None if feedback_offset is None else deadline + timedelta(days=feedback_offset)
    it = Item(
        row=2, id=item_id, unit="甲局", assigned_on=deadline - timedelta(days=60), deadline=deadline
    )
    it.last_feedback_on = feedback
    letters = [
        Letter(f"催办〔2026〕{i}号", "催办函", deadline + timedelta(days=o), "甲局", (item_id,))
        for i, o in enumerate(reminder_offsets, start=1)
    ]
    rank = {level: i for i, level in enumerate(schema.LEVELS)}
    today, previous = deadline + timedelta(days=1), ""
    for step in steps:
        # Only feedback dated on or before today is known on that day.
        it.last_feedback_on = feedback if feedback is not None and feedback <= today else None
        r = result_for(it, today, letters=letters, previous_levels={item_id: previous})
        assert r.status == "逾期"
        assert rank[r.level] >= rank[previous]
        previous = r.level
        today += timedelta(days=step)


JUNK = st.text() | st.text(
    alphabet="每周月季度末首日号前后、，,;； 0123456789０１２３一二三四五六七八九十两年半天星期"
)


@settings(max_examples=200, deadline=None)
@given(JUNK)
def test_any_cadence_text_parses_or_raises_value_error_only(text):
    try:
        cadence = parse_cadence(text)
    except ValueError as e:
        assert "反馈周期" in str(e)
        return
    if cadence.kind != "none":
        node = next_feedback_on(cadence, date(2026, 3, 1), None, date(2026, 3, 1), CAL)
        assert node is not None and node >= date(2026, 3, 1) and CAL.is_workday(node)


@settings(max_examples=150, deadline=None)
@given(CADENCES, DAYS, DAYS)
def test_next_feedback_is_a_working_day_after_the_latest_feedback(cadence, assigned_on, latest):
    node = next_feedback_on(cadence, assigned_on, latest, latest, CAL)
    if cadence.kind == "none":
        assert node is None
        return
    assert CAL.is_workday(node)
    assert node >= assigned_on
    if latest >= assigned_on:
        assert node > latest


@settings(max_examples=150, deadline=None)
@given(DAYS, DAYS)
def test_workdays_after_equals_a_day_by_day_count(a, b):
    naive = sum(CAL.is_workday(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))
    assert CAL.workdays_after(a, b) == naive
