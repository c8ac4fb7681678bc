"""Find every ledger sheet of a workbook and settle what each column means (docs/rules.md §3.5).

A sheet is a ledger when its header row (found by name, under any title rows) names a content,
a unit and a deadline column — whatever the sheet is called: one per year (2025年督办事项,
2026年督办事项) or per category (领导批示, 会议议定…). The other sheets are listed with the
reason they were not read, so nothing is ignored without a word.
"""

from __future__ import annotations

from automation import schema
from automation.ledger.normalize import header_key
from automation.ledger.sheet_scan import SheetScan
from automation.ledger.sheet_table import HEADER_SCAN_ROWS, Table, load_table
from automation.ledger.stages import find_stages, stage_key
from automation.ledger.words import status_of
from automation.models import Problem, SheetReading
from automation.rules.deadlines import year_in
from automation.xlsx.cellxml import column_letters as get_column_letter

# A ledger sheet must name each of these (by any of their header variants).
LEDGER_KEYS = ("content", "unit", "deadline")
_LABEL = {c.key: c.header for c in schema.LEDGER_READ_COLUMNS}
# Sheets duban writes or keeps for itself, never ledgers.
_OWN_SHEETS = {*schema.ALL_SHEETS, "xlwings.conf"} - {schema.LEDGER}


def find_ledger_tables(
    workbook, names: list[str], hidden: set[str], formulas: SheetScan, problems: list[Problem]
) -> tuple[list[Table], list[tuple[str, str]]]:
    """Return the ledger sheets as tables, and (sheet, why not) for every other worksheet."""
    tables: list[Table] = []
    unread: list[tuple[str, str]] = []
    for name in names:
        if header_key(name) in _OWN_SHEETS:
            continue
        if name in hidden:
            unread.append((name, "工作表已隐藏"))
            continue
        table = load_table(workbook, name, schema.LEDGER_READ_COLUMNS, formulas, min_matches=3)
        if not table.header_row:
            unread.append((name, f"前 {HEADER_SCAN_ROWS} 行中没有台账表头"))
            continue
        settle_columns(table)
        missing = [
            k
            for k in LEDGER_KEYS
            if k not in table.columns and not (k == "deadline" and find_stages(table.headers))
        ]
        if missing and header_key(name) != schema.LEDGER:
            unread.append((name, f"表头中没有“{'”“'.join(_LABEL[k] for k in missing)}”列"))
            continue
        _check_required(table, problems)
        tables.append(table)
    if not tables:
        problems.append(_no_ledger(names))
    return tables, unread


def _no_ledger(names: list[str]) -> Problem:
    if not names:
        return Problem(schema.LEDGER, "", "工作簿中没有任何工作表", "请使用 duban init 新建台账")
    return Problem(
        names[0],
        "",
        f"没有找到台账：没有哪张工作表在前 {HEADER_SCAN_ROWS} 行中有包含“事项内容”“责任单位”"
        "“办结时限”（或其常见写法）的表头",
        "请在台账首行（或标题行下方）填写列名，如：编号、事项内容、责任单位、办结时限；"
        "也可用 duban init 新建台账后把事项粘贴进去",
    )


def _check_required(table: Table, problems: list[Problem]) -> None:
    for column in schema.LEDGER_READ_COLUMNS:
        if column.required and column.key != "id" and column.key not in table.columns:
            problems.append(
                Problem(
                    table.sheet,
                    f"{table.header_row}:{table.header_row}",
                    f"表头中没有“{column.header}”列",
                    f"请在第 {table.header_row} 行添加列名“{column.header}”"
                    f"（也可写作：{'、'.join(column.variants) or '无'}）",
                )
            )


# --- what each column means --------------------------------------------------------------


def settle_columns(table: Table) -> None:
    """Apply the rules a header word alone cannot: lead beside responsible units, 办理情况, stages."""
    _lead_and_responsible(table)
    _ambiguous(table)
    for stage in find_stages(table.headers):
        table.columns[stage_key(stage, "target")] = stage.target
        if stage.done is not None:
            table.columns[stage_key(stage, "done")] = stage.done


