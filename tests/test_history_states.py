"""Item states kept in the refresh row (migration 8): the history answers as it did with a row per item.

Before, every refresh inserted a row per item into item_state and the answers came from
there. The reference answers below are computed from what was recorded, the way those
queries computed them; the history must give exactly these, for refreshes recorded now,
for refreshes recorded before the migration, and across it.
"""

from __future__ import annotations

import random
import sqlite3
from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest

from automation import history_states
from automation.history import History
from automation.models import Item, ItemResult
from automation.schema import Level, Light, Status
from automation.store import MIGRATIONS

UNITS = ["县教育局", "县财政局", None]


def random_refresh(rng: random.Random, ids: list[str]) -> tuple[list[Item], list[ItemResult]]:
    """Return the items of one refresh: some rows gone, some moved, ids sometimes repeated."""
    items, results = [], []
    rows = rng.sample(range(2, 60), len(ids))
    for item_id, row in zip(ids, rows, strict=True):
        sheet = rng.choice(["督办事项", "督办事项", "2025年督办事项"])
        deadline = rng.choice([None, date(2026, 9, 30), date(2026, 12, 31)])
        items.append(
            Item(
                row=row,
                id=item_id,
                sheet=sheet,
                unit=rng.choice(UNITS),
                unit_text=rng.choice(["县教育局", "教育局", ""]),
                category=rng.choice(["", "会议议定"]),
                leader=rng.choice(["", "张副县长"]),
                progress=rng.choice([None, 0.0, 37.5, 100.0]),
            )
        )
        results.append(
            ItemResult(
                rng.choice([item_id, item_id, ""]),
                row,
                rng.choice(list(Light)),
                rng.choice(list(Status)),
                rng.choice([None, 0, 4]),
                rng.choice([None, 2, 30]),
                rng.choice([None, date(2026, 10, 12)]),
                rng.choice([None, 0, 55, 100]),
                rng.choice([None, -20, 5]),
                rng.choice(list(Level)),
                rng.randrange(3),
                deadline,
                sheet,
            )
        )
    return items, results


def expected_last(items, results) -> list[ItemResult]:
    # What SELECT ... WHERE refresh_id = latest ORDER BY sheet, row gave back.
    return sorted(
        (
            ItemResult(
                r.item_id or i.id,
                r.row,
                r.light,
                r.status,
                r.days_left,
                r.days_overdue,
                r.next_feedback_on,
                r.expected_progress,
                r.deviation,
                r.level,
                r.reminder_count,
                r.deadline,
                i.sheet,
            )  # fmt: skip
            for i, r in zip(items, results, strict=True)
        ),
        key=lambda r: (r.sheet, r.row),
    )


def expected_levels(items, results) -> dict:
    # What SELECT item_id, unit, level ... ORDER BY sheet, row gave: a later row wins for a
    # repeated id, and an id on several rows (the parts of one item) is also kept per unit.
    pairs = sorted(zip(items, results, strict=True), key=lambda p: (p[0].sheet, p[1].row))
    ids = [r.item_id or i.id for i, r in pairs]
    levels: dict = {k: str(r.level) for k, (_, r) in zip(ids, pairs, strict=True)}
    for k, (i, r) in zip(ids, pairs, strict=True):
        if ids.count(k) > 1:
            levels[(k, i.unit or i.unit_text or "")] = str(r.level)
    return levels


