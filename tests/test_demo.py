"""`duban demo`: a realistic, deterministic demo ledger with every dirty case of docs/rules.md §3.1, §11."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date, datetime, timedelta

import openpyxl
import pytest
from openpyxl.utils.datetime import to_excel

from automation import schema
from automation.errors import DubanError
from automation.workbooks.demo import DIRTY_CASES, build_demo, make_demo_data

TODAY = date(2026, 11, 20)
SEED = 7
CADENCE_FORMS = [
    "无", "一次性", "每周五", "每两周", "每月10日", "每月10日、25日", "每季度",
    "每季度末月10日", "4月10日、7月10日、10月10日、12月10日", "每月10日前",
]  # fmt: skip
SPEC_3_4_CASES = {
    "date_serial", "date_dash", "date_slash", "date_dot", "date_chinese", "date_month_day",
    "date_spaces", "date_fullwidth", "date_invalid", "unit_typo", "unit_alias", "unit_spaces",
    "id_duplicate", "id_blank", "progress_percent", "progress_fraction", "progress_formula",
    "done_before_assigned", "done_without_date", "closed_without_date", "bad_cadence",
    "merged_cells", "hidden_row", "empty_rows",
}  # fmt: skip


@pytest.fixture(scope="module")
def demo_path(tmp_path_factory):
    return build_demo(
        tmp_path_factory.mktemp("demo"), seed=SEED, items=320, today=TODAY, force=False
    )


@pytest.fixture(scope="module")
def wb(demo_path):
    return openpyxl.load_workbook(demo_path)


@pytest.fixture(scope="module")
def data():
    return make_demo_data(seed=SEED, items=320, today=TODAY)


@pytest.fixture(scope="module")
def ledger(wb):
    """The ledger's rows as dicts by header, with their sheet row numbers."""
    ws = wb[schema.LEDGER]
    header = [c.value for c in ws[1]]
    return {
        row[0].row: dict(zip(header, (c.value for c in row), strict=True))
        for row in ws.iter_rows(min_row=2)
    }


def cell(wb, ref: str):
    sheet, address = ref.split("!")
    return wb[sheet][address]


def as_date(value):
    return value.date() if isinstance(value, datetime) else value


def all_values(path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb}


# --- determinism -------------------------------------------------------------------------


def test_same_seed_and_today_give_identical_cells(tmp_path, demo_path):
    again = build_demo(tmp_path / "again", seed=SEED, items=320, today=TODAY, force=False)
    assert all_values(again) == all_values(demo_path)


def test_other_seed_or_today_gives_other_cells(tmp_path, demo_path):
    other_seed = build_demo(tmp_path / "s", seed=SEED + 1, items=320, today=TODAY, force=False)
    other_day = build_demo(
        tmp_path / "d", seed=SEED, items=320, today=date(2026, 6, 1), force=False
    )
    mine = all_values(demo_path)[schema.LEDGER]
    assert all_values(other_seed)[schema.LEDGER] != mine
    assert all_values(other_day)[schema.LEDGER] != mine


def test_same_cells_in_fresh_processes_whatever_the_hash_seed():
    script = (
        "import hashlib; from datetime import date; from automation.workbooks.demo import make_demo_data; "
        f"d = make_demo_data(seed={SEED}, items=320, today=date(2026, 11, 20)); "
        "print(hashlib.sha256(repr((d.ledger, d.units, d.progress_log, d.dirty)).encode()).hexdigest())"
    )
    digests = {
        subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
        ).stdout  # fmt: skip
        for hash_seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop()) == 65


def test_too_few_items_is_refused_in_chinese(tmp_path):
    with pytest.raises(DubanError, match="--items"):
        build_demo(tmp_path, seed=1, items=20, today=TODAY, force=False)
    assert not (tmp_path / "督查台账.xlsx").exists()


def test_refuses_to_overwrite_without_force(demo_path):
    with pytest.raises(DubanError, match="--force"):
        build_demo(demo_path.parent, seed=1, items=300, today=TODAY, force=False)
    build_demo(demo_path.parent, seed=SEED, items=320, today=TODAY, force=True)


# --- realism -----------------------------------------------------------------------------


