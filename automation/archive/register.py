"""What 文件夹管理 keeps in the workbook's database (tables made by automation.store's migrations).

- ``error_entry``: the 差错登记, one row per (编号, 差错类型, basis); rows are added once and
  only ever updated to 已纠正, never deleted, so the log survives every later refresh;
- ``filed_doc``: each document duban put in an item's folder, by where it came from, so it is
  put there once (a file staff removed from the folder is not put back) and the 目录 can say
  its date, type and 文号.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from automation import store
from automation.archive.accountability import ErrorEntry
from automation.schema import ErrorKind
from automation.store import Store, recovering


@dataclass(frozen=True)
class FiledDoc:
    """A document duban put in an item's folder: its name there, type, date, 文号 and origin."""

    item_id: str
    origin: str  # where it was copied from, as recorded (relative to the ledger folder if inside)
    name: str  # its file name in the folder
    kind: str  # a 文书类型, 反馈表 or 佐证材料
    day: date | None = None
    doc_no: str = ""


class Register(Store):
    """The 差错 entries and filed documents of one workbook's database."""

    @classmethod
    def if_present(cls, ledger_path: Path) -> Register | None:
        """Open the database when the workbook has one (a dry run never creates it)."""
        return cls(ledger_path) if store.exists(ledger_path) else None

    @recovering
    def entries(self) -> list[ErrorEntry]:
        """Return every 差错 entry ever logged, in the order logged."""
        rows = self._db.execute(
            "SELECT item_id, kind, basis, owner, occurred_on, recorded_on, content, unit, detail,"
            " corrected_on, correction FROM error_entry ORDER BY rowid"
        )
        return [
            ErrorEntry(
                item_id,
                ErrorKind(kind),
                date.fromisoformat(basis),
                owner,
                date.fromisoformat(occurred),
                date.fromisoformat(recorded),
                content or "",
                unit or "",
                detail or "",
                date.fromisoformat(fixed) if fixed else None,
                how or "",
            )  # fmt: skip
            for item_id, kind, basis, owner, occurred, recorded, content, unit, detail, fixed, how in rows
        ]

    @recovering
    def log(self, new: Iterable[ErrorEntry], corrected: Iterable[ErrorEntry]) -> None:
        """Add new entries (once: a key already logged is left alone) and mark others 已纠正."""
        new, corrected = list(new), list(corrected)
        if not (new or corrected):
            return
        with self.transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO error_entry(item_id, kind, basis, owner, occurred_on,"
                " recorded_on, content, unit, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(e.item_id, str(e.kind), e.basis.isoformat(), e.owner, e.occurred_on.isoformat(),
                  e.recorded_on.isoformat(), e.content, e.unit, e.detail) for e in new],
            )  # fmt: skip
            self._db.executemany(
                "UPDATE error_entry SET corrected_on = ?, correction = ?"
                " WHERE item_id = ? AND kind = ? AND basis = ? AND corrected_on IS NULL",
                [(e.corrected_on.isoformat() if e.corrected_on else None, e.correction,
                  e.item_id, str(e.kind), e.basis.isoformat()) for e in corrected],
            )  # fmt: skip

    @recovering
    def filed(self) -> dict[str, list[FiledDoc]]:
        """Return 编号 -> the documents filed in its folder, in the order filed."""
        found: dict[str, list[FiledDoc]] = defaultdict(list)
        rows = self._db.execute(
            "SELECT item_id, origin, name, kind, day, doc_no FROM filed_doc ORDER BY rowid"
        )
        for item_id, origin, name, kind, day, doc_no in rows:
            found[item_id].append(
                FiledDoc(
                    item_id,
                    origin,
                    name,
                    kind,
                    date.fromisoformat(day) if day else None,
                    doc_no or "",
                )  # fmt: skip
            )
        return found

    @recovering
    def record_filed(self, docs: Iterable[FiledDoc], at: datetime) -> None:
        """Record documents put in folders (a document filed again keeps its first record)."""
        docs = list(docs)
        if not docs:
            return
        with self.transaction():
            self._db.executemany(
                "INSERT OR IGNORE INTO filed_doc(item_id, origin, name, kind, day, doc_no, filed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(d.item_id, d.origin, d.name, d.kind, d.day.isoformat() if d.day else None,
                  d.doc_no, at.isoformat(timespec="seconds")) for d in docs],
            )  # fmt: skip
