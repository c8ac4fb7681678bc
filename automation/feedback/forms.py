"""Per-unit feedback forms (`duban forms`): one small protected workbook per unit, signed.

Each form lists a unit's open items with read-only context columns and editable reply
columns, Chinese instructions at the top, drop-downs and date validation. A veryHidden
sheet carries the signature: ledger id, unit, issue date, form id and, per item, the
ledger's state when the form was issued (the *baseline*), sealed with an HMAC-SHA256 so
`duban collect` can match a reply back safely and tell a newer staff edit from an old one.

The HMAC key and the ledger id live in ``<ledger folder>/.duban/forms-key.json`` (made on
the first ``duban forms``), beside the refresh history, so writing forms never touches
the ledger workbook. Moving the ledger folder keeps the key; losing ``.duban`` makes the
forms issued before unverifiable (collect then refuses them and says why).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal, overload

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from automation import errors, paths
from automation.evaluate import evaluate_readonly
from automation.models import Item, Ledger
from automation.safetext import xstring
from automation.summaries import DONE, INACTIVE
from automation.units import resolve_unit

FORM_SHEET = "反馈表"
SIGNATURE_SHEET = "签名"
FORMAT = "duban-feedback-form"
VERSION = "1"
REPORT_DATE_LABEL = "填报日期"
FIRST_SIGNED_ROW = 8  # signature rows 1-7 are the header fields, items follow
DATE_FORMAT = "yyyy-mm-dd"
EXTRA_ROWS = 10  # unlocked blank rows under the items, for a unit's extra entries

# (key, header, width): the context columns the unit reads, then the ones it fills in.
READ_COLUMNS = (
    ("id", "编号", 14),
    ("content", "事项内容", 40),
    ("deadline", "办结时限", 12),
    ("next_feedback_on", "下次反馈日", 12),
    ("latest_progress", "上次进展", 36),
)
EDIT_COLUMNS = (
    ("text", "本次进展", 40),
    ("progress", "完成进度", 10),
    ("done", "是否办结", 10),
    ("done_on", "办结日期", 12),
    ("evidence", "佐证材料", 20),
    ("reporter", "填报人", 10),
    ("phone", "联系电话", 14),
)
FORM_COLUMNS = READ_COLUMNS + EDIT_COLUMNS
HEADER_ROW = 6
INSTRUCTIONS = (
    "填表说明：1. 请在“本次进展”至“联系电话”各列（白色单元格）填写，灰色列由督查室填写，请勿修改；"
    "2. 完成进度填 0–100 的整数（如 80 表示 80%）；是否办结请从下拉列表选择；日期填写如 2026-03-05；"
    "3. 请在上方“填报日期”处填写本次填报的日期；同一事项有多条进展可在表格下方空行续填（须填写编号）；"
    "4. 请勿删除或改名本工作簿中的工作表，填好后直接保存并将文件交回督查室（可改文件名）。"
)


@dataclass(frozen=True)
class Baseline:
    """One signed item: its 编号 and the ledger's 最近反馈日期 / 完成进度 / 最新进展 when issued."""

    item_id: str
    last_feedback_on: str  # ISO date or ""
    progress: str  # "%g" of 0-100 or ""
    text_hash: str  # first 16 hex of sha256(最新进展)

    @classmethod
    def of(cls, item: Item) -> Baseline:
        """Return the baseline of an item as it stands in the ledger now."""
        return cls(
            item.id,
            item.last_feedback_on.isoformat() if item.last_feedback_on else "",
            f"{item.progress:g}" if item.progress is not None else "",
            text_hash(item.latest_progress),
        )


