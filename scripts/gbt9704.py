"""Building blocks of a GB/T 9704-2012 公文 page, written with python-docx (used by make_templates).

Page (§5.2): A4; 天头 37 mm, 订口 28 mm, 版心 156 × 225 mm (so bottom 35 mm, right 26 mm);
3号 仿宋 body with a fixed 28.95 pt line: 22 lines fill the 225 mm 版心. 28 characters of
16 pt would be 158 mm, 2 mm wider than the 版心, so every run is condensed by 0.25 pt (the
``w:spacing`` of the Normal style), which Word, WPS and LibreOffice all honour: 28 × 15.75 pt =
441 pt of the 442 pt line, and body paragraphs are justified to fill it (撑满版心).
Punctuation does not hang past the 版心 (``w:overflowPunct`` off): a line that would end in
a hanging comma carries its last character over instead (避头尾).

页码 (§7.5): 4号 半角 宋体 Arabic numerals between 一字线 "— 1 —", odd pages right and even
pages left, one 字 in (``w:evenAndOddHeaders`` with a default and an even footer); the 一字线
sits 7 mm below the 版心.

版记 (§7.4): 抄送 and 印发机关/印发日期 between a thick first and last rule (0.35 mm) with a
thin rule (0.25 mm) between them, in a frame anchored to the bottom of the 版心 of the page
where it falls, the last page, so its last rule lies on the 版心's lower edge. A frame
(``w:framePr``) is what both Word and LibreOffice place at a page position from the text flow.

Every run names its East-Asian font explicitly (``w:rFonts w:eastAsia``): python-docx's
``font.name`` alone leaves Chinese text in the theme font. The font table lists a fallback
(仿宋, 宋体) for machines without the GB fonts.
"""

from __future__ import annotations

from datetime import datetime

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING, WD_TAB_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from lxml import etree

BODY_FONT = "仿宋_GB2312"
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
SONG_FONT = "宋体"
FALLBACKS = {BODY_FONT: "仿宋", TITLE_FONT: "宋体", HEADING_FONT: "SimHei", SONG_FONT: "SimSun"}

SIZE_2 = Pt(22)  # 二号
SIZE_3 = Pt(16)  # 三号
SIZE_4 = Pt(14)  # 四号
SIZE_S4 = Pt(12)  # 小四, for list tables
CHAR = Pt(16)  # one 字 of body text
CHAR_4 = Pt(14)  # one 字 of 4号 text (page numbers, 版记)
CONDENSE = -5  # twentieths of a point: 28 characters of 16 pt fit the 156 mm line
LINE = Pt(28.95)  # 22 lines on a type area of 225 mm
TABLE_LINE = Pt(22)
RECORD_LINE = Pt(24)  # lines of the 版记
RED = RGBColor(0xE6, 0x00, 0x12)

PAGE_W, PAGE_H = Mm(210), Mm(297)
TOP, BOTTOM, LEFT, RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_W = Mm(156)  # the 版心: 210 - 28 - 26 mm
FOOTER_DISTANCE = Mm(24)  # puts the 一字线 of the page number 7 mm below the 版心
THICK_RULE, THIN_RULE = 8, 6  # eighths of a point: 1 pt ≈ 0.35 mm, 0.75 pt ≈ 0.26 mm


# --- runs and paragraphs ---------------------------------------------------------------------


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
    doc_or_cell,
    value: str = "",
    *,
    align=None,
    indent=False,
    line=LINE,
    space_after=0,
    keep=False,
    **fmt,
):
    """Add a paragraph with fixed line spacing, optionally first-line indented by two characters.

    ``keep`` keeps it on the page of the next paragraph, its lines together (the 落款 block).
    """
    p = doc_or_cell.add_paragraph()
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = line
    pf.space_before = Pt(0)
    pf.space_after = Pt(space_after)
    if indent:
        pf.first_line_indent = 2 * CHAR
    if align is not None:
        p.alignment = align
    if keep:
        keep_with_next(p)
    no_hanging_punctuation(p)
    if value:
        text(p, value, **fmt)
    return p


def no_hanging_punctuation(paragraph) -> None:
    """Keep punctuation inside the 版心 (LibreOffice reads this only from the paragraph)."""
    ppr = paragraph._p.get_or_add_pPr()
    el = OxmlElement("w:overflowPunct")
    el.set(qn("w:val"), "0")
    ppr.append(el)
    _order_ppr(ppr)


def body(doc, value: str, **fmt):
    """Add a paragraph of 正文: two characters in, justified to fill the line."""
    return para(doc, value, indent=True, align=WD_ALIGN_PARAGRAPH.JUSTIFY, **fmt)


