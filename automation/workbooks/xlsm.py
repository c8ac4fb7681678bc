"""Turn a ledger .xlsx into 督查台账.xlsm: macros, the 刷新台账 button and the xlwings.conf sheet.

Three edits, each at the package level so nothing else in the workbook changes:

1. the ``xlwings.conf`` sheet (interpreter settings, explained in Chinese) is added by the
   lossless writer (``xlsxpatch.apply_plan``) as a generated sheet;
2. the main part's content type becomes the macro-enabled one and a form-control button
   is added to 督办事项's legacy VML drawing, the way xlsxwriter's ``insert_button`` writes
   it (a ``v:shape`` with ``x:ClientData ObjectType="Button"`` and ``x:FmlaMacro``);
3. the VBA project is added source-only by ``vba.add_vba_project``.

Launchers for the route without xlwings (WPS, LibreOffice) are copied beside the workbook.
"""

from __future__ import annotations

import os
import posixpath
import re
import shutil
import stat
import zipfile
from pathlib import Path

from lxml import etree

from automation import __version__, schema
from automation.errors import TemplateError
from automation.models import GeneratedSheet, WritePlan
from automation.workbooks import vba
from automation.workbooks.template import refuse_to_overwrite
from automation.xlsx import xlsxpatch
from automation.xlsx.sheetxml import split_ref

CONFIG_SHEET = "xlwings.conf"
BUTTON_CAPTION = "刷新台账"
CT_MAIN_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
CT_MAIN_XLSM = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
CT_VML = "application/vnd.openxmlformats-officedocument.vmlDrawing"
REL_VML = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/vmlDrawing"
_R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_V = "urn:schemas-microsoft-com:vml"
NS_O = "urn:schemas-microsoft-com:office:office"
NS_X = "urn:schemas-microsoft-com:office:excel"
LAUNCHERS = ("刷新台账.cmd", "刷新台账.sh")
DESKTOP_FILE = "刷新台账.desktop"

# Keys xlwings' VBA reads down column A of the xlwings.conf sheet from A1 to the first blank
# (values in column B, no header row); each key's explanation sits in column D, out of its way.
CONFIG_KEYS = (
    (
        "INTERPRETER_WIN",
        r"Windows 上装有 duban 的 Python 解释器完整路径，如 C:\duban\.venv\Scripts\pythonw.exe。"
        r"用 duban 安装包的“安装.cmd”安装的电脑请留空：留空时按本机 %USERPROFILE%\.xlwings\xlwings.conf "
        "中安装程序写好的 INTERPRETER 设置运行，那里也没有时用系统 PATH 中的 python",
    ),
    (
        "INTERPRETER_MAC",
        "Mac 上的解释器路径，如 /Users/用户名/duban/.venv/bin/python；留空则用 python",
    ),
    (
        "PYTHONPATH",
        r"未用 pip 安装 duban 时，填写 duban 源代码所在文件夹，如 C:\duban；已安装则留空",
    ),
)
CONFIG_NOTES = (
    "说明：A、B 两列由 xlwings 读取（A 列为设置名，B 列为值），请勿改写 A 列的设置名，也不要在其间插入空行。",
    "本表的设置优先：某项在本表中有一行（即使留空），xlwings 就不再读取本机 %USERPROFILE%\\.xlwings\\xlwings.conf 中的同名设置；"
    "要改用本机的配置文件，请删除本表中对应的行。例外：INTERPRETER_WIN 留空时，xlwings 改读本机配置文件中的 INTERPRETER 一项"
    "（本表没有这一行），所以用安装程序安装的电脑无需填写解释器。",
    "WPS 表格和 LibreOffice 不用 xlwings：在其中点击“刷新台账”会保存并关闭台账，由同一文件夹中的刷新程序"
    "（Windows 为“刷新台账.cmd”，Linux 为“刷新台账.sh”）刷新后自动重新打开。",
    f"本台账由 duban {__version__} 生成；本机已安装的版本可运行 duban --version 查看。",
)


