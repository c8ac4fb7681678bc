"""The staff's small sheets: 责任单位, 参数设置, 节假日调整, 进展记录 and 发文登记 (README 台账结构).

Each reader takes the sheet's table (None when the workbook has no such sheet) and appends a
Problem naming the cell for every value it cannot use; a bad row is left out, never guessed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date

from automation import schema
from automation.ledger.normalize import (
    clean,
    header_key,
    parse_date,
    parse_progress,
    progress_shown,
    split_list,
    text,
)
from automation.ledger.settings_sheet import read_settings
from automation.ledger.sheet_table import Table, rows_of
from automation.mail.addresses import parse_addresses
from automation.models import Feedback, Letter, Problem, Unit
from automation.safetext import visible
from automation.schema import LetterState
from automation.settings import Settings

CALENDAR_KINDS = {"休": False, "休息": False, "放假": False, "班": True, "上班": True, "补班": True}


def read_units(table: Table | None, problems: list[Problem]) -> list[Unit]:
    if table is None:
        return []
    units = []
    seen: dict[str, int] = {}
    for row, v in rows_of(table, problems):
        name = text(v.get("name", ""))
        if not name:
            continue
        if name in seen:
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("name", row),
                    f"单位“{name}”与第 {seen[name]} 行重复",
                    "请删除重复的一行",
                )
            )
            continue
        seen[name] = row
        units.append(
            Unit(
                name=name,
                aliases=tuple(split_list(clean(v.get("aliases", "")))),
                head=text(v.get("head", "")),
                leader=text(v.get("leader", "")),
                contact=text(v.get("contact", "")),
                phone=text(v.get("phone", "")),
                kind=text(v.get("kind", "")),
                emails=_addresses(table, "email", row, v, name, problems),
                cc=_addresses(table, "cc", row, v, name, problems),
                row=row,
                group=clean(v.get("group", "")),
                cells={key: table.cell(key, row) for key in table.columns},
            )
        )
    return units


def _addresses(
    table: Table, key: str, row: int, values: dict, unit: str, problems: list[Problem]
) -> tuple[str, ...]:
    """Return the addresses typed in a unit's 邮箱/抄送邮箱 cell, reporting whatever else is there."""
    found, refused = parse_addresses(clean(values.get(key, "")))
    for piece in refused:
        problems.append(
            Problem(
                table.sheet,
                table.cell(key, row),
                f"单位“{unit}”的{_header(key)}中“{visible(piece)}”不是邮箱地址，不会向它发送",
                "请只填写邮箱地址，如 office@example.gov.cn；多个邮箱用逗号或分号分隔",
            )
        )
    return tuple(found)


def _header(key: str) -> str:
    return next(c.header for c in schema.UNIT_COLUMNS if c.key == key)


def read_settings_sheet(table: Table | None, problems: list[Problem]) -> Settings:
    if table is None:
        return Settings()
    has_value = "value" in table.columns
    rows = (
        (
            v.get("name", ""),
            v.get("value", "") if has_value else "",
            table.cell("name", row),
            table.cell("value", row) if has_value else "",
        )
        for row, v in rows_of(table, problems)
    )
    settings, found = read_settings(rows, table.sheet)
    problems.extend(found)
    return settings


def read_calendar(table: Table | None, problems: list[Problem], today: date) -> dict[date, bool]:
    if table is None:
        return {}
    overrides: dict[date, bool] = {}
    for row, v, day in _dated_rows(table, problems, today):
        kind = header_key(v.get("kind", ""))
        if kind not in CALENDAR_KINDS:
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("kind", row) if "kind" in table.columns else f"A{row}",
                    f"类型“{kind}”无法识别",
                    "请填写“休”（放假）或“班”（调休上班）",
                )
            )
            continue
        overrides[day] = CALENDAR_KINDS[kind]
    return overrides