@dataclass(frozen=True)
class Signature:
    """What a form's hidden sheet says: who it was issued to, when, and for which items."""

    ledger_id: str
    unit: str
    issued: str  # ISO date
    form_id: str
    items: tuple[Baseline, ...]
    mac: str = ""

    def message(self) -> bytes:
        """Return the canonical bytes the HMAC seals."""
        body = [FORMAT, VERSION, self.ledger_id, self.unit, self.issued, self.form_id,
                [[b.item_id, b.last_feedback_on, b.progress, b.text_hash] for b in self.items]]  # fmt: skip
        return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def sealed(self, key: bytes) -> Signature:
        """Return this signature with its HMAC set."""
        mac = hmac.new(key, self.message(), hashlib.sha256).hexdigest()
        return Signature(self.ledger_id, self.unit, self.issued, self.form_id, self.items, mac)

    def verify(self, key: bytes) -> bool:
        """Tell whether the HMAC matches the content under ``key``."""
        expected = hmac.new(key, self.message(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.mac)

    def rows(self) -> list[list[str]]:
        """Return the signature sheet's cells, every one a string."""
        head = [
            [FORMAT, VERSION],
            ["ledger", self.ledger_id],
            ["unit", self.unit],
            ["issued", self.issued],
            ["form", self.form_id],
            ["items", str(len(self.items))],
            ["mac", self.mac],
        ]
        return head + [[b.item_id, b.last_feedback_on, b.progress, b.text_hash] for b in self.items]


@dataclass(frozen=True)
class FormKey:
    """The ledger id and HMAC secret kept beside the ledger in .duban/."""

    ledger_id: str
    secret: bytes


@dataclass
class FormsReport:
    """What `duban forms` wrote."""

    folder: Path
    files: list[Path] = field(default_factory=list)
    items: int = 0
    skipped: list[str] = field(default_factory=list)  # Chinese lines: items left out and why

    def summary(self) -> str:
        """Describe the forms written in a few Chinese lines."""
        lines = [
            f"已生成反馈表 {len(self.files)} 份（共 {self.items} 个未办结事项），位于：{self.folder}"
        ]
        lines.extend(f"  {p.name}" for p in self.files)
        lines.extend(f"未列入：{s}" for s in self.skipped)
        return "\n".join(lines)


def text_hash(text: str) -> str:
    """Return a short fingerprint of a 最新进展 text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@overload
def load_key(ledger_path: Path, *, create: Literal[True]) -> FormKey: ...
@overload
def load_key(ledger_path: Path, *, create: bool = False) -> FormKey | None: ...
def load_key(ledger_path: Path, *, create: bool = False) -> FormKey | None:
    """Return the ledger's forms key, making one when ``create`` and none exists."""
    path = paths.forms_key_file(ledger_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return FormKey(str(data["ledger_id"]), bytes.fromhex(data["secret"]))
    except FileNotFoundError:
        if not create:
            return None
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise errors.ConfigError(
            f"反馈表密钥文件无法读取（{e}）",
            "该文件由 duban forms 自动生成，请从备份恢复；如删除它，之前发出的反馈表将无法收回",
            path=str(path),
        ) from e
    key = FormKey(secrets.token_hex(8), secrets.token_bytes(32))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump({"ledger_id": key.ledger_id, "secret": key.secret.hex()}, f)
    except FileExistsError:
        return load_key(ledger_path, create=True)  # another process made it first: use theirs
    except OSError as e:
        raise errors.WriteFailed(
            f"无法保存反馈表密钥（{e.strerror or e}）",
            "请检查台账所在文件夹是否可写",
            path=str(path),
        ) from e
    return key


def make_forms(
    ledger_path: Path, *, today: date, unit: str | None = None, out_dir: Path | None = None
) -> FormsReport:
    """Write one feedback form per unit with open items (or only for ``unit``)."""
    ledger_path = Path(ledger_path)
    evaluation = evaluate_readonly(ledger_path, today)
    ledger, outcome = evaluation.ledger, evaluation.outcome
    wanted = resolve_unit(ledger, unit) if unit else None
    report = FormsReport(
        Path(out_dir) if out_dir else paths.day_folder(ledger_path, today, paths.FORMS)
    )
    groups = open_items_by_unit(ledger, outcome.results, report.skipped)
    if wanted:
        groups = {wanted: groups.get(wanted, [])}
        if not groups[wanted]:
            raise errors.DubanError(f"单位“{wanted}”没有未办结的事项", "无需生成反馈表")
    if not groups:
        raise errors.DubanError("台账中没有未办结的事项", "无需生成反馈表")
    key = load_key(ledger_path, create=True)
    try:
        report.folder.mkdir(parents=True, exist_ok=True)
        names = paths.distinct_filenames(groups)
        for name, rows in groups.items():
            path = report.folder / f"{names[name]}-{paths.FORMS}.xlsx"
            write_form(path, ledger, name, rows, today=today, key=key)
            report.files.append(path)
            report.items += len(rows)
    except OSError as e:
        raise errors.WriteFailed(
            f"无法写入反馈表（{e.strerror or e}）",
            "请检查输出文件夹是否可写、文件是否被打开",
            path=str(report.folder),
        ) from e
    return report


def open_items_by_unit(
    ledger: Ledger, results, skipped: list[str]
) -> dict[str, list[tuple[Item, object]]]:
    """Group the open items by lead unit, leaving out (and noting) those a reply could not match."""
    counts: dict[str, int] = {}
    seen_parts: set[tuple[str, int]] = set()
    for item in ledger.items:
        if item.part_of is not None:  # parts of one item share its 编号: count the item once
            if item.part_of in seen_parts:
                continue
            seen_parts.add(item.part_of)
        counts[item.id] = counts.get(item.id, 0) + 1
    groups: dict[str, list[tuple[Item, object]]] = {}
    for item, result in zip(ledger.items, results, strict=True):
        if result.status in DONE or result.status in INACTIVE:
            continue
        where = f"{item.sheet}第{item.row}行"
        if item.id_assigned or not item.id:
            skipped.append(f"{where}没有编号，请先运行 duban refresh 写入编号")
        elif counts[item.id] > 1:
            skipped.append(f"{where}编号“{item.id}”重复，请先改正")
        elif not item.unit:
            skipped.append(f"{where}（{item.id}）责任单位未能识别，请先改正")
        else:
            for unit in item.lead_units:
                groups.setdefault(unit, []).append((item, result))
    return dict(sorted(groups.items()))


# --- the workbook ------------------------------------------------------------------------------

_THIN = Side(style="thin", color="999999")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_GREY = PatternFill("solid", fgColor="EDEDED")
_HEAD = PatternFill("solid", fgColor="D9E1F2")
_WRAP = Alignment(wrap_text=True, vertical="top")
_UNLOCKED = Protection(locked=False)


def write_form(
    path: Path, ledger: Ledger, unit: str, rows, *, today: date, key: FormKey
) -> Signature:
    """Write one unit's form to ``path`` and return the signature sealed into it."""
    signature = Signature(
        key.ledger_id,
        unit,
        today.isoformat(),
        secrets.token_hex(6),
        tuple(Baseline.of(item) for item, _ in rows),
    ).sealed(key.secret)
    wb = Workbook()
    ws = wb.active
    assert isinstance(ws, Worksheet)  # a new workbook's one sheet
    ws.title = FORM_SHEET
    width = len(FORM_COLUMNS)
    office = str(ledger.settings.office_name or "督查室")
    _text(ws, 1, 1, f"{office} 督办事项反馈表").font = Font(bold=True, size=16)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    _text(ws, 2, 1, f"责任单位：{unit}　　发出日期：{today.isoformat()}　　共 {len(rows)} 项")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=width)
    _text(ws, 3, 1, INSTRUCTIONS).alignment = _WRAP
    ws.merge_cells(start_row=3, start_column=1, end_row=3, end_column=width)
    ws.row_dimensions[3].height = 66
    _text(ws, 4, 1, REPORT_DATE_LABEL).font = Font(bold=True)
    report_date = ws.cell(row=4, column=2)
    report_date.number_format = DATE_FORMAT
    report_date.protection = _UNLOCKED
    report_date.border = _BORDER
    for c, (_, header, col_width) in enumerate(FORM_COLUMNS, start=1):
        cell = _text(ws, HEADER_ROW, c, header)
        cell.font = Font(bold=True)
        cell.fill = _HEAD
        cell.border = _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(c)].width = col_width
    first = HEADER_ROW + 1
    last = HEADER_ROW + len(rows) + EXTRA_ROWS
    for r, (item, result) in enumerate(rows, start=first):
        values = {
            "id": item.id,
            "content": item.content,
            "deadline": item.effective_deadline or ("长期" if item.ongoing else None),
            "next_feedback_on": result.next_feedback_on,
            "latest_progress": item.latest_progress,
        }
        for c, (k, _, _) in enumerate(READ_COLUMNS, start=1):
            cell = _text(ws, r, c, values[k])
            cell.fill = _GREY
            if isinstance(values[k], date):
                cell.number_format = DATE_FORMAT
    for r in range(first, last + 1):
        for c in range(1, width + 1):
            cell = ws.cell(row=r, column=c)
            cell.border = _BORDER
            cell.alignment = _WRAP
            if c > len(READ_COLUMNS) or r >= first + len(rows):
                cell.protection = _UNLOCKED
    _add_validations(ws, first, last)
    ws.freeze_panes = f"B{first}"  # the 编号 column and the rows above stay in view
    ws.protection.sheet = True
    for allowed in ("insertRows", "formatRows", "formatColumns", "formatCells"):
        setattr(ws.protection, allowed, False)  # False = not protected: units may do these
    _signature_sheet(wb, signature)
    wb.security = WorkbookProtection(lockStructure=True)
    wb.save(path)
    return signature


