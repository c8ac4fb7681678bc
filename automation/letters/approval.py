"""The 审定 queue of one run and the writer that drafts, numbers and renders (docs/letters.md 审定).

``Queue`` reads what 发文登记 says of the 送审稿 (waiting, approved, sent back) with what the
history recorded of each; ``Writer`` turns a choice into a 送审稿 or an issued letter, and an
approved 送审稿 into the issued letter:

- the 送审稿 as duban wrote it (its hash unchanged), or gone: rendered again from the values
  it printed, dated the day it is issued (review.restamp);
- the 送审稿 edited by staff since: their file made final (drafts.finalize), every edit kept;
- neither the file nor its record: a problem on the row, nothing numbered.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from automation import paths, schema
from automation.evaluate import Evaluation
from automation.history import DraftRecord, History
from automation.letters import docnumber, docx_render, drafts, review
from automation.letters import selection as letters
from automation.models import CellWrite, Ledger, Letter, Problem, SheetLayout
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterState, LetterType
from automation.xlsx.cellxml import column_letters as get_column_letter

_REVIEW_KEYS = ("state", "reviewer", "reviewed_on")


@dataclass
class Queue:
    """The 送审稿 of 发文登记 as of today, with their history records."""

    approved: list[Letter] = field(default_factory=list)  # to number now
    pending: list[Letter] = field(default_factory=list)  # 待审定, or 已审定 lacking 审定人/日期
    rejected: list[Letter] = field(default_factory=list)
    records: dict[str, DraftRecord] = field(default_factory=dict)
    held: list[Letter] = field(default_factory=list)  # stand for their letter today
    today: date | None = None

    @classmethod
    def read(cls, ledger: Ledger, history: History | None, today: date) -> Queue:
        """Sort 发文登记's 送审稿 and look their records up in the history."""
        queue = cls(today=today)
        for letter in ledger.letters:
            if letter.issued:
                continue
            if review.ready_to_issue(letter):
                queue.approved.append(letter)
            elif letter.state == LetterState.REJECTED:
                queue.rejected.append(letter)
            else:
                queue.pending.append(letter)
        if history is not None:
            queue.records = history.drafts(x.file for x in ledger.letters if not x.issued)
        queue.held = review.held(ledger.letters, today, queue.rejection_days())
        return queue

    def rejection_days(self) -> dict[str, date | None]:
        """Return, for each 送审稿 sent back, the day a run first saw it (today if none did yet).

        Without a record (no history), the 审定日期 typed on the row, else the draft's day.
        """
        days: dict[str, date | None] = {}
        for letter in self.rejected:
            record = self.records.get(letter.file)
            if record is None:
                days[letter.file] = letter.reviewed_on or letter.date
            elif record.state == LetterState.REJECTED:
                days[letter.file] = record.decided_on
            else:
                days[letter.file] = self.today
        return days

    def newly_rejected(self) -> list[tuple[str, str, str]]:
        """Return the history decisions to record: the 退回 seen for the first time."""
        return [
            (letter.file, LetterState.REJECTED, "")
            for letter in self.rejected
            if letter.file in self.records
            and self.records[letter.file].state != LetterState.REJECTED
        ]


def review_columns(layout: SheetLayout, columns: dict[str, int]) -> list[CellWrite]:
    """Add 状态, 审定人 and 审定日期 to an office's 发文登记 that lacks them (header cells).

    ``columns`` (the batch's column map) gains them, so the rows appended fill them.
    """
    cells = []
    last = max([layout.max_col, *columns.values()])
    for column in schema.LETTER_LOG_COLUMNS:
        if column.key in _REVIEW_KEYS and column.key not in columns:
            last += 1
            columns[column.key] = last
            cells.append(CellWrite(layout.name, layout.header_row, last, column.header))
    return cells


