"""办结时限 in words: every form of docs/deadlines.md as dated facts, and what must be refused.

Holiday answers are worked out by hand from the State Council's 节假日安排 notices, named in
each row: 国办发明电〔2021〕11号 (2022), 〔2022〕16号 (2023), 〔2024〕12号 (2025), 〔2025〕7号
(2026). chinesecalendar 1.11 covers up to 2026; 2027 and 2028 are Monday–Friday fallback years.
"""

import re
from datetime import date, datetime, time
from pathlib import Path

import holidays
import pytest

from automation.ledger.normalize import parse_date
from automation.rules import festivals
from automation.rules.deadlines import ACCEPTED_FORMS, read_deadline, year_in
from automation.rules.workdays import WorkCalendar

DOC = Path(__file__).resolve().parents[1] / "docs" / "deadlines.md"


def read(value, *, assigned=None, hint=None, today=date(2026, 5, 1), cal=None, n=5):
    return read_deadline(
        value,
        assigned_on=assigned,
        year_hint=hint,
        today=today,
        calendar=cal if cal is not None else WorkCalendar(),
        immediate_days=n,
    )


def D(text):
    return date.fromisoformat(text)


# --- every form, with the year from 交办日期 ----------------------------------------------

A25, A26, A27 = D("2025-01-02"), D("2026-01-05"), D("2027-01-04")

FORMS = [
    # X月X日前 / 之前 / 以前 / 前完成 / 止 → that day
    ("6月30日前", A25, "2025-06-30"),
    ("6月30日之前", A26, "2026-06-30"),
    ("6月30日以前", A27, "2027-06-30"),
    ("6月30日前完成", A26, "2026-06-30"),
    ("截至6月30日止", A26, "2026-06-30"),
    ("6月30号前", A26, "2026-06-30"),
    ("6月30日", A25, "2025-06-30"),
    # X月底(前) / X月末 / X月份 / X月 / X月内 → the month's last day
    ("9月底前", A25, "2025-09-30"),
    ("9月底", A26, "2026-09-30"),
    ("9月末", A27, "2027-09-30"),
    ("9月份", A26, "2026-09-30"),
    ("9月", A26, "2026-09-30"),
    ("9月内完成", A26, "2026-09-30"),
    ("2月底前", A26, "2026-02-28"),
    ("2028年2月底前", A26, "2028-02-29"),  # leap year
    # 旬 → 10th / 20th / last day
    ("10月上旬", A25, "2025-10-10"),
    ("10月中旬前", A26, "2026-10-20"),
    ("10月下旬", A27, "2027-10-31"),
    ("2月下旬前", A26, "2026-02-28"),
    # the year
    ("年底前", A25, "2025-12-31"),
    ("年底", A26, "2026-12-31"),
    ("年末", A26, "2026-12-31"),
    ("年内", A27, "2027-12-31"),
    ("今年底", A26, "2026-12-31"),
    ("本年度", A26, "2026-12-31"),
    ("全年", A26, "2026-12-31"),
    ("上半年", A25, "2025-06-30"),
    ("年中", A26, "2026-06-30"),
    ("下半年", A27, "2027-12-31"),
    # quarters → the quarter's last day
    ("一季度", A25, "2025-03-31"),
    ("第一季度", A26, "2026-03-31"),
    ("一季度末", A26, "2026-03-31"),
    ("Q1", A26, "2026-03-31"),
    ("二季度末前", A26, "2026-06-30"),
    ("第三季度", A27, "2027-09-30"),
    ("q4", A26, "2026-12-31"),
    ("2026Q3", A25, "2026-09-30"),
    # a written year
    ("2027年", A25, "2027-12-31"),
    ("2027年底", A26, "2027-12-31"),
    ("2027年末前", A26, "2027-12-31"),
    ("2026年6月", A25, "2026-06-30"),
    ("2026.6", A25, "2026-06-30"),
    ("2026-06", A25, "2026-06-30"),
    ("2026/6", A25, "2026-06-30"),
    ("2026.02", A25, "2026-02-28"),
    ("2026年6月30日前", A25, "2026-06-30"),
    ("2025年9月底前", A26, "2025-09-30"),  # an explicit year wins over 交办日期
    # Chinese numerals, full-width digits, stray spaces
    ("十月底", A25, "2025-10-31"),
    ("三季度末", A26, "2026-09-30"),
    ("十二月中旬", A26, "2026-12-20"),
    ("六月三十日前", A26, "2026-06-30"),
    ("二〇二六年六月底", A25, "2026-06-30"),
    ("９月 底 前", A26, "2026-09-30"),
    ("２０２６年６月", A25, "2026-06-30"),
    (" 年底前。", A26, "2026-12-31"),
]


