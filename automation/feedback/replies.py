"""Read one returned feedback form as untrusted input: refuse it whole, or return its entries.

A reply is refused when it is too big, a zip bomb (declared and real inflated sizes are
checked before any parsing), not a workbook, unsigned, signed for another ledger or
tampered with. Entries are found by header name (renamed files, reordered or deleted
columns, added rows are fine) and every value is kept as data, never as a formula.
"""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from python_calamine import CalamineError, CalamineWorkbook

from automation.feedback.forms import (
    EDIT_COLUMNS,
    FORM_COLUMNS,
    FORM_SHEET,
    FORMAT,
    REPORT_DATE_LABEL,
    SIGNATURE_SHEET,
    Baseline,
    FormKey,
    Signature,
)
from automation.ledger.normalize import clean, header_key, parse_date, parse_progress
from automation.models import Problem
from automation.xlsx.cellxml import column_letters as get_column_letter

MAX_FILE_BYTES = 5 * 1024 * 1024  # a form of a few hundred items is well under 1 MB
MAX_UNZIPPED_BYTES = 20 * 1024 * 1024
MAX_RATIO = 500  # sheet XML compresses 10-30x (very repetitive: ~100x); deflate tops out near 1000x
MAX_MEMBERS = 500
MAX_ROWS = 5000
MAX_TEXT = 32767  # Excel's limit for one cell
HEADER_SCAN = 20
CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Entry:
    """One filled row of a reply."""

    where: tuple[str, str]  # (file name, cell) for messages
    item_id: str
    day: date
    unit: str
    text: str
    progress: float | None = None
    done_on: date | None = None
    claims_done: bool = False
    evidence: str = ""
    reporter: str = ""


@dataclass
class Reply:
    """One verified reply: its signature and its entries."""

    path: Path
    signature: Signature
    entries: list[Entry]


class ReplyRefused(Exception):
    """A reply refused whole: message and fix in Chinese."""

    def __init__(self, message: str, fix: str):
        super().__init__(message)
        self.message, self.fix = message, fix


# --- reading -------------------------------------------------------------------------


def check_package(path: Path) -> None:
    """Refuse a file that is too big, not a workbook, or a zip that inflates too much."""
    try:
        size = path.stat().st_size
        with path.open("rb") as f:
            head = f.read(8)
    except OSError as e:
        raise ReplyRefused(
            f"无法读取文件（{e.strerror or e}）", "请检查文件是否存在、是否可读"
        ) from e
    if size > MAX_FILE_BYTES:
        raise ReplyRefused(
            f"文件过大（{size / 1048576:.1f} MB，上限 {MAX_FILE_BYTES // 1048576} MB）",
            "反馈表不应这么大，请单位删去多余内容后重新报送",
        )
    if head == CFB_MAGIC:
        return  # an .xls saved by WPS/Excel: bounded by the size check, read by calamine
    if not head.startswith(b"PK"):
        raise ReplyRefused("不是 Excel 工作簿", "请单位用 Excel 或 WPS 保存为 .xlsx 后重新报送")
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            if len(infos) > MAX_MEMBERS:
                raise ReplyRefused(
                    f"工作簿内部部件过多（{len(infos)} 个）",
                    "文件异常，已拒收；请单位重新报送原反馈表",
                )
            declared = sum(i.file_size for i in infos)
            worst = max(
                (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > 1 << 20),
                default=0,
            )
            if declared > MAX_UNZIPPED_BYTES or worst > MAX_RATIO:
                raise ReplyRefused(
                    "文件解压后异常巨大（疑似压缩炸弹）", "已拒收；请单位重新报送原反馈表"
                )
            for info in infos:  # inflate for real: the declared sizes could lie
                with z.open(info) as member:
                    while member.read(1 << 16):
                        pass
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        OSError,
        EOFError,
        ValueError,
        NotImplementedError,
    ) as e:
        raise ReplyRefused(
            f"文件已损坏，无法按 Excel 工作簿打开（{e}）", "请单位用 Excel 或 WPS 重新保存后报送"
        ) from e


