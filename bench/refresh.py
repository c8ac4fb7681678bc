"""Benchmark the refresh (issue 19): big generated ledgers, and a realistic office ledger end to end.

Big ledgers (10 000, 50 000 and 200 000 items, written by xlsxwriter as a big office
ledger looks): each run in its own process, measuring wall seconds and peak RSS of

- duban refresh, first run: the whole ``refresh.refresh`` on a ledger never refreshed
  (read, validate, compute, plan, back up, write losslessly, record history, dashboard);
- duban refresh, next day:   the same ledger the next morning (history, staff-edit check,
  the cells written the day before);
- openpyxl load/set/save:    the obvious alternative: ``load_workbook`` -> set the 11
  computed columns of every row -> ``save``, measured in the same run for the ratio.

The office ledger (the demo generator's: 3 000 items, every sheet of the template, a year
of 进展记录, refreshed with letters the day before) is timed as staff meet it, process start
to exit: ``duban refresh``, the 刷新台账 button through its live writer (xlwings' remote
engine, as tests/test_button.py drives it: the book as Excel holds it comes in as JSON, the
plan goes out as actions), ``duban check``, ``duban notify`` (dry run) and
``duban dashboard``; the median of several runs, each on a fresh copy.

Usage: python bench/refresh.py [--sizes 10000,50000,200000] [--runs N] [--no-office]
       [--office-only] [--openpyxl-up-to N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from automation import schema  # noqa: E402

SIZES = (10_000, 50_000, 200_000)
FIRST, NEXT_DAY = "2026-10-09 08:30", "2026-10-10 08:30"
OFFICE_ITEMS = 3_000
OFFICE_TODAY = date(2026, 11, 20)
# Targets of issue 19 on these 2-core machines, printed beside the figures.
TARGET_SECONDS = {10_000: None, 50_000: 3.0, 200_000: 12.0}
TARGET_MB = {10_000: None, 50_000: 300, 200_000: 1024}
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


# --- the generated ledgers -------------------------------------------------------------------


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
                f"DB-2026-{r:06d}",
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


def computed_row(row: int, stamp: str) -> list[object]:
    """Return 11 values such as a refresh writes into one row's computed columns."""
    return ["红", date(2026, 9, 30), "逾期", None, row % 20, date(2026, 10, 8), 100, -40, "催办",
            row % 3, stamp]  # fmt: skip


def run_openpyxl(path: Path, n: int, stamp: str) -> None:
    """The obvious alternative: openpyxl load -> set the computed columns of every row -> save."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    ws = wb[schema.LEDGER]
    first = len(schema.LEDGER_INPUT_COLUMNS) + 1
    for row in range(2, n + 2):
        for i, value in enumerate(computed_row(row, stamp)):
            ws.cell(row, first + i).value = value
    wb.save(path)


def run_refresh(path: Path, stamp: str) -> None:
    """One whole refresh, as `duban refresh` runs it (the library twin, without the CLI)."""
    from automation.refresh import refresh

    now = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    refresh(path, today=now.date(), now=now, progress=False)


def _child(kind: str, path: str, n: str, stamp: str) -> None:
    if kind == "refresh":
        run_refresh(Path(path), stamp)
    elif kind == "openpyxl":
        run_openpyxl(Path(path), int(n), stamp)
    elif kind == "button":
        run_button(Path(path), Path(n), stamp)


# --- measuring one process -------------------------------------------------------------------


# Processes run as on an office PC, where pip compiled duban's bytecode at install: a
# PYTHONDONTWRITEBYTECODE inherited from a CI or sandbox shell would make every run compile
# every module again and time that instead.
RUN_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, float]:
    """Run a command to its exit; return (wall seconds, peak RSS in MB) from its own accounting."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, env=env or RUN_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):  # 1: duban check found problems, as on any real ledger
        raise SystemExit(f"failed (exit {code}): {' '.join(cmd)}")
    return seconds, usage.ru_maxrss / 1024


def child(kind: str, path: Path, n: int | str, stamp: str) -> list[str]:
    return [sys.executable, __file__, "--child", kind, str(path), str(n), stamp]


