"""`duban check`: read and compute a ledger without writing anything, and list its problems."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from rich.console import Console
from rich.table import Table

from automation.evaluate import Evaluated, Evaluation, evaluate_readonly
from automation.models import Ledger
from automation.schema import Status, status_label


@dataclass
class CheckResult(Evaluated):
    """What `duban check` found: the reader's and the rules' problems, and items by 计算状态."""

    evaluation: Evaluation

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
            "sheets": [
                {
                    "sheet": s.name,
                    "year": s.year,
                    "header_row": s.header_row,
                    "items": s.reading.items if s.reading else 0,
                    "fields": [
                        {"column": c, "header": h, "field": f}
                        for c, h, f in (s.reading.fields if s.reading else [])
                    ],
                    "ignored": [
                        {"column": c, "header": h}
                        for c, h in (s.reading.ignored if s.reading else [])
                    ],
                    "deadlines_from_words": s.reading.words if s.reading else 0,
                    "skipped_rows": s.reading.skipped if s.reading else {},
                    "notes": s.reading.notes if s.reading else [],
                }
                for s in e.ledger.sheets
            ],
            "unread_sheets": [{"sheet": n, "why": w} for n, w in e.ledger.unread],
        }


def check_ledger(path: Path, *, today: date) -> CheckResult:
    """Read the ledger at ``path`` and compute it as of ``today`` (with its history); write nothing."""
    return CheckResult(evaluate_readonly(Path(path), today))


def summary_line(result: CheckResult) -> str:
    """Return the one-line count, e.g. 共 12 个事项：逾期 2，临期 1，正常推进 9；发现 3 个问题。"""
    counts = "，".join(f"{status_label(s)} {n}" for s, n in result.status_counts.items())
    items = result.ledger.count_text() + (f"：{counts}" if counts else "")
    found = f"发现 {len(result.problems)} 个问题" if result.problems else "未发现问题"
    return f"{items}；{found}。"


SKIPPED_KINDS = {
    "total": "合计/小计行",
    "note": "注释行",
    "signature": "落款行",
    "header": "重复的表头行",
    "blank": "空行",
}


def layout_lines(ledger: Ledger) -> list[str]:
    """Say how the ledger was read: each sheet's headers and fields, columns left alone, words."""
    lines = []
    for sheet in ledger.sheets:
        r = sheet.reading
        if r is None:
            continue
        year = f"（{sheet.year}年）" if sheet.year else ""
        lines.append(f"工作表“{r.sheet}”{year}：表头在第 {r.header_row} 行，读取 {r.items} 个事项")
        lines.append(
            "  列的理解：" + "；".join(f"{c}列“{h}”→{f}" for c, h, f in r.fields if h != f)
            if any(h != f for _, h, f in r.fields)
            else "  列的理解：表头均为标准列名"
        )
        if r.ignored:
            lines.append(
                "  未使用的列（原样保留）：" + "、".join(f"{c}列“{h}”" for c, h in r.ignored)
            )
        if r.words:
            shown = "，".join(f"{cell}“{typed}”认定为 {used}" for cell, typed, used in r.examples)
            lines.append(f"  按文字认定的办结时限 {r.words} 个，如 {shown}（见“认定时限”列）")
        for kind, rows in r.skipped.items():
            where = "、".join(map(str, rows[:5])) + ("等" if len(rows) > 5 else "")
            lines.append(
                f"  跳过的{SKIPPED_KINDS.get(kind, kind)} {len(rows)} 行（第 {where} 行），不计为事项"
            )
        lines.extend(f"  {note}" for note in r.notes)
    for name, why in ledger.unread:
        lines.append(f"未作为台账读取：工作表“{name}”（{why}）")
    return lines


def render_problems(result: CheckResult, console: Console | None = None) -> None:
    """Print how the ledger was read, the problems as a table, and the one-line count."""
    console = console or Console(soft_wrap=False)
    for line in layout_lines(result.ledger):
        console.print(line, markup=False, highlight=False)
    if result.problems:
        table = Table(title="校验问题", show_lines=False, expand=False)
        for header in ("表", "单元格", "问题", "修改建议"):
            table.add_column(header, overflow="fold")
        for p in result.problems:
            table.add_row(p.sheet, p.cell, p.message, p.fix)
        console.print(table)
    console.print(summary_line(result), markup=False, highlight=False)
