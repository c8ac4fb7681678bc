"""Build a realistic demo ledger (`duban demo`): units, items, a feedback history, dirty rows.

Everything comes from ``random.Random(seed)`` and dates relative to ``today``, so the same
seed and today give the same cell values. About 5 % of the rows are deliberately dirty,
one or more for each case of docs/rules.md §3.1, §11; ``DemoData.dirty`` says which cells.
About a third of the open items' 办结时限 are written in words (demo_words.py).
"""

from __future__ import annotations

import random
import shutil
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from openpyxl import Workbook

from automation import paths, schema
from automation.errors import UsageError
from automation.schema import Light, Status, TypedStatus
from automation.workbooks.demo_data import (
    CADENCES,
    CATEGORY_CADENCES,
    CATEGORY_WEIGHTS,
    DIRTY_CASES,
    FIXED_STATUS,
    GIVEN,
    LEADERS,
    OWNERS,
    PROGRESS_TEXTS,
    REQUIREMENTS,
    SCENARIOS,
    SURNAMES,
    TASKS,
    TOWNS,
    TYPOS,
    UNITS,
)
from automation.workbooks.demo_words import deadlines_in_words
from automation.workbooks.template import (
    LEDGER_FILENAME,
    column_letter,
    new_template_workbook,
    refuse_to_overwrite,
    set_filter_range,
)

# Fewer items cannot hold every category, scenario, cadence and dirty case at once.
EVIDENCE = "佐证材料"  # the demo's evidence files, named in 进展记录.佐证材料
MIN_ITEMS = 100
FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")


@dataclass
class DemoData:
    """The demo's rows, sheet by sheet, and where each dirty case was put."""

    ledger: list[dict | None]  # one dict per ledger row by column key; None = an empty row
    units: list[list]
    progress_log: list[list]
    calendar: list[list]
    settings: dict[str, str]  # 参数设置 name -> value as typed
    dirty: dict[str, list[str]] = field(default_factory=dict)  # case -> cells like 督办事项!K12
    hidden_rows: list[int] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    lookbacks: list[list] = field(default_factory=list)  # 回头看记录 rows
    files: dict[str, str] = field(default_factory=dict)  # evidence files beside the ledger


def build_demo(directory: Path, *, seed: int, items: int, today: date, force: bool) -> Path:
    """Write the demo ledger `督查台账.xlsx` into directory and return its path.

    Overwriting (``force``) also clears the old demo's history and outputs: document numbers,
    escalation and the trend belong to the ledger being replaced.
    """
    directory = Path(directory)
    path = directory / LEDGER_FILENAME
    refuse_to_overwrite(path, force=force)
    data = make_demo_data(seed=seed, items=items, today=today)
    for old in (
        paths.state_folder(path),
        paths.output_folder(path),
        paths.archive_folder(path),
        directory / EVIDENCE,
    ):
        if force and old.is_dir():
            shutil.rmtree(old)
    directory.mkdir(parents=True, exist_ok=True)
    for relative, text in data.files.items():
        (directory / relative).parent.mkdir(parents=True, exist_ok=True)
        (directory / relative).write_text(text, encoding="utf-8")
    wb = new_template_workbook()
    fill_workbook(wb, data)
    wb.save(path)
    return path


def make_demo_data(*, seed: int, items: int, today: date) -> DemoData:
    """Generate every demo row from seed and today, touching no file."""
    if items < MIN_ITEMS:
        raise UsageError(
            f"演示事项数 {items} 太少，装不下每种类别、状态和问题示例",
            f"请把 --items 设为 {MIN_ITEMS} 或更大",
        )
    rng = random.Random(seed)
    units = _make_units(rng)
    plan = _plan(rng, items)
    rows = [
        _make_item(rng, today, i, category, scenario) for i, (category, scenario) in enumerate(plan)
    ]
    _cover_cadences(rng, rows)
    rows.sort(key=lambda r: (r["assigned_on"], r["content"]))
    seq: dict[int, int] = {}
    for row in rows:
        year = row["assigned_on"].year
        seq[year] = seq.get(year, 0) + 1
        row["id"] = f"DB-{year}-{seq[year]:03d}"
    log = _make_progress_log(rng, rows, today)
    # Its own generator, so the rows' other draws (and the dirty cases) stay as they were.
    deadlines_in_words(random.Random(f"duban-demo-words-{seed}"), rows)
    data = DemoData(
        ledger=list(rows),
        units=units,
        progress_log=log,
        calendar=_make_calendar(today),
        settings={"联系人": "周敏", "联系电话": "0370-5551234",
                  "领导邮箱": "xianzhang@example.gov.cn,dcs-zr@example.gov.cn",
                  "督查室邮箱": "duchashi@example.gov.cn"},
    )  # fmt: skip
    _inject_dirty(rng, data, today)
    _add_office_practice(random.Random(seed + 1), data, today)
    return data


