"""Plain data passed between the reader, the pure rules core and the writers.

Nothing here touches files or the clock.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from automation import schema
from automation.schema import LetterState, Level, Light, Status, TypedStatus, Verdict
from automation.settings import Settings


@dataclass(frozen=True)
class Problem:
    """One row of 校验问题: where (sheet + cell such as ``K12``), what is wrong, how to fix it."""

    sheet: str
    cell: str
    message: str
    fix: str

    @property
    def where(self) -> str:
        return f"{self.sheet}!{self.cell}" if self.cell else self.sheet

    def as_dict(self) -> dict[str, str]:
        """Return the problem for a JSON report."""
        return {"sheet": self.sheet, "cell": self.cell, "message": self.message, "fix": self.fix}


@dataclass(frozen=True)
class Unit:
    """A responsible unit from 责任单位."""

    name: str
    aliases: tuple[str, ...] = ()
    head: str = ""
    leader: str = ""
    contact: str = ""
    phone: str = ""
    emails: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    row: int = 0
    kind: str = ""  # 类型: 部门, 乡镇, 街道… (group words such as 各乡镇 expand through it)
    group: str = ""  # 通知群 as typed: names of [robot.NAME] sections of duban.toml
    # Where each of the unit's columns is, e.g. {"group": "I5"}, to name a cell in a problem.
    cells: dict[str, str] = field(default_factory=dict, compare=False)


@dataclass(frozen=True)
class Cadence:
    """A parsed 反馈周期. ``kind`` is one of none/weekly/biweekly/monthly/quarterly/dates."""

    text: str
    kind: str
    weekday: int | None = None  # 0 = Monday, for weekly/biweekly
    days: tuple[int, ...] = ()  # days of month, for monthly/quarterly
    dates: tuple[tuple[int, int], ...] = ()  # (month, day) pairs, for dates/quarterly
    stages: tuple[date, ...] = ()  # 阶段节点 from 办结时限 (absolute dates), nodes of any kind


@dataclass(slots=True)
class Item:
    """One normalised ledger row (督查事项). ``row`` is the 1-based sheet row it came from.

    Slotted: a big ledger holds tens of thousands (a third of the memory, and faster made).
    """

    row: int
    id: str
    id_assigned: bool = False
    sheet: str = schema.LEDGER
    # One item over several unit rows (事项内容 merged down, one row per unit): every part
    # carries (sheet, first row) and the item's 编号; each part is counted for its own unit.
    part_of: tuple[str, int] | None = None
    sheet_label: str = ""  # the sheet's name when the workbook has several ledger sheets
    seq: str = ""  # 序号 as typed: a row number, never the 编号
    category: str = ""
    source: str = ""
    content: str = ""
    requirement: str = ""
    leader: str = ""
    unit: str | None = None  # canonical name of the first lead unit (主送), None when unmatched
    unit_text: str = ""  # as typed
    units: tuple[str, ...] = ()  # every lead unit named (group words expanded), 主送 first
    co_units: tuple[str, ...] = ()
    person: str = ""
    phone: str = ""
    assigned_on: date | None = None
    deadline: date | None = None
    deadline_text: str = ""  # 办结时限 as typed
    deadline_rule: str = ""  # how words were read (e.g. "X月底 → 当月最后一天"); "" for a date
    ongoing: bool = False
    extended_to: date | None = None
    cadence: Cadence | None = None
    cadence_text: str = ""
    latest_progress: str = ""
    last_feedback_on: date | None = None
    progress: float | None = None  # 0-100
    progress_text: str = ""  # 完成进度 as typed (a number cell shown as a percentage)
    typed_status: TypedStatus = TypedStatus.IN_PROGRESS
    done_on: date | None = None
    done_known: bool = True  # False when the ledger has no 办结日期 column (on-time unknown)
    owner: str = ""
    note: str = ""

    @property
    def effective_deadline(self) -> date | None:
        return self.extended_to or self.deadline

    @property
    def ref(self) -> str:
        """Return the 编号 as outputs print it: with its sheet when there are several ledgers."""
        return f"{self.id}（{self.sheet_label}）" if self.sheet_label else self.id

    @property
    def lead_units(self) -> tuple[str, ...]:
        """Every lead unit of the item (主送 first); each sees it in its lists, mails and score."""
        return self.units or ((self.unit,) if self.unit else ())


@dataclass(frozen=True)
class Feedback:
    """One row of 进展记录."""

    date: date
    item_id: str
    unit: str = ""
    text: str = ""
    progress: float | None = None
    evidence: str = ""
    entered_by: str = ""
    row: int = 0
    progress_text: str = ""  # 完成进度 as typed (a number cell shown as a percentage)


@dataclass(frozen=True)
class Letter:
    """One letter, from 发文登记 or the history database: issued, or a 送审稿 under review."""

    doc_no: str
    type: str
    date: date
    unit: str = ""
    item_ids: tuple[str, ...] = ()
    file: str = ""
    state: str = ""  # 状态 (schema.LetterState); "" for a row without one
    reviewer: str = ""  # 审定人
    reviewed_on: dt.date | None = None  # 审定日期 (dt.: the field "date" hides the type here)
    row: int = 0  # its 发文登记 row (0: from the history)

    @property
    def issued(self) -> bool:
        """Tell whether the letter went out: only issued letters count, are mailed or escalate.

        已发出; a row without 状态 (registered by hand, or before 审定 existed); and an 已审定 row
        staff numbered themselves. A 送审稿 (待审定, 已审定 without 文号, 退回) is not issued.
        """
        if self.state in ("", LetterState.ISSUED):
            return True
        return self.state == LetterState.APPROVED and bool(self.doc_no)


@dataclass(frozen=True)
class Lookback:
    """One row of 回头看记录: a second look at a closed item and its 结论 (docs/rules.md §15)."""

    item_id: str
    date: date
    verdict: Verdict
    note: str = ""
    entered_by: str = ""
    row: int = 0


@dataclass(frozen=True)
class SheetLayout:
    """Where a staff sheet sits in the workbook: its name as typed, header row and columns (1-based)."""

    name: str
    header_row: int
    columns: dict[str, int]
    last_row: int
    max_col: int


@dataclass
class SheetReading:
    """How one ledger sheet was read, for `duban check`'s layout report."""

    sheet: str
    header_row: int
    fields: list[tuple[str, str, str]] = field(default_factory=list)  # (column, header, field)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (column, header) left alone
    items: int = 0
    words: int = 0  # deadlines read from words
    examples: list[tuple[str, str, str]] = field(default_factory=list)  # (cell, typed, read as)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, list[int]] = field(default_factory=dict)  # kind of row -> rows skipped


