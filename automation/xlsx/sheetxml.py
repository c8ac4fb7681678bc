"""Patch cells inside one worksheet's XML without parsing the rest of it.

The sheet XML is treated as bytes (``sheetlex`` finds rows and cells by their markup, in
any legal spelling): only the ``<row>`` elements that receive a write are rebuilt, every
other byte (other rows, ``<cols>``, conditional formats, validations, extLst, ...) is
copied through unchanged, mostly as zero-copy memoryview slices. Cells are found by their
``r`` reference (or the position it implies), never by counting. Rows as Excel writes them
(cells ``<c r="..."``) take a fast path: the written cells are found from the row's end
with ``bytes.rfind``, which keeps a 50 000-row ledger well under a second (see
bench/refresh.py) where a full parse would not.

Formulas: a write replaces a formula only in ``formula_columns`` (duban's computed
columns); a formula anywhere else was typed by staff and is refused (``FormulaInTheWay``).
A shared formula whose master is replaced hands its formula on first (``sharedformula``).

Shared-strings policy: every string we write is an inline string (``t="inlineStr"``), so
``sharedStrings.xml`` is never touched. A cell that pointed to a shared string and is
overwritten simply stops referencing it; Excel and LibreOffice accept unused entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from automation.xlsx import sheetlex
from automation.xlsx.cellxml import (
    attributes,
    column_letters,
    column_number,
    split_ref,
    value_tail,
)
from automation.xlsx.sharedformula import hand_on_shared_formulas

MAX_ROW, MAX_COL = 1_048_576, 16_384  # Excel's last cell, XFD1048576
_NAME_END = frozenset(b" \t\r\n/>")  # what may follow a tag's name


class FormulaInTheWay(Exception):
    """A write would replace a formula outside the computed columns (``ref`` such as ``A5``)."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


def column_styles(xml: bytes) -> dict[int, str]:
    """Return column -> default style index from the sheet's ``<cols>``."""
    xml = sheetlex.plain(xml)
    prefix = sheetlex.main_prefix(xml)
    col_styles: dict[int, str] = {}
    cols = sheetlex.search(sheetlex.start_tag(prefix, b"cols"), b"<" + prefix + b"cols", xml)
    if cols and not cols.group(2):
        end = sheetlex.element(xml, cols, prefix, b"cols", len(xml))
        for m in sheetlex.start_tag(prefix, b"col").finditer(xml, cols.end(), end):
            a = attributes(m.group(1))
            style = a.get(b"style")
            if style and style != b"0":
                lo, hi = int(a.get(b"min", b"1")), int(a.get(b"max", b"1"))
                for c in range(lo, min(hi, MAX_COL) + 1):
                    col_styles[c] = style.decode()
    return col_styles


def last_nonempty_row(xml: bytes) -> int:
    """Return the number of the last row that holds a value or formula (0 when none)."""
    xml = sheetlex.plain(xml)
    prefix = sheetlex.main_prefix(xml)
    _, start, end = sheetlex.sheet_data(xml, prefix)
    value = re.compile(b"<" + re.escape(prefix) + rb"(?:v|is|f)(?=[\s/>])")
    last = 0
    for number, m, row_end in sheetlex.rows(xml, start, end, prefix):
        if value.search(xml, m.end(), row_end):
            last = max(last, number)
    return last


# --- patching -----------------------------------------------------------------------------

StyleFor = Callable[[int, object, str | None], str | None]
"""(col, value, existing style or None when the cell is new) -> style index to use."""


@dataclass
class PatchReport:
    """What a patch did that the package level must react to."""

    formulas_removed: int = 0
    max_row: int = 0
    max_col: int = 0
    changed: bool = False


