"""The history database: refresh states, overdue runs, trend, document numbers, letters."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path

import pytest

from automation.history import History
from automation.models import Item, ItemResult, Letter
from automation.store import MIGRATIONS, SCHEMA_VERSION


def _refresh(
    h: History, today: date, statuses: dict[str, str], levels: dict[str, str] | None = None
) -> int:
    items, results = [], []
    for row, (item_id, status) in enumerate(statuses.items(), start=2):
        items.append(
            Item(
                row=row,
                id=item_id,
                unit="县教育局",
                category="民生实事",
                deadline=date(2026, 9, 30),
                progress=50,
            )
        )
        level = (levels or {}).get(item_id, "")
        results.append(
            ItemResult(
                item_id,
                row,
                "红" if status == "逾期" else "绿",
                status,
                days_overdue=None,
                deadline=date(2026, 9, 30),
                level=level,
            )
        )
    return h.record_refresh(today, datetime.combine(today, datetime.min.time()), items, results)


def test_database_is_created_beside_the_workbook_in_wal_mode(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    with History(ledger) as h:
        _refresh(h, date(2026, 10, 9), {"A": "逾期"})
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    row = db.execute(
        "SELECT today, item_id, unit, category, status, progress, deadline FROM item_state"
    ).fetchone()
    assert row == ("2026-10-09", "A", "县教育局", "民生实事", "逾期", 50.0, "2026-09-30")


def test_previous_levels_come_from_the_latest_refresh(tmp_path):
    with History(tmp_path / "台账.xlsx") as h:
        assert h.previous_levels() == {}
        _refresh(h, date(2026, 10, 8), {"A": "逾期", "B": "临期"}, {"A": "催办", "B": "提醒"})
        _refresh(h, date(2026, 10, 9), {"A": "逾期", "B": "逾期"}, {"A": "限期整改", "B": "催办"})
        assert h.previous_levels() == {"A": "限期整改", "B": "催办"}


def test_trend_counts_overdue_items_at_each_days_latest_refresh(tmp_path):
    with History(tmp_path / "台账.xlsx") as h:
        _refresh(h, date(2026, 6, 1), {"A": "逾期"})  # older than 90 days
        _refresh(h, date(2026, 10, 5), {"A": "逾期", "B": "临期", "C": "逾期"})
        _refresh(h, date(2026, 10, 6), {"A": "逾期", "B": "逾期", "C": "逾期"})
        _refresh(h, date(2026, 10, 6), {"A": "已办结", "B": "逾期", "C": "逾期"})
        _refresh(h, date(2026, 10, 7), {"A": "已办结", "B": "正常推进", "C": "正常推进"})
        assert h.trend(date(2026, 10, 7)) == [
            (date(2026, 10, 5), 2),
            (date(2026, 10, 6), 2),
            (date(2026, 10, 7), 0),
        ]
        assert h.trend(date(2026, 10, 6), days=1) == [(date(2026, 10, 6), 2)]


def test_duplicate_item_ids_in_one_refresh_are_kept(tmp_path):
    with History(tmp_path / "台账.xlsx") as h:
        _refresh(h, date(2026, 10, 9), {"A": "逾期"})
        items = [Item(row=2, id="X"), Item(row=3, id="X")]
        results = [ItemResult("X", 2, "红", "逾期"), ItemResult("X", 3, "绿", "正常推进")]
        h.record_refresh(date(2026, 10, 10), datetime(2026, 10, 10, 8, 30), items, results)
        assert h.trend(date(2026, 10, 10), days=1) == [(date(2026, 10, 10), 1)]


def test_doc_numbers_are_sequential_per_type_and_year_and_never_reused(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    with History(ledger) as h:
        assert [h.reserve_doc_no("催办函", 2026) for _ in range(3)] == [1, 2, 3]
        assert h.reserve_doc_no("督办通知单", 2026) == 1
        assert h.reserve_doc_no("催办函", 2027) == 1
        assert h.reserve_doc_no("催办函", 2026, at_least=12) == 13
    with History(ledger) as h:  # a letter that failed after reserving still used its number
        assert h.reserve_doc_no("催办函", 2026) == 14


_RESERVE = """
import sys
from pathlib import Path
from automation.history import History
with History(Path(sys.argv[1])) as h:
    print(" ".join(str(h.reserve_doc_no("催办函", 2026)) for _ in range(25)))
