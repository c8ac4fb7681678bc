"""Apply a WritePlan to an .xlsx/.xlsm package by editing only the parts that must change.

Every zip member the plan does not touch is copied through with identical content, in the
original order, so images, charts, buttons, VBA, pivot caches, custom XML and printer
settings survive untouched (openpyxl's load/save drops several of them). The ledger sheet
is patched cell by cell (``sheetxml``); generated sheets are rewritten whole
(``sheetgen``); styles are appended (``xlsxstyles``); workbook.xml, its rels and
[Content_Types].xml get small textual insertions only when a sheet is added.

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

from . import errors
from .models import GeneratedSheet, WritePlan
from .sheetgen import chart_xml, drawing_xml, worksheet_xml
from .sheetxml import attributes, column_styles, last_nonempty_row, patch_cells
from .xlsxstyles import StyleBook

_OFFICE_DOC = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
REL_WORKSHEET = _R + "/worksheet"
REL_DRAWING = _R + "/drawing"
REL_CHART = _R + "/chart"
REL_CALC_CHAIN = _R + "/calcChain"
CT_WORKSHEET = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
CT_DRAWING = "application/vnd.openxmlformats-officedocument.drawing+xml"
CT_CHART = "application/vnd.openxmlformats-officedocument.drawingml.chart+xml"
CONTENT_TYPES = "[Content_Types].xml"
_DELETED = object()


@dataclass
class _Sheet:
    name: str
    sheet_id: int
    rid: str
    part: str


class _Package:
    """The zip members of a package: originals read lazily, edits and deletions kept aside."""

    def __init__(self, src: Path):
        try:
            self.zf = zipfile.ZipFile(src)
            self.infos = {i.filename: i for i in self.zf.infolist()}
        except (zipfile.BadZipFile, OSError) as e:
            raise errors.LedgerUnreadable(
                "文件不是有效的 Excel 工作簿（无法按 zip 打开）", "请确认文件是 .xlsx 或 .xlsm 格式且未损坏", path=str(src)
            ) from e
        self.edits: dict[str, object] = {}
        self.ct_add: dict[str, str] = {}
        self.ct_remove: set[str] = set()

    def __contains__(self, name: str) -> bool:
        if name in self.edits:
            return self.edits[name] is not _DELETED
        return name in self.infos

    def read(self, name: str) -> bytes:
        if name in self.edits:
            data = self.edits[name]
            if data is _DELETED:
                raise KeyError(name)
            return data
        return self.zf.read(name)

    def write(self, name: str, data: bytes, content_type: str | None = None) -> None:
        self.edits[name] = data
        info = self.infos.get(name)
        if info is not None and info.file_size == len(data) and self.zf.read(name) == data:
            del self.edits[name]  # unchanged after all: keep the original member
        if content_type:
            self.ct_add[name] = content_type
            self.ct_remove.discard(name)

    def delete(self, name: str) -> None:
        self.edits[name] = _DELETED
        self.ct_add.pop(name, None)
        self.ct_remove.add(name)

    def free_name(self, pattern: str) -> str:
        n = 1
        while pattern.format(n) in self:
            n += 1
        return pattern.format(n)

    def rels_files(self) -> list[str]:
        names = [n for n in self.infos if n.endswith(".rels")]
        names += [n for n in self.edits if n.endswith(".rels") and n not in self.infos]
        return [n for n in names if n in self]

    def save(self, dest: Path) -> None:
        self._finish_content_types()
        with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as out:
            for name, info in self.infos.items():
                data = self.edits.get(name)
                if data is _DELETED:
                    continue
                if data is None:
                    _copy_member(self.zf, info, out)
                else:
                    out.writestr(_clone(info), data, compresslevel=_level(len(data)))
            for name, data in self.edits.items():
                if name not in self.infos and data is not _DELETED:
                    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                    info.compress_type = zipfile.ZIP_DEFLATED
                    out.writestr(info, data, compresslevel=_level(len(data)))

    def _finish_content_types(self) -> None:
        text = self.read(CONTENT_TYPES).decode("utf-8")
        for part in sorted(self.ct_remove):
            if part not in self.ct_add:
                text = re.sub(rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>', "", text)
        for part, ctype in self.ct_add.items():
            pattern = rf'<Override\b[^>]*PartName="/{re.escape(part)}"[^>]*/>'
            new = f'<Override PartName="/{part}" ContentType="{ctype}"/>'
            m = re.search(pattern, text)
            if m and f'ContentType="{ctype}"' in m.group(0):
                continue
            text = text[: m.start()] + new + text[m.end() :] if m else text.replace("</Types>", new + "</Types>")
        self.write(CONTENT_TYPES, text.encode("utf-8"))


def _clone(info: zipfile.ZipInfo) -> zipfile.ZipInfo:
    new = zipfile.ZipInfo(info.filename, date_time=info.date_time)
    new.compress_type = info.compress_type
    new.external_attr = info.external_attr
    new.create_system = info.create_system
    return new


def _level(size: int) -> int:
    # The ledger sheet of a 50 000-row workbook is tens of MB; level 1 is 4x faster than 6
    # and only a few percent larger.
    return 1 if size > 4_000_000 else 6


def _copy_member(src: zipfile.ZipFile, info: zipfile.ZipInfo, out: zipfile.ZipFile) -> None:
    with src.open(info) as fin, out.open(_clone(info), "w", force_zip64=info.file_size > 2**31) as fout:
        while chunk := fin.read(1 << 20):
            fout.write(chunk)


# --- relationships ---------------------------------------------------------------------------


def rels_path(part: str) -> str:
    """Return the .rels part that holds a part's relationships."""
    folder, name = posixpath.split(part)
    return posixpath.join(folder, "_rels", name + ".rels")


