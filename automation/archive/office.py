"""The refresh's 文件夹管理 stage (docs/rules.md §13–§15): planned with the rest, done after the write.

``plan_office`` runs inside ``refresh.plan_refresh``: it reconciles the 差错登记, builds the
three generated sheets and the 档案 links, and decides which folders to make or rename,
which documents to file and which finished items to pack (``duban archive`` refuses here,
before anything is written, an item that is not 已办结). ``carry_out`` runs after the
workbook is written (``refresh.record_refresh``): it logs the 差错, fills the folders,
writes each 目录.html, packs, and writes the 周例会通报. A failure there is said in the
report, never raised: the ledger is already written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import staffnotes, summaries
from automation.archive import accountability, folders, lookback, naming, packing, weekly
from automation.archive.accountability import Reconciled
from automation.archive.folders import Cabinet, Filing
from automation.archive.register import FiledDoc, Register
from automation.errors import DubanError, WriteFailed
from automation.models import CellWrite, GeneratedSheet, Item, ItemResult, Ledger, WritePlan
from automation.rules.workdays import WorkCalendar
from automation.schema import DONE_STATUSES, DocKind, ErrorKind, Status, status_label
from automation.xlsx.cellxml import Formula, hyperlink

OPEN_LINK, PACKED_LINK = "打开", "已归档"


@dataclass(frozen=True)
class ReplyFiling:
    """A reply merged by ``duban collect``: its file, the items it reported on, its evidence."""

    path: Path
    items: tuple[tuple[str, date], ...]  # (编号, 反馈日期)
    evidence: tuple[tuple[str, date, str], ...] = ()  # (编号, 日期, path as typed in the reply)


@dataclass(frozen=True)
class OfficeRequest:
    """What a run asks of 文件夹管理 beyond the refresh's own work."""

    archive: tuple[str, ...] | None = None  # duban archive: these 编号; () = every 已销号 item
    weekly: bool = False  # duban weekly: write the 周例会通报 now
    replies: tuple[ReplyFiling, ...] = ()  # duban collect: the replies merged


@dataclass
class Pack:
    """A finished item's folder to pack."""

    item: Item
    folder: str
    target: Path


@dataclass
class OfficeWork:
    """What one refresh does for 文件夹管理: planned before the write, carried out after it."""

    ledger_path: Path
    today: date
    dry_run: bool
    cabinet: Cabinet
    items: dict[str, Item]
    folders: dict[str, str] = field(default_factory=dict)  # 编号 -> folder name after this run
    renames: dict[str, tuple[str, str]] = field(default_factory=dict)
    filings: list[Filing] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)
    filed: dict[str, list[FiledDoc]] = field(default_factory=dict)
    reconciled: Reconciled | None = None
    sheets: list[GeneratedSheet] = field(default_factory=list)
    links: dict[tuple[str, int], Formula | None] = field(default_factory=dict)  # (sheet, row)
    weekly: tuple[Path, dict] | None = None
    panel: list[dict] = field(default_factory=list)  # the dashboard's 督办人 panel
    notes: list[str] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    def add_to(self, plan: WritePlan, ledger: Ledger) -> None:
        """Put the generated sheets and the 档案 links (every ledger sheet) into the write plan.

        A row without a folder is cleared only when its cell holds something (an old link),
        so a refresh with nothing new to link writes the very same sheet again.
        """
        plan.sheets.extend(self.sheets)
        for sheet in ledger.sheets:
            col = summaries.computed_columns(sheet)["archive"]
            plan.cells.extend(
                CellWrite(sheet.name, row, col, link)
                for (name, row), link in self.links.items()
                if name == sheet.name
                and (link is not None or "archive" in sheet.computed_seen.get(row, {}))
            )

    def as_dict(self) -> dict:
        """Return the stage's part of ``--json``."""
        r = self.reconciled
        return {
            "errors_new": len(r.new) if r else 0,
            "errors_corrected": len(r.corrected) if r else 0,
            "errors_open": sum(e.corrected_on is None for e in r.shown) if r else 0,
            "folders": len(self.folders),
            "files_to_file": len(self.filings),
            "archived": self.archived if not self.dry_run else [p.item.id for p in self.packs],
            "weekly": str(self.weekly[0]) if self.weekly else None,
        }


# --- planning ------------------------------------------------------------------------------