@pytest.mark.parametrize(("text", "assigned", "expected"), FORMS, ids=[f[0] for f in FORMS])
def test_form(text, assigned, expected):
    reading = read(text, assigned=assigned)
    assert (reading.deadline, reading.ongoing, reading.stages) == (D(expected), False, ())
    assert reading.from_words


# --- holidays: the last working day before the rest period begins --------------------------

HOLIDAYS = [
    # (cell, calendar overrides, expected, the fact it rests on)
    ("2025年春节前", {}, "2025-01-27", "2025: 春节 1/28–2/4"),
    (
        "2026年春节前",
        {},
        "2026-02-14",
        "2026: 春节 2/15–2/23, Saturday 2/14 is a make-up working day",
    ),
    (
        "2027年春节前",
        {},
        "2027-02-04",
        "2027 fallback: 除夕 (2/5, Fri) is a statutory holiday since 2025",
    ),
    ("2025年国庆节前", {}, "2025-09-30", "2025: 国庆、中秋 10/1–10/8"),
    ("2026年国庆节前", {}, "2026-09-30", "2026: 国庆 10/1 (Thursday)–10/7"),
    ("2022年国庆节前", {}, "2022-09-30", "2022: 国庆 10/1 (Saturday)–10/7"),
    ("2023年国庆节前", {}, "2023-09-28", "2023: 中秋、国庆 9/29 (Friday)–10/6"),
    ("2028年国庆节前", {}, "2028-09-29", "2028 fallback: 10/1 is a Sunday, 9/30 a Saturday"),
    ("2025年中秋节前", {}, "2025-09-30", "2025: 中秋 (10/6) falls inside the 国庆 rest 10/1–10/8"),
    ("2026年中秋前", {}, "2026-09-24", "2026: 中秋 9/25 (Friday)–9/27"),
    ("2025年五一前", {}, "2025-04-30", "2025: 劳动节 5/1–5/5"),
    ("2026年劳动节前", {}, "2026-04-30", "2026: 劳动节 5/1–5/5"),
    ("2025年端午节前", {}, "2025-05-30", "2025: 端午 5/31 (Saturday)–6/2"),
    ("2026年清明节前", {}, "2026-04-03", "2026: 清明 4/4–4/6"),
    ("2026年元旦前", {}, "2025-12-31", "2026: 元旦 1/1–1/3"),
    ("2025年元旦前", {}, "2024-12-31", "2025: 元旦 1/1 (Wednesday)"),
    # 节假日调整 wins over chinesecalendar
    ("2026年国庆节前", {D("2026-09-30"): False}, "2026-09-29", "override: 9/30 休"),
    ("2026年春节前", {D("2026-02-14"): False}, "2026-02-13", "override: the make-up Saturday 休"),
    ("2027年国庆节前", {D("2027-09-30"): False}, "2027-09-29", "override: 2027 entered by staff"),
]


@pytest.mark.parametrize(
    ("text", "overrides", "expected", "fact"), HOLIDAYS, ids=[f"{h[0]}: {h[3]}" for h in HOLIDAYS]
)
def test_holiday(text, overrides, expected, fact):
    assert read(text, cal=WorkCalendar(overrides)).deadline == D(expected)


