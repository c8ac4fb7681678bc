"""Time building the dashboard page for 10 k items and print its size (targets: ≤ 1 s, ≤ 5 MB).

The ledger is the demo generator's (realistic text lengths, 28 units, every status). The
page build (``dashboard.build_html`` from the computed Ledger + Outcome) is compared with the
obvious alternative measured in the same run: every item as a row of one big HTML table
(pandas ``DataFrame.to_html``), which is what a page without the JSON blob would carry.
Reading and computing the workbook are printed too (the command does them first), and, when
Playwright and Chromium are installed, how long Chromium takes to open and draw the page.

Usage: python bench/dashboard.py [N ...]     (default: 10000)
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pandas

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from automation import dashboard  # noqa: E402
from automation.ledger import reader  # noqa: E402
from automation.rules import engine
from automation.workbooks.demo import build_demo  # noqa: E402

TODAY = date(2026, 11, 20)
NOW = datetime(2026, 11, 20, 8, 30)
RUNS = 5
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def best_of(runs: int, fn):
    """Return (best seconds, last result) over runs calls of fn."""
    best, result = float("inf"), None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - started)
    return best, result


def table_page(ledger, outcome) -> str:
    """The obvious alternative: one HTML table with a row per item and its computed columns."""
    frame = pandas.DataFrame(
        [
            {
                "编号": i.id,
                "事项内容": i.content,
                "事项类别": i.category,
                "责任单位": i.unit or i.unit_text,
                "牵头领导": i.leader,
                "计算状态": r.status,
                "预警": r.light,
                "逾期工作日": r.days_overdue,
                "督办等级": r.level,
            }  # fmt: skip
            for i, r in zip(ledger.items, outcome.results, strict=True)
        ]
    )
    return "<!DOCTYPE html><meta charset=utf-8>" + frame.to_html(index=False)


def open_in_chromium(page: Path) -> float | None:
    """Return seconds until Chromium has drawn the headline numbers, or None without a browser."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    if not Path(CHROMIUM).exists():
        return None
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        tab = browser.new_page(viewport={"width": 1920, "height": 1080})
        started = time.perf_counter()
        tab.goto(page.as_uri())
        tab.wait_for_function(
            "document.querySelector('[data-kpi=\"逾期\"] .kpi-value').textContent !== '–'"
        )
        seconds = time.perf_counter() - started
        browser.close()
    return seconds


def worst_case(ledger, outcome):
    """The same ledger with every item overdue and a 500-character 事项内容: the largest page."""
    items = [replace(i, content="推进重点工作" * 84) for i in ledger.items]
    results = [
        replace(r, status="逾期", light="红", days_overdue=30, level="红牌")
        for r in outcome.results
    ]
    return replace(ledger, items=items), replace(outcome, results=results)


def bench(n: int, folder: Path) -> None:
    path = build_demo(folder / f"demo-{n}", seed=2026, items=n, today=TODAY, force=True)
    read_s, ledger = best_of(1, lambda: reader.read_ledger(path, today=TODAY))
    compute_s, outcome = best_of(1, lambda: engine.compute(ledger, TODAY))
    previous_s, (label, previous) = best_of(1, lambda: dashboard.previous_ranking(ledger, TODAY))
    build_s, html = best_of(
        RUNS,
        lambda: dashboard.build_html(
            ledger, outcome, previous=previous, previous_period=label, now=NOW
        ),
    )
    table_s, table = best_of(RUNS, lambda: table_page(ledger, outcome))
    size, table_size = len(html.encode("utf-8")), len(table.encode("utf-8"))
    page = dashboard.write_html(html, folder / f"看板-{n}.html")
    browser_s = open_in_chromium(page)

    print(f"{n} 项事项（逾期 {sum(r.status == '逾期' for r in outcome.results)} 项）")
    print(f"  生成看板页面   {build_s:7.3f} 秒   {size / 1e6:6.2f} MB   （目标 ≤ 1 秒、≤ 5 MB）")
    print(f"  对照：整表 HTML {table_s:7.3f} 秒   {table_size / 1e6:6.2f} MB   "
          f"（看板用时为其 {build_s / table_s:.2f} 倍，大小为其 {size / table_size:.2f} 倍）")  # fmt: skip
    print(f"  读取台账 {read_s:.2f} 秒，计算 {compute_s:.2f} 秒，上期排名重算 {previous_s:.2f} 秒")
    if browser_s is not None:
        print(f"  Chromium 打开并画出看板 {browser_s:.2f} 秒")
    big_ledger, big_outcome = worst_case(ledger, outcome)
    worst_s, worst = best_of(RUNS, lambda: dashboard.build_html(big_ledger, big_outcome, now=NOW))
    worst_size = len(worst.encode("utf-8"))
    print(f"  最坏情况（全部逾期、事项内容 500 字） {worst_s:.3f} 秒   {worst_size / 1e6:.2f} MB")
    ok = max(build_s, worst_s) <= 1 and max(size, worst_size) <= 5e6
    print(f"  {'达标' if ok else '未达标'}")


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000]
    with tempfile.TemporaryDirectory(prefix="duban-bench-dashboard-") as tmp:
        for n in sizes:
            bench(n, Path(tmp))


if __name__ == "__main__":
    main(sys.argv[1:])