def keep_with_next(paragraph) -> None:
    """Keep a paragraph on the page of the next one (its last lines, when it is split)."""
    paragraph.paragraph_format.keep_with_next = True


def tag(doc, value: str):
    """Add a paragraph holding only a docxtpl paragraph tag such as ``{%p if cc %}``."""
    return para(doc, value)


def border(paragraph, side: str, *, size: int, color="000000", space=1) -> None:
    """Draw a rule on one side (top/bottom) of a paragraph, ``size`` in eighths of a point."""
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    edge = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", size), ("w:space", space), ("w:color", color)):
        edge.set(qn(key), str(value))
    borders.append(edge)
    _order_ppr(ppr)


_PPR_ORDER = [
    "pStyle",
    "keepNext",
    "keepLines",
    "pageBreakBefore",
    "framePr",
    "widowControl",
    "numPr",
    "suppressLineNumbers",
    "pBdr",
    "shd",
    "tabs",
    "suppressAutoHyphens",
    "kinsoku",
    "wordWrap",
    "overflowPunct",
    "topLinePunct",
    "autoSpaceDE",
    "autoSpaceDN",
    "bidi",
    "adjustRightInd",
    "snapToGrid",
    "spacing",
    "ind",
    "contextualSpacing",
    "mirrorIndents",
    "suppressOverlap",
    "jc",
    "textDirection",
    "textAlignment",
    "textboxTightWrap",
    "outlineLvl",
    "divId",
    "cnfStyle",
    "rPr",
    "sectPr",
    "pPrChange",
]


def _order_ppr(ppr) -> None:
    """Sort pPr children into the schema's order (Word refuses files that do not follow it)."""
    rank = {qn(f"w:{name}"): i for i, name in enumerate(_PPR_ORDER)}
    children = sorted(ppr, key=lambda el: rank.get(el.tag, len(rank)))
    for child in children:
        ppr.append(child)


def rule_borders(table, *, top: int, bottom: int, inside: int) -> None:
    """Give a table horizontal rules only (sizes in eighths of a point), no vertical lines."""
    borders = OxmlElement("w:tblBorders")
    for side, size in (("top", top), ("left", 0), ("bottom", bottom), ("right", 0)):
        borders.append(_edge(side, size))
    borders.append(_edge("insideH", inside))
    borders.append(_edge("insideV", 0))
    tbl_pr = table._tbl.tblPr
    old = tbl_pr.find(qn("w:tblBorders"))
    if old is not None:
        tbl_pr.remove(old)
    style = tbl_pr.find(qn("w:tblStyle"))
    if style is not None:
        tbl_pr.remove(style)
    _insert_tblpr(tbl_pr, borders)


def no_cell_margins(table) -> None:
    """Set the table's left and right cell margins to zero (indents then count from the rule)."""
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), "0")
        el.set(qn("w:type"), "dxa")
        margins.append(el)
    _insert_tblpr(table._tbl.tblPr, margins)


_TBLPR_ORDER = [
    "tblStyle",
    "tblpPr",
    "tblOverlap",
    "bidiVisual",
    "tblStyleRowBandSize",
    "tblStyleColBandSize",
    "tblW",
    "jc",
    "tblCellSpacing",
    "tblInd",
    "tblBorders",
    "shd",
    "tblLayout",
    "tblCellMar",
    "tblLook",
]


def _insert_tblpr(tbl_pr, element) -> None:
    tbl_pr.append(element)
    rank = {qn(f"w:{name}"): i for i, name in enumerate(_TBLPR_ORDER)}
    for child in sorted(tbl_pr, key=lambda el: rank.get(el.tag, len(rank))):
        tbl_pr.append(child)


def _edge(side: str, size: int):
    edge = OxmlElement(f"w:{side}")
    if size:
        for key, value in (
            ("w:val", "single"),
            ("w:sz", size),
            ("w:space", 0),
            ("w:color", "000000"),
        ):
            edge.set(qn(key), str(value))
    else:
        edge.set(qn("w:val"), "nil")
    return edge


def float_to_bottom(table) -> None:
    """Float a table as wide as the 版心 to the bottom of the 版心 of the page its anchor is on.

    Positioned from the page's left edge (28 mm) and aligned to the bottom margin: Word and
    WPS float it there, and LibreOffice turns it into a frame at the same place (it keeps a
    table inline when it is placed relative to the margins and as wide as them).
    """
    pos = OxmlElement("w:tblpPr")
    for key, value in (
        ("w:leftFromText", 0),
        ("w:rightFromText", 0),
        ("w:topFromText", 0),
        ("w:bottomFromText", 0),
        ("w:vertAnchor", "margin"),
        ("w:horzAnchor", "page"),
        ("w:tblpX", LEFT.twips),
        ("w:tblpYSpec", "bottom"),
    ):
        pos.set(qn(key), str(value))
    _insert_tblpr(table._tbl.tblPr, pos)
    overlap = OxmlElement("w:tblOverlap")
    overlap.set(qn("w:val"), "never")
    _insert_tblpr(table._tbl.tblPr, overlap)