def test_size_and_units(wb, ledger):
    items = [r for r in ledger.values() if r["事项内容"]]
    assert len(items) == 320
    units = list(wb[schema.UNITS].iter_rows(min_row=2, values_only=True))
    names = [u[0] for u in units]
    assert len(names) >= 25 and len(set(names)) == len(names)
    assert {"县发改委", "县住建局", "城关镇"} <= set(names)
    assert sum(1 for n in names if n.endswith(("镇", "乡", "街道"))) >= 5
    for name, aliases, kind, head, leader, contact, phone, email, cc, group in units:
        assert aliases and head and leader and contact and phone, name
        assert kind in schema.UNIT_KINDS, name
        assert group is None  # 通知群 blank: every unit's group message goes to the first robot
        assert re.fullmatch(r"[a-z-]+@example\.gov\.cn", email), email
        assert cc is None or cc.endswith("@example.gov.cn")
    assert any(u[8] for u in units)  # some units copy their office


def test_every_category_status_and_cadence(ledger):
    rows = list(ledger.values())
    assert {r["事项类别"] for r in rows} >= set(schema.CATEGORIES)
    assert {r["办理状态"] for r in rows} >= set(schema.TYPED_STATUSES) | {None}
    assert {r["反馈周期"] for r in rows} >= set(CADENCE_FORMS)
    assert sum(1 for r in rows if r["延期至"]) >= 5
    assert {r["办结时限"] for r in rows} & set(schema.ONGOING_WORDS)
    sources = " ".join(str(r["来源依据"]) for r in rows)
    for word in ("县政府工作报告", "十件民生实事", "常务会议纪要〔2026〕", "批示", "12345热线"):
        assert word in sources


def test_dates_are_realistic_relative_to_today(ledger):
    rows = [r for r in ledger.values() if r["事项内容"]]
    assigned = [as_date(r["交办日期"]) for r in rows if isinstance(r["交办日期"], datetime)]
    assert all(TODAY.replace(year=TODAY.year - 1) < d < TODAY for d in assigned)
    recent = sum(1 for d in assigned if (TODAY - d).days <= 300)
    assert recent / len(assigned) > 0.8
    open_rows = [
        r for r in rows if r["办理状态"] in ("办理中", None) and isinstance(r["办结时限"], datetime)
    ]
    overdue = sum(1 for r in open_rows if not r["延期至"] and as_date(r["办结时限"]) < TODAY)
    assert 0.08 <= overdue / len(rows) <= 0.2
    done = [as_date(r["办结日期"]) for r in rows if isinstance(r["办结日期"], datetime)]
    assert len(done) > 60 and max(done) <= TODAY


def test_progress_log_history(wb, ledger):
    log = list(wb[schema.PROGRESS_LOG].iter_rows(min_row=2, values_only=True))
    assert len(log) >= 300
    ids = {r["编号"] for r in ledger.values() if r["编号"]}
    assert all(entry[1] in ids for entry in log)
    dates = [entry[0] for entry in log]
    assert dates == sorted(dates) and all(as_date(d) <= TODAY for d in dates)


def test_calendar_adds_next_years_holidays(wb):
    rows = list(wb[schema.CALENDAR].iter_rows(min_row=2, max_col=3, values_only=True))
    assert (datetime(2027, 1, 1), "休") in [(d, k) for d, k, _ in rows]
    assert all(k in schema.CALENDAR_KINDS for _, k, _ in rows)


def test_settings_are_filled(wb):
    values = {r[0]: r[1] for r in wb[schema.SETTINGS].iter_rows(min_row=2, values_only=True)}
    assert values["联系人"] and values["领导邮箱"].endswith("example.gov.cn")
    assert values["临期提醒工作日"] == 3


# --- dirty rows ---------------------------------------------------------------------------


def test_every_case_of_spec_3_4_is_injected(data):
    assert SPEC_3_4_CASES <= set(DIRTY_CASES)
    assert all(data.dirty[case] for case in DIRTY_CASES), [
        c for c in DIRTY_CASES if not data.dirty[c]
    ]
    dirty_rows = {
        ref.split("!")[1].lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
        for refs in data.dirty.values()
        for ref in refs
    }
    assert 0.03 <= len(dirty_rows) / 320 <= 0.1  # about 5 %


def test_dirty_dates_look_the_part(wb, data):
    value = lambda case: cell(wb, data.dirty[case][0]).value  # noqa: E731
    assert isinstance(value("date_serial"), int) and 45000 < value("date_serial") < 47000
    assert re.fullmatch(r"20\d\d-\d{1,2}-\d{1,2}", value("date_dash")) and "-0" not in value(
        "date_dash"
    )
    assert re.fullmatch(r"20\d\d/\d\d/\d\d", value("date_slash"))
    assert re.fullmatch(r"20\d\d\.\d{1,2}\.\d{1,2}", value("date_dot"))
    assert re.fullmatch(r"20\d\d年\d{1,2}月\d{1,2}日", value("date_chinese"))
    assert re.fullmatch(r"\d{1,2}月\d{1,2}日", value("date_month_day"))
    assert value("date_spaces") != value("date_spaces").strip()
    assert re.fullmatch(r"２０[０-９]{2}-[０-９]{1,2}-[０-９]{1,2}", value("date_fullwidth"))
    assert re.fullmatch(r"20\d\d\.13\.\d{1,2}", value("date_invalid"))


