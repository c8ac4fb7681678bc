"""Benchmark `duban collect` on 1 000 returned feedback forms (one per unit, 3 items each).

Steps, each timed: build a 1 000-unit ledger (xlsxwriter), write the forms (`make_forms`,
openpyxl), fill every form as a unit would return it (xlsxwriter, hidden signature copied),
then collect all replies in one run (read + verify + merge + one lossless write + refresh).
Reading the replies is also timed against the obvious alternative, openpyxl
``load_workbook(read_only=True, data_only=True)`` of every reply, in the same run.

Usage: python bench/collect.py [N_FORMS]     (default: 1000)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import xlsxwriter  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402

from automation import schema  # noqa: E402
from automation.feedback.collect import collect  # noqa: E402
from automation.feedback.forms import SIGNATURE_SHEET, load_key, make_forms  # noqa: E402
from automation.feedback.replies import read_reply  # noqa: E402

ISSUED = date(2026, 10, 9)
REPLIED = date(2026, 10, 14)
COLLECTED = date(2026, 10, 16)
ITEMS_PER_UNIT = 3


def make_ledger(path: Path, units: int) -> Path:
    """Write a ledger with ``units`` units and three open items each."""
    wb = xlsxwriter.Workbook(str(path))
    datef = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(schema.LEDGER)
    headers = [
        "编号",
        "事项内容",
        "责任单位",
        "交办日期",
        "办结时限",
        "反馈周期",
        "最新进展",
        "最近反馈日期",
        "完成进度",
    ]
    ws.write_row(0, 0, headers)
    r = 0
    for u in range(units):
        for k in range(ITEMS_PER_UNIT):
            r += 1
            ws.write_row(r, 0, [f"DB-2026-{r:05d}", f"第{r}项重点工作", f"单位{u:04d}"])
            ws.write_datetime(r, 3, datetime(2026, 3, 2), datef)
            ws.write_datetime(r, 4, datetime(2026, 12, 31), datef)
            ws.write_row(r, 5, ["每月10日", f"第{k + 1}阶段进展", None, 30])
    us = wb.add_worksheet(schema.UNITS)
    us.write_row(0, 0, ["单位名称", "别名", "邮箱"])
    for u in range(units):
        us.write_row(u + 1, 0, [f"单位{u:04d}", "", f"u{u}@example.cn"])
    log = wb.add_worksheet(schema.PROGRESS_LOG)
    log.write_row(0, 0, [c.header for c in schema.PROGRESS_LOG_COLUMNS])
    wb.close()
    return path


def fill(form: Path, dest: Path) -> None:
    """Return a form filled in: 填报日期, and 本次进展/完成进度/填报人 on every item row."""
    with CalamineWorkbook.from_path(str(form)) as wb:
        grid = wb.get_sheet_by_name("反馈表").to_python(skip_empty_area=False)
        signature = wb.get_sheet_by_name(SIGNATURE_SHEET).to_python()
    out = xlsxwriter.Workbook(str(dest))
    ws = out.add_worksheet("反馈表")
    datef = out.add_format({"num_format": "yyyy-mm-dd"})
    for r, row in enumerate(grid):
        for c, value in enumerate(row):
            if value == "":
                continue
            if isinstance(value, date):
                ws.write_datetime(r, c, datetime(value.year, value.month, value.day), datef)
            elif isinstance(value, str):
                ws.write_string(r, c, value)
            else:
                ws.write(r, c, value)
        if r > 5 and row[0]:
            ws.write_string(r, 5, f"{row[0]} 已按计划推进，完成阶段任务")
            ws.write_number(r, 6, 60)
            ws.write_string(r, 10, "张三")
    ws.write_datetime(3, 1, datetime(REPLIED.year, REPLIED.month, REPLIED.day), datef)
    sig = out.add_worksheet(SIGNATURE_SHEET)
    for r, row in enumerate(signature):
        for c, value in enumerate(row):
            sig.write_string(r, c, str(value))
    sig.very_hidden()
    out.close()


def read_with_openpyxl(paths: list[Path]) -> int:
    """The obvious alternative: open every reply with openpyxl and read both sheets' values."""
    from openpyxl import load_workbook

    cells = 0
    for p in paths:
        wb = load_workbook(p, read_only=True, data_only=True)
        for name in ("反馈表", SIGNATURE_SHEET):
            cells += sum(1 for row in wb[name].iter_rows(values_only=True) for _ in row)
        wb.close()
    return cells


def main(n: int) -> None:
    with tempfile.TemporaryDirectory(prefix="duban-bench-collect-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        ledger = make_ledger(folder / "台账.xlsx", n)
        print(f"台账：{n} 个单位，{n * ITEMS_PER_UNIT} 个事项（{time.perf_counter() - t:.1f} 秒）")

        t = time.perf_counter()
        forms = make_forms(ledger, today=ISSUED).files
        print(f"生成反馈表 {len(forms)} 份：{time.perf_counter() - t:.1f} 秒")

        t = time.perf_counter()
        replies = folder / "回收"
        replies.mkdir()
        paths = []
        for form in forms:
            dest = replies / f"回执-{form.name}"
            fill(form, dest)
            paths.append(dest)
        print(f"模拟填报 {len(paths)} 份（xlsxwriter）：{time.perf_counter() - t:.1f} 秒")

        key = load_key(ledger)
        t = time.perf_counter()
        entries = sum(len(read_reply(p, key, COLLECTED, []).entries) for p in paths)
        ours = time.perf_counter() - t
        t = time.perf_counter()
        read_with_openpyxl(paths)
        theirs = time.perf_counter() - t
        print(
            f"读取并校验 {len(paths)} 份回执（{entries} 条）：{ours:.2f} 秒；openpyxl 只读打开同样文件：{theirs:.2f} 秒（{theirs / ours:.1f} 倍）"
        )

        t = time.perf_counter()
        report = collect(ledger, paths, today=COLLECTED, now=datetime(2026, 10, 16, 9, 0))
        total = time.perf_counter() - t
        m = report.merge
        print(
            f"duban collect 全程（读取、合并、写回、刷新）：{total:.1f} 秒；进展记录 +{len(m.log_rows)}，更新 {len(m.updates)} 项，问题 {len(m.problems)} 条"
        )

        t = time.perf_counter()
        again = collect(ledger, paths, today=COLLECTED)
        print(
            f"再次收集同样文件：{time.perf_counter() - t:.1f} 秒，跳过 {again.merge.duplicates} 条，台账未改动"
        )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
