"""The workbook's shape: sheet names, columns with their accepted header variants, and settings.

Everything a user reads here is Chinese; identifiers are English (SPEC §2).
This module is data only, so the template builder, the reader and the writers agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# --- sheets (SPEC §3.1) -----------------------------------------------------------------

LEDGER = "督办事项"
UNITS = "责任单位"
PROGRESS_LOG = "进展记录"
LETTER_LOG = "发文登记"
SETTINGS = "参数设置"
CALENDAR = "节假日调整"
SUMMARY = "统计汇总"
RANKING = "考评排名"
OVERDUE_LIST = "逾期清单"
DUE_SOON_LIST = "临期清单"
PROBLEMS = "校验问题"

GENERATED_SHEETS = (SUMMARY, RANKING, OVERDUE_LIST, DUE_SOON_LIST, PROBLEMS)
STAFF_SHEETS = (LEDGER, UNITS, PROGRESS_LOG, LETTER_LOG, SETTINGS, CALENDAR)
ALL_SHEETS = STAFF_SHEETS + GENERATED_SHEETS

# An existing office ledger is found by these words in its sheet name (SPEC §3.1).
LEDGER_NAME_HINTS = ("台账", "督办", "督查", "事项")

# --- vocabulary (SPEC §3.2) -------------------------------------------------------------

CATEGORIES = (
    "上级来文",
    "政府工作报告",
    "民生实事",
    "会议议定",
    "领导批示",
    "建议提案",
    "热线交办",
    "其他",
)

# Typed by staff in 办理状态.
STATUS_IN_PROGRESS = "办理中"
STATUS_DONE = "已办结"
STATUS_CLOSED = "已销号"
STATUS_EXTENSION_REQUESTED = "申请延期"
STATUS_ADJUSTED = "已调整"
STATUS_CANCELLED = "已取消"
STATUS_SUSPENDED = "暂缓"
TYPED_STATUSES = (
    STATUS_IN_PROGRESS,
    STATUS_DONE,
    STATUS_CLOSED,
    STATUS_EXTENSION_REQUESTED,
    STATUS_ADJUSTED,
    STATUS_CANCELLED,
    STATUS_SUSPENDED,
)

# Computed 计算状态 (SPEC §4.2).
COMPUTED_STATUSES = (
    STATUS_CANCELLED,
    STATUS_ADJUSTED,
    STATUS_SUSPENDED,
    STATUS_CLOSED,
    STATUS_DONE,
    "逾期办结",
    "逾期",
    "反馈逾期",
    "临期",
    "进度滞后",
    "正常推进",
)

LIGHTS = ("红", "黄", "绿", "蓝", "灰")

# 督办等级 ladder (SPEC §4.4), lowest first; "" means no escalation.
LEVELS = ("", "提醒", "催办", "限期整改", "黄牌", "红牌")

LETTER_TYPES = ("督办通知单", "催办函", "限期整改通知书", "督查通报")

ONGOING_WORDS = ("长期", "持续推进", "常态化")

# --- columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its canonical header, the variants staff use, and how it is laid out."""

    key: str
    header: str
    variants: tuple[str, ...] = ()
    width: float = 12
    kind: str = "text"  # text | longtext | date | percent | int | list
    computed: bool = False
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.variants)


LEDGER_INPUT_COLUMNS: tuple[Column, ...] = (
    Column("id", "编号", ("序号编号", "事项编号"), 14, required=True),
    Column("category", "事项类别", ("类别", "事项类型", "来源类别"), 12, "list"),
    Column("source", "来源依据", ("来源", "交办依据", "文件依据"), 24, "longtext"),
    Column(
        "content",
        "事项内容",
        ("督办事项", "督查事项", "工作任务", "任务内容", "事项名称"),
        40,
        "longtext",
        required=True,
    ),
    Column("requirement", "工作要求", ("办理要求", "督办要求"), 30, "longtext"),
    Column("leader", "牵头领导", ("分管领导", "责任领导", "县领导"), 10),
    Column("unit", "责任单位", ("牵头单位", "主办单位", "承办单位"), 16, "list", required=True),
    Column("co_units", "配合单位", ("协办单位", "配合部门"), 18),
    Column("person", "责任人", ("具体责任人", "经办人"), 10),
    Column("phone", "联系电话", ("电话", "手机"), 14),
    Column("assigned_on", "交办日期", ("交办时间", "下达日期", "立项日期"), 12, "date"),
    Column(
        "deadline",
        "办结时限",
        ("完成时限", "截止日期", "办理时限", "完成时间", "截止时间"),
        12,
        "date",
    ),
    Column("extended_to", "延期至", ("延期时限", "延期日期"), 12, "date"),
    Column("cadence", "反馈周期", ("反馈频次", "报送周期", "反馈要求"), 14),
    Column("latest_progress", "最新进展", ("进展情况", "办理进展", "工作进展"), 40, "longtext"),
    Column(
        "last_feedback_on", "最近反馈日期", ("反馈日期", "最近反馈", "最后反馈日期"), 12, "date"
    ),
    Column("progress", "完成进度", ("进度", "完成比例", "完成率"), 10, "percent"),
    Column("typed_status", "办理状态", ("状态", "办理情况"), 10, "list"),
    Column("done_on", "办结日期", ("完成日期", "实际办结日期"), 12, "date"),
    Column("owner", "督办人", ("督查人", "跟踪人"), 10),
    Column("note", "备注", ("说明",), 20, "longtext"),
)