def config_sheet() -> GeneratedSheet:
    """Return the xlwings.conf sheet: the settings xlwings reads and their Chinese explanation."""
    rows: list[list[object]] = [[key, None, None, note] for key, note in CONFIG_KEYS]
    rows.append([])
    rows.extend([None, None, None, note] for note in CONFIG_NOTES)
    return GeneratedSheet(
        CONFIG_SHEET, rows, header_rows=(), widths=(20, 50, 4, 110), freeze_rows=0
    )


def convert_to_xlsm(xlsx: Path, *, force: bool = False, replace: bool = False) -> Path:
    """Write <name>.xlsm beside a ledger .xlsx, with macros, the button and xlwings.conf; return it.

    With ``replace`` the .xlsx is removed afterwards, so the folder holds one ledger.
    """
    xlsx = Path(xlsx)
    dest = xlsx.with_suffix(".xlsm")
    if dest.exists() and not force and replace:
        xlsx.unlink()  # the .xlsx was only a step towards the .xlsm: leave the folder as it was
    refuse_to_overwrite(dest, force=force)
    staged = dest.with_name(f".{dest.stem}.building.xlsx")
    building = dest.with_name(f".{dest.stem}.building.xlsm")
    try:
        xlsxpatch.apply_plan(xlsx, WritePlan(sheets=[config_sheet()]), staged)
        _rewrite(staged, building, _macro_enabled_edits)
        vba.add_vba_project(building)
        os.replace(building, dest)
    finally:
        staged.unlink(missing_ok=True)
        building.unlink(missing_ok=True)
    write_launchers(dest.parent)
    if replace:
        xlsx.unlink()
    return dest


def write_launchers(folder: Path) -> list[Path]:
    """Copy the refresh launchers (Windows .cmd, Linux .sh and .desktop) into a ledger's folder."""
    folder = Path(folder)
    written = []
    for name in LAUNCHERS:
        target = folder / name
        shutil.copyfile(vba.MACROS_DIR / name, target)
        written.append(target)
    script = folder / "刷新台账.sh"
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    desktop = (vba.MACROS_DIR / DESKTOP_FILE).read_text(encoding="utf-8")
    desktop = desktop.replace("@SCRIPT@", str(script.resolve())).replace(
        "@FOLDER@", str(folder.resolve())
    )
    (folder / DESKTOP_FILE).write_text(desktop, encoding="utf-8")
    written.append(folder / DESKTOP_FILE)
    return written


# --- package edits -----------------------------------------------------------------------------


def _rewrite(src: Path, dest: Path, edit) -> None:
    """Copy a zip package, letting ``edit(parts) -> {name: bytes}`` replace or add members."""
    with zipfile.ZipFile(src) as zin:
        parts = {info.filename: zin.read(info) for info in zin.infolist()}
    changed = edit(parts)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as zout:
        for name, data in parts.items():
            zout.writestr(name, changed.pop(name, data))
        for name, data in changed.items():
            zout.writestr(name, data)