def read_rels(pkg: _Package, part: str) -> list[dict[str, str]]:
    """Return a part's relationships as dicts with Id, Type, Target and the resolved part."""
    path = rels_path(part)
    if path not in pkg:
        return []
    root = etree.fromstring(pkg.read(path))
    rels = []
    for el in root:
        rel = {k: el.get(k, "") for k in ("Id", "Type", "Target", "TargetMode")}
        if rel["TargetMode"] != "External":
            target = rel["Target"]
            base = "" if target.startswith("/") else posixpath.dirname(part)
            rel["part"] = posixpath.normpath(posixpath.join(base, target)).lstrip("/")
        rels.append(rel)
    return rels


def _add_rel(pkg: _Package, part: str, rel_type: str, target: str) -> str:
    path = rels_path(part)
    if path in pkg:
        text = pkg.read(path).decode("utf-8")
    else:
        text = (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"></Relationships>'
        )
    used = set(re.findall(r'\bId="([^"]*)"', text))
    n = 1
    while f"rId{n}" in used:
        n += 1
    rid = f"rId{n}"
    text = text.replace("</Relationships>", f'<Relationship Id="{rid}" Type="{rel_type}" Target="{target}"/></Relationships>')
    pkg.write(path, text.encode("utf-8"))
    return rid


def _remove_rel(pkg: _Package, part: str, rid: str) -> None:
    path = rels_path(part)
    text = pkg.read(path).decode("utf-8")
    text = re.sub(rf'<Relationship\b[^>]*\bId="{re.escape(rid)}"[^>]*/>', "", text)
    pkg.write(path, text.encode("utf-8"))


def _drop_owned(pkg: _Package, part: str) -> None:
    """Delete a part's .rels and every target no other part still points to, recursively."""
    path = rels_path(part)
    if path not in pkg:
        return
    targets = [r["part"] for r in read_rels(pkg, part) if "part" in r]
    pkg.delete(path)
    still_used = {r.get("part") for f in pkg.rels_files() for r in _rels_of_file(pkg, f)}
    for target in targets:
        if target in pkg and target not in still_used:
            _drop_owned(pkg, target)
            pkg.delete(target)


