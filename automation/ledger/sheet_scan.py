"""What calamine cannot tell about a sheet, read from its XML: real used range and formula cells.

Run before calamine loads a sheet, because calamine allocates the sheet's whole used
range at once: a value in XFD1048576 would abort the process. The range is found from
the cells that hold something (a value, inline text or a formula), never from
``<dimension>``, which any program may leave wrong. Formula cells are listed too:
calamine reads one without a cached value (never calculated, or an error) as empty, and
an input cell holding a formula must never be written over (``assign_ids``).

The XML is streamed in 1 MB chunks (a 50 000-row sheet is ~50 MB, never held whole) and
read by its markup with ``sheetlex``: any quoting, prefix or attribute order; cells and
rows without ``r`` at their implied position.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

from automation.errors import LedgerUnreadable
from automation.ledger.limits import Limits, check_range
from automation.xlsx import sheetlex
from automation.xlsx.cellxml import attributes, column_letters, column_number, columns_from_pattern

CHUNK = 1 << 20


@dataclass
class SheetFacts:
    """One sheet's used range (1-based, 0 when empty) and formula cells."""

    max_row: int = 0
    max_col: int = 0
    min_row: int = 0
    last_row_cell: str = ""  # a cell holding something in the last used row
    last_col_cell: str = ""  # a cell holding something in the last used column
    # (row, col) -> True when the cached value is unusable (none, or an error)
    formulas: dict[tuple[int, int], bool] = field(default_factory=dict)

    @property
    def cells(self) -> int:
        """Return how many cells calamine's range for the sheet holds (at most)."""
        return (self.max_row - self.min_row + 1) * self.max_col if self.max_row else 0


class SheetScan:
    """Scan a workbook's sheets on demand, once each; guard each against a too-large range."""

    def __init__(self, path: Path, limits: Limits | None = None):
        self.path = Path(path)
        self.limits = limits or Limits()
        self._targets: dict[str, str] | None = None
        self._facts: dict[str, SheetFacts | None] = {}

    def facts(self, sheet: str) -> SheetFacts | None:
        """Return the sheet's facts; None for .xls/.ods or an odd package (calamine decides)."""
        if sheet not in self._facts:
            self._facts[sheet] = self._scan(sheet)
        return self._facts[sheet]

    def check(self, sheet: str) -> None:
        """Raise LedgerUnreadable when the sheet's used range is too large to read."""
        facts = self.facts(sheet)
        if facts is not None:
            far = list(dict.fromkeys(c for c in (facts.last_col_cell, facts.last_row_cell) if c))
            check_range(self.path, sheet, facts.cells, far, self.limits)

    def cells(self, sheet: str) -> set[tuple[int, int]]:
        """Return the (row, col) of formula cells in ``sheet`` that have no usable cached value."""
        facts = self.facts(sheet)
        return {k for k, bad in facts.formulas.items() if bad} if facts else set()

    def formula_cells(self, sheet: str) -> set[tuple[int, int]]:
        """Return the (row, col) of every formula cell in ``sheet``."""
        facts = self.facts(sheet)
        return set(facts.formulas) if facts else set()

    def _scan(self, sheet: str) -> SheetFacts | None:
        try:
            with zipfile.ZipFile(self.path) as z:
                target = self._sheet_targets(z).get(sheet)
                if not target:
                    return None
                with z.open(target) as f:
                    return _scan_stream(f)
        except (KeyError, ElementTree.ParseError):
            return None  # .xls/.ods or an odd package: calamine's values are all we have
        except zipfile.BadZipFile:
            if not zipfile.is_zipfile(self.path):
                return None
            raise LedgerUnreadable(
                f"工作簿已损坏：“{sheet}”表无法解压",
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再试，或改用备份",
                path=str(self.path),
            ) from None
        except ValueError as e:
            raise LedgerUnreadable(
                f"“{sheet}”表的内部结构无法识别（{e}）",
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再试",
                path=str(self.path),
            ) from None
        except OSError:
            return None

    def _sheet_targets(self, z: zipfile.ZipFile) -> dict[str, str]:
        if self._targets is None:
            rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
            rels = ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
            by_id = {r.get("Id"): r.get("Target", "") for r in rels}
            book = ElementTree.fromstring(z.read("xl/workbook.xml"))
            self._targets = {}
            for sheet in book.iter():
                if sheet.tag.endswith("}sheet") and sheet.get(rel_ns) in by_id:
                    target = by_id[sheet.get(rel_ns)]
                    self._targets[sheet.get("name", "")] = (
                        target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                    )
        return self._targets


