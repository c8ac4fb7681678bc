"""GB/T 9704-2012 layout of the letters, measured on the pages LibreOffice prints.

Each letter type is rendered from the shipped template, converted to PDF by a real headless
LibreOffice (one run for all of them) and measured with pdfplumber: the 版心 (156 × 225 mm
from 28 mm left and 37 mm top), 28 characters a line and 22 lines a page, the page numbers
(4号, "— N —", odd pages right and even pages left one 字 in, the 一字线 7 mm under the
版心), the 落款 never alone on a page, the 版记 and its rules at the bottom of the last page,
and the 送审稿 form (mark in the header, blank 文号).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest

from automation.letters.docnumber import blank_number
from automation.letters.docx_render import LetterTemplate, find_template, to_pdf

pdfplumber = pytest.importorskip("pdfplumber")

MM = 72 / 25.4  # PDF points per millimetre
LEFT, RIGHT, TOP, BOTTOM = 28.0, 184.0, 37.0, 262.0  # the 版心 on an A4 page, mm
CHAR_4 = 14 / MM  # one 字 of 4号, mm
OFFICE = "XX县人民政府督查室"
CC = "县政府分管副县长王强"
NUMBERS = {
    "督办通知单": "督办〔2026〕12号",
    "催办函": "催办〔2026〕9号",
    "限期整改通知书": "督改〔2026〕3号",
    "督查通报": "督查通报〔2026〕2号",
}
CLOSING = "纳入年度督查考评"  # the last words of the 催办函's 正文
# LibreOffice 7.4 reads w:overflowPunct the wrong way round, so it hangs a comma or full stop
# that ends a full line just past the 版心 (Word, told not to, keeps it inside); allowed here.
HANGING = set("，。、；：！？）》」』”’")


def context(kind: str, n: int = 2, content: str = "城关镇安置房项目主体结构施工") -> dict:
    """The values selection.py gives a letter of this kind, with ``n`` items or units."""
    c = {
        "office": OFFICE,
        "contact": "周敏",
        "phone": "0370-5551234",
        "date_cn": "2026年11月20日",
        "unit": "县住房和城乡建设局",
        "cc": CC,
        "doc_no": NUMBERS[kind],
    }
    items = [
        {
            "no": i + 1,
            "id": f"DB-2026-{i + 1:03d}",
            "content": content,
            "deadline": "2026年10月30日",
            "days_overdue": 15,
            "prior_reminders": 1,
            "level": "黄牌",
        }
        for i in range(n)
    ]
    if kind == "督办通知单":
        c["receipt_by"] = "2026年11月24日"
        c["item"] = {
            "id": "DB-2026-001",
            "category": "重点项目",
            "source": "县委常委会会议纪要关于推进城关镇安置房项目建设的部署",
            "content": "督促城关镇安置房项目复工，12月底前完成主体封顶",
            "requirement": "每月报送进展",
            "leader": "王强",
            "co_units": "城关镇",
            "assigned_on": "2026年11月18日",
            "deadline": "2026年12月31日",
            "cadence": "每月25日前反馈",
        }
    elif kind == "督查通报":
        c.update(
            period="2026年第四季度",
            cc="",
            praise="县教育局、县财政局",
            totals={
                "total": 312,
                "done": 120,
                "active": 192,
                "overdue": 31,
                "due_soon": 12,
                "late_feedback": 9,
                "on_time_rate": "87.5%",
            },
            criticised=[
                {
                    "unit": f"县第{i}局",
                    "score": 80 - i,
                    "reason": "牵头事项逾期三项，其中一项被亮红牌，反馈逾期两次，整改措施落实不到位，"
                    "群众反映强烈，对照年初确定的目标任务和时间节点，工作推进明显滞后，"
                    "主要负责同志未按要求组织研究解决存在的困难和问题",
                }
                for i in range(n)
            ],
            ranking=[
                {
                    "rank": i + 1,
                    "unit": f"县第{i}局",
                    "score": 100 - i,
                    "overdue": 1,
                    "late_feedback": 0,
                    "reminders": 1,
                    "yellow": 0,
                    "red": 0,
                }
                for i in range(n)
            ],
        )
    else:
        c.update(reply_by="2026年11月25日", new_deadline="2026年11月27日", items=items)
    return c


def without_keep(data: bytes) -> bytes:
    """The same letter with every keep-with-next removed: the control of the 落款 test."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == "word/document.xml":
                part = part.replace(b"<w:keepNext/>", b"")
            z.writestr(info.filename, part)
    return out.getvalue()