@dataclass
class LedgerSheet:
    """One ledger sheet: where its header and columns are, and what its computed cells hold."""

    name: str
    header_row: int = 1
    columns: dict[str, int] = field(default_factory=dict)  # key -> 1-based column
    last_row: int = 1
    # The last used column in any row (extra staff columns included), so computed columns
    # missing from an office's own ledger are added beyond it, never on it.
    max_col: int = 0
    # Values found in the computed columns (row -> key -> value, non-blank only), so the
    # refresh can tell what staff typed there from what the last refresh wrote (§11.3).
    computed_seen: dict[int, dict[str, object]] = field(default_factory=dict)
    year: int | None = None  # the year its name or title names (2025年督办事项)
    reading: SheetReading | None = None
    # (row, col) of the formula cells in the computed columns: never taken as already written.
    computed_formulas: frozenset[tuple[int, int]] = frozenset()

    def id_column(self) -> int:
        """Return the 编号 column: the staff's, or the one the refresh adds right of their columns."""
        return self.columns.get("id") or max([self.max_col, *self.columns.values(), 0]) + 1


@dataclass
class Ledger:
    """Everything read from one workbook, normalised, plus the problems found reading it."""

    items: list[Item] = field(default_factory=list)
    units: list[Unit] = field(default_factory=list)
    feedback: list[Feedback] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)
    lookbacks: list[Lookback] = field(default_factory=list)
    settings: Settings = field(default_factory=Settings)
    calendar_overrides: dict[date, bool] = field(default_factory=dict)  # date -> is working day
    problems: list[Problem] = field(default_factory=list)
    sheets: list[LedgerSheet] = field(default_factory=list)  # every ledger sheet read
    unread: list[tuple[str, str]] = field(default_factory=list)  # (sheet, why it is no ledger)
    # Every staff sheet found, by its schema name (进展记录, 发文登记, ...), so writers and
    # commands never reopen the workbook to find where to append.
    layouts: dict[str, SheetLayout] = field(default_factory=dict)
    sheet_names: list[str] = field(default_factory=list)  # every worksheet, in workbook order
    # The generated sheets as found (schema name -> grid of values from A1), so a refresh
    # keeps what staff typed beside or below the generated block (staffnotes.py).
    generated: dict[str, list[list[object]]] = field(default_factory=dict)

    def count_text(self) -> str:
        """Say how many items the ledger holds: parts of one item over unit rows count once."""
        items = len({i.part_of or (i.sheet, i.row) for i in self.items})
        if items == len(self.items):
            return f"共 {items} 个事项"
        return f"共 {items} 个事项（{len(self.items)} 行，部分事项按责任单位分行）"

    def sheet(self, name: str) -> LedgerSheet:
        """Return the ledger sheet called ``name`` (the template's 督办事项 when there is none)."""
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        return LedgerSheet(name)


