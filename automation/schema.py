"""The workbook's shape: sheet names, columns with their accepted header variants, and settings.

Everything a user reads here is Chinese; identifiers are English (one vocabulary: README 台账结构).
This module is data only, so the template builder, the reader and the writers agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

# --- sheets (README 台账结构) -----------------------------------------------------------------

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

# An existing office ledger is found by these words in its sheet name (README 台账结构).
LEDGER_NAME_HINTS = ("台账", "督办", "督查", "事项")

# --- vocabulary (README 台账结构) -------------------------------------------------------------

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


class TypedStatus(StrEnum):
    """办理状态 as staff type it (one of README 台账结构)."""

    IN_PROGRESS = "办理中"
    DONE = "已办结"
    CLOSED = "已销号"
    EXTENSION_REQUESTED = "申请延期"
    ADJUSTED = "已调整"
    CANCELLED = "已取消"
    SUSPENDED = "暂缓"


class Status(StrEnum):
    """计算状态, in order of precedence (docs/rules.md §4). UNKNOWN: it could not be computed."""

    CANCELLED = "已取消"
    ADJUSTED = "已调整"
    SUSPENDED = "暂缓"
    CLOSED = "已销号"
    DONE = "已办结"
    DONE_LATE = "逾期办结"
    OVERDUE = "逾期"
    FEEDBACK_LATE = "反馈逾期"
    DUE_SOON = "临期"
    LAGGING = "进度滞后"
    ON_TRACK = "正常推进"
    UNKNOWN = ""


class Light(StrEnum):
    """预警: red, yellow, green, blue for done, grey for closed or set aside; NONE when unknown."""

    RED = "红"
    YELLOW = "黄"
    GREEN = "绿"
    BLUE = "蓝"
    GREY = "灰"
    NONE = ""


class Level(StrEnum):
    """督办等级, lowest first (docs/rules.md §8); NONE means no escalation."""

    NONE = ""
    REMIND = "提醒"
    URGE = "催办"
    RECTIFY = "限期整改"
    YELLOW_CARD = "黄牌"
    RED_CARD = "红牌"


class LetterType(StrEnum):
    """文书类型 in 发文登记. The first four are issued by duban; a 黄牌 is registered by staff."""

    NOTICE = "督办通知单"
    REMINDER = "催办函"
    RECTIFY = "限期整改通知书"
    BULLETIN = "督查通报"
    YELLOW_CARD = "黄牌"
    REPORT = "落实情况报告"  # upward, written by ``duban report`` (docs/letters.md)


class LetterState(StrEnum):
    """状态 of a 发文登记 row (docs/letters.md 审定): a 送审稿 waits, is approved or sent back.

    A row without 状态 is a letter issued as before (or one staff registered by hand).
    """

    PENDING = "待审定"
    APPROVED = "已审定"
    ISSUED = "已发出"
    REJECTED = "退回"


# What staff also type into 发文登记's 状态, read as one of the four.
LETTER_STATE_WORDS: dict[str, LetterState] = {
    **{s.value: s for s in LetterState},
    "送审": LetterState.PENDING,
    "待审": LetterState.PENDING,
    "审定": LetterState.APPROVED,
    "同意": LetterState.APPROVED,
    "已签发": LetterState.APPROVED,
    "签发": LetterState.APPROVED,
    "已发": LetterState.ISSUED,
    "已印发": LetterState.ISSUED,
    "已发文": LetterState.ISSUED,
    "已退回": LetterState.REJECTED,
    "不同意": LetterState.REJECTED,
}


def status_label(status: Status) -> str:
    """Return 计算状态 as said in summaries: its own word, or 无法计算 for the blank one."""
    return str(status) or "无法计算"


TYPED_STATUSES = tuple(TypedStatus)
COMPUTED_STATUSES = tuple(s for s in Status if s is not Status.UNKNOWN)
LIGHTS = tuple(light for light in Light if light is not Light.NONE)
LEVELS = tuple(Level)
# Letters duban writes (``duban letters --type``), in the order they are chosen.
LETTER_TYPES = (LetterType.NOTICE, LetterType.REMINDER, LetterType.RECTIFY, LetterType.BULLETIN)
# Every type duban writes, the report upward included (what 须审定文书 may name).
WRITTEN_TYPES = (*LETTER_TYPES, LetterType.REPORT)
LETTER_STATES = tuple(LetterState)

# Groups of 计算状态 used by summaries, lists, mails and the dashboard alike.
SET_ASIDE = (Status.CANCELLED, Status.ADJUSTED, Status.SUSPENDED)
DONE_STATUSES = (Status.DONE, Status.DONE_LATE, Status.CLOSED)
OPEN_STATUSES = (
    Status.OVERDUE,
    Status.FEEDBACK_LATE,
    Status.DUE_SOON,
    Status.LAGGING,
    Status.ON_TRACK,
    Status.UNKNOWN,
)
# Typed statuses under which an item is still being worked on.
ACTIVE_TYPED = (TypedStatus.IN_PROGRESS, TypedStatus.EXTENSION_REQUESTED)

ONGOING_WORDS = ("长期", "持续推进", "常态化")
# 单位类型 offered in 责任单位's drop-down; group words such as 各乡镇 expand through them.
UNIT_KINDS = ("部门", "乡镇", "街道")

# --- columns ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: its canonical header, the variants staff use, and how it is laid out."""

    key: str
    header: str
    variants: tuple[str, ...] = ()
    width: float = 12
    kind: str = "text"  # text | longtext | date | percent | int | list | rownumber
    computed: bool = False
    required: bool = False

    @property
    def names(self) -> tuple[str, ...]:
        return (self.header, *self.variants)


