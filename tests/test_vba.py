"""督查台账.xlsm: the VBA project read back with oletools, the button, LibreOffice, a refresh round trip."""

from __future__ import annotations

import ast
import importlib
import re
import zipfile
from datetime import date
from pathlib import Path

import olefile
import pytest
from click.testing import CliRunner
from conftest import convert_with_soffice
from oletools.olevba import VBA_Parser, VBA_Project
from python_calamine import CalamineWorkbook

from automation.cli import cli
from automation.errors import DubanError, TemplateError
from automation.workbooks import vba, vba_directives, xlsm
from automation.workbooks.template import build_template

MACROS = Path(__file__).resolve().parent.parent / "macros"
XLWINGS_BAS = Path(vba.XLWINGS_WORKBOOK).parent / "xlwings.bas"


def lines(text: str) -> list[str]:
    return text.replace("\r\n", "\n").rstrip("\n").split("\n")


def vba_bin(path: Path, dest: Path) -> Path:
    with zipfile.ZipFile(path) as z:
        dest.write_bytes(z.read("xl/vbaProject.bin"))
    return dest


def modules(path: Path) -> dict[str, str]:
    """Extract every module's source with olevba, keyed by module name."""
    parser = VBA_Parser(str(path))
    try:
        return {stream.split("/")[-1]: code for _, stream, _, code in parser.extract_macros()}
    finally:
        parser.close()


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("xlsm")
    return xlsm.convert_to_xlsm(build_template(folder), replace=True)


def test_our_module_source_equals_the_file_under_version_control(built):
    found = modules(built)
    assert lines(found["DubanButton"]) == lines(
        (MACROS / "DubanButton.bas").read_text(encoding="ascii")
    )
    # xlwings' own module, as VBA compiles it in Excel for Windows (see vba_directives).
    shipped = XLWINGS_BAS.read_text(encoding="utf-8")
    assert lines(found["xlwings"]) == lines(vba_directives.resolve(shipped))
    assert "Dictionary" not in found  # the class xlwings' VBA needs on macOS only


def test_the_xlwings_module_keeps_every_windows_line_in_order():
    shipped = lines(XLWINGS_BAS.read_text(encoding="utf-8"))
    resolved = lines(vba_directives.resolve(XLWINGS_BAS.read_text(encoding="utf-8")))
    # Only lines are dropped, none changed or moved: the resolved module is a subsequence.
    rest = iter(shipped)
    assert all(line in rest for line in resolved)
    directives = [line.strip() for line in resolved if line.strip().startswith("#")]
    assert not [d for d in directives if re.match(r"#(If|ElseIf)\s+(Not\s+)?(Mac|App)\b", d)]
    assert "#If VBA7 Then" in directives and "#If Win64 Then" in directives  # still per host
    source = "\n".join(resolved)
    assert 'interpreter = GetConfig("INTERPRETER_WIN", "")' in source
    assert 'GetConfig("INTERPRETER_MAC", "")' not in source
    assert "ExecuteWindows " in source and "ExecuteMac PythonCommand" not in source
    assert re.search(r'^Public Const XLWINGS_VERSION As String = "[\d.]+"', source, re.M)


RESOLVE_CASES = [
    (  # a chain decided by App: its taken branch, without directives
        '#If App = "Microsoft Excel" Then\nA\n#ElseIf App = "Microsoft Word" Then\nB\n#Else\nC\n#End If\n',
        "A\n",
    ),
    (
        '#If App = "Microsoft Word" Then\nB\n#ElseIf App = "Microsoft Excel" Then\nA\n#End If\n',
        "A\n",
    ),
    ("#If Mac Then\nM\n#Else\nW\n#End If\n", "W\n"),
    ("#If Not Mac Then\nW\n#End If\n#If Mac Then\nM\n#End If\nX\n", "W\nX\n"),
    (  # undecided chains stay as written; decided ones inside them are still resolved
        "#If VBA7 Then\n  #If Mac Then\n  M\n  #Else\n  W\n  #End If\n#Else\nOld\n#End If\n",
        "#If VBA7 Then\n  W\n#Else\nOld\n#End If\n",
    ),
    (  # an undecided condition before the taken branch: VBA decides, keep the chain
        "#If Win64 Then\nA\n#ElseIf Mac Then\nM\n#Else\nW\n#End If\n",
        "#If Win64 Then\nA\n#ElseIf Mac Then\nM\n#Else\nW\n#End If\n",
    ),
    ("  #if mac then ' comment\nM\n  #end if\nX\n", "X\n"),  # case and comments as VBA allows
]