@pytest.mark.parametrize(
    "text",
    ["国庆节前", "国庆前", "国庆节之前", "国庆假期前", "国庆长假前", "十一前", "国庆节 前"],
)
def test_national_day_variants(text):
    assert read(text, assigned=A26).deadline == D("2026-09-30")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("春节假期前", "2026-02-14"),
        ("春节放假前", "2026-02-14"),
        ("五一劳动节前", "2026-04-30"),
        ("劳动节以前", "2026-04-30"),
        ("中秋节前", "2026-09-24"),
        ("端午前", "2026-06-18"),  # 2026: 端午 6/19 (Friday)–6/21
        ("清明前", "2026-04-03"),
        ("元旦以前", "2026-12-31"),  # a year-less 元旦 is the one ending the year
    ],
)
def test_holiday_variants(text, expected):
    assert read(text, hint=2026).deadline == D(expected)


def test_a_year_beyond_chinesecalendar_falls_back_and_is_reported():
    """chinesecalendar 1.11 (the newest release) ends with 2026; the rows above marked "fallback"
    assume Monday–Friday for 2027 and 2028. A release with 2027 fails here first: then replace
    those rows with the facts of the 2027 notice."""
    covered, beyond = WorkCalendar(), WorkCalendar()
    assert read("2026年国庆节前", cal=covered).deadline == D("2026-09-30")
    assert covered.fallback_years == set()
    assert read("2027年国庆节前", cal=beyond).deadline == D("2027-09-30")  # 10/1 is a Friday
    assert beyond.fallback_years == {2027}


@pytest.mark.parametrize("year", range(2008, 2100))
def test_festival_table_agrees_with_the_holidays_package(year):
    named = {}
    for day, names in sorted(holidays.China(years=year, language="en_US").items()):
        for name in names.split("; "):  # 中秋 may share a day with 国庆
            named.setdefault(name, day)
    assert festivals.festival_day(festivals.QINGMING, year) == named["Tomb-Sweeping Day"]
    assert festivals.festival_day(festivals.DRAGON_BOAT, year) == named["Dragon Boat Festival"]
    assert festivals.festival_day(festivals.MID_AUTUMN, year) == named["Mid-Autumn Festival"]
    first_day = named["Chinese New Year (Spring Festival)"]
    eve = 1 if year >= 2025 else 0  # from 2025 the 春节 rest begins on 除夕 at the latest
    assert festivals.festival_day(festivals.SPRING, year).toordinal() == first_day.toordinal() - eve


# --- the year rule --------------------------------------------------------------------------

YEAR_RULE = [
    # (cell, 交办日期, year_hint, today, expected, where the year came from)
    ("9月底前", D("2026-03-10"), None, D("2026-05-01"), "2026-09-30", "年份取自交办日期"),
    ("3月底前", D("2026-10-09"), None, D("2026-05-01"), "2027-03-31", "顺延至次年"),
    ("6月10日前", D("2026-06-10"), None, D("2026-05-01"), "2026-06-10", "年份取自交办日期"),
    ("6月9日前", D("2026-06-10"), None, D("2026-05-01"), "2027-06-09", "顺延至次年"),
    ("一季度", D("2026-05-20"), 2026, D("2026-05-01"), "2027-03-31", "顺延至次年"),
    ("春节前", D("2026-03-02"), None, D("2026-05-01"), "2027-02-04", "顺延至次年"),
    ("元旦前", D("2025-12-10"), None, D("2026-05-01"), "2025-12-31", "年份取自交办日期"),
    ("9月底前", None, 2025, D("2026-05-01"), "2025-09-30", "年份取自台账标题"),
    ("3月底前", None, 2026, D("2026-10-09"), "2026-03-31", "年份取自台账标题"),  # no rolling
    ("9月底前", None, None, D("2027-01-15"), "2027-09-30", "年份取自今天"),
    ("2025年9月底前", D("2026-03-01"), None, D("2026-05-01"), "2025-09-30", ""),
    ("2027年3月底", None, 2026, D("2026-05-01"), "2027-03-31", ""),
    ("明年春节前", D("2026-03-01"), None, D("2026-05-01"), "2027-02-04", ""),
    ("明年底", None, 2025, D("2026-05-01"), "2026-12-31", ""),
    ("今年底", D("2026-11-30"), None, D("2026-05-01"), "2026-12-31", ""),
]


