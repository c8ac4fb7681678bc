"""Build fixture ledgers with xlsxwriter (another program than ours), as staff would type them.

Not collected by pytest; tests import ``write_ledger`` and ``row``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import xlsxwriter

HEADERS = (
    "编号",
    "事项类别",
    "事项内容",
    "责任单位",
    "配合单位",
    "交办日期",
    "办结时限",
    "延期至",
    "反馈周期",
    "最近反馈日期",
    "完成进度",
    "办理状态",
    "办结日期",
)
UNITS = (
    ("县交通运输局", "交通局、县交通局", "jt@example.cn"),
    ("县财政局", "财政局", "cz@example.cn"),
    ("县住房和城乡建设局", "县住建局，住建局", "zj@example.cn"),
    ("县教育局", "", "jy@example.cn"),
)
TODAY = date(2026, 10, 9)


@dataclass(frozen=True)
class Formula:
    """A formula cell with (optionally) the cached value Excel would have stored."""

    text: str
    value: object = None


def row(headers: Sequence[str] = HEADERS, **fields: object) -> list[object]:
    """Return one ledger row in ``headers`` order from fields named by header text."""
    unknown = set(fields) - set(headers)
    assert not unknown, f"not in headers: {unknown}"
    return [fields.get(h, None) for h in headers]


def good_row(n: int, **changes: object) -> list[object]:
    """Return a valid, fully filled row numbered ``n``, with some fields changed."""
    fields: dict[str, object] = {
        "编号": f"DB-2026-{n:03d}",
        "事项类别": "会议议定",
        "事项内容": f"第{n}项督办事项",
        "责任单位": "县财政局",
        "交办日期": date(2026, 3, 2),
        "办结时限": date(2026, 12, 31),
        "反馈周期": "每月10日",
        "完成进度": 0.5,
        "办理状态": "办理中",
    }
    fields.update(changes)
    return row(**fields)


def write_ledger(
    path: Path,
    rows: Sequence[Sequence[object]] = (),
    *,
    headers: Sequence[str] = HEADERS,
    title: str | None = None,
    sheet: str = "督办事项",
    units: Sequence[tuple[str, str, str]] | None = UNITS,
    settings: Sequence[tuple[object, object]] = (),
    calendar: Sequence[tuple[object, object]] = (),
    progress: Sequence[Sequence[object]] = (),
    hook: Callable[[xlsxwriter.Workbook, object, int], None] | None = None,
) -> Path:
    """Write a ledger workbook; ``hook(workbook, ledger_sheet, header_row0)`` adds merges, hiding, etc."""
    path = Path(path)
    wb = xlsxwriter.Workbook(str(path))
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(sheet)
    header_row = 0
    if title is not None:
        ws.merge_range(0, 0, 0, max(len(headers) - 1, 1), title)
        header_row = 1
    ws.write_row(header_row, 0, list(headers))
    for r, values in enumerate(rows, start=header_row + 1):
        for c, value in enumerate(values):
            _write(ws, r, c, value, date_fmt)
    if units is not None:
        us = wb.add_worksheet("责任单位")
        us.write_row(0, 0, ["单位名称", "别名", "邮箱"])
        for r, unit in enumerate(units, start=1):
            us.write_row(r, 0, unit)
    if settings:
        ss = wb.add_worksheet("参数设置")
        ss.write_row(0, 0, ["参数", "值", "说明"])
        for r, values in enumerate(settings, start=1):
            for c, value in enumerate(values):
                _write(ss, r, c, value, date_fmt)
    if calendar:
        cs = wb.add_worksheet("节假日调整")
        cs.write_row(0, 0, ["日期", "类型", "说明"])
        for r, values in enumerate(calendar, start=1):
            for c, value in enumerate(values):
                _write(cs, r, c, value, date_fmt)
    if progress:
        ps = wb.add_worksheet("进展记录")
        ps.write_row(0, 0, ["日期", "编号", "责任单位", "进展内容", "完成进度"])
        for r, values in enumerate(progress, start=1):
            for c, value in enumerate(values):
                _write(ps, r, c, value, date_fmt)
    if hook:
        hook(wb, ws, header_row)
    wb.close()
    return path


def _write(ws, r: int, c: int, value: object, date_fmt) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        ws.write_formula(
            r,
            c,
            value.text,
            date_fmt if isinstance(value.value, date) else None,
            _cached(value.value),
        )
    elif isinstance(value, datetime | date):
        ws.write_datetime(r, c, value, date_fmt)
    else:
        ws.write(r, c, value)


def _cached(value: object) -> object:
    if isinstance(value, date):
        return (date(value.year, value.month, value.day) - date(1899, 12, 30)).days
    return value
