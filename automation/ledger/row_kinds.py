"""Tell the rows that are not items (合计, 注：…, 填报人…, a repeated header) from data, in bulk.

``sheet_table.not_an_item`` decides one row; asking it of every row of a 50 000-row ledger
normalised every text cell of every row one by one (NFKC, spaces, required marks: seconds
of work). Nearly every row is plain data, and a ledger repeats most of its texts (units,
names, statuses), so this module first asks, once per distinct text of the sheet, whether
that text could make a row something else; only the rows holding such a text are then
given to ``not_an_item``. A row can be a non-item only if one of its text cells

- has a header key (``normalize.header_key``) that is a total word (合计…) or a header name,
  or names a header once its bracketed note is dropped (the two ways ``header_field``
  matches a header: a repeated header row needs three such cells); or
- starts, after spaces, with a note or signature word (注：, 填报人：…);

so a row with none of these is data, and the answers are exactly ``not_an_item``'s.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from itertools import chain


def part_start(*patterns: re.Pattern) -> re.Pattern:
    """Return one pattern matching, after leading spaces, wherever any of ``patterns`` does.

    Each pattern is anchored with ``^`` and applied to a stripped cell.
    """
    bodies = "|".join(f"(?:{p.pattern.removeprefix('^')})" for p in patterns)
    return re.compile(rf"\s*(?:{bodies})")


def suspicious_texts(
    rows: Sequence[Sequence[object]],
    could_be_other: Callable[[str], bool],
) -> set[str]:
    """Return the distinct text cells of ``rows`` for which ``could_be_other`` holds."""
    return {v for v in set(chain.from_iterable(rows)) if isinstance(v, str) and could_be_other(v)}


def kinds(
    rows: Sequence[Sequence[object]],
    decide: Callable[[Sequence[object]], str],
    could_be_other: Callable[[str], bool],
) -> dict[int, str]:
    """Return index -> kind for the rows ``decide`` (``not_an_item``) says are not items.

    ``could_be_other(text)`` must hold for every text that can make ``decide`` answer
    something other than "" (the module docstring says which): the other rows are data.
    """
    suspicious = suspicious_texts(rows, could_be_other)
    if not suspicious:
        return {}
    found = {}
    for i, cells in enumerate(rows):
        if not suspicious.isdisjoint(cells):
            kind = decide(cells)
            if kind:
                found[i] = kind
    return found
