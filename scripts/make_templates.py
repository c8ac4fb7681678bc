"""Generate the letter templates in templates/*.docx (GB/T 9704-2012 layout, docxtpl tags).

Run ``python scripts/make_templates.py [OUTDIR]``. The .docx files are committed too, so
staff can open and edit them in Word or WPS; this script keeps them reviewable as code.
The page itself (margins, 22 lines × 28 characters, page numbers, the 版记 frame) is built by
``gbt9704.py`` beside this file, the parts of a letter by ``letter_parts.py``; this file lays
out the four letters and the report upward on them:

- 版头: the office in red 小标宋, the 文号 with the red rule 4 mm under it; title 2号 小标宋.
  The 落实情况报告 goes upward: its 文号 stands left and the 签发人 right (§7.2.3).
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from gbt9704 import body, new_document, para, tag  # noqa: E402  (sibling scripts)
from letter_parts import (  # noqa: E402
    KAI_FONT,
    attachment,
    attachment_note,
    field_table,
    heading,
    kai_fallback,
    letterhead,
    letterhead_upward,
    record,
    signature,
    table,
    title,
)

ROOT = Path(__file__).resolve().parent.parent


# --- the four letters and the report upward -------------------------------------------------


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


def report():
    """落实情况报告 (upward): counts per unit, each item's units' progress as typed, who did not report."""
    doc = new_document()
    kai_fallback(doc)
    letterhead_upward(doc)
    title(doc, "关于{{ subject }}落实情况的报告")
    para(doc, "{{ unit }}：")
    body(
        doc,
        "按照督查工作安排，{{ office }}对{{ subject }}落实情况进行了跟踪督查。截至{{ as_of }}，"
        "{{ subject }}共{{ totals.total }}项，已完成{{ totals.done }}项，正在推进{{ totals.active }}项，"
        "进度滞后{{ totals.lagging }}项{% if totals.set_aside %}（另有{{ totals.set_aside }}项已调整、"
        "取消或暂缓，未计入）{% endif %}。现将有关情况报告如下。",
    )
    heading(doc, "一、总体情况")
    table(
        doc,
        ["责任单位", "事项数", "完成", "推进中", "滞后"],
        ["{{ r.unit }}", "{{ r.total }}", "{{ r.done }}", "{{ r.active }}", "{{ r.lagging }}"],
        [60, 24, 24, 24, 24],
        loop="r in table",
        left=(0,),
        footer=[
            "合计",
            "{{ totals.total }}",
            "{{ totals.done }}",
            "{{ totals.active }}",
            "{{ totals.lagging }}",
        ],
    )
    para(doc)
    heading(doc, "二、各事项落实情况")
    tag(doc, "{%p for it in items %}")
    para(doc, "（{{ it.no }}）{{ it.content }}", indent=True, keep=True, font=KAI_FONT)
    body(
        doc,
        "事项编号：{{ it.id }}；牵头单位：{{ it.units }}{% if it.co_units %}；配合单位："
        "{{ it.co_units }}{% endif %}；办结时限：{{ it.deadline }}；目前状态：{{ it.state }}。",
    )
    tag(doc, "{%p for r in it.reports %}")
    body(
        doc,
        "{{ r.unit }}{% if r.date %}（{{ r.date }}报送{% if r.progress %}，完成进度"
        "{{ r.progress }}{% endif %}）{% elif r.progress %}（完成进度{{ r.progress }}）"
        "{% endif %}：{{ r.text }}",
    )
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p endfor %}")
    heading(doc, "三、未按时报送落实情况的单位")
    tag(doc, "{%p if missing %}")
    body(
        doc,
        "{% if node_passed %}本期落实情况应于{{ node }}前报送，截至{{ node }}，以下单位未按时报送："
        "{% else %}本期落实情况应于{{ node }}前报送，截至{{ as_of }}，以下单位尚未报送：{% endif %}",
    )
    tag(doc, "{%p for m in missing %}")
    body(doc, "{{ m.unit }}（{{ m.ids }}）。")
    tag(doc, "{%p endfor %}")
    tag(doc, "{%p else %}")
    body(doc, "各责任单位均已按时报送本期落实情况。")
    tag(doc, "{%p endif %}")
    heading(doc, "四、下步工作")
    body(
        doc,
        "下一步，{{ office }}将继续加强跟踪督办，对进度滞后的事项和未按时报送落实情况的单位"
        "加大督办力度，确保各项任务按期完成。",
    )
    body(doc, "特此报告。")
    signature(doc)
    record(doc)
    return doc


def weekly():
    """周例会通报: the 督查室's own paper for its weekly meeting, each 督办人's 差错 of the week.

    Internal: no 文号 (the week, 2026年第41周, is printed in its place) and no addressee.
    """
    doc = new_document()
    letterhead(doc)
    title(doc, "督查室周例会差错通报")
    body(
        doc,
        "{{ week }}，督查室共登记督办人差错{{ totals.new }}项，其中逾期未办结{{ totals.overdue }}项、"
        "未跟进（连续{{ unfollowed_days }}个工作日无进展记录、文书或反馈）{{ totals.unfollowed }}项；"
        "本周已纠正{{ totals.corrected }}项，尚未纠正的差错共{{ totals.open }}项。现将有关情况通报如下。",
    )
    heading(doc, "一、各督办人差错情况")
    table(
        doc,
        ["序号", "督办人", "在办事项", "本周差错", "逾期未办结", "未跟进", "本周纠正", "未纠正"],
        [
            "{{ r.no }}",
            "{{ r.owner }}",
            "{{ r.in_hand }}",
            "{{ r.new }}",
            "{{ r.overdue }}",
            "{{ r.unfollowed }}",
            "{{ r.corrected }}",
            "{{ r.open }}",
        ],
        [14, 19, 21, 21, 26, 17, 21, 17],
        loop="r in owners",
    )
    para(doc)
    heading(doc, "二、本周登记的差错")
    tag(doc, "{%p if entries %}")
    table(
        doc,
        ["序号", "督办人", "事项编号", "事项内容", "差错类型", "发生日期", "状态"],
        [
            "{{ e.no }}",
            "{{ e.owner }}",
            "{{ e.id }}",
            "{{ e.content }}",
            "{{ e.kind }}",
            "{{ e.occurred }}",
            "{{ e.state }}",
        ],
        [14, 18, 32, 24, 22, 28, 18],
        loop="e in entries",
        left=(3,),
    )
    tag(doc, "{%p else %}")
    body(doc, "本周无新登记的差错。")
    tag(doc, "{%p endif %}")
    para(doc)
    heading(doc, "三、工作要求")
    body(
        doc,
        "有差错的督办人要逐项说明原因，一周内督促责任单位办结或补报进展，并在台账中据实更新；"
        "对连续两周未纠正的差错，提请办领导约谈。",
    )
    signature(doc)
    record(doc)
    return doc


BUILDERS = {
    "督办通知单": notice,
    "催办函": reminder,
    "限期整改通知书": rectify,
    "督查通报": bulletin,
    "落实情况报告": report,
    "周例会通报": weekly,
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