def test_answers_equal_the_row_per_item_answers_over_many_refreshes(tmp_path):
    rng = random.Random(19)
    days: dict[date, int] = {}
    with History(tmp_path / "台账.xlsx") as history:
        for n in range(25):
            day = date(2026, 9, 1) + timedelta(days=n // 2)
            ids = [f"DB-{k}" for k in rng.sample(range(40), rng.randrange(0, 30))]
            ids += rng.sample(ids, min(2, len(ids)))  # an 编号 typed twice
            items, results = random_refresh(rng, ids)
            at = datetime.combine(day, datetime.min.time()) + timedelta(hours=n)
            history.record_refresh(day, at, items, results)
            days[day] = sum(r.status == Status.OVERDUE for r in results)
            assert history.last_results() == (at, expected_last(items, results))
            assert history.previous_levels() == expected_levels(items, results)
        assert history.trend(day, days=90) == sorted(days.items())
    with History(tmp_path / "台账.xlsx") as reopened:  # and read afresh by another process
        assert reopened.last_results() == (at, expected_last(items, results))
        assert reopened.previous_levels() == expected_levels(items, results)


def test_item_state_logs_only_the_items_whose_standing_changed(tmp_path):
    def result(item_id, row, status, days_left):
        return ItemResult(item_id, row, Light.GREEN, status, days_left=days_left)

    items = [Item(row=2, id="A"), Item(row=3, id="B"), Item(row=4, id="C")]
    with History(tmp_path / "台账.xlsx") as history:
        first = history.record_refresh(
            date(2026, 10, 8),
            datetime(2026, 10, 8, 8),
            items,
            [result("A", 2, Status.ON_TRACK, 5), result("B", 3, Status.ON_TRACK, 5),
             result("C", 4, Status.ON_TRACK, 5)],
        )  # fmt: skip
        second = history.record_refresh(
            date(2026, 10, 9),
            datetime(2026, 10, 9, 8),
            [*items[:2], Item(row=4, id="D")],  # C's row now holds another item
            [result("A", 2, Status.ON_TRACK, 4), result("B", 3, Status.DUE_SOON, 4),
             result("D", 4, Status.ON_TRACK, 4)],
        )  # fmt: skip
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    logged = db.execute("SELECT refresh_id, item_id FROM item_state ORDER BY rowid").fetchall()
    assert logged == [(first, "A"), (first, "B"), (first, "C"), (second, "B"), (second, "D")]


@pytest.mark.parametrize("version", [4, 5])
def test_refreshes_recorded_before_the_migration_answer_as_before(tmp_path, version):
    """A history written with a row per item (schema 4 or 5) is upgraded in place."""
    rng = random.Random(version)
    (tmp_path / ".duban").mkdir()
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    for script in MIGRATIONS[:version]:
        db.executescript(script)
    db.execute(f"PRAGMA user_version = {version}")
    recorded = []
    for n in range(3):
        day = date(2026, 10, 1 + n)
        items, results = random_refresh(rng, [f"DB-{k}" for k in range(12)])
        cur = db.execute(
            "INSERT INTO refresh(today, at, items) VALUES (?, ?, ?)",
            (day.isoformat(), f"{day.isoformat()}T08:30:00", len(items)),
        )
        columns = history_states.columns_of(items, results)
        db.executemany(
            "INSERT INTO item_state(refresh_id, sheet, row, today, item_id, unit, category,"
            " leader, status, light, days_overdue, level, progress, deadline, days_left,"
            " next_feedback_on, expected_progress, deviation, reminder_count)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (cur.lastrowid, sheet, row, day.isoformat(), *rest)
                for sheet, row, *rest in history_states.rows(columns)
            ],
        )
        recorded.append((day, items, results))
    db.commit()
    db.close()
    day, items, results = recorded[-1]
    with History(tmp_path / "台账.xlsx") as history:
        assert history.last_results() == (
            datetime(2026, 10, 3, 8, 30),
            expected_last(items, results),
        )
        assert history.previous_levels() == expected_levels(items, results)
        assert history.trend(date(2026, 10, 3)) == [
            (d, sum(r.status == Status.OVERDUE for r in rs)) for d, _, rs in recorded
        ]
        # The next refresh compares with the item_state rows of the last one: a change is logged.
        other = Status.CANCELLED if results[0].status != Status.CANCELLED else Status.ON_TRACK
        changed = [replace(results[0], status=other), *results[1:]]
        history.record_refresh(date(2026, 10, 4), datetime(2026, 10, 4, 8), items, changed)
        assert history.last_results()[1] == expected_last(items, changed)
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    logged = db.execute("SELECT row, status FROM item_state WHERE today = '2026-10-04'").fetchall()
    assert (
        logged == [(items[0].row, str(Status.CANCELLED))] or results[0].status == Status.CANCELLED
    )


def test_unreadable_states_count_as_no_previous_refresh(tmp_path):
    items, results = random_refresh(random.Random(1), ["A", "B"])
    with History(tmp_path / "台账.xlsx") as history:
        history.record_refresh(date(2026, 10, 8), datetime(2026, 10, 8, 8), items, results)
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    db.execute("UPDATE refresh SET states = ?", (b"not zlib",))
    db.commit()
    with History(tmp_path / "台账.xlsx") as history:
        assert history.last_results() == (datetime(2026, 10, 8, 8), [])
        assert history.previous_levels() == {}
