"""Match the units typed in 责任单位 / 牵头单位 / 配合单位 cells (docs/rules.md §3.6).

Every name in a lead cell is a lead unit (each sees the item in its lists, mails and score;
the first named is the letter's 主送); names in a 配合单位 cell are co-units. A group word such
as 各乡镇 or 县直各单位 stands for the units of 责任单位 whose 类型 it covers; a group nobody
defined is one problem saying how to define it, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass

from automation import schema
from automation.ledger.normalize import (
    LIST_SEPARATORS,
    UnitMatcher,
    clean,
    did_you_mean,
    squeeze,
)
from automation.ledger.words import group_kinds
from automation.models import Unit

HEADERS = {"unit": "责任单位", "co_units": "配合单位"}


@dataclass(frozen=True)
class UnitMatch:
    """The units of one row: lead units (first = 主送), co-units, and (key, message, fix) problems."""

    leads: tuple[str, ...]
    co_units: tuple[str, ...]
    problems: tuple[tuple[str, str, str], ...]
    groups: tuple[str, ...] = ()  # group words that could not be expanded (one problem each)


class UnitNames:
    """Match typed unit cells against 责任单位: names, aliases and group words."""

    def __init__(self, units: list[Unit]):
        self.units = units
        self.matcher = UnitMatcher(units)
        self._cache: dict[tuple[str, str], UnitMatch] = {}

    def match(self, lead_text: str, co_text: str) -> UnitMatch:
        """Match a row's lead and co-unit cells (cached: a ledger names few units many times)."""
        key = (lead_text, co_text)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._match(lead_text, co_text)
        return found

    def _match(self, lead_text: str, co_text: str) -> UnitMatch:
        problems: list[tuple[str, str, str]] = []
        groups: list[str] = []
        leads = self._names(lead_text, "unit", problems, groups)
        co = [u for u in self._names(co_text, "co_units", problems, groups) if u not in leads]
        return UnitMatch(tuple(leads), tuple(co), tuple(problems), tuple(groups))

    def _names(
        self, text: str, key: str, problems: list[tuple[str, str, str]], groups: list[str]
    ) -> list[str]:
        found: list[str] = []
        # Split what was typed (full-width separators included) without normalising it, so a
        # problem quotes each name exactly as typed; matching normalises its own copy.
        for name in (part.strip() for part in LIST_SEPARATORS.split(text)):
            if not name:
                continue
            for unit in self._one(name, key, problems, groups):
                if unit not in found:
                    found.append(unit)
        return found

    def _one(
        self, name: str, key: str, problems: list[tuple[str, str, str]], groups: list[str]
    ) -> list[str]:
        if not self.matcher:
            return [clean(name)]  # no 责任单位 sheet: nothing to check the name against
        unit = self.matcher.match(name)
        if unit is not None:
            return [unit]
        is_group, kinds = group_kinds(name)
        if is_group:
            members = [
                u.name
                for u in self.units
                if kinds is None or any(k in squeeze(u.kind) for k in kinds)
            ]
            if kinds is None or members:
                return members
            groups.append(name)
            return []
        problems.append(
            (
                key,
                f"{HEADERS[key]}“{name}”不在“{schema.UNITS}”表中",
                did_you_mean(self.matcher.suggest(name))
                + "请改为单位全称，或在“责任单位”表的“别名”列登记这个写法",
            )
        )
        return []


def group_problem(name: str) -> tuple[str, str]:
    """Return (message, fix) for a group word no unit's 类型 covers."""
    return (
        f"“{name}”是一组单位，但“{schema.UNITS}”表中没有可归入这一组的单位",
        f"请在“{schema.UNITS}”表的“类型”列为各单位填写类型（{'、'.join(schema.UNIT_KINDS)}），"
        f"duban 就会把“{name}”展开为对应的单位",
    )
