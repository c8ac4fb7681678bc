"""The bulk row classification gives exactly the answers of asking not_an_item row by row."""

import re
from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from automation import schema
from automation.ledger import row_kinds
from automation.ledger.normalize import clean, header_key, squeeze
from automation.ledger.sheet_table import _could_make_a_non_item, non_item_test, not_an_item

BY_NAME = {header_key(n): c.key for c in schema.LEDGER_READ_COLUMNS for n in c.names}
HEADERS = sorted({n for c in schema.LEDGER_READ_COLUMNS for n in c.names})

# Pieces that make rows non-items (or nearly), in the spellings staff use.
TRICKY = [
    *HEADERS,
    *(f"{h}*" for h in HEADERS[:20]),
    *(f" {h}（必填）" for h in HEADERS[20:40]),
    *(f"{h}\n(单位：万元)" for h in HEADERS[40:60]),
    *(f"{h}（截止日期）" for h in HEADERS[60:80]),
    *(f"{h[0]}\u3000{h[1:]}" for h in HEADERS[80:100] if len(h) > 1),
    "合计", "小 计", "总计：", "累计*", "共计", "总合计",
    "注：以上事项按月更新", "注1：", "说明:", "备注 ：见附件", "附注说明：",
    "填报人：张三", "审核：李四", "制表日期：2026-03-05", "  报送日期：", "单位负责人:",
    "负责人签字", "注", "填报", "事项内容总计", "\u2f00", "ｅ\u0301", "\uf900",
    "事项内容必填必填", "责任单位必填必填必填", "合计必填必填必填必填", "县住建局", "推进第3项重点工作，按期完成", "（一）推进", "【急】事项", "[1]", "\n",
    "DB-2026-001", "办理中", "已办结", "每月5日", "", "  ", "\u3000",
]  # fmt: skip
CELLS = st.one_of(
    st.sampled_from(TRICKY),
    st.text(max_size=12),
    st.none(),
    st.integers(-5, 5),
    st.floats(allow_nan=False),
    st.just(date(2026, 3, 5)),
)
ROWS = st.lists(st.lists(CELLS, max_size=8), max_size=30)


def expected(rows):
    return {i: k for i, cells in enumerate(rows) if (k := not_an_item(cells, BY_NAME, 3))}


def bulk(rows):
    return row_kinds.kinds(
        rows,
        lambda cells: not_an_item(cells, BY_NAME, 3),
        non_item_test(BY_NAME),
    )


@settings(max_examples=400, deadline=None)
@given(ROWS)
def test_bulk_kinds_equal_row_by_row(rows):
    assert bulk(rows) == expected(rows)


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.sampled_from(TRICKY), st.text(max_size=20)))
def test_header_key_is_squeeze_of_clean_without_required_marks(text):
    # The definition header_key is a faster spelling of.
    assert header_key(text) == re.sub(r"(\*|（必填）|\(必填\)|必填)+$", "", squeeze(clean(text)))


LONG_TEXTS = st.lists(
    st.sampled_from(
        ["事项内容", "推进重点工作按期完成建设任务并报送", "必填", "必", "填", "（", "）", "(", ")",
         "\n", " ", "\u3000", "*", "合计", "注：", "１２", "a", "\u2f00", "e\u0301", "【急】"]
    ),
    max_size=8,
).map("".join)  # fmt: skip


@settings(max_examples=600, deadline=None)
@given(st.one_of(st.sampled_from(TRICKY), st.text(max_size=30), LONG_TEXTS))
def test_the_quick_answers_are_the_exact_ones(text):
    for by_name in (BY_NAME, {"email": "email", "e-mail": "email"}):
        assert non_item_test(by_name)(text) == _could_make_a_non_item(text, by_name)


def test_the_quick_answers_are_the_exact_ones_for_every_tricky_text():
    for by_name in (BY_NAME, {"email": "email", "e-mail": "email"}):
        test = non_item_test(by_name)
        assert [test(t) for t in TRICKY] == [_could_make_a_non_item(t, by_name) for t in TRICKY]


def test_every_kind_is_found_among_many_data_rows():
    data = [
        [f"DB-2026-{i:03d}", "推进重点工作，按期完成", "县住建局", date(2026, 3, 5)]
        for i in range(200)
    ]
    rows = [*data[:50], ["合计", 200], *data[50:100], ["编号", "事项内容", "责任单位", "办结时限"]]
    rows += [*data[100:], ["注：以上为 2026 年事项"], ["填报人：张三", "", "审核人：李四"]]
    rows.append(["编号（系统生成）", "事项内容\n（详细）", "责任单位【牵头】", "办结时限(截止)"])
    assert bulk(rows) == expected(rows)
    assert expected(rows) == {
        50: "total",
        101: "header",
        202: "note",
        203: "signature",
        204: "header",
    }
