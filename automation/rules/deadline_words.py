"""The words of 办结时限: find every time written in a cell, before any year is settled.

``parse`` turns a normalised cell ("9月底前完成主体，12月底前全面完工") into ``Part``s, one per
time, and refuses near misses and vague words with a Chinese reason. It knows nothing of
years, 交办日期 or calendars (``deadlines.py`` settles those), so its answers are cached by
text: a ledger repeats the same few hundred phrasings.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import NamedTuple

from automation import schema
from automation.rules import festivals

_ONGOING_STEMS = ("长期", "持续", "常态化", "长效", "常年")
_ONGOING = frozenset(
    {*schema.ONGOING_WORDS, *_ONGOING_STEMS, "按序时推进", "按进度推进", "按序时进度推进"}
    | {stem + verb for stem in _ONGOING_STEMS for verb in ("推进", "坚持", "开展", "落实", "执行")}
)
_IMMEDIATE = "立行立改 立查立改 即知即改 即查即改 立即整改 立即办理 马上就办 马上办".split()

_Y = r"(?:(?P<{0}y>\d{{4}})年|(?P<{0}r>今年|本年|当年|明年|次年|翌年|来年))?"
# A quarter may also follow a bare year: 2026Q3.
_YQ = r"(?:(?P<{0}y>\d{{4}})年?|(?P<{0}r>今年|本年|当年|明年|次年|翌年|来年))?"
_RELATIVE = {"今年": 0, "本年": 0, "当年": 0, "明年": 1, "次年": 1, "翌年": 1, "来年": 1}
_M = r"(?<!\d)(?P<{0}m>\d{{1,2}})月份?"
_FESTIVAL = "|".join(sorted(festivals.ALIASES, key=len, reverse=True))
_PERIOD_BEFORE = "(?:前|之前|以前)"

# Each form: (name, pattern); ``{0}`` is replaced by the form's group prefix. Order matters
# where two forms match at the same place: the first listed wins (so refusals come before
# the forms they refine, and a year prefix binds to the time after it).
_FORMS: tuple[tuple[str, str], ...] = (
    (
        "date",
        r"(?<!\d)(?P<{0}y>\d{{4}})[-/.年](?P<{0}m>\d{{1,2}})[-/.月](?P<{0}d>\d{{1,2}})(?!\d)[日号]?",
    ),
    ("date", r"(?<!\d)(?P<{0}y>\d{{4}})(?P<{0}m>\d{{2}})(?P<{0}d>\d{{2}})(?!\d)"),
    ("month_of", r"(?<!\d)(?P<{0}y>\d{{4}})[-/.](?P<{0}m>\d{{1,2}})(?!\d)"),
    ("day", _Y + r"(?<!\d)(?P<{0}m>\d{{1,2}})月(?P<{0}d>\d{{1,2}})(?!\d)[日号]?"),
    ("xun", _Y + _M + r"(?P<{0}x>上|中|下)旬"),
    ("month_end", _Y + _M + r"(?:底|末)"),
    ("bad_month", _Y + _M + rf"(?P<{{0}}w>初|中(?!旬)|{_PERIOD_BEFORE}|左右|前后)"),
    ("month", _Y + _M + r"(?:内|以内|之内)?(?![\d日号])"),
    (
        "bad_quarter",
        _YQ + rf"(?:第?(?P<{{0}}q>\d)季度|Q(?P<{{0}}p>\d))(?P<{{0}}w>{_PERIOD_BEFORE}|初|中)",
    ),
    ("quarter", _YQ + r"(?:第?(?P<{0}q>\d)季度(?:末|底)?|(?<![A-Z])Q(?P<{0}p>\d)(?!\d))"),
    ("bad_half", _Y + rf"(?P<{{0}}h>上|下)半年(?P<{{0}}w>{_PERIOD_BEFORE})"),
    ("half", _Y + r"(?P<{0}h>上|下)半年(?:末|底)?"),
    (
        "midyear",
        r"(?:(?P<{0}y>\d{{4}})年|(?P<{0}r>今年|本年|当年|明年|次年|翌年|来年))?年中(?![旬秋])",
    ),
    ("midyear", r"(?<!\d)(?P<{0}y>\d{{4}})年中(?![旬秋])"),
    (
        "festival",
        _Y + rf"(?P<{{0}}f>{_FESTIVAL})节?(?:假期|长假|小长假|假日|放假)?(?:前|之前|以前)",
    ),
    (
        "bad_festival",
        _Y + rf"(?P<{{0}}f>{_FESTIVAL})节?(?:假期|长假|小长假|假日|放假)?(?P<{{0}}w>后|期间)?",
    ),
    ("immediate", "|".join(_IMMEDIATE)),
    ("workdays", r"(?<![\d月])(?P<{0}n>\d{{1,3}})个?工作日"),
    ("days", r"(?<![\d月])(?P<{0}n>\d{{1,3}})(?:个自然日|日|天)(?:内|以内|之内)"),
    (
        "bad_year",
        r"(?:(?<!\d)(?P<{0}y>\d{{4}})年|今年|明年|(?<![上下半])年)(?P<{0}w>前|之前|以前|初|后)",
    ),
    ("year", r"(?<!\d)(?P<{0}y>\d{{4}})年(?:年底|年末|底|末|内|终|度|全年)?"),
    ("year", r"(?P<{0}r>今年|本年|当年|明年|次年|翌年|来年)(?:底|末|内|终|度)?"),
    ("year", r"(?<![\d一二两三四五六七八九十半多几个])(?:年底|年末|年内|年终|年度内)|全年"),
)
_NAMES = tuple(f"f{i}" for i in range(len(_FORMS)))
_SCANNER = re.compile(
    "|".join(f"(?P<{g}>{p.format(g + '_')})" for g, (_, p) in zip(_NAMES, _FORMS, strict=True))
)
_KIND = dict(zip(_NAMES, (kind for kind, _ in _FORMS), strict=True))

_RANGE = re.compile(r"(?:起|开始)?(?:至|到|-|~|〜|—+|–)")
_STARTS_ONLY = re.compile(r"(?:后|之后|以后|起|开始)")
# Left-over text may describe the work ("完成主体"), but must not hold a time we did not read.
_ONGOING_WORDS = r"长期|持续|常态|长效|常年|序时|按进度"
_VAGUE: tuple[tuple[str, str], ...] = (
    (
        r"(?:\d+|[一二两三四五六七八九十半几多]+)个?(?:年|月|周|星期|季度)(?:内|以内|之内)?",
        "“{}”是一段时间，没有写明从哪天算起；请写具体日期或“X月底前”",
    ),
    (r"\d{1,2}\.\d{1,2}", "“{}”请写成“X月X日”，如“9月30日前”"),
    (
        _ONGOING_WORDS,
        "既写了期限又写了“{}”，无法确定有没有办结时限：有期限的请只写期限（其余写入备注），"
        "没有的请只写“长期”",
    ),
    (r"每月|每周|每季|每半月|每两周|每年", "“{}”是反馈周期，不是办结时限，请写入“反馈周期”列"),
    (r"尽快|尽早|近期|适时|随时|待定|另行|视情|择机|及早", "“{}”没有具体日期"),
    (r"本月|下月|当月|上月|次月|月底|月末|月内|月初|月中", "“{}”没有写明是几月"),
    (r"本周|下周|周内|星期", "“{}”没有具体日期"),
    (r"年前|年后|年初", "“{}”可指春节或年底，请写“春节前”或“年底前”"),
    (r"节前|节后|假期|节日", "“{}”没有写明是哪个节日"),
    (r"左右|前后|大约", "“{}”不是确定的期限"),
    (r"季度|半年|季末", "“{}”没有写明是哪个季度或半年"),
    (r"上旬|中旬|下旬|旬", "“{}”没有写明是几月"),
    (
        r"\d+|月|日内|天内|工作日|Q\d|年[底末内中度终]|今年|明年|去年|本年|次年",
        "“{}”无法识别为日期",
    ),
)
# Quantities in the work's description ("完成投资50%", "新建3个站点") are not times.
_QUANTITY = re.compile(
    r"\d+(?:\.\d+)?(?:%|‰|万|亿|元|项|家|户|人|公里|千米|米|亩|套|台|件|座|条|次|个(?![月工自]))"
)
_VAGUE_SCAN = re.compile("|".join(f"({p})" for p, _ in _VAGUE))

CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
CN_DIGIT |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
CN_YEAR = re.compile("[〇零一二三四五六七八九]{4}(?=年)")
_CN_NUMBER = re.compile("[一二两三四五六七八九十]{1,3}(?=月|日|号|季度|个|天|周)")
_SPACE = re.compile(r"\s+")
EDGE_PUNCT = "。.，,；;、：:!！"


class Part(NamedTuple):
    """One time found in a cell, before a year is settled."""

    kind: str
    text: str  # what was read, for messages
    year: int | None = None  # written year
    rel: int | None = None  # 今年 0, 明年 +1
    a: int = 0  # month, quarter, half (1/2), or N
    b: int = 0  # day of month (0: not given)
    name: str = ""  # festival key, or 旬 (上/中/下)
    starts_range: bool = False


def nfkc(text: str) -> str:
    """Return text in NFKC (full-width digits and punctuation to ASCII)."""
    return unicodedata.normalize("NFKC", text)


@lru_cache(maxsize=4096)
def normalise(text: str) -> str:
    """Return the copy of a cell used for matching: NFKC, no spaces, Chinese numerals as digits."""
    s = _SPACE.sub("", nfkc(text)).strip(EDGE_PUNCT).upper()
    s = CN_YEAR.sub(lambda m: "".join(str(CN_DIGIT[c]) for c in m[0]), s)
    return _CN_NUMBER.sub(_cn_number, s)


def _cn_number(match: re.Match[str]) -> str:
    """Turn 十 / 十二 / 二十 / 三十一 / 三 into digits; leave anything else as written."""
    s = match[0]
    tens, ten, ones = s.partition("十")
    if not ten:
        return str(CN_DIGIT[s]) if len(s) == 1 else s
    if len(tens) > 1 or len(ones) > 1:
        return s
    return str((CN_DIGIT[tens] if tens else 1) * 10 + (CN_DIGIT[ones] if ones else 0))


def is_ongoing(text: str) -> bool:
    """Tell whether a normalised cell says only "no deadline" (长期, 持续推进, 常态化开展…)."""
    clauses = [c for c in re.split(r"[,;、和及并]+", text) if c]
    return bool(clauses) and all(c in _ONGOING for c in clauses)


@lru_cache(maxsize=4096)
def parse(text: str) -> tuple[Part, ...]:
    """Find every time in a normalised cell; refuse what is unclear. Year-independent, so cached."""
    parts: list[Part] = []
    gaps: list[str] = []  # text before each part, and after the last one
    end = 0
    for m in _SCANNER.finditer(text):
        gaps.append(text[end : m.start()])
        parts.append(_part(m))
        end = m.end()
    gaps.append(text[end:])
    for i, part in enumerate(parts):
        after = gaps[i + 1]
        if i + 1 < len(parts) and _RANGE.fullmatch(after):
            parts[i] = part._replace(starts_range=True)
        elif _STARTS_ONLY.match(after):
            raise ValueError(f"“{part.text}{after[:2]}”只写了开始时间，没有办结时限")
    for gap in gaps:
        if vague := _VAGUE_SCAN.search(_QUANTITY.sub("", gap)):
            assert vague.lastindex  # the scanner is one group per pattern of _VAGUE
            pattern, reason = _VAGUE[vague.lastindex - 1]
            if pattern == _ONGOING_WORDS:
                if not parts:
                    raise ValueError(f"“{text}”：长期事项请只写“长期”“持续推进”或“常态化”")
                raise ValueError(reason.format(vague[0]))
            shown = gap.strip(EDGE_PUNCT)
            raise ValueError(reason.format(shown if len(shown) <= 12 else vague[0]))
    if not parts:
        raise ValueError("无法识别的时限写法")
    return tuple(parts)


def _part(m: re.Match[str]) -> Part:
    """Turn one scanner match into a part, refusing the near misses the scanner flags."""
    g = m.lastgroup
    assert g is not None  # the scanner is one named group per form of _FORMS
    kind = _KIND[g]

    def group(key: str) -> str:
        """Return the form's group ``key`` as matched ("" when it has none or it did not match)."""
        name = f"{g}_{key}"
        return (m.group(name) or "") if name in m.re.groupindex else ""

    def num(key: str) -> int:
        value = group(key)
        return int(value) if value else 0

    text = m[0]
    year = num("y") or None
    rel = _RELATIVE[group("r")] if group("r") else None
    if kind == "bad_month":
        mo = num("m")
        raise ValueError(
            f"“{text}”不明确：请写“{mo}月底前”或具体日期"
            if group("w") not in ("初", "中")
            else f"“{text}”不是确定的日子：请写“{mo}月上旬”“{mo}月中旬”或具体日期"
        )
    if kind in ("bad_quarter", "bad_half", "bad_year", "bad_festival"):
        raise ValueError(_BAD[kind].format(text=text))
    if kind in ("day", "xun", "month_end", "month", "month_of", "date"):
        month = num("m")
        if not 1 <= month <= 12:
            raise ValueError(f"没有 {month} 月")
        xun = group("x") or ""
        return Part(kind, text, year, rel, month, num("d"), xun)
    if kind == "quarter":
        quarter = num("q") or num("p")
        if not 1 <= quarter <= 4:
            raise ValueError(f"没有第 {quarter} 季度")
        return Part(kind, text, year, rel, quarter)
    if kind == "half":
        return Part(kind, text, year, rel, 1 if group("h") == "上" else 2)
    if kind == "festival":
        return Part(kind, text, year, rel, name=festivals.ALIASES[group("f")])
    if kind in ("workdays", "days"):
        n = num("n")
        if n < 1:
            raise ValueError(f"“{text}”的天数应大于 0")
        return Part(kind, text, a=n)
    return Part(kind, text, year, rel)  # immediate, midyear, year


_BAD = {
    "bad_quarter": "“{text}”不明确：请写“X季度末前”，或具体日期",
    "bad_half": "“{text}”不明确：请写“6月底前”“年底前”，或具体日期",
    "bad_year": "“{text}”不明确：请写“年底前”“2027年底前”“春节前”或具体日期",
    "bad_festival": "“{text}”没有截止日：请写“春节前”“国庆节前”这样的节前时限，或具体日期",
}
