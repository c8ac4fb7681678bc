"""Patch cells inside one worksheet's XML without parsing the rest of it.

The sheet XML is treated as bytes: only the ``<row>`` elements that receive a write are
rebuilt, every other byte (other rows, ``<cols>``, conditional formats, validations,
extLst, ...) is copied through unchanged, mostly as zero-copy memoryview slices. Rows are
found with ``bytes.find`` and the written cells with one regex per row, which keeps a
50 000-row ledger at about a second (see bench/refresh.py) where a full parse would not.

Shared-strings policy: every string we write is an inline string (``t="inlineStr"``), so
``sharedStrings.xml`` is never touched. A cell that pointed to a shared string and is
overwritten simply stops referencing it; Excel and LibreOffice accept unused entries.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from automation.xlsx.cellxml import (
    attributes,
    column_letters,
    column_number,
    columns_from_pattern,
    split_ref,
    value_tail,
)


def _prefix(xml: bytes) -> bytes:
    m = re.search(rb"<(\w+:)?sheetData\b", xml)
    return (m.group(1) or b"") if m else b""


def _cell_pattern(prefix: bytes) -> re.Pattern:
    p = re.escape(prefix)
    return re.compile(rb"<" + p + rb"c\b[^>]*?(?:/>|>.*?</" + p + rb"c>)", re.S)


def column_styles(xml: bytes) -> dict[int, str]:
    """Return column -> default style index from the sheet's ``<cols>``."""
    p = re.escape(_prefix(xml))
    col_styles: dict[int, str] = {}
    cols = re.search(rb"<" + p + rb"cols\b.*?</" + p + rb"cols>", xml, re.S)
    if cols:
        for m in re.finditer(rb"<" + p + rb"col\b[^>]*>", cols.group(0)):
            a = attributes(m.group(0))
            style = a.get(b"style")
            if style and style != b"0":
                lo, hi = int(a.get(b"min", b"1")), int(a.get(b"max", b"1"))
                for c in range(lo, min(hi, 16384) + 1):
                    col_styles[c] = style.decode()
    return col_styles


def last_nonempty_row(xml: bytes) -> int:
    """Return the number of the last row that holds a value or formula (0 when none)."""
    prefix = _prefix(xml)
    p = re.escape(prefix)
    body = _sheet_data(xml, prefix)
    last = row_no = 0
    if body:
        value = re.compile(rb"<" + p + rb"(?:v|is|f)\b")
        for start, end in _rows(xml, *body, prefix):
            row_no = _row_number(xml, start, row_no)
            if value.search(xml, start, end):
                last = row_no
    return last


def _sheet_data(xml: bytes, prefix: bytes) -> tuple[int, int] | None:
    """Return the (start, end) byte span of <sheetData>'s content, None when self-closed."""
    p = re.escape(prefix)
    m = re.search(rb"<" + p + rb"sheetData\b[^>]*?(/?)>", xml)
    if m is None:
        raise ValueError("worksheet has no <sheetData>")
    if m.group(1):
        return None
    end = xml.index(b"</" + prefix + b"sheetData>", m.end())
    return m.end(), end


def _row_number(xml: bytes, at: int, previous: int) -> int:
    m = _ROW_NUMBER.match(xml, at)
    return int(m.group(1)) if m else previous + 1


# --- patching -----------------------------------------------------------------------------

StyleFor = Callable[[int, object, str | None], str | None]
"""(col, value, existing style or None when the cell is new) -> style index to use."""