def _text(ws, row: int, col: int, value: object):
    """Set a cell; text is always text (openpyxl would make "=..." a formula), escaped as Excel does."""
    if isinstance(value, str):
        value = xstring(value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _letter(key: str) -> str:
    return get_column_letter(
        next(i for i, (k, _, _) in enumerate(FORM_COLUMNS, start=1) if k == key)
    )


def _add_validations(ws, first: int, last: int) -> None:
    def span(key: str) -> str:
        return f"{_letter(key)}{first}:{_letter(key)}{last}"

    progress = DataValidation(
        type="whole", operator="between", formula1="0", formula2="100", allow_blank=True
    )
    progress.error, progress.errorTitle = (
        "完成进度请填写 0–100 之间的整数，如 80 表示 80%",
        "完成进度",
    )
    progress.prompt, progress.promptTitle = "填 0–100 的整数", "完成进度"
    done = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
    done.error, done.errorTitle = "请从下拉列表中选择“是”或“否”", "是否办结"
    dates = DataValidation(
        type="date", operator="between", formula1="36526", formula2="73051", allow_blank=True
    )
    dates.error, dates.errorTitle = "请填写如 2026-03-05 的日期", "日期格式不正确"
    dates.prompt, dates.promptTitle = "填写如 2026-03-05 的日期", "日期"
    for dv, ranges in (
        (progress, [span("progress")]),
        (done, [span("done")]),
        (dates, [span("done_on"), "B4"]),
    ):
        for one in ranges:
            dv.add(one)
        dv.showErrorMessage = True
        ws.add_data_validation(dv)


def _signature_sheet(wb: Workbook, signature: Signature) -> None:
    ws = wb.create_sheet(SIGNATURE_SHEET)
    for r, values in enumerate(signature.rows(), start=1):
        for c, value in enumerate(values, start=1):
            _text(ws, r, c, value)
    ws.sheet_state = "veryHidden"
    ws.protection.sheet = True
