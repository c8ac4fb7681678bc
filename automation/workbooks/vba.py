"""Put the VBA project behind the 刷新台账 button into a macro-enabled workbook.

The project holds two modules, both written as source only (no compiled p-code, an empty
``_VBA_PROJECT`` performance cache), so Excel compiles them from the source on first
open instead of running a stale compiled copy:

- ``xlwings``: taken from the installed xlwings wheel's ``quickstart_standalone.xlsm``, so
  the VBA side always matches the xlwings version installed with duban (RunPython refuses
  a version mismatch), with its conditional compilation resolved for Excel on Windows
  (``vba_directives``) so that LibreOffice can compile the project too. Its ``Dictionary``
  class, needed only on a Mac, is left out;
- ``DubanButton``: ours, kept as text in ``macros/DubanButton.bas``.

pyOpenVBA writes the project (MS-OVBA / MS-CFB); it creates the project Excel makes for a
first macro and rewrites every module it touches at MODULEOFFSET 0.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from importlib.util import find_spec
from pathlib import Path

from pyopenvba import ExcelFile
from pyopenvba.cfb import CFB
from pyopenvba.vba import VBAModuleKind

from automation.errors import TemplateError
from automation.resources import MACROS_DIR
from automation.workbooks import vba_directives

OUR_MODULE = "DubanButton"
# The Sub the button is assigned to, and the Python command it runs through xlwings.
BUTTON_MACRO = f"{OUR_MODULE}.RefreshLedger"


def _package_folder(name: str) -> Path:
    """Return where an installed package lives, without importing it."""
    spec = find_spec(name)
    if spec is None or spec.origin is None:
        raise ImportError(f"{name} is not installed (a dependency of duban: reinstall duban)")
    return Path(spec.origin).parent


# Located without importing xlwings (its import decides once which engines it offers).
XLWINGS_WORKBOOK = _package_folder("xlwings") / "quickstart_standalone.xlsm"
XLWINGS_MODULES = (("xlwings", VBAModuleKind.standard),)
VBA_ENTRY = "xl/vbaProject.bin"
# [MS-OVBA] 2.3.4.1 as a writer must write it: Reserved1 0x61CC, Version 0xFFFF, Reserved2 0x00,
# Reserved3 0x0003 and no PerformanceCache. A version no Office build has makes Excel
# compile every module from its source on open.
SOURCE_ONLY_VBA_PROJECT = bytes([0xCC, 0x61, 0xFF, 0xFF, 0x00, 0x03, 0x00])


def our_module_source() -> str:
    """Return the source of our VBA module as kept in macros/, with CRLF line ends."""
    path = MACROS_DIR / f"{OUR_MODULE}.bas"
    if not path.exists():
        raise TemplateError(
            f"找不到宏源文件 {path}", "请从 duban 的源代码目录运行，或重新安装 duban"
        )
    text = path.read_text(encoding="ascii")  # VBA source is stored in the project's ANSI code page
    return "\r\n".join(text.splitlines()) + "\r\n"


def xlwings_module_sources() -> dict[str, str]:
    """Return the xlwings VBA modules (name -> source) of the installed xlwings, for Excel on Windows."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / XLWINGS_WORKBOOK.name  # ExcelFile keeps the file open; read a copy
        shutil.copyfile(XLWINGS_WORKBOOK, copy)
        with ExcelFile(copy) as book:
            return {
                name: vba_directives.resolve(book.get_module(name), module=name)
                for name, _ in XLWINGS_MODULES
            }


def add_vba_project(xlsm: Path) -> None:
    """Give a .xlsm without macros the xlwings module and our DubanButton module, source only."""
    xlsm = Path(xlsm)
    sources = xlwings_module_sources()
    with ExcelFile(xlsm) as book:
        if book.has_vba_project():
            raise TemplateError(
                f"“{xlsm.name}”已经含有宏工程", "请基于不含宏的 .xlsx 台账生成 .xlsm"
            )
        project = book.add_vba_project()
        for name, kind in XLWINGS_MODULES:
            project.add_module(name, sources[name], kind=kind)
        project.add_module(OUR_MODULE, our_module_source())
        for name in book.module_names():
            # Rewrite the document modules too, so none keeps the template's compiled p-code.
            book.set_module(name, book.get_module(name))
        book.save()
    _drop_performance_cache(xlsm)


def _drop_performance_cache(xlsm: Path) -> None:
    """Replace the _VBA_PROJECT stream with the source-only form, copying every other member."""
    tmp = xlsm.with_name(xlsm.name + ".tmp")
    with zipfile.ZipFile(xlsm) as zin, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == VBA_ENTRY:
                cfb = CFB.from_bytes(data)
                cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", SOURCE_ONLY_VBA_PROJECT)
                data = cfb.to_bytes()
            zout.writestr(info, data)
    os.replace(tmp, xlsm)