def plan_office(
    evaluation, dry_run: bool, request: OfficeRequest | None, *, auto_weekly: bool
) -> OfficeWork:
    """Plan the stage for an evaluated ledger (``evaluate.Evaluation``); raise when archive must refuse."""
    request = request or OfficeRequest()
    ledger, outcome, today = evaluation.ledger, evaluation.outcome, evaluation.today
    path = Path(evaluation.path)
    pairs = evaluation.pairs()
    cal = WorkCalendar(ledger.calendar_overrides)
    register = Register.if_present(path) if dry_run else Register(path)
    try:
        logged = register.entries() if register else []
        filed = register.filed() if register else {}
    finally:
        if register is not None:
            register.close()

    items: dict[str, Item] = {}  # the 编号 decides (an assigned one is written back too)
    for item in ledger.items:
        if item.id.strip():
            items.setdefault(item.id.strip(), item)
    work = OfficeWork(path, today, dry_run, Cabinet(path), items, filed=filed)

    work.reconciled, rows = _accountability(evaluation, logged, cal)
    work.panel = panel_rows(rows)
    due = lookback.due(ledger, outcome, cal)
    work.sheets = [
        accountability.workload_sheet(rows, ledger.settings.unfollowed_days),
        accountability.error_sheet(work.reconciled.shown),
        lookback.lookback_sheet(ledger, outcome, cal, due),
    ]
    for sheet in work.sheets:  # what staff wrote beside or below them stays (staffnotes)
        lines = {str(v) for row in sheet.rows if sum(1 for v in row if v) == 1 for v in row if v}
        lost = staffnotes.carry(sheet, ledger.generated.get(sheet.name), lines)
        outcome.problems.extend(lost)  # listed in 校验问题, like the other sheets' lost notes
    uncorrected = sum(e.corrected_on is None for e in work.reconciled.shown)
    if uncorrected:
        work.notes.append(f"督办人差错：未纠正 {uncorrected} 项（见“差错登记”“督办人工作量”表）")

    reopened = sum(1 for r in outcome.results if r.status == Status.REBOUND)
    if due or reopened:
        work.notes.append(
            f"回头看：到期应回头看 {len(due)} 项，回头看反弹 {reopened} 项（见“回头看清单”表）"
        )
    _plan_filings(work, evaluation, request)
    _plan_folders(work)
    _plan_packs(work, evaluation, request)
    _plan_links(work, ledger)
    if request.weekly or (auto_weekly and weekly.is_last_workday_of_week(today, cal)):
        target = weekly.target_for(path, today, again=request.weekly)
        if target is not None:
            values = weekly.context(work.reconciled.shown, pairs, ledger.settings, today)
            work.weekly = (target, values)
    if dry_run:
        work.notes.append(_dry_run_note(work))
    return work


def _accountability(evaluation, logged, cal: WorkCalendar) -> tuple[Reconciled, list[dict]]:
    """Return the 差错 log as of today and the 督办人工作量 rows."""
    ledger, today, pairs = evaluation.ledger, evaluation.today, evaluation.pairs()
    follow = accountability.follow_ups(ledger, evaluation.letters, today)
    found = accountability.found_today(pairs, follow, cal, today, ledger.settings.unfollowed_days)
    days = ledger.settings.unfollowed_days
    reconciled = accountability.reconcile(logged, found, pairs, follow, today, days)
    unfollowed = {key[0] for key in found if key[1] == ErrorKind.UNFOLLOWED}
    return reconciled, accountability.workload_rows(pairs, reconciled.shown, unfollowed, today)


def panel_rows(rows: list[dict]) -> list[dict]:
    """Return the dashboard's 督办人 rows (staff named as 督办人 only, not the 合计)."""
    named = [r for r in rows if r["督办人"] not in ("合计", accountability.BLANK_OWNER)]
    return [
        {"name": r["督办人"], "open": r["在办"], "overdue": r[str(Status.OVERDUE)],
         "unfollowed": r["未跟进"], "week": r["本周差错"], "uncorrected": r["未纠正差错"]}
        for r in named
    ]  # fmt: skip


def owner_panel(evaluation) -> list[dict]:
    """Return the 督办人 panel of an evaluated ledger, with the 差错 kept in its database (read only)."""
    register = Register.if_present(Path(evaluation.path))
    try:
        logged = register.entries() if register else []
    finally:
        if register is not None:
            register.close()
    cal = WorkCalendar(evaluation.ledger.calendar_overrides)
    return panel_rows(_accountability(evaluation, logged, cal)[1])