def _scan_stream(f) -> SheetFacts:
    """Scan a sheet's XML from a binary stream, complete rows at a time."""
    facts = SheetFacts()
    buf = b""
    scanner: _Rows | None = None
    pos = 0  # where the unscanned rows start in buf
    while True:
        chunk = f.read(CHUNK)
        if (b"!" in chunk or b"?" in chunk) and _MARKUP_DECLARATION.search(buf[-1:] + chunk):
            whole = buf + chunk
            declaration = sheetlex.DECLARATION.match(whole)
            if _MARKUP_DECLARATION.search(whole, declaration.end() if declaration else 0):
                return _scan_whole(whole + f.read(), facts)
        buf = buf[pos:] + chunk
        pos = 0
        if scanner is None:
            try:
                prefix = sheetlex.main_prefix(buf)
            except ValueError:
                if chunk:
                    continue  # the start of <sheetData> is not in yet
                raise
            data = sheetlex.start_tag(prefix, b"sheetData").search(buf)
            assert data is not None  # main_prefix found it
            pos = data.end()
            scanner = _Rows(prefix, facts)
        if not chunk:
            close = sheetlex.end_tag(scanner.prefix, b"sheetData").search(buf, pos)
            scanner.scan(buf, pos, close.start() if close else len(buf))
            return facts
        cut = _last_row_end(buf, scanner.prefix)
        if cut > pos:
            scanner.scan(buf, pos, cut)
            pos = cut


_MARKUP_DECLARATION = re.compile(rb"<[!?]")  # comment, CDATA, DTD or processing instruction


def _scan_whole(xml: bytes, facts: SheetFacts) -> SheetFacts:
    xml = sheetlex.plain(xml)
    prefix = sheetlex.main_prefix(xml)
    _, start, end = sheetlex.sheet_data(xml, prefix)
    _Rows(prefix, facts).scan(xml, start, end)
    return facts


def _last_row_end(buf: bytes, prefix: bytes) -> int:
    """Return where the last complete <row> element in buf ends (0 when there is none)."""
    i = buf.rfind(b"</" + prefix + b"row")
    if i < 0:
        return 0
    j = buf.find(b">", i)
    return j + 1 if j >= 0 else 0