def patch_cells(
    xml: bytes,
    writes: dict[int, dict[int, object]],
    style_for: StyleFor,
    date1904: bool = False,
    *,
    formula_columns: Collection[int] = (),
) -> tuple[list[bytes | memoryview], PatchReport]:
    """Apply ``writes`` (row -> col -> value, 1-based) to a worksheet's XML bytes.

    Returns the new XML as a list of pieces (join them, or stream them into the zip: a
    50 000-row sheet is tens of MB and most pieces are zero-copy views of the input).
    Raises FormulaInTheWay when a write would replace a formula outside ``formula_columns``.
    """
    report = PatchReport()
    if not writes:
        return [xml], report
    original = xml
    xml = sheetlex.plain(xml)
    prefix = sheetlex.main_prefix(xml)
    if b"shared" in xml:
        xml = hand_on_shared_formulas(xml, prefix, writes, formula_columns)
    tag, start, end = sheetlex.sheet_data(xml, prefix)
    if tag.group(2):  # <sheetData/>: open it up
        head = xml[tag.start() : tag.end() - 2].rstrip() + b">"
        xml = xml[: tag.start()] + head + b"</" + prefix + b"sheetData>" + xml[tag.end() :]
        start = end = tag.start() + len(head)
    pending = sorted(writes)
    out: list[bytes | memoryview] = [xml[:start]]
    pos = start
    i = 0
    ctx = _Ctx(prefix, style_for, date1904, report, frozenset(formula_columns))
    view = memoryview(xml)  # slices of a memoryview are not copies
    for row_no, row_tag, row_end in sheetlex.rows(xml, start, end, prefix):
        while i < len(pending) and pending[i] < row_no:  # rows that do not exist yet
            out.append(view[pos : row_tag.start()])
            pos = row_tag.start()
            out.append(ctx.new_row(pending[i], writes[pending[i]]))
            i += 1
        if i < len(pending) and pending[i] == row_no:
            cols = writes[row_no]
            order = sorted(cols)
            out.append(view[pos : row_tag.start()])
            head = _widen_spans(xml[row_tag.start() : row_tag.end()], order[0], order[-1])
            if row_tag.group(2):  # <row .../>
                out.append(head[:-2].rstrip() + b">")
                out.append(ctx.cells_for(str(row_no).encode(), cols, order))
                out.append(b"</" + prefix + b"row>")
                pos = row_end
            else:
                body_end = xml.rindex(b"</", row_tag.end(), row_end)
                out.append(head)
                row_b = str(row_no).encode()
                if not ctx.patch_fast(xml, view, row_tag.end(), body_end, row_b, cols, order, out):
                    out.append(ctx.patch_body(xml[row_tag.end() : body_end], row_b, cols, order))
                pos = body_end
            i += 1
        if i == len(pending):
            break
    out.append(view[pos:end])
    while i < len(pending):
        out.append(ctx.new_row(pending[i], writes[pending[i]]))
        i += 1
    out.append(view[end:])
    report.max_row = max(writes)
    report.max_col = max(max(cols) for cols in writes.values())
    out[0] = _grow_dimension(xml[:start], prefix, report)  # <dimension> precedes <sheetData>
    report.changed = not _same(original, out)
    return out, report


def _same(xml: bytes, pieces: list[bytes | memoryview]) -> bool:
    """Tell whether the pieces spell exactly ``xml``."""
    if sum(len(p) for p in pieces) != len(xml):
        return False
    view = memoryview(xml)
    offset = 0
    for piece in pieces:
        if view[offset : offset + len(piece)] != piece:
            return False
        offset += len(piece)
    return True


_COLUMN_OF: dict[bytes, int] = {}


def _column_of(letters: bytes) -> int:
    col = _COLUMN_OF.get(letters)
    if col is None:
        col = _COLUMN_OF[letters] = column_number(letters.decode())
    return col


