"""The refresh history beside the workbook: one SQLite file in .duban/ (WAL mode).

Each refresh appends every item's computed state in one transaction, so "since when is
this overdue" and the dashboard's trend can be answered; letters get their document
numbers here, atomically across processes, so a number is never handed out twice.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from automation import errors
from automation.models import Item, ItemResult, Letter, UnitScore

DB_NAME = Path(".duban") / "history.sqlite"
OVERDUE = "逾期"
SCHEMA_VERSION = 2
WAL_ATTEMPTS = 100  # x 50 ms

_SCHEMA = """
CREATE TABLE IF NOT EXISTS refresh (
    id INTEGER PRIMARY KEY,
    today TEXT NOT NULL,
    at TEXT NOT NULL,
    items INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS refresh_today ON refresh(today, id);
CREATE TABLE IF NOT EXISTS item_state (
    refresh_id INTEGER NOT NULL REFERENCES refresh(id),
    row INTEGER NOT NULL,
    today TEXT NOT NULL,
    item_id TEXT NOT NULL,
    unit TEXT,
    category TEXT,
    leader TEXT,
    status TEXT NOT NULL,
    light TEXT,
    days_overdue INTEGER,
    level TEXT,
    progress REAL,
    deadline TEXT,
    PRIMARY KEY (refresh_id, row)
);
CREATE INDEX IF NOT EXISTS item_state_item ON item_state(item_id, refresh_id);
CREATE TABLE IF NOT EXISTS doc_number (
    type TEXT NOT NULL,
    year INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    reserved_at TEXT NOT NULL,
    UNIQUE (type, year, seq)
);
CREATE TABLE IF NOT EXISTS letter (
    doc_no TEXT NOT NULL,
    type TEXT NOT NULL,
    seq INTEGER NOT NULL,
    date TEXT NOT NULL,
    unit TEXT,
    item_ids TEXT,
    file TEXT,
    UNIQUE (type, date, seq, unit)
);
"""

# Version 2: the rest of each item's computed result, so the latest refresh's results (and
# so what it wrote into the computed columns) can be read back to tell a value staff typed
# there from our own (SPEC §3.3); and each ended scoring period's final ranking, computed
# once and then kept as published.
_SCHEMA_2 = """
ALTER TABLE item_state ADD COLUMN days_left INTEGER;
ALTER TABLE item_state ADD COLUMN next_feedback_on TEXT;
ALTER TABLE item_state ADD COLUMN expected_progress INTEGER;
ALTER TABLE item_state ADD COLUMN deviation INTEGER;
ALTER TABLE item_state ADD COLUMN reminder_count INTEGER;
CREATE TABLE IF NOT EXISTS period_score (
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    score REAL NOT NULL,
    rank INTEGER NOT NULL,
    details TEXT NOT NULL,
    PRIMARY KEY (period, unit)
);
"""


class History:
    """The history database of one workbook: ``<folder>/.duban/history.sqlite``."""

    def __init__(self, ledger_path: Path):
        self.path = Path(ledger_path).parent / DB_NAME
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
            self._db.execute("PRAGMA busy_timeout = 10000")
            self._enable_wal()
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except errors.DubanError:
            self._db.close()
            raise
        except (OSError, sqlite3.Error) as e:
            raise errors.WriteFailed(
                f"无法打开刷新历史数据库（{e}）",
                "请检查台账所在文件夹是否可写、磁盘是否已满",
                path=str(self.path),
            ) from e

    def _enable_wal(self) -> None:
        # Switching a new database to WAL needs an exclusive lock, and SQLite reports "locked"
        # there without waiting on busy_timeout: retry briefly when processes start together.
        for attempt in range(WAL_ATTEMPTS):
            try:
                self._db.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError as e:
                if "locked" not in str(e) or attempt == WAL_ATTEMPTS - 1:
                    raise
                time.sleep(0.05)

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise errors.ConfigError(
                f"刷新历史数据库的版本（{version}）比本程序新",
                "请升级 duban 后再运行",
                path=str(self.path),
            )
        if version >= SCHEMA_VERSION:
            return
        self._db.execute("BEGIN IMMEDIATE")
        # Read again under the write lock: another process may have upgraded it meanwhile.
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        for script in (_SCHEMA, _SCHEMA_2)[version:]:
            for statement in filter(str.strip, script.split(";")):
                self._db.execute(statement)
        self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        self._db.execute("COMMIT")

    # -- context manager ---------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self) -> History:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- refreshes -----------------------------------------------------------------------------

    def record_refresh(
        self, today: date, at: datetime, items: Sequence[Item], results: Sequence[ItemResult]
    ) -> int:
        """Append every item's computed state in one transaction; return the refresh id."""
        if len(items) != len(results):
            raise ValueError("items and results must be parallel sequences")
        rows = []
        for item, result in zip(items, results, strict=True):
            deadline = item.effective_deadline
            rows.append(
                (
                    item.row,
                    today.isoformat(),
                    result.item_id or item.id,
                    item.unit or item.unit_text,
                    item.category,
                    item.leader,
                    result.status,
                    result.light,
                    result.days_overdue,
                    result.level,
                    item.progress,
                    deadline.isoformat() if deadline else None,
                    result.days_left,
                    result.next_feedback_on.isoformat() if result.next_feedback_on else None,
                    result.expected_progress,
                    result.deviation,
                    result.reminder_count,
                )
            )
        with self._transaction():
            cur = self._db.execute(
                "INSERT INTO refresh(today, at, items) VALUES (?, ?, ?)",
                (today.isoformat(), at.isoformat(), len(rows)),
            )
            refresh_id = cur.lastrowid
            self._db.executemany(
                "INSERT INTO item_state(refresh_id, row, today, item_id, unit, category, leader, status,"
                " light, days_overdue, level, progress, deadline, days_left, next_feedback_on,"
                " expected_progress, deviation, reminder_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(refresh_id, *r) for r in rows],
            )
        return refresh_id

    def last_results(self) -> tuple[datetime | None, list[ItemResult]]:
        """Return when the latest refresh ran and the results it wrote (none before the first)."""
        latest = self._db.execute("SELECT id, at FROM refresh ORDER BY id DESC LIMIT 1").fetchone()
        if latest is None:
            return None, []
        rows = self._db.execute(
            "SELECT item_id, row, light, status, days_left, days_overdue, next_feedback_on,"
            " expected_progress, deviation, level, reminder_count"
            " FROM item_state WHERE refresh_id = ? ORDER BY row",
            (latest[0],),
        )
        results = [
            ItemResult(
                item_id,
                row,
                light or "",
                status,
                days_left,
                days_overdue,
                date.fromisoformat(next_on) if next_on else None,
                expected,
                deviation,
                level or "",
                reminder_count or 0,
            )  # fmt: skip
            for item_id, row, light, status, days_left, days_overdue, next_on, expected, deviation, level, reminder_count in rows
        ]
        return datetime.fromisoformat(latest[1]), results

    def period_scores(self, period: str) -> list[UnitScore]:
        """Return the kept final ranking of an ended period (empty when none is kept)."""
        rows = self._db.execute(
            "SELECT unit, score, rank, details FROM period_score WHERE period = ? ORDER BY rank, unit",
            (period,),
        )
        return [
            UnitScore(unit, period, score, rank, json.loads(d)) for unit, score, rank, d in rows
        ]

    def keep_period_scores(self, scores: Sequence[UnitScore]) -> None:
        """Keep the final ranking of an ended period; an already kept one is not changed."""
        with self._transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO period_score(period, unit, score, rank, details) VALUES (?, ?, ?, ?, ?)",
                [
                    (s.period, s.unit, s.score, s.rank, json.dumps(s.details, ensure_ascii=False))
                    for s in scores
                ],
            )

    def previous_levels(self) -> dict[str, str]:
        """Return item id -> 督办等级 at the latest refresh (empty before the first one)."""
        latest = self._db.execute("SELECT MAX(id) FROM refresh").fetchone()[0]
        if latest is None:
            return {}
        rows = self._db.execute(
            "SELECT item_id, level FROM item_state WHERE refresh_id = ? ORDER BY row", (latest,)
        )
        return {item_id: level or "" for item_id, level in rows}

    def overdue_since(self, item_id: str, today: date) -> date | None:
        """Return the first day of the item's current unbroken run of 逾期, or None."""
        rows = self._db.execute(
            """
            SELECT s.today, s.status FROM item_state s
            JOIN (SELECT today, MAX(id) AS id FROM refresh WHERE today <= ? GROUP BY today) d ON d.id = s.refresh_id
            WHERE s.item_id = ? ORDER BY s.today DESC
            """,
            (today.isoformat(), item_id),
        ).fetchall()
        since = None
        for day, status in rows:
            if status != OVERDUE:
                break
            since = day
        return date.fromisoformat(since) if since else None

    def trend(self, today: date, days: int = 90) -> list[tuple[date, int]]:
        """Return (day, number of 逾期 items) for each refresh day in the last ``days`` days."""
        first = today - timedelta(days=days - 1)
        rows = self._db.execute(
            """
            SELECT d.today, COUNT(s.item_id) FROM
              (SELECT today, MAX(id) AS id FROM refresh WHERE today BETWEEN ? AND ? GROUP BY today) d
            LEFT JOIN item_state s ON s.refresh_id = d.id AND s.status = ?
            GROUP BY d.today ORDER BY d.today
            """,
            (first.isoformat(), today.isoformat(), OVERDUE),
        )
        return [(date.fromisoformat(day), count) for day, count in rows]

    # -- document numbers and letters ---------------------------------------------------------

    def reserve_doc_no(self, letter_type: str, year: int, *, at_least: int = 0) -> int:
        """Reserve and return the next document number of a type and year, never reused.

        ``at_least`` lets the caller respect numbers already in 发文登记 (the next number
        is then above it).
        """
        with self._transaction():
            current = self._db.execute(
                "SELECT COALESCE(MAX(seq), 0) FROM doc_number WHERE type = ? AND year = ?",
                (letter_type, year),
            ).fetchone()[0]
            seq = max(current, at_least) + 1
            self._db.execute(
                "INSERT INTO doc_number(type, year, seq, reserved_at) VALUES (?, ?, ?, ?)",
                (letter_type, year, seq, datetime.now().isoformat(timespec="seconds")),
            )
        return seq

    def record_letter(self, letter: Letter, seq: int) -> None:
        """Record an issued letter."""
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO letter(doc_no, type, seq, date, unit, item_ids, file) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    letter.doc_no,
                    letter.type,
                    seq,
                    letter.date.isoformat(),
                    letter.unit,
                    "\n".join(letter.item_ids),
                    letter.file,
                ),
            )

    def letters(self) -> list[Letter]:
        """Return every recorded letter, in the order they were recorded."""
        rows = self._db.execute(
            "SELECT doc_no, type, date, unit, item_ids, file FROM letter ORDER BY rowid"
        )
        return [
            Letter(
                doc_no,
                kind,
                date.fromisoformat(day),
                unit or "",
                tuple(filter(None, (ids or "").split("\n"))),
                file or "",
            )
            for doc_no, kind, day, unit, ids, file in rows
        ]

    def _transaction(self):
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; sqlite errors become WriteFailed."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise errors.WriteFailed(f"刷新历史数据库被占用或无法写入（{e}）", "请稍后重试") from e

    def __exit__(self, kind, value, tb) -> bool:
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return False
            except sqlite3.Error as e:
                self.db.execute("ROLLBACK")
                raise errors.WriteFailed(f"保存刷新历史失败（{e}）", "请检查磁盘空间后重试") from e
        self.db.execute("ROLLBACK")
        if isinstance(value, sqlite3.Error):
            raise errors.WriteFailed(
                f"保存刷新历史失败（{value}）", "请检查磁盘空间后重试"
            ) from value
        return False