class _Rows:
    """Fold complete rows into a sheet's facts.

    Tags are looked for with ``bytes.find`` (memory speed) and a check of the byte after
    the name, as ``sheetlex`` does; a regex runs only on the rare row that needs one.
    """

    def __init__(self, prefix: bytes, facts: SheetFacts):
        self.prefix = prefix
        self.facts = facts
        self.values = [b"<" + prefix + name for name in (b"v", b"is", b"f")]
        self.formula = b"<" + prefix + b"f"
        self.cell_open = b"<" + prefix + b"c"
        self.row_open = b"<" + prefix + b"row"
        self.quick_row = re.compile(re.escape(self.row_open) + rb' r="(\d+)"')
        self._wider_than: dict[int, re.Pattern] = {}
        self.quick_ref = re.compile(re.escape(self.cell_open) + rb' r="([A-Z]{1,3})(\d+)"')
        self.v_tag = sheetlex.start_tag(prefix, b"v")
        self.v_open = b"<" + prefix + b"v>"
        self.f_end = b"</" + prefix + b"f>"
        self.c_end = b"</" + prefix + b"c>"
        self.last_row = 0

    def scan(self, xml: bytes, start: int, end: int) -> None:
        """Fold the complete rows in xml[start:end] into the facts."""
        if not self._scan_fast(xml, start, end):
            self._scan_rows(xml, start, end)

    def _scan_fast(self, xml: bytes, start: int, end: int) -> bool:
        """Scan rows spelled as Excel writes them in bulk; False if not so.

        Rows ascending and every tag ``<row r="``/``<c r="``: the last and first rows
        holding something are found from the ends, and cells right of the widest so far
        with one regex search (none, nearly always); formula cells one by one.
        """
        row_open, cell_open = self.row_open, self.cell_open
        numbers = list(map(int, self.quick_row.findall(xml, start, end)))
        if len(numbers) != xml.count(row_open, start, end) or xml.count(
            cell_open, start, end
        ) != xml.count(cell_open + b' r="', start, end):
            return False
        if not numbers:
            return True
        if numbers[0] <= self.last_row or numbers != sorted(set(numbers)):
            return False  # rows out of order: the general path finds the extremes
        if b"f" in xml[start:end] and not self._formulas_fast(xml, start, end):
            return False
        self.last_row = numbers[-1]
        facts = self.facts
        stop, n = end, len(numbers)
        while n:  # the last row holding something, from the end
            n -= 1
            at = xml.rfind(row_open + b' r="', start, stop)
            if self._holds_value(xml, at, stop):
                col, ref = self._last_valued_cell(xml, at, stop, numbers[n])
                if numbers[n] >= facts.max_row:
                    facts.max_row, facts.last_row_cell = numbers[n], ref
                break
            stop = at
        if not facts.min_row:  # the first row holding something, from the start
            for n, at in enumerate(m.start() for m in self.quick_row.finditer(xml, start, end)):
                following = xml.find(row_open + b' r="', at + 1, end)
                if self._holds_value(xml, at, following if following >= 0 else end):
                    facts.min_row = numbers[n]
                    break
        at = start
        while m := self._wider(facts.max_col).search(xml, at, end):
            tag = sheetlex.start_tag(self.prefix, b"c").match(xml, xml.rfind(b"<", at, m.start()))
            if tag is None:  # r="..." in a cell's text, not a cell reference
                at = m.end()
                continue
            cell_end = sheetlex.element(xml, tag, self.prefix, b"c", end)
            if not tag.group(2) and self._holds_value(xml, tag.end(), cell_end):
                ref = attributes(tag.group(1))[b"r"].decode()
                facts.max_col, facts.last_col_cell = column_number(ref.rstrip("0123456789")), ref
            at = cell_end
        return True

    def _formulas_fast(self, xml: bytes, start: int, end: int) -> bool:
        """List the formula cells of rows spelled as Excel writes them; False when one is not so.

        Each ``<f`` is found with ``bytes.find`` and read with its own cell (``<f`` is a
        cell's first child, so the nearest ``<c r="`` before it starts that cell): the 档案
        links put a formula in every row of a ledger with item folders, and parsing every
        cell of those rows took seconds on 50 000 rows.
        """
        found: dict[tuple[int, int], bool] = {}
        cell_r, f_end, v_tag = self.cell_open + b' r="', self.f_end, self.v_open
        at = _find_tag(xml, self.formula, start, end)
        while at >= 0:
            begin = xml.rfind(cell_r, max(start, at - 256), at)  # the tag just before
            if begin < 0:
                begin = xml.rfind(cell_r, start, at)
            cell = self.quick_ref.match(xml, begin) if begin >= 0 else None
            if cell is None or xml.find(b">", begin, at) != at - 1 or xml[at - 2] == 47:  # "/"
                return False  # not the cell's own formula as expected: the general path
            head = xml[begin:at]
            # The formula element's end, then its cached value: <v>x</v> (none, <v/>: unusable).
            close = xml.find(b">", at)
            after = close + 1 if xml[close - 1] == 47 else xml.find(f_end, at) + len(f_end)
            if after < len(f_end) or after > end:
                return False
            if xml.startswith(v_tag, after):
                value = after + len(v_tag)
                if xml[value] == 60 and not xml.startswith(b"</", value):  # "<": markup inside
                    return False
                empty = xml.startswith(b"</", value)
            elif xml.startswith(self.c_end, after):
                empty = None  # no cached value at all
            else:
                return False
            if b' t="str"' in head:  # what duban's 档案 links and Excel's text results say
                kind = b"str"
            else:
                kind = attributes(head).get(b"t", b"n") if b"t=" in head else b"n"
            bad = kind == b"e" or empty is None or (empty and kind != b"str")
            found[int(cell.group(2)), column_number(cell.group(1).decode())] = bad
            at = _find_tag(xml, self.formula, after, end)
        self.facts.formulas.update(found)
        return True

    def _wider(self, col: int) -> re.Pattern[bytes]:
        """Return a pattern finding a cell right of column ``col`` (as Excel spells it).

        Rows' r holds digits only, so ``r="`` + letters is a cell's; a pattern starting with
        ``r="`` runs twice as fast as one starting with ``<c r="``.
        """
        pattern = self._wider_than.get(col)
        if pattern is None:
            pattern = self._wider_than[col] = re.compile(b'r="' + columns_from_pattern(col + 1))
        return pattern

    def _scan_rows(self, xml: bytes, start: int, end: int) -> None:
        facts = self.facts
        for row, tag, row_end in sheetlex.rows(xml, start, end, self.prefix, self.last_row):
            self.last_row = row
            if tag.group(2) or not self._holds_value(xml, tag.end(), row_end):
                continue
            col, ref = self._last_valued_cell(xml, tag.end(), row_end, row)
            if row >= facts.max_row:
                facts.max_row, facts.last_row_cell = row, ref
            if not facts.min_row or row < facts.min_row:
                facts.min_row = row
            if col > facts.max_col:
                facts.max_col, facts.last_col_cell = col, ref
            if _find_tag(xml, self.formula, tag.end(), row_end) >= 0:
                self._formulas(xml, tag.end(), row_end, row)

    def _holds_value(self, xml: bytes, start: int, end: int) -> bool:
        return any(_find_tag(xml, name, start, end) >= 0 for name in self.values)

    def _last_valued_cell(self, xml: bytes, start: int, end: int, row: int) -> tuple[int, str]:
        """Return (column, A1 reference) of the rightmost cell in a row that holds something."""
        at = end
        n = len(self.cell_open)
        while True:
            i = xml.rfind(self.cell_open, start, at)
            if i < 0:
                return 0, ""
            if xml[i + n] in _NAME_END and self._holds_value(xml, i, end):
                break
            at = i
        quick = self.quick_ref.match(xml, i)
        if quick and int(quick.group(2)) == row:
            letters = quick.group(1).decode()
            return column_number(letters), f"{letters}{row}"
        last = 0
        for col, cell, cell_end in sheetlex.cells(xml, self.prefix, start, end):
            if not cell.group(2) and self._holds_value(xml, cell.end(), cell_end):
                last = col
        return last, f"{column_letters(last)}{row}"

    def _formulas(self, xml: bytes, start: int, end: int, row: int) -> None:
        for col, cell, cell_end in sheetlex.cells(xml, self.prefix, start, end):
            if cell.group(2) or _find_tag(xml, self.formula, cell.end(), cell_end) < 0:
                continue
            self.facts.formulas[row, col] = self._bad_formula(xml, cell, cell_end)

    def _bad_formula(self, xml: bytes, cell: re.Match, cell_end: int) -> bool:
        """Tell whether a formula cell's cached value is unusable (none, or an error)."""
        kind = attributes(cell.group(1)).get(b"t", b"n")
        v = self.v_tag.search(xml, cell.end(), cell_end)
        if v is None or v.group(2):
            cached = None
        else:
            close = sheetlex.end_tag(self.prefix, b"v").search(xml, v.end(), cell_end)
            cached = xml[v.end() : close.start()] if close else None
        return kind == b"e" or cached is None or (not cached and kind != b"str")


_NAME_END = b" \t\r\n/>"


def _find_tag(xml: bytes, opening: bytes, start: int, end: int) -> int:
    """Return where a start tag ``opening`` (e.g. ``<v``) is in xml[start:end], or -1."""
    n = len(opening)
    i = xml.find(opening, start, end)
    while i >= 0 and xml[i + n] not in _NAME_END:
        i = xml.find(opening, i + n, end)
    return i