# Header words of real office ledgers are variants (docs/rules.md §3, README 台账结构). ``序号`` is
# a row number (key ``seq``), never an 编号. ``办理情况``/``落实情况`` are read as 办理状态 when
# their cells hold status words and as 最新进展 otherwise (``AMBIGUOUS_HEADERS``).
LEDGER_INPUT_COLUMNS: tuple[Column, ...] = (
    Column("id", "编号", ("事项编号", "督办编号", "序号编号"), 14, required=True),
    Column(
        "category",
        "事项类别",
        ("类别", "事项类型", "来源类别", "督办类别", "任务类别", "事项分类"),
        12,
        "list",
    ),
    Column(
        "source",
        "来源依据",
        (
            "来源",
            "任务来源",
            "交办来源",
            "事项来源",
            "交办依据",
            "文件依据",
            "纪要位置",
            "文件名称",
            "批示件",
            "督办依据",
        ),
        24,
        "longtext",
    ),  # fmt: skip
    Column(
        "content",
        "事项内容",
        (
            "督办事项",
            "督查事项",
            "工作任务",
            "任务内容",
            "重点任务",
            "具体任务",
            "交办事项",
            "批示内容",
            "决定事项",
            "议定事项",
            "事项名称",
            "工作内容",
            "主要任务",
            "任务名称",
            "批示事项",
            "会议议定事项",
        ),
        40,
        "longtext",
        required=True,
    ),  # fmt: skip
    Column(
        "requirement", "工作要求", ("办理要求", "督办要求", "目标要求", "工作目标"), 30, "longtext"
    ),
    Column(
        "leader",
        "牵头领导",
        (
            "分管领导",
            "责任领导",
            "县级领导",
            "批示领导",
            "县领导",
            "包联领导",
            "牵头县领导",
            "责任县领导",
        ),
        10,
    ),  # fmt: skip
    Column(
        "unit",
        "责任单位",
        ("牵头单位", "主办单位", "承办单位", "牵头部门", "责任部门", "承办部门"),
        16,
        "list",
        required=True,
    ),
    Column("co_units", "配合单位", ("协办单位", "配合部门", "协助单位", "参与单位"), 18),
    Column("person", "责任人", ("具体责任人", "经办人"), 10),
    Column("phone", "联系电话", ("电话", "手机"), 14),
    Column(
        "assigned_on",
        "交办日期",
        (
            "交办时间",
            "下达日期",
            "下达时间",
            "立项日期",
            "批示时间",
            "批示日期",
            "签批时间",
            "会议时间",
            "交办时限起",
        ),
        12,
        "date",
    ),  # fmt: skip
    Column(
        "deadline",
        "办结时限",
        (
            "完成时限",
            "截止日期",
            "办理时限",
            "完成时间",
            "截止时间",
            "时间节点",
            "办理要求及时限",
            "完成期限",
            "办结期限",
            "时限要求",
            "时限",
            "办结时间要求",
            "完成时间节点",
        ),
        12,
        "date",
    ),  # fmt: skip
    Column("extended_to", "延期至", ("延期时限", "延期日期"), 12, "date"),
    Column("cadence", "反馈周期", ("反馈频次", "报送周期", "反馈要求", "报送要求"), 14),
    Column(
        "latest_progress",
        "最新进展",
        ("进展情况", "推进情况", "办理进展", "工作进展", "目前进展", "进展", "工作推进情况"),
        40,
        "longtext",
    ),
    Column(
        "last_feedback_on", "最近反馈日期", ("反馈日期", "最近反馈", "最后反馈日期"), 12, "date"
    ),
    Column("progress", "完成进度", ("进度", "完成比例", "完成率", "完成百分比"), 10, "percent"),
    Column(
        "typed_status",
        "办理状态",
        ("状态", "完成情况", "是否办结", "办结情况", "是否完成", "办理结果"),
        10,
        "list",
    ),
    Column(
        "done_on", "办结日期", ("完成日期", "实际办结日期", "实际完成时间", "办结时间"), 12, "date"
    ),
    Column("owner", "督办人", ("督查人", "跟踪人", "督办责任人"), 10),
    Column("note", "备注", ("说明",), 20, "longtext"),
)

