"""Every item's state at one refresh, as one compressed value of the refresh's history row.

A refresh of 50 000 items used to insert 50 000 rows into ``item_state`` and the next one
read them all back. Now the refresh row carries every item's state as column arrays (JSON,
zlib-compressed: a few bytes per item), read back at once; ``item_state`` keeps a row only
when an item's standing changed (``STANDING``), as a log to query by item.

The columns are those of ``item_state`` (``COLUMNS``), in the ledger's order; dates are ISO
text, as in ``item_state``.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from datetime import date
from operator import attrgetter

from automation.models import Item, ItemResult
from automation.schema import Level, Light, Status

FORMAT = 1
COLUMNS = (
    "sheet", "row", "item_id", "unit", "category", "leader", "status", "light",
    "days_overdue", "level", "progress", "deadline", "days_left", "next_feedback_on",
    "expected_progress", "deviation", "reminder_count",
)  # fmt: skip
# An item's standing: a change of any of these is logged in item_state. The day counts
# (剩余/逾期工作日, 下次反馈日, 序时进度, 进度偏差) move every working day for every open
# item, so they are in the refresh row only.
STANDING = (
    "item_id", "unit", "category", "leader", "status", "light", "level", "progress",
    "deadline", "reminder_count",
)  # fmt: skip

_ITEM = attrgetter("sheet", "row", "id", "unit", "unit_text", "category", "leader", "progress")
_RESULT = attrgetter(
    "item_id", "status", "light", "days_overdue", "level", "deadline", "days_left",
    "next_feedback_on", "expected_progress", "deviation", "reminder_count",
)  # fmt: skip
_LIGHTS = {str(m): m for m in Light}
_STATUSES = {str(m): m for m in Status}
_LEVELS = {str(m): m for m in Level}


def columns_of(items: Sequence[Item], results: Sequence[ItemResult]) -> dict[str, list]:
    """Return every item's state as ``COLUMNS`` -> one list each, in ledger order."""
    if len(items) != len(results):
        raise ValueError("items and results must be parallel sequences")
    if not items:
        return {name: [] for name in COLUMNS}
    sheet, row, ids, unit, unit_text, category, leader, progress = map(
        list, zip(*map(_ITEM, items), strict=True)
    )
    (result_id, status, light, days_overdue, level, deadline, days_left, next_on, expected,
     deviation, reminders) = map(list, zip(*map(_RESULT, results), strict=True))  # fmt: skip
    return {
        "sheet": sheet,
        "row": row,
        "item_id": [r or i for r, i in zip(result_id, ids, strict=True)],
        "unit": [u or t for u, t in zip(unit, unit_text, strict=True)],
        "category": category,
        "leader": leader,
        "status": status,  # StrEnums: str to json, sqlite and == alike
        "light": light,
        "days_overdue": days_overdue,
        "level": level,
        "progress": progress,
        "deadline": _iso(deadline),
        "days_left": days_left,
        "next_feedback_on": _iso(next_on),
        "expected_progress": expected,
        "deviation": deviation,
        "reminder_count": reminders,
    }


def _iso(days: list[date | None]) -> list[str | None]:
    return [d.isoformat() if d else None for d in days]


def pack(columns: dict[str, list]) -> bytes:
    """Return the columns as the refresh row's compressed value."""
    text = json.dumps({"format": FORMAT, **columns}, ensure_ascii=False, separators=(",", ":"))
    return zlib.compress(text.encode("utf-8", "surrogatepass"), 1)


def unpack(blob: bytes) -> dict[str, list]:
    """Return the columns packed by ``pack``; ValueError when they are not in a known format."""
    data = json.loads(zlib.decompress(blob).decode("utf-8", "surrogatepass"))
    if data.pop("format", None) != FORMAT or set(data) != set(COLUMNS):
        raise ValueError("unknown item state format")
    return data


def rows(columns: dict[str, list], indexes: Sequence[int] | None = None) -> list[tuple]:
    """Return item_state rows (``COLUMNS`` order), all or those at ``indexes``."""
    table = list(zip(*(columns[name] for name in COLUMNS), strict=True))
    return table if indexes is None else [table[i] for i in indexes]


def changed(columns: dict[str, list], before: dict[str, list] | None) -> list[int]:
    """Return the indexes of the items whose standing differs from ``before`` (new ones too).

    Items are matched by (sheet, row); with the same rows in the same order as before (the
    usual case) whole columns are compared first, and only a column that differs is walked.
    """
    if not before:
        return list(range(len(columns["row"])))
    if columns["sheet"] == before["sheet"] and columns["row"] == before["row"]:
        found: set[int] = set()
        for name in STANDING:
            now, then = columns[name], before[name]
            if now != then:
                found.update(i for i, (a, b) in enumerate(zip(now, then, strict=True)) if a != b)
        return sorted(found)
    standing = _standing(before)
    keys = zip(columns["sheet"], columns["row"], strict=True)
    states = zip(*(columns[name] for name in STANDING), strict=True)
    return [
        i
        for i, (key, state) in enumerate(zip(keys, states, strict=True))
        if standing.get(key) != state
    ]


def _standing(columns: dict[str, list]) -> dict[tuple[str, int], tuple]:
    """Return (sheet, row) -> the item's standing (``STANDING``)."""
    keys = zip(columns["sheet"], columns["row"], strict=True)
    return dict(zip(keys, zip(*(columns[name] for name in STANDING), strict=True), strict=True))


def results(columns: dict[str, list]) -> list[ItemResult]:
    """Return the ItemResults the columns hold, in (sheet, row) order (as item_state sorts them)."""
    found = [
        ItemResult(
            item_id,
            row,
            _LIGHTS.get(light) or Light(light or ""),
            _STATUSES.get(status) or Status(status),
            days_left,
            days_overdue,
            date.fromisoformat(next_on) if next_on else None,
            expected,
            deviation,
            _LEVELS.get(level) or Level(level or ""),
            reminder_count or 0,
            date.fromisoformat(deadline) if deadline else None,
            sheet,
        )
        for (item_id, row, light, status, days_left, days_overdue, next_on, expected, deviation,
             level, reminder_count, deadline, sheet) in zip(
            *(columns[name] for name in (
                "item_id", "row", "light", "status", "days_left", "days_overdue",
                "next_feedback_on", "expected_progress", "deviation", "level",
                "reminder_count", "deadline", "sheet")),
            strict=True,
        )
    ]  # fmt: skip
    found.sort(key=lambda r: (r.sheet, r.row))
    return found


def levels(columns: dict[str, list]) -> dict[str | tuple[str, str], str]:
    """Return item id -> 督办等级, a later row winning for an id on several rows (by sheet, row).

    Where rows share an id (the parts of one item over several unit rows), each one's level is
    also kept under (item id, unit).
    """
    sheets, rows = columns["sheet"], columns["row"]
    order = sorted(range(len(rows)), key=lambda i: (sheets[i] or "", rows[i]))
    ids, units, found = columns["item_id"], columns["unit"], columns["level"]
    levels: dict[str | tuple[str, str], str] = {}
    by_unit: dict[tuple[str, str], str] = {}
    shared: set[str] = set()
    for i in order:
        item_id = ids[i]
        if item_id in levels:
            shared.add(item_id)
        levels[item_id] = by_unit[(item_id, units[i] or "")] = found[i] or ""
    levels.update((key, level) for key, level in by_unit.items() if key[0] in shared)
    return levels