"""


def test_doc_numbers_are_unique_across_concurrent_processes(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    History(ledger).close()
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _RESERVE, str(ledger)],
            stdout=subprocess.PIPE,
            text=True,
            cwd=Path.cwd(),
        )
        for _ in range(3)
    ]
    numbers = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        numbers += [int(n) for n in out.split()]
    assert sorted(numbers) == list(range(1, 76))


def test_letters_round_trip(tmp_path):
    letter = Letter(
        "督办〔2026〕12号",
        "催办函",
        date(2026, 10, 9),
        "县教育局",
        ("DB-2026-001", "DB-2026-007"),
        "催办函/县教育局.docx",
    )
    with History(tmp_path / "台账.xlsx") as h:
        seq = h.reserve_doc_no("催办函", 2026)
        h.record_letter(letter, seq)
    with History(tmp_path / "台账.xlsx") as h:
        assert h.letters() == [letter]


def test_a_newer_database_is_refused_in_chinese(tmp_path):
    from automation import errors

    History(tmp_path / "台账.xlsx").close()
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    db.execute("PRAGMA user_version = 99")
    db.close()
    with pytest.raises(errors.ConfigError, match="比本程序新"):
        History(tmp_path / "台账.xlsx")


def test_version_1_database_is_upgraded_in_place_keeping_its_rows(tmp_path):

    ledger = tmp_path / "台账.xlsx"
    (tmp_path / ".duban").mkdir()
    db = sqlite3.connect(tmp_path / ".duban" / "history.sqlite")
    db.executescript(MIGRATIONS[0])
    db.execute("INSERT INTO refresh(today, at, items) VALUES ('2026-10-08', '2026-10-08T08:30', 0)")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with History(ledger) as history:
        assert history.trend(date(2026, 10, 9)) == [(date(2026, 10, 8), 0)]
        assert history.last_results() == (datetime(2026, 10, 8, 8, 30), [])
    with sqlite3.connect(tmp_path / ".duban" / "history.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_last_results_give_back_exactly_what_the_latest_refresh_computed(tmp_path):
    item = Item(row=5, id="DB-2026-001", unit="县教育局", deadline=date(2026, 9, 30))
    first = ItemResult(
        "DB-2026-001", 5, "黄", "临期", 2, None, date(2026, 10, 12), 80, -10, "提醒", 0
    )
    second = ItemResult("DB-2026-001", 5, "红", "逾期", 0, 1, None, 100, -30, "", 1)
    with History(tmp_path / "台账.xlsx") as history:
        assert history.last_results() == (None, [])
        history.record_refresh(date(2026, 10, 8), datetime(2026, 10, 8, 8, 30), [item], [first])
        history.record_refresh(date(2026, 10, 9), datetime(2026, 10, 9, 8, 30), [item], [second])
        assert history.last_results() == (datetime(2026, 10, 9, 8, 30), [second])


def test_an_ended_periods_ranking_is_kept_once_and_not_changed_later(tmp_path):
    from automation.models import UnitScore

    with History(tmp_path / "台账.xlsx") as history:
        assert history.period_scores("2026年第3季度") == []
        history.keep_period_scores(
            [UnitScore("县教育局", "2026年第3季度", 98.5, 1, {"催办函": -1.0})]
        )
        history.keep_period_scores([UnitScore("县教育局", "2026年第3季度", 70.0, 9, {})])
        kept = history.period_scores("2026年第3季度")
    assert kept == [UnitScore("县教育局", "2026年第3季度", 98.5, 1, {"催办函": -1.0})]


def test_processes_opening_a_new_database_at_once_all_succeed(tmp_path):
    # Each process opens (and so creates and upgrades) the same new database at the same time.
    script = (
        "import sys, time; from pathlib import Path; from automation.history import History\n"
        "time.sleep(max(0.0, float(sys.argv[2]) - time.time()))\n"
        "History(Path(sys.argv[1])).close()\n"
    )
    import time as _time

    start = str(_time.time() + 2.0)
    ledger = str(tmp_path / "台账.xlsx")
    procs = [
        subprocess.Popen([sys.executable, "-c", script, ledger, start], stderr=subprocess.PIPE)
        for _ in range(6)
    ]
    errors = [p.communicate()[1].decode() for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, errors
    with sqlite3.connect(tmp_path / ".duban" / "history.sqlite") as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


@pytest.mark.parametrize(
    "damage",
    [
        lambda p: p.write_bytes(b"this is not a database, just text a program wrote over it"),
        lambda p: p.write_bytes(p.read_bytes()[:1500]),  # cut short by a crash or a full disk
        lambda p: p.write_bytes(p.read_bytes()[:100] + bytes(200) + p.read_bytes()[300:]),
    ],
    ids=["garbage", "truncated", "header-zeroed"],
)
def test_a_damaged_history_is_set_aside_and_a_fresh_one_started(tmp_path, damage):
    ledger = tmp_path / "台账.xlsx"
    item = Item(row=2, id="DB-2026-001", unit="县教育局", deadline=date(2026, 9, 30))
    result = ItemResult("DB-2026-001", 2, "红", "逾期", 0, 1, None, 100, -30, "", 1)
    with History(ledger) as history:
        for day in range(1, 20):
            history.record_refresh(
                date(2026, 10, day), datetime(2026, 10, day, 8), [item], [result]
            )
    db = tmp_path / ".duban" / "history.sqlite"
    for side in ("history.sqlite-wal", "history.sqlite-shm"):
        (tmp_path / ".duban" / side).unlink(missing_ok=True)
    damage(db)
    with History(ledger) as history:
        history.record_refresh(date(2026, 10, 20), datetime(2026, 10, 20, 8), [item], [result])
        assert history.trend(date(2026, 10, 20)) == [(date(2026, 10, 20), 1)]
        note = history.reset_note
    assert "已损坏" in note and "原文件已保留为" in note
    kept = [
        p for p in (tmp_path / ".duban").iterdir() if "损坏" in p.name and p.suffix == ".sqlite"
    ]
    assert len(kept) == 1 and kept[0].name in note


def test_a_refresh_on_a_damaged_history_succeeds_and_says_what_was_lost(tmp_path):
    from automation.refresh import refresh
    from tests.fixtures_xlsx import TODAY, good_row, write_ledger

    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1)])
    refresh(path, today=TODAY)
    (tmp_path / ".duban" / "history.sqlite").write_bytes(b"\x00" * 4096)
    report = refresh(path, today=TODAY)
    assert any("刷新历史数据库已损坏" in n for n in report.notes)
    assert "刷新历史数据库已损坏" in report.summary()
