"""审定 before issue (docs/letters.md 审定): 送审稿 → 已审定 → 文号, 退回, and only issued letters go out.

Ledgers are written by xlsxwriter; staff's 审定 is typed into 发文登记 with openpyxl (another
program than ours); the daily job mails through a real SMTP server on loopback. Dates:
2026-11-20 is a Friday, 11-23 a Monday, 11-24 a Tuesday.
"""

from __future__ import annotations

import email
import email.policy
import io
import sqlite3
from datetime import date, datetime
from pathlib import Path

import docx
import openpyxl
import pytest
from click.testing import CliRunner
from fixtures_xlsx import good_row, write_ledger
from smtpd_fixture import smtp_server
from test_daily import FakeClock
from test_letters import add_letter_log
from test_paths import LONG_UNIT, ODD_A, ODD_B, _ledger_with_hostile_units

from automation.cli import cli
from automation.history import History
from automation.letters import drafts, review
from automation.letters.issue import LetterRequest
from automation.mail.daily import run_daily
from automation.models import Letter
from automation.refresh import refresh
from automation.schema import LetterState

D1, D2, D3 = date(2026, 11, 20), date(2026, 11, 23), date(2026, 11, 24)
ROWS = [
    # deadline Tue 11-17: on 11-20 overdue 3 working days -> 催办
    good_row(2, 事项内容="道路改造", 办结时限=date(2026, 11, 17), 反馈周期="无"),
    # deadline Tue 11-10: overdue 8 working days -> 限期整改 (and 催办)
    good_row(3, 事项内容="管网更新", 办结时限=date(2026, 11, 10), 反馈周期="无"),
]
BASE = [("联系人", "周敏"), ("联系电话", "0370-5551234")]
DRAFT_DIR = "输出/2026-11-20/送审稿"
APPROVED_ONLY = LetterRequest(due=False)  # what `duban refresh` without --letters asks for


