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

from automation import dashboard, overwrites, summaries
from automation.errors import LedgerChanged
from automation.history import History
from automation.ledger import reader
from automation.letters.issue import Batch, LetterRequest, issue_letters, record_issued
from automation.models import Ledger, Letter, Outcome, Problem, WritePlan
from automation.rules import engine
from automation.xlsx import safety, xlsxpatch

# Ledgers larger than this (bytes) take long enough that a progress bar helps.
PROGRESS_MIN_BYTES = 1_500_000
# A letters run repeats when the workbook changed meanwhile (another run wrote it first).
LETTER_ATTEMPTS = 3


@dataclass
class RefreshReport:
    """What a refresh did, for the CLI summary and for callers such as the daily job."""

    path: Path
    today: date
    dry_run: bool
    ledger: Ledger
    outcome: Outcome
    plan: WritePlan
    backup: Path | None = None
    seconds: float = 0.0
    outputs: list[Path] = field(default_factory=list)
    letters: list[Letter] = field(default_factory=list)  # issued by this run
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [*self.ledger.problems, *self.outcome.problems]

    def summary(self) -> str:
        """Describe the refresh in a few Chinese lines."""
        counts = "，".join(f"{k} {v}" for k, v in self.outcome.status_counts().items()) or "无事项"
        lines = [
            f"台账：{self.path}",
            f"计算日期：{self.today.isoformat()}，共 {len(self.ledger.items)} 项：{counts}",
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
) -> RefreshReport:
    """Refresh one ledger workbook in place (or only compute, with ``dry_run``).

    With ``letters``, also issue the letters due (see issue.py). When the workbook changed
    on disk meanwhile, the run is repeated from the start (the new 发文登记 rows are read,
    so nothing is issued twice; numbers reserved by the failed attempt are skipped).
    """
    attempt = 1
    while True:
        try:
            return _refresh_once(
                path, today=today, dry_run=dry_run, now=now, progress=progress, letters=letters
            )
        except LedgerChanged:
            if letters is None or attempt == LETTER_ATTEMPTS:
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
) -> RefreshReport:
    started = time.monotonic()
    path = Path(path)
    now = now or datetime.now()
    if not dry_run:
        safety.check_not_open(path)
    with _steps(path, progress) as step:
        expected = safety.fingerprint(path) if path.exists() else None
        step("读取台账")
        ledger = reader.read_ledger(path, today=today)
        history = History(path) if not dry_run else None
        try:
            step("计算状态与预警")
            report, batch = plan_refresh(
                path, ledger, history, today=today, now=now, letters=letters, dry_run=dry_run
            )
            if dry_run:
                return report
            step("写回台账")
            try:
                report.backup = safety.write_atomically(
                    path,
                    expected,
                    lambda tmp: xlsxpatch.apply_plan(path, report.plan, tmp),
                    backups_kept=int(ledger.settings.backups_kept),
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
    report.outputs.append(dashboard.write_for_report(report, now=now))
    report.seconds = time.monotonic() - started
    return report


def plan_refresh(
    path: Path,
    ledger: Ledger,
    history: History | None,
    *,
    today: date,
    now: datetime,
    letters: LetterRequest | None = None,
    dry_run: bool = False,
) -> tuple[RefreshReport, Batch | None]:
    """Compute everything one refresh writes, for the file writer and the live (Excel) writer alike.

    Returns the report (its ``plan`` is what to write) and the letters issued if asked (to be
    discarded if the write fails).
    """
    issued = _all_letters(ledger, history)
    previous = history.previous_levels() if history else {}
    outcome = engine.compute(ledger, today, letters=issued, previous_levels=previous)
    batch = None
    if letters is not None:
        batch = issue_letters(path, ledger, outcome, issued, history, today, letters)
        if batch.letters:  # escalation and 已催办次数 count today's letters too
            outcome = engine.compute(
                ledger, today, letters=[*issued, *batch.letters], previous_levels=previous
            )
    previous_at, previous = history.last_results() if history else (None, [])
    columns = summaries.computed_columns(ledger)
    outcome.problems.extend(
        overwrites.staff_edits(
            ledger, columns, outcome.results, previous=previous, previous_at=previous_at
        )
    )
    plan = summaries.build_plan(ledger, outcome, now=now)
    report = RefreshReport(path, today, dry_run, ledger, outcome, plan)
    if batch is not None:
        batch.add_to(plan)
        report.letters, report.notes = batch.letters, batch.notes
    return report, batch


def record_refresh(
    history: History,
    report: RefreshReport,
    batch: Batch | None,
    letters: LetterRequest | None,
    *,
    now: datetime,
) -> None:
    """Record a written refresh: every item's computed state, and the letters it issued."""
    history.record_refresh(report.today, now, report.ledger.items, report.outcome.results)
    if batch is not None:
        record_issued(history, batch, letters, report)


def _all_letters(ledger: Ledger, history: History | None):
    """Merge letters registered in 发文登记 with those in the history database, once each."""
    seen = {letter.doc_no: letter for letter in ledger.letters}
    if history:
        for letter in history.letters():
            seen.setdefault(letter.doc_no, letter)
    return list(seen.values())
