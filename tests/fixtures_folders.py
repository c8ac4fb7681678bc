"""Fixture ledgers for 文件夹管理 (item folders, 差错, 回头看), written by xlsxwriter as staff would.

Not collected by pytest; the archive, accountability and lookback tests import ``office_ledger``
(``fixtures_office`` holds the real office ledgers of issues 13 and 14).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from fixtures_xlsx import HEADERS, row, write_ledger

OFFICE_HEADERS = (*HEADERS, "督办人")
PROGRESS_HEADERS = ("日期", "编号", "责任单位", "进展内容", "完成进度", "佐证材料", "录入人")
LOOKBACK_HEADERS = ("编号", "日期", "结论", "说明", "录入人")


def item(n: int, **fields: object) -> list[object]:
    """Return an open item of 县财政局 owned by 张三, numbered n, with fields changed."""
    values: dict[str, object] = {
        "编号": f"DB-2026-{n:03d}",
        "事项类别": "会议议定",
        "事项内容": f"第{n}项督办事项",
        "责任单位": "县财政局",
        "交办日期": date(2026, 9, 1),
        "办结时限": date(2026, 12, 31),
        "反馈周期": "无",
        "完成进度": 0.5,
        "办理状态": "办理中",
        "督办人": "张三",
    }
    values.update(fields)
    return row(OFFICE_HEADERS, **values)


def office_ledger(
    path: Path,
    rows: Sequence[Sequence[object]],
    *,
    progress: Sequence[Sequence[object]] = (),
    lookbacks: Sequence[Sequence[object]] = (),
    settings: Sequence[tuple[object, object]] = (),
) -> Path:
    """Write a ledger with 督办人, a full 进展记录 (佐证材料 too) and a 回头看记录 sheet."""

    def sheets(wb, ws, header_row) -> None:
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        for name, headers, grid in (
            ("进展记录", PROGRESS_HEADERS, progress),
            ("回头看记录", LOOKBACK_HEADERS, lookbacks),
        ):
            if not grid:
                continue
            sheet = wb.add_worksheet(name)
            sheet.write_row(0, 0, list(headers))
            for r, values in enumerate(grid, start=1):
                for c, value in enumerate(values):
                    if isinstance(value, date):
                        sheet.write_datetime(r, c, value, date_fmt)
                    elif value is not None:
                        sheet.write(r, c, value)

    # Letters go out as issued (no 送审稿 to approve first), as in an office that says so.
    settings = (("文书须审定", "否"), *settings)
    return write_ledger(path, rows, headers=OFFICE_HEADERS, settings=settings, hook=sheets)
