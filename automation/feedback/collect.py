"""Merge returned feedback forms into the ledger (`duban collect`).

Replies are read as untrusted input by ``replies``. Their entries are matched by the signed
编号 (file names, row order, added rows and deleted columns do not matter) and appended to 进展记录;
督办事项's 最新进展 / 最近反馈日期 / 完成进度 are updated only when the reply is newer than
anything the ledger holds and no undated staff edit was made after the form was issued.
Values are data: text is written as inline strings, which Excel never evaluates.

After a merge the refresh runs, so the computed columns see the new feedback; then every
rejected or conflicting entry is added as a row of 校验问题 (until the next refresh
regenerates it; the lines are also printed).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import schema
from automation.errors import DubanError
from automation.feedback.forms import Baseline, load_key
from automation.feedback.replies import Entry, Reply, ReplyRefused, plain, read_reply
from automation.ledger import reader
from automation.ledger.normalize import clean, header_key
from automation.ledger.sheet_table import FormulaScan, load_table
from automation.models import CellWrite, GeneratedSheet, Item, Ledger, Problem, WritePlan
from automation.summaries import problems_sheet
from automation.xlsx import safety, xlsxpatch

CHECK_FIX = "请督查室核对后手工处理"
UPDATED = (
    "latest_progress",
    "last_feedback_on",
    "progress",
)  # the 督办事项 columns a reply may update


@dataclass
class Merge:
    """What a set of replies changes: 进展记录 rows (by column key), 督办事项 updates, problems."""

    log_rows: list[dict[str, object]] = field(default_factory=list)
    updates: dict[int, dict[str, object]] = field(
        default_factory=dict
    )  # ledger row -> key -> value
    problems: list[Problem] = field(default_factory=list)
    duplicates: int = 0


@dataclass
class CollectReport:
    """What a collect did, for the CLI and callers."""

    path: Path
    dry_run: bool
    files: int = 0
    replies: int = 0
    merge: Merge = field(default_factory=Merge)
    backup: Path | None = None
    refreshed: str = ""

    @property
    def problems(self) -> list[Problem]:
        return self.merge.problems

    def summary(self) -> str:
        """Describe the collect in Chinese: counts, then one line per rejected or conflicting entry."""
        m = self.merge
        lines = [
            f"台账：{self.path}",
            f"收到反馈表 {self.files} 份，有效 {self.replies} 份；新增进展记录 {len(m.log_rows)} 条，"
            f"更新督办事项 {len(m.updates)} 项，已收录过而跳过 {m.duplicates} 条",
        ]
        if m.problems:
            lines.append(f"未采用或有冲突 {len(m.problems)} 条（已写入“校验问题”表）：" if not self.dry_run else
                         f"未采用或有冲突 {len(m.problems)} 条：")  # fmt: skip
            lines.extend(f"  {p.where}：{p.message}。{p.fix}" for p in m.problems)
        if self.dry_run:
            lines.append("试运行（--dry-run）：未写入任何文件")
        elif not (m.log_rows or m.updates):
            lines.append("督办事项和进展记录无需改动")
        else:
            lines.append(
                f"已写回台账；收集前的备份：{self.backup}" if self.backup else "已写回台账"
            )
        if self.refreshed:
            lines.append(self.refreshed)
        return "\n".join(lines)


# --- the command -------------------------------------------------------------------------------


def collect(
    ledger_path: Path,
    files: list[Path],
    *,
    today: date,
    dry_run: bool = False,
    now: datetime | None = None,
) -> CollectReport:
    """Merge returned feedback forms into the ledger (or only report, with ``dry_run``)."""
    from automation.refresh import refresh

    path = Path(ledger_path)
    if not dry_run:
        safety.check_not_open(path)
    expected = safety.fingerprint(path)
    ledger = reader.read_ledger(path, today=today)
    report = CollectReport(path, dry_run, files=len(files))
    key = load_key(path)
    problems: list[Problem] = []
    replies = []
    for file in sorted(map(Path, files), key=lambda p: (p.name, str(p))):
        try:
            replies.append(read_reply(file, key, today, problems))
        except ReplyRefused as e:
            problems.append(Problem(file.name, "", e.message, e.fix))
    report.replies = len(replies)
    report.merge = merge_replies(ledger, replies, today)
    report.merge.problems[:0] = problems
    if dry_run:
        return report
    merge = report.merge
    if merge.log_rows or merge.updates:
        plan = build_plan(path, ledger, merge)
        report.backup = safety.write_atomically(
            path,
            expected,
            lambda tmp: xlsxpatch.apply_plan(path, plan, tmp),
            backups_kept=int(ledger.settings.backups_kept),
        )
        report.refreshed = refresh(path, today=today, now=now).summary()
    if merge.problems:
        record_problems(path, merge.problems)
    return report


# --- merging (pure) ----------------------------------------------------------------------------


def merge_replies(ledger: Ledger, replies: list[Reply], today: date) -> Merge:
    """Decide, for every entry, whether it is appended, applied to 督办事项, skipped or reported."""
    merge = Merge()
    items: dict[str, list[Item]] = {}
    for item in ledger.items:
        if item.id and not item.id_assigned:
            items.setdefault(item.id, []).append(item)
    seen = {(fb.item_id, fb.date, fb.text) for fb in ledger.feedback}
    latest: dict[str, date] = {}
    for fb in ledger.feedback:
        latest[fb.item_id] = max(fb.date, latest.get(fb.item_id, fb.date))
    fresh: dict[str, list[tuple[Entry, Baseline]]] = {}
    for reply in sorted(replies, key=lambda r: (r.signature.issued, r.path.name)):
        baselines = {b.item_id: b for b in reply.signature.items}
        for entry in reply.entries:
            found = items.get(entry.item_id, [])

            def report(message: str, fix: str, entry: Entry = entry) -> None:
                merge.problems.append(Problem(*entry.where, message, fix))

            if len(found) != 1:
                report(
                    f"台账中{'已没有' if not found else '有多个'}编号为“{entry.item_id}”的事项，未采用",
                    CHECK_FIX,
                )
                continue
            if found[0].unit != entry.unit:
                report(
                    f"事项 {entry.item_id} 现由“{found[0].unit_text}”承办，不再属于“{entry.unit}”，未采用",
                    CHECK_FIX,
                )
                continue
            text = log_text(entry)
            if (entry.item_id, entry.day, clean(text)) in seen:
                merge.duplicates += 1
                continue
            seen.add((entry.item_id, entry.day, clean(text)))
            merge.log_rows.append({"date": entry.day, "item_id": entry.item_id, "unit": entry.unit, "text": text,
                                   "progress": entry.progress, "evidence": entry.evidence, "entered_by": entry.reporter})  # fmt: skip
            fresh.setdefault(entry.item_id, []).append((entry, baselines[entry.item_id]))
            if entry.claims_done:
                report(f"单位申报事项 {entry.item_id} 已办结（办结日期：{entry.done_on or '未填写'}），已记入进展记录",
                       "请核实后在督办事项中填写办结日期并将办理状态改为“已办结”")  # fmt: skip
    for item_id, pairs in fresh.items():
        _decide(items[item_id][0], pairs, latest.get(item_id), merge)
    missing = [
        c.header
        for c in schema.LEDGER_INPUT_COLUMNS
        if c.key in UPDATED and c.key not in ledger.columns
    ]
    if merge.updates and missing:
        merge.problems.append(
            Problem(
                ledger.ledger_sheet,
                f"{ledger.header_row}:{ledger.header_row}",
                f"表头中没有“{'”“'.join(missing)}”列，回复的这部分内容只记入了进展记录",
                f"如需在台账中显示，请在表头添加列名“{'”“'.join(missing)}”",
            )
        )
    return merge


def _decide(
    item: Item, pairs: list[tuple[Entry, Baseline]], logged: date | None, merge: Merge
) -> None:
    """Apply the newest entry of an item to 督办事项 unless the ledger is as new or was edited since."""
    newest = max(e.day for e, _ in pairs)
    top = [(e, b) for e, b in pairs if e.day == newest]
    entry, baseline = top[-1]

    def report(message: str, fix: str = CHECK_FIX) -> None:
        merge.problems.append(Problem(*entry.where, message, fix))

    if len(top) > 1:
        report(
            f"事项 {item.id} 在 {newest} 有 {len(top)} 条不同的反馈，已全部记入进展记录，未更新督办事项"
        )
        return
    known = max(filter(None, (item.last_feedback_on, logged)), default=None)
    if known and entry.day <= known:
        report(
            f"事项 {item.id} 的反馈日期 {entry.day} 不晚于台账已有的反馈（{known}），已记入进展记录，未更新督办事项"
        )
        return
    now = Baseline.of(item)
    if (now.progress, now.text_hash) != (
        baseline.progress,
        baseline.text_hash,
    ) and now.last_feedback_on == baseline.last_feedback_on:
        report(
            f"反馈表发出后督查室在台账中修改过事项 {item.id} 的最新进展或完成进度，为免覆盖，仅记入进展记录，未更新督办事项"
        )
        return
    update: dict[str, object] = {"latest_progress": entry.text, "last_feedback_on": entry.day}
    if entry.progress is not None:
        update["progress"] = entry.progress
    merge.updates[item.row] = update


def log_text(entry: Entry) -> str:
    """Return the 进展内容 written to 进展记录: the reply's text, plus a completion claim when made."""
    if not entry.claims_done:
        return entry.text
    return f"{entry.text}（单位申报已办结，办结日期：{entry.done_on or '未填写'}）"


