"""Benchmark the refresh: duban's whole refresh vs openpyxl load -> set cells -> save.

For 10 000 and 50 000 items it generates a ledger (xlsxwriter, constant_memory), then in
one subprocess per run measures seconds and peak RSS of:

- refresh:   the whole ``refresh.refresh``: read (calamine), validate, compute, build the
             plan, back up, write losslessly (zip patch), record history, write the dashboard;
- writeback: only the step openpyxl stands in for: ``safety.write_atomically`` +
             ``xlsxpatch.apply_plan`` with the 10 computed columns of every row;
- openpyxl:  ``load_workbook`` -> set the same 10 computed columns of every row -> ``save``.

Usage: python bench/refresh.py [N ...]     (default: 10000 50000)
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
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
        # Deadlines spread from June 2026 to March 2027 and 40 % done: about a quarter overdue on
        # the measured day, as in a real ledger (not every row in the overdue list).
        deadline = date(2026, 6, 1) + timedelta(days=(r * 37) % 300)
        done = r % 10 < 4
        ws.write_datetime(r, 10, date(2026, 3, 1 + r % 28), date_fmt)
        ws.write_datetime(r, 11, deadline, date_fmt)
        ws.write_row(r, 13, ["每月5日", "正在推进"])
        ws.write_datetime(r, 15, date(2026, 9, 4), date_fmt)
        ws.write_row(r, 16, [1 if done else 0.6, "已办结" if done else "办理中"])
        if done:
            ws.write_datetime(
                r, 18, min(deadline, date(2026, 9, 30)) - timedelta(days=r % 5), date_fmt
            )
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


def run_writeback(path: Path, plan: WritePlan) -> None:
    """Our write-back alone: one safe, lossless write of the same cells openpyxl sets."""
    from automation.xlsx import safety, xlsxpatch

    fp = safety.fingerprint(path)
    safety.write_atomically(
        path, fp, lambda tmp: xlsxpatch.apply_plan(path, plan, tmp), backups_kept=10
    )


def run_refresh(path: Path, stamp: str) -> None:
    """The step being measured for duban: one whole refresh, as `duban refresh` runs it."""
    from automation.refresh import refresh

    now = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    refresh(path, today=now.date(), now=now, progress=False)


def run_openpyxl(path: Path, plan: WritePlan) -> None:
    """The obvious alternative: openpyxl load -> set the same cells -> save."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    for w in plan.cells:
        ws.cell(w.row, w.col).value = w.value
    wb.save(path)


def _child(kind: str, path: str, n: str, stamp: str) -> None:
    plan = make_plan(int(n), stamp) if kind != "refresh" else None
    start = time.perf_counter()
    if kind == "refresh":
        run_refresh(Path(path), stamp)
    elif kind == "writeback":
        run_writeback(Path(path), plan)
    else:
        run_openpyxl(Path(path), plan)
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
        "each run in its own process; 'again' = the next day's run over the cells written the day before"
    )
    print(f"{'items':>7} {'run':<22} {'seconds':>8} {'peak MB':>8} {'openpyxl ÷ this':>16}")
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
            master = make_ledger(Path(tmp) / "master.xlsx", n)
            paths = {}
            for kind in ("refresh", "writeback", "openpyxl"):
                paths[kind] = Path(tmp) / kind / "台账.xlsx"
                paths[kind].parent.mkdir()
                paths[kind].write_bytes(master.read_bytes())
            theirs = _measure("openpyxl", paths["openpyxl"], n)
            rows = [
                ("duban refresh (whole)", _measure("refresh", paths["refresh"], n)),
                (
                    "duban refresh, again",
                    _measure("refresh", paths["refresh"], n, "2026-10-10 08:30"),
                ),
                ("duban write-back only", _measure("writeback", paths["writeback"], n)),
                (
                    "write-back, again",
                    _measure("writeback", paths["writeback"], n, "2026-10-10 08:30"),
                ),
                ("openpyxl load/set/save", theirs),
            ]
            for label, (seconds, mb) in rows:
                print(
                    f"{n:>7} {label:<22} {seconds:>8.2f} {mb:>8.0f} {theirs[0] / seconds:>15.1f}x"
                )
            print(f"{'':>7} (ledger {master.stat().st_size / 2**20:.1f} MB)")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:6])
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 50_000])
