"""Find the rows and cells of worksheet XML by their markup, in any spelling XML allows.

The sheet is scanned as bytes for speed (a 50 000-row ledger is tens of MB). That is exact
for XML without comments, CDATA, processing instructions and a DTD: there every ``<``
starts a tag, so a tag is found with ``bytes.find``, and a start tag ends at the first
``>`` outside a quoted attribute value (single or double quotes, in any order, with any
whitespace). ``plain`` brings every sheet to that form first: one that holds comments,
CDATA or processing instructions (no spreadsheet program writes them) is re-serialised by
lxml with its meaning unchanged; a DTD is refused (OOXML forbids it; entities could expand).

Elements are recognised by their namespace, not by a fixed prefix: ``prefix`` is the one
the sheet binds to SpreadsheetML (``""`` for the default namespace, ``b"x:"``, ...).
Positions follow ECMA-376: a cell without ``r`` is right of the previous cell, a row
without ``r`` is below the previous row.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lxml import etree

from automation.xlsx.cellxml import attributes, column_number

MAIN_NAMESPACES = (
    b"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
    b"http://purl.oclc.org/ooxml/spreadsheetml/main",  # Strict Open XML
)
# Attributes of a start tag: any name, either quote, any whitespace; then "/>" or ">".
_ATTRS = rb"((?:\s+[^\s=/>]+\s*=\s*(?:\"[^\"]*\"|'[^']*'))*)\s*(/?)>"
DECLARATION = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*<\?xml\b.*?\?>", re.S)
_ROOT = re.compile(rb"<([^\s/>!?]+)" + _ATTRS)
_REF = re.compile(rb"\$?([A-Za-z]{1,3})\$?(\d+)")
_NAME_END = frozenset(b" \t\r\n/>")


def plain(xml: bytes) -> bytes:
    """Return the sheet in the form the byte scanner reads exactly (usually ``xml`` itself)."""
    declaration = DECLARATION.match(xml)
    after = declaration.end() if declaration else 0
    if xml.find(b"<!", after) < 0 and xml.find(b"<?", after) < 0:
        return xml  # two memchr-speed passes over the bytes: the usual case
    if b"<!DOCTYPE" in xml:
        raise ValueError("worksheet has a document type declaration")
    parser = etree.XMLParser(
        remove_comments=True,
        remove_pis=True,
        strip_cdata=True,
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    )
    root = etree.fromstring(xml, parser)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def main_prefix(xml: bytes) -> bytes:
    """Return the prefix (with its colon) the sheet's <sheetData> uses; ``b""`` for the default one.

    Raises ValueError when no <sheetData> of the SpreadsheetML namespace is found, or when
    its content redeclares that prefix or spells cells with a second prefix (no program
    does either; positions could not be trusted).
    """
    declaration = DECLARATION.match(xml)
    root = _ROOT.search(xml, declaration.end() if declaration else 0)
    if root is None:
        raise ValueError("worksheet has no root element")
    prefixes = [
        b"" if name == b"xmlns" else name[6:] + b":"
        for name, uri in attributes(root.group(0)).items()
        if (name == b"xmlns" or name.startswith(b"xmlns:")) and uri in MAIN_NAMESPACES
    ]
    for prefix in prefixes:
        data = search(start_tag(prefix, b"sheetData"), b"<" + prefix + b"sheetData", xml)
        if data is None:
            continue
        close = search(
            end_tag(prefix, b"sheetData"), b"</" + prefix + b"sheetData", xml, data.end()
        )
        start, end = data.end(), close.start() if close else data.end()
        declaring = b"xmlns" if not prefix else b"xmlns:" + prefix[:-1]
        if xml.find(b"xmlns", start, end) >= 0 and re.compile(
            rb"\s" + re.escape(declaring) + rb"\s*="
        ).search(xml, start, end):
            raise ValueError("worksheet redeclares its namespace inside <sheetData>")
        if any(p != prefix and start_tag(p, b"c").search(xml, start, end) for p in prefixes):
            raise ValueError("worksheet spells its cells with two namespace prefixes")
        return prefix
    raise ValueError("worksheet has no <sheetData>")


def search(pattern: re.Pattern, literal: bytes, xml: bytes, start: int = 0, end: int = -1):
    """Return ``pattern.search(xml, start, end)`` for a pattern whose matches start with ``literal``.

    Found with ``bytes.find`` first, then matched there: on a sheet of tens of MB this is
    memory speed, where the regex engine would try every position.
    """
    end = len(xml) if end < 0 else end
    i = xml.find(literal, start, end)
    while i >= 0:
        m = pattern.match(xml, i, end)
        if m is not None:
            return m
        i = xml.find(literal, i + 1, end)
    return None


@lru_cache(maxsize=64)
def start_tag(prefix: bytes, name: bytes) -> re.Pattern[bytes]:
    """Return a pattern matching a start (or empty) tag; group 1 its attributes, group 2 a "/"."""
    return re.compile(b"<" + re.escape(prefix + name) + rb"(?=[\s/>])" + _ATTRS)


@lru_cache(maxsize=64)
def end_tag(prefix: bytes, name: bytes) -> re.Pattern[bytes]:
    """Return a pattern matching an end tag, e.g. ``</x:c >``."""
    return re.compile(b"</" + re.escape(prefix + name) + rb"\s*>")


def element(xml: bytes, m: re.Match[bytes], prefix: bytes, name: bytes, end: int) -> int:
    """Return where the element whose start tag ``m`` matched ends (after its end tag)."""
    if m.group(2):
        return m.end()
    close = end_tag(prefix, name).search(xml, m.end(), end)
    if close is None:
        raise ValueError(f"unterminated <{(prefix + name).decode()}> element")
    return close.end()


def sheet_data(xml: bytes, prefix: bytes) -> tuple[re.Match, int, int]:
    """Return sheetData's start tag and the (start, end) span of its content (empty when self-closed)."""
    m = search(start_tag(prefix, b"sheetData"), b"<" + prefix + b"sheetData", xml)
    if m is None:
        raise ValueError("worksheet has no <sheetData>")
    if m.group(2):
        return m, m.end(), m.end()
    close = search(end_tag(prefix, b"sheetData"), b"</" + prefix + b"sheetData", xml, m.end())
    if close is None:
        raise ValueError("unterminated <sheetData>")
    return m, m.end(), close.start()