# The 催办函 item counts whose 落款 falls at a page break with the template's spacing: with
# one item the 正文 ends near the foot of page 1, with 15 or 16 near the foot of page 2.
BREAK_COUNTS = (1, 15, 16)


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("layout")
    templates = {kind: LetterTemplate(find_template(f"{kind}.docx")) for kind in NUMBERS}
    letters = {
        "督办通知单": templates["督办通知单"].render(context("督办通知单")),
        "催办函": templates["催办函"].render(context("催办函", 2)),
        "催办函-长": templates["催办函"].render(context("催办函", 30)),
        "限期整改通知书": templates["限期整改通知书"].render(context("限期整改通知书", 1)),
        "督查通报": templates["督查通报"].render(context("督查通报", 16)),
        "催办函-送审稿": templates["催办函"].render(context("催办函", 30), draft=True),
    }
    for n in BREAK_COUNTS:
        data = templates["催办函"].render(context("催办函", n, content="道路改造"))
        letters[f"落款-{n}"] = data
        letters[f"落款-无保持-{n}"] = without_keep(data)
    files = []
    for name, data in letters.items():
        path = folder / f"{name}.docx"
        path.write_bytes(data)
        files.append(path)
    return {p.stem: p for p in to_pdf(files)}


# --- reading the pages ----------------------------------------------------------------------


def pages(pdf: Path) -> list[dict]:
    """Each page as its characters (mm) and its horizontal rules."""
    out = []
    with pdfplumber.open(pdf) as doc:
        for page in doc.pages:
            chars = [
                {
                    "text": c["text"],
                    "x0": c["x0"] / MM,
                    "x1": c["x1"] / MM,
                    "top": c["top"] / MM,
                    "bottom": c["bottom"] / MM,
                    "size": round(c["size"], 1),
                }
                for c in page.chars
                if c["text"].strip()
            ]
            rules = [
                {
                    "x0": r["x0"] / MM,
                    "x1": r["x1"] / MM,
                    "y": r["top"] / MM,
                    "width": r["linewidth"],
                }
                for r in page.lines
                if abs(r["top"] - r["bottom"]) < 0.5
            ]
            out.append({"chars": chars, "rules": rules})
    return out


def lines(chars: list[dict]) -> list[list[dict]]:
    """Group characters into printed lines (same baseline), top to bottom, left to right."""
    rows: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: (round(c["bottom"], 1), c["x0"])):
        if rows and abs(rows[-1][0]["bottom"] - c["bottom"]) < 1.0:
            rows[-1].append(c)
        else:
            rows.append([c])
    return [sorted(r, key=lambda c: c["x0"]) for r in rows]


def text(line: list[dict]) -> str:
    return "".join(c["text"] for c in line)


def in_type_area(page: dict) -> list[dict]:
    """The characters between the top and the bottom of the 版心 (no header, no page number)."""
    return [c for c in page["chars"] if c["top"] > TOP - 3 and c["bottom"] < BOTTOM + 3]


def page_number(page: dict) -> list[dict]:
    return [c for c in page["chars"] if c["top"] > BOTTOM]