def fill_workbook(wb: Workbook, data: DemoData) -> None:
    """Write the demo rows into a template workbook, with hidden rows and merged cells."""
    ws = wb[schema.LEDGER]
    keys = [c.key for c in schema.LEDGER_COLUMNS]
    for r, row in enumerate(data.ledger, start=2):
        for c, key in enumerate(keys, start=1):
            if row is not None and row.get(key) not in (None, ""):
                ws.cell(row=r, column=c, value=row[key])
    for r in data.hidden_rows:
        ws.row_dimensions[r].hidden = True
    for cells in data.merged:
        ws.merge_cells(cells)
    set_filter_range(ws, len(data.ledger) + 1)
    for name, rows in ((schema.UNITS, data.units), (schema.PROGRESS_LOG, data.progress_log),
                       (schema.CALENDAR, data.calendar), (schema.LOOKBACK_LOG, data.lookbacks)):  # fmt: skip
        sheet = wb[name]
        for values in rows:
            sheet.append(values)
        set_filter_range(sheet, len(rows) + 1)
    settings = wb[schema.SETTINGS]
    for name_cell, value_cell in settings.iter_rows(min_row=2, max_col=2):
        value = data.settings.get(str(name_cell.value))
        if value is not None:
            value_cell.value = value


# --- generation -------------------------------------------------------------------------


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"


def _make_units(rng: random.Random) -> list[list]:
    rows = []
    for name, aliases, mailbox in UNITS:
        cc = f"{mailbox}-bgs@example.gov.cn" if rng.random() < 0.35 else None
        rows.append([name, aliases, _unit_kind(name), _person(rng), _person(rng), _person(rng),
                     _phone(rng), f"{mailbox}@example.gov.cn", cc])  # fmt: skip
    return rows


def _unit_kind(name: str) -> str:
    """Return a unit's 类型 for 责任单位 (so 各乡镇 / 县直各单位 expand in the demo)."""
    if name.endswith("街道"):
        return "街道"
    return "乡镇" if name.endswith(("镇", "乡")) else "部门"


def _month_end(d: date) -> date:
    first_next = date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return first_next - timedelta(days=1)


def _plan(rng: random.Random, items: int) -> list[tuple[str, str]]:
    """Pick each item's category and scenario; every one of both appears at least once."""
    weights = [CATEGORY_WEIGHTS[c] for c in schema.CATEGORIES]
    categories = list(schema.CATEGORIES) + rng.choices(schema.CATEGORIES, weights, k=items)
    scenarios = list(SCENARIOS) + rng.choices(list(SCENARIOS), list(SCENARIOS.values()), k=items)
    rng.shuffle(categories)  # the forced ones are not all in the first rows
    return list(zip(categories[:items], scenarios[:items], strict=True))


def _make_item(rng: random.Random, today: date, index: int, category: str, scenario: str) -> dict:
    _, unit, text = rng.choice([t for t in TASKS if t[0] == category])
    town = rng.choice(TOWNS)
    unit = unit or town
    n, m = rng.randint(2, 30), rng.randint(2, 9)
    assigned = today - timedelta(days=int(rng.triangular(8, 330, 150)))
    if category in ("政府工作报告", "民生实事") and assigned.month > 3:
        assigned = date(assigned.year, 2, rng.randint(18, 28))
    month = (assigned.month + n % 4) % 12 + 1  # one to four months after it is assigned
    content = text.format(n=n, m=m, town=town, month=month)
    row = {
        "category": category, "content": content, "unit": unit, "leader": rng.choice(LEADERS),
        "requirement": rng.choice(REQUIREMENTS), "person": _person(rng), "phone": _phone(rng),
        "owner": rng.choice(OWNERS), "cadence": rng.choice(CATEGORY_CADENCES[category]),
        "assigned_on": assigned, "typed_status": TypedStatus.IN_PROGRESS if rng.random() < 0.8 else None,
        "source": _source(rng, category, assigned, index), "_scenario": scenario,
    }  # fmt: skip
    if rng.random() < 0.3:
        row["co_units"] = "、".join(
            rng.sample([u[0] for u in UNITS if u[0] != unit], rng.randint(1, 2))
        )
    _apply_scenario(rng, row, today)
    return row