def median_of(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(s for s, _ in runs), max(mb for _, mb in runs)


# --- the big ledgers -------------------------------------------------------------------------


def bench_size(n: int, runs: int, with_openpyxl: bool, tmp: Path) -> None:
    master = make_ledger(tmp / f"master-{n}.xlsx", n)
    rows: list[tuple[str, tuple[float, float]]] = []
    first, again = [], []
    for _ in range(runs):
        folder = tmp / f"refresh-{n}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        ledger = folder / "台账.xlsx"
        shutil.copyfile(master, ledger)
        first.append(measure(child("refresh", ledger, n, FIRST)))
        again.append(measure(child("refresh", ledger, n, NEXT_DAY)))
    rows.append(("duban refresh, first run", median_of(first)))
    rows.append(("duban refresh, next day", median_of(again)))
    theirs = None
    if with_openpyxl:
        copy = tmp / f"openpyxl-{n}.xlsx"
        shutil.copyfile(master, copy)
        theirs = measure(child("openpyxl", copy, n, FIRST))
        rows.append(("openpyxl load/set/save", theirs))
    for label, (seconds, mb) in rows:
        ratio = f"{theirs[0] / seconds:15.1f}x" if theirs else f"{'—':>16}"
        print(f"{n:>7} {label:<26} {seconds:>8.2f} {mb:>8.0f} {ratio}", flush=True)
    target_s, target_mb = TARGET_SECONDS.get(n), TARGET_MB.get(n)
    note = f"target ≤ {target_s:g} s, ≤ {target_mb} MB; " if target_s else ""
    print(f"{'':>7} ({note}ledger {master.stat().st_size / 2**20:.1f} MB)", flush=True)
    master.unlink()


# --- the office ledger -----------------------------------------------------------------------


def make_office(folder: Path) -> Path:
    """Build the 3 000-item demo ledger and refresh it with letters the day before (untimed)."""
    from automation.letters.issue import LetterRequest
    from automation.refresh import refresh
    from automation.workbooks.demo import build_demo

    yesterday = OFFICE_TODAY - timedelta(days=1)
    path = build_demo(folder, seed=2026, items=OFFICE_ITEMS, today=yesterday, force=True)
    refresh(
        path,
        today=yesterday,
        now=datetime.combine(yesterday, datetime.min.time()),
        progress=False,
        letters=LetterRequest(),
    )
    return path


def describe_office(path: Path) -> str:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    log = wb.get_sheet_by_name(schema.PROGRESS_LOG).to_python()[1:]
    days = [r[0] for r in log if isinstance(r[0], date)]
    return (
        f"{OFFICE_ITEMS} items, {len(wb.sheet_names)} sheets, {len(log)} rows of 进展记录 "
        f"({min(days)} to {max(days)}), {path.stat().st_size / 2**20:.1f} MB"
    )


def payload_file(path: Path, out: Path) -> Path:
    """Write the JSON an xlwings client sends for the workbook (the book as Excel holds it)."""
    os.environ.setdefault("XLWINGS_LICENSE_KEY", "noncommercial")
    from test_button import payload_from

    out.write_text(json.dumps(payload_from(path), ensure_ascii=False), encoding="utf-8")
    return out


def run_button(ledger: Path, payload: Path, stamp: str) -> None:
    """What the 刷新台账 button runs, with xlwings' remote engine standing in for Excel."""
    import xlwings as xw

    from automation import button
    from automation.letters.issue import LetterRequest

    now = datetime.strptime(stamp, "%Y-%m-%d %H:%M")
    book = xw.Book(json=json.loads(payload.read_text(encoding="utf-8")))
    with tempfile.TemporaryDirectory() as tmp:
        snapshot = Path(shutil.copy(ledger, Path(tmp) / ledger.name))  # Excel's SaveCopyAs
        button.refresh_book(
            book, snapshot, ledger_path=ledger, today=now.date(), now=now, letters=LetterRequest()
        )
    json.dumps(book.json())  # the actions sent back to Excel


def bench_office(runs: int, tmp: Path) -> None:
    prepared = make_office(tmp / "office-prepared")
    print(f"office ledger: {describe_office(prepared)}", flush=True)
    payload = payload_file(prepared, tmp / "payload.json")
    duban = Path(sys.executable).with_name("duban")
    cli = [str(duban)] if duban.exists() else [sys.executable, "-m", "automation"]
    today = ["--today", OFFICE_TODAY.isoformat()]
    stamp = f"{OFFICE_TODAY.isoformat()} 08:30"
    env = {**RUN_ENV, "XLWINGS_LICENSE_KEY": "noncommercial"}
    work = tmp / "office"
    ledger = work / prepared.name

    def fresh() -> None:
        shutil.rmtree(work, ignore_errors=True)
        shutil.copytree(prepared.parent, work)

    commands = [
        ("duban refresh", lambda: cli + ["refresh", str(ledger), *today], 0.6),
        ("button (live writer)", lambda: child("button", ledger, payload, stamp), 0.6),
        ("duban check", lambda: cli + ["check", str(ledger), *today], 0.5),
        ("duban notify (dry run)", lambda: cli + ["notify", str(ledger), *today], 0.5),
        ("duban dashboard", lambda: cli + ["dashboard", str(ledger), *today], 0.5),
    ]
    print(f"{'office run (process start to exit)':<36} {'seconds':>8} {'peak MB':>8}  target")
    for label, cmd, target in commands:
        results = []
        for i in range(runs + 1):  # the first run warms the file and bytecode caches, not counted
            fresh()
            result = measure(cmd(), env)
            if i:
                results.append(result)
        seconds, mb = median_of(results)
        print(f"{label:<36} {seconds:>8.2f} {mb:>8.0f}  ≤ {target} s", flush=True)


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--runs", type=int, default=1, help="runs per big ledger (median)")
    parser.add_argument("--office-runs", type=int, default=5)
    parser.add_argument("--no-office", action="store_true")
    parser.add_argument("--office-only", action="store_true")
    parser.add_argument("--openpyxl-up-to", type=int, default=max(SIZES))
    args = parser.parse_args(argv)
    sizes = [] if args.office_only else [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="duban-bench-") as tmp:
        if sizes:
            print("each run in its own process; next day = the following morning's refresh")
            print(f"{'items':>7} {'run':<26} {'seconds':>8} {'peak MB':>8} {'openpyxl ÷ this':>16}")
        for n in sizes:
            bench_size(n, args.runs, n <= args.openpyxl_up_to, Path(tmp))
        if not args.no_office:
            bench_office(args.office_runs, Path(tmp))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        _child(*sys.argv[2:6])
    else:
        main(sys.argv[1:])
