"""The normalisers on their own: every input form of docs/rules.md §3.1, §11, and junk that must be refused."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from automation.ledger.normalize import (
    UnitMatcher,
    assign_ids,
    duplicate_ids,
    header_key,
    is_ongoing,
    parse_date,
    parse_progress,
)
from automation.models import Item, Unit

TODAY = date(2026, 10, 9)


@pytest.mark.parametrize(
    "value, expected",
    [
        (date(2026, 3, 5), date(2026, 3, 5)),
        (datetime(2026, 3, 5, 14, 30), date(2026, 3, 5)),
        (46086, date(2026, 3, 5)),
        (46086.75, date(2026, 3, 5)),
        ("2026-3-5", date(2026, 3, 5)),
        ("2026/03/05", date(2026, 3, 5)),
        ("2026.3.5", date(2026, 3, 5)),
        ("2026年3月5日", date(2026, 3, 5)),
        ("2026年3月5号", date(2026, 3, 5)),
        ("3月5日", date(2026, 3, 5)),
        (" 2026 - 3 - 5 ", date(2026, 3, 5)),
        ("２０２６年３月５日", date(2026, 3, 5)),
        ("２０２６．３．５", date(2026, 3, 5)),
        ("2026-03-05 00:00:00", date(2026, 3, 5)),
        ("20260305", date(2026, 3, 5)),
        ("\u30002026-3-5\u3000", date(2026, 3, 5)),
    ],
)
def test_parse_date_accepts_every_form(value, expected):
    assert parse_date(value, today=TODAY) == expected


def test_month_day_takes_the_year_of_today():
    assert parse_date("3月5日", today=date(2027, 1, 2)) == date(2027, 3, 5)


@pytest.mark.parametrize(
    "value, reason",
    [
        ("2026.13.5", "没有 13 月"),
        ("2026-2-30", "2026 年 2 月没有 30 日"),
        ("下周一", "无法识别"),
        ("46086", "无法识别"),  # a serial typed as text is not guessed at
        (5, "合理的日期范围"),
        (date(1926, 3, 5), "年份 1926 不在合理范围"),
        ("1926-3-5", "年份 1926 不在合理范围"),
        (99999999, "合理的日期范围"),
        (float("nan"), "合理的日期范围"),
        (time(9, 30), "时间而不是日期"),
        (True, "逻辑值"),
        ("", "为空"),
    ],
)
def test_parse_date_refuses_with_a_reason(value, reason):
    with pytest.raises(ValueError, match=reason):
        parse_date(value, today=TODAY)


@pytest.mark.parametrize("text", ["长期", "持续推进", "常态化", " 长 期 ", "常态化\u3000"])
def test_ongoing_words(text):
    assert is_ongoing(text)


@pytest.mark.parametrize("value", ["2026-3-5", "长期推进中", "", None, 46086])
def test_not_ongoing(value):
    assert not is_ongoing(value)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("80%", 80.0),
        ("８０％", 80.0),
        ("80 %", 80.0),
        ("0.5%", 0.5),
        (0.8, 80.0),
        ("0.8", 80.0),
        (80, 80.0),
        ("80", 80.0),
        (80.5, 80.5),
        (1, 100.0),  # the [0, 1] rule: 1 is a whole, as Excel stores 100%
        (0, 0.0),
        (100, 100.0),
    ],
)
def test_parse_progress(value, expected):
    assert parse_progress(value) == expected


@pytest.mark.parametrize(
    "value, reason",
    [
        ("120", "超过"),
        (101, "超过"),
        ("150%", "超过"),
        (-5, "负数"),
        ("过半", "不是数字"),
        (True, "不是数字"),
        (float("inf"), "不是数字"),
    ],
)
def test_parse_progress_refuses(value, reason):
    with pytest.raises(ValueError, match=reason):
        parse_progress(value)


UNITS = [
    Unit("县交通运输局", aliases=("交通局", "县交通局")),
    Unit("县住房和城乡建设局", aliases=("县住建局",)),
    Unit("县财政局"),
]


@pytest.mark.parametrize(
    "typed, canonical",
    [
        ("县交通运输局", "县交通运输局"),
        ("县交通运输局 ", "县交通运输局"),
        ("县 交通运输局", "县交通运输局"),
        ("交通局", "县交通运输局"),
        ("县住建局\u3000", "县住房和城乡建设局"),
        ("ＸＸ", None),
        ("县交通运局", None),
    ],
)
def test_unit_matcher(typed, canonical):
    assert UnitMatcher(UNITS).match(typed) == canonical


def test_unit_suggestions_name_the_nearest_units():
    matcher = UnitMatcher(UNITS)
    assert matcher.suggest("县交通运局")[0] == "县交通运输局"
    assert matcher.suggest("住建")[0] == "县住房和城乡建设局"
    assert matcher.suggest("县公安局") == []


def test_header_key_tolerates_full_width_spaces_and_required_marks():
    assert header_key("办结 时限") == "办结时限"
    assert header_key("\u3000责任单位*") == "责任单位"
    assert header_key("事项内容（必填）") == "事项内容"
    assert header_key("完成进度(%)") == "完成进度(%)"  # other decorations are not stripped


def test_assign_ids_continues_after_the_highest_of_that_year():
    items = [
        Item(row=3, id="DB-2026-007"),
        Item(row=4, id="DB-2025-030"),
        Item(row=5, id="", assigned_on=date(2026, 2, 1)),
        Item(row=6, id="", assigned_on=date(2025, 12, 1)),
        Item(row=7, id=""),  # no 交办日期: today's year
        Item(row=8, id="XZ-2026-100"),  # another prefix does not count
    ]
    problems = assign_ids(items, prefix="DB", today=date(2026, 10, 9), columns={"督办事项": "B"})
    assert [i.id for i in items[2:5]] == ["DB-2026-008", "DB-2025-031", "DB-2026-009"]
    assert all(i.id_assigned for i in items[2:5]) and not items[0].id_assigned
    assert [(p.cell, p.message) for p in problems] == [
        ("B5", "编号为空，已自动编号为 DB-2026-008"),
        ("B6", "编号为空，已自动编号为 DB-2025-031"),
        ("B7", "编号为空，已自动编号为 DB-2026-009"),
    ]


def test_duplicate_ids_are_reported_on_later_rows_and_kept_as_typed():
    items = [
        Item(row=3, id="DB-2026-001"),
        Item(row=4, id="DB-2026-002"),
        Item(row=9, id="DB-2026-001"),
    ]
    problems = duplicate_ids(items, columns={"督办事项": "A"})
    assert [(p.cell, p.message) for p in problems] == [("A9", "编号“DB-2026-001”与第 3 行重复")]
    assert items[2].id == "DB-2026-001"


junk = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.none(),
    st.dates(),
    st.datetimes(),
    st.times(),
)


@settings(max_examples=300, deadline=None)
@given(junk)
def test_parsers_raise_only_value_error(value):
    for parse in (lambda v: parse_date(v, today=TODAY), parse_progress):
        try:
            result = parse(value)
        except ValueError as e:
            assert str(e)  # always a reason
        else:
            assert result is not None
    is_ongoing(value)
    UnitMatcher(UNITS).match(str(value))
