"""The one SQLite database beside a workbook (``.duban/history.sqlite``), with one migration list.

History (refreshes, document numbers, letters, kept rankings) and the send log share it.
Every schema change is one entry of ``MIGRATIONS``, applied in order under a write lock and
counted in ``PRAGMA user_version``. A database that is broken (not a database, or its
pages malformed) is moved aside, kept, and replaced by a fresh one; the caller is told what
was lost (``Store.reset_note``) instead of being blocked by advice that cannot help.
"""

from __future__ import annotations

import functools
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from automation import errors, paths
from automation.schema import Status

WAL_ATTEMPTS = 100  # x 50 ms

_V1 = """
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
)
"""

# The rest of each item's computed result, so the latest refresh's results (and so what it
# wrote into the computed columns) can be read back to tell a value staff typed there from
# our own; and each ended scoring period's final ranking, kept as published.
_V2 = """
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
)
"""

# The send log (mail_sent: one row per reminder the server accepted) and the sending lock.
# Earlier versions created these outside the migrations, hence IF NOT EXISTS.
_V3 = """
CREATE TABLE IF NOT EXISTS mail_sent (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    recipients TEXT NOT NULL,
    subject TEXT NOT NULL,
    message_id TEXT,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (day, kind, unit)
);
CREATE TABLE IF NOT EXISTS mail_lock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    owner TEXT NOT NULL,
    since TEXT NOT NULL
)
"""

# Item states keyed by sheet too: a workbook may hold several ledger sheets (one per year or
# category). Rows recorded before have no sheet ('') and are matched by 编号 alone.
_V4 = """
CREATE TABLE item_state_v4 (
    refresh_id INTEGER NOT NULL REFERENCES refresh(id),
    sheet TEXT NOT NULL DEFAULT '',
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
    days_left INTEGER,
    next_feedback_on TEXT,
    expected_progress INTEGER,
    deviation INTEGER,
    reminder_count INTEGER,
    PRIMARY KEY (refresh_id, sheet, row)
);
INSERT INTO item_state_v4 (refresh_id, sheet, row, today, item_id, unit, category, leader,
    status, light, days_overdue, level, progress, deadline, days_left, next_feedback_on,
    expected_progress, deviation, reminder_count)
  SELECT refresh_id, '', row, today, item_id, unit, category, leader, status, light,
    days_overdue, level, progress, deadline, days_left, next_feedback_on, expected_progress,
    deviation, reminder_count FROM item_state;
DROP TABLE item_state;
ALTER TABLE item_state_v4 RENAME TO item_state;
CREATE INDEX IF NOT EXISTS item_state_item ON item_state(item_id, refresh_id)
"""

# The group robots' send log: one row per part of a message a robot accepted; the channel
# is "robot.<name>" of duban.toml, as a long digest goes out in several parts.
_V5 = """
CREATE TABLE IF NOT EXISTS robot_sent (
    day TEXT NOT NULL,
    kind TEXT NOT NULL,
    unit TEXT NOT NULL,
    channel TEXT NOT NULL,
    part INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    title TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (day, kind, unit, channel, part)
)
"""

# 送审稿 (docs/letters.md 审定): what each draft printed, so the letter issued once it is approved
# says what was approved; the file's hash tells whether staff edited the draft meanwhile. Keyed
# by the draft file (relative to the ledger's folder), which its 发文登记 row names.
_V6 = """
CREATE TABLE IF NOT EXISTS draft (
    file TEXT PRIMARY KEY,
    type TEXT NOT NULL,
    date TEXT NOT NULL,
    unit TEXT,
    item_ids TEXT,
    context TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    state TEXT NOT NULL,
    decided_on TEXT,
    doc_no TEXT
)
"""

# 文件夹管理 (docs/rules.md §13, §14): the 差错登记, kept across refreshes and only ever marked
# 已纠正, and the documents put in each item's folder (automation/archive/register.py).
_V7 = """
CREATE TABLE IF NOT EXISTS error_entry (
    item_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    basis TEXT NOT NULL,
    owner TEXT NOT NULL,
    occurred_on TEXT NOT NULL,
    recorded_on TEXT NOT NULL,
    content TEXT,
    unit TEXT,
    detail TEXT,
    corrected_on TEXT,
    correction TEXT,
    PRIMARY KEY (item_id, kind, basis)
);
CREATE TABLE IF NOT EXISTS filed_doc (
    item_id TEXT NOT NULL,
    origin TEXT NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    day TEXT,
    doc_no TEXT,
    filed_at TEXT NOT NULL,
    PRIMARY KEY (item_id, origin)
)
"""

# Each refresh row carries every item's state at once (``states``: column arrays, JSON, zlib;
# see history_states.py) and its number of 逾期 items (the dashboard's trend); from then on
# item_state logs only the items whose standing changed. Older refreshes keep their full
# item_state rows, counted here once.
_V8 = f"""
ALTER TABLE refresh ADD COLUMN overdue INTEGER;
ALTER TABLE refresh ADD COLUMN states BLOB;
UPDATE refresh SET overdue = (SELECT COUNT(*) FROM item_state s
    WHERE s.refresh_id = refresh.id AND s.status = '{Status.OVERDUE}')
"""

MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3, _V4, _V5, _V6, _V7, _V8)
SCHEMA_VERSION = len(MIGRATIONS)

# SQLite's words for a file that is not (or no longer) a usable database.
_BROKEN = ("not a database", "malformed", "file is encrypted", "disk image")