def _macro_enabled_edits(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Return the edited parts that make the package macro-enabled and add the button."""
    edits = _declare_r_prefix(parts)
    types = parts["[Content_Types].xml"].decode("utf-8")
    if CT_MAIN_XLSX not in types:
        raise TemplateError(
            "工作簿的主部件类型不是普通 .xlsx", "请用 duban init 生成的 .xlsx 台账转换"
        )
    types = types.replace(CT_MAIN_XLSX, CT_MAIN_XLSM)
    edits.update(_button_edits(parts, schema.LEDGER))
    if 'Extension="vml"' not in types:
        types = types.replace(
            "</Types>", f'<Default Extension="vml" ContentType="{CT_VML}"/></Types>'
        )
    edits["[Content_Types].xml"] = types.encode("utf-8")
    return edits


def _declare_r_prefix(parts: dict[str, bytes]) -> dict[str, bytes]:
    """Declare xmlns:r on workbook.xml's root when a sheet uses r:id without it.

    Works around xlsxpatch.add_sheet, which writes ``r:id`` on a new <sheet> while
    openpyxl-written workbooks declare the prefix on each <sheet>, not on the root.
    """
    text = parts["xl/workbook.xml"].decode("utf-8")
    root = re.search(r"<(?:\w+:)?workbook\b[^>]*>", text)
    if root is None or "xmlns:r=" in root.group(0):
        return {}
    fixed = text[: root.end() - 1] + f' xmlns:r="{_R}"' + text[root.end() - 1 :]
    parts["xl/workbook.xml"] = fixed.encode("utf-8")
    return {"xl/workbook.xml": parts["xl/workbook.xml"]}


def _rels(parts: dict[str, bytes], part: str) -> tuple[str, list[etree._Element]]:
    folder, name = posixpath.split(part)
    path = posixpath.join(folder, "_rels", name + ".rels")
    if path not in parts:
        return path, []
    return path, list(etree.fromstring(parts[path]))


def _resolve(source: str, target: str) -> str:
    base = "" if target.startswith("/") else posixpath.dirname(source)
    return posixpath.normpath(posixpath.join(base, target)).lstrip("/")


def sheet_part(parts: dict[str, bytes], name: str) -> str:
    """Return the zip member of the worksheet called ``name``."""
    book = etree.fromstring(parts["xl/workbook.xml"])
    sheet = next((s for s in book.iter(f"{{{_MAIN}}}sheet") if s.get("name") == name), None)
    if sheet is None:
        raise TemplateError(f"工作簿中没有“{name}”工作表", f"请确认台账含有“{name}”工作表")
    _, rels = _rels(parts, "xl/workbook.xml")
    target = next(r.get("Target", "") for r in rels if r.get("Id") == sheet.get(f"{{{_R}}}id"))
    return _resolve("xl/workbook.xml", target)


def _button_edits(parts: dict[str, bytes], sheet_name: str) -> dict[str, bytes]:
    """Add the 刷新台账 button to the sheet's legacy VML drawing, creating the drawing if needed."""
    part = sheet_part(parts, sheet_name)
    sheet_xml = parts[part].decode("utf-8")
    rels_path, rels = _rels(parts, part)
    vml_rel = next((r for r in rels if r.get("Type") == REL_VML), None)
    edits: dict[str, bytes] = {}
    if vml_rel is not None:
        vml_part = _resolve(part, vml_rel.get("Target", ""))
        vml = etree.fromstring(parts[vml_part])
    else:
        n = 1
        while f"xl/drawings/vmlDrawing{n}.vml" in parts:
            n += 1
        vml_part = f"xl/drawings/vmlDrawing{n}.vml"
        vml = etree.fromstring(_EMPTY_VML)
        rid = _free_rid(rels)
        rel = f'<Relationship Id="{rid}" Type="{REL_VML}" Target="../drawings/vmlDrawing{n}.vml"/>'
        if rels:
            text = (
                parts[rels_path]
                .decode("utf-8")
                .replace("</Relationships>", rel + "</Relationships>")
            )
        else:
            text = f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rel}</Relationships>'
        edits[rels_path] = text.encode("utf-8")
        edits[part] = _insert_legacy_drawing(sheet_xml, rid).encode("utf-8")
    _add_button_shape(vml, _button_anchor(sheet_xml))
    edits[vml_part] = etree.tostring(vml, encoding="utf-8")
    return edits


def _free_rid(rels: list[etree._Element]) -> str:
    used = {r.get("Id") for r in rels}
    n = 1
    while f"rId{n}" in used:
        n += 1
    return f"rId{n}"


# Elements that come after <legacyDrawing> in a worksheet, in schema order.
_AFTER_LEGACY = (
    "legacyDrawingHF",
    "drawingHF",
    "picture",
    "oleObjects",
    "controls",
    "webPublishItems",
    "tableParts",
    "extLst",
)


def _insert_legacy_drawing(sheet_xml: str, rid: str) -> str:
    el = f'<legacyDrawing xmlns:r="{_R}" r:id="{rid}"/>'
    m = re.search(r"<(?:\w+:)?(?:" + "|".join(_AFTER_LEGACY) + r")\b", sheet_xml)
    at = m.start() if m else sheet_xml.rindex("</")
    return sheet_xml[:at] + el + sheet_xml[at:]


