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
from automation.archive.office import OfficeRequest, ReplyFiling
from automation.errors import DubanError
from automation.evaluate import evaluate
from automation.feedback.forms import Baseline, load_key
from automation.feedback.replies import Entry, Reply, ReplyRefused, read_reply
from automation.history import History
from automation.ledger import reader
from automation.ledger.normalize import clean, header_key
from automation.models import CellWrite, Feedback, GeneratedSheet, Item, Ledger, Problem, WritePlan
from automation.xlsx import safety, xlsxpatch

CHECK_FIX = "请督查室核对后手工处理"
UPDATED = (
    "latest_progress",
    "last_feedback_on",
    "progress",
)  # the 督办事项 columns a reply may update


@dataclass
class Merge:
    """What a set of replies changes: 进展记录 rows to append, 督办事项 updates, problems."""

    log_rows: list[Feedback] = field(default_factory=list)
    # (ledger sheet, row) -> key -> value
    updates: dict[tuple[str, int], dict[str, object]] = field(default_factory=dict)
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

    def as_dict(self) -> dict:
        """Return what `duban collect --json` prints."""
        m = self.merge
        return {
            "ok": True,
            "ledger": str(self.path),
            "dry_run": self.dry_run,
            "files": self.files,
            "replies": self.replies,
            "progress_rows": len(m.log_rows),
            "items_updated": len(m.updates),
            "duplicates": m.duplicates,
            "problems": [p.as_dict() for p in m.problems],
            "backup": str(self.backup) if self.backup else None,
        }

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
    """Merge returned feedback forms into the ledger (or only report, with ``dry_run``).

    The merge and the refresh it calls for are one WritePlan, written once: the new
    进展记录 rows, the updated 督办事项 cells, the computed columns that see them and the
    summary sheets (校验问题 lists every entry not taken).
    """
    from automation.refresh import plan_refresh, record_refresh

    path = Path(ledger_path)
    now = now or datetime.now()
    reader.check_file(path)
    if not dry_run:
        reader.check_writable_format(path)
        safety.check_not_open(path)
    expected = safety.fingerprint(path)
    report = CollectReport(path, dry_run, files=len(files))
    history = History(path) if not dry_run else History.if_present(path)
    try:
        evaluation = evaluate(path, today, history)
        ledger = evaluation.ledger
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
        if not (merge.log_rows or merge.updates or _new_problems(path, merge.problems)):
            return report  # nothing to take, and every refusal is already in 校验问题
        apply_merge(ledger, merge)
        evaluation.outcome = evaluation.recompute()  # the computed columns see the new feedback
        evaluation.outcome.problems.extend(merge.problems)
        office = OfficeRequest(replies=reply_filings(replies, merge))  # into the items' folders
        refreshed, _ = plan_refresh(evaluation, history, now=now, office=office)
        plan = refreshed.plan
        add_merge_to(plan, ledger, merge)
        report.backup = safety.write_atomically(
            path,
            expected,
            lambda tmp: xlsxpatch.apply_plan(path, plan, tmp),
            backups_kept=ledger.settings.backups_kept,
        )
        assert history is not None
        record_refresh(history, refreshed, None, None, now=now)
        report.refreshed = refreshed.summary()
    finally:
        if history is not None:
            history.close()
    return report


def reply_filings(replies: list[Reply], merge: Merge) -> tuple[ReplyFiling, ...]:
    """Return each reply with the entries taken from it, so it is filed in those items' folders."""
    taken = {(r.item_id, r.date) for r in merge.log_rows}
    filings = []
    for reply in replies:
        entries = [e for e in reply.entries if (e.item_id, e.day) in taken]
        if entries:
            filings.append(
                ReplyFiling(
                    Path(reply.path).resolve(),
                    tuple(dict.fromkeys((e.item_id, e.day) for e in entries)),
                    tuple((e.item_id, e.day, e.evidence) for e in entries if e.evidence),
                )
            )
    return tuple(filings)


def _new_problems(path: Path, problems: list[Problem]) -> bool:
    """Tell whether a refusal is not yet listed in the workbook's 校验问题 (a rerun writes nothing)."""
    if not problems:
        return False
    with reader.open_workbook(path) as workbook:
        names = [m.name for m in workbook.sheets_metadata]
        if schema.PROBLEMS not in names:
            return True
        grid = workbook.get_sheet_by_name(schema.PROBLEMS).to_python()
    listed = {(str(row[0]), str(row[2])) for row in grid[1:] if len(row) > 2}
    return any((p.sheet, p.message) not in listed for p in problems)


def apply_merge(ledger: Ledger, merge: Merge) -> None:
    """Show the merge to the in-memory ledger, as the written workbook will read back."""
    by_cell = {(item.sheet, item.row): item for item in ledger.items}
    for where, update in merge.updates.items():
        item = by_cell[where]
        columns = ledger.sheet(item.sheet).columns
        for key, value in update.items():
            if key in columns:
                setattr(item, key, value)
    ledger.feedback.extend(merge.log_rows)