@pytest.mark.parametrize(
    ("text", "assigned", "hint", "today", "expected", "source"),
    YEAR_RULE,
    ids=[f"{r[0]}-{r[1] or r[2] or r[3]}" for r in YEAR_RULE],
)
def test_year_rule(text, assigned, hint, today, expected, source):
    reading = read(text, assigned=assigned, hint=hint, today=today)
    assert reading.deadline == D(expected)
    assert source in reading.rule
    if not source:
        assert "年份" not in reading.rule and "顺延" not in reading.rule


def test_a_year_less_date_takes_the_year_rule_not_today():
    reading = read("6月30日", assigned=D("2025-01-02"), today=D("2026-05-01"))
    assert (reading.deadline, reading.from_words) == (D("2025-06-30"), True)


PLAIN = [
    date(2026, 9, 30),
    datetime(2026, 9, 30, 0, 0),
    datetime(2026, 9, 30, 15, 30),
    (date(2026, 9, 30) - date(1899, 12, 30)).days,  # an Excel serial
    float((date(2026, 9, 30) - date(1899, 12, 30)).days),
    "2026-09-30",
    "2026/9/30",
    "2026.9.30",
    "2026年9月30日",
    "20260930",
    "2026-09-30 10:00",
    "２０２６－０９－３０",
]


@pytest.mark.parametrize("value", PLAIN, ids=[repr(v) for v in PLAIN])
def test_plain_dates_read_exactly_as_parse_date(value):
    reading = read(value, assigned=D("2027-05-01"), hint=2025)
    assert reading.deadline == parse_date(value, today=D("2026-05-01")) == D("2026-09-30")
    assert (reading.from_words, reading.stages, reading.rule) == (False, (), "日期")


@pytest.mark.parametrize("value", [True, time(9, 30), 5, 99999999, "2026-13-05", None])
def test_plain_values_parse_date_refuses_are_refused_the_same(value):
    with pytest.raises(ValueError) as ours:
        read(value)
    with pytest.raises(ValueError) as theirs:
        parse_date(value, today=D("2026-05-01"))
    assert str(ours.value) == str(theirs.value)


# --- several times in one cell --------------------------------------------------------------

STAGES = [
    ("9月底前完成主体，12月底前全面完工", D("2026-03-01"), None, "2026-12-31", ["2026-09-30"]),
    (
        "6月底前完成方案；9月底前开工；12月底前完工",
        D("2026-03-01"),
        None,
        "2026-12-31",
        ["2026-06-30", "2026-09-30"],
    ),
    (
        "2026年9月底前完成主体，12月底前全面完工",
        D("2025-11-01"),
        None,
        "2026-12-31",
        ["2026-09-30"],
    ),
    ("12月底前启动，3月底前完成", D("2026-10-09"), None, "2027-03-31", ["2026-12-31"]),
    ("12月底前启动，次年3月底前完成", None, 2026, "2027-03-31", ["2026-12-31"]),
    ("立行立改，9月底前全面完成", D("2026-03-02"), None, "2026-09-30", ["2026-03-09"]),
    ("3月至6月", D("2026-01-05"), None, "2026-06-30", []),  # a range: 3月 is its start
    ("2026.3-2026.6", None, None, "2026-06-30", []),
    ("9月底前完成，9月30日前验收", D("2026-01-05"), None, "2026-09-30", []),
    ("一季度末完成投资50%，年底前完成", D("2026-01-05"), None, "2026-12-31", ["2026-03-31"]),
    ("新建3个站点，10月中旬前完工", D("2026-01-05"), None, "2026-10-20", []),
]


@pytest.mark.parametrize(
    ("text", "assigned", "hint", "expected", "stages"), STAGES, ids=[s[0] for s in STAGES]
)
def test_stages(text, assigned, hint, expected, stages):
    reading = read(text, assigned=assigned, hint=hint)
    assert reading.deadline == D(expected)
    assert reading.stages == tuple(D(s) for s in stages)


