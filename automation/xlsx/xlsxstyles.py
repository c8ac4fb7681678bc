"""Find or append the few cell styles the writer needs in styles.xml, preserving the rest.

Styles are only ever appended (to ``numFmts``, ``fonts``, ``fills``, ``cellXfs``), so every
index the staff's cells use stays valid. Before appending, the book looks for an identical
entry, so a second refresh finds the styles the first one added and changes nothing.
"""

from __future__ import annotations

import html
import re

# Built-in number formats Excel knows by id (ECMA-376 §18.8.30); others get a custom id.
_BUILTIN_FORMATS = {
    "General": 0,
    "0": 1,
    "0.00": 2,
    "#,##0": 3,
    "#,##0.00": 4,
    "0%": 9,
    "0.00%": 10,
    "@": 49,
}
DATE_FORMAT = "yyyy-mm-dd"
_HEADER_FILL = (
    '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/>'
    '<bgColor indexed="64"/></patternFill></fill>'
)


class StyleBook:
    """The styles part of one package, with find-or-append for header and format styles."""

    def __init__(self, xml: bytes):
        self._text = xml.decode("utf-8")
        self._original = xml
        m = re.search(r"<(\w+:)?styleSheet\b", self._text)
        if m is None:
            raise ValueError("styles.xml has no <styleSheet>")
        self._p = m.group(1) or ""
        self._cache: dict[tuple[bool, str | None], int] = {}

    # -- public ------------------------------------------------------------------------------

    def xf(self, *, header: bool = False, num_format: str | None = None) -> int:
        """Return the cellXfs index of a style (bold + fill when ``header``), adding it if new."""
        key = (header, num_format)
        if key not in self._cache:
            self._cache[key] = self._find_or_add_xf(header, num_format)
        return self._cache[key]

    def date_xf(self) -> int:
        """Return the cellXfs index of a plain ``yyyy-mm-dd`` date style."""
        return self.xf(num_format=DATE_FORMAT)

    def to_bytes(self) -> bytes:
        """Return styles.xml, byte-identical to the input when nothing was added."""
        data = self._text.encode("utf-8")
        return self._original if data == self._original else data

    # -- sections ------------------------------------------------------------------------------

    def _section(self, name: str) -> re.Match[str] | None:
        p = re.escape(self._p)
        return re.search(rf"<{p}{name}\b[^>]*?(?:/>|>.*?</{p}{name}>)", self._text, re.S)

    def _children(self, section: str, child: str) -> list[str]:
        m = self._section(section)
        if m is None:
            return []
        p = re.escape(self._p)
        return re.findall(rf"<{p}{child}\b[^>]*?(?:/>|>.*?</{p}{child}>)", m.group(0), re.S)

    def _append(self, section: str, child_xml: str) -> int:
        """Append a child to a section, fix its count, and return the new child's index."""
        index = len(self._children(section, section[:-1] if section != "cellXfs" else "xf"))
        m = self._section(section)
        p = self._p
        if m is None:  # only numFmts may be missing; it comes first in <styleSheet>
            root = re.search(rf"<{re.escape(p)}styleSheet\b[^>]*>", self._text)
            assert root is not None  # __init__ found it
            block = f'<{p}{section} count="1">{child_xml}</{p}{section}>'
            self._text = self._text[: root.end()] + block + self._text[root.end() :]
            return 0
        block = m.group(0)
        if block.endswith("/>"):
            block = block[:-2] + f"></{p}{section}>"
        close = block.rindex("</")
        block = block[:close] + child_xml + block[close:]
        block = re.sub(
            r"""(\scount\s*=\s*["'])\d+(["'])""", rf"\g<1>{index + 1}\g<2>", block, count=1
        )
        self._text = self._text[: m.start()] + block + self._text[m.end() :]
        return index

    def _find_or_append(self, section: str, child: str, xml: str) -> int:
        children = self._children(section, child)
        wanted = _normal(xml)
        for i, existing in enumerate(children):
            if _normal(existing) == wanted:
                return i
        return self._append(section, xml)

    def _num_fmt_id(self, code: str) -> int:
        if code in _BUILTIN_FORMATS:
            return _BUILTIN_FORMATS[code]
        used = [164]
        for nf in self._children("numFmts", "numFmt"):
            fmt_id = int(_attr(nf, "numFmtId") or 0)
            if _attr(nf, "formatCode") == code:
                return fmt_id
            used.append(fmt_id + 1)
        new_id = max(used)
        p = self._p
        self._append(
            "numFmts", f'<{p}numFmt numFmtId="{new_id}" formatCode="{html.escape(code)}"/>'
        )
        return new_id

    def _bold_font(self) -> int:
        fonts = self._children("fonts", "font")
        base = fonts[0] if fonts else f"<{self._p}font></{self._p}font>"
        if re.search(rf"<{re.escape(self._p)}b\b", base):
            return 0
        if base.endswith("/>"):
            base = base[:-2] + f"></{self._p}font>"
        head_end = base.index(">") + 1
        bold = base[:head_end] + f"<{self._p}b/>" + base[head_end:]
        return self._find_or_append("fonts", "font", bold)

    def _find_or_add_xf(self, header: bool, num_format: str | None) -> int:
        p = self._p
        fmt_id = self._num_fmt_id(num_format) if num_format else 0
        attrs = f'numFmtId="{fmt_id}" fontId="0" fillId="0" borderId="0" xfId="0"'
        extra = ' applyNumberFormat="1"' if fmt_id else ""
        body = ""
        if header:
            font = self._bold_font()
            fill = self._find_or_append(
                "fills", "fill", _HEADER_FILL.replace("<", f"<{p}").replace(f"<{p}/", f"</{p}")
            )
            attrs = f'numFmtId="{fmt_id}" fontId="{font}" fillId="{fill}" borderId="0" xfId="0"'
            extra += ' applyFont="1" applyFill="1" applyAlignment="1"'
            body = f'<{p}alignment horizontal="center" vertical="center" wrapText="1"/>'
        xml = f"<{p}xf {attrs}{extra}" + (f">{body}</{p}xf>" if body else "/>")
        return self._find_or_append("cellXfs", "xf", xml)


def _attr(element: str, name: str) -> str | None:
    m = re.search(rf"""\s{name}\s*=\s*(?:"([^"]*)"|'([^']*)')""", element)
    return html.unescape(m.group(1) if m.group(1) is not None else m.group(2)) if m else None


def _normal(xml: str) -> str:
    return re.sub(r">\s+<", "><", xml.strip())
