"""Keep shared formulas valid when a write replaces the cell that holds one.

A formula filled down (or right) is saved once, in the group's master cell
(``<f t="shared" ref="W2:W90" si="0">IF(...)</f>``); every other cell of the group only
says ``<f t="shared" si="0"/>``. Replacing the master with a value would leave the others
pointing at nothing (invalid SpreadsheetML). So before the patch, the first cell of the
group that keeps its formula becomes the new master: it gets the formula translated to
its own position (relative references shifted, as Excel does when filling) and a ``ref``
covering the cells that remain. When the formula cannot be translated the write is
refused, naming the master cell.
"""

from __future__ import annotations

import html
from collections.abc import Collection
from dataclasses import dataclass, field

from automation.xlsx import sheetlex
from automation.xlsx.cellxml import attributes, column_letters, escape_text, split_ref


class SharedFormulaStuck(Exception):
    """The shared formula mastered at ``ref`` cannot be handed on to the cells that keep it."""

    def __init__(self, ref: str):
        super().__init__(ref)
        self.ref = ref


@dataclass
class _Member:
    row: int
    col: int
    f_start: int  # byte span of the cell's <f> element
    f_end: int
    attrs: dict[bytes, bytes]
    text: str = ""

    @property
    def ref(self) -> str:
        return f"{column_letters(self.col)}{self.row}"


@dataclass
class _Group:
    master: _Member | None = None
    members: list[_Member] = field(default_factory=list)  # document order, master included


def hand_on_shared_formulas(
    xml: bytes,
    prefix: bytes,
    writes: dict[int, dict[int, object]],
    formula_columns: Collection[int],
) -> bytes:
    """Return ``xml`` with each shared formula whose master is written handed on to its next cell."""
    edits: list[tuple[int, int, bytes]] = []
    for group in _groups(xml, prefix).values():
        master = group.master
        if master is None or master.col not in writes.get(master.row, ()):
            continue
        if master.col not in formula_columns:
            continue  # the patch refuses this write itself: a formula staff typed
        keep = [m for m in group.members if m is not master and m.col not in writes.get(m.row, ())]
        if not keep:
            continue  # every cell of the group is rewritten
        heir = keep[0]
        from openpyxl.formula.translate import Translator  # openpyxl: only for a shared formula

        try:
            text = Translator("=" + master.text, origin=master.ref).translate_formula(heir.ref)
        except Exception as e:  # openpyxl's tokenizer raises several kinds
            raise SharedFormulaStuck(master.ref) from e
        rows = [m.row for m in keep]
        cols = [m.col for m in keep]
        ref = f"{column_letters(min(cols))}{min(rows)}:{column_letters(max(cols))}{max(rows)}"
        extra = b"".join(
            b" " + k + b'="' + v + b'"'
            for k, v in master.attrs.items()
            if k not in (b"t", b"ref", b"si")
        )
        si = master.attrs[b"si"]
        element = (
            b"<" + prefix + b'f t="shared" ref="' + ref.encode() + b'" si="' + si + b'"' + extra
        )
        element += b">" + escape_text(text[1:]).encode() + b"</" + prefix + b"f>"
        edits.append((heir.f_start, heir.f_end, element))
    for start, end, element in sorted(edits, reverse=True):
        xml = xml[:start] + element + xml[end:]
    return xml


def _groups(xml: bytes, prefix: bytes) -> dict[bytes, _Group]:
    """Return the sheet's shared-formula groups by ``si``."""
    groups: dict[bytes, _Group] = {}
    f_tag = sheetlex.start_tag(prefix, b"f")
    spans = _shared_rows(xml, f_tag)
    if not spans:
        return groups
    _, start, end = sheetlex.sheet_data(xml, prefix)
    for row, row_tag, row_end in sheetlex.rows(xml, start, end, prefix):
        if not any(lo <= row <= hi for lo, hi in spans):
            continue
        for col, cell_tag, cell_end in sheetlex.cells(xml, prefix, row_tag.end(), row_end):
            f = f_tag.search(xml, cell_tag.end(), cell_end)
            if f is None:
                continue
            attrs = attributes(f.group(1))
            if attrs.get(b"t") != b"shared" or b"si" not in attrs:
                continue
            f_end = sheetlex.element(xml, f, prefix, b"f", cell_end)
            member = _Member(row, col, f.start(), f_end, attrs)
            group = groups.setdefault(attrs[b"si"], _Group())
            if b"ref" in attrs and not f.group(2) and group.master is None:
                inner = xml[f.end() : xml.rindex(b"</", f.end(), f_end)]
                member.text = html.unescape(inner.decode("utf-8"))
                group.master = member
            group.members.append(member)
    return groups


def _shared_rows(xml: bytes, f_tag) -> list[tuple[int, int]]:
    """Return the row spans the sheet's shared formulas cover, from their masters' ``ref``."""
    spans = []
    for f in f_tag.finditer(xml):
        attrs = attributes(f.group(1))
        ref = attrs.get(b"ref")
        if attrs.get(b"t") == b"shared" and ref:
            first, _, last = ref.decode().partition(":")
            try:
                spans.append((split_ref(first)[0], split_ref(last or first)[0]))
            except ValueError:
                spans.append((1, 1_048_576))  # a ref we cannot read: look everywhere
    return spans