def _rels_of_file(pkg: _Package, rels_file: str) -> list[dict[str, str]]:
    folder = posixpath.dirname(posixpath.dirname(rels_file))
    source = posixpath.join(folder, posixpath.basename(rels_file)[: -len(".rels")])
    return read_rels(pkg, source)


# --- the workbook ------------------------------------------------------------------------------


class _Workbook:
    def __init__(self, pkg: _Package):
        self.pkg = pkg
        root_rels = read_rels(pkg, "")
        main = next((r["part"] for r in root_rels if r["Type"] == _OFFICE_DOC), "xl/workbook.xml")
        if main not in pkg:
            raise errors.LedgerUnreadable("工作簿缺少 workbook.xml", "请用 Excel 或 WPS 打开后另存为 .xlsx 再试")
        self.part = main
        root = etree.fromstring(pkg.read(main))
        ns = root.nsmap.get(root.prefix)
        rels = {r["Id"]: r for r in read_rels(pkg, main)}
        self.sheets: list[_Sheet] = []
        for el in root.iter(f"{{{ns}}}sheet"):
            rid = el.get(f"{{{_R}}}id") or el.get("{http://purl.oclc.org/ooxml/officeDocument/relationships}id")
            rel = rels.get(rid)
            if rel and "part" in rel:
                self.sheets.append(_Sheet(el.get("name"), int(el.get("sheetId")), rid, rel["part"]))
        pr = root.find(f"{{{ns}}}workbookPr")
        self.date1904 = pr is not None and pr.get("date1904") in ("1", "true")
        self.r_prefix = next((p for p, u in root.nsmap.items() if u == _R and p), "r")
        self.main_prefix = root.prefix or ""
        self.calc_chain = next((r for r in rels.values() if r["Type"] == REL_CALC_CHAIN), None)
        styles = next((r for r in rels.values() if r["Type"].endswith("/styles")), None)
        self.styles_part = styles["part"] if styles else None

    def sheet(self, name: str) -> _Sheet | None:
        return next((s for s in self.sheets if s.name == name), None)

    def add_sheet(self, name: str) -> _Sheet:
        part = self.pkg.free_name("xl/worksheets/sheet{}.xml")
        target = posixpath.relpath(part, posixpath.dirname(self.part))
        rid = _add_rel(self.pkg, self.part, REL_WORKSHEET, target)
        sheet_id = max((s.sheet_id for s in self.sheets), default=0) + 1
        p = f"{self.main_prefix}:" if self.main_prefix else ""
        esc = name.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
        el = f'<{p}sheet name="{esc}" sheetId="{sheet_id}" {self.r_prefix}:id="{rid}"/>'
        text = self.pkg.read(self.part).decode("utf-8")
        text = text.replace(f"</{p}sheets>", el + f"</{p}sheets>", 1)
        self.pkg.write(self.part, text.encode("utf-8"))
        sheet = _Sheet(name, sheet_id, rid, part)
        self.sheets.append(sheet)
        return sheet

    def drop_calc_chain(self) -> None:
        if self.calc_chain:
            _remove_rel(self.pkg, self.part, self.calc_chain["Id"])
            self.pkg.delete(self.calc_chain["part"])
            self.calc_chain = None


# --- the plan ----------------------------------------------------------------------------------


