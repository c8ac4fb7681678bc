"""Issue the letters of a run: number and render them, or draft them for 审定, and prepare 发文登记.

The order keeps numbers unique and the register honest even when a run fails half way:

1. ``issue_letters`` numbers the 送审稿 staff approved (review.py) and the letters due that
   need no 审定 — each 文号 reserved in the history database (atomic across processes), each
   .docx rendered into 输出/<date>/<type>/ — and drafts the letters that need 审定 into
   输出/<date>/送审稿/ without a number; it builds the 发文登记 rows to append and the cells of
   approved rows to update (文号, 日期, 文件, 状态 → 已发出);
2. the refresh writes the workbook (rows and cells included) in one atomic replace;
3. only then ``record_issued`` records the letters and drafts in the history and makes PDFs.

If step 2 fails (the workbook changed, is open, the disk is full) the files are deleted
(``Batch.discard``) and the reserved numbers are simply skipped, never reused.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from automation import schema
from automation.errors import UsageError, WriteFailed
from automation.evaluate import Evaluation
from automation.history import DraftRecord, History
from automation.letters import approval, docx_render, drafts, review
from automation.letters import selection as letters
from automation.letters.report import ReportRequest, report_draft
from automation.models import CellWrite, GeneratedSheet, Ledger, Letter, Problem, WritePlan
from automation.schema import LetterState
from automation.units import resolve_unit


@dataclass(frozen=True)
class LetterRequest:
    """What a run issues: approved 送审稿 always; the letters due (only ``types``, only ``unit``)
    when ``due``; a 落实情况报告 when ``report`` is given (report.py); PDFs too with ``pdf``."""

    types: tuple[str, ...] = ()
    unit: str = ""
    pdf: bool = False
    due: bool = True
    report: ReportRequest | None = None


@dataclass
class Batch:
    """What one run issued and drafted, and what it adds to or changes in 发文登记."""

    letters: list[Letter] = field(default_factory=list)  # issued (numbered) by this run
    files: list[Path] = field(default_factory=list)  # their files, in the same order
    numbers: list[int] = field(default_factory=list)  # their reserved numbers
    drafts: list[DraftRecord] = field(default_factory=list)  # 送审稿 written by this run
    draft_files: list[Path] = field(default_factory=list)
    rows: list[Letter] = field(default_factory=list)  # 发文登记 rows to append
    cells: list[CellWrite] = field(default_factory=list)  # 发文登记 cells to change
    decisions: list[tuple[str, str, str]] = field(default_factory=list)  # (file, state, 文号)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log_sheet: str | None = None  # the existing 发文登记 sheet; None: create it
    log_columns: dict[str, int] = field(default_factory=dict)

    def log_rows(self) -> list[list[object]]:
        """Return the 发文登记 rows to append, each value in its column (1-based) of the sheet."""
        columns = self.log_columns or _template_columns()
        rows = []
        for letter in self.rows:
            values = {
                "doc_no": letter.doc_no,
                "type": letter.type,
                "date": letter.date,
                "unit": letter.unit,
                "item_ids": "、".join(letter.item_ids),
                "file": letter.file,
                "state": letter.state,
            }
            row: list[object] = [None] * max(columns.values())
            for key, col in columns.items():
                row[col - 1] = values.get(key)
            rows.append(row)
        return rows

    def add_to(self, plan: WritePlan) -> None:
        """Put the 发文登记 rows and cells into the write plan (a new sheet when there is none)."""
        if self.log_sheet:
            plan.cells.extend(self.cells)
            if self.rows:
                plan.appends.setdefault(self.log_sheet, []).extend(self.log_rows())
            return
        if not self.rows:
            return
        header: list[object] = [c.header for c in schema.LETTER_LOG_COLUMNS]
        widths = tuple(c.width for c in schema.LETTER_LOG_COLUMNS)
        dates = {
            i: "yyyy-mm-dd" for i, c in enumerate(schema.LETTER_LOG_COLUMNS) if c.kind == "date"
        }
        plan.sheets.append(
            GeneratedSheet(
                schema.LETTER_LOG, [header, *self.log_rows()], widths=widths, number_formats=dates
            )
        )

    def folders(self) -> list[Path]:
        """Return the output folders the letters and drafts went to, once each."""
        return list(dict.fromkeys(f.parent for f in [*self.files, *self.draft_files]))

    def discard(self) -> None:
        """Delete the files of letters and drafts that were not registered."""
        for f in [*self.files, *self.draft_files]:
            try:
                f.unlink(missing_ok=True)
            except OSError:
                pass


def _template_columns() -> dict[str, int]:
    return {c.key: i for i, c in enumerate(schema.LETTER_LOG_COLUMNS, start=1)}


def check_request(request: LetterRequest, ledger: Ledger) -> LetterRequest:
    """Return the request with its unit made canonical (an alias is fine); raise for unknown ones."""
    for kind in request.types:
        if kind not in schema.LETTER_TYPES:
            raise UsageError(
                f"文书类型“{kind}”无法识别", f"请写成 {'、'.join(schema.LETTER_TYPES)} 之一"
            )
    if not request.unit:
        return request
    return replace(request, unit=resolve_unit(ledger, request.unit))


def choose(
    evaluation: Evaluation, request: LetterRequest, held: Sequence[Letter]
) -> list[letters.Draft]:
    """Return what this run writes: the letters due (unless not asked) and the report asked for."""
    chosen = []
    if request.due:
        due = letters.select(
            evaluation.ledger,
            evaluation.outcome,
            review.issued(evaluation.letters),
            evaluation.today,
            types=request.types or None,
            unit=request.unit or None,
        )
        chosen = review.not_held(due, held, evaluation.ledger, evaluation.today)
    if request.report is not None:
        chosen.append(report_draft(evaluation, request.report))
    return chosen


def issue_letters(evaluation: Evaluation, history: History | None, request: LetterRequest) -> Batch:
    """Number approved 送审稿, issue or draft the letters chosen; with no history only report them."""
    ledger, today = evaluation.ledger, evaluation.today
    request = check_request(request, ledger)
    batch = Batch()
    layout = ledger.layouts.get(schema.LETTER_LOG)
    if layout is not None:
        batch.log_sheet, batch.log_columns = layout.name, dict(layout.columns)
    queue = approval.Queue.read(ledger, history, today)
    chosen = choose(evaluation, request, queue.held)
    if history is None:
        batch.notes.append(_plan_note(queue, chosen, ledger))
        return batch
    writer = approval.Writer(evaluation, history, batch)
    try:
        for letter in queue.approved:
            writer.issue_approved(letter, queue.records.get(letter.file))
        for choice in chosen:
            if review.needs_review(choice.type, ledger.settings):
                writer.draft(choice)
            else:
                writer.issue(choice)
    except BaseException:
        batch.discard()
        raise
    batch.decisions.extend(queue.newly_rejected())
    if layout is not None and any(r.state == LetterState.PENDING for r in batch.rows):
        batch.cells.extend(approval.review_columns(layout, batch.log_columns))
    batch.notes.extend(_notes(batch, queue, evaluation))
    return batch


def _count(kinds: Sequence[str]) -> str:
    return "，".join(f"{k} {v} 份" for k, v in Counter(kinds).items())


def _plan_note(queue: approval.Queue, chosen: Sequence[letters.Draft], ledger: Ledger) -> str:
    if not (queue.approved or chosen):
        return "试运行：今日无需发文"
    parts = []
    if queue.approved:
        parts.append(f"编号发出已审定的送审稿 {_count([x.type for x in queue.approved])}")
    direct = [c.type for c in chosen if not review.needs_review(c.type, ledger.settings)]
    drafted = [c.type for c in chosen if review.needs_review(c.type, ledger.settings)]
    if direct:
        parts.append(f"发文 {_count(direct)}")
    if drafted:
        parts.append(f"生成送审稿 {_count(drafted)}")
    return "试运行：将" + "；".join(parts) + "（未编号、未生成文件）"


def _notes(batch: Batch, queue: approval.Queue, evaluation: Evaluation) -> list[str]:
    notes = []
    if batch.drafts:
        where = drafts.draft_folder(evaluation.path, evaluation.today)
        notes.append(
            f"已生成送审稿 {_count([d.type for d in batch.drafts])}（未编号），保存在 {where}。"
            "审定后请在“发文登记”把状态改为“已审定”并填写审定人、审定日期，下次刷新即编号发出；"
            "不发的改为“退回”"
        )
    waiting = len(queue.pending)
    if waiting:
        notes.append(f"另有 {waiting} 份送审稿待审定（见“发文登记”状态为“待审定”的行）")
    if not (batch.letters or batch.drafts):
        notes.append("今日无需发文")
    return notes


def record_issued(history: History, batch: Batch, request: LetterRequest | None, report) -> None:
    """After the workbook is written: record letters and drafts in the history, then make PDFs."""
    for letter, seq in zip(batch.letters, batch.numbers, strict=True):
        history.record_letter(letter, seq)
    for draft in batch.drafts:
        history.record_draft(draft)
    for file, state, doc_no in batch.decisions:
        history.decide_draft(file, state, report.today, doc_no)
    report.outputs.extend(batch.folders())
    if request is not None and request.pdf and batch.files:
        try:
            docx_render.to_pdf(batch.files)
            report.notes.append(f"已生成 PDF {len(batch.files)} 份（与 Word 文书同一文件夹）")
        except WriteFailed as e:
            report.notes.append(f"注意：{e}")