def _plan_filings(work: OfficeWork, evaluation, request: OfficeRequest) -> None:
    """Choose the letters, replies and evidence not yet filed in their items' folders."""
    folder = Path(work.ledger_path).parent
    wanted: list[Filing] = []
    for letter in evaluation.letters:
        if not letter.file or not letter.issued:
            continue  # a 送审稿 waits for 审定: only what went out is filed
        source = folders.resolve(folder, letter.file)
        for item_id in letter.item_ids:
            wanted.append(Filing(item_id.strip(), source, str(letter.type), letter.date,
                                 letter.file, letter.doc_no))  # fmt: skip
    wanted.extend(folders.evidence_filings(evaluation.ledger, work.ledger_path))
    for reply in request.replies:
        origin = _origin(folder, reply.path)
        for item_id, day in reply.items:
            wanted.append(Filing(item_id, reply.path, str(DocKind.REPLY), day, origin))
        base = reply.path.parent.resolve()
        for item_id, day, typed in reply.evidence:
            for part in folders.evidence_parts(typed):
                source = folders.resolve(base, part).resolve()
                if (
                    source.is_relative_to(base) and source.exists()
                ):  # a reply names only its own files
                    wanted.append(Filing(item_id, source, str(DocKind.EVIDENCE), day, _origin(folder, source)))  # fmt: skip
    seen: set[tuple[str, str]] = set()
    for filing in wanted:
        key = (filing.item_id, filing.origin)
        done = {d.origin for d in work.filed.get(filing.item_id, ())}
        if key in seen or filing.origin in done or filing.item_id not in work.items:
            continue
        if not filing.source.exists():
            continue
        seen.add(key)
        work.filings.append(filing)


def _origin(folder: Path, path: Path) -> str:
    """Return a source as recorded: relative to the ledger's folder when inside it."""
    try:
        return Path(path).resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def _plan_folders(work: OfficeWork) -> None:
    """Name each item's folder: the existing one (renamed when 事项内容 changed), or a new one."""
    wanting = {f.item_id for f in work.filings}
    names = set(work.cabinet.names)
    for item_id, item in work.items.items():
        existing = work.cabinet.find(item_id)
        if existing is None and item_id not in wanting:
            continue
        desired = naming.folder_name(item_id, item.content)
        work.folders[item_id] = desired
        if existing is not None and existing != desired:
            if desired in names:
                work.notes.append(
                    f"注意：事项 {item_id} 有两个档案文件夹（“{existing}”和“{desired}”），请把前者的文件移入后者"
                )
            else:
                work.renames[item_id] = (existing, desired)


def _plan_packs(work: OfficeWork, evaluation, request: OfficeRequest) -> None:
    """Pack every 已销号 item's folder; with ``duban archive`` the 编号 asked for (or refuse)."""
    results: dict[str, ItemResult] = {}
    for item, result in evaluation.pairs():
        results.setdefault(item.id.strip(), result)
    chosen: list[str] = []
    if request.archive:
        refused = []
        for item_id in request.archive:
            key = item_id.strip()
            item = work.items.get(key)
            if item is None:
                refused.append(f"{key}（台账中没有这个编号）")
            elif results[key].status not in DONE_STATUSES:
                refused.append(f"{key}（{status_label(results[key].status)}，尚未办结）")
            elif item.done_on is None:
                refused.append(f"{key}（未填写办结日期）")
            else:
                chosen.append(key)
        if refused:
            raise DubanError(
                f"以下事项不能归档：{'；'.join(refused)}",
                "凡进夹事项办结方能退夹、归档和销号：请先在督办事项中填写办结日期并将办理状态改为“已办结”，再归档",
            )
    else:
        chosen = [
            key
            for key, item in work.items.items()
            if results[key].status == Status.CLOSED and item.done_on is not None
            and key in work.folders
        ]  # fmt: skip
    archived = naming.archived_root(work.ledger_path)
    for key in chosen:
        if key not in work.folders:
            work.notes.append(f"事项 {key} 没有档案文件夹（尚无文书、反馈或佐证材料），无需归档")
            continue
        item = work.items[key]
        year = archived / str(item.done_on.year)  # type: ignore[union-attr]
        n = len(work.cabinet.packed(key)) + 1
        while (year / naming.zip_name(key, n)).exists():
            n += 1
        work.packs.append(Pack(item, work.folders[key], year / naming.zip_name(key, n)))


def _plan_links(work: OfficeWork, ledger: Ledger) -> None:
    """Link each row to its folder, or to its archive once packed (docs/rules.md §13.4)."""
    root = work.cabinet.root
    packs = {p.item.id.strip(): p.target for p in work.packs}
    for item in ledger.items:
        key = item.id.strip()
        link = None
        if key in work.items:
            if key in packs:
                link = hyperlink(work.cabinet.relative(packs[key]), PACKED_LINK)
            elif key in work.folders:
                link = hyperlink(work.cabinet.relative(root / work.folders[key]), OPEN_LINK)
            elif work.cabinet.packed(key):
                link = hyperlink(work.cabinet.relative(work.cabinet.packed(key)[0]), PACKED_LINK)
        work.links[(item.sheet, item.row)] = link


