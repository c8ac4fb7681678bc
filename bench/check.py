"""Time `duban check`'s work (read + validate + compute) on 10 k and 50 k generated items.

Prints seconds and the ratio to pandas.read_excel(engine="openpyxl") reading the same file,
which only loads the cells: the obvious alternative to beat.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pandas
import xlsxwriter

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automation import schema  # noqa: E402
from automation.check import check_ledger  # noqa: E402

TODAY = date(2026, 10, 9)
SIZES = (10_000, 50_000)
UNITS = [f"县第{n}局" for n in range(1, 41)]
CADENCES = ("每月10日", "每周五", "每季度", "每月10日、25日", "无", "每两周")
STATUSES = ("办理中",) * 6 + ("已办结", "申请延期", "暂缓")


def generate(path: Path, n: int, seed: int = 2026) -> Path:
    """Write a ledger of ``n`` items in the forms staff type (mixed date forms, some bad cells)."""
    rng = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws = wb.add_worksheet(schema.LEDGER)
    ws.merge_range(0, 0, 0, 13, "XX县2026年督查事项台账")
    headers = [
        "编号",
        "事项类别",
        "事项内容",
        "责任单位",
        "配合单位",
        "交办日期",
        "办结时限",
        "反馈周期",
        "最近反馈日期",
        "完成进度",
        "办理状态",
        "办结日期",
        "督办人",
        "备注",
    ]
    ws.write_row(1, 0, headers)
    for i in range(n):
        r = i + 2
        assigned = date(2026, 1, 1) + timedelta(days=rng.randrange(250))
        deadline = assigned + timedelta(days=rng.randrange(20, 300))
        status = rng.choice(STATUSES)
        ws.write(r, 0, f"DB-2026-{i + 1:05d}" if rng.random() > 0.01 else "")
        ws.write(r, 1, rng.choice(schema.CATEGORIES))
        ws.write(r, 2, f"第{i + 1}项：推进重点项目建设并按期报送进展")
        ws.write(r, 3, rng.choice(UNITS) + (" " if rng.random() < 0.05 else ""))
        ws.write(r, 4, "、".join(rng.sample(UNITS, rng.randrange(3))))
        ws.write_datetime(r, 5, assigned, date_fmt)
        form = rng.random()
        if form < 0.6:
            ws.write_datetime(r, 6, deadline, date_fmt)
        elif form < 0.8:
            ws.write(r, 6, f"{deadline.year}年{deadline.month}月{deadline.day}日")
        elif form < 0.95:
            ws.write(r, 6, f"{deadline.year}.{deadline.month}.{deadline.day}")
        else:
            ws.write(r, 6, "长期")
        ws.write(r, 7, rng.choice(CADENCES))
        if rng.random() < 0.7:
            ws.write_datetime(r, 8, assigned + timedelta(days=rng.randrange(1, 200)), date_fmt)
        ws.write(r, 9, rng.choice((0.3, 0.5, "80%", 60, 100)))
        ws.write(r, 10, status)
        if status == "已办结":
            ws.write_datetime(r, 11, min(deadline, TODAY), date_fmt)
        ws.write(r, 12, rng.choice(("张三", "李四", "王五")))
    units = wb.add_worksheet(schema.UNITS)
    units.write_row(0, 0, ["单位名称", "别名", "邮箱"])
    for r, name in enumerate(UNITS, start=1):
        units.write_row(r, 0, [name, name[1:], f"u{r}@example.cn"])
    wb.close()
    return path


def best_of(runs: int, fn) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        print(
            f"{'事项数':>8} {'duban check（读取+校验+计算）':>26} {'pandas+openpyxl（仅读取）':>24} {'比值':>8}"
        )
        print("（比值 = pandas 用时 ÷ duban 用时；pandas 只读取单元格，不校验也不计算）")
        for n in SIZES:
            path = generate(Path(tmp) / f"ledger-{n}.xlsx", n)
            result = check_ledger(path, today=TODAY)
            assert len(result.ledger.items) == n, len(result.ledger.items)
            ours = best_of(2, lambda p=path: check_ledger(p, today=TODAY))
            theirs = best_of(
                1,
                lambda p=path: pandas.read_excel(
                    p, sheet_name=schema.LEDGER, header=1, engine="openpyxl"
                ),
            )
            print(f"{n:>8} {ours:>24.2f} s {theirs:>22.2f} s {theirs / ours:>7.1f}x")
            print(f"         （{len(result.problems)} 个校验问题，状态：{result.status_counts}）")


if __name__ == "__main__":
    main()