def test_dirty_units_ids_and_progress(wb, data, ledger):
    value = lambda case: cell(wb, data.dirty[case][0]).value  # noqa: E731
    units = list(wb[schema.UNITS].iter_rows(min_row=2, max_col=2, values_only=True))
    names = {u[0] for u in units}
    aliases = {a for u in units for a in u[1].split(",")}
    assert value("unit_typo") not in names | aliases
    assert value("unit_alias") in aliases and value("unit_alias") not in names
    assert (
        value("unit_spaces").strip() in names
        and value("unit_spaces") != value("unit_spaces").strip()
    )
    ids = [r["编号"] for r in ledger.values()]
    assert ids.count(value("id_duplicate")) == 2
    assert value("id_blank") is None and cell(wb, data.dirty["id_blank"][0]).offset(column=3).value
    assert re.fullmatch(r"\d{1,2}%", value("progress_percent"))
    assert 0 < value("progress_fraction") < 1
    assert re.fullmatch(r"=\d+\+20", value("progress_formula"))


def test_dirty_completion_and_statuses(wb, data, ledger):
    def row_of(case):
        return ledger[cell(wb, data.dirty[case][0]).row]

    early = row_of("done_before_assigned")
    assert early["办结日期"] < early["交办日期"] and early["办理状态"] == "已办结"
    assert row_of("done_without_date")["办理状态"] == "已办结"
    assert row_of("done_without_date")["办结日期"] is None
    assert row_of("closed_without_date")["办理状态"] == "已销号"
    assert row_of("closed_without_date")["办结日期"] is None
    assert row_of("bad_cadence")["反馈周期"] not in CADENCE_FORMS
    assert row_of("typed_in_computed")["预警"] == "绿"


def test_hidden_merged_and_empty_rows(wb, data, ledger):
    ws = wb[schema.LEDGER]
    (hidden,) = data.hidden_rows
    assert ws.row_dimensions[hidden].hidden and ledger[hidden]["事项内容"]
    assert [str(r) for r in ws.merged_cells.ranges] == data.merged
    for ref in data.dirty["empty_rows"]:
        assert all(v is None for v in ledger[cell(wb, ref).row].values())
    # the last data row is after the gap: the gap really sits between data
    assert max(ledger) > cell(wb, data.dirty["empty_rows"][-1]).row


# --- a program we did not write: LibreOffice -------------------------------------------


@pytest.mark.libreoffice
def test_libreoffice_opens_the_demo_and_sees_the_same_cells(demo_path, soffice, tmp_path, data):
    resaved = openpyxl.load_workbook(soffice(demo_path, "xlsx", tmp_path))
    original = openpyxl.load_workbook(demo_path)
    formula = cell(original, data.dirty["progress_formula"][0]).coordinate
    for name in (schema.LEDGER, schema.UNITS, schema.PROGRESS_LOG):
        theirs, ours = resaved[name], original[name]
        width = len(schema.SHEET_COLUMNS[name])
        extra = theirs.iter_rows(min_row=ours.max_row + 1, max_col=width, values_only=True)
        assert all(v is None for row in extra for v in row), name  # LibreOffice may pad styled rows
        for row in ours.iter_rows(min_row=1, max_col=width):
            for c in row:
                if c.coordinate == formula:
                    continue
                seen = theirs[c.coordinate].value
                if isinstance(c.value, int) and isinstance(seen, datetime):
                    seen = to_excel(
                        seen
                    )  # LibreOffice shows the bare serial with the column's date format
                assert seen == c.value, (name, c.coordinate)
    assert (
        resaved[schema.LEDGER][formula].value.replace(" ", "")
        == original[schema.LEDGER][formula].value
    )