def _button_anchor(sheet_xml: str) -> str:
    """Place the button in row 1, one column right of the sheet's last used column."""
    m = re.search(r'<(?:\w+:)?dimension\b[^>]*\bref="([A-Z]+\d+:)?([A-Z]+)\d+"', sheet_xml)
    last_col = split_ref(m.group(2) + "1")[1] if m else 26  # 1-based
    left = last_col + 1  # 0-based: skip one column after the last used one
    return f"{left}, 4, 0, 3, {left + 2}, 0, 0, 36"


_EMPTY_VML = (
    f'<xml xmlns:v="{NS_V}" xmlns:o="{NS_O}" xmlns:x="{NS_X}"><o:shapelayout v:ext="edit">'
    '<o:idmap v:ext="edit" data="1"/></o:shapelayout></xml>'
).encode()


def _add_button_shape(vml: etree._Element, anchor: str) -> None:
    """Append the button's shapetype (once) and shape to a VML drawing, as xlsxwriter writes them."""
    if not any(el.get("id") == "_x0000_t201" for el in vml.iter(f"{{{NS_V}}}shapetype")):
        shapetype = etree.fromstring(
            f'<v:shapetype xmlns:v="{NS_V}" xmlns:o="{NS_O}" id="_x0000_t201" coordsize="21600,21600" o:spt="201"'
            ' path="m,l,21600r21600,l21600,xe"><v:stroke joinstyle="miter"/><v:path shadowok="f"'
            ' o:extrusionok="f" strokeok="f" fillok="f" o:connecttype="rect"/><o:lock v:ext="edit" shapetype="t"/>'
            "</v:shapetype>"
        )
        vml.append(shapetype)
    numbers = [
        int(m)
        for el in vml.iter(f"{{{NS_V}}}shape")
        for m in re.findall(r"_x0000_s(\d+)", el.get("id", ""))
    ]
    shape_id = max(numbers, default=1024) + 1
    shape = etree.fromstring(
        f'<v:shape xmlns:v="{NS_V}" xmlns:o="{NS_O}" xmlns:x="{NS_X}" id="_x0000_s{shape_id}" type="#_x0000_t201"'
        ' style="position:absolute;margin-left:0;margin-top:0;width:96pt;height:27pt;z-index:1;mso-wrap-style:tight"'
        ' o:button="t" fillcolor="buttonFace [67]" strokecolor="windowText [64]" o:insetmode="auto">'
        '<v:fill color2="buttonFace [67]" o:detectmouseclick="t"/><o:lock v:ext="edit" rotation="t"/>'
        '<v:textbox style="mso-direction-alt:auto" o:singleclick="f"><div style="text-align:center">'
        f'<font face="宋体" size="240" color="#000000">{BUTTON_CAPTION}</font></div></v:textbox>'
        f'<x:ClientData ObjectType="Button"><x:Anchor>{anchor}</x:Anchor><x:PrintObject>False</x:PrintObject>'
        f"<x:AutoFill>False</x:AutoFill><x:FmlaMacro>[0]!{vba.BUTTON_MACRO}</x:FmlaMacro>"
        "<x:TextHAlign>Center</x:TextHAlign><x:TextVAlign>Center</x:TextVAlign></x:ClientData></v:shape>"
    )
    vml.append(shape)


def button_macros(xlsm: Path, sheet_name: str = schema.LEDGER) -> list[tuple[str, str]]:
    """Return (caption, macro) of every form button on a sheet of a workbook package."""
    with zipfile.ZipFile(xlsm) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    part = sheet_part(parts, sheet_name)
    _, rels = _rels(parts, part)
    found = []
    for rel in rels:
        if rel.get("Type") != REL_VML:
            continue
        vml = etree.fromstring(parts[_resolve(part, rel.get("Target", ""))])
        for shape in vml.iter(f"{{{NS_V}}}shape"):
            data = shape.find(f"{{{NS_X}}}ClientData")
            if data is not None and data.get("ObjectType") == "Button":
                box = shape.find(f"{{{NS_V}}}textbox")
                caption = "".join(map(str, box.itertext())).strip() if box is not None else ""
                macro = data.findtext(f"{{{NS_X}}}FmlaMacro", "")
                found.append((caption, macro.removeprefix("[0]!")))
    return found