def _source(rng: random.Random, category: str, assigned: date, index: int) -> str:
    y = assigned.year
    return {
        "政府工作报告": f"{y}年县政府工作报告",
        "民生实事": f"{y}年县十件民生实事",
        "会议议定": f"县政府常务会议纪要〔{y}〕{rng.randint(1, 30)}号",
        "领导批示": f"{rng.choice(LEADERS)}同志{assigned.month}月{assigned.day}日批示",
        "建议提案": rng.choice((f"县人大代表建议（{y}年第{index % 90 + 1}号）", f"县政协提案（{y}年第{index % 90 + 1}号）")),
        "热线交办": f"12345热线工单{assigned:%Y%m%d}{rng.randint(1000, 9999)}",
        "上级来文": f"市政办〔{y}〕{rng.randint(5, 120)}号",
        "其他": rng.choice(("县政府督查室专项督查", "县领导调研交办", "县委县政府联合督查")),
    }[category]  # fmt: skip


def _apply_scenario(rng: random.Random, row: dict, today: date) -> None:
    """Fill deadline, extension, progress, feedback and completion for the row's scenario."""
    s, assigned = row["_scenario"], row["assigned_on"]
    days = lambda a, b: timedelta(days=rng.randint(a, b))  # noqa: E731
    if s in ("normal", "lagging", "extended", "extension_requested", "adjusted", "suspended"):
        deadline = today + days(12, 160)
        deadline = _month_end(deadline) if rng.random() < 0.5 else deadline
    elif s == "due_soon":
        deadline = today + days(1, 5)
    elif s == "overdue":
        deadline = today - days(1, 40)
    elif s == "done_late":
        deadline = today - days(15, 90)
    else:  # done, closed, cancelled
        deadline = assigned + days(30, 200)
    if deadline <= assigned + timedelta(days=10):
        assigned = row["assigned_on"] = deadline - days(30, 120)
    row["deadline"] = deadline
    elapsed = (today - assigned).days / max((deadline - assigned).days, 1)
    progress = int(min(95, max(5, round(elapsed * 100 + rng.randint(-10, 15), -1))))
    if s == "lagging":
        progress = max(0, progress - rng.randint(3, 5) * 10)
    if s == "extended" or s == "extension_requested":
        original = max(assigned + timedelta(days=15), today - days(-5, 20))
        row["extended_to"], row["deadline"] = deadline, original
        row["note"] = f"经{row['leader']}同意延期"
        row["typed_status"] = (
            TypedStatus.EXTENSION_REQUESTED
            if s == "extension_requested"
            else TypedStatus.IN_PROGRESS
        )
    if s == "ongoing":
        row["deadline"] = rng.choice(schema.ONGOING_WORDS)
        row["cadence"] = rng.choice(("每月10日", "每季度", "每两周", "每月10日前"))
    if s in ("done", "closed", "done_late"):
        latest = min(deadline, today - timedelta(days=1)) if s != "done_late" else deadline
        if s == "done_late":
            done = deadline + days(1, max(1, min(20, (today - deadline).days - 1)))
        else:
            done = assigned + timedelta(days=rng.randint(5, max(5, (latest - assigned).days)))
        row["done_on"], progress = done, 100
        row["typed_status"] = TypedStatus.DONE if s != "closed" else TypedStatus.CLOSED
    if s in FIXED_STATUS and s != "closed":
        row["typed_status"] = FIXED_STATUS[s]
        row["note"] = {"adjusted": "经县政府常务会议研究，调整为年度重点工作",
                       "cancelled": "因上级政策调整，经县领导同意取消",
                       "suspended": "因项目规划调整暂缓实施"}[s]  # fmt: skip
    shown = None if s == "ongoing" else progress  # an ongoing item has no 完成进度
    row["progress"] = shown
    if row["cadence"] not in ("无", "一次性") and rng.random() < 0.85:
        end = row.get("done_on") or today
        row["last_feedback_on"] = max(assigned, end - days(0, 45))
    row["latest_progress"] = _progress_text(rng, shown)


def _progress_text(rng: random.Random, progress: int | None) -> str:
    p = 50 if progress is None else progress
    texts = next(t for limit, t in PROGRESS_TEXTS if p <= limit)
    return rng.choice(texts).format(p=p)