# --- the 版心 ---------------------------------------------------------------------------------


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name", ["督办通知单", "催办函", "催办函-长", "限期整改通知书", "督查通报"]
)
def test_everything_printed_stays_in_the_type_area(pdfs, name):
    for number, page in enumerate(pages(pdfs[name]), start=1):
        for c in page["chars"]:
            where = (name, number, c["text"], round(c["x0"], 1), round(c["top"], 1))
            right = RIGHT + (16 / MM if c["text"] in HANGING else 0)
            assert LEFT - 0.3 <= c["x0"] and c["x1"] <= right + 0.3, where
            assert c["top"] >= TOP - 0.3, where  # nothing above the 版心 in a final letter
        for rule in page["rules"]:
            assert LEFT - 0.3 <= rule["x0"] and rule["x1"] <= RIGHT + 0.3, (name, number, rule)


@pytest.mark.libreoffice
def test_the_first_line_starts_at_the_top_left_of_the_type_area(pdfs):
    first = lines(pages(pdfs["催办函"])[0]["chars"])[0]
    assert abs(first[0]["top"] - TOP) < 8  # the 版头's first line, 60 pt high, centred
    addressee = next(
        line for line in lines(pages(pdfs["催办函"])[0]["chars"]) if text(line).endswith("局：")
    )
    assert abs(addressee[0]["x0"] - LEFT) < 0.3  # 主送 flush left


@pytest.mark.libreoffice
def test_body_lines_hold_28_characters_and_fill_the_line(pdfs):
    """Every full line of 正文 is 28 字 wide (26 after the two-字 indent) and reaches the right edge."""
    full_lines = exact = 0
    for name in ("督办通知单", "督查通报"):
        for page in pages(pdfs[name]):
            body = [c for c in in_type_area(page) if c["size"] == 16.0]
            rows = lines(body)
            for row, following in zip(rows, rows[1:], strict=False):
                if following[0]["x0"] > LEFT + 1:  # the next line starts a paragraph: not full
                    continue
                if row[-1]["x1"] < RIGHT - 3:  # a short line (主送, a heading, the last line)
                    continue
                if row[-1]["text"] in HANGING and row[-1]["x0"] > RIGHT - 0.5:
                    row = row[:-1]  # hung past the 版心 by LibreOffice (see HANGING)
                assert abs(row[-1]["x1"] - RIGHT) < 0.8, (name, text(row))
                if not all(ord(c["text"]) > 0x2000 for c in row):
                    continue  # half-width digits and letters: their width is the font's
                indent = row[0]["x0"] - LEFT
                expected = 26 if indent > 5 else 28
                # one 字 less where a line may not end before a comma (避头尾)
                assert expected - 1 <= len(row) <= expected, (name, text(row))
                full_lines += 1
                exact += len(row) == expected
    assert full_lines >= 20 and exact >= 0.75 * full_lines, (full_lines, exact)


@pytest.mark.libreoffice
def test_a_page_of_text_holds_22_lines_at_28_95_points(pdfs):
    """The long 督查通报's middle pages are all 正文: up to 22 lines 28.95 pt apart in 225 mm.

    (A page may end a line early where a paragraph's first line would stand alone at its foot.)
    """
    counts = []
    for page in pages(pdfs["督查通报"])[1:-1]:
        if {c["size"] for c in in_type_area(page)} != {16.0}:
            continue  # the ranking table begins on this page
        rows = lines(in_type_area(page))
        baselines = [r[0]["bottom"] for r in rows]
        gaps = [b - a for a, b in zip(baselines, baselines[1:], strict=False)]
        assert all(abs(g - 28.95 / MM) < 0.1 for g in gaps), gaps
        assert rows[0][0]["top"] < TOP + 5
        assert baselines[0] + 21 * 28.95 / MM < BOTTOM  # room for the 22nd line
        counts.append(len(rows))
    assert len(counts) >= 2 and max(counts) == 22 and min(counts) >= 21, counts


