"""Encode cell values and A1 references as SpreadsheetML bytes.

Shared by the ledger patcher (``sheetxml``) and the generated-sheet writer (``sheetgen``).
Strings become inline strings (``t="inlineStr"``), so sharedStrings.xml is never touched;
their control characters are written as ``_xHHHH_``, as Excel does (``safetext.xstring``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from automation.safetext import printable, xstring


@dataclass(frozen=True)
class Formula:
    """A formula cell duban writes: the formula (without "=") and its cached text result."""

    formula: str
    result: str

    @property
    def typed(self) -> str:
        """Return the formula as typed into Excel (with its "="), for the live writer."""
        return "=" + self.formula


def hyperlink(target: str, text: str) -> Formula:
    """Return ``HYPERLINK(target, text)``: a link Excel, WPS and LibreOffice open with a click."""
    quoted = target.replace('"', '""')
    return Formula(f'HYPERLINK("{quoted}","{text}")', text)


def column_letters(col: int) -> str:
    """Return the A1 column letters of a 1-based column number."""
    letters = ""
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def column_number(letters: str) -> int:
    """Return the 1-based column number of A1 column letters."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n


def split_ref(ref: str) -> tuple[int, int]:
    """Return (row, col) of an A1 reference such as ``K12``."""
    m = re.fullmatch(r"\$?([A-Za-z]{1,3})\$?(\d+)", ref)
    if not m:
        raise ValueError(f"not a cell reference: {ref!r}")
    return int(m.group(2)), column_number(m.group(1))


def excel_serial(value: date, date1904: bool = False) -> float | int:
    """Return the Excel serial number of a date or datetime."""
    epoch = datetime(1904, 1, 1) if date1904 else datetime(1899, 12, 30)
    if isinstance(value, datetime):
        delta = value.replace(tzinfo=None) - epoch
        serial = delta.days + delta.seconds / 86400 + delta.microseconds / 86400e6
        return int(serial) if serial == int(serial) else round(serial, 10)
    return (value - epoch.date()).days


def escape_text(text: str) -> str:
    """Escape text for XML content, dropping characters XML 1.0 cannot carry."""
    return _escape_markup(printable(text))


def _escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def value_tail(value: Any, date1904: bool = False) -> bytes:
    """Return what follows ``<c r=".." s=".."`` for a value: type attribute, value, close."""
    cls = value.__class__  # dispatched on its class (value: Any), faster than isinstance
    if value is None or (cls is float and not math.isfinite(value)):
        return b"/>"
    if cls is bool:
        return b' t="b"><v>%d</v></c>' % value
    if cls is int or cls is float or isinstance(value, int | float):
        return b"><v>" + _number(value).encode() + b"</v></c>"
    if isinstance(value, date):
        return b"><v>" + str(excel_serial(value, date1904)).encode() + b"</v></c>"
    if cls is Formula:
        formula, result = escape_text(value.formula), escape_text(value.result)
        return f' t="str"><f>{formula}</f><v>{result}</v></c>'.encode()
    text = _escape_markup(xstring(str(value)))
    space = ' xml:space="preserve"' if text != text.strip() or "\n" in text else ""
    return f' t="inlineStr"><is><t{space}>{text}</t></is></c>'.encode()


def cell_xml(ref: str, value: object, style: str | None, date1904: bool = False) -> bytes:
    """Return a complete ``<c>`` element for a value (None gives an empty styled cell)."""
    s = f' s="{style}"' if style and style != "0" else ""
    return f'<c r="{ref}"{s}'.encode() + value_tail(value, date1904)


def _number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value) if isinstance(value, float) else str(value)


# --- reading the pieces we need ------------------------------------------------------------

_ATTR = re.compile(rb'([\w:.-]+)\s*=\s*(?:"([^"]*)"|\'([^\']*)\')')


def attributes(tag: bytes) -> dict[bytes, bytes]:
    """Return the attributes of a start tag as a dict of raw bytes."""
    return {
        m.group(1): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _ATTR.finditer(tag)
    }


def columns_from_pattern(lo: int) -> bytes:
    """Return a regex matching the letters of any column >= lo when followed by a digit."""
    letters = column_letters(lo)
    n = len(letters)
    alternatives = []
    for k, ch in enumerate(letters):
        if k == n - 1:
            alternatives.append(f"{letters[:k]}[{ch}-Z]")
        elif ch < "Z":
            alternatives.append(f"{letters[:k]}[{chr(ord(ch) + 1)}-Z]" + "[A-Z]" * (n - k - 1))
    if n < 3:
        alternatives.append(f"[A-Z]{{{n + 1},3}}")
    return ("(?:" + "|".join(f"{a}\\d" for a in alternatives) + ")").encode()
