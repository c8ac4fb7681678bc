"""The send log: which reminders the mail server and the group robots accepted.

One row per (day, kind, unit) for mail and per (day, kind, unit, channel, part) for a
robot message (a long digest goes out in parts), written right after the server accepted
the message and never before, so a rerun after a crash or a failure sends exactly what is
missing. The one sending lock covers both, so two runs never interleave. The tables live
in the workbook's one database, created by its migrations (automation.store).
"""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import date, datetime, timedelta
from pathlib import Path

from automation import errors
from automation.store import Store

# A sending run refreshes its lock after every message; one silent for this long has died.
STALE_LOCK = timedelta(minutes=30)


class SendLog(Store):
    """The mail_sent and robot_sent tables of one workbook's database (see automation.store)."""

    def __init__(self, ledger_path: Path):
        super().__init__(ledger_path)
        self._owner = ""

    def acquire(self, now: datetime) -> None:
        """Take the sending lock, so two runs at once cannot both send a unit's reminder."""
        self._owner = f"{socket.gethostname()}:{os.getpid()}:{id(self)}"
        try:
            self._db.execute("BEGIN IMMEDIATE")
            row = self._db.execute("SELECT owner, since FROM mail_lock WHERE id = 1").fetchone()
            if row and datetime.fromisoformat(row[1]) > now - STALE_LOCK:
                self._db.execute("ROLLBACK")
                raise errors.SendFailed(
                    f"另一个发送任务正在进行（{row[0]}，最近活动于 {row[1][:19]}）",
                    "请等它结束后再运行；若确认没有其他任务在运行，30 分钟后锁会自动失效",
                    path=str(self.path),
                )
            self._db.execute(
                "INSERT OR REPLACE INTO mail_lock(id, owner, since) VALUES (1, ?, ?)",
                (self._owner, now.isoformat(timespec="seconds")),
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            raise errors.WriteFailed(
                f"无法写入发送记录数据库（{e}）", "请稍后重试", path=str(self.path)
            ) from e

    def release(self) -> None:
        """Give the sending lock back."""
        self._db.execute("DELETE FROM mail_lock WHERE id = 1 AND owner = ?", (self._owner,))

    def sent_keys(self, day: date) -> set[tuple[str, str, str]]:
        """Return the (day, kind, unit) keys already sent on a day."""
        rows = self._db.execute(
            "SELECT day, kind, unit FROM mail_sent WHERE day = ?", (day.isoformat(),)
        )
        return {tuple(r) for r in rows}

    def record(
        self,
        key: tuple[str, str, str],
        recipients: tuple[str, ...],
        subject: str,
        message_id: str,
        at: datetime,
    ) -> None:
        """Record that the server accepted the message with this key (and keep the lock alive)."""
        self._record_sent(
            "INSERT OR IGNORE INTO mail_sent(day, kind, unit, recipients, subject, message_id, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*key, ", ".join(recipients), subject, message_id),
            at,
            "邮件",
            "核对该邮件是否已收到",
        )

    def robot_sent_keys(self, day: date) -> set[tuple[str, str, str, str, int]]:
        """Return the (day, kind, unit, channel, part) keys of robot messages sent on a day."""
        rows = self._db.execute(
            "SELECT day, kind, unit, channel, part FROM robot_sent WHERE day = ?",
            (day.isoformat(),),
        )
        return {tuple(r) for r in rows}

    def record_robot(
        self, key: tuple[str, str, str, str, int], parts: int, title: str, at: datetime
    ) -> None:
        """Record that a robot accepted one part of a message (and keep the lock alive)."""
        self._record_sent(
            "INSERT OR IGNORE INTO robot_sent(day, kind, unit, channel, part, parts, title,"
            " sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (*key, parts, title),
            at,
            "群消息",
            "在群里核对该消息是否已收到",
        )

    def _record_sent(
        self, insert: str, values: tuple[object, ...], at: datetime, what: str, check: str
    ) -> None:
        """Insert a sent row (``values`` then the time) and refresh the lock, in one transaction."""
        stamp = at.isoformat(timespec="seconds")
        try:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(insert, (*values, stamp))
            self._db.execute(
                "UPDATE mail_lock SET since = ? WHERE id = 1 AND owner = ?", (stamp, self._owner)
            )
            self._db.execute("COMMIT")
        except sqlite3.Error as e:
            if self._db.in_transaction:
                self._db.execute("ROLLBACK")
            raise errors.WriteFailed(
                f"{what}已发出，但写入发送记录失败（{e}）",
                f"请检查磁盘空间；重新运行前请先{check}，以免重复发送",
                path=str(self.path),
            ) from e

    def rows(self, day: date) -> list[tuple[str, str, str, str]]:
        """Return (kind, unit, recipients, sent_at) of every message sent on a day."""
        return list(
            self._db.execute(
                "SELECT kind, unit, recipients, sent_at FROM mail_sent WHERE day = ? ORDER BY sent_at, unit",
                (day.isoformat(),),
            )
        )
