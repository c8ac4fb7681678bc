"""Every output opens whatever a cell holds (issue 15 class 7).

Staff paste control characters into cells (xlsxwriter and Excel store BEL as ``_x0007_``,
which the reader decodes back to BEL); XML 1.0 cannot carry them, so one such character
made a letter Word and LibreOffice refuse to open. Each output is opened here by the
program a person would use: LibreOffice converts the letter, the form and the refreshed
ledger, python-docx and openpyxl reread them, Chromium loads the dashboard, and the mail
is parsed with the standard library's strict policy. Text that can be represented is
quoted exactly; a workbook keeps even the control characters (as Excel writes them).
"""

from __future__ import annotations

import email
import email.policy
import re
import shutil
from datetime import date, datetime
from pathlib import Path
from xml.etree import ElementTree

import docx
import openpyxl
import pytest
from conftest import convert_with_soffice
from docx.oxml.ns import qn
from fixtures_xlsx import UNITS, good_row, write_ledger
from python_calamine import CalamineWorkbook

from automation import dashboard
from automation.feedback.forms import FormKey, load_key, make_forms, write_form
from automation.feedback.replies import read_reply
from automation.ledger import reader
from automation.letters import selection
from automation.letters.docx_render import LetterTemplate, find_template
from automation.letters.issue import LetterRequest
from automation.mail.messages import build_messages
from automation.mail.notify import notify
from automation.refresh import refresh
from automation.rules import engine
from automation.xlsx.cellxml import cell_xml

TODAY = date(2026, 11, 20)  # a Friday
NOW = datetime(2026, 11, 20, 8, 30)
# BEL, VT, US and a literal "_x0041_" (which a careless writer would turn into "A").
CONTENT = "道路\x07改造\x0b二期\x1f_x0041_工程"
SHOWN = "道路改造二期_x0041_工程"  # what a document can print of it
LOOKALIKE = "县_x0041_局"  # a unit whose name looks like an escape
CR_UNIT = "县自然资源局\r执法大队"  # a carriage return pasted into a unit name
BEL_UNIT = "县审计\x07局"  # and a BEL: the dashboard's ranking prints unit names
OFFICE = "XX县人民政府\x07督查室"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
C0 = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


@pytest.fixture
def ledger(tmp_path) -> Path:
    units = [
        *UNITS,
        (LOOKALIKE, "", "x@example.cn"),
        (CR_UNIT, "", "zr@example.cn"),
        (BEL_UNIT, "", "sj@example.cn"),
    ]
    rows = [
        good_row(1, 事项内容=CONTENT, 办结时限=date(2026, 11, 17)),  # 逾期 → 催办函, mail, list
        good_row(2, 事项内容=CONTENT, 责任单位=LOOKALIKE, 办结时限=date(2026, 11, 17)),
        good_row(3, 事项内容="管网更新", 责任单位=CR_UNIT, 办结时限=date(2026, 11, 17)),
        good_row(4, 事项内容="审计整改", 责任单位=BEL_UNIT, 办结时限=date(2026, 11, 17)),
    ]
    folder = tmp_path / "office"
    folder.mkdir()
    # Letters issued directly (no 送审稿 first, docs/letters.md 审定): their files are checked here.
    settings = [("单位名称", OFFICE), ("文书须审定", "否"), ("须审定文书", "无")]
    return write_ledger(folder / "台账.xlsx", rows, units=units, settings=settings)


def text_of(letter: Path) -> str:
    """Return every run of text in a letter (paragraphs and tables) as python-docx reads it."""
    return "".join(t.text or "" for t in docx.Document(letter).element.iter(qn("w:t")))


def cells(path: Path, sheet: str) -> list[object]:
    with CalamineWorkbook.from_path(str(path)) as wb:
        return [v for row in wb.get_sheet_by_name(sheet).to_python() for v in row]


@pytest.mark.libreoffice
def test_letters_open_in_word_processors_and_quote_the_cell(ledger, tmp_path):
    report = refresh(ledger, today=TODAY, now=NOW, letters=LetterRequest())
    files = [ledger.parent / letter.file for letter in report.letters]
    assert {letter.unit for letter in report.letters} >= {"县财政局", LOOKALIKE, CR_UNIT, BEL_UNIT}
    for path in files:
        assert not C0.search(text_of(path))
    letter = next(f for f, x in zip(files, report.letters, strict=True) if x.unit == "县财政局")
    assert SHOWN in text_of(letter)
    pdf = convert_with_soffice(letter, "pdf", tmp_path / "pdf")
    assert pdf.stat().st_size > 1000


@pytest.mark.libreoffice
def test_the_refreshed_ledger_keeps_the_characters_as_excel_writes_them(ledger, tmp_path):
    refresh(ledger, today=TODAY, now=NOW)
    listed = [v for v in cells(ledger, "逾期清单") if isinstance(v, str) and "道路" in v]
    assert listed == [CONTENT, CONTENT]
    assert LOOKALIKE in cells(ledger, "逾期清单")  # not decoded into "县A局"
    openpyxl.load_workbook(ledger)  # a strict XML parser takes every part
    resaved = convert_with_soffice(ledger, "xlsx", tmp_path / "lo")  # LibreOffice reads it all
    assert LOOKALIKE in cells(resaved, "逾期清单")


