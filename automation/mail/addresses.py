"""E-mail addresses as staff type them into a cell: a list of plain addresses, nothing else.

A cell such as ``a@b.cn, c@d.cn`` or ``a@b.cn；c@d.cn`` (or one per line) is a list; so is
``张三 <a@b.cn>`` as Outlook copies it. Anything else in the cell is refused piece by piece
and never sent to: ``a@b.cn\\r\\nBcc: x@y.z`` yields ``a@b.cn`` and refuses ``Bcc: x@y.z``,
so a pasted header cannot add a recipient.
"""

from __future__ import annotations

import re

# One plain address (ASCII, as every government mail system issues them).
_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
# Between addresses: commas, semicolons, slashes, 顿号 (half- or full-width) and line breaks.
_SEPARATORS = re.compile(r"[,，;；、/／\r\n]+")
# ``Name <address>``: a display name without quotes, brackets, @ or control characters.
_NAMED = re.compile(r"""["']?([^"'<>@\x00-\x1f]*)["']?\s*<([^<>\s]+)>""")
_SPACES = re.compile(r"[ \t\u3000]+")


def valid_address(text: str) -> bool:
    """Tell whether text is exactly one plain e-mail address such as ``ban@example.gov.cn``."""
    return _ADDRESS.fullmatch(text) is not None


def parse_addresses(text: str) -> tuple[list[str], list[str]]:
    """Split a cell into its addresses and the pieces that are not addresses (to report)."""
    found: list[str] = []
    refused: list[str] = []
    for piece in _SEPARATORS.split(text):
        piece = piece.strip(" \t\u3000")
        if not piece:
            continue
        named = _NAMED.fullmatch(piece)
        words = _SPACES.split(piece)
        if valid_address(piece):
            addresses = [piece]
        elif named and valid_address(named.group(2)):
            addresses = [named.group(2)]
        elif all(valid_address(w) for w in words):  # "a@b.cn c@d.cn": a space between two
            addresses = words
        else:
            refused.append(piece)
            continue
        found += [a for a in addresses if a not in found]
    return found, refused


def sender_address(text: str) -> str | None:
    """Return the address of a From value (``县督查室 <a@b.cn>`` or ``a@b.cn``); None if it is not one."""
    text = text.strip()
    named = _NAMED.fullmatch(text)
    address = named.group(2) if named else text
    return address if valid_address(address) else None
