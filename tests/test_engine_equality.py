"""The rules core gives the answers it gave before issue 19's speed-ups, on random ledgers.

``score_units`` now adds only the rules an item counts for; the reference below is the
earlier code, kept to compare with: the scores, ranks and details must be the same to the
last digit, since a rounding on a 0.005 boundary would reorder a published ranking.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from automation.models import Item, Ledger, Letter, Unit
from automation.rules.engine import compute
from automation.rules.scoring import (
    EARLY,
    LATE_FEEDBACK,
    LEAD_ITEMS,
    OVERDUE,
    RED,
    REMINDER,
    RULE_WEIGHTS,
    YELLOW,
    ItemFacts,
    Period,
    _unit_weights,
    score_units,
)
from automation.schema import LetterType, Level, TypedStatus
from automation.settings import Settings

UNITS = ["甲局", "乙局", "丙局", "丁镇"]
PERIOD = Period("2026年第4季度", date(2026, 10, 1), date(2026, 12, 31))


def reference_tallies(unit_names, facts, reminder_units, settings):
    """The tallies as score_units built them before (every rule added, zeros included)."""
    factor = settings.co_unit_factor
    names = list(dict.fromkeys([*unit_names, *(u for f in facts for u in f.units)]))
    tallies = {name: dict.fromkeys([LEAD_ITEMS, *RULE_WEIGHTS], 0.0) for name in names}
    for f in facts:
        rules = {
            LATE_FEEDBACK: f.late_feedbacks,
            OVERDUE: int(f.overdue),
            YELLOW: int(f.level == Level.YELLOW_CARD),
            RED: int(f.level == Level.RED_CARD),
            EARLY: int(f.early),
        }
        for unit, weight in _unit_weights(f.units, f.co_units, factor).items():
            if unit not in tallies:
                continue
            tally = tallies[unit]
            tally[LEAD_ITEMS] += unit in f.units
            for rule, count in rules.items():
                tally[rule] += weight * count
    for letter_units in reminder_units:
        for unit, weight in letter_units.items():
            if unit in tallies:
                tallies[unit][REMINDER] += weight
    return names, tallies


facts = st.builds(
    ItemFacts,
    item_id=st.just("x"),
    units=st.lists(st.sampled_from(UNITS + ["外单位"]), max_size=2).map(tuple),
    co_units=st.lists(st.sampled_from(UNITS), max_size=2).map(tuple),
    late_feedbacks=st.integers(0, 4),
    overdue=st.booleans(),
    level=st.sampled_from(list(Level)),
    early=st.booleans(),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(facts, max_size=40),
    st.sampled_from([0.5, 0.3, 0.1, 1.0, 0.0, 0.7]),
    st.floats(0, 10, allow_nan=False),
)
def test_scores_equal_the_reference(items, factor, weight):
    setting = Settings(co_unit_factor=factor, w_late_feedback=weight, w_overdue=weight / 3)
    reminders = [{"甲局": 1.0, "乙局": factor}]
    scores = score_units(UNITS, items, reminders, setting, PERIOD)
    names, tallies = reference_tallies(UNITS, items, reminders, setting)
    expected = {}
    for name in names:
        score = setting.score_base
        for rule, key in RULE_WEIGHTS.items():
            score += (1 if rule == EARLY else -1) * getattr(setting, key) * tallies[name][rule]
        expected[name] = (round(score, 2), {k: round(v, 2) for k, v in tallies[name].items()})
    assert {s.unit: (s.score, s.details) for s in scores} == expected


def test_compute_on_a_random_ledger_is_stable_across_runs():
    # Memoised answers live on the calendar: a second compute must not depend on the first.
    rng = random.Random(11)
    today = date(2026, 11, 20)
    items = [
        Item(
            row=n + 2,
            id=f"DB-2026-{n:03d}",
            unit=rng.choice(UNITS),
            units=(rng.choice(UNITS),),
            typed_status=rng.choice(list(TypedStatus)),
            assigned_on=today - timedelta(days=rng.randrange(30, 300)),
            deadline=today + timedelta(days=rng.randrange(-60, 60)),
            progress=rng.choice([None, 10.0, 50.0, 90.0]),
        )
        for n in range(300)
    ]
    letters = [Letter("催办〔2026〕1号", LetterType.REMINDER, today, "甲局", ("DB-2026-001",))]
    ledger = Ledger(items=items, units=[Unit(u) for u in UNITS])
    first = compute(ledger, today, letters=letters)
    again = compute(ledger, today, letters=letters)
    assert first == again and len(first.results) == 300
