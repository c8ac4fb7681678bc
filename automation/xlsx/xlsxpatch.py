"""Apply a WritePlan to an .xlsx/.xlsm package by editing only the parts that must change.

Every zip member the plan does not touch is copied through with identical content, in the
original order, so images, charts, buttons, VBA, pivot caches, custom XML and printer
settings survive untouched (openpyxl's load/save drops several of them). The ledger sheet
is patched cell by cell (``sheetxml``); generated sheets are rewritten whole
(``sheetgen``); styles are appended (``xlsxstyles``); workbook.xml, its rels and
[Content_Types].xml get small textual insertions only when a sheet is added; the zip
itself (raw copies, streaming, relationships) is ``xlsxzip``.

Strings are written as inline strings, so sharedStrings.xml is never rewritten.
If a cell that held a formula is overwritten, calcChain.xml is dropped (Excel rebuilds it;
a stale chain pointing at a value cell is what makes Excel offer to "repair" a file).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from automation import errors
from automation.models import ColumnWrites, GeneratedSheet, WritePlan
from automation.xlsx.sharedformula import SharedFormulaStuck
from automation.xlsx.sheetgen import chart_xml, drawing_xml, worksheet_xml
from automation.xlsx.sheetxml import (
    MAX_COL,
    MAX_ROW,
    FormulaInTheWay,
    attributes,
    column_styles,
    last_nonempty_row,
    patch_cells,
)
from automation.xlsx.xlsxstyles import StyleBook
from automation.xlsx.xlsxzip import Package, add_rel, drop_owned, read_rels, remove_rel

_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_WORKSHEET = _R + "/worksheet"
REL_DRAWING = _R + "/drawing"
REL_CHART = _R + "/chart"
REL_CALC_CHAIN = _R + "/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    part: str


# --- the workbook ------------------------------------------------------------------------------


class _Workbook:
    def __init__(self, pkg: Package):
        self.pkg = pkg
        root_rels = read_rels(pkg, "")
        main = next((r["part"] for r in root_rels if r["Type"] == _OFFICE_DOC), "xl/workbook.xml")
        if main not in pkg:
            raise errors.LedgerUnreadable(
                "工作簿缺少 workbook.xml", "请用 Excel 或 WPS 打开后另存为 .xlsx 再试"
            )
        self.part = main
        root = etree.fromstring(pkg.read(main))
        ns = root.nsmap.get(root.prefix)
        rels = {r["Id"]: r for r in read_rels(pkg, main)}
        self.sheets: list[_Sheet] = []
        for el in root.iter(f"{{{ns}}}sheet"):
            rid = (
                el.get(f"{{{_R}}}id")
                or el.get("{http://purl.oclc.org/ooxml/officeDocument/relationships}id")
                or ""
            )
            rel = rels.get(rid)
            if rel and "part" in rel:  # a sheet without sheetId: ValueError, said as unreadable
                sheet_id = int(el.get("sheetId", ""))
                self.sheets.append(_Sheet(el.get("name", ""), sheet_id, rid, rel["part"]))
        pr = root.find(f"{{{ns}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        # openpyxl declares xmlns:r on each <sheet>, not on the root: then so do we.
        self.r_prefix = next((p for p, u in root.nsmap.items() if u == _R and p), None)
        self.main_prefix = root.prefix or ""
        self.calc_chain = next((r for r in rels.values() if r["Type"] == REL_CALC_CHAIN), None)
        styles = next((r for r in rels.values() if r["Type"].endswith("/styles")), None)
        self.styles_part = styles["part"] if styles else None

    def sheet(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def add_sheet(self, name: str) -> _Sheet:
        part = self.pkg.free_name("xl/worksheets/sheet{}.xml")
        target = posixpath.relpath(part, posixpath.dirname(self.part))
        rid = add_rel(self.pkg, self.part, REL_WORKSHEET, target)
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        p = f"{self.main_prefix}:" if self.main_prefix else ""
        esc = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        r = self.r_prefix or "r"
        declare = "" if self.r_prefix else f' xmlns:r="{_R}"'
        el = f'<{p}sheet{declare} name="{esc}" sheetId="{sheet_id}" {r}:id="{rid}"/>'
        text = self.pkg.read(self.part).decode("utf-8")
        end = re.search(rf"</{re.escape(p)}sheets\s*>", text)
        if end is None:
            raise ValueError("workbook.xml has no </sheets>")
        text = text[: end.start()] + el + text[end.start() :]
        self.pkg.write(self.part, text.encode("utf-8"))
        sheet = _Sheet(name, sheet_id, rid, part)
        self.sheets.append(sheet)
        return sheet

    def drop_calc_chain(self) -> None:
        if self.calc_chain:
            remove_rel(self.pkg, self.part, self.calc_chain["Id"])
            self.pkg.delete(self.calc_chain["part"])
            self.calc_chain = None


# --- the plan ----------------------------------------------------------------------------------


def apply_plan(src: Path, plan: WritePlan, dest: Path) -> None:
    """Write ``src`` with ``plan`` applied to ``dest``, copying every untouched part unchanged."""
    pkg = Package(Path(src))
    try:
        book = _Workbook(pkg)
        if book.styles_part is None:
            raise errors.LedgerUnreadable(
                "工作簿缺少样式部件 styles.xml",
                "请用 Excel 或 WPS 打开后另存为 .xlsx 再试",
                path=str(src),
            )
        styles = StyleBook(pkg.read(book.styles_part))
        writes = _group_writes(plan, book, pkg)
        for name, rows in writes.items():
            formula_columns = plan.formula_columns.get(name, frozenset())
            _patch_sheet(pkg, book, styles, _require(book, name), rows, formula_columns)
        _write_generated(pkg, book, styles, plan.sheets)
        pkg.write(book.styles_part, styles.to_bytes())
        pkg.save(Path(dest))
    except (etree.XMLSyntaxError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise errors.LedgerUnreadable(
            f"工作簿内部结构无法识别（{e}）",
            "请用 Excel 或 WPS 打开后另存为 .xlsx 再刷新",
            path=str(src),
        ) from e
    finally:
        pkg.zf.close()


def _group_writes(
    plan: WritePlan, book: _Workbook, pkg: Package
) -> dict[str, dict[int, dict[int, object]]]:
    writes: dict[str, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
    planned: dict[str, int] = defaultdict(int)  # the last row a write is planned for, kept or not
    for block in plan.columns:
        _add_columns(writes[block.sheet], block)
        planned[block.sheet] = max(planned[block.sheet], max(block.rows, default=0))
    for w in plan.cells:
        writes[w.sheet][w.row][w.col] = w.value
    for name, appended in plan.appends.items():
        sheet = _require(book, name)
        last = max(
            last_nonempty_row(pkg.read(sheet.part)), max(writes[name], default=0), planned[name]
        )
        for offset, values in enumerate(appended, start=1):
            for col, value in enumerate(values, start=1):
                if value is not None and value != "":
                    writes[name][last + offset][col] = value
    for name, rows in writes.items():
        _require(book, name)
        far = max(rows, default=0), max((max(cols) for cols in rows.values()), default=0)
        if far[0] > MAX_ROW or far[1] > MAX_COL:
            raise errors.WriteFailed(
                f"“{name}”表已没有位置：要写入的单元格超出了 Excel 的最后一行（第 {MAX_ROW} 行）"
                f"或最后一列（XFD 列），本次没有写入",
                "请删除该表最下方或最右侧无用的内容后再试",
            )
    return writes


def _add_columns(writes: dict[int, dict[int, object]], block: ColumnWrites) -> None:
    """Add a block's changed cells to row -> col -> value (a kept cell is left as it is)."""
    kept = block.kept or [frozenset()] * len(block.columns)
    columns = list(zip(block.columns, block.values, kept, strict=True))
    for i, row in enumerate(block.rows):
        cells = {col: values[i] for col, values, same in columns if i not in same}
        if cells:
            writes[row].update(cells)