def _rows(xml: bytes, start: int, end: int, prefix: bytes):
    """Yield the (start, end) byte span of each <row> element between start and end."""
    open_tag, close_tag = b"<" + prefix + b"row", b"</" + prefix + b"row>"
    n = len(open_tag)
    pos = start
    while True:
        i = xml.find(open_tag, pos, end)
        if i < 0:
            return
        if (
            xml[i + n] not in _CELL_START_END
        ):  # <rowBreaks> and the like are not in sheetData, but be safe
            pos = i + n
            continue
        j = xml.index(b">", i)
        if xml[j - 1] == 47:  # "/": <row .../>
            pos = j + 1
        else:
            pos = xml.index(close_tag, j) + len(close_tag)
        yield i, pos


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
) -> tuple[list[bytes | memoryview], PatchReport]:
    """Apply ``writes`` (row -> col -> value, 1-based) to a worksheet's XML bytes.

    Returns the new XML as a list of pieces (join them, or stream them into the zip: a
    50 000-row sheet is tens of MB and most pieces are zero-copy views of the input).
    """
    report = PatchReport()
    if not writes:
        return [xml], report
    original = xml
    prefix = _prefix(xml)
    cell_re = _cell_pattern(prefix)
    span = _sheet_data(xml, prefix)
    if span is None:  # <sheetData/>: open it up
        m = re.search(rb"<" + re.escape(prefix) + rb"sheetData\b[^>]*?/>", xml)
        head = m.group(0)[:-2] + b">"
        xml = xml[: m.start()] + head + b"</" + prefix + b"sheetData>" + xml[m.end() :]
        span = (m.start() + len(head), m.start() + len(head))
    start, end = span
    pending = sorted(writes)
    out: list[bytes] = [xml[:start]]
    pos = start
    i = 0
    row_no = 0
    ctx = _Ctx(prefix, cell_re, style_for, date1904, report)
    close_tag = b"</" + prefix + b"row>"
    view = memoryview(xml)  # slices of a memoryview are not copies
    for row_start, row_end in _rows(xml, start, end, prefix):
        row_no = _row_number(xml, row_start, row_no)
        while i < len(pending) and pending[i] < row_no:  # rows that do not exist yet
            out.append(view[pos:row_start])
            pos = row_start
            out.append(ctx.new_row(pending[i], writes[pending[i]]))
            i += 1
        if i < len(pending) and pending[i] == row_no:
            cols = writes[row_no]
            out.append(view[pos:row_start])
            head_end = xml.index(b">", row_start) + 1
            body_end = row_end - len(close_tag)
            order = sorted(cols)
            mark = len(out)
            out.append(_widen_spans(xml[row_start:head_end], order[0], order[-1]))
            if xml[head_end - 2] != 47 and ctx.patch_tail_fast(
                xml, view, head_end, body_end, str(row_no).encode(), cols, order, out
            ):
                pos = body_end
            else:
                del out[mark:]
                out.append(ctx.patch_row(xml[row_start:row_end], row_no, cols))
                pos = row_end
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
    out[0] = _grow_dimension(out[0], prefix, report)  # <dimension> precedes <sheetData>
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
_CELL_START_END = frozenset(b" \t\r\n>/")


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
        cell_re: re.Pattern,
        style_for: StyleFor,
        date1904: bool,
        report: PatchReport,
    ):
        self.prefix = prefix
        self.cell_re = cell_re
        self.style_for = style_for
        self.date1904 = date1904
        self.report = report
        self.cell_open = b"<" + prefix + b"c"
        self.head_re = re.compile(
            rb"<" + re.escape(prefix) + rb'c\b[^>]*?\sr\s*=\s*"\$?([A-Za-z]{1,3})\$?\d+"'
        )
        self.formula_re = re.compile(rb"<" + re.escape(prefix) + rb"f\b")
        self._heads: dict[tuple[int, type, str | None], tuple[bytes, bytes]] = {}
        self._tails: dict[object, bytes] = {}
        self._from: dict[int, re.Pattern] = {}
        self._tail_cells = re.compile(
            rb"(<"
            + re.escape(prefix)
            + rb'c r="([A-Z]+)\d+"([^>]*?)(?:/>|>.*?</'
            + re.escape(prefix)
            + rb"c>))",
            re.S,
        )
        self._style_of_attrs: dict[bytes, str] = {}

    def _cell(self, row: bytes, col: int, value: object, existing: str | None) -> bytes:
        """Return a ``<c>`` for a value; ``row`` is the row number as bytes."""
        key = (col, value.__class__, existing)
        head = self._heads.get(key)
        if head is None:
            style = self.style_for(col, value, existing)
            s = b' s="' + style.encode() + b'"' if style and style != "0" else b""
            head = self._heads[key] = (b'<c r="' + column_letters(col).encode(), b'"' + s)
        cls = value.__class__
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
        cells = b"".join(self._cell(row_b, c, cols[c], None) for c in sorted(cols))
        p = self.prefix
        return b"<" + p + b'row r="' + row_b + b'">' + cells + b"</" + p + b"row>"

    def _prefixed(self, cell: bytes) -> bytes:
        p = self.prefix
        for tag in (b"c", b"v", b"is", b"t"):
            cell = re.sub(rb"<(/?)" + tag + rb"\b", b"<\\1" + p + tag, cell)
        return cell

    def patch_row(self, row_xml: bytes, row: int, cols: dict[int, object]) -> bytes:
        if row_xml.endswith(b"/>"):
            head, body, tail = row_xml[:-2] + b">", b"", b"</" + self.prefix + b"row>"
        else:
            head_end = row_xml.index(b">") + 1
            tail_start = row_xml.rindex(b"</")
            head, body, tail = (
                row_xml[:head_end],
                row_xml[head_end:tail_start],
                row_xml[tail_start:],
            )
        row_b = str(row).encode()
        pending = sorted(cols)
        pos = 0  # the slow path (prefixed names, cells without r): scan the whole row
        out: list[bytes] = []
        i = 0
        col_no = 0
        for m in self.cell_re.finditer(body, pos):
            cell = m.group(0)
            ref = self.head_re.match(cell)
            col_no = _column_of(ref.group(1)) if ref else col_no + 1
            while i < len(pending) and pending[i] < col_no:
                out.append(body[pos : m.start()])
                pos = m.start()
                out.append(self._cell(row_b, pending[i], cols[pending[i]], None))
                i += 1
            if i < len(pending) and pending[i] == col_no:
                out.append(body[pos : m.start()])
                out.append(self._replace_cell(cell, row_b, col_no, cols[col_no]))
                pos = m.end()
                i += 1
            if i == len(pending):
                break
        out.append(body[pos:])
        while i < len(pending):
            out.append(self._cell(row_b, pending[i], cols[pending[i]], None))
            i += 1
        return _widen_spans(head, pending[0], pending[-1]) + b"".join(out) + tail

    def patch_tail_fast(self, xml, view, start, end, row_b, cols, pending, out) -> bool:
        """Patch xml[start:end], a row body, appending pieces to ``out``; False if not possible.

        One regex search finds the first cell at or right of the first written column; the
        cells before it are passed on as a memoryview slice, untouched. Only rows whose
        cells all start ``<c r="`` qualify (checked here, cheaply, per row).
        """
        cell_open = self.cell_open
        if xml.count(cell_open, start, end) != xml.count(cell_open + b' r="', start, end):
            return False
        lo = pending[0]
        finder = self._from.get(lo)
        if finder is None:
            finder = self._from[lo] = re.compile(
                re.escape(cell_open) + b' r="' + columns_from_pattern(lo)
            )
        m = finder.search(xml, start, end)
        tail = m.start() if m else end
        append = out.append
        append(view[start:tail])
        make = self._cell
        i = 0
        n = len(pending)
        if m:
            formula = b"<" + self.prefix + b"f"
            styles = self._style_of_attrs
            column_of = _COLUMN_OF.get
            for whole, letters, attrs in self._tail_cells.findall(xml, tail, end):
                col = column_of(letters) or _column_of(letters)
                while i < n and pending[i] < col:
                    append(make(row_b, pending[i], cols[pending[i]], None))
                    i += 1
                if i < n and pending[i] == col:
                    style = styles.get(attrs)
                    if style is None:
                        found = _STYLE_ATTR.search(attrs)
                        style = styles[attrs] = found.group(1).decode() if found else "0"
                    if formula in whole and self.formula_re.search(whole):
                        self.report.formulas_removed += 1
                    append(make(row_b, col, cols[col], style))
                    i += 1
                else:
                    append(whole)
        while i < n:
            append(make(row_b, pending[i], cols[pending[i]], None))
            i += 1
        return True

    def _replace_cell(self, cell: bytes, row: bytes, col: int, value: object) -> bytes:
        head = cell[: cell.index(b">") + 1]
        if b"<" in cell[len(head) :] and self.formula_re.search(cell):
            self.report.formulas_removed += 1
        s = _STYLE_ATTR.search(head)
        return self._cell(row, col, value, s.group(1).decode() if s else "0")


_STYLE_ATTR = re.compile(rb'\ss\s*=\s*"(\d+)"')
_ROW_NUMBER = re.compile(rb"<[\w:]+\b[^>]*?\sr\s*=\s*[\"'](\d+)")


_SPANS = re.compile(rb'\sspans="(\d+):(\d+)"')


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
    m = re.search(rb"<" + re.escape(prefix) + rb'dimension\b[^>]*?\sref="([^"]*)"', xml)
    if not m:
        return xml
    ref = m.group(1).decode()
    first, _, last = ref.partition(":")
    last = last or first
    try:
        r1, c1 = split_ref(first)
        r2, c2 = split_ref(last)
    except ValueError:
        return xml
    r2, c2 = max(r2, report.max_row), max(c2, report.max_col)
    new = f"{column_letters(c1)}{r1}:{column_letters(c2)}{r2}".encode()
    if new == m.group(1):
        return xml
    return xml[: m.start(1)] + new + xml[m.end(1) :]
