"""Letters: which are issued, what the .docx files hold (layout, fonts, 文号), 发文登记, escalation.

Ledgers are written by xlsxwriter; letters are opened with python-docx and converted by a
real LibreOffice. Expected values are worked out by hand from the dates below
(2026-11-20 is a Friday; working days from the official calendar).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import docx
import openpyxl
import pytest
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from fixtures_xlsx import good_row, write_ledger

from automation.errors import DubanError, TemplateError
from automation.history import History
from automation.ledger import reader
from automation.letters import selection as choose
from automation.letters.docx_render import LetterTemplate, letter_path
from automation.letters.issue import LetterRequest
from automation.models import Letter
from automation.refresh import refresh
from automation.rules.engine import compute
from automation.settings import Settings

TODAY = date(2026, 11, 20)
ROOT = Path(__file__).resolve().parent.parent
DUBAN = Path(sys.executable).with_name("duban")
TRICKY = "修缮{{ 7*7 }}号楼{% if x %}<b>&“引号”"

ROWS = [
    # new: assigned 2 working days ago -> 督办通知单
    good_row(1, 事项内容=TRICKY, 交办日期=date(2026, 11, 18), 办结时限=date(2026, 12, 31)),
    # deadline Tue 11-17: overdue 3 working days -> 催办
    good_row(2, 事项内容="道路改造", 办结时限=date(2026, 11, 17)),
    # deadline Tue 11-10: overdue 8 working days -> 限期整改
    good_row(3, 事项内容="管网更新", 办结时限=date(2026, 11, 10)),
    # deadline Fri 10-30: overdue 15 working days -> 黄牌
    good_row(4, 事项内容="客运站搬迁", 责任单位="县交通运输局", 办结时限=date(2026, 10, 30)),
    # on track, assigned long ago: nothing
    good_row(5, 责任单位="县教育局"),
    # assigned 14 working days ago: not "new", no notice (a legacy ledger is not flooded)
    good_row(6, 责任单位="县教育局", 交办日期=date(2026, 11, 2)),
    # done: no notice though assigned yesterday
    good_row(
        7,
        责任单位="县住建局",
        交办日期=date(2026, 11, 19),
        办理状态="已办结",
        办结日期=date(2026, 11, 19),
    ),
]
SETTINGS = [
    ("联系人", "周敏"),
    ("联系电话", "0370-5551234"),
    ("单位名称", "XX县人民政府督查室"),
    # Issued directly, as an office that delegates its letters does (审定: tests/test_review.py).
    ("文书须审定", "否"),
    ("须审定文书", "无"),
]


def add_letter_log(wb, ws, header_row):
    """A 发文登记 the staff keep by hand: columns reordered, one letter typed in."""
    log = wb.add_worksheet("发文登记")
    log.write_row(0, 0, ["日期", "文号", "责任单位", "类型", "事项编号", "文件", "备注"])
    log.write_row(
        1, 0, ["2026-06-01", "催办〔2026〕7号", "县财政局", "催办函", "DB-2026-099", "", "手工登记"]
    )


@pytest.fixture
def ledger(tmp_path) -> Path:
    return write_ledger(tmp_path / "台账.xlsx", ROWS, settings=SETTINGS, hook=add_letter_log)


def issued_by_type(report) -> dict[str, list[tuple[str, str, tuple[str, ...]]]]:
    out: dict[str, list] = {}
    for letter in report.letters:
        out.setdefault(letter.type, []).append((letter.doc_no, letter.unit, letter.item_ids))
    return out


def test_first_run_issues_notices_reminders_and_rectifications(ledger):
    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    assert issued_by_type(report) == {
        "督办通知单": [("督办〔2026〕1号", "县财政局", ("DB-2026-001",))],
        # units in 责任单位 order; numbering continues above the hand-typed 催办〔2026〕7号
        "催办函": [
            ("催办〔2026〕8号", "县交通运输局", ("DB-2026-004",)),
            ("催办〔2026〕9号", "县财政局", ("DB-2026-002", "DB-2026-003")),
        ],
        "限期整改通知书": [
            ("督改〔2026〕1号", "县交通运输局", ("DB-2026-004",)),
            ("督改〔2026〕2号", "县财政局", ("DB-2026-003",)),
        ],
    }
    folder = ledger.parent / "输出" / "2026-11-20"
    assert (folder / "催办函" / "县财政局-催办函-催办〔2026〕9号.docx").is_file()
    assert sorted(p.name for p in (folder / "督办通知单").iterdir()) == [
        "县财政局-督办通知单-督办〔2026〕1号.docx"
    ]
    assert [letter.file for letter in report.letters][
        0
    ] == "输出/2026-11-20/督办通知单/县财政局-督办通知单-督办〔2026〕1号.docx"


def test_register_rows_land_under_the_staff_headers_and_reminder_counts_include_this_run(ledger):
    refresh(ledger, today=TODAY, letters=LetterRequest())
    wb = openpyxl.load_workbook(ledger)
    log = [list(r) for r in wb["发文登记"].iter_rows(values_only=True)]
    assert log[0][:7] == ["日期", "文号", "责任单位", "类型", "事项编号", "文件", "备注"]
    assert log[1][1] == "催办〔2026〕7号"  # the staff row is untouched
    rows = {r[1]: r for r in log[2:]}
    assert set(rows) == {
        "督办〔2026〕1号",
        "催办〔2026〕8号",
        "催办〔2026〕9号",
        "督改〔2026〕1号",
        "督改〔2026〕2号",
    }
    row = rows["催办〔2026〕9号"]
    assert row[0].date() == TODAY
    assert row[2:6] == [
        "县财政局",
        "催办函",
        "DB-2026-002、DB-2026-003",
        "输出/2026-11-20/催办函/县财政局-催办函-催办〔2026〕9号.docx",
    ]
    assert row[6] is None

    sheet = wb["督办事项"]
    headers = [c.value for c in sheet[1]]
    ids, count = headers.index("编号"), headers.index("已催办次数")
    counts = {r[ids]: r[count] for r in sheet.iter_rows(min_row=2, values_only=True)}
    assert counts["DB-2026-002"] == 1 and counts["DB-2026-004"] == 1
    assert counts["DB-2026-005"] == 0


def test_a_rerun_the_same_day_issues_nothing_new(ledger):
    first = refresh(ledger, today=TODAY, letters=LetterRequest())
    again = refresh(ledger, today=TODAY, letters=LetterRequest())
    assert len(first.letters) == 5
    assert again.letters == []
    assert "今日无需发文" in again.summary()


def test_escalation_uses_the_letters_issued(ledger):
    refresh(ledger, today=TODAY, letters=LetterRequest(types=("催办函",)))
    # A week later, 5 working days since: a second 催办函 goes out; two with no feedback -> 黄牌.
    later = refresh(ledger, today=date(2026, 11, 27), letters=LetterRequest(types=("催办函",)))
    assert [(letter.unit, letter.item_ids) for letter in later.letters] == [
        ("县交通运输局", ("DB-2026-004",)),
        ("县财政局", ("DB-2026-002", "DB-2026-003")),
    ]
    by_id = {r.item_id: r for r in later.outcome.results}
    assert by_id["DB-2026-002"].reminder_count == 2
    assert by_id["DB-2026-002"].days_overdue == 8  # by days alone it would be 限期整改
    assert by_id["DB-2026-002"].level == "黄牌"


def test_type_and_unit_filters(ledger):
    report = refresh(ledger, today=TODAY, letters=LetterRequest(types=("催办函",), unit="交通局"))
    assert [(x.type, x.unit) for x in report.letters] == [("催办函", "县交通运输局")]
    with pytest.raises(DubanError, match="县交通运输局"):
        refresh(ledger, today=TODAY, letters=LetterRequest(unit="县交通运局"))


def test_dry_run_numbers_and_writes_nothing(ledger):
    before = ledger.read_bytes()
    report = refresh(ledger, today=TODAY, dry_run=True, letters=LetterRequest())
    assert report.letters == []
    assert "试运行：将发文 督办通知单 1 份，催办函 2 份，限期整改通知书 2 份" in report.summary()
    assert ledger.read_bytes() == before
    assert not (ledger.parent / "输出").exists()


# --- the .docx files ------------------------------------------------------------------------


def _body_runs(document):
    for p in document.paragraphs:
        yield from p.runs
    for table in document.tables:
        for row in table.rows:
            for cell in row.cells:
                for p in cell.paragraphs:
                    yield from p.runs


def assert_gbt9704(path: Path, doc_no: str):
    d = docx.Document(str(path))
    section = d.sections[0]
    for actual, mm in [
        (section.page_width, 210),
        (section.page_height, 297),
        (section.top_margin, 37),
        (section.bottom_margin, 35),
        (section.left_margin, 28),
        (section.right_margin, 26),
    ]:
        assert abs(actual - Mm(mm)) < Mm(0.1), (path.name, actual.mm, mm)
    texts = [p.text for p in d.paragraphs]
    assert doc_no in texts
    for run in _body_runs(d):
        if not run.text.strip():
            continue
        fonts = run._element.rPr.find(qn("w:rFonts"))
        assert fonts is not None and fonts.get(qn("w:eastAsia")), (path.name, run.text)
    title = next(p for p in d.paragraphs if p.runs and p.runs[0].font.size == Pt(22))
    assert title.runs[0]._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "方正小标宋简体"
    body = next(
        p
        for p in d.paragraphs
        if p.text.startswith("截至") or p.text.startswith("根据") or p.text.startswith("经督查")
    )
    assert body.runs[0].font.size == Pt(16)
    assert body.runs[0]._element.rPr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert body.paragraph_format.line_spacing == Pt(28.95)
    return d


def test_reminder_docx_layout_text_and_table(ledger):
    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    path = ledger.parent / next(x.file for x in report.letters if x.doc_no == "催办〔2026〕9号")
    d = assert_gbt9704(path, "催办〔2026〕9号")
    texts = [p.text for p in d.paragraphs]
    assert "县财政局：" in texts
    assert "关于督查事项逾期未办结的催办函" in texts
    assert any("以下2项督查事项" in t and "2026年11月25日前" in t for t in texts)  # 3 working days
    assert "2026年11月20日" in texts
    assert "（联系人：周敏，联系电话：0370-5551234）" in texts
    rows = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert rows == [
        ["序号", "事项编号", "事项内容", "办结时限", "逾期工作日", "此前催办次数"],
        ["1", "DB-2026-002", "道路改造", "2026年11月17日", "3", "0"],
        ["2", "DB-2026-003", "管网更新", "2026年11月10日", "8", "0"],
    ]


def test_rectify_docx_has_new_deadline_and_levels(ledger):
    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    path = ledger.parent / next(x.file for x in report.letters if x.doc_no == "督改〔2026〕1号")
    d = assert_gbt9704(path, "督改〔2026〕1号")
    assert any(
        "于2026年11月27日前整改到位" in p.text for p in d.paragraphs
    )  # today + 5 working days
    rows = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert rows[1:] == [["1", "DB-2026-004", "客运站搬迁", "2026年10月30日", "15", "黄牌"]]


def test_notice_prints_ledger_text_literally_and_has_a_receipt(ledger):
    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    path = ledger.parent / report.letters[0].file
    d = assert_gbt9704(path, "督办〔2026〕1号")
    fields = {r.cells[0].text: r.cells[1].text for r in d.tables[0].rows}
    assert fields["事项内容"] == TRICKY
    assert fields["交办日期"] == "2026年11月18日"
    assert fields["办结时限"] == "2026年12月31日"
    receipt = {r.cells[0].text: r.cells[1].text for r in d.tables[1].rows}
    assert receipt["通知单文号"] == "督办〔2026〕1号"
    assert receipt["签收单位"] == "县财政局"
    assert "签收人" in receipt
    assert "附件：督办通知单回执" in [p.text for p in d.paragraphs]  # the 回执 is its 附件


def test_bulletin_on_request_and_at_period_end(ledger):
    ledger_data = reader.read_ledger(ledger, today=TODAY)
    outcome = compute(ledger_data, TODAY)
    assert [d.type for d in choose.select(ledger_data, outcome, [], TODAY)] == [
        "督办通知单",
        "催办函",
        "催办函",
        "限期整改通知书",
        "限期整改通知书",
    ]  # 11-20 is not the quarter's last working day: no bulletin unless asked
    end = date(2026, 12, 31)
    outcome_end = compute(ledger_data, end)
    assert "督查通报" in [d.type for d in choose.select(ledger_data, outcome_end, [], end)]
    done = [Letter("督查通报〔2026〕1号", "督查通报", date(2026, 12, 1), "各责任单位")]
    assert "督查通报" not in [d.type for d in choose.select(ledger_data, outcome_end, done, end)]

    report = refresh(ledger, today=TODAY, letters=LetterRequest(types=("督查通报",)))
    [letter] = report.letters
    assert letter.doc_no == "督查通报〔2026〕1号"
    d = docx.Document(str(ledger.parent / letter.file))
    texts = [p.text for p in d.paragraphs]
    assert "关于2026年第4季度督查事项落实情况的通报" in texts
    assert "各责任单位：" in texts
    intro = next(t for t in texts if t.startswith("2026年第4季度（截至2026年11月20日）"))
    assert "共跟踪督办事项7项，其中已办结1项、办理中6项；逾期3项" in intro
    assert (
        "共跟踪督办事项7项，其中已办结1项、办理中6项；逾期3项，临期0项，反馈逾期2项；按期办结率100.0%"
        in intro
    )
    # scores by hand: 住建 100+1 early; 教育 100-3 late feedback nodes; 交通 100-2 late-2 overdue-3 黄牌;
    # 财政 100-4 late-2x2 overdue
    assert [[c.text for c in r.cells] for r in d.tables[0].rows] == [
        ["名次", "责任单位", "得分", "逾期事项", "反馈逾期", "催办函", "黄牌", "红牌"],
        ["1", "县住房和城乡建设局", "101", "0", "0", "0", "0", "0"],
        ["2", "县教育局", "97", "0", "3", "0", "0", "0"],
        ["3", "县交通运输局", "93", "1", "2", "0", "1", "0"],
        ["4", "县财政局", "92", "2", "4", "0", "0", "0"],
    ]
    assert (
        "县住房和城乡建设局、县教育局落实督查事项措施有力、反馈及时，考评得分位居前列，予以通报表扬。"
        in texts
    )
    assert "本期无批评单位。" in texts

    ledger_data.settings = Settings(criticise_below=95, praise_top=1)
    outcome = compute(ledger_data, TODAY)
    assert choose.praise_and_criticism(outcome.scores, ledger_data, outcome) == {
        "praise": "县住房和城乡建设局",
        "criticised": [
            {
                "unit": "县交通运输局",
                "score": "93",
                "reason": "低于通报批评分数线95分，牵头事项逾期1项",
            },
            {
                "unit": "县财政局",
                "score": "92",
                "reason": "低于通报批评分数线95分，牵头事项逾期2项",
            },
        ],
    }


def test_letter_file_names_beside_the_ledger(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    path = letter_path(ledger, TODAY, "催办函", "县住建局 ", "催办〔2026〕3号")
    assert (
        path == tmp_path / "输出" / "2026-11-20" / "催办函" / "县住建局-催办函-催办〔2026〕3号.docx"
    )
    odd = letter_path(ledger, TODAY, "催办函", '县"住建"局/二科', "催办〔2026〕4号")
    assert odd.parent == path.parent and odd.name.startswith("县_住建_局_二科~")


# --- broken templates and half-way failures -----------------------------------------------


def _template_with(tmp_path: Path, extra: str) -> Path:
    from automation.letters.docx_render import TEMPLATE_DIR

    d = docx.Document(str(TEMPLATE_DIR / "催办函.docx"))
    d.add_paragraph(extra)
    path = tmp_path / "催办函.docx"
    d.save(str(path))
    return path


def test_undefined_tag_names_the_file_and_the_tag(tmp_path):
    template = LetterTemplate(_template_with(tmp_path, "{{ unti }}"))
    with pytest.raises(TemplateError) as e:
        template.render(
            {
                "office": "x",
                "doc_no": "x",
                "unit": "x",
                "date_cn": "x",
                "reply_by": "x",
                "contact": "x",
                "phone": "x",
                "cc": "",
                "items": [],
            }
        )
    assert "催办函.docx" in str(e.value) and "{{ unti }}" in str(e.value)


def test_syntax_error_names_the_file_and_the_tag(tmp_path):
    with pytest.raises(TemplateError) as e:
        LetterTemplate(_template_with(tmp_path, "{% if %}"))
    assert "催办函.docx" in str(e.value) and "{% if %}" in str(e.value)


def test_failure_half_way_leaves_no_files_and_skips_the_reserved_numbers(ledger):
    office = ledger.parent / "模板"
    office.mkdir()
    # 限期整改通知书 is rendered after 督办通知单 and 催办函: make it fail.
    shutil.copy(
        _template_with(ledger.parent, "{{ missing_field }}"), office / "限期整改通知书.docx"
    )
    before = ledger.read_bytes()
    with pytest.raises(TemplateError, match="限期整改通知书.docx"):
        refresh(ledger, today=TODAY, letters=LetterRequest())
    assert ledger.read_bytes() == before
    assert not any(p.is_file() for p in (ledger.parent / "输出").rglob("*"))
    (office / "限期整改通知书.docx").unlink()
    report = refresh(ledger, today=TODAY, letters=LetterRequest())
    numbers = [x.doc_no for x in report.letters]
    # the failed run reserved 督办1, 催办8, 催办9 and 督改1 (its render failed): all skipped
    assert numbers == [
        "督办〔2026〕2号",
        "催办〔2026〕10号",
        "催办〔2026〕11号",
        "督改〔2026〕2号",
        "督改〔2026〕3号",
    ]


# --- LibreOffice, PDF and concurrency --------------------------------------------------------


@pytest.mark.libreoffice
def test_every_letter_converts_to_pdf_and_renders_page_one(ledger, tmp_path):
    refresh(ledger, today=TODAY, letters=LetterRequest(types=("督查通报",)))
    report = refresh(ledger, today=TODAY, letters=LetterRequest(pdf=True))
    assert "已生成 PDF 5 份" in report.summary()
    # TODAY is the week's last working day: the 周例会通报 came with the letters (rules §14.4).
    docs = sorted(p for p in (ledger.parent / "输出").rglob("*.docx") if "周例会通报" not in p.name)
    assert len(docs) == 6
    for path in docs:
        pdf = path.with_suffix(".pdf")
        if not pdf.exists():  # the bulletin came from the run without --pdf
            from automation.letters.docx_render import to_pdf

            to_pdf([path])
        png = tmp_path / f"{path.stem}"
        subprocess.run(
            ["pdftoppm", "-r", "40", "-f", "1", "-l", "1", "-png", str(pdf), str(png)],
            check=True,
            timeout=60,
        )
        [page] = list(tmp_path.glob(f"{path.stem}*.png"))
        assert page.stat().st_size > 5000


def test_pdf_without_libreoffice_says_so_clearly(ledger):
    env = {**os.environ, "PATH": "/nonexistent"}
    done = subprocess.run(
        [str(DUBAN), "letters", str(ledger), "--today", "2026-11-20", "--type", "催办函", "--pdf"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "未安装 LibreOffice，无法生成 PDF（Word 文书已生成）" in done.stdout


def test_two_concurrent_letters_processes_never_repeat_a_number(ledger):
    command = [str(DUBAN), "letters", str(ledger), "--today", "2026-11-20"]
    running = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in running]
    for _out, err, code in results:
        # the loser either retried (exit 0) or failed cleanly with LedgerChanged (exit 3)
        assert code in (0, 3), err
        assert "Traceback" not in err
    outs = sorted(out for out, _err, code in results if code == 0)
    assert sum("已发文 5 份" in out for out in outs) == 1
    assert all("已发文 5 份" in out or "今日无需发文" in out for out in outs)
    wb = openpyxl.load_workbook(ledger)
    registered = [r[1] for r in wb["发文登记"].iter_rows(min_row=3, values_only=True)]
    with History(ledger) as history:
        recorded = [x.doc_no for x in history.letters()]
    letters = [p for p in (ledger.parent / "输出").rglob("*.docx") if "周例会通报" not in p.name]
    files = [p.stem.rsplit("-", 1)[1] for p in letters]
    for numbers in (registered, recorded, files):
        assert len(numbers) == len(set(numbers)), numbers
    # every letter is issued once: the loser re-read 发文登记 and found nothing left to issue
    assert sorted(registered) == sorted(files) == sorted(recorded)
    assert len(registered) == 5


def test_committed_templates_match_the_generator(tmp_path):
    spec = importlib.util.spec_from_file_location(
        "make_templates", ROOT / "scripts" / "make_templates.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fresh in module.build(tmp_path):
        committed = docx.Document(str(ROOT / "templates" / fresh.name))
        generated = docx.Document(str(fresh))
        assert [p.text for p in committed.paragraphs] == [p.text for p in generated.paragraphs]
        assert [[c.text for c in r.cells] for t in committed.tables for r in t.rows] == [
            [c.text for c in r.cells] for t in generated.tables for r in t.rows
        ]
        assert committed.element.xml == generated.element.xml, fresh.name