T = TypeVar("T")
S = TypeVar("S", bound="Store")


def db_path(ledger_path: Path) -> Path:
    """Return the database file of the workbook at ``ledger_path``."""
    return paths.history_db(ledger_path)


def exists(ledger_path: Path) -> bool:
    """Tell whether the workbook has a database yet (read-only commands never create one)."""
    return db_path(ledger_path).exists()


def is_broken(error: BaseException) -> bool:
    """Tell whether an sqlite error means the file itself is damaged (not merely busy)."""
    return isinstance(error, sqlite3.DatabaseError) and any(
        word in str(error).lower() for word in _BROKEN
    )


class Store:
    """A connection to a workbook's database, migrated to ``SCHEMA_VERSION``."""

    def __init__(self, ledger_path: Path):
        self.path = db_path(ledger_path)
        self.reset_note = ""
        self._db = self._open()

    # -- opening -------------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(self.path, isolation_level=None, timeout=10)
        except (OSError, sqlite3.Error) as e:
            raise self._unwritable(e) from e
        try:
            db.execute("PRAGMA busy_timeout = 10000")
            _enable_wal(db)
            db.execute("PRAGMA foreign_keys = ON")
            _migrate(db, self.path)
            return db
        except errors.DubanError:
            db.close()
            raise
        except sqlite3.Error as e:
            db.close()
            if is_broken(e) and not self.reset_note:
                self._set_aside(e)
                return self._open()
            raise self._unwritable(e) from e

    def _unwritable(self, e: BaseException) -> errors.WriteFailed:
        return errors.WriteFailed(
            f"无法打开刷新历史数据库（{e}）",
            "请检查台账所在文件夹是否可写、磁盘是否已满",
            path=str(self.path),
        )

    def _set_aside(self, error: BaseException) -> None:
        """Move a damaged database (and its WAL files) aside, keeping it, and say what is lost."""
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        kept = self.path.with_name(f"{self.path.stem}.损坏-{stamp}{self.path.suffix}")
        try:
            self.path.replace(kept)
            for extra in ("-wal", "-shm"):
                side = self.path.with_name(self.path.name + extra)
                if side.exists():
                    side.replace(kept.with_name(kept.name + extra))
        except OSError as e:
            raise errors.WriteFailed(
                f"刷新历史数据库已损坏（{error}），且无法移开（{e.strerror or e}）",
                "请关闭可能占用它的程序，把该文件改名或移走后再试",
                path=str(self.path),
            ) from e
        self.reset_note = (
            f"注意：刷新历史数据库已损坏（{error}），原文件已保留为 {kept}，并新建了空的历史。"
            "丢失的是此前的刷新记录（趋势、督办等级的延续）、文号预留和今日的发送记录："
            "新文号仍会接在“发文登记”表已有文号之后；今日已发的提醒可能会再发一次。"
        )

    def _recover(self, error: BaseException) -> None:
        self._db.close()
        self._set_aside(error)
        self._db = self._open()

    # -- use -----------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the database connection."""
        self._db.close()

    def __enter__(self: S) -> S:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def transaction(self) -> _Transaction:
        """Return BEGIN IMMEDIATE ... COMMIT as a context manager; errors become WriteFailed."""
        return _Transaction(self._db)


def recovering(method: Callable[..., T]) -> Callable[..., T]:
    """Decorate a Store method: when the database turns out damaged, set it aside and retry once."""

    @functools.wraps(method)
    def run(self: Store, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except (errors.WriteFailed, sqlite3.DatabaseError) as e:
            cause = e.__cause__ if isinstance(e, errors.WriteFailed) else e
            if cause is None or not is_broken(cause) or self.reset_note:
                raise
            self._recover(cause)
        return method(self, *args, **kwargs)

    return run


def _enable_wal(db: sqlite3.Connection) -> None:
    # Switching a new database to WAL needs an exclusive lock, and SQLite reports "locked"
    # there without waiting on busy_timeout: retry briefly when processes start together.
    for attempt in range(WAL_ATTEMPTS):
        try:
            db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as e:
            if "locked" not in str(e) or attempt == WAL_ATTEMPTS - 1:
                raise
            time.sleep(0.05)


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    db.execute("SELECT count(*) FROM sqlite_master").fetchone()  # a damaged header fails here
    if version > SCHEMA_VERSION:
        raise errors.ConfigError(
            f"刷新历史数据库的版本（{version}）比本程序新",
            "请升级 duban 后再运行",
            path=str(path),
        )
    if version == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        # Read again under the write lock: another process may have upgraded it meanwhile.
        version = db.execute("PRAGMA user_version").fetchone()[0]
        for script in MIGRATIONS[version:]:
            for statement in filter(str.strip, script.split(";")):
                db.execute(statement)
        db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error; sqlite errors become WriteFailed."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as e:
            raise errors.WriteFailed(f"刷新历史数据库被占用或无法写入（{e}）", "请稍后重试") from e

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if kind is None:
            try:
                self.db.execute("COMMIT")
                return
            except sqlite3.Error as e:
                self.db.execute("ROLLBACK")
                raise errors.WriteFailed(f"保存刷新历史失败（{e}）", "请检查磁盘空间后重试") from e
        if self.db.in_transaction:
            self.db.execute("ROLLBACK")
        if isinstance(value, sqlite3.Error):
            raise errors.WriteFailed(
                f"保存刷新历史失败（{value}）", "请检查磁盘空间后重试"
            ) from value
