"""Benchmark writing the computed columns back: duban's zip patcher vs openpyxl load/save.

For 10 000 and 50 000 items it generates a ledger (xlsxwriter, constant_memory), then in
one subprocess per run measures seconds and peak RSS of:

- ours:     ``safety.write_atomically`` + ``xlsxpatch.apply_plan`` with a plan that writes
            the 10 computed columns of every row (plus the five generated sheets);
- openpyxl: ``load_workbook`` -> set the same cells -> ``save``.

Usage: python bench/refresh.py [N ...]     (default: 10000 50000)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from automation import schema  # noqa: E402
from automation.models import CellWrite, GeneratedSheet, WritePlan  # noqa: E402

N_INPUT = len(schema.LEDGER_INPUT_COLUMNS)
UNITS = [
    "县发展改革局",
    "县教育局",
    "县住建局",
    "县交通运输局",
    "县卫健局",
    "县财政局",
    "县水利局",
    "县农业农村局",
]


def make_ledger(path: Path, n: int) -> Path:
    """Write an n-item ledger with the schema headers, the way a big office ledger looks."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet(schema.LEDGER)
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.write_row(0, 0, [c.header for c in schema.LEDGER_COLUMNS])
    for r in range(1, n + 1):
        ws.write_row(
            r,
            0,
            [
                f"DB-2026-{r:05d}",
                schema.CATEGORIES[r % 8],
                f"县政府常务会议纪要〔2026〕{r % 40 + 1}号",
                f"推进第{r}项重点工作，按期完成建设任务并报送进展",
                "按月报送进展",
                "张副县长",
                UNITS[r % len(UNITS)],
                "",
                "李四",
                "13800000000",
            ],
        )
        ws.write_datetime(r, 10, date(2026, 3, 1 + r % 28), date_fmt)
        ws.write_datetime(r, 11, date(2026, 9, 1 + r % 30), date_fmt)
        ws.write_row(r, 13, ["每月5日", "正在推进"])
        ws.write_datetime(r, 15, date(2026, 9, 4), date_fmt)
        ws.write_row(r, 16, [0.6, "办理中"])
        ws.write(r, 19, "王五")
    wb.close()
    return path


def make_plan(n: int, stamp: str = "2026-10-09 08:30") -> WritePlan:
    """Return the computed-column writes for every row plus the five generated sheets."""
    cells = []
    for row in range(2, n + 2):
        values = ["红", "逾期", None, row % 20, date(2026, 10, 8), 100, -40, "催办", row % 3, stamp]
        cells.extend(
            CellWrite(schema.LEDGER, row, N_INPUT + 1 + i, v) for i, v in enumerate(values)
        )
    per_unit = [["责任单位", "总数", "按期办结率"]] + [[u, n // len(UNITS), 0.5] for u in UNITS]
    overdue = [["编号", "事项内容", "办结时限"]] + [
        [f"DB-2026-{r:05d}", "推进重点工作", date(2026, 9, 30)] for r in range(1, n // 10)
    ]
    sheets = [
        GeneratedSheet(
            schema.SUMMARY,
            per_unit,
            number_formats={2: "0.0%"},
            chart=("按期办结率", 0, 2, 1, len(UNITS)),
        ),
        GeneratedSheet(
            schema.RANKING,
            [["排名", "责任单位", "得分"]] + [[i + 1, u, 100 - i] for i, u in enumerate(UNITS)],
        ),
        GeneratedSheet(schema.OVERDUE_LIST, overdue),
        GeneratedSheet(schema.DUE_SOON_LIST, [["编号", "事项内容", "办结时限"]]),
        GeneratedSheet(schema.PROBLEMS, [["工作表", "单元格", "问题", "修改建议"]]),
    ]
    return WritePlan(cells=cells, sheets=sheets)


def run_ours(path: Path, plan: WritePlan) -> None:
    """The step being measured for duban: one safe, lossless write-back."""
    from automation import safety, xlsxpatch

    fp = safety.fingerprint(path)
    safety.write_atomically(
        path, fp, lambda tmp: xlsxpatch.apply_plan(path, plan, tmp), backups_kept=10
    )


def run_openpyxl(path: Path, plan: WritePlan) -> None:
    """The obvious alternative: openpyxl load -> set the same cells -> save."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    for w in plan.cells:
        ws.cell(w.row, w.col).value = w.value
    wb.save(path)


def _child(kind: str, path: str, n: str, stamp: str) -> None:
    plan = make_plan(int(n), stamp)
    start = time.perf_counter()
    (run_ours if kind == "ours" else run_openpyxl)(Path(path), plan)
    print(f"{time.perf_counter() - start:.3f}")


def _measure(kind: str, path: Path, n: int, stamp: str = "2026-10-09 08:30") -> tuple[float, float]:
    cmd = [sys.executable, __file__, "--child", kind, str(path), str(n), stamp]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed for {n} items")
    return float(out.strip().splitlines()[-1]), usage.ru_maxrss / 1024


def main(sizes: list[int]) -> None:
    print(
        "ours = first refresh of a fresh ledger; again = the next day's refresh (cells already there)"
    )
    print(
        f"{'items':>7} {'ours s':>8} {'ours MB':>8} {'again s':>8} {'again MB':>9}"
        f" {'openpyxl s':>11} {'openpyxl MB':>12} {'speed-up':>9}"
    )
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
            master = make_ledger(Path(tmp) / "master.xlsx", n)
            ours_path, theirs_path = (
                Path(tmp) / "ours" / "台账.xlsx",
                Path(tmp) / "openpyxl" / "台账.xlsx",
            )
            for p in (ours_path, theirs_path):
                p.parent.mkdir()
                p.write_bytes(master.read_bytes())
            ours_s, ours_mb = _measure("ours", ours_path, n)
            again_s, again_mb = _measure("ours", ours_path, n, "2026-10-10 08:30")
            theirs_s, theirs_mb = _measure("openpyxl", theirs_path, n)
            size_mb = master.stat().st_size / 2**20
            print(
                f"{n:>7} {ours_s:>8.2f} {ours_mb:>8.0f} {again_s:>8.2f} {again_mb:>9.0f}"
                f" {theirs_s:>11.2f} {theirs_mb:>12.0f} {theirs_s / max(ours_s, again_s):>8.1f}x"
                f"   (ledger {size_mb:.1f} MB; speed-up against the slower of ours/again)"
            )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:6])
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