def read_reply(path: Path, key: FormKey | None, today: date, problems: list[Problem]) -> Reply:
    """Read and verify one returned form; refuse it whole, or return its entries (row problems appended)."""
    check_package(path)
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except (CalamineError, OSError, ValueError) as e:
        raise ReplyRefused(f"无法打开工作簿（{e}）", "请单位用 Excel 或 WPS 重新保存后报送") from e
    with wb:
        names = [m.name for m in wb.sheets_metadata]
        if SIGNATURE_SHEET not in names:
            raise ReplyRefused(
                "不是本系统生成的反馈表（缺少隐藏的签名页）", "请使用 duban forms 生成的反馈表填报"
            )
        signature = _signature(_grid(wb, SIGNATURE_SHEET))
        if key is None or signature.ledger_id != key.ledger_id:
            raise ReplyRefused(
                "该反馈表不是由本台账生成的（台账标识不符）", "请确认交回的是本台账发出的反馈表"
            )
        if not signature.verify(key.secret):
            raise ReplyRefused(
                "反馈表签名校验失败，隐藏的签名页被改动过", "已拒收；请重新发放反馈表由单位重新填报"
            )
        sheet = (
            FORM_SHEET if FORM_SHEET in names else next(n for n in names if n != SIGNATURE_SHEET)
        )
        grid = _grid(wb, sheet)
    return Reply(path, signature, _entries(path.name, grid, signature, today, problems))


def _grid(wb: CalamineWorkbook, name: str) -> Sequence[Sequence[object]]:
    sheet = wb.get_sheet_by_name(name)
    if max(sheet.height, sheet.total_height) > MAX_ROWS:
        raise ReplyRefused(
            f"工作表“{name}”行数过多（超过 {MAX_ROWS} 行）",
            "反馈表不应这么大，请单位删去多余内容后重新报送",
        )
    return sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS)


def _signature(grid: Sequence[Sequence[object]]) -> Signature:
    cells = [[plain(v) for v in row] + ["", "", "", ""] for row in grid]
    try:
        if cells[0][0] != FORMAT:
            raise ValueError
        fields = {row[0]: row[1] for row in cells[1:7]}
        count = int(fields["items"])
        items = tuple(Baseline(*row[:4]) for row in cells[7 : 7 + count])
        if len(items) != count:
            raise ValueError
        return Signature(
            fields["ledger"], fields["unit"], fields["issued"], fields["form"], items, fields["mac"]
        )
    except (IndexError, KeyError, ValueError) as e:
        raise ReplyRefused(
            "反馈表的签名页内容不完整或被改动", "已拒收；请重新发放反馈表由单位重新填报"
        ) from e


def plain(value: object) -> str:
    """Return a cell as text without NFKC: replies keep their own punctuation."""
    if isinstance(value, str):
        return value.strip()
    return clean(value)


def _entries(
    name: str,
    grid: Sequence[Sequence[object]],
    signature: Signature,
    today: date,
    problems: list[Problem],
) -> list[Entry]:
    header_row, columns = _header(grid)
    if header_row is None:
        raise ReplyRefused(
            "找不到含“编号”和“本次进展”两列的表头",
            "请勿删除或改名这两列；请单位在原反馈表上填写后重新报送",
        )
    day = _report_date(name, grid[:header_row], signature, today)
    signed = {b.item_id for b in signature.items}
    entries = []
    for r in range(header_row + 1, len(grid)):
        row = grid[r]
        values = {k: row[c] if c < len(row) else "" for k, c in columns.items()}
        if all(plain(values.get(k, "")) == "" for k, _, _ in EDIT_COLUMNS):
            continue
        excel_row = r + 1

        def reject(key: str, message: str, fix: str, excel_row: int = excel_row) -> None:
            col = columns.get(key, columns["id"])
            problems.append(Problem(name, f"{_col(col)}{excel_row}", message, fix))

        item_id = clean(values["id"])
        if not item_id:
            reject(
                "id", "该行填写了进展但没有编号，未采用", "请填写对应事项的编号，或在原事项行内填写"
            )
            continue
        if item_id not in signed:
            reject(
                "id",
                f"编号“{item_id}”不在发给“{signature.unit}”的反馈表中，未采用",
                "请核对编号；新增事项请与督查室联系",
            )
            continue
        entry = _entry(
            values,
            (name, f"{_col(columns['id'])}{excel_row}"),
            item_id,
            day,
            signature.unit,
            today,
            reject,
        )
        if entry is not None:
            entries.append(entry)
    return entries