def read_feedback(table: Table | None, problems: list[Problem], today: date) -> list[Feedback]:
    if table is None:
        return []
    feedback = []
    for row, v, day in _dated_rows(table, problems, today):
        if not clean(v.get("item_id", "")):
            problems.append(
                Problem(
                    table.sheet,
                    table.cell("item_id", row) if "item_id" in table.columns else f"{row}:{row}",
                    "进展记录缺少事项编号，本行未计入",
                    "请填写对应督办事项的编号，如 DB-2026-001",
                )
            )
            continue
        progress, shown = None, ""
        if v.get("progress", "") not in ("", None):
            try:
                progress = parse_progress(v["progress"])
                shown = progress_shown(v["progress"], progress)
            except ValueError as e:
                problems.append(
                    Problem(
                        table.sheet,
                        table.cell("progress", row),
                        f"完成进度“{clean(v['progress'])}”无效：{e}",
                        "请填写 0–100 之间的百分比，如 80%",
                    )
                )
        feedback.append(
            Feedback(
                date=day,
                item_id=clean(v.get("item_id", "")),
                unit=clean(v.get("unit", "")),
                text=text(v.get("text", "")),
                progress=progress,
                evidence=text(v.get("evidence", "")),
                entered_by=text(v.get("entered_by", "")),
                row=row,
                progress_text=shown,
            )
        )
    return feedback


def read_letters(table: Table | None, problems: list[Problem], today: date) -> list[Letter]:
    if table is None:
        return []
    letters = []
    for row, v, day in _dated_rows(table, problems, today):
        letter = Letter(
            doc_no=clean(v.get("doc_no", "")),
            type=clean(v.get("type", "")),
            date=day,
            unit=clean(v.get("unit", "")),
            item_ids=tuple(split_list(clean(v.get("item_ids", "")))),
            file=clean(v.get("file", "")),
            state=_letter_state(table, row, v, problems),
            reviewer=text(v.get("reviewer", "")),
            row=row,
        )
        if v.get("reviewed_on", "") not in ("", None):
            try:
                letter = replace(letter, reviewed_on=parse_date(v["reviewed_on"], today=today))
            except ValueError as e:
                problems.append(
                    _date_problem(table, "reviewed_on", row, "审定日期", v["reviewed_on"], e)
                )
        if letter.state == LetterState.APPROVED and not letter.doc_no:
            _check_approval(table, row, letter, problems)
        letters.append(letter)
    return letters


def _letter_state(table: Table, row: int, v: dict[str, object], problems: list[Problem]) -> str:
    """Read 状态 of a 发文登记 row (docs/letters.md 审定); an unknown word is a problem, read as blank."""
    typed = header_key(v.get("state", "") or "")
    if not typed:
        return ""
    state = schema.LETTER_STATE_WORDS.get(typed)
    if state is None:
        problems.append(
            Problem(
                table.sheet,
                table.cell("state", row),
                f"状态“{clean(v['state'])}”无法识别",
                f"请从下拉列表选择：{'、'.join(schema.LETTER_STATES)}",
            )
        )
        return ""
    return state


def _check_approval(table: Table, row: int, letter: Letter, problems: list[Problem]) -> None:
    """An approval needs who approved it and when; without them the 送审稿 stays unnumbered."""
    for key, label, value in (
        ("reviewer", "审定人", letter.reviewer),
        ("reviewed_on", "审定日期", letter.reviewed_on),
    ):
        if not value:
            cell = table.cell(key, row) if key in table.columns else table.cell("state", row)
            problems.append(
                Problem(
                    table.sheet,
                    cell,
                    f"送审稿已标为“已审定”，但{label}为空，暂不编号发出",
                    f"请填写{label}（审定日期如 2026-03-05），下次刷新即编号发出",
                )
            )


def _dated_rows(
    table: Table, problems: list[Problem], today: date
) -> Iterator[tuple[int, dict[str, object], date]]:
    """Yield the rows of a log sheet whose 日期 is valid, with it; report the others."""
    for row, v in rows_of(table, problems):
        try:
            yield row, v, parse_date(v.get("date", ""), today=today)
        except ValueError as e:
            problems.append(_date_problem(table, "date", row, "日期", v.get("date", ""), e))


def _date_problem(
    table: Table, key: str, row: int, label: str, raw: object, error: ValueError
) -> Problem:
    cell = table.cell(key, row) if key in table.columns else f"A{row}"
    shown = clean(raw)
    what = f"{label}为空" if not shown else f"{label}“{shown}”不是有效日期：{error}"
    return Problem(table.sheet, cell, what, "请填写如 2026-03-05 的日期")
