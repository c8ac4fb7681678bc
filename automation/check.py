"""`duban check`: read and compute a ledger without writing anything, and list its problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from automation.evaluate import Evaluation, evaluate_readonly
from automation.models import Ledger, Outcome, Problem
from automation.schema import Status, status_label


@dataclass
class CheckResult:
    """What `duban check` found: the reader's and the rules' problems, and items by 计算状态."""

    evaluation: Evaluation

    @property
    def ledger(self) -> Ledger:
        return self.evaluation.ledger

    @property
    def outcome(self) -> Outcome:
        return self.evaluation.outcome

    @property
    def problems(self) -> list[Problem]:
        return self.evaluation.problems

    @property
    def status_counts(self) -> dict[Status, int]:
        return self.evaluation.outcome.status_counts()

    def as_dict(self) -> dict:
        """Return what `duban check --json` prints."""
        e = self.evaluation
        return {
            "ok": not self.problems,
            "ledger": str(e.path),
            "today": e.today.isoformat(),
            "items": len(e.ledger.items),
            "status_counts": e.outcome.status_json(),
            "problems": [p.as_dict() for p in self.problems],
            "notes": e.notes,
        }


def check_ledger(path: Path, *, today: date) -> CheckResult:
    """Read the ledger at ``path`` and compute it as of ``today`` (with its history); write nothing."""
    return CheckResult(evaluate_readonly(Path(path), today))


def summary_line(result: CheckResult) -> str:
    """Return the one-line count, e.g. 共 12 个事项：逾期 2，临期 1，正常推进 9；发现 3 个问题。"""
    counts = "，".join(f"{status_label(s)} {n}" for s, n in result.status_counts.items())
    items = f"共 {len(result.ledger.items)} 个事项" + (f"：{counts}" if counts else "")
    found = f"发现 {len(result.problems)} 个问题" if result.problems else "未发现问题"
    return f"{items}；{found}。"


def render_problems(result: CheckResult, console: Console | None = None) -> None:
    """Print the problems as a table (表/单元格/问题/修改建议) and the one-line count to stdout."""
    console = console or Console(soft_wrap=False)
    if result.problems:
        table = Table(title="校验问题", show_lines=False, expand=False)
        for header in ("表", "单元格", "问题", "修改建议"):
            table.add_column(header, overflow="fold")
        for p in result.problems:
            table.add_row(p.sheet, p.cell, p.message, p.fix)
        console.print(table)
    console.print(summary_line(result), markup=False, highlight=False)
