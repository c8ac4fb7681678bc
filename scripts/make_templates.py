"""Generate the letter templates in templates/*.docx (GB/T 9704-2012 layout, docxtpl tags).

Run ``python scripts/make_templates.py [OUTDIR]``. The .docx files are committed too, so
staff can open and edit them in Word or WPS; this script keeps them reviewable as code.
The page itself (margins, 22 lines × 28 characters, page numbers, the 版记 frame) is built by
``gbt9704.py`` beside this file; this file lays out the four letters on it:

- 版头: the office in red 小标宋, the 文号 with the red rule 4 mm under it; title 2号 小标宋.
- 主体: 主送 flush left, 正文 two characters in and justified; tables in 小四.
- 落款: 发文机关署名 and 成文日期 right, two characters in, kept on the page of the last
  lines of the text (keep-with-next from the last paragraph of 正文 through the date), so
  they never stand alone on a page; the 附注 (联系人) under the date.
- 附件说明 after the 正文 when something is attached (the 回执 of the 督办通知单), the
  附件 itself 另面编排 before the 版记.
- 版记 at the bottom of the last page: 抄送 (when any), 印发机关 and 印发日期, with its rules.
"""

from __future__ import annotations

import sys
from pathlib import Path

from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.shared import Mm, Pt

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
    new_document,
    no_cell_margins,
    para,
    right_tab,
    rule_borders,
    tag,
    text,
)

ROOT = Path(__file__).resolve().parent.parent


# --- the parts of a letter -----------------------------------------------------------------


def letterhead(doc) -> None:
    """Add the 版头: issuing office in red, the 文号, and the red rule 4 mm under it."""
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
    content = [[tag_text(loop)], cells, ["{%tr endfor %}"]] if loop else [cells]
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


# --- the four letters ----------------------------------------------------------------------


def notice():
    """督办通知单: one item to its lead unit; the 回执 to fill in and return is its 附件."""
    doc = new_document()
    letterhead(doc)
    title(doc, "督查事项督办通知单")
    para(doc, "{{ unit }}：")
    body(
        doc,
        "根据{{ item.source }}，现将下列督查事项交你单位牵头办理。请你单位高度重视，明确分管领导和具体责任人，"
        "按要求抓好落实，按反馈要求报送办理进展，办结后及时报送办理结果。",
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
    body(doc, "请于{{ receipt_by }}前填写回执（见附件）报送{{ office }}。")
    attachment_note(doc, "督办通知单回执")
    signature(doc)
    attachment(doc, "督办通知单回执")
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
    record(doc)
    return doc


def reminder():
    """催办函: one unit, a table of its overdue items with days overdue and prior 催办 count."""
    doc = new_document()
    letterhead(doc)
    title(doc, "关于督查事项逾期未办结的催办函")
    para(doc, "{{ unit }}：")
    body(
        doc,
        "截至{{ date_cn }}，你单位牵头承办的以下{{ items|length }}项督查事项已超过办结时限，仍未办结。"
        "现予催办，请你单位高度重视，加快办理进度，并于{{ reply_by }}前将办理进展、逾期原因及下步措施书面报送{{ office }}。",
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
    body(doc, "逾期仍未办结或办理不力的，将按程序发出限期整改通知书，并纳入年度督查考评。")
    signature(doc)
    record(doc)
    return doc


def rectify():
    """限期整改通知书: one unit, its items at 限期整改 or above, and the new deadline."""
    doc = new_document()
    letterhead(doc)
    title(doc, "限期整改通知书")
    para(doc, "{{ unit }}：")
    body(
        doc,
        "经督查，你单位牵头承办的以下{{ items|length }}项督查事项逾期未办结，至今未整改到位。"
        "现责令你单位于{{ new_deadline }}前整改到位，并将整改情况书面报送{{ office }}。",
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
    body(
        doc,
        "逾期仍未整改到位的，将依次予以黄牌警告、红牌问责（建议约谈、问责），并纳入单位年度绩效考核。",
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
    body(
        doc,
        "{{ period }}（截至{{ date_cn }}），{{ office }}共跟踪督办事项{{ totals.total }}项，"
        "其中已办结{{ totals.done }}项、办理中{{ totals.active }}项；逾期{{ totals.overdue }}项，"
        "临期{{ totals.due_soon }}项，反馈逾期{{ totals.late_feedback }}项；按期办结率{{ totals.on_time_rate }}。"
        "现将有关情况通报如下。",
    )
    heading(doc, "一、通报表扬")
    tag(doc, "{%p if praise %}")
    body(doc, "{{ praise }}落实督查事项措施有力、反馈及时，考评得分位居前列，予以通报表扬。")
    tag(doc, "{%p else %}")
    body(doc, "本期无表扬单位。")
    tag(doc, "{%p endif %}")
    heading(doc, "二、通报批评")
    tag(doc, "{%p for c in criticised %}")
    body(doc, "{{ c.unit }}：考评得分{{ c.score }}分，{{ c.reason }}，予以通报批评。")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p if not criticised %}")
    body(doc, "本期无批评单位。")
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
    body(
        doc,
        "各责任单位要对照通报问题逐项整改，受到批评的单位要认真分析原因，于5个工作日内将整改措施书面报送{{ office }}。"
        "督查室将持续跟踪问效，对整改不力的按程序予以黄牌警告、红牌问责。",
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
