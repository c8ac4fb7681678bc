"""Quarterly target layouts (政府工作报告 decomposed by quarter, seed 004; docs/rules.md §3.9).

Headers such as ``一季度目标 | 一季度完成情况 | 半年目标 | 半年完成情况 | 三季度目标 | 全年目标``
make each target column a stage due at its quarter's end (一季度 3-31, 半年 6-30, 三季度 9-30,
全年 12-31 of the sheet's year). The last stage is the deadline, the earlier ones are feedback
nodes; a filled 完成情况 cell is the feedback for its stage (dated at the stage), so a passed
stage with an empty 完成情况 is 反馈逾期 — or 逾期 for the last one. A filled last 完成情况 means
the item is done (unless its words say it is not, e.g. 未完成).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from automation.ledger.normalize import header_key

_PERIOD = r"(第?[一二三四1-4]季度|上半年|半年|前三季度|全年|年度)"
_TARGET = re.compile(rf"^{_PERIOD}(?:目标|任务|目标任务|工作目标|计划|节点目标)$")
_DONE = re.compile(rf"^{_PERIOD}(?:完成情况|进展情况|落实情况|推进情况|完成进度|进展)$")
_MONTH = {"一": 3, "1": 3, "二": 6, "2": 6, "三": 9, "3": 9, "四": 12, "4": 12}


def _month(period: str) -> int:
    if "季度" in period and "前三" not in period:
        return _MONTH[period.removeprefix("第")[0]]
    if "半年" in period:
        return 6
    if "前三" in period:
        return 9
    return 12


@dataclass(frozen=True)
class Stage:
    """One stage column pair: its label, quarter-end month, target and 完成情况 columns (1-based)."""

    label: str
    month: int
    target: int
    done: int | None


def find_stages(headers: dict[int, str]) -> tuple[Stage, ...]:
    """Return the stages a header row names, in time order (empty when it is no such layout)."""
    targets: dict[int, tuple[str, int]] = {}  # month -> (label, column)
    done: dict[int, int] = {}  # month -> column
    for col, header in headers.items():
        key = header_key(header)
        if m := _TARGET.match(key):
            targets.setdefault(_month(m.group(1)), (m.group(1), col))
        elif m := _DONE.match(key):
            done.setdefault(_month(m.group(1)), col)
    return tuple(
        Stage(label, month, col, done.get(month)) for month, (label, col) in sorted(targets.items())
    )


def stage_key(stage: Stage, what: str) -> str:
    """Return the column key a stage's target ("target") or 完成情况 ("done") is read under."""
    return f"stage_{what}_{stage.month}"


def stage_dates(year: int, stages: tuple[Stage, ...]) -> dict[int, date]:
    """Return each stage's quarter-end date in ``year``."""
    ends = {3: 31, 6: 30, 9: 30, 12: 31}
    return {s.month: date(year, s.month, ends[s.month]) for s in stages}