# --- merging (pure) ----------------------------------------------------------------------------


def merge_replies(ledger: Ledger, replies: list[Reply], today: date) -> Merge:
    """Decide, for every entry, whether it is appended, applied to 督办事项, skipped or reported."""
    merge = Merge()
    items: dict[str, list[Item]] = {}
    for item in ledger.items:
        if item.id and not item.id_assigned:
            items.setdefault(item.id, []).append(item)
    seen = {(fb.item_id, fb.date, clean(fb.text)) for fb in ledger.feedback}  # compared by meaning
    latest: dict[str, date] = {}
    for fb in ledger.feedback:
        latest[fb.item_id] = max(fb.date, latest.get(fb.item_id, fb.date))
    fresh: dict[str, list[tuple[Entry, Baseline]]] = {}
    for reply in sorted(replies, key=lambda r: (r.signature.issued, r.path.name)):
        baselines = {b.item_id: b for b in reply.signature.items}
        for entry in reply.entries:
            found = items.get(entry.item_id, [])
            if len(found) > 1:  # parts of one item over several unit rows: this unit's part
                found = [i for i in found if entry.unit in i.lead_units] or found

            def report(message: str, fix: str, entry: Entry = entry) -> None:
                merge.problems.append(Problem(*entry.where, message, fix))

            if len(found) != 1:
                report(
                    f"台账中{'已没有' if not found else '有多个'}编号为“{entry.item_id}”的事项，未采用",
                    CHECK_FIX,
                )
                continue
            if entry.unit not in found[0].lead_units:
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
            merge.log_rows.append(Feedback(entry.day, entry.item_id, entry.unit, text, entry.progress,
                                           entry.evidence, entry.reporter))  # fmt: skip
            fresh.setdefault(entry.item_id, []).append((entry, baselines[entry.item_id]))
            if entry.claims_done:
                report(f"单位申报事项 {entry.item_id} 已办结（办结日期：{entry.done_on or '未填写'}），已记入进展记录",
                       "请核实后在督办事项中填写办结日期并将办理状态改为“已办结”")  # fmt: skip
    for item_id, pairs in fresh.items():
        _decide(items[item_id][0], pairs, latest.get(item_id), merge)
    for sheet in ledger.sheets:
        missing = [
            c.header
            for c in schema.LEDGER_INPUT_COLUMNS
            if c.key in UPDATED and c.key not in sheet.columns
        ]
        if missing and any(name == sheet.name for name, _ in merge.updates):
            merge.problems.append(
                Problem(
                    sheet.name,
                    f"{sheet.header_row}:{sheet.header_row}",
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
    merge.updates[(item.sheet, item.row)] = update


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


def _log_cells(entry: Feedback) -> dict[str, object]:
    """Return a 进展记录 row by column key, 完成进度 as the ledger stores it."""
    cells: dict[str, object] = {c.key: getattr(entry, c.key) for c in schema.PROGRESS_LOG_COLUMNS}
    if entry.progress is not None:
        cells["progress"] = progress_value(entry.progress)
    return cells


def add_merge_to(plan: WritePlan, ledger: Ledger, merge: Merge) -> None:
    """Add the merge to a WritePlan: 进展记录 rows appended, 督办事项 input cells updated."""
    for (sheet, row), update in sorted(merge.updates.items()):
        columns = ledger.sheet(sheet).columns
        for key, value in update.items():
            if key == "progress" and isinstance(value, int | float):
                value = progress_value(value)
            if key in columns:
                plan.cells.append(CellWrite(sheet, row, columns[key], value))
    rows = [_log_cells(f) for f in merge.log_rows]
    if not rows:
        return
    log = ledger.layouts.get(schema.PROGRESS_LOG)
    headerless = [n for n in ledger.sheet_names if header_key(n) == schema.PROGRESS_LOG]
    if log is None and headerless:
        raise DubanError(
            f"“{headerless[0]}”表缺少表头",
            "请在第 1 行填写：日期、编号、责任单位、进展内容、完成进度、佐证材料、录入人",
        )
    if log is None:  # an office ledger without 进展记录: add the sheet with the standard header
        grid: list[list[object]] = [
            [c.header for c in schema.PROGRESS_LOG_COLUMNS],
            *([r.get(c.key) for c in schema.PROGRESS_LOG_COLUMNS] for r in rows),
        ]
        plan.sheets.append(
            GeneratedSheet(
                schema.PROGRESS_LOG,
                grid,
                (0,),
                tuple(c.width for c in schema.PROGRESS_LOG_COLUMNS),
                {0: "yyyy-mm-dd"},
            )
        )
        return
    name, header_row, columns, max_col = log.name, log.header_row, dict(log.columns), log.max_col
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