def _require(book: _Workbook, name: str) -> _Sheet:
    sheet = book.sheet(name)
    if sheet is None:
        raise errors.WriteFailed(f"工作簿中没有名为“{name}”的工作表", "请检查工作表名称是否被改动")
    return sheet


def _patch_sheet(
    pkg: Package,
    book: _Workbook,
    styles: StyleBook,
    sheet: _Sheet,
    rows,
    formula_columns: frozenset[int],
) -> None:
    xml = pkg.read(sheet.part)
    col_styles = column_styles(xml)

    def style_for(col: int, value: object, existing: str | None) -> str | None:
        if existing not in (None, "0"):
            return existing
        if col in col_styles:
            return col_styles[col]
        if hasattr(value, "isoformat") and not isinstance(value, str):
            return str(styles.date_xf())
        return existing

    try:
        pieces, report = patch_cells(
            xml, rows, style_for, book.date1904, formula_columns=formula_columns
        )
    except FormulaInTheWay as e:
        raise errors.WriteFailed(
            f"“{sheet.name}”表 {e.ref} 单元格中是公式，duban 不会用计算结果覆盖员工录入的公式，本次没有写入",
            "如这个单元格应由 duban 填写，请删除其中的公式后再刷新；否则请检查该列的表头是否写错",
        ) from None
    except SharedFormulaStuck as e:
        raise errors.WriteFailed(
            f"“{sheet.name}”表 {e.ref} 单元格是一组向下填充的共享公式的首格，"
            "duban 无法把公式移交给组内其余单元格，本次没有写入",
            f"请删除 {e.ref} 所在列中的公式（系统计算列由 duban 填写，无需公式）后再刷新",
        ) from None
    del xml
    if report.changed:
        pkg.write_pieces(sheet.part, pieces)
    if report.formulas_removed:
        book.drop_calc_chain()