def right_tab(paragraph, position) -> None:
    """Set a right-aligned tab stop at ``position`` from the left margin."""
    paragraph.paragraph_format.tab_stops.add_tab_stop(position, WD_TAB_ALIGNMENT.RIGHT)


# --- the page ------------------------------------------------------------------------------


def new_document():
    """Start a document with the GB/T 9704 page, page numbers and a condensed 仿宋 3号 Normal style."""
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_W, PAGE_H
    section.top_margin, section.bottom_margin = TOP, BOTTOM
    section.left_margin, section.right_margin = LEFT, RIGHT
    section.header_distance, section.footer_distance = Mm(15), FOOTER_DISTANCE
    normal = doc.styles["Normal"]
    normal.font.name = BODY_FONT
    normal.font.size = SIZE_3
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), BODY_FONT)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        fonts.attrib.pop(qn(attr), None)
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:val"), str(CONDENSE))
    rpr.append(spacing)
    _rpr_order(rpr)
    no_hanging = OxmlElement("w:overflowPunct")  # punctuation stays inside the 版心
    no_hanging.set(qn("w:val"), "0")
    ppr = normal.element.get_or_add_pPr()
    ppr.append(no_hanging)
    _order_ppr(ppr)
    _defaults(doc)
    _page_numbers(doc, section)
    _font_fallbacks(doc)
    props = doc.core_properties
    props.author = props.last_modified_by = "duban"
    props.title = ""
    props.created = props.modified = datetime(2026, 1, 1)  # no clock in generated files
    props.revision = 1
    return doc


def _defaults(doc) -> None:
    """No space after paragraphs (table cells included); Chinese as the East-Asian language."""
    defaults = doc.styles.element.find(qn("w:docDefaults"))
    spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
    spacing.set(qn("w:after"), "0")
    lang = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}/{qn('w:lang')}")
    lang.set(qn("w:eastAsia"), "zh-CN")


_RPR_ORDER = ["rStyle", "rFonts", "b", "bCs", "i", "iCs", "color", "spacing", "w", "kern", "sz"]


def _rpr_order(rpr) -> None:
    rank = {qn(f"w:{name}"): i for i, name in enumerate(_RPR_ORDER)}
    for child in sorted(rpr, key=lambda el: rank.get(el.tag, len(rank))):
        rpr.append(child)


def _page_numbers(doc, section) -> None:
    """Odd pages "— 1 —" right, one 字 in; even pages left, one 字 in (4号 宋体)."""
    doc.settings.odd_and_even_pages_header_footer = True
    for footer, align in (
        (section.footer, WD_ALIGN_PARAGRAPH.RIGHT),
        (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT),
    ):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = align
        pf = p.paragraph_format
        pf.space_before = pf.space_after = Pt(0)
        pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        pf.line_spacing = Pt(18)
        if align == WD_ALIGN_PARAGRAPH.RIGHT:
            pf.right_indent = CHAR_4
        else:
            pf.left_indent = CHAR_4
        _page_field(p)


def _page_field(p) -> None:
    """Add "— PAGE —" (一字线, space, the PAGE field, space, 一字线), every run 4号 宋体.

    The field is written as Word writes it, one run per part with the result run formatted
    too: LibreOffice prints a field's value in the format of its result run.
    """
    text(p, "— ", font=SONG_FONT, size=SIZE_4)
    for kind, value in (
        ("begin", ""),
        ("instr", " PAGE "),
        ("separate", ""),
        ("result", "1"),
        ("end", ""),
    ):
        run = text(p, value if kind == "result" else "", font=SONG_FONT, size=SIZE_4)
        if kind == "instr":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = value
            run._element.append(el)
        elif kind != "result":
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
            run._element.append(el)
    text(p, " —", font=SONG_FONT, size=SIZE_4)


def _font_fallbacks(doc) -> None:
    """Declare the GB fonts in the font table with their common fallbacks (w:altName)."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    for name, alt in FALLBACKS.items():
        font = etree.SubElement(root, qn("w:font"))
        font.set(qn("w:name"), name)
        alt_el = etree.SubElement(font, qn("w:altName"))
        alt_el.set(qn("w:val"), alt)
        charset = etree.SubElement(font, qn("w:charset"))
        charset.set(qn("w:val"), "86")  # GB2312
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