def _header(grid: Sequence[Sequence[object]]) -> tuple[int | None, dict[str, int]]:
    """Find the form's header row by name: (0-based row, key -> 0-based column)."""
    by_header = {header_key(h): k for k, h, _ in FORM_COLUMNS}
    for r, row in enumerate(grid[:HEADER_SCAN]):
        found = {
            by_header[header_key(v)]: c for c, v in enumerate(row) if header_key(v) in by_header
        }
        if {"id", "text"} <= set(found):
            return r, found
    return None, {}


def _col(index0: int) -> str:
    return get_column_letter(index0 + 1)


def _report_date(name: str, top, signature: Signature, today: date) -> date:
    for row in top:
        for c, value in enumerate(row):
            if header_key(value) == REPORT_DATE_LABEL:
                raw = next((v for v in row[c + 1 :] if plain(v)), "")
                if not plain(raw):
                    break
                try:
                    day = parse_date(raw, today=today)
                except ValueError as e:
                    raise ReplyRefused(
                        f"填报日期“{plain(raw)}”不是有效日期：{e}",
                        "请在反馈表“填报日期”处填写如 2026-03-05 的日期后重新收集",
                    ) from e
                if day > today:
                    raise ReplyRefused(f"填报日期 {day} 晚于今天", "请核对填报日期后重新收集")
                if day.isoformat() < signature.issued:
                    raise ReplyRefused(
                        f"填报日期 {day} 早于反馈表发出日期 {signature.issued}",
                        "请核对填报日期后重新收集",
                    )
                return day
    raise ReplyRefused(
        "未填写填报日期", "请在反馈表上方“填报日期”处填写本次填报的日期（如 2026-03-05）后重新收集"
    )


def _entry(values, where, item_id: str, day: date, unit: str, today: date, reject) -> Entry | None:
    text = plain(values.get("text", ""))
    if not text:
        reject("text", f"事项 {item_id} 未填写本次进展，未采用", "请填写本次进展情况")
        return None
    if len(text) > MAX_TEXT:
        reject("text", f"事项 {item_id} 的本次进展超过 {MAX_TEXT} 字，未采用", "请精简后重新报送")
        return None
    progress = None
    raw = values.get("progress", "")
    if plain(raw):
        try:
            progress = (
                float(raw)
                if isinstance(raw, int | float) and not isinstance(raw, bool)
                else parse_progress(raw)
            )
            if not 0 <= progress <= 100:
                raise ValueError("应在 0–100 之间")
        except ValueError as e:
            reject(
                "progress",
                f"事项 {item_id} 的完成进度“{plain(raw)}”无效：{e}，未采用",
                "请填写 0–100 的整数，如 80",
            )
            return None
    done_text = plain(values.get("done", ""))
    if done_text not in ("", "是", "否"):
        reject(
            "done", f"事项 {item_id} 的是否办结“{done_text}”无法识别，未采用", "请填写“是”或“否”"
        )
        return None
    done_on = None
    if plain(values.get("done_on", "")):
        try:
            done_on = parse_date(values["done_on"], today=today)
        except ValueError as e:
            reject(
                "done_on",
                f"事项 {item_id} 的办结日期“{plain(values['done_on'])}”无效：{e}，未采用",
                "请填写如 2026-03-05 的日期",
            )
            return None
        if done_on > today:
            reject(
                "done_on", f"事项 {item_id} 的办结日期 {done_on} 晚于今天，未采用", "请核对办结日期"
            )
            return None
    claims_done = done_text == "是"
    if claims_done and progress is None:
        progress = 100.0
    reporter = " ".join(
        filter(None, (plain(values.get("reporter", "")), plain(values.get("phone", ""))))
    )
    return Entry(
        where,
        item_id,
        day,
        unit,
        text,
        progress,
        done_on,
        claims_done,
        plain(values.get("evidence", "")),
        reporter,
    )