@dataclass(slots=True)
class ItemResult:
    """The computed columns of one item (docs/rules.md §11.3). ``None`` means "cannot be computed".

    Read-only by convention, not frozen: a frozen dataclass takes seven times as long to
    make (one ``object.__setattr__`` per field), and every refresh makes one per item.
    """

    item_id: str
    row: int
    light: Light
    status: Status
    days_left: int | None = None
    days_overdue: int | None = None
    next_feedback_on: date | None = None
    expected_progress: int | None = None
    deviation: int | None = None
    level: Level = Level.NONE
    reminder_count: int = 0
    deadline: date | None = None  # 认定时限: the effective deadline the rules used
    sheet: str = schema.LEDGER


@dataclass(frozen=True)
class UnitScore:
    """One row of 考评排名 for one unit and period."""

    unit: str
    period: str
    score: float
    rank: int
    details: dict[str, float] = field(default_factory=dict)


# --- what to write: one plan shared by the file writer and the live (xlwings) writer ---


class CellWrite(NamedTuple):
    """Set one cell (1-based row/col) of a sheet to a value (str, int, float, date or None).

    A NamedTuple, not a dataclass: a 50 000-row refresh makes over half a million of them.
    """

    sheet: str
    row: int
    col: int
    value: object


@dataclass
class GeneratedSheet:
    """A sheet the refresh regenerates whole: a grid of values with light formatting hints.

    ``rows`` is the full grid (header rows included); ``header_rows`` are 0-based indexes
    of rows styled as headers; ``number_formats`` maps 0-based column -> Excel format.
    """

    name: str
    rows: list[list[object]]
    header_rows: tuple[int, ...] = (0,)
    widths: tuple[float, ...] = ()
    number_formats: dict[int, str] = field(default_factory=dict)
    freeze_rows: int = 1
    # A bar chart: (title, category column, value column, first data row, last data row), 0-based.
    chart: tuple[str, int, int, int, int] | None = None


@dataclass
class ColumnWrites:
    """Writes to whole columns of one sheet, kept as arrays: ``values[k][i]`` goes to row
    ``rows[i]`` of column ``columns[k]``.

    A 50 000-row refresh writes over half a million computed cells: one list per column,
    not one object per cell. ``kept[k]`` holds the indexes ``i`` whose cell already holds
    exactly that value (same type, no formula): the file writer leaves those cells as they
    are, the live writer writes whole rectangles; the workbook ends up the same either way.
    """

    sheet: str
    rows: list[int]
    columns: list[int]
    values: list[list[object]]
    kept: list[frozenset[int]] = field(default_factory=list)

    def cells(self, *, changed_only: bool = False) -> Iterator[CellWrite]:
        """Yield the writes one by one, row by row (only the changed ones if asked)."""
        kept = self.kept if changed_only and self.kept else [frozenset()] * len(self.columns)
        for i, row in enumerate(self.rows):
            for col, values, same in zip(self.columns, self.values, kept, strict=True):
                if i not in same:
                    yield CellWrite(self.sheet, row, col, values[i])


@dataclass
class WritePlan:
    """Everything one refresh changes in the workbook, and nothing else."""

    cells: list[CellWrite] = field(default_factory=list)
    # The computed columns of each ledger sheet; applied before ``cells`` (a later write wins).
    columns: list[ColumnWrites] = field(default_factory=list)
    sheets: list[GeneratedSheet] = field(default_factory=list)
    appends: dict[str, list[list[object]]] = field(default_factory=dict)
    # Per sheet, the columns (1-based) whose formulas a cell write may replace: duban's
    # computed columns. A formula anywhere else was typed by staff; the writer refuses it.
    formula_columns: dict[str, frozenset[int]] = field(default_factory=dict)

    def all_cells(self, *, changed_only: bool = False) -> list[CellWrite]:
        """Return every cell write, the column arrays' first, as single CellWrites."""
        found = [c for block in self.columns for c in block.cells(changed_only=changed_only)]
        return found + self.cells


@dataclass
class Outcome:
    """What the pure core computes for one ledger as of ``today``."""

    today: date
    results: list[ItemResult] = field(default_factory=list)  # one per item, same order as items
    problems: list[Problem] = field(
        default_factory=list
    )  # rule/calendar problems (reader's are in Ledger)
    scores: list[UnitScore] = field(default_factory=list)
    period: str = ""  # the scoring period's label, e.g. "2026年第4季度"

    def status_json(self) -> dict[str, int]:
        """Return the counts by 计算状态 label, for JSON reports."""
        return {schema.status_label(s): n for s, n in self.status_counts().items()}

    def status_counts(self) -> dict[Status, int]:
        """Count items by 计算状态, in the order of ``schema.Status``."""
        counts = {s: 0 for s in Status}
        for r in self.results:
            counts[r.status] = counts.get(r.status, 0) + 1
        return {k: v for k, v in counts.items() if v}