def make(folder: Path, settings=(), hook=None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return write_ledger(folder / "台账.xlsx", ROWS, settings=[*BASE, *settings], hook=hook)


@pytest.fixture
def ledger(tmp_path) -> Path:
    return make(tmp_path / "office")


def log(path: Path) -> list[dict]:
    """Return 发文登记 as dicts by header (what staff see)."""
    rows = list(openpyxl.load_workbook(path)["发文登记"].iter_rows(values_only=True))
    return [dict(zip(rows[0], r, strict=False)) for r in rows[1:] if any(r)]


def decide(path: Path, letter_type: str, state: str, reviewer=None, on=None) -> None:
    """Type a decision into the 发文登记 row of a 送审稿, as staff do in Excel."""
    wb = openpyxl.load_workbook(path)
    ws = wb["发文登记"]
    header = [c.value for c in ws[1]]
    col = {h: i + 1 for i, h in enumerate(header)}
    for r in range(2, ws.max_row + 1):
        if ws.cell(r, col["类型"]).value == letter_type and not ws.cell(r, col["文号"]).value:
            ws.cell(r, col["状态"], state)
            ws.cell(r, col["审定人"], reviewer)
            ws.cell(r, col["审定日期"], on)
            break
    else:
        raise AssertionError(f"no 送审稿 of {letter_type}")
    wb.save(path)


def reserved(path: Path) -> list[tuple[str, int]]:
    """Return every 文号 number reserved in the history database."""
    db = sqlite3.connect(path.parent / ".duban" / "history.sqlite")
    try:
        return db.execute("SELECT type, seq FROM doc_number ORDER BY rowid").fetchall()
    finally:
        db.close()


def texts(source) -> tuple[list[str], list[str]]:
    """Return (body paragraphs incl. table cells, header paragraphs) of a .docx."""
    d = docx.Document(source)
    body = [p.text for p in d.paragraphs]
    body += [c.text for t in d.tables for row in t.rows for c in row.cells]
    headers = [
        p.text
        for s in d.sections
        for h in (s.header, s.even_page_header, s.first_page_header)
        for p in h.paragraphs
    ]
    return body, headers


def reminder_counts(report) -> dict[str, int]:
    return {r.item_id: r.reminder_count for r in report.outcome.results}


def test_a_draft_has_no_number_and_counts_for_nothing(ledger):
    report = refresh(ledger, today=D1, letters=LetterRequest())
    assert report.letters == []
    assert sorted(d.type for d in report.drafts) == ["催办函", "限期整改通知书"]
    rows = log(ledger)
    assert [(r["文号"], r["类型"], r["状态"]) for r in rows] == [
        (None, "催办函", "待审定"),
        (None, "限期整改通知书", "待审定"),
    ]
    assert rows[0]["文件"] == f"{DRAFT_DIR}/县财政局-催办函-送审稿.docx"
    assert reserved(ledger) == []  # no number is taken for a 送审稿
    body, headers = texts(ledger.parent / rows[0]["文件"])
    assert "送审稿" in headers
    assert "催办〔2026〕 号" in body and not any("催办〔2026〕1" in t for t in body)
    # a 送审稿 escalates nothing: no 催办函 counted yet
    assert reminder_counts(report) == {"DB-2026-002": 0, "DB-2026-003": 0}
    with History(ledger) as history:
        assert history.letters() == []
        kept = history.drafts(r["文件"] for r in rows)
    assert {k.state for k in kept.values()} == {LetterState.PENDING}
    # the next run does not draft the same letters again while they wait
    again = refresh(ledger, today=D2, letters=LetterRequest())
    assert again.drafts == [] and len(log(ledger)) == 2
    assert "另有 2 份送审稿待审定" in again.summary()


def test_approving_reserves_exactly_one_number_and_writes_the_final_letter(ledger):
    refresh(ledger, today=D1, letters=LetterRequest())
    decide(ledger, "催办函", "已审定", "王立新", datetime(2026, 11, 23))
    # a plain refresh (no --letters) numbers what staff approved
    result = CliRunner().invoke(cli, ["refresh", str(ledger), "--today", D2.isoformat()])
    assert result.exit_code == 0, result.output
    assert "已发文 1 份：催办函 1" in result.output
    assert reserved(ledger) == [("催办函", 1)]
    rows = log(ledger)
    final = "输出/2026-11-23/催办函/县财政局-催办函-催办〔2026〕1号.docx"
    assert rows[0] == {
        "文号": "催办〔2026〕1号",
        "类型": "催办函",
        "日期": datetime(2026, 11, 23),
        "责任单位": "县财政局",
        "事项编号": "DB-2026-002、DB-2026-003",
        "文件": final,
        "状态": "已发出",
        "审定人": "王立新",
        "审定日期": datetime(2026, 11, 23),
    }
    assert rows[1]["状态"] == "待审定" and rows[1]["文号"] is None
    body, headers = texts(ledger.parent / final)
    assert "送审稿" not in headers
    assert "催办〔2026〕1号" in body
    # dated the day it is issued: 成文日期 and the reply period (3 working days) count from it
    assert "2026年11月23日" in body
    assert any("于2026年11月26日前" in t for t in body)
    assert (ledger.parent / DRAFT_DIR / "县财政局-催办函-送审稿.docx").is_file()  # kept
    with History(ledger) as history:
        assert [x.doc_no for x in history.letters()] == ["催办〔2026〕1号"]
    # issued now, so it counts: 已催办次数 1 for both items
    again = refresh(ledger, today=D2, letters=APPROVED_ONLY)
    assert reminder_counts(again) == {"DB-2026-002": 1, "DB-2026-003": 1}
    assert reserved(ledger) == [("催办函", 1)]  # nothing numbered twice


def test_an_approval_without_reviewer_or_date_waits_and_says_which_cell(ledger):
    refresh(ledger, today=D1, letters=LetterRequest())
    decide(ledger, "催办函", "已审定")
    report = refresh(ledger, today=D2, letters=LetterRequest())
    assert report.letters == [] and reserved(ledger) == []
    found = {(p.where, p.message) for p in report.problems}
    assert ("发文登记!H2", "送审稿已标为“已审定”，但审定人为空，暂不编号发出") in found
    assert ("发文登记!I2", "送审稿已标为“已审定”，但审定日期为空，暂不编号发出") in found


def test_rejecting_reserves_none_and_the_letter_is_drafted_again_the_next_day(ledger):
    refresh(ledger, today=D1, letters=LetterRequest())
    decide(ledger, "催办函", "退回")
    report = refresh(ledger, today=D2, letters=LetterRequest())
    assert reserved(ledger) == [] and report.letters == []
    assert report.drafts == []  # not drafted again the day it was sent back
    assert [r["状态"] for r in log(ledger)] == ["退回", "待审定"]
    with History(ledger) as history:
        [kept] = history.drafts([f"{DRAFT_DIR}/县财政局-催办函-送审稿.docx"]).values()
    assert (kept.state, kept.decided_on) == (LetterState.REJECTED, D2)
    # still overdue the next working day: a new 送审稿, under that day's folder
    later = refresh(ledger, today=D3, letters=LetterRequest())
    assert [(d.type, d.file) for d in later.drafts] == [
        ("催办函", "输出/2026-11-24/送审稿/县财政局-催办函-送审稿.docx")
    ]
    assert reserved(ledger) == []


def test_two_drafts_of_one_unit_type_and_day_never_replace_each_other(tmp_path):
    first = drafts.write_draft(tmp_path / "台账.xlsx", D1, "催办函", "县财政局", b"one")
    second = drafts.write_draft(tmp_path / "台账.xlsx", D1, "催办函", "县财政局", b"two")
    assert first != second and first.parent == second.parent
    assert (first.read_bytes(), second.read_bytes()) == (b"one", b"two")
    assert second.name == "县财政局-催办函-送审稿2.docx"


def test_an_edited_draft_is_issued_as_staff_left_it(ledger):
    refresh(ledger, today=D1, letters=LetterRequest())
    path = ledger.parent / DRAFT_DIR / "县财政局-催办函-送审稿.docx"
    d = docx.Document(path)
    # Word keeps edited text in several runs: split the blank 文号 across two of them
    [number] = [p for p in d.paragraphs if p.text == "催办〔2026〕 号"]
    run = number.runs[0]
    run.text = "催办〔2026"
    tail = number.add_run("〕 号")
    tail.font.size = run.font.size
    d.add_paragraph("（经县政府办公室主任审定：限三日内报送。）")
    d.save(path)
    decide(ledger, "催办函", "已审定", "王立新", datetime(2026, 11, 23))
    report = refresh(ledger, today=D2, letters=APPROVED_ONLY)
    [letter] = report.letters
    body, headers = texts(ledger.parent / letter.file)
    assert "催办〔2026〕1号" in body
    assert "（经县政府办公室主任审定：限三日内报送。）" in body  # the edit is kept
    assert "送审稿" not in headers
    assert reserved(ledger) == [("催办函", 1)]


def test_a_draft_that_lost_its_blank_number_is_not_numbered(ledger):
    refresh(ledger, today=D1, letters=LetterRequest())
    path = ledger.parent / DRAFT_DIR / "县财政局-催办函-送审稿.docx"
    d = docx.Document(path)
    for p in d.paragraphs:
        if p.text == "催办〔2026〕 号":
            p.runs[0].text = "（文号）"
    d.save(path)
    decide(ledger, "催办函", "已审定", "王立新", datetime(2026, 11, 23))
    report = refresh(ledger, today=D2, letters=APPROVED_ONLY)
    assert report.letters == [] and reserved(ledger) == []
    [problem] = [p for p in report.problems if p.sheet == "发文登记"]
    assert problem.cell == "F2" and "找不到空白文号“催办〔2026〕 号”" in problem.message


def test_the_daily_job_mails_only_issued_letters(tmp_path):
    ledger = make(tmp_path / "office", settings=[("领导邮箱", "leader@example.cn")])

    def day(when: date, server) -> dict[str, email.message.EmailMessage]:
        clock = FakeClock(datetime(when.year, when.month, when.day, 8, 30))
        before = len(server.recorder.received)
        result = run_daily(
            ledger, once=True, clock=clock, sleep=clock.sleep, env=server.env, console=False
        )
        assert result.ok, result.error
        return {r.rcpt_tos[0]: r.message for r in server.recorder.received[before:]}

    with smtp_server(tmp_path / "smtp") as server:
        first = day(D1, server)
        assert list(first["cz@example.cn"].iter_attachments()) == []  # only 送审稿 so far
        assert (ledger.parent / DRAFT_DIR / "县财政局-催办函-送审稿.docx").is_file()
        decide(ledger, "催办函", "已审定", "王立新", datetime(2026, 11, 23))
        second = day(D2, server)
    [attachment] = list(second["cz@example.cn"].iter_attachments())
    assert attachment.get_filename() == "县财政局-催办函-催办〔2026〕1号.docx"
    body, headers = texts(io.BytesIO(attachment.get_content()))
    assert "催办〔2026〕1号" in body and "送审稿" not in headers
    raw = email.message_from_bytes(second["cz@example.cn"].as_bytes(), policy=email.policy.default)
    assert "送审稿" not in {a.get_filename() or "" for a in raw.iter_attachments()}


def test_issued_files_lists_only_issued_letters(tmp_path):
    (tmp_path / "a.docx").write_bytes(b"x")
    (tmp_path / "a.pdf").write_bytes(b"x")
    (tmp_path / "b.docx").write_bytes(b"x")
    letters = [
        Letter("催办〔2026〕1号", "催办函", D1, "县财政局", (), "a.docx", LetterState.ISSUED),
        Letter("", "催办函", D1, "县财政局", (), "b.docx", LetterState.PENDING),
        Letter("", "催办函", D1, "县财政局", (), "b.docx", LetterState.APPROVED),
    ]
    found = review.issued_files(tmp_path, letters, day=D1, unit="县财政局", letter_type="催办函")
    assert [p.name for p in found] == ["a.docx", "a.pdf"]
    assert [x.issued for x in letters] == [True, False, False]
    hand = Letter("催办〔2026〕7号", "黄牌", D1)  # registered by hand, no 状态
    assert hand.issued


@pytest.mark.parametrize(
    ("settings", "issued", "drafted"),
    [
        # delegated: routine letters go out directly, 限期整改通知书 still needs 审定
        ([("文书须审定", "否")], ["催办函"], ["限期整改通知书"]),
        ([("文书须审定", "否"), ("须审定文书", "无")], ["催办函", "限期整改通知书"], []),
        ([("文书须审定", "否"), ("须审定文书", "催办函")], ["限期整改通知书"], ["催办函"]),
        ([("文书须审定", "是"), ("须审定文书", "无")], [], ["催办函", "限期整改通知书"]),
    ],
)
def test_the_setting_restores_direct_issue(tmp_path, settings, issued, drafted):
    ledger = make(tmp_path / "office", settings=settings)
    report = refresh(ledger, today=D1, letters=LetterRequest())
    assert [x.type for x in report.letters] == issued
    assert [d.type for d in report.drafts] == drafted
    assert all(x.doc_no.endswith("1号") for x in report.letters)
    assert [t for t, _ in reserved(ledger)] == issued
    states = {r["类型"]: r["状态"] for r in log(ledger)}
    assert states == {**dict.fromkeys(issued, "已发出"), **dict.fromkeys(drafted, "待审定")}


def test_a_bad_review_setting_names_its_cell(tmp_path):
    ledger = make(tmp_path / "office", settings=[("文书须审定", "否"), ("须审定文书", "通知")])
    report = refresh(ledger, today=D1, dry_run=True, letters=LetterRequest())
    [problem] = [p for p in report.problems if p.sheet == "参数设置"]
    assert problem.cell == "B5" and "“通知”不是文书类型" in problem.message
    assert "试运行：将发文 催办函 1 份；生成送审稿 限期整改通知书 1 份" in report.summary()


def test_an_office_letter_log_gets_the_review_columns(tmp_path):
    ledger = make(tmp_path / "office", hook=add_letter_log)
    refresh(ledger, today=D1, letters=LetterRequest())
    ws = openpyxl.load_workbook(ledger)["发文登记"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    assert rows[0] == [
        "日期", "文号", "责任单位", "类型", "事项编号", "文件", "备注", "状态", "审定人", "审定日期",
    ]  # fmt: skip
    assert rows[1][:7] == [
        "2026-06-01",
        "催办〔2026〕7号",
        "县财政局",
        "催办函",
        "DB-2026-099",
        None,
        "手工登记",
    ]  # fmt: skip  -- the staff's row, untouched
    assert [(r[3], r[1], r[7]) for r in rows[2:]] == [
        ("催办函", None, "待审定"),
        ("限期整改通知书", None, "待审定"),
    ]


def test_an_unknown_state_is_a_problem_naming_the_cell(tmp_path):
    def letter_log(wb, ws, header_row):
        sheet = wb.add_worksheet("发文登记")
        sheet.write_row(0, 0, ["文号", "类型", "日期", "责任单位", "事项编号", "文件", "状态"])
        sheet.write_row(1, 0, ["", "催办函", "2026-11-19", "县财政局", "DB-2026-002", "", "审核中"])

    ledger = make(tmp_path / "office", hook=letter_log)
    report = refresh(ledger, today=D1, dry_run=True)
    [problem] = [p for p in report.problems if p.sheet == "发文登记"]
    assert problem.where == "发文登记!G2"
    assert problem.message == "状态“审核中”无法识别"
    assert "待审定、已审定、已发出、退回" in problem.fix


def test_an_older_copy_put_back_never_issues_a_letter_twice(ledger, tmp_path):
    refresh(ledger, today=D1, letters=LetterRequest())
    decide(ledger, "催办函", "已审定", "王立新", datetime(2026, 11, 23))
    approved = ledger.read_bytes()
    refresh(ledger, today=D2, letters=APPROVED_ONLY)
    ledger.write_bytes(approved)  # staff restore the copy from before the letter went out
    report = refresh(ledger, today=D3, letters=APPROVED_ONLY)
    assert report.letters == [] and reserved(ledger) == [("催办函", 1)]
    assert (log(ledger)[0]["文号"], log(ledger)[0]["状态"]) == ("催办〔2026〕1号", "已发出")
    assert "此前已编号发出（催办〔2026〕1号），已补回文号，未重复发文" in report.summary()


def test_units_with_impossible_names_get_their_own_drafts(tmp_path):
    ledger = _ledger_with_hostile_units(tmp_path / "office", settings=())
    report = refresh(ledger, today=D1, letters=LetterRequest())
    drafted = {d.unit: d.file for d in report.drafts if d.type == "催办函"}
    assert set(drafted) == {LONG_UNIT, "县财政局", ODD_A, ODD_B}
    assert len(set(drafted.values())) == 4  # 县自然资源局:/? 执法大队 do not share one file
    assert all((ledger.parent / f).is_file() for f in drafted.values())