def test_the_same_cell_read_twice_with_another_calendar_follows_that_calendar():
    # settled answers are kept per calendar, so 节假日调整 of another ledger never leaks in
    assert read("国庆节前", hint=2026, cal=WorkCalendar()).deadline == D("2026-09-30")
    moved = WorkCalendar({D("2026-09-30"): False})
    assert read("国庆节前", hint=2026, cal=moved).deadline == D("2026-09-29")
    assert read("国庆节前", hint=2026, cal=moved).deadline == D("2026-09-29")


def test_stages_are_labelled_in_the_rule():
    assert "阶段节点" in read("9月底前完成主体，12月底前全面完工", hint=2026).rule


# --- counted from 交办日期 ------------------------------------------------------------------

FROM_ASSIGNMENT = [
    # 2026: 国庆 10/1–10/7, Saturday 10/10 上班 → 9/30, 10/8, 10/9, 10/10, 10/12
    ("立行立改", D("2026-09-29"), 5, "2026-10-12"),
    # 2025: Sunday 1/26 上班, 春节 1/28–2/4 → 1/26, 1/27, 2/5, 2/6, 2/7
    ("即知即改", D("2025-01-24"), 5, "2025-02-07"),
    ("立即整改", D("2026-03-02"), 3, "2026-03-05"),
    ("马上办", D("2026-03-02"), 1, "2026-03-03"),
    ("马上就办", D("2027-03-01"), 5, "2027-03-08"),
    # 中秋 9/25–9/27 and 国庆 10/1–10/7 skipped, Saturday 10/10 counted
    ("15个工作日内", D("2026-09-22"), 5, "2026-10-20"),
    ("交办后十个工作日内办结", D("2026-03-02"), 5, "2026-03-16"),
    # 10 calendar days: 10/5 is in the 国庆 rest, so the next working day (民法典第二百零三条)
    ("10日内", D("2026-09-25"), 5, "2026-10-08"),
    ("收到后7天内反馈", D("2026-03-02"), 5, "2026-03-09"),
]


@pytest.mark.parametrize(
    ("text", "assigned", "n", "expected"), FROM_ASSIGNMENT, ids=[f[0] for f in FROM_ASSIGNMENT]
)
def test_counted_from_assignment(text, assigned, n, expected):
    assert read(text, assigned=assigned, n=n).deadline == D(expected)


@pytest.mark.parametrize("text", ["立行立改", "15个工作日内", "10日内"])
def test_counted_from_assignment_needs_an_assignment_date(text):
    with pytest.raises(ValueError, match="交办日期"):
        read(text, hint=2026)


# --- ongoing ---------------------------------------------------------------------------------

ONGOING = ["长期", "长期坚持", "持续推进", "常态化", "持续", "长效", "按序时推进", "按进度推进"]
ONGOING += ["常年", "常态化开展", "长期落实", "持续开展", "长期坚持、常态化推进", " 长 期 "]


@pytest.mark.parametrize("text", ONGOING)
def test_ongoing(text):
    reading = read(text)
    assert (reading.deadline, reading.ongoing, reading.stages) == (None, True, ())


# --- refused, with a reason -----------------------------------------------------------------

