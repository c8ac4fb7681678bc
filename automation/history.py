"""The refresh history beside the workbook: one SQLite file in .duban/ (WAL mode).

Each refresh records every item's computed state in one transaction (all of them in the
refresh's own row, and a row per item whose standing changed: history_states.py), so what
the last refresh wrote, "since when is this overdue" and the dashboard's trend can be
answered; letters get their document numbers here, atomically across processes, so a
number is never handed out twice.
"""

from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from automation import history_states, store
from automation.models import Item, ItemResult, Letter, UnitScore
from automation.schema import Status
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

    # The latest refresh (id, at, its items' states), read once: evaluate and record ask twice.
    _cached: tuple[int, str, dict[str, list] | None] | None = None

    def _recover(self, error: BaseException) -> None:
        self._cached = None
        super()._recover(error)

    @classmethod
    def if_present(cls, ledger_path: Path) -> History | None:
        """Open the history when the workbook has one; read-only commands never create it."""
        return cls(ledger_path) if store.exists(ledger_path) else None

    # -- refreshes -----------------------------------------------------------------------------

    @recovering
    def record_refresh(
        self, today: date, at: datetime, items: Sequence[Item], results: Sequence[ItemResult]
    ) -> int:
        """Record a refresh: one row with every item's state, and the items whose standing changed.

        Return the refresh id.
        """
        columns = history_states.columns_of(items, results)
        latest = self._latest()
        changed = history_states.changed(columns, latest[2] if latest else None)
        day = today.isoformat()
        with self.transaction():
            cur = self._db.execute(
                "INSERT INTO refresh(today, at, items, overdue, states) VALUES (?, ?, ?, ?, ?)",
                (
                    day,
                    at.isoformat(),
                    len(items),
                    columns["status"].count(str(Status.OVERDUE)),
                    history_states.pack(columns),
                ),
            )
            refresh_id = cur.lastrowid
            assert refresh_id is not None  # sqlite3 sets it after every INSERT
            self._db.executemany(
                "INSERT INTO item_state(refresh_id, sheet, row, today, item_id, unit, category,"
                " leader, status, light, days_overdue, level, progress, deadline, days_left,"
                " next_feedback_on, expected_progress, deviation, reminder_count)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (refresh_id, sheet, row, day, *rest)
                    for sheet, row, *rest in history_states.rows(columns, changed)
                ],
            )
        self._cached = (refresh_id, at.isoformat(), columns)
        return refresh_id

    def _latest(self) -> tuple[int, str, dict[str, list] | None] | None:
        """Return the latest refresh: id, when, and its items' states (None when not kept whole).

        Refreshes recorded before the states were kept in the refresh row have them as
        item_state rows: then the states are read from there.
        """
        latest = self._db.execute("SELECT id, at FROM refresh ORDER BY id DESC LIMIT 1").fetchone()
        if latest is None:
            return None
        if self._cached is not None and self._cached[0] == latest[0]:
            return self._cached
        (blob,) = self._db.execute("SELECT states FROM refresh WHERE id = ?", latest[:1]).fetchone()
        try:
            columns = history_states.unpack(blob) if blob is not None else self._rows_of(latest[0])
        except (ValueError, zlib.error):
            columns = None  # unreadable: as if that refresh's states were not kept
        self._cached = (latest[0], latest[1], columns)
        return self._cached

    def _rows_of(self, refresh_id: int) -> dict[str, list]:
        """Return a refresh's states from its item_state rows (refreshes before migration 8)."""
        found = self._db.execute(
            f"SELECT {', '.join(history_states.COLUMNS)} FROM item_state WHERE refresh_id = ?"
            " ORDER BY rowid",
            (refresh_id,),
        ).fetchall()
        table = list(zip(*found, strict=True)) or [() for _ in history_states.COLUMNS]
        return {
            name: list(values) for name, values in zip(history_states.COLUMNS, table, strict=True)
        }

    @recovering
    def last_results(self) -> tuple[datetime | None, list[ItemResult]]:
        """Return when the latest refresh ran and the results it wrote (none before the first)."""
        latest = self._latest()
        if latest is None:
            return None, []
        at, columns = datetime.fromisoformat(latest[1]), latest[2]
        return at, history_states.results(columns) if columns else []

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
        latest = self._latest()
        return history_states.levels(latest[2]) if latest and latest[2] else {}

    @recovering
    def trend(self, today: date, days: int = 90) -> list[tuple[date, int]]:
        """Return (day, number of 逾期 items) for each refresh day in the last ``days`` days."""
        first = today - timedelta(days=days - 1)
        rows = self._db.execute(
            """
            SELECT d.today, COALESCE(r.overdue, 0) FROM
              (SELECT today, MAX(id) AS id FROM refresh WHERE today BETWEEN ? AND ? GROUP BY today) d
            JOIN refresh r ON r.id = d.id
            ORDER BY d.today
            """,
            (first.isoformat(), today.isoformat()),
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