@pytest.mark.parametrize(("source", "expected"), RESOLVE_CASES)
def test_conditional_compilation_resolved_for_excel_on_windows(source, expected):
    assert vba_directives.resolve(source) == expected


@pytest.mark.parametrize("source", ["#If Mac Then\nM\n", "M\n#End If\n", "#Else\n"])
def test_unbalanced_conditional_compilation_is_refused(source):
    with pytest.raises(TemplateError, match="不配对"):
        vba_directives.resolve(source, module="xlwings")


def test_the_project_is_source_only(built, tmp_path):
    bin_path = vba_bin(built, tmp_path / "vbaProject.bin")
    ole = olefile.OleFileIO(str(bin_path))
    try:
        # [MS-OVBA] 2.3.4.1 as written by a writer: version 0xFFFF, no performance cache.
        assert ole.openstream("VBA/_VBA_PROJECT").read() == bytes.fromhex("CC61FFFF000300")
        project = VBA_Project(ole, "VBA/", "PROJECT", "VBA/dir", relaxed=True)
        project.parse_project_stream()
        list(project.parse_modules())
        offsets = {m.name: m.textoffset for m in project.modules}
        sizes = {m.name: ole.get_size(f"VBA/{m.streamname}") for m in project.modules}
    finally:
        ole.close()
    assert {"xlwings", "DubanButton", "ThisWorkbook"} <= set(offsets)
    # Source starts at byte 0 of every module stream: no compiled p-code in front of it.
    assert set(offsets.values()) == {0}
    assert all(size > 0 for size in sizes.values())
    parser = VBA_Parser(str(bin_path))
    try:
        assert parser.detect_vba_stomping() is False
    finally:
        parser.close()


def test_the_button_runs_a_sub_of_our_module(built):
    assert xlsm.button_macros(built) == [(xlsm.BUTTON_CAPTION, "DubanButton.RefreshLedger")]
    module, sub = "DubanButton.RefreshLedger".split(".")
    source = modules(built)[module]
    assert f'Attribute VB_Name = "{module}"' in source
    assert re.search(rf"^Public Sub {sub}\(\)\s*$", source, re.M)


def test_the_macros_messages_are_chinese_spelled_as_code_points():
    # The module is ASCII (one ANSI code page in the project); Zh("hex ...") builds the text.
    source = (MACROS / "DubanButton.bas").read_text(encoding="ascii")
    texts = [
        "".join(chr(int(code, 16)) for code in codes.split())
        for codes in re.findall(r'Zh\("([0-9A-F ]+)"\)', source)
    ]
    assert len(texts) >= 5
    assert all(text.isprintable() for text in texts)
    assert "督办台账：刷新台账" in texts  # the title of every message box
    assert "刷新台账" in texts  # the launchers' name: 刷新台账.cmd / 刷新台账.sh
    assert any(text.startswith("台账是以只读方式打开的") for text in texts)


def test_run_python_imports_a_real_function_of_the_package(built):
    source = modules(built)["DubanButton"]
    assert re.search(r"^\s*RunPython DUBAN_COMMAND\s*$", source, re.M)
    constant = re.search(r'^Public Const DUBAN_COMMAND As String = "(.*)"\s*$', source, re.M)
    command = constant.group(1)
    tree = ast.parse(command)
    imported, call = tree.body
    assert isinstance(imported, ast.Import)
    alias = imported.names[0]
    module = importlib.import_module(alias.name)
    function = call.value.func
    assert function.value.id == alias.asname
    assert callable(getattr(module, function.attr))
    assert (alias.name, function.attr) == ("automation.button", "refresh")


def test_the_package_is_macro_enabled_with_the_config_sheet(built):
    with zipfile.ZipFile(built) as z:
        types = z.read("[Content_Types].xml").decode()
    assert xlsm.CT_MAIN_XLSM in types and xlsm.CT_MAIN_XLSX not in types
    rows = CalamineWorkbook.from_path(str(built)).get_sheet_by_name(xlsm.CONFIG_SHEET).to_python()
    # xlwings reads keys down column A from A1 to the first blank, values in column B.
    keys = [r[0] for r in rows]
    assert keys[: keys.index("")] == ["INTERPRETER_WIN", "INTERPRETER_MAC", "PYTHONPATH"]
    assert all(r[1] == "" and r[2] == "" for r in rows)  # values left for the user to fill
    assert "解释器完整路径" in rows[0][3]
    assert any("WPS" in r[3] for r in rows)