def apply_plan(src: Path, plan: WritePlan, dest: Path) -> None:
    """Write ``src`` with ``plan`` applied to ``dest``, copying every untouched part unchanged."""
    pkg = _Package(Path(src))
    try:
        book = _Workbook(pkg)
        if book.styles_part is None:
            raise errors.LedgerUnreadable("工作簿缺少样式部件 styles.xml", "请用 Excel 或 WPS 打开后另存为 .xlsx 再试", path=str(src))
        styles = StyleBook(pkg.read(book.styles_part))
        writes = _group_writes(plan, book, pkg)
        for name, rows in writes.items():
            _patch_sheet(pkg, book, styles, book.sheet(name), rows)
        _write_generated(pkg, book, styles, plan.sheets)
        pkg.write(book.styles_part, styles.to_bytes())
        pkg.save(Path(dest))
    except (etree.XMLSyntaxError, KeyError, ValueError, zipfile.BadZipFile) as e:
        raise errors.LedgerUnreadable(
            f"工作簿内部结构无法识别（{e}）", "请用 Excel 或 WPS 打开后另存为 .xlsx 再刷新", path=str(src)
        ) from e
    finally:
        pkg.zf.close()


def _group_writes(plan: WritePlan, book: _Workbook, pkg: _Package) -> dict[str, dict[int, dict[int, object]]]:
    writes: dict[str, dict[int, dict[int, object]]] = defaultdict(lambda: defaultdict(dict))
    for w in plan.cells:
        writes[w.sheet][w.row][w.col] = w.value
    for name, rows in plan.appends.items():
        sheet = _require(book, name)
        last = max(last_nonempty_row(pkg.read(sheet.part)), max(writes[name], default=0))
        for offset, values in enumerate(rows, start=1):
            for col, value in enumerate(values, start=1):
                if value is not None and value != "":
                    writes[name][last + offset][col] = value
    for name in writes:
        _require(book, name)
    return writes


def _require(book: _Workbook, name: str) -> _Sheet:
    sheet = book.sheet(name)
    if sheet is None:
        raise errors.WriteFailed(f"工作簿中没有名为“{name}”的工作表", "请检查工作表名称是否被改动")
    return sheet


def _patch_sheet(pkg: _Package, book: _Workbook, styles: StyleBook, sheet: _Sheet, rows) -> None:
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

    new, report = patch_cells(xml, rows, style_for, book.date1904)
    pkg.write(sheet.part, new)
    if report.formulas_removed:
        book.drop_calc_chain()


def _write_generated(pkg: _Package, book: _Workbook, styles: StyleBook, sheets: list[GeneratedSheet]) -> None:
    # Drop every old drawing/chart first, so the freed part names are reused and a second
    # refresh produces the very same package.
    old: dict[str, bytes] = {}
    for gen in sheets:
        sheet = book.sheet(gen.name)
        if sheet is not None:
            old[gen.name] = pkg.read(sheet.part)
            _drop_owned(pkg, sheet.part)
    for gen in sheets:
        sheet = book.sheet(gen.name) or book.add_sheet(gen.name)
        previous = old.get(gen.name, b"")
        sheet_pr = _old_sheet_pr(previous)
        tab_selected = bool(re.search(rb'<(?:\w+:)?sheetView\b[^>]*tabSelected="(?:1|true)"', previous))
        drawing_rid = None
        if gen.chart:
            drawing = pkg.free_name("xl/drawings/drawing{}.xml")
            chart = pkg.free_name("xl/charts/chart{}.xml")
            pkg.write(chart, chart_xml(gen), CT_CHART)
            pkg.write(drawing, b"", CT_DRAWING)  # reserve the name before adding rels
            chart_rid = _add_rel(pkg, drawing, REL_CHART, posixpath.relpath(chart, posixpath.dirname(drawing)))
            pkg.write(drawing, drawing_xml(gen, chart_rid), CT_DRAWING)
            drawing_rid = _add_rel(pkg, sheet.part, REL_DRAWING, posixpath.relpath(drawing, posixpath.dirname(sheet.part)))

        def style_of(header: bool, fmt: str | None) -> int:
            return styles.xf(header=header, num_format=fmt)

        xml = worksheet_xml(
            gen, style_of, sheet_pr=sheet_pr, tab_selected=tab_selected, drawing_rid=drawing_rid, date1904=book.date1904
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
        pr = re.sub(rb'\sfilterMode="[^"]*"', b"", pr, count=1)
    return pr
