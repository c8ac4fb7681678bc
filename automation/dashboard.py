"""The dashboard 一块屏幕 (docs/dashboard.md): one self-contained HTML page per refresh.

``build_html`` is pure: (Ledger, Outcome, trend, previous period's scores, now) → an HTML
string. Every number on the page comes from one JSON blob inside the page; small vanilla
JS renders the filterable parts (headline counts, unit lights, overdue list) with
``textContent`` only, so ledger text can never become markup and the filters by 事项类别
and 牵头领导 work offline. The ranking and the 90-day trend are not filtered: scores are
per unit and the history keeps only totals.

Definitions (the same as 统计汇总's 合计 row, so the screen and the workbook agree):
在办 = 计算状态 逾期/反馈逾期/临期/进度滞后/正常推进; 本月办结 = 已办结/逾期办结/已销号 with
办结日期 in today's month; 按期办结率 = of the 已办结/逾期办结/已销号 items, those with
办结日期 on or before the effective deadline.

Ranking movement compares with the previous scoring period's final ranking, recomputed
from the ledger as it stood at that period's last day (``as_of``): items assigned later
are left out and completions dated later are undone; feedback and letters dated later are
ignored by the engine itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import jinja2
import markupsafe

from automation import errors, paths, schema
from automation.archive.office import owner_panel
from automation.evaluate import Evaluation, evaluate
from automation.history import History
from automation.models import Item, Ledger, Letter, Outcome, UnitScore
from automation.resources import TEMPLATE_DIR
from automation.rules import engine
from automation.rules.scoring import PERIOD_WORDS, period_containing
from automation.rules.status import LIGHT_OF
from automation.safetext import printable
from automation.schema import Light, Status, TypedStatus
from automation.summaries import DONE, OPEN

TEMPLATE_NAME = "dashboard.html.j2"
TREND_DAYS = 90
BLANK = "（未填写）"
# The list shows one line of 事项内容; longer text is cut so 10 k long items stay under 5 MB.
CONTENT_CHARS = 100
WEEKDAYS = "一二三四五六日"
# The executable script (the data block has a type and is never run) and its CSP slot.
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)
_HASH_SLOT = "sha256-SCRIPT-HASH"
# Characters JSON may carry only as \\u escapes here: surrogates and the noncharacters.
_NOT_IN_HTML = re.compile("[\ud800-\udfff\ufffe\uffff]")

# Trend chart geometry (SVG user units; the SVG scales to its box).
CHART_W, CHART_H = 600, 150
PAD_L, PAD_R, PAD_T, PAD_B = 40, 10, 10, 24


# --- the view model ---------------------------------------------------------------------


def _on_time(item: Item) -> bool:
    deadline = item.effective_deadline
    return item.done_on is not None and (deadline is None or item.done_on <= deadline)


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= CONTENT_CHARS else text[: CONTENT_CHARS - 1] + "…"


class _Index:
    """Names in first-seen order, each with a small integer the JSON refers to."""

    def __init__(self, names: Sequence[str] = ()):
        self.names: list[str] = []
        self._at: dict[str, int] = {}
        for name in names:
            self[name]

    def __getitem__(self, name: str) -> int:
        if name not in self._at:
            self._at[name] = len(self.names)
            self.names.append(name)
        return self._at[name]


def movement(current: Sequence[UnitScore], previous: Sequence[UnitScore]) -> dict[str, int | None]:
    """Return unit -> places moved up since the previous ranking (negative = down, None = new)."""
    before = {s.unit: s.rank for s in previous}
    return {s.unit: (before[s.unit] - s.rank if s.unit in before else None) for s in current}


def page_data(ledger: Ledger, outcome: Outcome) -> dict:
    """Build the JSON the page's script renders: every item's unit/leader/category/status, the overdue list.

    Names are sent once and items refer to them by index, which keeps 10 k items small.
    """
    today = outcome.today
    month_start = today.replace(day=1)
    statuses = _Index([schema.status_label(s) for s in schema.Status])
    units = _Index([u.name for u in ledger.units])
    categories = _Index()
    leaders = _Index()
    items: list[list[object]] = []
    overdue: list[list[Any]] = []  # JSON rows; sorted below by days overdue, then 编号
    pairs = list(zip(ledger.items, outcome.results, strict=True))
    for item, result in pairs:
        u = units[item.unit or item.unit_text or BLANK]
        also = [units[name] for name in item.lead_units[1:]]  # every lead unit sees the item
        c = categories[item.category or BLANK]
        lead = leaders[item.leader or BLANK]
        done = result.status in DONE
        this_month = done and item.done_on is not None and month_start <= item.done_on <= today
        status = statuses[schema.status_label(result.status)]
        items.append([u, lead, c, status, int(this_month), int(done and _on_time(item)), also])
        if result.status == Status.OVERDUE:
            deadline = item.effective_deadline
            overdue.append([item.ref, _clip(item.content), u, lead, c, result.days_overdue or 0, result.level,
                            deadline.isoformat() if deadline else ""])  # fmt: skip
    overdue.sort(key=lambda o: (-o[5], o[0]))
    category_order = {name: i for i, name in enumerate(schema.CATEGORIES)}
    return {
        "today": today.isoformat(),
        "statuses": statuses.names,
        "open": [schema.status_label(s) for s in OPEN],
        "done": [schema.status_label(s) for s in DONE],
        "red": [schema.status_label(s) for s in schema.COMPUTED_STATUSES if LIGHT_OF[s] == Light.RED],
        "units": units.names,
        "leaders": leaders.names,
        "categories": categories.names,
        "categoryOrder": sorted(range(len(categories.names)),
                                key=lambda i: (category_order.get(categories.names[i], 99), categories.names[i])),
        "leaderOrder": sorted(range(len(leaders.names)), key=lambda i: leaders.names[i]),
        "items": items,
        "overdue": overdue,
    }  # fmt: skip


def build_view(
    ledger: Ledger,
    outcome: Outcome,
    *,
    trend: Sequence[tuple[date, int]] = (),
    previous: Sequence[UnitScore] = (),
    previous_period: str = "",
    owners: Sequence[dict] = (),
    now: datetime,
) -> dict:
    """Build the template's context: page text, the JSON data, the ranking, the trend chart and 督办人."""
    today = outcome.today
    moved = movement(outcome.scores, previous)
    ranking = [
        {"rank": s.rank, "unit": s.unit, "score": f"{s.score:g}", "moved": moved.get(s.unit)}
        for s in sorted(outcome.scores, key=lambda s: s.rank)
    ]
    current_overdue = sum(1 for r in outcome.results if r.status == Status.OVERDUE)
    return {
        "office": ledger.settings.office_name,
        "today": f"{today.year}年{today.month}月{today.day}日（星期{WEEKDAYS[today.weekday()]}）",
        "generated": now.strftime("%Y-%m-%d %H:%M"),
        "period": outcome.period,
        "previous_period": previous_period,
        "has_previous": bool(previous),
        "ranking": ranking,
        "trend": trend_chart(trend, today, current_overdue),
        "data_json": json_for_script(page_data(ledger, outcome)),
        "item_count": len(ledger.items),
        "owners": owners,
        "unfollowed_days": ledger.settings.unfollowed_days,
    }