LEDGER_COMPUTED_COLUMNS: tuple[Column, ...] = (
    Column("light", "预警", (), 6, computed=True),
    Column("status", "计算状态", (), 10, computed=True),
    Column("days_left", "剩余工作日", (), 10, "int", computed=True),
    Column("days_overdue", "逾期工作日", (), 10, "int", computed=True),
    Column("next_feedback_on", "下次反馈日", (), 12, "date", computed=True),
    Column("expected_progress", "序时进度", (), 10, "int", computed=True),
    Column("deviation", "进度偏差", (), 10, "int", computed=True),
    Column("level", "督办等级", (), 10, computed=True),
    Column("reminder_count", "已催办次数", (), 10, "int", computed=True),
    Column("updated_at", "更新时间", (), 18, computed=True),
)

LEDGER_COLUMNS = LEDGER_INPUT_COLUMNS + LEDGER_COMPUTED_COLUMNS

COMPUTED_MARK = "系统自动计算，请勿手工填写"

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("name", "单位名称", ("责任单位", "单位"), 20, required=True),
    Column("aliases", "别名", ("简称", "别称"), 24),
    Column("head", "主要领导", (), 10),
    Column("leader", "分管领导", (), 10),
    Column("contact", "联系人", (), 10),
    Column("phone", "联系电话", ("电话",), 14),
    Column("email", "邮箱", ("电子邮箱", "Email", "E-mail"), 24),
    Column("cc", "抄送邮箱", ("抄送",), 24),
)

PROGRESS_LOG_COLUMNS: tuple[Column, ...] = (
    Column("date", "日期", ("反馈日期", "填报日期"), 12, "date", required=True),
    Column("item_id", "编号", ("事项编号",), 14, required=True),
    Column("unit", "责任单位", ("单位",), 16),
    Column("text", "进展内容", ("进展情况",), 50, "longtext"),
    Column("progress", "完成进度", ("进度",), 10, "percent"),
    Column("evidence", "佐证材料", (), 20),
    Column("entered_by", "录入人", ("填报人",), 10),
)

LETTER_LOG_COLUMNS: tuple[Column, ...] = (
    Column("doc_no", "文号", (), 18, required=True),
    Column("type", "类型", ("文种",), 14),
    Column("date", "日期", (), 12, "date"),
    Column("unit", "责任单位", (), 16),
    Column("item_ids", "事项编号", (), 30),
    Column("file", "文件", (), 50),
)

SETTINGS_COLUMNS: tuple[Column, ...] = (
    Column("name", "参数", ("参数名称", "名称"), 22, required=True),
    Column("value", "值", ("参数值", "取值"), 26),
    Column("help", "说明", (), 60, "longtext"),
)

CALENDAR_COLUMNS: tuple[Column, ...] = (
    Column("date", "日期", (), 12, "date", required=True),
    Column("kind", "类型", (), 8, "list", required=True),
    Column("note", "说明", (), 30),
)

CALENDAR_KINDS = ("休", "班")

SHEET_COLUMNS: dict[str, tuple[Column, ...]] = {
    LEDGER: LEDGER_COLUMNS,
    UNITS: UNIT_COLUMNS,
    PROGRESS_LOG: PROGRESS_LOG_COLUMNS,
    LETTER_LOG: LETTER_LOG_COLUMNS,
    SETTINGS: SETTINGS_COLUMNS,
    CALENDAR: CALENDAR_COLUMNS,
}

# --- settings (SPEC §6) -----------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One row of 参数设置: name, default value and a Chinese explanation."""

    key: str
    name: str
    default: object
    help: str
    kind: str = "text"  # text | int | float | time | email