class _Ctx:
    """Per-sheet state of one patch: patterns and caches of cell heads and value tails."""

    def __init__(
        self,
        prefix: bytes,
        style_for: StyleFor,
        date1904: bool,
        report: PatchReport,
        formula_columns: frozenset[int],
    ):
        self.prefix = prefix
        self.style_for = style_for
        self.date1904 = date1904
        self.report = report
        self.formula_columns = formula_columns
        p = re.escape(prefix)
        self.cell_open = b"<" + prefix + b"c"
        self.formula_re = re.compile(b"<" + p + rb"f(?=[\s/>])")
        self._heads: dict[tuple[int, type, str | None], tuple[bytes, bytes]] = {}
        self._tails: dict[object, bytes] = {}
        # A cell as Excel writes it: r first, double quotes; the attributes may hold any
        # quoted value (even one with a ">"), the content ends at the cell's own end tag.
        self._tail_cells = re.compile(
            rb"(<" + p + rb'c r="([A-Z]+)\d+"'
            rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*"
            rb"(?:/>|>.*?</" + p + rb"c\s*>))",
            re.S,
        )
        self._style_of_attrs: dict[bytes, str] = {}
        self._quick_ref = re.compile(re.escape(self.cell_open) + rb' r="([A-Z]{1,3})\d')

    def _cell(self, row: bytes, col: int, value: Any, existing: str | None) -> bytes:
        """Return a ``<c>`` for a value; ``row`` is the row number as bytes."""
        key = (col, value.__class__, existing)
        head = self._heads.get(key)
        if head is None:
            style = self.style_for(col, value, existing)
            s = b' s="' + style.encode() + b'"' if style and style != "0" else b""
            head = self._heads[key] = (b'<c r="' + column_letters(col).encode(), b'"' + s)
        cls = value.__class__  # dispatched on its class (value: Any), faster than isinstance
        tail: bytes | None
        if cls is int:
            tail = b"><v>%d</v></c>" % value
        else:
            try:
                tail = self._tails.get((cls, value))
            except TypeError:
                tail = None
            if tail is None:
                tail = value_tail(value, self.date1904)
                if len(self._tails) < 100_000:
                    self._tails[(cls, value)] = tail
        cell = head[0] + row + head[1] + tail
        return self._prefixed(cell) if self.prefix else cell

    def new_row(self, row: int, cols: dict[int, object]) -> bytes:
        row_b = str(row).encode()
        p = self.prefix
        cells = self.cells_for(row_b, cols, sorted(cols))
        return b"<" + p + b'row r="' + row_b + b'">' + cells + b"</" + p + b"row>"

    def cells_for(self, row_b: bytes, cols: dict[int, object], order: list[int]) -> bytes:
        return b"".join(self._cell(row_b, c, cols[c], None) for c in order)

    def _prefixed(self, cell: bytes) -> bytes:
        p = self.prefix
        for tag in (b"c", b"v", b"is", b"t"):
            cell = re.sub(rb"<(/?)" + tag + rb"\b", b"<\\1" + p + tag, cell)
        return cell

    def patch_body(self, body: bytes, row_b: bytes, cols: dict[int, object], order) -> bytes:
        """Patch a row body cell by cell (any spelling): the slow, general path."""
        out: list[bytes] = []
        pos = i = 0
        n = len(order)
        for col, tag, cell_end in sheetlex.cells(body, self.prefix):
            while i < n and order[i] < col:
                out.append(body[pos : tag.start()])
                pos = tag.start()
                out.append(self._cell(row_b, order[i], cols[order[i]], None))
                i += 1
            if i < n and order[i] == col:
                out.append(body[pos : tag.start()])
                cell = body[tag.start() : cell_end]
                self._check_formula(cell, col, row_b)
                style = attributes(tag.group(1)).get(b"s", b"0").decode()
                out.append(self._cell(row_b, col, cols[col], style))
                pos = cell_end
                i += 1
            if i == n:
                break
        out.append(body[pos:])
        while i < n:
            out.append(self._cell(row_b, order[i], cols[order[i]], None))
            i += 1
        return b"".join(out)

    def patch_fast(self, xml, view, start, end, row_b, cols, pending, out) -> bool:
        """Patch xml[start:end], a row body, appending pieces to ``out``; False if not possible.

        The cells at or right of the first written column are found from the row's end
        (duban's computed columns are a row's last cells), a ``bytes.rfind`` each; the
        cells before them are passed on as one memoryview slice, untouched. Only rows whose
        cells there all start ``<c r="`` qualify (checked here, cheaply, per row).
        """
        cell_open, n = self.cell_open, len(self.cell_open)
        lo = pending[0]
        starts = []
        pos = end
        column_of = _COLUMN_OF.get
        while (i := xml.rfind(cell_open, start, pos)) >= 0:
            pos = i
            if xml[i + n] not in _NAME_END:
                continue  # <color>, <charset> of rich text
            ref = self._quick_ref.match(xml, i)
            if ref is None:
                return False  # a cell without r, or spelt another way: the general path
            letters = ref.group(1)
            if (column_of(letters) or _column_of(letters)) < lo:
                break
            starts.append(i)
        starts.reverse()
        tail = starts[0] if starts else end
        cells = []
        for k, at in enumerate(starts):
            found = self._tail_cells.match(xml, at)
            following = starts[k + 1] if k + 1 < len(starts) else end
            if found is None or xml[found.end() : following].strip():
                return False  # something between the cells the fast pattern does not know
            cells.append(found.groups())
        append = out.append
        append(view[start:tail])
        make = self._cell
        i = 0
        n = len(pending)
        formula = b"<" + self.prefix + b"f"
        styles = self._style_of_attrs
        column_of = _COLUMN_OF.get
        for whole, letters, attrs in cells:
            col = column_of(letters) or _column_of(letters)
            while i < n and pending[i] < col:
                append(make(row_b, pending[i], cols[pending[i]], None))
                i += 1
            if i < n and pending[i] == col:
                style = styles.get(attrs)
                if style is None:
                    s = attributes(attrs).get(b"s")
                    style = styles[attrs] = s.decode() if s else "0"
                if formula in whole:
                    self._check_formula(whole, col, row_b)
                append(make(row_b, col, cols[col], style))
                i += 1
            else:
                append(whole)
        while i < n:
            append(make(row_b, pending[i], cols[pending[i]], None))
            i += 1
        return True

    def _check_formula(self, cell: bytes, col: int, row_b: bytes) -> None:
        """Count a formula the write replaces; refuse one outside the computed columns."""
        if b"<" in cell[1:] and self.formula_re.search(cell):
            if col not in self.formula_columns:
                raise FormulaInTheWay(f"{column_letters(col)}{row_b.decode()}")
            self.report.formulas_removed += 1