def _cover_cadences(rng: random.Random, rows: list[dict]) -> None:
    """Give every cadence form of docs/rules.md §7 to at least one open item."""
    open_rows = [r for r in rows if r["_scenario"] in ("normal", "lagging", "overdue", "due_soon")]
    chosen = rng.sample(open_rows, len(CADENCES))
    for row, cadence in zip(chosen, CADENCES, strict=True):
        row["cadence"] = cadence
        row["_covered"] = True


def _make_progress_log(rng: random.Random, rows: list[dict], today: date) -> list[list]:
    """Write each item's feedback history back from its latest feedback, oldest first."""
    log = []
    for row in rows:
        last = row.get("last_feedback_on")
        if last is None:
            continue
        assigned, final = row["assigned_on"], row["progress"]
        when = last
        reports: list[date] = []
        while when > assigned + timedelta(days=7) and len(reports) < 5:
            reports.append(when)
            when -= timedelta(days=rng.randint(20, 45))
        for when in reversed(reports):
            share = (when - assigned).days / max((last - assigned).days, 1)
            progress = None if final is None else int(round(final * share, -1))
            evidence = rng.choice(("", "", "现场照片", "工作方案", "会议纪要", "验收报告"))
            log.append([when, row["id"], row["unit"], _progress_text(rng, progress), progress,
                        evidence or None, row["person"]])  # fmt: skip
        if rng.random() < 0.2:  # the latest date lives only in 进展记录, as after `duban collect`
            row["last_feedback_on"] = None
    log.sort(key=lambda r: (r[0], r[1]))
    return log


def _make_calendar(today: date) -> list[list]:
    """Next year's fixed statutory holidays, as an office adds them before chinesecalendar does."""
    y = today.year + 1
    note = "法定节假日（调休安排待国务院办公厅通知公布后补充）"
    return [
        [date(y, 1, 1), "休", f"元旦 {note}"],
        [date(y, 5, 1), "休", f"劳动节 {note}"],
        *[[date(y, 10, d), "休", f"国庆节 {note}"] for d in (1, 2, 3)],
    ]


# --- 文件夹管理 (docs/rules.md §13–§15) -----------------------------------------------------


def _add_office_practice(rng: random.Random, data: DemoData, today: date) -> None:
    """Give the demo a few 回头看 results and evidence files, from their own random stream.

    Finished 民生实事/上级来文 items long done: one found 反弹 (reopened), two 巩固; and two
    progress rows of open items name a file under 佐证材料/ that the demo writes, so the
    refresh files them in the items' folders.
    """
    rows = [r for r in data.ledger if r is not None and r.get("id")]
    finished = [
        r for r in rows
        if r["_scenario"] in ("done", "closed") and r["category"] in ("民生实事", "上级来文")
        and isinstance(r.get("done_on"), date) and (today - r["done_on"]).days > 120
    ]  # fmt: skip
    rng.shuffle(finished)
    for n, row in enumerate(finished[:3]):
        looked = row["done_on"] + timedelta(days=rng.randint(90, (today - row["done_on"]).days - 1))
        verdict, note = (("反弹", "回访发现问题再次出现，已重新交办") if n == 0 else
                         ("巩固", "现场复核，整改成果保持良好"))  # fmt: skip
        data.lookbacks.append([looked, row["id"], verdict, note, rng.choice(OWNERS)])
    data.lookbacks = [[r[1], r[0], *r[2:]] for r in sorted(data.lookbacks)]
    by_id = {r["id"]: r for r in rows}
    logged = [
        e for e in data.progress_log if e[5] and by_id.get(e[1], {}).get("_scenario") == "normal"
    ]
    for entry in rng.sample(logged, min(2, len(logged))):
        relative = f"{EVIDENCE}/{entry[1]}/{entry[5]}.txt"
        data.files[relative] = f"{entry[1]} {entry[5]}（演示文件）\n{entry[3]}\n"
        entry[5] = relative


# --- dirty rows (docs/rules.md §3.1, §11) ------------------------------------------------------------