def test_cli_demo_builds_and_runs_the_main_job(tmp_path):
    command = [
        sys.executable,
        "-m",
        "automation",
        "demo",
        str(tmp_path / "演示"),
        "--today",
        "2026-11-20",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "演示台账：" in result.stdout
    ws = openpyxl.load_workbook(tmp_path / "演示" / "督查台账.xlsx")[schema.LEDGER]
    assert ws["V1"].value == "预警"
    lights = [c.value for c in ws["V"][1:] if c.value]
    assert len(lights) >= 300 and set(lights) <= set(schema.LIGHTS)  # the refresh really ran
    # 审定 (docs/letters.md): yesterday's 送审稿 wait in 发文登记, one was approved and issued today
    log = openpyxl.load_workbook(tmp_path / "演示" / "督查台账.xlsx")[schema.LETTER_LOG]
    rows = [
        dict(zip([c.value for c in log[1]], r, strict=False))
        for r in log.iter_rows(min_row=2, values_only=True)
    ]
    [issued] = [r for r in rows if r["状态"] == "已发出"]
    assert issued["文号"] == "催办〔2026〕1号" and issued["审定人"] == "李建国"
    assert (tmp_path / "演示" / issued["文件"]).is_file()
    waiting = [r for r in rows if r["状态"] == "待审定"]
    assert len(waiting) >= 3 and all(not r["文号"] for r in waiting)
    assert all((tmp_path / "演示" / r["文件"]).is_file() for r in waiting)
    assert "已由县政府办公室主任李建国审定，今天编号发出" in result.stdout
    again = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert again.returncode != 0 and "--force" in again.stderr


def test_demo_force_starts_the_demo_over_with_its_own_history_and_outputs(tmp_path):
    from datetime import date

    from automation.letters.issue import LetterRequest
    from automation.refresh import refresh
    from automation.workbooks.demo import build_demo

    today = date(2026, 11, 20)
    path = build_demo(tmp_path, seed=5, items=120, today=today, force=False)
    first = refresh(path, today=today, letters=LetterRequest(), progress=False)
    assert first.drafts and (tmp_path / ".duban").is_dir() and (tmp_path / "输出").is_dir()
    assert (tmp_path / "事项档案").is_dir()
    build_demo(tmp_path, seed=5, items=120, today=today, force=True)
    assert not (tmp_path / ".duban").exists() and not (tmp_path / "输出").exists()
    assert not (tmp_path / "事项档案").exists()
    again = refresh(path, today=today, letters=LetterRequest(), progress=False)
    # The same 送审稿: nothing carried over from the replaced demo (its drafts held none back).
    assert [(x.type, x.unit, x.file) for x in again.drafts] == [
        (x.type, x.unit, x.file) for x in first.drafts
    ]


# --- the generated texts read as Chinese a 督查室 would write -----------------------------------

_MONTH = re.compile(r"(?<![\d.])(\d+)\s*月")
_ASCII_COMMA_IN_CHINESE = re.compile(
    r"[\u3400-\u9fff\uff00-\uffef（）“”、，。][,;:][\u3400-\u9fff\d]"
)
_FREE_TEXT = ("content", "requirement", "source", "latest_progress", "remarks")


@pytest.mark.parametrize("seed", [1, 7, 20260101, 424242])
def test_generated_texts_name_real_months_and_use_chinese_punctuation(seed):
    data = make_demo_data(seed=seed, items=400, today=date(2026, 10, 9))
    texts = [
        row[key]
        for row in data.ledger
        if row
        for key in _FREE_TEXT
        if isinstance(row.get(key), str)
    ]
    texts += [str(entry[3]) for entry in data.progress_log if isinstance(entry[3], str)]
    assert len(texts) > 800
    for text in texts:
        for month in _MONTH.findall(text):
            assert 1 <= int(month) <= 12, text
        assert not _ASCII_COMMA_IN_CHINESE.search(text), text
    months = [t for t in texts if "月底前" in t]
    assert months, "the month phrases are in the sample"


# --- deadlines in words (issue 13) --------------------------------------------------------

_IN_WORDS = re.compile(r"(?:(?P<year>\d{4})年)?(?P<rest>.+)")
_CN_QUARTER = {"一": 1, "二": 2, "三": 3, "四": 4}


def _month_end(year: int, month: int) -> date:
    return date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)


def meaning(words: str, assigned: date) -> date:
    """What a phrase means by docs/deadlines.md, worked out by hand (not by the parser)."""
    m = _IN_WORDS.fullmatch(words)
    year, rest = m["year"], m["rest"]
    if rest in ("年底前", "年末", "底"):  # 年底前, 年末, 2027年底 → 12-31 (三)
        month, day = 12, 31
    elif f := re.fullmatch(r"(\d{1,2})月(?:底前|底|末)", rest):  # → the month's last day (二)
        month, day = int(f[1]), 0
    elif f := re.fullmatch(r"第?([一二三四])季度末?", rest):  # → the quarter's last day (三)
        month, day = 3 * _CN_QUARTER[f[1]], 0
    elif f := re.fullmatch(r"(\d{1,2})月([上中])旬前?", rest):  # 上旬 → 10th, 中旬 → 20th (二)
        month, day = int(f[1]), 10 if f[2] == "上" else 20
    elif f := re.fullmatch(r"(\d{1,2})月(\d{1,2})日之?前", rest):  # that day (二)
        month, day = int(f[1]), int(f[2])
    else:
        raise AssertionError(f"the demo wrote an unexpected phrase: {words}")

    def on(y: int) -> date:
        return _month_end(y, month) if day == 0 else date(y, month, day)

    if year:  # a written year wins (八)
        return on(int(year))
    found = on(assigned.year)  # else 交办日期's year, the next one when earlier than it (八)
    return found if found >= assigned else on(assigned.year + 1)


