"""Generate the letter templates in templates/*.docx (GB/T 9704-2012 layout, docxtpl tags).

Run ``python scripts/make_templates.py [OUTDIR]``. The .docx files are committed too, so
staff can open and edit them in Word or WPS; this script keeps them reviewable as code.

Layout (GB/T 9704-2012): A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm;
body 3号 (16 pt) 仿宋_GB2312 with fixed 28.95 pt line spacing (22 lines a page); title
2号 (22 pt) 方正小标宋简体; headings 黑体; page number 4号 宋体 "— 1 —" in the footer.
Every run names its East-Asian font explicitly (``w:rFonts w:eastAsia``): python-docx's
``font.name`` alone leaves Chinese text in the theme font. The font table lists a
fallback (仿宋, 宋体) for machines without the GB fonts.
"""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SONG_FONT = "宋体"
FALLBACKS = {BODY_FONT: "仿宋", TITLE_FONT: "宋体", HEADING_FONT: "SimHei", SONG_FONT: "SimSun"}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_S4 = Pt(12)  # 小四, for list tables
LINE = Pt(28.95)  # 22 lines on a type area of 225 mm
TABLE_LINE = Pt(22)
RED = RGBColor(0xE6, 0x00, 0x12)

ROOT = Path(__file__).resolve().parent.parent


# --- building blocks ------------------------------------------------------------------------


def set_fonts(run, font: str) -> None:
    """Name the font for every script of a run, East-Asian included."""
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)


def text(paragraph, value: str, *, font=BODY_FONT, size=SIZE_3, bold=False, color=None):
    """Add one run with explicit fonts to a paragraph."""
    run = paragraph.add_run(value)
    set_fonts(run, font)
    run.font.size = size
    run.bold = bold
    if color is not None:
        run.font.color.rgb = color
    return run


def para(
    doc_or_cell, value: str = "", *, align=None, indent=False, line=LINE, space_after=0, **fmt
):
    """Add a paragraph with fixed line spacing, optionally first-line indented by two characters."""
    p = doc_or_cell.add_paragraph()
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(space_after)
    if indent:
        pf.first_line_indent = Pt(32)
    if align is not None:
        p.alignment = align
    if value:
        text(p, value, **fmt)
    return p


def tag(doc, value: str):
    """Add a paragraph holding only a docxtpl paragraph tag such as ``{%p if cc %}``."""
    return para(doc, value)


def bottom_border(paragraph, *, color="E60012", size=12) -> None:
    """Draw a line under a paragraph (the red separator of the 版头, the lines of the 版记)."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (
        ("w:val", "single"),
        ("w:sz", str(size)),
        ("w:space", "1"),
        ("w:color", color),
    ):
        bottom.set(qn(key), value)
    borders.append(bottom)
    ppr.append(borders)


def new_document():
    """Start a document with the GB/T 9704 page and a 仿宋 3号 Normal style."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance, section.footer_distance = Mm(15), Mm(25)
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = SIZE_3
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), BODY_FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    _page_number(section)
    _font_fallbacks(doc)
    props = doc.core_properties
    props.author = props.last_modified_by = "duban"
    props.title = ""
    props.created = props.modified = datetime(2026, 1, 1)  # no clock in generated files
    props.revision = 1
    return doc


def _page_number(section) -> None:
    """Put "— PAGE —" in 4号 宋体 in the footer, centred."""
    p = section.footer.paragraphs[0]
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    text(p, "— ", font=SONG_FONT, size=SIZE_4)
    run = text(p, "", font=SONG_FONT, size=SIZE_4)
    for kind, value in (("begin", None), ("instr", " PAGE "), ("separate", None), ("end", None)):
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = value
        else:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        run._element.append(el)
    text(p, " —", font=SONG_FONT, size=SIZE_4)