def progress_value(progress: float) -> object:
    """Return 完成进度 as the ledger stores it: 0-100 numbers; 1 % and below as text, as 1 alone reads as 100 %."""
    number = int(progress) if float(progress).is_integer() else round(progress, 2)
    return number if number == 0 or number > 1 else f"{number}%"


# --- writing -----------------------------------------------------------------------------------


def build_plan(path: Path, ledger: Ledger, merge: Merge) -> WritePlan:
    """Return the WritePlan: 进展记录 rows appended, 督办事项 cells updated, nothing else."""
    plan = WritePlan()
    sheet = ledger.ledger_sheet
    for row, update in sorted(merge.updates.items()):
        for key, value in update.items():
            if key in ledger.columns:
                plan.cells.append(
                    CellWrite(
                        sheet,
                        row,
                        ledger.columns[key],
                        progress_value(value) if key == "progress" else value,
                    )
                )
    rows = [
        {k: progress_value(v) if k == "progress" and v is not None else v for k, v in r.items()}
        for r in merge.log_rows
    ]
    if not rows:
        return plan
    log = _progress_log(path)
    if log is None:  # an office ledger without 进展记录: add the sheet with the standard header
        headers = [c.header for c in schema.PROGRESS_LOG_COLUMNS]
        grid = [headers, *([r.get(c.key) for c in schema.PROGRESS_LOG_COLUMNS] for r in rows)]
        plan.sheets.append(
            GeneratedSheet(
                schema.PROGRESS_LOG,
                grid,
                (0,),
                tuple(c.width for c in schema.PROGRESS_LOG_COLUMNS),
                {0: "yyyy-mm-dd"},
            )
        )
        return plan
    name, header_row, columns, max_col = log
    for column in schema.PROGRESS_LOG_COLUMNS:  # add a missing column's header right of the sheet
        if column.key not in columns and any(r.get(column.key) not in (None, "") for r in rows):
            max_col += 1
            columns[column.key] = max_col
            plan.cells.append(CellWrite(name, header_row, max_col, column.header))
    width = max(columns.values())
    plan.appends[name] = [
        [
            next((r.get(k) for k, c in columns.items() if c == col), None)
            for col in range(1, width + 1)
        ]
        for r in rows
    ]
    return plan


