"""The parts of a letter on the GB/T 9704-2012 page (used by make_templates.py beside this file).

版头 (office in red, 文号, red rule), title, headings, 落款 kept with the text, 附件说明 and
附件, the 版记 floated to the bottom of the last page, and the bordered tables of the letters.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbt9704 import (  # noqa: E402  (a sibling script, not a package)
    BODY_FONT,
    CHAR,
    CHAR_4,
    HEADING_FONT,
    RECORD_LINE,
    RED,
    SIZE_2,
    SIZE_4,
    SIZE_S4,
    TABLE_LINE,
    TEXT_W,
    THICK_RULE,
    THIN_RULE,
    TITLE_FONT,
    body,
    border,
    float_to_bottom,
    keep_with_next,
    no_cell_margins,
    para,
    right_tab,
    rule_borders,
    text,
)

KAI_FONT = "楷体_GB2312"  # second-level headings and the 签发人's name (GB/T 9704 §7.2.3)


def _office_mark(doc) -> None:
    """Add the 发文机关标志 (the issuing office in red, centred) and the blank line under it."""
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


def letterhead(doc) -> None:
    """Add the 版头: issuing office in red, the 文号, and the red rule 4 mm under it."""
    _office_mark(doc)
    p = para(doc, "{{ doc_no }}", align=WD_ALIGN_PARAGRAPH.CENTER)
    border(p, "bottom", size=18, color="E60012", space=11)
    para(doc)


def letterhead_upward(doc) -> None:
    """Add the 版头 of a 上行文 (GB/T 9704 §7.2.3): 文号 one 字 from the left, 签发人 one 字
    from the right on the same line (签发人 in 仿宋, the name in 楷体), then the red rule."""
    _office_mark(doc)
    p = para(doc, "{{ doc_no }}")
    p.paragraph_format.left_indent = CHAR
    right_tab(p, TEXT_W - CHAR)
    p.runs[0].add_tab()
    text(p, "签发人：")
    text(p, "{{ signer }}", font=KAI_FONT)
    border(p, "bottom", size=18, color="E60012", space=11)
    para(doc)


def title(doc, value: str) -> None:
    """Add the 2号 方正小标宋简体 title, centred, followed by a blank line."""
    para(doc, value, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), font=TITLE_FONT, size=SIZE_2)
    para(doc)


def heading(doc, value: str) -> None:
    """Add a first-level heading (一、……) in 黑体, indented like body text, kept with its text."""
    para(doc, value, indent=True, keep=True, font=HEADING_FONT)


def attachment_note(doc, name: str) -> None:
    """Add the 附件说明 one line under the 正文, two characters in: 附件：名称 (no full stop)."""
    keep_with_next(doc.paragraphs[-1])
    para(doc, keep=True)
    para(doc, f"附件：{name}", indent=True, keep=True)


def signature(doc) -> None:
    """Add the 落款 (office, date) kept with the last lines of the 正文, then the 附注.

    The last paragraph before it, the blank line, the office and the date are kept with
    the next paragraph, so a page break can only fall inside the 正文, never between the
    text and its signature. Office and date stand two characters in from the right.
    """
    keep_with_next(doc.paragraphs[-1])
    para(doc, keep=True)
    for value in ("{{ office }}", "{{ date_cn }}"):
        p = para(doc, value, align=WD_ALIGN_PARAGRAPH.RIGHT, keep=True)
        p.paragraph_format.right_indent = 2 * CHAR
    body(doc, "（联系人：{{ contact }}，联系电话：{{ phone }}）")


def attachment(doc, name: str) -> None:
    """Start the 附件 on a new page: 附件 in 黑体 flush left, its title centred one line under."""
    p = para(doc, "附件", font=HEADING_FONT)
    p.paragraph_format.page_break_before = True
    para(doc)
    para(doc, name, align=WD_ALIGN_PARAGRAPH.CENTER, line=Pt(36), font=TITLE_FONT, size=SIZE_2)
    para(doc)


def record(doc) -> None:
    """Add the 版记 in a text box at the bottom of the last page.

    A table as wide as the 版心 with a thick rule (0.35 mm) above and below and a thin one
    (0.25 mm) between its rows: 抄送 (when any; 一字 in on both sides, wrapped lines under the
    first name), then 印发机关 (一字 in) and 印发日期 + 印发 (一字 from the right).
    """
    t = doc.add_table(rows=4, cols=1)
    t.autofit = False
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.columns[0].width = TEXT_W
    rule_borders(t, top=THICK_RULE, bottom=THICK_RULE, inside=THIN_RULE)
    no_cell_margins(t)
    rows = [cell_para(t.cell(r, 0)) for r in range(4)]
    text(rows[0], "{%tr if cc %}")
    cc = rows[1]
    text(cc, "抄送：{{ cc }}。", size=SIZE_4)
    cc.paragraph_format.left_indent = CHAR_4 + 3 * CHAR_4
    cc.paragraph_format.first_line_indent = -3 * CHAR_4
    cc.paragraph_format.right_indent = CHAR_4
    text(rows[2], "{%tr endif %}")
    issued = rows[3]
    issued.paragraph_format.left_indent = CHAR_4
    right_tab(issued, TEXT_W - CHAR_4)
    text(issued, "{{ office }}", size=SIZE_4).add_tab()
    text(issued, "{{ date_cn }}印发", size=SIZE_4)
    for row in t.rows:
        row.height = RECORD_LINE
    float_to_bottom(t)
    para(doc, line=Pt(1))  # the paragraph the table is anchored to: the letter's last


def cell_para(cell):
    """Return a cell's paragraph set to the 版记 line."""
    p = cell.paragraphs[0]
    p.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    p.paragraph_format.line_spacing = RECORD_LINE
    p.paragraph_format.space_before = p.paragraph_format.space_after = Pt(0)
    return p


def table(
    doc,
    headers: list[str],
    cells: list[str],
    widths_mm: list[float],
    loop: str | None = None,
    left=(),
    footer: list[str] | None = None,
):
    """Add a bordered table: a header row and one row of cells, repeated by ``loop`` when given.

    Columns in ``left`` (0-based) are left-aligned (long text); the others are centred. A
    ``footer`` row (合计) follows the repeated rows.
    """
    rows = 2 + (2 if loop else 0) + (1 if footer else 0)
    t = doc.add_table(rows=rows, cols=len(headers))
    t.style = "Table Grid"
    t.alignment = WD_TABLE_ALIGNMENT.CENTER
    t.autofit = False
    for c, width in enumerate(widths_mm):
        t.columns[c].width = Mm(width)  # the grid LibreOffice and WPS lay out by
    content = [[tag_text(loop)], cells, ["{%tr endfor %}"]] if loop else [cells]
    if footer:
        content.append(footer)
    for r, values in enumerate([headers, *content]):
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


def kai_fallback(doc) -> None:
    """Declare 楷体_GB2312 in the font table with 楷体 as its fallback (as gbt9704 does for its fonts)."""
    part = next(p for p in doc.part.package.iter_parts() if p.partname == "/word/fontTable.xml")
    root = etree.fromstring(part.blob)
    if any(f.get(qn("w:name")) == KAI_FONT for f in root):
        return
    font = etree.SubElement(root, qn("w:font"))
    font.set(qn("w:name"), KAI_FONT)
    alt = etree.SubElement(font, qn("w:altName"))
    alt.set(qn("w:val"), "楷体")
    charset = etree.SubElement(font, qn("w:charset"))
    charset.set(qn("w:val"), "86")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