@pytest.mark.libreoffice
def test_feedback_forms_open_and_their_signature_survives_the_round_trip(ledger, tmp_path):
    report = make_forms(ledger, today=TODAY)
    assert len(report.files) == 4
    key = load_key(ledger)
    units = set()
    for form in report.files:
        wb = openpyxl.load_workbook(form)  # a unit fills in the date and saves it
        wb["反馈表"]["B4"] = TODAY
        wb.save(tmp_path / form.name)
        units.add(read_reply(tmp_path / form.name, key, TODAY, []).signature.unit)
    assert units == {"县财政局", LOOKALIKE, CR_UNIT, BEL_UNIT}  # every signature verified
    form = next(f for f in report.files if f.name.startswith("县财政局"))
    assert CONTENT in cells(form, "反馈表")
    convert_with_soffice(form, "pdf", tmp_path / "pdf")


def test_mails_parse_strictly_and_carry_no_extra_header_lines(ledger):
    report = notify(ledger, today=TODAY, now=NOW)
    assert len(report.written) == 4  # no 领导邮箱: no summary
    for eml in report.written:
        raw = eml.read_bytes()
        msg = email.message_from_bytes(raw, policy=email.policy.strict)
        head = raw.split(b"\r\n\r\n", 1)[0] if b"\r\n\r\n" in raw else raw.split(b"\n\n", 1)[0]
        names = [line.split(b":", 1)[0] for line in re.split(rb"\r?\n(?![ \t])", head)]
        assert sorted(names) == sorted(
            [b"Subject", b"From", b"To", b"Date", b"Message-ID", b"MIME-Version", b"Content-Type"]
        )
        assert not C0.search(str(msg["Subject"]))
        for part in msg.walk():
            if part.get_content_maintype() == "text":
                assert not C0.search(part.get_content())
    subjects = {
        str(email.message_from_bytes(e.read_bytes(), policy=email.policy.default)["Subject"])
        for e in report.written
    }
    assert "【督办提醒】县自然资源局 执法大队：逾期1项" in subjects


def test_the_dashboard_loads_in_chromium(ledger, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed; run `make sysdeps`")
    page_file = dashboard.write_dashboard(ledger, today=TODAY, now=NOW)
    html = page_file.read_text(encoding="utf-8")
    assert not C0.search(html)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: m.type == "error" and errors.append(m.text))
        page.goto(page_file.as_uri())
        page.wait_for_load_state("load")
        assert page.title().startswith("督查督办看板 · XX县人民政府督查室")
        listed = page.locator("#overdue-rows").inner_text()
        browser.close()
    assert errors == []
    assert "_x0041_" in listed and LOOKALIKE in listed


# --- what no file can hold: lone surrogates and noncharacters, from any source ----------

UNENCODABLE = "甲\ud800乙\ufffe丙\x00丁\uffff戊\ud83d\ude00"  # the last two: one emoji as a pair
KEPT = "甲乙丙丁戊😀"


def test_characters_no_file_can_hold_are_dropped_from_every_output(ledger, tmp_path):
    book = reader.read_ledger(ledger, today=TODAY)
    item = next(i for i in book.items if i.unit == "县财政局")
    item.content = UNENCODABLE
    outcome = engine.compute(book, TODAY)

    [draft] = selection.select(book, outcome, [], TODAY, types=["催办函"], unit="县财政局")
    data = LetterTemplate(find_template("催办函.docx")).render({**draft.context, "doc_no": "1号"})
    letter = tmp_path / "letter.docx"
    letter.write_bytes(data)
    assert KEPT in text_of(letter)

    messages, _ = build_messages(book, outcome, sender="督查室 <duban@example.cn>", now=NOW)
    mail = next(m for m in messages if m.unit == "县财政局").message
    parsed = email.message_from_bytes(mail.as_bytes(), policy=email.policy.default)
    assert KEPT in parsed.get_body(("plain",)).get_content()

    pair = next((i, r) for i, r in zip(book.items, outcome.results, strict=True) if i is item)
    form = tmp_path / "form.xlsx"
    write_form(form, book, "县财政局", [pair], today=TODAY, key=FormKey("id", b"k" * 32))
    assert KEPT in cells(form, "反馈表")

    html = dashboard.build_html(book, outcome, now=NOW)
    html.encode("utf-8")  # writable as the page's UTF-8
    assert "甲\\ud800乙\\ufffe丙\\u0000丁\\uffff戊\\ud83d\\ude00" in html  # the JSON: exact

    cell = cell_xml("A1", UNENCODABLE, None).decode("utf-8")
    t = ElementTree.fromstring(f'<r xmlns:x="x">{cell}</r>').find(".//t")
    assert t is not None and t.text == KEPT
