"""Read the 参数设置 sheet into the typed ``Settings``, one Problem per bad cell (see automation.settings)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from automation.ledger.normalize import header_key, suggest_from
from automation.models import Problem
from automation.settings import (
    DEFAULTS,
    KEY_OF_NAME,
    LADDER,
    SHEET,
    SPECS,
    Settings,
    Spec,
    default_text,
    number_text,
    parse_value,
    plain_text,
)


def read_settings(
    rows: Iterable[tuple[object, object, str, str]], sheet: str = SHEET
) -> tuple[Settings, list[Problem]]:
    """Build Settings from (name as typed, raw value, name cell, value cell) rows, with problems.

    Unknown names, repeated names and invalid values are problems; a blank value keeps the
    default; an invalid one uses the default and says so, naming its cell.
    """
    values: dict[str, Any] = {}  # field -> value parse_value checked against the field's Spec
    cells: dict[str, str] = {}
    problems: list[Problem] = []
    for typed, raw, name_cell, value_cell in rows:
        name = header_key(typed)
        if not name:
            continue
        key = KEY_OF_NAME.get(name)
        if key is None:
            near = suggest_from(name, list(KEY_OF_NAME))
            problems.append(
                Problem(
                    sheet,
                    name_cell,
                    f"不认识的参数“{plain_text(typed)}”，已忽略",
                    f"是否为：{'、'.join(near)}？"
                    if near
                    else "请对照 duban init 生成的参数表填写参数名",
                )
            )
            continue
        spec = SPECS[key]
        if key in cells:
            problems.append(
                Problem(
                    sheet,
                    name_cell,
                    f"参数“{spec.name}”重复填写（第一次在 {cells[key]}），本行已忽略",
                    "请删除重复的一行",
                )
            )
            continue
        cells[key] = value_cell
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        try:
            values[key] = parse_value(raw, spec)
        except ValueError as e:
            problems.append(_invalid(sheet, value_cell, spec, key, raw, str(e)))
    _check_ladder(values, cells, sheet, problems)
    return Settings(**values, cells=cells), problems


def _invalid(sheet: str, cell: str, spec: Spec, key: str, raw: object, reason: str) -> Problem:
    return Problem(
        sheet,
        cell,
        f"参数“{spec.name}”的值“{plain_text(raw)}”无效（{reason}），已按默认值 {default_text(key) or '（空）'} 计算",
        f"请改为{spec.describe()}，如 {default_text(key)}"
        if default_text(key)
        else f"请改为{spec.describe()}，或清空",
    )


def _check_ladder(
    values: dict[str, Any], cells: Mapping[str, str], sheet: str, problems: list[Problem]
) -> None:
    """Refuse escalation thresholds out of order (a 黄牌 below 限期整改); the defaults are used."""
    for attempt in range(len(LADDER)):
        ladder: list[int] = [values.get(k, getattr(DEFAULTS, k)) for k in LADDER]
        wrong = next((i for i in range(1, len(LADDER)) if ladder[i] < ladder[i - 1]), None)
        if wrong is None:
            return
        lower, key = LADDER[wrong - 1], LADDER[wrong]
        blame = key if key in values else lower
        if attempt == len(LADDER) - 1:
            blame_all = [k for k in LADDER if k in values]
            for k in blame_all:
                values.pop(k)
            blame = blame_all[0] if blame_all else blame
        problems.append(
            Problem(
                sheet,
                cells.get(blame, ""),
                f"参数“{SPECS[key].name}”（{number_text(ladder[wrong])}）小于“{SPECS[lower].name}”（{number_text(ladder[wrong - 1])}），"
                f"督办等级无法逐级升级，“{SPECS[blame].name}”已按默认值 {default_text(blame)} 计算",
                "催办、限期整改、黄牌、红牌的逾期工作日应逐级不减，请改正",
            )
        )
        values.pop(blame, None)
