"""The refresh: read the ledger, compute, write the results back losslessly, record history.

This is the library twin of `duban refresh`; the CLI only parses arguments and prints.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import dashboard, gcpause, summaries
from automation.archive.office import OfficeRequest, OfficeWork, carry_out, plan_office
from automation.errors import LedgerChanged, WriteFailed
from automation.evaluate import Evaluated, Evaluation, evaluate
from automation.history import History
from automation.ledger import reader
from automation.letters.issue import Batch, LetterRequest, issue_letters, record_issued
from automation.models import Letter, WritePlan
from automation.schema import status_label
from automation.xlsx import safety, xlsxpatch

# Ledgers larger than this (bytes) take long enough that a progress bar helps.
PROGRESS_MIN_BYTES = 1_500_000
# A letters run repeats when the workbook changed meanwhile (another run wrote it first).
LETTER_ATTEMPTS = 3


@dataclass
class RefreshReport(Evaluated):
    """What a refresh did, for the CLI summary and for callers such as the daily job."""

    path: Path
    today: date
    dry_run: bool
    evaluation: Evaluation
    plan: WritePlan
    backup: Path | None = None
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)  # issued by this run
    drafts: list[Letter] = field(default_factory=list)  # 送审稿 written by this run (待审定)
    notes: list[str] = field(default_factory=list)
    office: OfficeWork | None = None  # 文件夹管理: planned with the refresh, done after the write

    def as_dict(self) -> dict:
        """Return what `duban refresh --json` prints."""
        return {
            "ok": True,
            "ledger": str(self.path),
            "today": self.today.isoformat(),
            "dry_run": self.dry_run,
            "items": len(self.ledger.items),
            "status_counts": self.outcome.status_json(),
            "problems": [p.as_dict() for p in self.problems],
            "backup": str(self.backup) if self.backup else None,
            "letters": [
                {
                    "doc_no": letter.doc_no,
                    "type": str(letter.type),
                    "unit": letter.unit,
                    "items": list(letter.item_ids),
                    "file": letter.file,
                }
                for letter in self.letters
            ],
            "drafts": [
                {
                    "type": str(letter.type),
                    "unit": letter.unit,
                    "items": list(letter.item_ids),
                    "file": letter.file,
                    "state": str(letter.state),
                }
                for letter in self.drafts
            ],
            "outputs": [str(p) for p in self.outputs if p],
            "folders": self.office.as_dict() if self.office else None,
            "notes": self.notes,
            "seconds": round(self.seconds, 3),
        }

    def summary(self) -> str:
        """Describe the refresh in a few Chinese lines."""
        counts = (
            "，".join(f"{status_label(k)} {v}" for k, v in self.outcome.status_counts().items())
            or "无事项"
        )
        lines = [
            f"台账：{self.path}",
            f"计算日期：{self.today.isoformat()}，{self.ledger.count_text()}：{counts}",
        ]
        if self.problems:
            lines.append(
                f"校验问题 {len(self.problems)} 条，详见“校验问题”表（或运行 duban check 查看）"
            )
        else:
            lines.append("校验问题：无")
        if self.dry_run:
            lines.append("试运行（--dry-run）：未写入任何文件")
        else:
            lines.append(f"已写回台账（用时 {self.seconds:.1f} 秒）")
            if self.backup:
                lines.append(f"刷新前的备份：{self.backup}")
        if self.letters:
            kinds = Counter(letter.type for letter in self.letters)
            made = "，".join(f"{k} {v}" for k, v in kinds.items())
            lines.append(f"已发文 {len(self.letters)} 份：{made}")
        lines.extend(self.notes)
        lines.extend(f"输出：{p}" for p in self.outputs)
        return "\n".join(lines)


@contextmanager
def _steps(path: Path, show: bool | None):
    """Yield a function that announces each step, drawn as a progress bar on big ledgers."""
    if show is None:
        show = path.stat().st_size >= PROGRESS_MIN_BYTES
    if not show:
        yield lambda description: None
        return
    from rich.progress import Progress

    with Progress(transient=True) as progress:
        task = progress.add_task("刷新台账", total=4)

        def step(description: str) -> None:
            progress.update(task, description=description, advance=1)

        yield step


def refresh(
    path: Path,
    *,
    today: date,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: bool | None = None,
    letters: LetterRequest | None = None,
    office: OfficeRequest | None = None,
) -> RefreshReport:
    """Refresh one ledger workbook in place (or only compute, with ``dry_run``).

    With ``letters``, also issue the letters due (see issue.py); with ``office``, archive
    items or write the 周例会通报 on request (automation/archive). When the workbook changed
    on disk meanwhile, the run is repeated from the start (the new 发文登记 rows are read,
    so nothing is issued twice; numbers reserved by the failed attempt are skipped).
    """
    attempt = 1
    while True:
        try:
            with gcpause.paused():
                return _refresh_once(
                    path,
                    today=today,
                    dry_run=dry_run,
                    now=now,
                    progress=progress,
                    letters=letters,
                    office=office,
                )
        except LedgerChanged:
            if (letters is None and office is None) or attempt == LETTER_ATTEMPTS:
                raise
            attempt += 1


def _refresh_once(
    path: Path,
    *,
    today: date,
    dry_run: bool,
    now: datetime | None,
    progress: bool | None,
    letters: LetterRequest | None = None,
    office: OfficeRequest | None = None,
) -> RefreshReport:
    started = time.monotonic()
    path = Path(path)
    now = now or datetime.now()
    reader.check_file(path)  # a missing file or a folder gets its message before anything else
    if not dry_run:
        reader.check_writable_format(path)
        safety.check_not_open(path)
    with _steps(path, progress) as step:
        expected = safety.fingerprint(path)
        step("读取台账")
        history = History(path) if not dry_run else History.if_present(path)
        try:
            evaluation = evaluate(path, today, history)
            step("计算状态与预警")
            report, batch = plan_refresh(
                evaluation, None if dry_run else history, now=now, letters=letters, office=office
            )
            report.dry_run = dry_run
            if dry_run:
                return report
            assert history is not None
            step("写回台账")
            try:
                report.backup = safety.write_atomically(
                    path,
                    expected,
                    lambda tmp: xlsxpatch.apply_plan(path, report.plan, tmp),
                    backups_kept=evaluation.ledger.settings.backups_kept,
                )
            except BaseException:
                if batch is not None:
                    batch.discard()  # unregistered letters must not lie around
                raise
            step("记录历史")
            record_refresh(history, report, batch, letters, now=now)
        finally:
            if history:
                history.close()
    page = dashboard.write_for_report(report, now=now)
    if page is not None:
        report.outputs.append(page)
    report.seconds = time.monotonic() - started
    return report


def plan_refresh(
    evaluation: Evaluation,
    history: History | None,
    *,
    now: datetime,
    letters: LetterRequest | None = None,
    office: OfficeRequest | None = None,
) -> tuple[RefreshReport, Batch | None]:
    """Compute everything one refresh writes, for the file writer and the live (Excel) writer alike.

    ``history`` is None for a dry run (letters are then only listed, never numbered). Returns
    the report (its ``plan`` is what to write) and the letters issued if asked (to be
    discarded if the write fails).
    """
    batch = None
    if letters is not None:
        batch = issue_letters(evaluation, history, letters)
        evaluation.with_letters(batch.letters)  # escalation and 已催办次数 count today's letters
        evaluation.outcome.problems.extend(batch.problems)  # 送审稿 that could not be issued
    try:
        # The weekly 周例会通报 comes by itself with the day's letters (docs/rules.md §14.4).
        auto_weekly = letters is not None and not (letters.types or letters.unit)
        work = plan_office(evaluation, history is None, office, auto_weekly=auto_weekly)
    except BaseException:
        if batch is not None:
            batch.discard()
        raise
    plan = summaries.build_plan(evaluation.ledger, evaluation.outcome, now=now)
    work.add_to(plan, evaluation.ledger)
    report = RefreshReport(evaluation.path, evaluation.today, history is None, evaluation, plan)
    report.office = work
    report.notes.extend(evaluation.notes)
    report.notes.extend(summaries.added_id_columns(evaluation.ledger))
    report.notes.extend(work.notes)
    if batch is not None:
        batch.add_to(plan)
        report.letters = batch.letters
        report.drafts = [row for row in batch.rows if not row.issued]
        report.notes.extend(batch.notes)
    return report, batch


def record_refresh(
    history: History,
    report: RefreshReport,
    batch: Batch | None,
    letters: LetterRequest | None,
    *,
    now: datetime,
) -> None:
    """Record a written refresh: every item's computed state, and the letters it issued.

    The workbook is already written: a failure here (a full disk) is said in the report, never
    raised, so the staff are not told the refresh failed when their ledger was updated.
    """
    try:
        history.record_refresh(report.today, now, report.ledger.items, report.outcome.results)
        if batch is not None:
            record_issued(history, batch, letters, report)
    except WriteFailed as e:
        report.notes.append(
            f"注意：台账已写回，但刷新历史未能保存（{e}）。趋势图和督办等级的延续会缺这一次；"
            "请检查磁盘空间，下次刷新会照常记录"
        )
    if report.office is not None:
        report.notes.extend(carry_out(report.office, now))
        report.outputs.extend(report.office.outputs)