_SPANS = re.compile(rb"""\sspans\s*=\s*["'](\d+):(\d+)["']""")


def _widen_spans(head: bytes, lo: int, hi: int) -> bytes:
    m = _SPANS.search(head) if b"spans" in head else None
    if not m:
        return head
    a, b = int(m.group(1)), int(m.group(2))
    if lo >= a and hi <= b:
        return head
    new = f' spans="{min(a, lo)}:{max(b, hi)}"'.encode()
    return head[: m.start()] + new + head[m.end() :]


def _grow_dimension(xml: bytes, prefix: bytes, report: PatchReport) -> bytes:
    m = sheetlex.start_tag(prefix, b"dimension").search(xml)
    ref = attributes(m.group(1)).get(b"ref") if m else None
    if m is None or not ref:
        return xml
    first, _, last = ref.decode().partition(":")
    last = last or first
    try:
        r1, c1 = split_ref(first)
        r2, c2 = split_ref(last)
    except ValueError:
        return xml
    r2, c2 = max(r2, report.max_row), max(c2, report.max_col)
    new = f"{column_letters(c1)}{r1}:{column_letters(c2)}{r2}"
    if new == ref.decode():
        return xml
    tag = re.sub(
        rb"""(\sref\s*=\s*)(["'])[^"']*\2""",
        lambda a: a.group(1) + b'"' + new.encode() + b'"',
        m.group(0),
        count=1,
    )
    return xml[: m.start()] + tag + xml[m.end() :]