def _progress_log(path: Path) -> tuple[str, int, dict[str, int], int] | None:
    """Return 进展记录's (sheet name, header row, column map, last used column), or None when absent."""
    wb = reader.open_workbook(path)
    with wb:
        name = next(
            (n for n in reader.visible_sheets(wb) if header_key(n) == schema.PROGRESS_LOG), None
        )
        if name is None:
            return None
        table = load_table(wb, name, schema.PROGRESS_LOG_COLUMNS, FormulaScan(path), min_matches=2)
    if not table.header_row:
        raise DubanError(
            f"“{name}”表缺少表头",
            "请在第 1 行填写：日期、编号、责任单位、进展内容、完成进度、佐证材料、录入人",
            path=str(path),
        )
    return name, table.header_row, dict(table.columns), max(table.max_col, *table.columns.values())


def record_problems(path: Path, problems: list[Problem]) -> None:
    """Add the collect's lines to 校验问题 (keeping its rows), writing only when a line is new."""
    wb = reader.open_workbook(path)
    with wb:
        names = [m.name for m in wb.sheets_metadata]
        grid = wb.get_sheet_by_name(schema.PROBLEMS).to_python() if schema.PROBLEMS in names else []
    fresh = problems_sheet(problems)
    existing = [
        [plain(v) for v in [*row, "", "", "", ""][:4]] for row in grid[1:] if any(map(plain, row))
    ]
    existing = [row for row in existing if row[:3] != ["", "", "未发现问题"]]
    known = {tuple(row) for row in existing}
    new = [row for row in fresh.rows[1:] if tuple(map(str, row)) not in known]
    if not new:
        return
    fresh.rows = [fresh.rows[0], *existing, *new]
    plan = WritePlan(sheets=[fresh])
    expected = safety.fingerprint(path)
    safety.write_atomically(
        path, expected, lambda tmp: xlsxpatch.apply_plan(path, plan, tmp), backups_kept=0
    )