def _lead_and_responsible(table: Table) -> None:
    """With 牵头单位 and 责任单位 both present, 牵头 is the lead and the other the co-units."""
    lead = next(
        (c for c, h in table.headers.items() if header_key(h) in schema.LEAD_UNIT_HEADERS), None
    )
    if lead is None:
        return
    unit_names = {header_key(n) for n in _column("unit").names}
    others = [
        c
        for c, h in table.headers.items()
        if c != lead and header_key(h) in unit_names - set(schema.LEAD_UNIT_HEADERS)
    ]
    if not others:
        return
    table.columns["unit"] = lead
    table.columns["co_units2" if "co_units" in table.columns else "co_units"] = others[0]


def _ambiguous(table: Table) -> None:
    """Read 办理情况/落实情况 as 办理状态 when its cells hold status words, else as 最新进展."""
    for col, header in table.headers.items():
        if header_key(header) not in schema.AMBIGUOUS_HEADERS or col in table.columns.values():
            continue
        values = [
            cells[col - 1]
            for _, cells in table.rows
            if col - 1 < len(cells) and cells[col - 1] not in ("", None)
        ]
        words = bool(values) and all(
            isinstance(v, str) and status_of(v) is not None for v in values
        )
        key = "typed_status" if words else "latest_progress"
        if key not in table.columns:
            table.columns[key] = col


def _column(key: str) -> schema.Column:
    return next(c for c in schema.LEDGER_READ_COLUMNS if c.key == key)


def _field_label(key: str) -> str:
    if key.startswith("stage_target_"):
        return f"阶段目标（{key.rsplit('_', 1)[1]}月底）"
    if key.startswith("stage_done_"):
        return f"阶段完成情况（{key.rsplit('_', 1)[1]}月底）"
    return _LABEL.get(key, "配合单位")


def year_hint(table: Table) -> int | None:
    """Return the year a sheet is about, from its name or its title rows (None when unclear)."""
    return year_in(table.sheet) or year_in(table.title)


# --- how the sheet was read (duban check prints it) --------------------------------------


def sheet_reading(table: Table, items) -> SheetReading:
    """Describe how a ledger sheet was read: each header's field, columns left alone, words."""
    mapped = {col: key for key, col in table.columns.items()}
    fields, ignored = [], []
    for col, header in sorted(table.headers.items()):
        letter = get_column_letter(col)
        if col in mapped:
            fields.append((letter, header, _field_label(mapped[col])))
        else:
            ignored.append((letter, header))
    # Deadlines read from words typed in the 办结时限 cell (a quarterly layout's deadline comes
    # from its target columns, not from words); a cell merged over an item's unit rows once.
    words = [
        i
        for i in items
        if i.deadline_rule and i.deadline_text and (i.part_of is None or i.part_of[1] == i.row)
    ]
    examples: list[tuple[str, str, str]] = []
    for i in words:
        if len(examples) < 2 and all(typed != i.deadline_text for _, typed, _ in examples):
            examples.append(
                (
                    f"{get_column_letter(table.columns['deadline'])}{i.row}",
                    i.deadline_text,
                    i.deadline.isoformat() if i.deadline else "无办结时限（长期）",
                )
            )
    return SheetReading(
        sheet=table.sheet,
        header_row=table.header_row,
        fields=fields,
        ignored=ignored,
        items=len(items),
        words=len(words),
        examples=examples,
        notes=_parts_note(items),
        skipped={k: list(v) for k, v in table.skipped.items()},
    )


def _parts_note(items) -> list[str]:
    """Say which rows are one item kept over several unit rows (docs/rules.md §3.7)."""
    parts: dict[tuple[str, int], list[int]] = {}
    for item in items:
        if item.part_of is not None:
            parts.setdefault(item.part_of, []).append(item.row)
    if not parts:
        return []
    shown = "、".join(
        f"第 {rows[0]}—{rows[-1]} 行" if rows == list(range(rows[0], rows[-1] + 1)) else
        "第 " + "、".join(map(str, rows)) + " 行"
        for rows in parts.values()
    )  # fmt: skip
    return [
        f"一个事项分多行、每行一个责任单位：{shown}（共 {len(parts)} 个事项）；"
        "每行分别计算、计入各自的单位，各行都办结后该事项才算办结"
    ]
