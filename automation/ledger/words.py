"""The words real ledgers use for statuses, categories and groups of units (docs/rules.md §3.5).

Each table is a documented rule, never a guess: a word that is not listed here is refused with
the accepted words named.
"""

from __future__ import annotations

import re
from functools import lru_cache

from automation.ledger.normalize import squeeze
from automation.schema import TypedStatus

# 办理状态 and its variants (完成情况, 是否办结, 状态, 办理情况/落实情况 holding status words).
STATUS_WORDS: dict[str, TypedStatus] = {
    **{w: TypedStatus.DONE for w in (
        "已办结", "办结", "已完成", "完成", "全部完成", "已落实", "已结", "办结完成", "是",
        "√", "✓", "✔", "已完结")},
    **{w: TypedStatus.IN_PROGRESS for w in (
        "办理中", "推进中", "正在推进", "进行中", "在办", "正在办理", "未完成", "未办结", "否",
        "×", "✗", "阶段性完成", "持续推进中", "序时推进", "按序时推进", "按序推进")},
    **{w: TypedStatus.CLOSED for w in ("已销号", "销号")},
    **{w: TypedStatus.EXTENSION_REQUESTED for w in ("申请延期", "延期办理")},
    **{w: TypedStatus.ADJUSTED for w in ("已调整", "调整")},
    **{w: TypedStatus.CANCELLED for w in ("已取消", "取消", "已撤销", "撤销")},
    **{w: TypedStatus.SUSPENDED for w in ("暂缓", "暂缓办理")},
}  # fmt: skip


def status_of(text: str) -> TypedStatus | None:
    """Return the 办理状态 a cell's words mean, or None when they are not status words."""
    return STATUS_WORDS.get(squeeze(text))


# 事项类别 from the words of 来源依据 when the ledger has no 类别 column, first match wins.
# 上级来文 needs a higher level named: a 省/市 body, or 省/市 … 来文/交办/督办 — a 县 leader's
# 交办 (县领导调研交办) is not 上级来文, nor is a 县市场监管局 (市 of 市场) or 城市管理局.
CATEGORY_KEYWORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("政府工作报告", ("政府工作报告",)),
    ("领导批示", ("批示",)),
    ("民生实事", ("民生实事", "为民办实事", "民生工程")),
    ("建议提案", ("建议", "提案")),
    ("热线交办", ("12345", "热线", "市长信箱")),
    ("会议议定", ("常务会议", "常务会", "会议纪要", "议定", "专题会", "会议")),
    ("上级来文", ("国务院", "国办", "中央", "上级", "督办函")),
)
_HIGHER_LEVEL = re.compile(
    r"(?:省|(?<![城超门])市(?!场|民|容))"
    r"(?:委|政府|政办|委办|府办|人大|政协|纪委|督查|[^，,。；;]{0,10}?(?:来文|交办|督办))"
)


# Typed 事项类别 words that name one of the categories.
CATEGORY_ALIASES = {
    "市长热线": "热线交办",
    "12345": "热线交办",
    "12345热线": "热线交办",
    "热线": "热线交办",
    "批示": "领导批示",
    "领导批示件": "领导批示",
    "会议": "会议议定",
    "会议纪要": "会议议定",
    "建议": "建议提案",
    "提案": "建议提案",
    "人大建议": "建议提案",
    "政协提案": "建议提案",
}


@lru_cache(maxsize=1024)
def category_from_source(source: str) -> str:
    """Return the 事项类别 the words of a 来源依据 name (其他 when none does)."""
    text = squeeze(source)
    for category, words in CATEGORY_KEYWORDS:
        if any(w in text for w in words):
            return category
    return "上级来文" if _HIGHER_LEVEL.search(text) else "其他"


def category_named(*texts: str) -> str | None:
    """Return the 事项类别 a sheet's name or title names (领导批示, 会议议定…), else None.

    A workbook kept one sheet per category says the category once, in the sheet's name.
    """
    for text in texts:
        category = category_from_source(text)
        if category != "其他":
            return category
    return None


# Groups of units written in a unit cell, and the 类型 (责任单位 sheet) words each covers.
# ``None`` means every unit of the 责任单位 sheet.
_TOWNSHIP = ("乡镇", "乡", "镇")
_STREET = ("街道",)
_DEPARTMENT = ("部门", "县直", "局", "委", "办")
GROUPS: dict[str, tuple[str, ...] | None] = {
    **{w: _TOWNSHIP for w in ("各乡镇", "各乡(镇)", "各镇", "各乡", "全县各乡镇")},
    **{w: _STREET for w in ("各街道", "各街道办事处", "各街道办")},
    **{w: _TOWNSHIP + _STREET for w in (
        "各乡镇(街道)", "各乡镇街道", "各乡镇(街道办事处)", "各乡镇(办事处)", "各乡镇办事处")},
    **{w: _DEPARTMENT for w in (
        "县直各单位", "县直各部门", "县直部门", "县直单位", "县直有关单位", "县直相关单位",
        "县直有关部门", "各部门", "有关部门", "相关部门", "各有关部门")},
    **{w: None for w in ("各有关单位", "各相关单位", "有关单位", "相关单位", "各单位", "各责任单位")},
}  # fmt: skip
_BRACKETS = str.maketrans("（）", "()")


def group_kinds(name: str) -> tuple[bool, tuple[str, ...] | None]:
    """Return (is a group word, the 类型 words it covers or None for every unit)."""
    key = re.sub(r"\s+", "", squeeze(name).translate(_BRACKETS))
    if key in GROUPS:
        return True, GROUPS[key]
    return False, None
