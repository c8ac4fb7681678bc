"""Read the 回头看记录 sheet (docs/rules.md §15): one ``Lookback`` per valid row, a Problem per bad one."""

from __future__ import annotations

from datetime import date

from automation.ledger.normalize import clean, parse_date, squeeze
from automation.ledger.sheet_table import Table, rows_of
from automation.models import Lookback, Problem
from automation.schema import Verdict

# A few other ways staff write the two verdicts; anything else is asked about, never guessed
# ("未反弹" must not read as 反弹).
VERDICT_WORDS = {
    **{v.value: v for v in Verdict},
    "已巩固": Verdict.HOLDS,
    "巩固到位": Verdict.HOLDS,
    "有反弹": Verdict.REBOUND,
    "出现反弹": Verdict.REBOUND,
}


def read_lookbacks(table: Table | None, problems: list[Problem], today: date) -> list[Lookback]:
    """Return the rows of 回头看记录 that have an 编号, a valid 日期 and a 结论 of 巩固 or 反弹."""
    found: list[Lookback] = []
    for row, v in rows_of(table, problems):
        assert table is not None
        item_id, raw_date, raw_verdict = (
            clean(v.get(k, "")) for k in ("item_id", "date", "verdict")
        )
        if not (item_id or raw_date or raw_verdict):
            continue  # a row with only a note

        def report(key: str, message: str, fix: str, row: int = row) -> None:
            cell = table.cell(key, row) if key in table.columns else f"{row}:{row}"
            problems.append(Problem(table.sheet, cell, message, fix))

        if not item_id:
            report("item_id", "回头看记录缺少事项编号，本行未计入", "请填写回头看的督办事项编号")
            continue
        try:
            day = parse_date(v.get("date", ""), today=today)
        except ValueError as e:
            what = "日期为空" if not raw_date else f"日期“{raw_date}”不是有效日期：{e}"
            report("date", f"回头看记录{what}，本行未计入", "请填写回头看的日期，如 2026-03-05")
            continue
        verdict = VERDICT_WORDS.get(squeeze(raw_verdict))
        if verdict is None:
            what = "结论为空" if not raw_verdict else f"结论“{raw_verdict}”无法识别"
            report(
                "verdict",
                f"回头看记录{what}，本行未计入",
                f"请从下拉列表选择：{'、'.join(Verdict)}",
            )
            continue
        found.append(
            Lookback(
                item_id=item_id,
                date=day,
                verdict=verdict,
                note=clean(v.get("note", "")),
                entered_by=clean(v.get("entered_by", "")),
                row=row,
            )
        )
    return found
