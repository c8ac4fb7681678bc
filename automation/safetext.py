"""Ledger text made representable in every output (docx, xlsx, HTML, mail), changing nothing else.

A cell can hold characters no output format can carry: control characters pasted from
other programs (``_x0007_`` in the sheet XML, which the reader decodes to BEL), and, from
other sources, lone surrogates and the noncharacters U+FFFE/U+FFFF. XML 1.0 forbids them
all, so one of them makes a .docx Word cannot open. Every output passes ledger text through
one of these functions; everything that can be represented is quoted exactly.

- ``printable``: drop what XML 1.0 cannot carry (docx, HTML, mail bodies);
- ``one_line``: also line breaks to spaces (mail headers, single-line fields);
- ``xstring``: SpreadsheetML's own escape, ``_xHHHH_``, as Excel writes it, so a workbook
  cell keeps exactly what was typed (ECMA-376 Part 1, §22.9.2.19 ST_Xstring);
- ``visible``: control characters shown as symbols (␇), for quoting a bad value in a message.
"""

from __future__ import annotations

import re

# Characters XML 1.0 (§2.2 Char) excludes, plus every surrogate: a valid pair is joined first.
_UNREPRESENTABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SURROGATE = re.compile("[\ud800-\udfff]")
_PAIR = re.compile("[\ud800-\udbff][\udc00-\udfff]")
# What ST_Xstring writes as _xHHHH_: control characters (CR too, or XML parsers turn it into LF).
# NUL is dropped instead: programs written in C take it for the end of the text.
_XSTRING_ESCAPED = re.compile("[\x01-\x08\x0b-\x1f]")
# A literal "_x0041_" would be decoded as "A": its underscore is written as _x005F_.
_LOOKS_ESCAPED = re.compile("_(?=x[0-9A-Fa-f]{4}_)")
_NOT_IN_WORKBOOKS = re.compile("[\x00\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("\r\n|[\r\n\u2028\u2029\x85]")


def printable(text: str) -> str:
    """Return text without the characters XML 1.0 cannot carry (surrogate pairs joined)."""
    if _UNREPRESENTABLE.search(text) is None:
        return text
    return _UNREPRESENTABLE.sub("", _join_surrogates(text))


def one_line(text: str) -> str:
    """Return printable text on one line: each line break becomes a space."""
    return _LINE_BREAKS.sub(" ", printable(text)).strip()


def xstring(text: str) -> str:
    """Encode text as a SpreadsheetML string: control characters as ``_xHHHH_``, like Excel.

    Readers (Excel, calamine, LibreOffice) decode them back, so the cell reads exactly as
    typed; a literal ``_xHHHH_`` in the text is protected as ``_x005F_xHHHH_``. What no
    workbook can hold (NUL, lone surrogates, U+FFFE, U+FFFF) is dropped.
    """
    if "_x" in text:
        text = _LOOKS_ESCAPED.sub("_x005F_", text)
    if _UNREPRESENTABLE.search(text) is None and "\r" not in text:
        return text
    text = _NOT_IN_WORKBOOKS.sub("", _join_surrogates(text))
    return _XSTRING_ESCAPED.sub(lambda m: f"_x{ord(m[0]):04X}_", text)


def visible(text: str) -> str:
    """Return text with each control character shown as its symbol (␇, ␍, ␊), for messages."""
    text = _join_surrogates(text)
    text = _SURROGATE.sub("\ufffd", text).replace("\ufffe", "\ufffd").replace("\uffff", "\ufffd")
    return re.sub("[\x00-\x1f]", lambda m: chr(0x2400 + ord(m[0])), text)


def _join_surrogates(text: str) -> str:
    """Return text with each valid surrogate pair (as some decoders leave them) as its character."""
    if _SURROGATE.search(text) is None:
        return text
    return _PAIR.sub(lambda m: m[0].encode("utf-16-le", "surrogatepass").decode("utf-16-le"), text)