# Headers read as 办理状态 when every filled cell below holds a status word, else as 最新进展.
AMBIGUOUS_HEADERS = ("办理情况", "落实情况")
# Headers of a lead unit, and of units named beside it: with both present, the second is 配合单位.
LEAD_UNIT_HEADERS = ("牵头单位", "牵头部门", "主办单位")

LEDGER_COMPUTED_COLUMNS: tuple[Column, ...] = (
    Column("light", "预警", (), 6, computed=True),
    Column("deadline_used", "认定时限", (), 12, "date", computed=True),
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
# Columns the reader knows beyond the template's: 序号, a row number kept apart from 编号.
LEDGER_READ_COLUMNS = LEDGER_COLUMNS + (Column("seq", "序号", ("排序", "行号"), 6, "rownumber"),)

COMPUTED_MARK = "系统自动计算，请勿手工填写"

UNIT_COLUMNS: tuple[Column, ...] = (
    Column("name", "单位名称", ("责任单位", "单位"), 20, required=True),
    Column("aliases", "别名", ("简称", "别称"), 24),
    Column("kind", "类型", ("单位类型", "单位类别"), 10, "list"),
    Column("head", "主要领导", (), 10),
    Column("leader", "分管领导", (), 10),
    Column("contact", "联系人", (), 10),
    Column("phone", "联系电话", ("电话",), 14),
    Column("email", "邮箱", ("电子邮箱", "Email", "E-mail"), 24),
    Column("cc", "抄送邮箱", ("抄送",), 24),
    # Which [robot.NAME] of duban.toml (comma-separated for several) gets the unit's group
    # reminders; blank: the first robot configured; 无: none.
    Column("group", "通知群", ("通知群组", "工作群", "群机器人"), 14),
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
    Column("state", "状态", ("审定状态", "发文状态"), 10, "list"),
    Column("reviewer", "审定人", ("签发人", "审批人"), 12),
    Column("reviewed_on", "审定日期", ("签发日期", "审批日期"), 12, "date"),
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


@dataclass(frozen=True)
class LetterKind:
    """A kind of letter duban writes: the setting holding its 文号 prefix and its template file."""

    type: LetterType
    prefix_key: str
    template: str = field(default="")


LETTERS = {
    t: LetterKind(t, key, f"{t}.docx")
    for t, key in (
        (LetterType.NOTICE, "prefix_notice"),
        (LetterType.REMINDER, "prefix_reminder"),
        (LetterType.RECTIFY, "prefix_rectify"),
        (LetterType.BULLETIN, "prefix_bulletin"),
        (LetterType.REPORT, "prefix_report"),
    )
}