def trend_chart(points: Sequence[tuple[date, int]], today: date, current: int) -> dict:
    """Lay out the last TREND_DAYS days of 逾期 counts as SVG coordinates; today's count is current."""
    first = today - timedelta(days=TREND_DAYS - 1)
    counts = {day: n for day, n in points if first <= day <= today}
    counts[today] = current
    days = sorted(counts)
    top = 4 * _nice_step(max(counts.values()) / 4)
    plot_w, plot_h = CHART_W - PAD_L - PAD_R, CHART_H - PAD_T - PAD_B

    def x(day: date) -> float:
        return round(PAD_L + plot_w * (day - first).days / (TREND_DAYS - 1), 1)

    def y(n: int) -> float:
        return round(PAD_T + plot_h * (1 - n / top), 1)

    coords = [(x(d), y(counts[d])) for d in days]
    line = " ".join(f"{a},{b}" for a, b in coords)
    base = y(0)
    area = f"{coords[0][0]},{base} {line} {coords[-1][0]},{base}"
    return {
        "width": CHART_W,
        "height": CHART_H,
        "line": line,
        "area": area,
        # Dots only while they stay apart; the latest point always gets one.
        "dots": [
            {"x": a, "y": b, "label": f"{d.month}月{d.day}日：{counts[d]} 项"}
            for (a, b), d in zip(coords, days, strict=True)
            if len(days) <= 31 or d == today
        ],
        "days": TREND_DAYS,
        "grid": [{"y": y(top * k // 4), "label": top * k // 4} for k in range(5)],
        "ticks": [
            {"x": x(d), "label": f"{d.month}/{d.day}"}
            for d in (first, first + timedelta(days=44), today)
        ],
        "left": PAD_L,
        "right": CHART_W - PAD_R,
        "points": len(days),
        "first": days[0].isoformat(),
        "max": max(counts.values()),
        "latest": current,
    }


def _nice_step(at_least: float) -> int:
    """Return the smallest whole 1/2/3/4/5/6/8 × 10ⁿ step not below at_least (gridline labels)."""
    scale = 1
    while True:
        for digit in (1, 2, 3, 4, 5, 6, 8):
            if digit * scale >= at_least:
                return digit * scale
        scale *= 10


def json_for_script(data: object) -> str:
    """Serialise data as JSON safe inside <script type="application/json">.

    ``<``, ``>`` and ``&`` become \\u escapes (as Django's json_script does), so no ledger
    text can close the script element (``</script>``) or open a comment state (``<!--``).
    Surrogates and U+FFFE/U+FFFF (which no HTML file can hold) become \\u escapes too, so the
    page is valid UTF-8 and the text reaches the script as it was typed.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return _NOT_IN_HTML.sub(lambda m: f"\\u{ord(m[0]):04x}", text)


# --- rendering --------------------------------------------------------------------------


def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        autoescape=True,
        finalize=_printable,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _printable(value: object) -> object:
    """Drop from text the control characters an HTML page cannot carry (the JSON escapes its own)."""
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        return printable(value)
    return value


def render(view: dict) -> str:
    """Render the dashboard template with a view from ``build_view``."""
    try:
        template = _environment().get_template(TEMPLATE_NAME)
    except jinja2.TemplateNotFound:
        raise errors.TemplateError(
            f"找不到看板模板 {TEMPLATE_NAME}",
            "请重新安装 duban",
            path=str(TEMPLATE_DIR / TEMPLATE_NAME),
        ) from None
    view = {**view, "data_json": markupsafe.Markup(view["data_json"])}
    try:
        html = template.render(**view)
    except jinja2.TemplateError as e:
        raise errors.TemplateError(
            f"看板模板有误（{e}）", "请恢复原始模板后重试", path=str(TEMPLATE_DIR / TEMPLATE_NAME)
        ) from e
    return _pin_script(html)


def _pin_script(html: str) -> str:
    """Fill the Content-Security-Policy with the hash of the page's one script.

    Only that exact script may run: an inline handler or script that got into the page some
    other way is refused by the browser, and default-src 'none' forbids every request.
    """
    scripts = _SCRIPT.findall(html)
    if len(scripts) != 1:
        raise errors.TemplateError(
            f"看板模板应只有一段脚本，实际有 {len(scripts)} 段",
            "请恢复原始模板后重试",
            path=str(TEMPLATE_DIR / TEMPLATE_NAME),
        )
    digest = base64.b64encode(hashlib.sha256(scripts[0].encode("utf-8")).digest()).decode()
    return html.replace(_HASH_SLOT, f"sha256-{digest}", 1)


def build_html(
    ledger: Ledger,
    outcome: Outcome,
    *,
    trend: Sequence[tuple[date, int]] = (),
    previous: Sequence[UnitScore] = (),
    previous_period: str = "",
    owners: Sequence[dict] = (),
    now: datetime,
) -> str:
    """Build the whole dashboard page for a computed ledger."""
    view = build_view(
        ledger,
        outcome,
        trend=trend,
        previous=previous,
        previous_period=previous_period,
        owners=owners,
        now=now,
    )
    return render(view)


# --- the previous period's ranking ------------------------------------------------------


def as_of(ledger: Ledger, day: date) -> Ledger:
    """Return the ledger as it stood at the end of day: later items dropped, later completions undone."""
    items = []
    for item in ledger.items:
        if item.assigned_on is not None and item.assigned_on > day:
            continue
        if item.done_on is not None and item.done_on > day:
            item = replace(item, done_on=None, typed_status=TypedStatus.IN_PROGRESS)
        items.append(item)
    return replace(ledger, items=items)


def previous_ranking(
    ledger: Ledger, today: date, letters: Sequence[Letter] = (), history: History | None = None
) -> tuple[str, list[UnitScore]]:
    """Return the previous scoring period's label and final scores.

    They are recomputed from the ledger as it stood on the period's last day, once; with a
    history the result is kept there and reused, as a published ranking should not move.
    """
    kind = PERIOD_WORDS[ledger.settings.score_period]
    last_day = period_containing(today, kind).start - timedelta(days=1)
    label = period_containing(last_day, kind).label
    kept = history.period_scores(label) if history else []
    if kept:
        return label, kept
    outcome = engine.compute(as_of(ledger, last_day), last_day, letters=letters)
    scores = sorted(outcome.scores, key=lambda s: (s.rank, s.unit))
    if history:
        history.keep_period_scores(scores)
    return outcome.period, scores


# --- files (the only part that touches the disk) ----------------------------------------


def default_output(ledger_path: Path) -> Path:
    """Return where the dashboard of a ledger goes: ``<folder>/输出/看板.html``."""
    return paths.dashboard_file(ledger_path)


def write_html(html: str, out: Path) -> Path:
    """Write the page atomically, so a browser reloading it never sees half a file."""
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".看板-", suffix=".tmp", dir=out.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(html)
        os.replace(tmp, out)
    except OSError as e:
        raise errors.WriteFailed(
            f"无法写入看板文件（{e.strerror or e}）",
            "请检查输出文件夹是否可写、文件是否被占用",
            path=str(out),
        ) from e
    return out


def _page(
    evaluation: Evaluation,
    history: History | None,
    now: datetime,
    owners: Sequence[dict] | None = None,
) -> str:
    """Build the page of an evaluated ledger: its trend and previous ranking from the history."""
    today = evaluation.today
    trend = history.trend(today, TREND_DAYS) if history else []
    label, previous = previous_ranking(evaluation.ledger, today, evaluation.letters, history)
    return build_html(
        evaluation.ledger,
        evaluation.outcome,
        trend=trend,
        previous=previous,
        previous_period=label,
        owners=owner_panel(evaluation) if owners is None else owners,
        now=now,
    )


def write_dashboard(
    path: Path, *, today: date, out: Path | None = None, now: datetime | None = None
) -> Path:
    """Read and compute a ledger (writing nothing to it) and write its dashboard page."""
    path = Path(path)
    history = History.if_present(path)  # the dashboard never creates the history
    try:
        html = _page(evaluate(path, today, history), history, now or datetime.now())
    finally:
        if history is not None:
            history.close()
    return write_html(html, out or default_output(path))


def write_for_report(report, *, now: datetime | None = None) -> Path | None:
    """Write ``输出/看板.html`` for a finished refresh (a RefreshReport); a dry run writes nothing."""
    if report.dry_run:
        return None
    history = History.if_present(report.path)
    office = getattr(report, "office", None)
    try:
        html = _page(report.evaluation, history, now or datetime.now(), office and office.panel)
    finally:
        if history is not None:
            history.close()
    return write_html(html, default_output(report.path))
