"""The 参数设置 sheet as one typed, frozen ``Settings`` object, parsed and validated once.

The ``Settings`` dataclass *is* the settings table: each field carries its Chinese name, its
explanation and its allowed values, and the template's 参数设置 sheet, the reader and every
consumer use it. A value that is invalid or out of range is a ``Problem`` naming its cell and
the default is used instead (and said); a value of 0 is a value, never "unset": only a blank
cell means "use the default".
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from automation.mail.addresses import parse_addresses
from automation.safetext import visible
from automation.schema import CATEGORIES, WRITTEN_TYPES, LetterType

SHEET = "参数设置"
PERIODS = ("月度", "季度", "年度")
YES, NO = "是", "否"
_YES_WORDS = {"是", "Y", "YES", "TRUE", "1", "√", "✓", "需要"}
_NO_WORDS = {"否", "N", "NO", "FALSE", "0", "×", "不需要"}
_LIST_SEPARATORS = re.compile(r"[,，;；、\s]+")
_CATEGORY_SEPARATORS = re.compile(r"[,，;；、/\s]+")
_CATEGORY_DAYS = re.compile(r"(.+?)(?:[:：](\d+))?")
ALL_WORDS = ("全部", "所有类别")
NONE_WORDS = ("无", "不回头看")
MAX_LOOKBACK_DAYS = 750  # about three years of working days


@dataclass(frozen=True)
class Spec:
    """How one setting is shown and checked: its 参数设置 name, explanation and allowed values."""

    name: str
    help: str
    kind: str  # text | int | float | time | emails | choice | yesno | letter_types | categories
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def describe(self) -> str:
        """Return the allowed values in Chinese, e.g. 0 到 60 之间的整数."""
        if self.kind in ("int", "float"):
            what = "整数" if self.kind == "int" else "数"
            if self.minimum is not None and self.maximum is not None:
                return f"{number_text(self.minimum)} 到 {number_text(self.maximum)} 之间的{what}"
            if self.minimum is not None:
                return f"不小于 {number_text(self.minimum)} 的{what}"
            return what
        if self.kind == "time":
            return "HH:MM 格式的时间，如 08:30"
        if self.kind == "emails":
            return "邮箱地址，多个用逗号分隔"
        if self.kind in ("choice", "yesno"):
            return "、".join(self.choices)
        if self.kind == "letter_types":
            return f"文书类型（{'、'.join(self.choices)}），多个用顿号分隔；都不需要时填“无”"
        if self.kind == "categories":
            return "事项类别，多个用顿号分隔，某类另定工作日数写成 民生实事:30；或填 全部、无"
        return "文字"


def _setting(default: Any, name: str, help: str, kind: str = "text", **limits: Any) -> Any:
    return field(default=default, metadata={"spec": Spec(name, help, kind, **limits)})


def number_text(value: float) -> str:
    """Return a number as staff would type it: 3, not 3.0."""
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class Settings:
    """Every setting of 参数设置, typed, with its default (see each field's Spec)."""

    office_name: str = _setting(
        "XX县人民政府督查室", "单位名称", "发文机关名称，印在通知、函件和通报上"
    )
    contact: str = _setting("", "联系人", "督查室联系人，印在函件落款处")
    contact_phone: str = _setting("", "联系电话", "督查室联系电话，印在函件落款处")
    leader_emails: tuple[str, ...] = _setting(
        (), "领导邮箱", "接收每日汇总的领导邮箱，多个用逗号分隔", "emails"
    )
    office_email: tuple[str, ...] = _setting(
        (), "督查室邮箱", "每日任务失败时的告警收件邮箱", "emails"
    )
    daily_time: str = _setting(
        "08:30", "每日发送时间", "每个工作日发送提醒邮件的时间，格式 HH:MM", "time"
    )
    id_prefix: str = _setting("DB", "编号前缀", "新事项自动编号的前缀，编号形如 DB-2026-001")
    prefix_notice: str = _setting(
        "督办", "督办通知单文号前缀", "督办通知单文号，如 督办〔2026〕12号"
    )
    prefix_reminder: str = _setting("催办", "催办函文号前缀", "催办函文号，如 催办〔2026〕3号")
    prefix_rectify: str = _setting(
        "督改", "限期整改通知书文号前缀", "限期整改通知书文号，如 督改〔2026〕2号"
    )
    prefix_bulletin: str = _setting(
        "督查通报", "督查通报文号前缀", "督查通报文号，如 督查通报〔2026〕1号"
    )
    prefix_report: str = _setting(
        "督查报告", "落实情况报告文号前缀", "落实情况报告文号，如 督查报告〔2026〕1号"
    )
    # docs/letters.md 审定: 是 drafts every letter as a 送审稿; 否 issues directly all but the
    # types ``review_types`` names (by default the ones seed 004 has a leader 审定 always).
    review_letters: str = _setting(
        YES,
        "文书须审定",
        "是：所有文书先生成送审稿，在“发文登记”把状态改为“已审定”后才编号发出；"
        "否：催办函等日常文书直接编号发出，只有“须审定文书”列出的类型仍须审定",
        "yesno",
        choices=(YES, NO),
    )
    review_types: tuple[str, ...] = _setting(
        (str(LetterType.RECTIFY), str(LetterType.BULLETIN), str(LetterType.REPORT)),
        "须审定文书",
        "“文书须审定”为“否”时，仍须审定后才发出的文书类型",
        "letter_types",
        choices=tuple(str(t) for t in WRITTEN_TYPES),
    )
    report_to: str = _setting(
        "市人民政府办公室",
        "报告主送机关",
        "落实情况报告的主送机关（duban report 的 --to 可临时改写）",
    )
    due_soon_days: int = _setting(
        3, "临期提醒工作日", "剩余工作日不超过此数时标为临期（黄灯）", "int", minimum=0, maximum=60
    )
    immediate_days: int = _setting(
        5,
        "立行立改工作日",
        "办结时限写“立行立改”“立即整改”等时，按交办日期后第几个工作日认定时限",
        "int",
        minimum=1,
        maximum=60,
    )
    lag_threshold: float = _setting(
        20,
        "进度滞后阈值",
        "完成进度落后序时进度超过此百分点时标为进度滞后",
        "float",
        minimum=0,
        maximum=100,
    )
    remind_from: int = _setting(
        1, "催办起始逾期工作日", "逾期达到此工作日数起发催办函", "int", minimum=1, maximum=250
    )
    rectify_from: int = _setting(
        6,
        "限期整改逾期工作日",
        "逾期达到此工作日数起发限期整改通知书",
        "int",
        minimum=1,
        maximum=250,
    )
    yellow_from: int = _setting(
        11, "黄牌逾期工作日", "逾期达到此工作日数起亮黄牌", "int", minimum=1, maximum=250
    )
    red_from: int = _setting(
        21,
        "红牌逾期工作日",
        "逾期达到此工作日数起亮红牌（建议约谈/问责）",
        "int",
        minimum=1,
        maximum=250,
    )
    yellow_after_reminders: int = _setting(
        2,
        "黄牌催办函次数",
        "已发催办函达到此次数且其后无反馈时亮黄牌",
        "int",
        minimum=1,
        maximum=20,
    )
    score_base: float = _setting(
        100, "考评基础分", "每个考评周期各单位的基础分", "float", minimum=0, maximum=1000
    )
    w_late_feedback: float = _setting(
        1, "反馈逾期扣分", "每次反馈逾期扣分", "float", minimum=0, maximum=100
    )
    w_overdue: float = _setting(
        2, "逾期事项扣分", "考评期末每项逾期事项扣分", "float", minimum=0, maximum=100
    )
    w_reminder: float = _setting(1, "催办函扣分", "每份催办函扣分", "float", minimum=0, maximum=100)
    w_yellow: float = _setting(3, "黄牌扣分", "每张黄牌扣分", "float", minimum=0, maximum=100)
    w_red: float = _setting(5, "红牌扣分", "每张红牌扣分", "float", minimum=0, maximum=100)
    w_early: float = _setting(
        1, "提前办结加分", "每项提前办结加分", "float", minimum=0, maximum=100
    )
    co_unit_factor: float = _setting(
        0.5, "配合单位权重", "配合单位按此比例计分", "float", minimum=0, maximum=1
    )
    score_period: str = _setting("季度", "考评周期", "月度、季度或年度", "choice", choices=PERIODS)
    criticise_below: float = _setting(
        90,
        "通报批评分数线",
        "得分低于此分数的单位在通报中提出批评（填 0 则不按分数批评）",
        "float",
        minimum=0,
        maximum=1000,
    )
    praise_top: int = _setting(
        3,
        "通报表扬名次",
        "排名前几位的单位在通报中予以表扬（填 0 则不表扬）",
        "int",
        minimum=0,
        maximum=100,
    )
    backups_kept: int = _setting(
        10, "备份保留份数", "每次刷新前备份台账，保留最近几份", "int", minimum=1, maximum=1000
    )
    # 文件夹管理 (docs/rules.md §14, §15).
    unfollowed_days: int = _setting(
        20,
        "未跟进提醒工作日",
        "在办事项连续此工作日数没有进展记录、文书、反馈或回头看的，登记为督办人差错（未跟进）",
        "int",
        minimum=1,
        maximum=250,
    )
    lookback_days: int = _setting(
        60,
        "回头看间隔",
        "已办结、已销号的事项满此工作日数后列入回头看清单",
        "int",
        minimum=1,
        maximum=MAX_LOOKBACK_DAYS,
    )
    lookback_categories: tuple[tuple[str, int | None], ...] = _setting(
        (("民生实事", None), ("上级来文", None)),
        "回头看类别",
        "需要回头看的事项类别；某类另定间隔的写成“民生实事:30”（30 个工作日），其余按回头看间隔",
        "categories",
    )
    # Where each setting was read (key -> "参数设置!B7"), so later checks can name the cell.
    cells: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    def cell(self, key: str) -> str:
        """Return the cell a setting was read from (e.g. ``B7``), or "" when it took its default."""
        return self.cells.get(key, "")


def _specs() -> dict[str, Spec]:
    return {
        f.name: f.metadata["spec"] for f in dataclasses.fields(Settings) if "spec" in f.metadata
    }


SPECS: dict[str, Spec] = _specs()
KEY_OF_NAME: dict[str, str] = {spec.name: key for key, spec in SPECS.items()}
DEFAULTS = Settings()
# The escalation thresholds, lowest first: each must not be below the one before it.
LADDER = ("remind_from", "rectify_from", "yellow_from", "red_from")


def default_text(key: str) -> str:
    """Return a setting's default as staff would type it in 参数设置."""
    value = getattr(DEFAULTS, key)
    if SPECS[key].kind == "categories":
        return categories_text(value)
    if isinstance(value, tuple):
        return ("、" if SPECS[key].kind == "letter_types" else ",").join(value)
    return number_text(value) if isinstance(value, int | float) else str(value)


def parse_value(raw: object, spec: Spec) -> object:
    """Turn one 参数设置 value into its typed value; raise ValueError(Chinese reason) when invalid."""
    text = raw.strip() if isinstance(raw, str) else raw
    if spec.kind in ("int", "float"):
        number = _number(text)
        if spec.kind == "int":
            if not float(number).is_integer():
                raise ValueError(f"应为{spec.describe()}")
            number = int(number)
        if (spec.minimum is not None and number < spec.minimum) or (
            spec.maximum is not None and number > spec.maximum
        ):
            raise ValueError(f"应为{spec.describe()}")
        return number
    text = plain_text(raw)
    if spec.kind == "time":
        m = re.fullmatch(r"(\d{1,2})[:：](\d{2})(?:[:：]00)?", text)
        if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
            raise ValueError(f"应为{spec.describe()}")
        return f"{int(m.group(1)):02d}:{int(m.group(2)):02d}"
    if spec.kind == "emails":
        return parse_emails(text)
    if spec.kind == "letter_types":
        return parse_letter_types(text, spec.choices)
    if spec.kind == "categories":
        return parse_categories(text)
    if spec.kind == "choice":
        if text not in spec.choices:
            raise ValueError(f"应为 {spec.describe()} 之一")
        return text
    if spec.kind == "yesno":
        word = text.upper()
        if word in _YES_WORDS:
            return YES
        if word in _NO_WORDS:
            return NO
        raise ValueError("应为“是”或“否”")
    if any(ord(c) < 32 for c in text):
        raise ValueError("含有换行等控制字符")
    return text


def parse_emails(text: str) -> tuple[str, ...]:
    """Split a list of addresses and check each; raise ValueError naming the first bad one.

    The same rule as a unit's 邮箱 cell (``mail.addresses``), so what is accepted here is
    what the mailer sends to.
    """
    if any(c in text for c in "\r\n\x00"):
        raise ValueError("含有换行符，只能填写邮箱地址")
    addresses, refused = parse_addresses(text)
    if refused:
        raise ValueError(f"“{visible(refused[0])}”不是有效的邮箱地址")
    return tuple(addresses)


def parse_letter_types(text: str, choices: tuple[str, ...]) -> tuple[str, ...]:
    """Split a list of letter types (、，, ; or spaces); "无" is none; raise naming an unknown one."""
    if text in ("无", "没有", "不需要"):
        return ()
    names = tuple(dict.fromkeys(n for n in _LIST_SEPARATORS.split(text) if n))
    for name in names:
        if name not in choices:
            raise ValueError(f"“{name}”不是文书类型")
    return names


def parse_categories(text: str) -> tuple[tuple[str, int | None], ...]:
    """Read 回头看类别: categories with an optional number of working days each (民生实事:30)."""
    if text in NONE_WORDS:
        return ()
    if text in ALL_WORDS:
        return tuple((c, None) for c in CATEGORIES)
    chosen: dict[str, int | None] = {}
    for part in filter(None, _CATEGORY_SEPARATORS.split(text)):
        m = _CATEGORY_DAYS.fullmatch(part)
        name, days = (m.group(1), m.group(2)) if m else (part, None)
        if name not in CATEGORIES:
            raise ValueError(f"“{name}”不是事项类别，可选：{'、'.join(CATEGORIES)}")
        if days is not None and not 1 <= int(days) <= MAX_LOOKBACK_DAYS:
            raise ValueError(f"“{part}”的工作日数应在 1 到 {MAX_LOOKBACK_DAYS} 之间")
        chosen.setdefault(name, int(days) if days is not None else None)
    if not chosen:
        raise ValueError("未填写类别")
    return tuple(chosen.items())


def categories_text(value: tuple[tuple[str, int | None], ...]) -> str:
    """Write 回头看类别 as staff type it: 民生实事、上级来文:90 (无 when empty)."""
    return "、".join(c if d is None else f"{c}:{d}" for c, d in value) or NONE_WORDS[0]


def _number(value: object) -> float:
    if isinstance(value, bool):
        raise ValueError("应为数字")
    if isinstance(value, int | float):
        number = float(value)
    else:
        text = plain_text(value).rstrip("%％")
        try:
            number = float(text)
        except ValueError:
            raise ValueError("应为数字") from None
    if not math.isfinite(number):
        raise ValueError("应为数字")
    return int(number) if number.is_integer() else number


def plain_text(value: object) -> str:
    """Return a cell value as trimmed text (integral floats without .0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