REFUSED = [
    ("尽快", "没有具体日期"),
    ("近期完成", "没有具体日期"),
    ("适时", "没有具体日期"),
    ("待定", "没有具体日期"),
    ("下月", "几月"),
    ("月底", "几月"),
    ("本月底前", "几月"),
    ("中旬", "几月"),
    ("本季度末", "哪个季度"),
    ("13月底", "没有 13 月"),
    ("0月", "没有 0 月"),
    ("第5季度", "没有第 5 季度"),
    ("2026-02-30", "2026 年 2 月没有 30 日"),
    ("9月31日前", "2026 年 9 月没有 31 日"),
    ("2月29日前", "2026 年 2 月没有 29 日"),
    ("6月前", "6月底前"),
    ("6月份以前", "6月底前"),
    ("三季度前", "季度末前"),
    ("上半年前", "不明确"),
    ("2027年前", "2027年底前"),
    ("年前", "春节前"),
    ("年初", "不明确"),
    ("6月初", "6月上旬"),
    ("6月中", "6月中旬"),
    ("9月底左右", "不是确定的期限"),
    ("国庆节后", "节前"),
    ("春节", "节前"),
    ("节前", "哪个节日"),
    ("9月底后", "开始时间"),
    ("9月起", "开始时间"),
    ("9月底前完成，长期坚持", "长期"),
    ("立行立改，长期坚持", "长期"),
    ("长期坚持不懈", "长期"),
    ("每月10日前报送进展", "反馈周期"),
    ("12月底前完成，9月底前启动", "先后"),
    ("两周内", "一段时间"),
    ("三年内", "一段时间"),
    ("半年内完成", "一段时间"),
    ("3个月内", "一段时间"),
    ("9.30前", "9月30日前"),
    ("按要求办理", "无法识别"),
    ("1985年底", "不在合理范围"),
    ("", "为空"),
    ("  ", "为空"),
    (2027, "2027年底"),
    (2026.1, "2026年10月"),
]


@pytest.mark.parametrize(("value", "reason"), REFUSED, ids=[repr(r[0]) for r in REFUSED])
def test_refused(value, reason):
    with pytest.raises(ValueError) as refused:
        read(value, assigned=D("2026-01-05"))
    assert reason in str(refused.value)
    assert re.search(r"[\u4e00-\u9fff]", str(refused.value))


def test_order_is_checked_with_the_year_rule():
    with pytest.raises(ValueError, match="跨年的请写明年份"):
        read("12月底前启动，3月底前完成", hint=2026)


def test_a_number_cell_excel_kept_as_year_and_month():
    assert read(2026.6, hint=2025).deadline == D("2026-06-30")
    assert read(2026.12, hint=2025).deadline == D("2026-12-31")


def test_every_example_in_the_fix_hint_is_accepted():
    quoted = re.findall(r"“([^”]+)”", ACCEPTED_FORMS)
    listed = re.sub(r"（[^）]*）|“[^”]+”", "", ACCEPTED_FORMS).split("：", 1)[1]
    examples = quoted + [
        e for e in re.split(r"[、；，]", listed) if e and not e.startswith(("分阶段", "没有"))
    ]
    assert len(examples) >= 15, examples
    for example in examples:
        read(example, assigned=D("2026-01-05"))


# --- the year of a ledger ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("XX县2026年督查事项台账", 2026),
        ("2026", 2026),
        ("2026年度重点工作", 2026),
        ("二〇二六年督办台账", 2026),
        ("县政府常务会议〔2025〕5号议定事项（2026年）", 2026),
        ("2025—2026年", None),
        ("督查事项台账", None),
        ("12345热线交办件", None),
    ],
)
def test_year_in(text, year):
    assert year_in(text) == year


# --- the page staff read ------------------------------------------------------------------------


def doc_examples():
    """Rows of docs/deadlines.md's example tables: | `写法` | … | 2026-09-30 |."""
    row = re.compile(r"^\|\s*`([^`]+)`\s*\|.*\|\s*(\d{4}-\d{2}-\d{2}|长期|不接受)\s*\|$", re.M)
    return row.findall(DOC.read_text(encoding="utf-8"))


def test_the_page_shows_every_kind_of_form():
    shown = {text for text, _ in doc_examples()}
    assert len(shown) >= 40
    for form in ("9月底前", "三季度末", "国庆节前", "立行立改", "长期坚持", "尽快"):
        assert form in shown


@pytest.mark.parametrize(("text", "answer"), doc_examples())
def test_doc_example(text, answer):
    """Every example on the page reads as the page says, with its stated 交办日期 2026-03-10."""
    if answer == "不接受":
        with pytest.raises(ValueError):
            read(text, assigned=D("2026-03-10"))
        return
    reading = read(text, assigned=D("2026-03-10"))
    if answer == "长期":
        assert reading.ongoing
    else:
        assert reading.deadline == D(answer)