def _dry_run_note(work: OfficeWork) -> str:
    r = work.reconciled
    made = sum(1 for k in work.folders if work.cabinet.find(k) is None)
    parts = [
        f"新建档案文件夹 {made} 个" if made else "",
        f"改名 {len(work.renames)} 个" if work.renames else "",
        f"放入文件 {len(work.filings)} 份" if work.filings else "",
        f"归档 {len(work.packs)} 项" if work.packs else "",
        f"新增差错 {len(r.new)} 条" if r and r.new else "",
        f"纠正差错 {len(r.corrected)} 条" if r and r.corrected else "",
        "生成周例会通报" if work.weekly else "",
    ]
    return "试运行（文件夹管理）：将" + ("，".join(p for p in parts if p) or "无改动")


# --- carrying out --------------------------------------------------------------------------


def carry_out(work: OfficeWork, at: datetime) -> list[str]:
    """Do what was planned, after the workbook is written; return what it did and what failed."""
    planned = len(work.notes)
    if not work.dry_run:
        _carry_out(work, at)
    return work.notes[planned:]


def _carry_out(work: OfficeWork, at: datetime) -> None:
    r = work.reconciled
    try:
        with Register(work.ledger_path) as register:
            if r is not None:
                register.log(r.new, r.corrected)
            done = _fill(work)
            register.record_filed(done, at)
    except WriteFailed as e:
        work.notes.append(f"注意：差错登记或档案记录未能保存（{e}），下次刷新会补上")
        return
    if r is not None and (r.new or r.corrected):
        work.notes.append(f"差错登记：新增 {len(r.new)} 条，已纠正 {len(r.corrected)} 条")
    _pack(work)
    if work.weekly is not None:
        target, values = work.weekly
        try:
            work.outputs.append(weekly.write(work.ledger_path, target, values))
            work.notes.append(f"已生成周例会通报：{target}")
        except DubanError as e:
            work.notes.append(f"注意：周例会通报未能生成（{e}）")


def _fill(work: OfficeWork) -> list[FiledDoc]:
    """Rename and make folders, copy the filings in, and rewrite each folder's 目录.html."""
    root = work.cabinet.root
    for item_id, (old, new) in work.renames.items():
        try:
            os.rename(root / old, root / new)
        except OSError as e:
            work.folders[item_id] = old
            work.notes.append(
                f"注意：档案文件夹“{old}”未能改名为“{new}”（{e.strerror or e}），沿用原名"
            )
    done: list[FiledDoc] = []
    made = 0
    for filing in work.filings:
        folder = root / work.folders[filing.item_id]
        try:
            if not folder.exists():
                folder.mkdir(parents=True)
                made += 1
            name = folders.copy_into(folder, filing.source)
        except OSError as e:
            work.notes.append(
                f"注意：“{filing.source.name}”未能放入事项 {filing.item_id} 的档案文件夹（{e.strerror or e}）"
            )
            continue
        doc = FiledDoc(filing.item_id, filing.origin, name, filing.kind, filing.day, filing.doc_no)
        done.append(doc)
        work.filed.setdefault(filing.item_id, []).append(doc)
    for item_id, name in work.folders.items():
        folder = root / name
        if folder.is_dir():
            try:
                folders.write_catalog(folder, work.items[item_id], work.filed.get(item_id, ()))
            except OSError as e:
                work.notes.append(f"注意：“{name}”的目录未能更新（{e.strerror or e}）")
    if made or done:
        work.notes.append(f"事项档案：新建文件夹 {made} 个，放入文件 {len(done)} 份（{root}）")
    return done


def _pack(work: OfficeWork) -> None:
    for pack in work.packs:
        folder = work.cabinet.root / work.folders.get(pack.item.id.strip(), pack.folder)
        if not folder.is_dir():
            continue
        try:
            packed = packing.pack(folder, pack.target, pack.item, work.today)
        except WriteFailed as e:
            work.notes.append(f"注意：{e}")
            continue
        work.archived.append(pack.item.id)
        where = work.cabinet.relative(packed.target)
        kept = "" if packed.removed else "；档案文件夹中有文件正被打开，文件夹未移除，请关闭后删除"
        work.notes.append(f"已归档：{pack.item.id} → {where}（{packed.files} 个文件）{kept}")
        work.outputs.append(packed.target)