def _write_generated(
    pkg: Package, book: _Workbook, styles: StyleBook, sheets: list[GeneratedSheet]
) -> None:
    # Drop every old drawing/chart first, so the freed part names are reused and a second
    # refresh produces the very same package.
    old: dict[str, bytes] = {}
    for gen in sheets:
        sheet = book.sheet(gen.name)
        if sheet is not None:
            old[gen.name] = pkg.read(sheet.part)
            drop_owned(pkg, sheet.part)
    for gen in sheets:
        sheet = book.sheet(gen.name) or book.add_sheet(gen.name)
        previous = old.get(gen.name, b"")
        sheet_pr = _old_sheet_pr(previous)
        tab_selected = bool(
            re.search(
                rb"""<(?:\w+:)?sheetView\b[^>]*tabSelected\s*=\s*["'](?:1|true)["']""", previous
            )
        )
        drawing_rid = None
        if gen.chart:
            drawing = pkg.free_name("xl/drawings/drawing{}.xml")
            chart = pkg.free_name("xl/charts/chart{}.xml")
            pkg.write(chart, chart_xml(gen), CT_CHART)
            pkg.write(drawing, b"", CT_DRAWING)  # reserve the name before adding rels
            chart_rid = add_rel(
                pkg, drawing, REL_CHART, posixpath.relpath(chart, posixpath.dirname(drawing))
            )
            pkg.write(drawing, drawing_xml(gen, chart_rid), CT_DRAWING)
            drawing_rid = add_rel(
                pkg,
                sheet.part,
                REL_DRAWING,
                posixpath.relpath(drawing, posixpath.dirname(sheet.part)),
            )

        def style_of(header: bool, fmt: str | None) -> int:
            return styles.xf(header=header, num_format=fmt)

        xml = worksheet_xml(
            gen,
            style_of,
            sheet_pr=sheet_pr,
            tab_selected=tab_selected,
            drawing_rid=drawing_rid,
            date1904=book.date1904,
        )
        pkg.write(sheet.part, xml, CT_WORKSHEET)


def _old_sheet_pr(xml: bytes) -> bytes:
    """Return the old sheet's <sheetPr> (tab colour, VBA codeName), unprefixed ones only."""
    m = re.search(rb"<sheetPr\b[^>]*?(?:/>|>.*?</sheetPr>)", xml, re.S)
    if not m:
        return b""
    pr = m.group(0)
    # Drop the filterMode flag: the regenerated sheet starts with no active filter.
    head = pr[: pr.index(b">") + 1]
    a = attributes(head)
    if b"filterMode" in a:
        pr = re.sub(rb"""\sfilterMode\s*=\s*(?:"[^"]*"|'[^']*')""", b"", pr, count=1)
    return pr