# --- page numbers ---------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_page_numbers_odd_right_even_left_one_char_in_with_dashes(pdfs):
    numbered = pages(pdfs["催办函-长"])
    assert len(numbered) >= 3
    for number, page in enumerate(numbered, start=1):
        chars = page_number(page)
        assert text(chars) == f"—{number}—", (number, text(chars))
        assert {c["size"] for c in chars} == {14.0}  # 4号
        digits = [c for c in chars if c["text"].isdigit()]
        assert all(c["text"].isascii() and c["x1"] - c["x0"] < 0.7 * CHAR_4 for c in digits)
        if number % 2:
            assert abs(chars[-1]["x1"] - (RIGHT - CHAR_4)) < 0.8, (number, chars[-1])
        else:
            assert abs(chars[0]["x0"] - (LEFT + CHAR_4)) < 0.8, (number, chars[0])
        for dash in (chars[0], chars[-1]):
            assert dash["text"] == "—"
            middle = (dash["top"] + dash["bottom"]) / 2
            assert abs(middle - (BOTTOM + 7)) < 1.5, (number, middle)  # 一字线 7 mm under


# --- 落款 and 版记 --------------------------------------------------------------------------


def signature_page(numbered: list[dict]) -> tuple[int, list[list[dict]]]:
    """Return the index of the page holding the 落款 and that page's lines above it."""
    for index, page in enumerate(numbered):
        rows = lines(in_type_area(page))
        for i, row in enumerate(rows):
            if text(row) == OFFICE and row[0]["size"] == 16.0 and row[0]["x0"] > LEFT + 50:
                return index, rows[: i + 2]
    raise AssertionError("no 落款 found")


@pytest.mark.libreoffice
@pytest.mark.parametrize("count", BREAK_COUNTS)
def test_the_signature_never_stands_alone_on_a_page(pdfs, count):
    index, block = signature_page(pages(pdfs[f"落款-{count}"]))
    *above, office, date = block
    assert text(date) == "2026年11月20日"  # the date on the 落款's page, right under it
    body_above = [r for r in above if r[0]["size"] == 16.0]
    assert any(CLOSING in text(r) for r in body_above), (count, index, [text(r) for r in above])


@pytest.mark.libreoffice
def test_without_keep_with_next_the_signature_would_stand_alone(pdfs):
    """The control: the letters above do reach a page break at the 落款."""
    alone = []
    for count in BREAK_COUNTS:
        _, block = signature_page(pages(pdfs[f"落款-无保持-{count}"]))
        above = block[:-2]
        if not any(r[0]["size"] == 16.0 for r in above):
            alone.append(count)
    assert alone, "no letter of BREAK_COUNTS breaks at its 落款; adjust the counts"


@pytest.mark.libreoffice
@pytest.mark.parametrize(
    "name,cc",
    [("督办通知单", True), ("催办函-长", True), ("限期整改通知书", True), ("督查通报", False)],
)
def test_the_record_sits_at_the_bottom_of_the_last_page_with_its_rules(pdfs, name, cc):
    numbered = pages(pdfs[name])
    *earlier, last = numbered
    for page in earlier:
        assert "印发" not in text(page["chars"]) and "抄送" not in text(page["chars"])
    rules = sorted(
        (r for r in last["rules"] if r["x1"] - r["x0"] > 150 and r["width"] > 0.6),
        key=lambda r: r["y"],
    )
    assert [round(r["width"], 2) for r in rules] == ([1.0, 0.75, 1.0] if cc else [1.0, 1.0])
    assert abs(rules[-1]["y"] - BOTTOM) < 0.8  # the last rule on the 版心's lower edge
    for r in rules:
        assert abs(r["x0"] - LEFT) < 0.5 and abs(r["x1"] - RIGHT) < 0.5
    rows = lines(in_type_area(last))
    issued = next(r for r in rows if text(r).endswith("印发"))
    assert text(issued) == f"{OFFICE}2026年11月20日印发"
    assert rules[-2]["y"] < issued[0]["top"] and issued[0]["bottom"] < rules[-1]["y"]
    assert abs(issued[0]["x0"] - (LEFT + CHAR_4)) < 0.8  # 印发机关 one 字 in
    assert abs(issued[-1]["x1"] - (RIGHT - CHAR_4)) < 0.8  # 印发日期 one 字 from the right
    assert {c["size"] for c in issued} == {14.0}
    if cc:
        copy = next(r for r in rows if text(r).startswith("抄送："))
        assert text(copy) == f"抄送：{CC}。"
        assert rules[0]["y"] < copy[0]["top"] and copy[0]["bottom"] < rules[1]["y"]
        assert abs(copy[0]["x0"] - (LEFT + CHAR_4)) < 0.8
    body = [r for r in rows if r[0]["bottom"] < rules[0]["y"]]
    assert body, "the 版记 shares the page with the end of the letter"