SETTINGS_DEFAULTS: tuple[Setting, ...] = (
    Setting(
        "office_name", "单位名称", "XX县人民政府督查室", "发文机关名称，印在通知、函件和通报上"
    ),
    Setting("contact", "联系人", "", "督查室联系人，印在函件落款处"),
    Setting("contact_phone", "联系电话", "", "督查室联系电话，印在函件落款处"),
    Setting("leader_emails", "领导邮箱", "", "接收每日汇总的领导邮箱，多个用逗号分隔", "email"),
    Setting("office_email", "督查室邮箱", "", "每日任务失败时的告警收件邮箱", "email"),
    Setting(
        "daily_time", "每日发送时间", "08:30", "每个工作日发送提醒邮件的时间，格式 HH:MM", "time"
    ),
    Setting("id_prefix", "编号前缀", "DB", "新事项自动编号的前缀，编号形如 DB-2026-001"),
    Setting("prefix_notice", "督办通知单文号前缀", "督办", "督办通知单文号，如 督办〔2026〕12号"),
    Setting("prefix_reminder", "催办函文号前缀", "催办", "催办函文号，如 催办〔2026〕3号"),
    Setting(
        "prefix_rectify", "限期整改通知书文号前缀", "督改", "限期整改通知书文号，如 督改〔2026〕2号"
    ),
    Setting(
        "prefix_bulletin", "督查通报文号前缀", "督查通报", "督查通报文号，如 督查通报〔2026〕1号"
    ),
    Setting("due_soon_days", "临期提醒工作日", 3, "剩余工作日不超过此数时标为临期（黄灯）", "int"),
    Setting(
        "lag_threshold", "进度滞后阈值", 20, "完成进度落后序时进度超过此百分点时标为进度滞后", "int"
    ),
    Setting("remind_from", "催办起始逾期工作日", 1, "逾期达到此工作日数起发催办函", "int"),
    Setting("rectify_from", "限期整改逾期工作日", 6, "逾期达到此工作日数起发限期整改通知书", "int"),
    Setting("yellow_from", "黄牌逾期工作日", 11, "逾期达到此工作日数起亮黄牌", "int"),
    Setting("red_from", "红牌逾期工作日", 21, "逾期达到此工作日数起亮红牌（建议约谈/问责）", "int"),
    Setting(
        "yellow_after_reminders",
        "黄牌催办函次数",
        2,
        "已发催办函达到此次数且其后无反馈时亮黄牌",
        "int",
    ),
    Setting("score_base", "考评基础分", 100, "每个考评周期各单位的基础分", "float"),
    Setting("w_late_feedback", "反馈逾期扣分", 1, "每次反馈逾期扣分", "float"),
    Setting("w_overdue", "逾期事项扣分", 2, "考评期末每项逾期事项扣分", "float"),
    Setting("w_reminder", "催办函扣分", 1, "每份催办函扣分", "float"),
    Setting("w_yellow", "黄牌扣分", 3, "每张黄牌扣分", "float"),
    Setting("w_red", "红牌扣分", 5, "每张红牌扣分", "float"),
    Setting("w_early", "提前办结加分", 1, "每项提前办结加分", "float"),
    Setting("co_unit_factor", "配合单位权重", 0.5, "配合单位按此比例计分", "float"),
    Setting("score_period", "考评周期", "季度", "月度、季度或年度"),
    Setting(
        "criticise_below", "通报批评分数线", 90, "得分低于此分数的单位在通报中提出批评", "float"
    ),
    Setting("praise_top", "通报表扬名次", 3, "排名前几位的单位在通报中予以表扬", "int"),
    Setting("backups_kept", "备份保留份数", 10, "每次刷新前备份台账，保留最近几份", "int"),
)

SETTINGS_BY_NAME = {s.name: s for s in SETTINGS_DEFAULTS}
SETTINGS_BY_KEY = {s.key: s for s in SETTINGS_DEFAULTS}


@dataclass(frozen=True)
class LetterType:
    """A kind of letter and the setting holding its 文号 prefix."""

    name: str
    prefix_key: str
    template: str = field(default="")


LETTERS = {
    "督办通知单": LetterType("督办通知单", "prefix_notice", "督办通知单.docx"),
    "催办函": LetterType("催办函", "prefix_reminder", "催办函.docx"),
    "限期整改通知书": LetterType("限期整改通知书", "prefix_rectify", "限期整改通知书.docx"),
    "督查通报": LetterType("督查通报", "prefix_bulletin", "督查通报.docx"),
}