class Writer:
    """Render, number and register the letters of one run into its Batch."""

    def __init__(self, evaluation: Evaluation, history: History, batch):
        self.evaluation, self.history, self.batch = evaluation, history, batch
        self.ledger, self.today = evaluation.ledger, evaluation.today
        self.path = Path(evaluation.path)
        self.folder = paths.ledger_folder(self.path)
        self.cal = WorkCalendar(self.ledger.calendar_overrides)
        self._templates: dict[str, docx_render.LetterTemplate] = {}

    def template(self, letter_type: str) -> docx_render.LetterTemplate:
        """Return the (compiled once) template of a letter type."""
        if letter_type not in self._templates:
            name = schema.LETTERS[LetterType(letter_type)].template
            self._templates[letter_type] = docx_render.LetterTemplate(
                docx_render.find_template(name, self.path)
            )
        return self._templates[letter_type]

    def _blank(self, letter_type: str, year: int) -> str:
        prefix = docnumber.prefix_for(letter_type, self.ledger.settings)
        return f"{prefix}〔{year}〕 号"

    def _reserve(self, letter_type: str) -> tuple[int, str]:
        prefix = docnumber.prefix_for(letter_type, self.ledger.settings)
        known = [*self.evaluation.letters, *self.batch.letters]
        return docnumber.reserve(self.history, letter_type, prefix, self.today.year, known)

    def _final(self, letter_type: str, unit: str, doc_no: str, data: bytes) -> str:
        """Write a final letter to 输出/<date>/<type>/ and return its path relative to the folder."""
        target = docx_render.letter_path(self.path, self.today, letter_type, unit, doc_no)
        docx_render.write_letter(target, data)
        self.batch.files.append(target)
        return target.relative_to(self.folder).as_posix()

    def issue(self, choice: letters.Draft) -> Letter:
        """Number and render a letter that needs no 审定; it gets a new 发文登记 row (已发出)."""
        seq, doc_no = self._reserve(choice.type)
        data = self.template(choice.type).render({**choice.context, "doc_no": doc_no})
        unit = choice.unit or letters.ALL_UNITS
        file = self._final(choice.type, unit, doc_no, data)
        letter = Letter(
            doc_no, choice.type, self.today, unit, choice.item_ids, file, LetterState.ISSUED
        )
        self.batch.letters.append(letter)
        self.batch.numbers.append(seq)
        self.batch.rows.append(letter)
        return letter

    def draft(self, choice: letters.Draft) -> Letter:
        """Write a 送审稿 (no number) and its 发文登记 row (待审定)."""
        context = {**choice.context, "doc_no": self._blank(choice.type, self.today.year)}
        data = self.template(choice.type).render(context, draft=True)
        unit = choice.unit or letters.ALL_UNITS
        taken = {x.file for x in self.ledger.letters} | {d.file for d in self.batch.drafts}
        path = drafts.write_draft(self.path, self.today, choice.type, unit, data, taken)
        self.batch.draft_files.append(path)
        file = path.relative_to(self.folder).as_posix()
        letter = Letter(
            "", choice.type, self.today, unit, choice.item_ids, file, LetterState.PENDING
        )
        self.batch.rows.append(letter)
        self.batch.drafts.append(
            DraftRecord(
                file,
                choice.type,
                self.today,
                unit,
                choice.item_ids,
                context,
                drafts.digest(data),
                LetterState.PENDING,
            )
        )
        return letter

    def issue_approved(self, row: Letter, record: DraftRecord | None) -> Letter | None:
        """Number an approved 送审稿 and write the final letter; update its row (None: a problem)."""
        if row.type not in [str(t) for t in schema.LETTERS]:
            self._problem(
                row,
                "type",
                f"类型“{row.type}”不是 duban 生成的文书，无法编号发出",
                f"请把类型改为 {'、'.join(map(str, schema.LETTERS))} 之一，或自行编号后填写文号",
            )
            return None
        if record is not None and record.state == LetterState.ISSUED and record.doc_no:
            # Issued by an earlier run, and the row lost it (an older copy of the workbook
            # put back): give the row its 文号 again rather than issue the letter twice.
            self._update_row(row, replace(row, doc_no=record.doc_no))
            self.batch.notes.append(
                f"“发文登记”第 {row.row} 行的送审稿此前已编号发出（{record.doc_no}），已补回文号，未重复发文"
            )
            return None
        source = self.folder / row.file if row.file else None
        edited = source.read_bytes() if source is not None and source.is_file() else None
        if edited is not None and record is not None and drafts.digest(edited) == record.sha256:
            edited = None  # the 送审稿 as duban wrote it: render it again, dated today
        if edited is None and record is None:
            self._problem(
                row,
                "file",
                f"找不到送审稿“{row.file}”，刷新历史中也没有它的内容，无法编号发出",
                "请把送审稿放回该位置后再刷新；或把状态改为“退回”，下一个工作日会重新生成",
            )
            return None
        blank = (
            str(record.context.get("doc_no")) if record else self._blank(row.type, row.date.year)
        )
        if edited is not None:
            try:
                drafts.finalize(edited, blank, blank)  # can it be made final? (before numbering)
            except ValueError as e:
                self._problem(
                    row,
                    "file",
                    f"送审稿“{row.file}”无法定稿：{e}",
                    "请在送审稿中保留空白文号后再刷新",
                )
                return None
        seq, doc_no = self._reserve(row.type)
        if edited is not None:
            data = drafts.finalize(edited, blank, doc_no, row.reviewer)
        else:
            assert record is not None
            context = review.restamp(record.context, self.today, self.cal)
            if "signer" in context:  # a report upward names who signed it off (签发人)
                context["signer"] = row.reviewer
            data = self.template(row.type).render({**context, "doc_no": doc_no})
        file = self._final(row.type, row.unit, doc_no, data)
        letter = Letter(
            doc_no,
            row.type,
            self.today,
            row.unit,
            row.item_ids,
            file,
            LetterState.ISSUED,
            row.reviewer,
            row.reviewed_on,
            row.row,
        )
        self.batch.letters.append(letter)
        self.batch.numbers.append(seq)
        self._update_row(row, letter)
        if row.file:
            self.batch.decisions.append((row.file, LetterState.ISSUED, doc_no))
        return letter

    def _update_row(self, row: Letter, letter: Letter) -> None:
        columns = self.batch.log_columns
        values = {
            "doc_no": letter.doc_no,
            "date": letter.date,
            "file": letter.file,
            "state": LetterState.ISSUED.value,
        }
        sheet = self.batch.log_sheet or schema.LETTER_LOG
        for key, value in values.items():
            if key in columns:
                self.batch.cells.append(CellWrite(sheet, row.row, columns[key], value))

    def _problem(self, row: Letter, key: str, message: str, fix: str) -> None:
        column = self.batch.log_columns.get(key) or self.batch.log_columns.get("state", 1)
        sheet = self.batch.log_sheet or schema.LETTER_LOG
        self.batch.problems.append(
            Problem(sheet, f"{get_column_letter(column)}{row.row}", message, fix)
        )
        return None