def rows(xml: bytes, start: int, end: int, prefix: bytes, previous: int = 0):
    """Yield (row number, start-tag match, element end) of each <row> in xml[start:end].

    ``previous`` is the number of the row before ``start`` (for rows without ``r``).
    """
    opening, closing = b"<" + prefix + b"row", b"</" + prefix + b"row"
    n, k = len(opening), len(closing)
    tag = start_tag(prefix, b"row")
    quick = _quick_row_number(prefix)
    number = previous
    pos = start
    while True:
        i = xml.find(opening, pos, end)
        if i < 0:
            return
        if xml[i + n] not in _NAME_END:  # another element whose name starts with "row"
            pos = i + n
            continue
        m = tag.match(xml, i, end)
        if m is None:
            raise ValueError("malformed <row> tag")
        q = quick.match(xml, i)
        number = int(q.group(1)) if q else row_number(m.group(1), number)
        if m.group(2):
            pos = m.end()
        else:
            j = xml.find(closing, m.end(), end)
            while j >= 0 and xml[j + k] not in _NAME_END:
                j = xml.find(closing, j + k, end)
            if j < 0:
                raise ValueError("unterminated <row>")
            pos = xml.index(b">", j) + 1
        yield number, m, pos


@lru_cache(maxsize=16)
def _quick_row_number(prefix: bytes) -> re.Pattern[bytes]:
    """Return a pattern for the usual spelling, ``<row r="12"``, read without parsing attributes."""
    return re.compile(b"<" + re.escape(prefix) + rb'row r="(\d+)"')


def row_number(attrs: bytes, previous: int) -> int:
    """Return a row's number from its attributes, else the one below ``previous``."""
    r = attributes(attrs).get(b"r") if b"r" in attrs else None
    if r is None:
        return previous + 1
    if not r.isdigit():
        raise ValueError(f"bad row number {r!r}")
    return int(r)


def cells(body: bytes, prefix: bytes, start: int = 0, end: int | None = None):
    """Yield (column, start-tag match, element end) of each <c> in body[start:end]."""
    end = len(body) if end is None else end
    pattern = start_tag(prefix, b"c")
    col = 0
    pos = start
    while True:
        m = pattern.search(body, pos, end)
        if m is None:
            return
        col = cell_column(m.group(1), col)
        pos = element(body, m, prefix, b"c", end)
        yield col, m, pos


def cell_column(attrs: bytes, previous: int) -> int:
    """Return a cell's column from its ``r``, else the one right of ``previous``."""
    r = attributes(attrs).get(b"r") if b"r" in attrs else None
    if r is None:
        return previous + 1
    m = _REF.fullmatch(r)
    if m is None:
        raise ValueError(f"bad cell reference {r!r}")
    return column_number(m.group(1).decode())
