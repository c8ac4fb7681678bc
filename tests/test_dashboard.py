"""The dashboard page: pure parts by hand, then the real page in headless Chromium (Playwright)."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from fixtures_xlsx import TODAY, row, write_ledger

from automation import dashboard, schema
from automation.cli import cli
from automation.evaluate import evaluate
from automation.history import History
from automation.ledger import reader
from automation.models import Item, ItemResult, Ledger, Outcome, UnitScore
from automation.refresh import refresh
from automation.rules import engine
from automation.workbooks.demo import build_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
XSS = "<img src=x onerror=alert(1)>"
NOW = datetime(2026, 10, 9, 8, 30)
HEADERS = ("编号", "事项类别", "事项内容", "牵头领导", "责任单位", "交办日期", "办结时限",
           "反馈周期", "最近反馈日期", "完成进度", "办理状态", "办结日期")  # fmt: skip


def small_ledger(path: Path) -> Path:
    """Seven items whose headline numbers are known by hand as of TODAY (2026-10-09)."""

    def r(n, category, content, leader, unit, deadline, **more):
        fields = {"编号": f"DB-2026-{n:03d}", "事项类别": category, "事项内容": content, "牵头领导": leader,
                  "责任单位": unit, "交办日期": date(2026, 3, 2), "办结时限": deadline, "反馈周期": "无",
                  "完成进度": 0.9, "办理状态": "办理中"}  # fmt: skip
        fields.update(more)
        return row(HEADERS, **fields)

    rows = [
        # 逾期 2 working days (10-08, 10-09; docs/rules.md §5's example).
        r(1, "会议议定", XSS, "张副县长", "县财政局", date(2026, 9, 30)),
        # 逾期 longer: the top of the overdue list.
        r(2, "民生实事", "新建城区公厕8座", "李副县长", "县交通运输局", date(2026, 9, 15)),
        # 临期: 2 working days left (10-12, 10-13).
        r(3, "会议议定", "老旧小区改造", "张副县长", "县教育局", date(2026, 10, 13)),
        # 已办结 this month, on time.
        r(
            4,
            "民生实事",
            "学校食堂改造",
            "李副县长",
            "县教育局",
            date(2026, 12, 31),
            办理状态="已办结",
            办结日期=date(2026, 10, 9),
            完成进度=1,
        ),
        # 逾期办结 last month.
        r(
            5,
            "会议议定",
            "道路修补",
            "张副县长",
            "县交通运输局",
            date(2026, 8, 31),
            办理状态="已办结",
            办结日期=date(2026, 9, 10),
            完成进度=1,
        ),
        # 正常推进.
        r(6, "政府工作报告", "产业园招商", "王副县长", "县财政局", date(2026, 12, 31)),
        # 反馈逾期 (docs/rules.md §7.7's example: next node 10-08 not covered).
        r(
            7,
            "政府工作报告",
            "乡村振兴示范村",
            "王副县长",
            "县财政局",
            date(2026, 12, 31),
            反馈周期="每月5日",
            最近反馈日期=date(2026, 9, 4),
        ),
    ]
    return write_ledger(path, rows, headers=HEADERS)


# --- pure parts ---------------------------------------------------------------------------


def test_json_for_script_leaves_no_markup_and_round_trips():
    data = {"text": "</script><!--<script>alert(1)</script>", "amp": "A&B", "zh": "县财政局"}
    text = dashboard.json_for_script(data)
    assert "<" not in text and ">" not in text and "&" not in text
    assert "县财政局" in text  # ensure_ascii=False: Chinese stays readable and small
    assert json.loads(text) == data


def test_movement_counts_places_up_and_marks_new_units():
    now = [UnitScore("甲", "p", 99, 1), UnitScore("乙", "p", 98, 2), UnitScore("丙", "p", 90, 3)]
    before = [UnitScore("乙", "q", 100, 1), UnitScore("甲", "q", 95, 3)]
    assert dashboard.movement(now, before) == {"甲": 2, "乙": -1, "丙": None}


def test_trend_axis_uses_whole_round_steps():
    tops = {
        n: [g["label"] for g in dashboard.trend_chart([], date(2026, 11, 20), n)["grid"]][-1]
        for n in (0, 3, 7, 34, 1217)
    }
    assert tops == {0: 4, 3: 4, 7: 8, 34: 40, 1217: 1600}


def test_trend_chart_scales_to_a_multiple_of_four_and_ends_at_today():
    today = date(2026, 11, 20)
    chart = dashboard.trend_chart([(date(2026, 8, 23), 5), (date(2026, 1, 1), 99)], today, 7)
    # 8-23 is the first of the 90 days; 2026-01-01 is outside the window and ignored.
    assert chart["points"] == 2 and chart["max"] == 7 and chart["latest"] == 7
    assert [g["label"] for g in chart["grid"]] == [0, 2, 4, 6, 8]
    # x: 40 + 550 * days/89; y: 10 + 116 * (1 - n/8).
    assert chart["line"] == "40.0,53.5 590.0,24.5"
    assert [t["label"] for t in chart["ticks"]] == ["8/23", "10/6", "11/20"]


def test_as_of_drops_later_items_and_undoes_later_completions():
    ledger = Ledger(
        items=[
            Item(
                row=2,
                id="A",
                assigned_on=date(2026, 6, 1),
                done_on=date(2026, 10, 2),
                typed_status="已办结",
            ),
            Item(row=3, id="B", assigned_on=date(2026, 10, 5)),
            Item(
                row=4,
                id="C",
                assigned_on=date(2026, 6, 1),
                done_on=date(2026, 9, 1),
                typed_status="已办结",
            ),
        ]
    )
    past = dashboard.as_of(ledger, date(2026, 9, 30))
    assert [(i.id, i.done_on, i.typed_status) for i in past.items] == [
        ("A", None, "办理中"),
        ("C", date(2026, 9, 1), "已办结"),
    ]
    assert ledger.items[0].done_on == date(2026, 10, 2)  # the ledger itself is untouched


def test_long_content_is_cut_to_one_line_in_the_page_data():
    ledger = Ledger(items=[Item(row=2, id="A", content="道路" * 80, deadline=date(2026, 9, 30))])
    outcome = Outcome(TODAY, [ItemResult("A", 2, "红", "逾期", days_overdue=2)])
    content = dashboard.page_data(ledger, outcome)["overdue"][0][1]
    assert content == "道路" * 49 + "道…" and len(content) == 100


def test_page_carries_every_number_in_one_escaped_json_blob(tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    ledger = reader.read_ledger(path, today=TODAY)
    outcome = engine.compute(ledger, TODAY)
    html = dashboard.build_html(ledger, outcome, now=NOW)
    blobs = re.findall(
        r'<script type="application/json" id="dashboard-data">(.*?)</script>', html, re.S
    )
    assert len(blobs) == 1
    data = json.loads(blobs[0])
    assert [o[0] for o in data["overdue"]] == ["DB-2026-002", "DB-2026-001"]
    assert data["overdue"][1][1] == XSS and data["overdue"][1][5] == 2
    assert XSS not in html  # neither raw in the JSON nor in any attribute
    assert "http://" not in html and "https://" not in html and "@import" not in html


# --- files and the command ---------------------------------------------------------------


def test_command_writes_the_page_and_leaves_the_ledger_and_folder_alone(tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    result = CliRunner().invoke(cli, ["dashboard", str(path), "--today", "2026-10-09"])
    assert result.exit_code == 0, result.output
    page = tmp_path / "输出" / "看板.html"
    assert f"已生成看板：{page}" in result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["台账.xlsx", "输出"]  # no history created

    custom = tmp_path / "大屏" / "今日.html"
    result = CliRunner().invoke(
        cli, ["dashboard", str(path), "--today", "2026-10-09", "-o", str(custom)]
    )
    assert result.exit_code == 0 and custom.exists()


def test_command_on_a_missing_ledger_says_so_in_chinese(tmp_path):
    result = CliRunner().invoke(cli, ["dashboard", str(tmp_path / "无.xlsx")])
    assert result.exit_code == 2
    assert "找不到台账文件" in result.output and "Traceback" not in result.output


def test_refresh_report_page_has_the_trend_from_history(tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    refresh(
        path, today=date(2026, 9, 21), now=NOW, progress=False
    )  # DB-002 overdue, DB-001 not yet
    report = refresh(path, today=TODAY, now=NOW, progress=False)
    with History(path) as history:
        assert history.trend(TODAY, 90) == [(date(2026, 9, 21), 1), (TODAY, 2)]
    page = dashboard.write_for_report(report, now=NOW)
    assert page == tmp_path / "输出" / "看板.html"
    html = page.read_text(encoding="utf-8")
    assert "今日 2 项 · 峰值 2 项" in html
    assert len(re.findall(r"<circle ", html)) == 2
    dry = refresh(path, today=TODAY, now=NOW, dry_run=True, progress=False)
    assert dashboard.write_for_report(dry) is None


# --- the real page in headless Chromium -------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed; run `make sysdeps` (Debian package chromium)")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],  # fmt: skip
            timeout=60_000,
        )
        yield b
        b.close()


class Watched:
    """A page with every console error, page error, dialog and request recorded."""

    def __init__(self, browser, width=1920, height=1080):
        self.page = browser.new_page(viewport={"width": width, "height": height})
        self.page.set_default_timeout(20_000)
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.errors.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.failed: dict[str, str] = {}
        self.page.on("requestfailed", lambda r: self.failed.update({r.url: r.failure}))
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))

    def open(self, path: Path):
        self.page.goto(path.as_uri())
        self.page.wait_for_load_state("load")
        return self.page

    def kpis(self) -> dict[str, str]:
        return {
            name: self.page.locator(f'[data-kpi="{name}"] .kpi-value').inner_text()
            for name in ("在办", "逾期", "临期", "反馈逾期", "本月办结", "按期办结率")
        }

    def overdue_ids(self) -> list[str]:
        metas = self.page.locator("#overdue-rows td.content .meta").all_inner_texts()
        return [m.split(" ")[0] for m in metas]


def test_small_ledger_in_chromium(browser, tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    page_file = dashboard.write_dashboard(path, today=TODAY, now=NOW)
    w = Watched(browser)
    page = w.open(page_file)

    assert w.kpis() == {
        "在办": "5",
        "逾期": "2",
        "临期": "1",
        "反馈逾期": "1",
        "本月办结": "1",
        "按期办结率": "50.0%",
    }
    assert w.overdue_ids() == ["DB-2026-002", "DB-2026-001"]

    # The hostile item is shown as its own text, and no element or dialog came of it.
    cell = page.get_by_text(XSS, exact=True)
    assert cell.count() == 1 and cell.is_visible()
    assert page.locator("img").count() == 0
    page.screenshot(path=str(tmp_path / "small.png"))

    # A leader filter narrows the headlines, the unit grid and the list; the button undoes it.
    page.select_option("#filter-leader", label="李副县长")
    assert w.overdue_ids() == ["DB-2026-002"]
    assert (
        w.kpis()["逾期"] == "1" and w.kpis()["在办"] == "1" and w.kpis()["按期办结率"] == "100.0%"
    )
    assert page.locator("#unit-rows tr").evaluate_all("rows => rows.map(r => r.dataset.unit)") == [
        "县交通运输局",
        "县教育局",
    ]
    assert "李副县长" in page.locator("#filter-note").inner_text()
    page.select_option("#filter-category", label="会议议定")
    assert w.overdue_ids() == [] and page.locator("#overdue-empty").is_visible()
    page.click("#filter-reset")
    assert w.overdue_ids() == ["DB-2026-002", "DB-2026-001"]

    # The filter survives a reload (the page reloads itself on the big screen).
    page.select_option("#filter-category", label="民生实事")
    page.reload()
    assert w.overdue_ids() == ["DB-2026-002"]

    assert w.errors == [] and w.dialogs == []
    assert set(w.requests) == {page_file.as_uri()}


def _expected_headlines(ledger, outcome) -> dict[str, str]:
    """The six headline numbers, counted here from the Outcome, independently of dashboard.py."""
    status = [r.status for r in outcome.results]
    done = [(i, r) for i, r in zip(ledger.items, outcome.results, strict=True)
            if r.status in ("已办结", "逾期办结", "已销号")]  # fmt: skip
    today = outcome.today
    this_month = [
        i
        for i, _ in done
        if i.done_on and i.done_on.replace(day=1) == today.replace(day=1) and i.done_on <= today
    ]
    on_time = [
        i
        for i, _ in done
        if i.done_on and (i.effective_deadline is None or i.done_on <= i.effective_deadline)
    ]
    return {
        "在办": str(sum(s in schema.OPEN_STATUSES for s in status)),
        "逾期": str(status.count("逾期")),
        "临期": str(status.count("临期")),
        "反馈逾期": str(status.count("反馈逾期")),
        "本月办结": str(len(this_month)),
        "按期办结率": f"{100 * len(on_time) / len(done):.1f}%",
    }


def test_demo_ledger_in_chromium_matches_the_outcome(browser, tmp_path):
    today = date(2026, 11, 20)
    path = build_demo(tmp_path / "demo", seed=7, items=150, today=today, force=False)
    page_file = dashboard.write_dashboard(path, today=today, now=datetime(2026, 11, 20, 8, 30))
    evaluation = evaluate(path, today, None)  # the one way every command computes (回头看 too)
    ledger, outcome = evaluation.ledger, evaluation.outcome

    w = Watched(browser)
    page = w.open(page_file)
    expected = _expected_headlines(ledger, outcome)
    assert int(expected["本月办结"]) > 0 and int(expected["逾期"]) > 2  # the demo exercises them
    assert w.kpis() == expected
    assert len(w.overdue_ids()) == int(expected["逾期"])
    assert page.locator("#ranking tbody tr").count() == len(outcome.scores)

    # Filtering by category changes the list to exactly that category's overdue items.
    by_id = {i.id: i for i in ledger.items}
    category = next(by_id[i].category for i in w.overdue_ids())
    page.select_option("#filter-category", label=category)
    shown = w.overdue_ids()
    assert shown and len(shown) < int(expected["逾期"])
    assert all(by_id[i].category == category for i in shown)

    page.click("#filter-reset")
    shot = tmp_path / "dashboard-1920x1080.png"
    page.screenshot(path=str(shot))
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert w.errors == [] and w.dialogs == []
    assert set(w.requests) == {page_file.as_uri()}


def test_laptop_width_stacks_the_panels_without_horizontal_scroll(browser, tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    page_file = dashboard.write_dashboard(path, today=TODAY, now=NOW)
    w = Watched(browser, 1024, 768)
    page = w.open(page_file)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    units = page.locator("#units").bounding_box()
    overdue = page.locator("#overdue").bounding_box()
    assert overdue["y"] >= units["y"] + units["height"]  # stacked, not side by side
    page.screenshot(path=str(tmp_path / "laptop.png"), full_page=True)


def test_content_security_policy_refuses_injected_handlers_and_requests(browser, tmp_path):
    path = small_ledger(tmp_path / "台账.xlsx")
    page_file = dashboard.write_dashboard(path, today=TODAY, now=NOW)
    w = Watched(browser)
    page = w.open(page_file)
    assert w.kpis()["逾期"] == "2"  # the page's own script is allowed (its hash is pinned)
    # Were some markup ever to slip through, its handler must not run and it must not load.
    page.evaluate("""document.body.insertAdjacentHTML('beforeend',
        '<img id="probe" src="https://example.invalid/x.png" onerror="window.pwned = 1">')""")
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned === undefined")
    # Chromium reports the attempt, then refuses it before anything leaves the machine.
    assert w.failed == {"https://example.invalid/x.png": "csp"}
    assert sum("Content Security Policy" in e for e in w.errors) == 2  # the handler and the load


def test_previous_ranking_is_computed_once_then_reused_from_the_history(tmp_path):
    from dataclasses import replace as _replace

    from automation.dashboard import previous_ranking
    from automation.history import History
    from automation.ledger.reader import read_ledger
    from automation.workbooks.demo import build_demo

    today = date(2026, 11, 20)
    path = build_demo(tmp_path, seed=3, items=120, today=today, force=False)
    ledger = read_ledger(path, today=today)
    with History(path) as history:
        label, first = previous_ranking(ledger, today, history=history)
        assert label == "2026年第3季度" and first
        # Staff later "complete" every old item: the published ranking must not move.
        done = _replace(ledger, items=[_replace(i, done_on=date(2026, 7, 1)) for i in ledger.items])
        _, again = previous_ranking(done, today, history=history)
    assert again == first
    _, recomputed = previous_ranking(done, today)  # without a history it is recomputed
    assert recomputed != first