def _inject_dirty(rng: random.Random, data: DemoData, today: date) -> None:
    """Spoil a few rows the way real ledgers are spoiled, recording each case's cells."""
    rows = [r for r in data.ledger if r is not None]  # no empty rows yet: they are added last
    logged = {entry[1] for entry in data.progress_log}
    pool = [r for r in rows if not r.get("_covered")]
    rng.shuffle(pool)
    marks: list[tuple[str, dict, str]] = []

    def take(case: str, key: str, when=lambda r: True) -> dict:
        row = next(r for r in pool if when(r))
        pool.remove(row)
        marks.append((case, row, key))
        return row

    def dated(r: dict) -> bool:
        return isinstance(r.get("deadline"), date) and r["_scenario"] in ("normal", "overdue")

    for case, form in (("date_dash", "{y}-{m}-{d}"), ("date_dot", "{y}.{m}.{d}"),
                       ("date_chinese", "{y}年{m}月{d}日"), ("date_fullwidth", "{y}-{m}-{d}")):  # fmt: skip
        row = take(case, "deadline", dated)
        d = row["deadline"]
        text = form.format(y=d.year, m=d.month, d=d.day)
        row["deadline"] = text.translate(FULLWIDTH) if case == "date_fullwidth" else text
    row = take(
        "date_month_day", "deadline", lambda r: dated(r) and r["deadline"].year == today.year
    )
    row["deadline"] = f"{row['deadline'].month}月{row['deadline'].day}日"
    row = take("date_invalid", "deadline", dated)
    row["deadline"] = f"{row['deadline'].year}.13.{row['deadline'].day}"
    row = take("date_slash", "assigned_on")
    row["assigned_on"] = f"{row['assigned_on']:%Y/%m/%d}"
    row = take("date_spaces", "assigned_on")
    row["assigned_on"] = f" {row['assigned_on'].isoformat()}  "
    row = take("date_serial", "assigned_on")
    row["assigned_on"] = (row["assigned_on"] - date(1899, 12, 30)).days

    take("unit_typo", "unit")["unit"] = rng.choice(list(TYPOS.values()))
    row = take("unit_alias", "unit")
    row["unit"] = next(a for name, a, _ in UNITS if name == row["unit"]).split(",")[0]
    row = take("unit_spaces", "unit")
    row["unit"] += "  "

    def unlogged(r: dict) -> bool:  # its 编号 has no 进展记录 rows to orphan
        return r["id"] not in logged

    take("id_duplicate", "id", unlogged)["id"] = rng.choice(rows[:50])["id"]
    take("id_blank", "id", unlogged)["id"] = None

    def partial(r: dict) -> bool:
        return isinstance(r.get("progress"), int) and 0 < r["progress"] < 100

    row = take("progress_percent", "progress", partial)
    row["progress"] = f"{row['progress']}%"
    row = take("progress_fraction", "progress", partial)
    row["progress"] = row["progress"] / 100
    row = take("progress_formula", "progress", partial)
    row["progress"] = f"={row['progress'] - 20}+20"

    row = take("done_before_assigned", "done_on", lambda r: r["_scenario"] == "done")
    row["done_on"] = row["assigned_on"] - timedelta(days=rng.randint(3, 30))
    take("done_without_date", "done_on", lambda r: r["_scenario"] == "done")["done_on"] = None
    take("closed_without_date", "done_on", lambda r: r["_scenario"] == "closed")["done_on"] = None
    take("bad_cadence", "cadence")["cadence"] = rng.choice(("看情况报送", "随时", "每月上旬末"))
    row = take("typed_in_computed", "light")
    row["light"], row["status"] = Light.GREEN, Status.ON_TRACK
    hidden = take("hidden_row", "id", lambda r: r["_scenario"] in ("cancelled", "done", "closed"))

    merged_at = rows.index(next(r for r in pool if rows.index(r) < len(rows) - 1))
    rows[merged_at + 1]["leader"] = rows[merged_at]["leader"]
    marks.append(("merged_cells", rows[merged_at], "leader"))

    gap = len(rows) * 3 // 5
    data.ledger = [*rows[:gap], None, None, *rows[gap:]]
    sheet_row = {id(r): n for n, r in enumerate(data.ledger, start=2) if r is not None}
    data.dirty = {case: [] for case in DIRTY_CASES}
    for case, row, key in marks:
        data.dirty[case].append(
            f"{schema.LEDGER}!{column_letter(schema.LEDGER, key)}{sheet_row[id(row)]}"
        )
    data.dirty["empty_rows"] = [f"{schema.LEDGER}!A{gap + 2}", f"{schema.LEDGER}!A{gap + 3}"]
    data.hidden_rows = [sheet_row[id(hidden)]]
    leader = column_letter(schema.LEDGER, "leader")
    first = sheet_row[id(rows[merged_at])]
    data.merged = [f"{leader}{first}:{leader}{first + 1}"]
