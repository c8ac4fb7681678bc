"""Issue the letters a refresh chose: number them, render them, and prepare their 发文登记 rows.

The order keeps numbers unique and the register honest even when a run fails half way:

1. ``issue_letters`` reserves each 文号 in the history database (atomic across
   processes), renders the .docx into 输出/<date>/<type>/, and builds the 发文登记 rows;
2. the refresh writes the workbook (rows included) in one atomic replace;
3. only then ``record_issued`` records the letters in the history and makes PDFs.

If step 2 fails (the workbook changed, is open, the disk is full) the files are deleted
(``Batch.discard``) and the reserved numbers are simply skipped, never reused.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from automation import paths, schema
from automation.errors import UsageError, WriteFailed
from automation.evaluate import Evaluation
from automation.history import History
from automation.letters import docnumber
from automation.letters import selection as letters
from automation.models import GeneratedSheet, Ledger, Letter, WritePlan
from automation.units import resolve_unit


@dataclass(frozen=True)
class LetterRequest:
    """What to issue: only these types (all due ones when empty), only one unit, PDFs too."""

    types: tuple[str, ...] = ()
    unit: str = ""
    pdf: bool = False


@dataclass
class Batch:
    """The letters one run issued: Letter records, files, reserved numbers and 发文登记 rows."""

    letters: list[Letter] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    log_sheet: str | None = None  # the existing 发文登记 sheet; None: create it
    log_columns: dict[str, int] = field(default_factory=dict)

    def log_rows(self) -> list[list[object]]:
        """Return the 发文登记 rows, each value in its column (1-based) of the sheet."""
        columns = self.log_columns or {
            c.key: i for i, c in enumerate(schema.LETTER_LOG_COLUMNS, start=1)
        }
        rows = []
        for letter in self.letters:
            values = {
                "doc_no": letter.doc_no,
                "type": letter.type,
                "date": letter.date,
                "unit": letter.unit,
                "item_ids": "、".join(letter.item_ids),
                "file": letter.file,
            }
            row: list[object] = [None] * max(columns.values())
            for key, col in columns.items():
                row[col - 1] = values.get(key)
            rows.append(row)
        return rows

    def add_to(self, plan: WritePlan) -> None:
        """Put the 发文登记 rows into the write plan (appended, or a new sheet when absent)."""
        if not self.letters:
            return
        if self.log_sheet:
            plan.appends.setdefault(self.log_sheet, []).extend(self.log_rows())
            return
        header = [c.header for c in schema.LETTER_LOG_COLUMNS]
        widths = tuple(c.width for c in schema.LETTER_LOG_COLUMNS)
        plan.sheets.append(
            GeneratedSheet(
                schema.LETTER_LOG,
                [header, *self.log_rows()],
                widths=widths,
                number_formats={2: "yyyy-mm-dd"},
            )
        )

    def folders(self) -> list[Path]:
        """Return the output folders the letters went to, once each."""
        return list(dict.fromkeys(f.parent for f in self.files))

    def discard(self) -> None:
        """Delete the files of letters that were not registered."""
        for f in self.files:
            try:
                f.unlink(missing_ok=True)
            except OSError:
                pass


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


def issue_letters(evaluation: Evaluation, history: History | None, request: LetterRequest) -> Batch:
    """Choose, number and render today's letters; with no history (dry run) only report them."""
    ledger, today = evaluation.ledger, evaluation.today
    request = check_request(request, ledger)
    known = evaluation.letters  # 发文登记 and history, each once
    drafts = letters.select(
        ledger,
        evaluation.outcome,
        known,
        today,
        types=request.types or None,
        unit=request.unit or None,
    )
    batch = Batch()
    if history is None:
        batch.notes.append(_plan_note(drafts))
        return batch
    layout = ledger.layouts.get(schema.LETTER_LOG)
    if layout is not None:
        batch.log_sheet, batch.log_columns = layout.name, dict(layout.columns)
    if drafts:
        from automation.letters import docx_render  # docxtpl: imported when a letter is due
    templates: dict[str, docx_render.LetterTemplate] = {}
    try:
        for draft in drafts:
            if draft.type not in templates:
                name = schema.LETTERS[draft.type].template
                templates[draft.type] = docx_render.LetterTemplate(
                    docx_render.find_template(name, evaluation.path)
                )
            prefix = docnumber.prefix_for(draft.type, ledger.settings)
            seq, doc_no = docnumber.reserve(history, draft.type, prefix, today.year, known)
            unit = draft.unit or letters.ALL_UNITS
            target = docx_render.letter_path(evaluation.path, today, draft.type, unit, doc_no)
            data = templates[draft.type].render({**draft.context, "doc_no": doc_no})
            docx_render.write_letter(target, data)
            batch.files.append(target)
            batch.numbers.append(seq)
            relative = target.relative_to(paths.ledger_folder(evaluation.path)).as_posix()
            batch.letters.append(Letter(doc_no, draft.type, today, unit, draft.item_ids, relative))
    except BaseException:
        batch.discard()
        raise
    if not drafts:
        batch.notes.append("今日无需发文")
    return batch


def _plan_note(drafts: Sequence[letters.Draft]) -> str:
    if not drafts:
        return "试运行：今日无需发文"
    counts: dict[str, int] = {}
    for d in drafts:
        counts[d.type] = counts.get(d.type, 0) + 1
    return (
        "试运行：将发文 "
        + "，".join(f"{k} {v} 份" for k, v in counts.items())
        + "（未编号、未生成文件）"
    )


def record_issued(history: History, batch: Batch, request: LetterRequest, report) -> None:
    """After the workbook is written: record the letters in the history, then make PDFs if asked."""
    for letter, seq in zip(batch.letters, batch.numbers, strict=True):
        history.record_letter(letter, seq)
    report.outputs.extend(batch.folders())
    if request.pdf and batch.files:
        from automation.letters import docx_render

        try:
            docx_render.to_pdf(batch.files)
            report.notes.append(f"已生成 PDF {len(batch.files)} 份（与 Word 文书同一文件夹）")
        except WriteFailed as e:
            report.notes.append(f"注意：{e}")