def _font_fallbacks(doc) -> None:
    """Declare the GB fonts in the font table with their common fallbacks (w:altName)."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    from lxml import etree

    root = etree.fromstring(part.blob)
    for name, alt in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt_el = etree.SubElement(font, qn("w:altName"))
        alt_el.set(qn("w:val"), alt)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def letterhead(doc) -> None:
    """Add the 版头: issuing office in red, the 文号, and the red separator line."""
    para(
        doc,
        "{{ office }}",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=Pt(60),
        font=TITLE_FONT,
        size=Pt(32),
        color=RED,
    )
    para(doc)
    p = para(doc, "{{ doc_no }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    bottom_border(p, size=18)
    para(doc)


def title(doc, value: str) -> None:
    """Add the 2号 方正小标宋简体 title, centred, followed by a blank line."""
    para(doc, value, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), font=TITLE_FONT, size=SIZE_2)
    para(doc)


def heading(doc, value: str) -> None:
    """Add a first-level heading (一、……) in 黑体, indented like body text."""
    para(doc, value, indent=True, font=HEADING_FONT)


def signature(doc) -> None:
    """Add the 落款 (office and date, right), then the 联系人/电话 note."""
    para(doc)
    para(doc, "{{ office }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "{{ date_cn }}", align=WD_ALIGN_PARAGRAPH.RIGHT)
    para(doc, "（联系人：{{ contact }}，联系电话：{{ phone }}）", indent=True)


def record(doc) -> None:
    """Add the 版记: 抄送 (when any) and the issuing line, between thin lines."""
    para(doc)
    top = para(doc, "", line=Pt(4))
    bottom_border(top, color="000000", size=8)
    tag(doc, "{%p if cc %}")
    p = para(doc, "抄送：{{ cc }}。", font=BODY_FONT, size=SIZE_4)
    bottom_border(p, color="000000", size=4)
    tag(doc, "{%p endif %}")
    p = para(doc, "{{ office }}", size=SIZE_4)
    text(p, "        {{ date_cn }}印发", size=SIZE_4)
    bottom_border(p, color="000000", size=8)


def table(
    doc,
    headers: list[str],
    cells: list[str],
    widths_mm: list[float],
    loop: str | None = None,
    left=(),
):
    """Add a bordered table: a header row and one row of cells, repeated by ``loop`` when given.

    Columns in ``left`` (0-based) are left-aligned (long text); the others are centred.
    """
    rows = 2 + (2 if loop else 0)
    t = doc.add_table(rows=rows, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for c, width in enumerate(widths_mm):
        t.columns[c].width = Mm(width)  # the grid LibreOffice and WPS lay out by
    body = [[tag_text(loop)], cells, ["{%tr endfor %}"]] if loop else [cells]
    for r, values in enumerate([headers, *body]):
        for c in range(len(headers)):
            cell = t.cell(r, c)
            cell.width = Mm(widths_mm[c])
            value = values[c] if c < len(values) else ""
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = TABLE_LINE
            p.alignment = WD_ALIGN_PARAGRAPH.LEFT if r and c in left else WD_ALIGN_PARAGRAPH.CENTER
            if value:
                text(p, value, font=HEADING_FONT if r == 0 else BODY_FONT, size=SIZE_S4)
    return t


def tag_text(loop: str) -> str:
    return f"{{%tr for {loop} %}}"


def field_table(doc, rows: list[tuple[str, str]], widths_mm=(38, 118)):
    """Add a two-column label/value table (督办通知单, 回执)."""
    t = doc.add_table(rows=len(rows), cols=2)
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for c, width in enumerate(widths_mm):
        t.columns[c].width = Mm(width)
    for r, (label, value) in enumerate(rows):
        for c, content in enumerate((label, value)):
            cell = t.cell(r, c)
            cell.width = Mm(widths_mm[c])
            p = cell.paragraphs[0]
            p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
            p.paragraph_format.line_spacing = TABLE_LINE
            if c == 0:
                p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            if content:
                text(p, content, font=HEADING_FONT if c == 0 else BODY_FONT, size=SIZE_4)
    return t


# --- the four letters ----------------------------------------------------------------------


def notice():
    """督办通知单: one item to its lead unit, with a receipt stub to cut off and return."""
    doc = new_document()
    letterhead(doc)
    title(doc, "督查事项督办通知单")
    para(doc, "{{ unit }}：")
    para(
        doc,
        "根据{{ item.source }}，现将下列督查事项交你单位牵头办理。请你单位高度重视，明确分管领导和具体责任人，"
        "按要求抓好落实，按反馈要求报送办理进展，办结后及时报送办理结果。",
        indent=True,
    )
    field_table(
        doc,
        [
            ("事项编号", "{{ item.id }}"),
            ("事项类别", "{{ item.category }}"),
            ("来源依据", "{{ item.source }}"),
            ("事项内容", "{{ item.content }}"),
            ("工作要求", "{{ item.requirement }}"),
            ("牵头领导", "{{ item.leader }}"),
            ("配合单位", "{{ item.co_units }}"),
            ("交办日期", "{{ item.assigned_on }}"),
            ("办结时限", "{{ item.deadline }}"),
            ("反馈要求", "{{ item.cadence }}"),
        ],
    )
    para(doc, "请于{{ receipt_by }}前将回执报送{{ office }}。", indent=True)
    signature(doc)
    record(doc)
    para(doc)
    para(
        doc,
        "✂ - - - - - - - - - - - - - - - - 沿此线剪下 - - - - - - - - - - - - - - - -",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        size=SIZE_4,
    )
    para(
        doc,
        "督办通知单回执",
        align=WD_ALIGN_PARAGRAPH.CENTER,
        line=Pt(36),
        font=TITLE_FONT,
        size=SIZE_3,
    )
    field_table(
        doc,
        [
            ("通知单文号", "{{ doc_no }}"),
            ("事项编号", "{{ item.id }}"),
            ("签收单位", "{{ unit }}"),
            ("分管领导", ""),
            ("具体责任人", ""),
            ("联系电话", ""),
            ("签收人", ""),
            ("签收日期", "      年    月    日"),
        ],
    )
    return doc


def reminder():
    """催办函: one unit, a table of its overdue items with days overdue and prior 催办 count."""
    doc = new_document()
    letterhead(doc)
    title(doc, "关于督查事项逾期未办结的催办函")
    para(doc, "{{ unit }}：")
    para(
        doc,
        "截至{{ date_cn }}，你单位牵头承办的以下{{ items|length }}项督查事项已超过办结时限，仍未办结。"
        "现予催办，请你单位高度重视，加快办理进度，并于{{ reply_by }}前将办理进展、逾期原因及下步措施书面报送{{ office }}。",
        indent=True,
    )
    table(
        doc,
        ["序号", "事项编号", "事项内容", "办结时限", "逾期工作日", "此前催办次数"],
        [
            "{{ it.no }}",
            "{{ it.id }}",
            "{{ it.content }}",
            "{{ it.deadline }}",
            "{{ it.days_overdue }}",
            "{{ it.prior_reminders }}",
        ],
        [14, 32, 50, 28, 16, 16],
        loop="it in items",
        left=(2,),
    )
    para(doc)
    para(
        doc,
        "逾期仍未办结或办理不力的，将按程序发出限期整改通知书，并纳入年度督查考评。",
        indent=True,
    )
    signature(doc)
    record(doc)
    return doc


def rectify():
    """限期整改通知书: one unit, its items at 限期整改 or above, and the new deadline."""
    doc = new_document()
    letterhead(doc)
    title(doc, "限期整改通知书")
    para(doc, "{{ unit }}：")
    para(
        doc,
        "经督查，你单位牵头承办的以下{{ items|length }}项督查事项逾期未办结，至今未整改到位。"
        "现责令你单位于{{ new_deadline }}前整改到位，并将整改情况书面报送{{ office }}。",
        indent=True,
    )
    table(
        doc,
        ["序号", "事项编号", "事项内容", "原办结时限", "逾期工作日", "督办等级"],
        [
            "{{ it.no }}",
            "{{ it.id }}",
            "{{ it.content }}",
            "{{ it.deadline }}",
            "{{ it.days_overdue }}",
            "{{ it.level }}",
        ],
        [14, 32, 50, 28, 16, 16],
        loop="it in items",
        left=(2,),
    )
    para(doc)
    para(
        doc,
        "逾期仍未整改到位的，将依次予以黄牌警告、红牌问责（建议约谈、问责），并纳入单位年度绩效考核。",
        indent=True,
    )
    signature(doc)
    record(doc)
    return doc


def bulletin():
    """督查通报: one period's figures, praise, criticism and the ranking table."""
    doc = new_document()
    letterhead(doc)
    title(doc, "关于{{ period }}督查事项落实情况的通报")
    para(doc, "各责任单位：")
    para(
        doc,
        "{{ period }}（截至{{ date_cn }}），{{ office }}共跟踪督办事项{{ totals.total }}项，"
        "其中已办结{{ totals.done }}项、办理中{{ totals.active }}项；逾期{{ totals.overdue }}项，"
        "临期{{ totals.due_soon }}项，反馈逾期{{ totals.late_feedback }}项；按期办结率{{ totals.on_time_rate }}。"
        "现将有关情况通报如下。",
        indent=True,
    )
    heading(doc, "一、通报表扬")
    tag(doc, "{%p if praise %}")
    para(
        doc,
        "{{ praise }}落实督查事项措施有力、反馈及时，考评得分位居前列，予以通报表扬。",
        indent=True,
    )
    tag(doc, "{%p else %}")
    para(doc, "本期无表扬单位。", indent=True)
    tag(doc, "{%p endif %}")
    heading(doc, "二、通报批评")
    tag(doc, "{%p for c in criticised %}")
    para(doc, "{{ c.unit }}：考评得分{{ c.score }}分，{{ c.reason }}，予以通报批评。", indent=True)
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not criticised %}")
    para(doc, "本期无批评单位。", indent=True)
    tag(doc, "{%p endif %}")
    heading(doc, "三、考评排名")
    table(
        doc,
        ["名次", "责任单位", "得分", "逾期事项", "反馈逾期", "催办函", "黄牌", "红牌"],
        [
            "{{ r.rank }}",
            "{{ r.unit }}",
            "{{ r.score }}",
            "{{ r.overdue }}",
            "{{ r.late_feedback }}",
            "{{ r.reminders }}",
            "{{ r.yellow }}",
            "{{ r.red }}",
        ],
        [14, 42, 18, 18, 18, 16, 15, 15],
        loop="r in ranking",
    )
    para(doc)
    heading(doc, "四、工作要求")
    para(
        doc,
        "各责任单位要对照通报问题逐项整改，受到批评的单位要认真分析原因，于5个工作日内将整改措施书面报送{{ office }}。"
        "督查室将持续跟踪问效，对整改不力的按程序予以黄牌警告、红牌问责。",
        indent=True,
    )
    signature(doc)
    record(doc)
    return doc


BUILDERS = {
    "督办通知单": notice,
    "催办函": reminder,
    "限期整改通知书": rectify,
    "督查通报": bulletin,
}


def build(outdir: Path) -> list[Path]:
    """Write every template into outdir and return their paths."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in BUILDERS.items():
        path = outdir / f"{name}.docx"
        make().save(path)
        paths.append(path)
    return paths


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "templates"
    for written in build(target):
        print(written)
