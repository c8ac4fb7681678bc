"""The refresh history beside the workbook: one SQLite file in .duban/ (WAL mode).

Each refresh appends every item's computed state in one transaction, so "since when is
this overdue" and the dashboard's trend can be answered; letters get their document
numbers here, atomically across processes, so a number is never handed out twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from automation import store
from automation.models import Item, ItemResult, Letter, UnitScore
from automation.schema import Level, Light, Status
from automation.store import Store, recovering


@dataclass(frozen=True)
class DraftRecord:
    """A 送审稿 as written: its file (the key its 发文登记 row names), what it printed, its hash."""

    file: str
    type: str
    date: date
    unit: str
    item_ids: tuple[str, ...]
    context: dict
    sha256: str
    state: str  # schema.LetterState
    decided_on: dt.date | None = None  # dt.: the field "date" hides the type here
    doc_no: str = ""


class History(Store):
    """The history kept in a workbook's database: ``<folder>/.duban/history.sqlite``."""

    @classmethod
    def if_present(cls, ledger_path: Path) -> History | None:
        """Open the history when the workbook has one; read-only commands never create it."""
        return cls(ledger_path) if store.exists(ledger_path) else None

    # -- refreshes -----------------------------------------------------------------------------

    @recovering
    def record_refresh(
        self, today: date, at: datetime, items: Sequence[Item], results: Sequence[ItemResult]
    ) -> int:
        """Append every item's computed state in one transaction; return the refresh id."""
        if len(items) != len(results):
            raise ValueError("items and results must be parallel sequences")
        rows = []
        for item, result in zip(items, results, strict=True):
            deadline = result.deadline
            rows.append(
                (
                    item.sheet,
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
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO refresh(today, at, items) VALUES (?, ?, ?)",
                (today.isoformat(), at.isoformat(), len(rows)),
            )
            refresh_id = cur.lastrowid
            assert refresh_id is not None  # sqlite3 sets it after every INSERT
            self._db.executemany(
                "INSERT INTO item_state(refresh_id, sheet, row, today, item_id, unit, category,"
                " leader, status, light, days_overdue, level, progress, deadline, days_left,"
                " next_feedback_on, expected_progress, deviation, reminder_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(refresh_id, *r) for r in rows],
            )
        return refresh_id

    @recovering
    def last_results(self) -> tuple[datetime | None, list[ItemResult]]:
        """Return when the latest refresh ran and the results it wrote (none before the first)."""
        latest = self._db.execute("SELECT id, at FROM refresh ORDER BY id DESC LIMIT 1").fetchone()
        if latest is None:
            return None, []
        rows = self._db.execute(
            "SELECT item_id, row, light, status, days_left, days_overdue, next_feedback_on,"
            " expected_progress, deviation, level, reminder_count, deadline, sheet"
            " FROM item_state WHERE refresh_id = ? ORDER BY sheet, row",
            (latest[0],),
        )
        results = [
            ItemResult(
                item_id,
                row,
                Light(light or ""),
                Status(status),
                days_left,
                days_overdue,
                date.fromisoformat(next_on) if next_on else None,
                expected,
                deviation,
                Level(level or ""),
                reminder_count or 0,
                date.fromisoformat(deadline) if deadline else None,
                sheet,
            )  # fmt: skip
            for item_id, row, light, status, days_left, days_overdue, next_on, expected, deviation, level, reminder_count, deadline, sheet in rows
        ]
        return datetime.fromisoformat(latest[1]), results

    @recovering
    def period_scores(self, period: str) -> list[UnitScore]:
        """Return the kept final ranking of an ended period (empty when none is kept)."""
        rows = self._db.execute(
            "SELECT unit, score, rank, details FROM period_score WHERE period = ? ORDER BY rank, unit",
            (period,),
        )
        return [
            UnitScore(unit, period, score, rank, json.loads(d)) for unit, score, rank, d in rows
        ]

    @recovering
    def keep_period_scores(self, scores: Sequence[UnitScore]) -> None:
        """Keep the final ranking of an ended period; an already kept one is not changed."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO period_score(period, unit, score, rank, details) VALUES (?, ?, ?, ?, ?)",
                [
                    (s.period, s.unit, s.score, s.rank, json.dumps(s.details, ensure_ascii=False))
                    for s in scores
                ],
            )

    @recovering
    def previous_levels(self) -> dict[str | tuple[str, str], str]:
        """Return item id -> 督办等级 at the latest refresh (empty before the first one).

        The parts of one item over several unit rows share its 编号: where rows share an id,
        each one's level is also kept under (item id, unit).
        """
        latest = self._db.execute("SELECT MAX(id) FROM refresh").fetchone()[0]
        if latest is None:
            return {}
        rows = self._db.execute(
            "SELECT item_id, unit, level FROM item_state WHERE refresh_id = ? ORDER BY sheet, row",
            (latest,),
        )
        levels: dict[str | tuple[str, str], str] = {}
        by_unit: dict[tuple[str, str], str] = {}
        shared: set[str] = set()
        for item_id, unit, level in rows:
            if item_id in levels:
                shared.add(item_id)
            levels[item_id] = by_unit[(item_id, unit or "")] = level or ""
        levels.update((key, level) for key, level in by_unit.items() if key[0] in shared)
        return levels

    @recovering
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
            (first.isoformat(), today.isoformat(), str(Status.OVERDUE)),
        )
        return [(date.fromisoformat(day), count) for day, count in rows]

    # -- document numbers and letters ---------------------------------------------------------

    @recovering
    def reserve_doc_no(self, letter_type: str, year: int, *, at_least: int = 0) -> int:
        """Reserve and return the next document number of a type and year, never reused.

        ``at_least`` lets the caller respect numbers already in 发文登记 (the next number
        is then above it).
        """
        with self.transaction():
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

    @recovering
    def record_letter(self, letter: Letter, seq: int) -> None:
        """Record an issued letter."""
        with self.transaction():
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

    @recovering
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

    # -- 送审稿 (docs/letters.md 审定) ------------------------------------------------------------

    @recovering
    def record_draft(self, draft: DraftRecord) -> None:
        """Record a 送审稿 written and registered by a run."""
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO draft(file, type, date, unit, item_ids, context, sha256,"
                " state, decided_on, doc_no) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.file,
                    draft.type,
                    draft.date.isoformat(),
                    draft.unit,
                    "\n".join(draft.item_ids),
                    json.dumps(draft.context, ensure_ascii=False, default=str),
                    draft.sha256,
                    draft.state,
                    draft.decided_on.isoformat() if draft.decided_on else None,
                    draft.doc_no or None,
                ),
            )

    @recovering
    def drafts(self, files: Iterable[str]) -> dict[str, DraftRecord]:
        """Return the recorded 送审稿 among ``files``, by file."""
        wanted = list(dict.fromkeys(f for f in files if f))
        found: dict[str, DraftRecord] = {}
        for start in range(0, len(wanted), 500):  # SQLite's limit on bound parameters
            chunk = wanted[start : start + 500]
            rows = self._db.execute(
                "SELECT file, type, date, unit, item_ids, context, sha256, state, decided_on,"
                f" doc_no FROM draft WHERE file IN ({', '.join('?' * len(chunk))})",
                chunk,
            )
            for file, kind, day, unit, ids, context, sha, state, decided, doc_no in rows:
                found[file] = DraftRecord(
                    file,
                    kind,
                    date.fromisoformat(day),
                    unit or "",
                    tuple(filter(None, (ids or "").split("\n"))),
                    json.loads(context),
                    sha,
                    state,
                    date.fromisoformat(decided) if decided else None,
                    doc_no or "",
                )
        return found

    @recovering
    def decide_draft(self, file: str, state: str, day: date, doc_no: str = "") -> None:
        """Record what became of a 送审稿 (issued under a 文号, or sent back) and on which day."""
        with self.transaction():
            self._db.execute(
                "UPDATE draft SET state = ?, decided_on = ?, doc_no = ? WHERE file = ?",
                (state, day.isoformat(), doc_no or None, file),
            )