def test_the_launchers_are_written_beside_the_workbook(built):
    folder = built.parent
    assert not (folder / "督查台账.xlsx").exists()
    desktop = (folder / "刷新台账.desktop").read_text(encoding="utf-8")
    assert f'Exec=sh "{(folder / "刷新台账.sh").resolve()}"' in desktop
    assert (folder / "刷新台账.sh").stat().st_mode & 0o111
    assert (folder / "刷新台账.cmd").read_bytes().count(b"\r\n") > 10


def test_refuses_to_overwrite_and_to_add_a_second_project(built):
    with pytest.raises(DubanError, match="已存在"):
        xlsm.convert_to_xlsm(built.with_suffix(".xlsx"))
    with pytest.raises(TemplateError, match="已经含有宏工程"):
        vba.add_vba_project(built)


@pytest.mark.libreoffice
def test_libreoffice_opens_the_xlsm_with_its_button_and_macros(built, tmp_path):
    # LibreOffice reads VBA from source only: it finding our Sub proves the source is sound
    # to a second implementation, and it binds the form button to that Sub.
    ods = convert_with_soffice(built, "ods", tmp_path / "lo")
    with zipfile.ZipFile(ods) as z:
        content = z.read("content.xml").decode()
        module = z.read("Basic/VBAProject/DubanButton.xml").decode()
    button_el = re.search(r"<form:button\b[^>]*>", content).group(0)
    assert f'form:label="{xlsm.BUTTON_CAPTION}"' in button_el
    assert "vnd.sun.star.script:VBAProject.DubanButton.RefreshLedger?" in content
    assert "Public Sub RefreshLedger()" in module


def test_duban_demo_xlsm_keeps_the_vba_project_and_the_button(tmp_path):
    folder = tmp_path / "demo"
    result = CliRunner().invoke(
        cli, ["demo", str(folder), "--xlsm", "--items", "100", "--today", "2026-11-20"]
    )
    assert result.exit_code == 0, result.output
    ledger = folder / "督查台账.xlsm"
    assert "已写回台账" in result.output
    # The backup the refresh made is the .xlsm as built, before it was refreshed.
    before = sorted((folder / ".duban" / "backups").iterdir())[-1]

    def vba_part(path: Path) -> bytes:
        with zipfile.ZipFile(path) as z:
            return z.read("xl/vbaProject.bin")

    assert vba_part(ledger) == vba_part(before)
    assert (
        xlsm.button_macros(ledger)
        == xlsm.button_macros(before)
        == [(xlsm.BUTTON_CAPTION, vba.BUTTON_MACRO)]
    )
    with zipfile.ZipFile(ledger) as z:
        assert xlsm.CT_MAIN_XLSM in z.read("[Content_Types].xml").decode()
    # The refresh really wrote: the 计算状态 column is filled.
    rows = CalamineWorkbook.from_path(str(ledger)).get_sheet_by_name("督办事项").to_python()
    status, deadline = rows[0].index("计算状态"), rows[0].index("办结时限")
    items = [r for r in rows[1:] if r[0]]
    assert sum(bool(r[status]) for r in items) > len(items) * 0.9
    # Only an item whose deadline could not be read is left blank (never a guessed status).
    assert all(not isinstance(r[deadline], date) for r in items if not r[status])
    # A second refresh through the CLI keeps them too.
    again = CliRunner().invoke(cli, ["refresh", str(ledger), "--today", "2026-11-21"])
    assert again.exit_code == 0, again.output
    assert vba_part(ledger) == vba_part(before)
    assert xlsm.button_macros(ledger) == xlsm.button_macros(before)


def test_a_sheet_without_a_vml_drawing_gets_one_for_the_button(tmp_path):
    import xlsxwriter

    source = tmp_path / "台账.xlsx"
    book = xlsxwriter.Workbook(source)
    book.add_worksheet("督办事项").write_row(0, 0, ["编号", "事项内容"])
    book.close()
    built = xlsm.convert_to_xlsm(source)
    assert xlsm.button_macros(built) == [(xlsm.BUTTON_CAPTION, vba.BUTTON_MACRO)]
    with zipfile.ZipFile(built) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        rels = z.read("xl/worksheets/_rels/sheet1.xml.rels").decode()
        types = z.read("[Content_Types].xml").decode()
    rid = re.search(r'<legacyDrawing [^>]*r:id="([^"]+)"', sheet).group(1)
    assert re.search(rf'Id="{rid}"[^>]*Target="../drawings/vmlDrawing1.vml"', rels)
    assert sheet.index("<legacyDrawing") > sheet.index("<pageMargins")  # schema order
    assert 'Extension="vml"' in types