@pytest.mark.libreoffice
def test_the_notice_lists_its_attachment_and_prints_it_on_its_own_page(pdfs):
    numbered = pages(pdfs["督办通知单"])
    index, block = signature_page(numbered)
    note = [r for r in block if text(r) == "附件：督办通知单回执"]
    assert note and abs(note[0][0]["x0"] - (LEFT + 2 * 16 / MM)) < 0.8  # two 字 in
    attachment = lines(in_type_area(numbered[-1]))
    assert index < len(numbered) - 1
    assert text(attachment[0]) == "附件" and abs(attachment[0][0]["x0"] - LEFT) < 0.3
    assert text(attachment[1]) == "督办通知单回执"
    assert "通知单文号督办〔2026〕12号" in "".join(text(r) for r in attachment)


# --- 送审稿 -------------------------------------------------------------------------------------


@pytest.mark.libreoffice
def test_a_draft_is_marked_on_every_page_and_has_no_number(pdfs):
    draft, final = pages(pdfs["催办函-送审稿"]), pages(pdfs["催办函-长"])
    assert len(draft) == len(final) >= 2
    for page in draft:
        header = [c for c in page["chars"] if c["bottom"] < TOP]
        assert text(header) == "送审稿"
    assert not any(c["bottom"] < TOP for page in final for c in page["chars"])
    first = [text(r) for r in lines(draft[0]["chars"])]
    assert "催办〔2026〕号" in first and "催办〔2026〕9号" not in first  # the blank stays blank


def test_draft_rendering_api(tmp_path):
    template = LetterTemplate(find_template("催办函.docx"))
    final = template.render(context("催办函"))
    draft = template.render(context("催办函"), draft=True)
    again = template.render(context("催办函"), draft=True)
    assert draft == again  # built once, same bytes every time
    with zipfile.ZipFile(io.BytesIO(draft)) as z:
        body = z.read("word/document.xml").decode()
        assert "催办〔2026〕 号" in body and "催办〔2026〕9号" not in body
        assert "送审稿" in z.read("word/duban-draft-header.xml").decode()
        assert 'Target="duban-draft-header.xml"' in z.read("word/_rels/document.xml.rels").decode()
        assert "/word/duban-draft-header.xml" in z.read("[Content_Types].xml").decode()
        assert body.count('r:id="rIdDubanDraft"') == 3  # default, even and first page
        assert z.testzip() is None
    with zipfile.ZipFile(io.BytesIO(final)) as z:
        assert "催办〔2026〕9号" in z.read("word/document.xml").decode()
        assert "word/duban-draft-header.xml" not in z.namelist()
    # python-docx opens the draft as Word would: the header is there on every section
    import docx

    path = tmp_path / "draft.docx"
    path.write_bytes(draft)
    section = docx.Document(str(path)).sections[0]
    assert section.header.paragraphs[0].text == "送审稿"
    assert section.even_page_header.paragraphs[0].text == "送审稿"


def test_blank_number():
    assert blank_number("督办〔2026〕12号") == "督办〔2026〕 号"
    assert blank_number("督查通报〔2026〕2号") == "督查通报〔2026〕 号"
    assert blank_number("督办〔2026〕 号") == "督办〔2026〕 号"
    assert blank_number("") == ""