@pytest.fixture(scope="module")
def evaluated(demo_path):
    from automation.evaluate import evaluate_readonly

    return evaluate_readonly(demo_path, TODAY)


def test_a_third_of_the_open_deadlines_are_in_words_meaning_the_scenarios_dates(
    ledger, data, evaluated
):
    dirty = {int(ref.split("!")[1][1:]) for refs in data.dirty.values() for ref in refs}
    open_rows = {
        row: r
        for row, r in ledger.items()
        if r["事项内容"]
        and r["办理状态"] in ("办理中", None)
        and r["延期至"] is None
        and r["办结日期"] is None
        and r["办结时限"] not in schema.ONGOING_WORDS
        and row not in dirty
    }
    words = {row: r for row, r in open_rows.items() if isinstance(r["办结时限"], str)}
    pairs = {item.row: (item, result) for item, result in evaluated.pairs()}
    assert 0.28 <= len(words) / len(open_rows) <= 0.4, (len(words), len(open_rows))
    scenario_dates = {
        n: row["_deadline_date"]
        for n, row in enumerate(data.ledger, start=2)
        if row and "_deadline_date" in row and n not in dirty
    }
    assert set(words) == set(scenario_dates)
    forms = set()
    for row, r in words.items():
        assigned = as_date(r["交办日期"])
        item, result = pairs[row]
        assert item.deadline_text == r["办结时限"] and item.deadline_rule, row
        # what the words mean = the date the demo's scenario needed = the 认定时限 used
        assert meaning(r["办结时限"], assigned) == scenario_dates[row] == result.deadline, row
        forms.add(re.sub(r"\d+", "N", r["办结时限"]))
    assert {"N月N日前", "N月底", "一季度末"} <= forms  # a day, a month's end, a quarter's end
    # Every phrase is read: the only 办结时限 problem is the planted 13-month date.
    deadline_problems = [p for p in evaluated.problems if p.message.startswith("办结时限")]
    assert [p.where for p in deadline_problems] == data.dirty["date_invalid"]


def test_demo_units_have_their_kind_so_groups_expand(wb):
    kinds = {u[0]: u[2] for u in wb[schema.UNITS].iter_rows(min_row=2, values_only=True)}
    assert set(kinds.values()) <= set(schema.UNIT_KINDS)
    assert kinds["城关镇"] == kinds["桃园乡"] == "乡镇" and kinds["东湖街道"] == "街道"
    assert kinds["县住建局"] == "部门"


def test_demo_shows_folders_owners_with_errors_and_items_due_for_a_second_look(tmp_path):
    from python_calamine import CalamineWorkbook

    from automation.workbooks.demo_review import run_demo

    path = build_demo(tmp_path, seed=SEED, items=150, today=TODAY, force=False)
    report = run_demo(path, today=TODAY)  # as `duban demo` runs it: one 催办函 approved, issued
    folders = [p for p in (tmp_path / "事项档案").iterdir() if p.is_dir()]
    letters = [p for f in folders for p in f.glob("*.docx")]
    assert len(folders) >= 2 and letters  # folders with letters in them (one issued 催办函)
    evidence = [p for f in folders for p in f.glob("*.txt")]
    assert evidence and all(
        p.read_text(encoding="utf-8").startswith(p.parent.name.split()[0]) for p in evidence
    )
    with CalamineWorkbook.from_path(str(path)) as wb:
        errors = wb.get_sheet_by_name(schema.ERROR_LOG).to_python()[1:]
        look = wb.get_sheet_by_name(schema.LOOKBACK_LIST).to_python()
    owners = {row[2] for row in errors if row[2]}
    assert len(owners) >= 2  # a few 督办人 with 差错
    due = look[1 : next(i for i, r in enumerate(look) if i and not any(r))]
    assert len(due) >= 2 and all(r[2] in ("民生实事", "上级来文") for r in due)
    assert report.outcome.status_counts().get(schema.Status.REBOUND) == 1
