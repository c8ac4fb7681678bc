"""The offline bundle's installers and builder, checked for what can be checked without the bundle.

安装.cmd and install.sh as the builder writes them (placeholders filled, line ends set), the
texts tools/install_helper.py writes on Windows, xlwings' own rule that lets the installer set
the button's interpreter, the builder's marker logic and failure message, and the one version.
The bundle itself is built and installed in test_offline_bundle.py.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest

from automation import __version__, schema
from automation.workbooks import vba, xlsm
from automation.workbooks.template import build_template

ROOT = Path(__file__).resolve().parent.parent
BUILDER = ROOT / "scripts" / "build_offline.py"
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]


def load_script(path: Path):
    """Import a script that is not part of the package (dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def assets(tmp_path_factory) -> Path:
    """The installers, guide and helper as the builder writes them into a bundle."""
    folder = tmp_path_factory.mktemp("assets")
    load_script(BUILDER).write_assets(folder, VERSION, "2.28")
    return folder


# --- 安装.cmd, checked for what can be checked on Linux ----------------------------------------

SYSTEM_VARIABLES = {"LOCALAPPDATA", "TEMP", "USERPROFILE", "DATE", "TIME", "RANDOM", "ERRORLEVEL"}
NOT_PATHS = {"DATE", "TIME", "RANDOM", "ERRORLEVEL"}
EXPANSION = re.compile(r"%%~[a-z]*[A-Za-z]|%~[a-z]*[0-9]|%\*|%([A-Za-z_][A-Za-z0-9_]*)(?::[^%]*)?%")


def unquoted_expansions(line: str) -> list[str]:
    """Return the variable expansions of a cmd line that stand outside double quotes."""
    found = []
    for m in EXPANSION.finditer(line):
        inside = line[: m.start()].count('"') % 2 == 1
        if not inside and (m.group(1) or m.group(0)) not in NOT_PATHS:
            found.append(m.group(0))
    return found


def test_install_cmd_is_crlf_utf8_after_chcp_and_quotes_every_path(assets):
    raw = (assets / "安装.cmd").read_bytes()
    assert not raw.startswith(b"\xef\xbb\xbf")  # a BOM would break "@echo off"
    assert raw.count(b"\n") == raw.count(b"\r\n") and raw.endswith(b"\r\n")
    text = raw.decode("utf-8")
    lines = text.split("\r\n")
    assert lines[0] == "@echo off" and lines[1] == "chcp 65001 >nul"
    assert all(line.isascii() for line in lines[:2])  # read in the OEM code page, before chcp
    code = [
        (n, line)
        for n, line in enumerate(lines, 1)
        if line.strip() and not re.match(r"(?i)\s*@?rem\b", line)
    ]
    for n, line in code:
        assert line.count('"') % 2 == 0, f"line {n}: unbalanced quotes: {line}"
        assert unquoted_expansions(line) in ([], ["%*"]), f"line {n}: unquoted path: {line}"
        assert '\\"' not in line and '%~dp0"' not in line, (
            f"line {n}: backslash before a closing quote"
        )
    assert [line for _, line in code if "%*" in line] == [
        line for _, line in code if line.startswith("%* -c ")
    ]
    used = {m.group(1) for _, line in code for m in EXPANSION.finditer(line) if m.group(1)}
    defined = set(re.findall(r'set "([A-Z_]+)=', text))
    assert used <= defined | SYSTEM_VARIABLES, used - defined - SYSTEM_VARIABLES
    labels = set(re.findall(r"(?m)^:(\w+)", text))
    assert set(re.findall(r"(?i)\b(?:goto|call) :?(\w+)", text)) <= labels
    pip_installs = [
        line for _, line in code if '"\\pip" install' in line.replace("%PIP_WHEEL%", "")
    ]
    assert pip_installs and all(
        "--no-index" in line and "--find-links" in line for line in pip_installs
    )
    assert f'"duban=={VERSION}"' in text and 'set "PIP_CONFIG_FILE=nul"' in text
    assert "Add python.exe to PATH" in text and "python-3.12" in text  # what to do without Python


def test_install_sh_passes_sh_syntax_and_shellcheck(assets):
    assert subprocess.run(["sh", "-n", str(assets / "install.sh")]).returncode == 0
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    checked = subprocess.run(
        ["shellcheck", "-s", "sh", str(assets / "install.sh")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout


# --- the Windows set-up's texts (tools/install_helper.py) ------------------------


def test_the_helper_writes_ascii_paths_keeps_other_xlwings_settings_and_adds_path_once(assets):
    helper = load_script(assets / "tools" / "install_helper.py")
    environ = {"LOCALAPPDATA": r"C:\Users\张三\AppData\Local", "USERPROFILE": r"C:\Users\张三"}
    pythonw = helper.env_form(
        r"C:\Users\张三\AppData\Local\duban\venv\Scripts\pythonw.exe", environ
    )
    assert pythonw == r"%LOCALAPPDATA%\duban\venv\Scripts\pythonw.exe"
    assert helper.env_form(r"D:\duban\pythonw.exe", environ) == r"D:\duban\pythonw.exe"
    old = b'"LICENSE_KEY","abc"\r\n"interpreter","C:\\old\\python.exe"\r\n"INTERPRETER_WIN","C:\\x.exe"\n"CONDA PATH",""\r\n'
    conf = helper.xlwings_conf(old, pythonw)
    lines = conf.split(b"\r\n")
    assert lines == [
        b'"LICENSE_KEY","abc"', b'"CONDA PATH",""',
        b'"INTERPRETER_WIN","%LOCALAPPDATA%\\duban\\venv\\Scripts\\pythonw.exe"',
        b'"INTERPRETER","%LOCALAPPDATA%\\duban\\venv\\Scripts\\pythonw.exe"', b"",
    ]  # fmt: skip
    assert helper.xlwings_conf(conf, pythonw) == conf  # running the installer again changes nothing
    expand = lambda p: p.replace("%LOCALAPPDATA%", environ["LOCALAPPDATA"])  # noqa: E731
    added = helper.path_with(r"C:\Windows;%USERPROFILE%\bin;", helper.BIN_ENTRY, expand)
    assert added == r"C:\Windows;%USERPROFILE%\bin;%LOCALAPPDATA%\duban\bin"
    assert helper.path_with(added, helper.BIN_ENTRY, expand) is None
    assert (
        helper.path_with(r"c:\users\张三\appdata\local\DUBAN\bin\;C:\x", helper.BIN_ENTRY, expand)
        is None
    )
    assert helper.shim_text(r"%LOCALAPPDATA%\duban\venv\Scripts\duban.exe") == (
        '@"%LOCALAPPDATA%\\duban\\venv\\Scripts\\duban.exe" %*\r\n'
    )


def test_a_blank_interpreter_row_in_the_workbook_falls_back_to_the_users_xlwings_conf():
    """The installer's xlwings.conf reaches the button only through xlwings' legacy INTERPRETER key.

    The xlwings VBA module put into the workbook (as Excel for Windows compiles it) reads the sheet first and stops at a row even
    when its value is blank; a blank INTERPRETER_WIN then falls back to INTERPRETER, which the
    sheet must not have, so the user's file (written by 安装.cmd) answers.
    """
    source = vba.xlwings_module_sources()["xlwings"]
    run_python = source[source.index("Function RunPython") :]
    assert re.search(
        r'interpreter = GetConfig\("INTERPRETER_WIN", ""\)\s+(?:#End If\s+)?If interpreter = "" Then\s+'
        r"(?:'[^\n]*\s+)*interpreter = GetConfig\(\"INTERPRETER\", \"python\"\)",
        run_python,
    )
    get_config = source[source.index("Function GetConfig(") :]
    order = [
        get_config.index(f"' {layer}")
        for layer in ("Sheet", "Directory Config", "User Config", "Defaults")
    ]
    assert order == sorted(order)
    assert "ExpandEnvironmentStrings" in get_config  # %LOCALAPPDATA% in the file is expanded
    keys = [key for key, _ in xlsm.CONFIG_KEYS]
    assert "INTERPRETER_WIN" in keys and "INTERPRETER" not in keys


# --- one version everywhere ----------------------------------------------------------------------


def test_the_version_comes_from_pyproject_and_shows_in_cli_workbook_and_changelog(tmp_path):
    assert __version__ == VERSION
    shown = subprocess.run(
        [sys.executable, "-m", "automation", "--version"], capture_output=True, text=True
    )
    assert shown.stdout.strip() == f"duban {VERSION}"
    notes = [row[3] for row in xlsm.config_sheet().rows if len(row) > 3 and row[3]]
    assert any(f"duban {VERSION}" in note for note in notes)
    wb = openpyxl.load_workbook(build_template(tmp_path))
    settings = wb[schema.SETTINGS]
    assert f"duban {VERSION}" in settings["A1"].comment.text
    assert [c.value for c in settings[1]] == ["参数", "值", "说明"]  # the note is not a setting
    assert re.search(
        rf"(?m)^## {re.escape(VERSION)}\b", (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    )


# --- the builder's own checks, without the network ------------------------------------------


def write_wheel(folder: Path, name: str, requires: list[str]) -> Path:
    """Write a minimal pure-Python wheel that requires what it is told."""
    dist_info = f"{name}-1.0.dist-info"
    metadata = "".join(f"Requires-Dist: {r}\n" for r in requires)
    files = {
        f"{name}/__init__.py": "",
        f"{dist_info}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n{metadata}",
        f"{dist_info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    files[f"{dist_info}/RECORD"] = "".join(f"{n},,\n" for n in files) + f"{dist_info}/RECORD,,\n"
    path = folder / f"{name}-1.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for member, text in files.items():
            zf.writestr(member, text)
    return path


def test_a_requirement_without_a_wheel_for_a_target_stops_the_build_naming_both(tmp_path):
    builder = load_script(BUILDER)
    write_wheel(tmp_path, "needs_more", ["not-in-the-bundle>=2"])
    windows = next(t for t in builder.TARGETS if t.system == "Windows")
    with pytest.raises(builder.BuildError) as failed:
        builder.resolve(["needs_more"], windows, tmp_path)
    message = str(failed.value)
    assert windows.title in message and "not-in-the-bundle" in message
    assert "没有可用的 wheel" in message


def test_requirements_are_judged_by_the_targets_markers_not_this_machines():
    builder = load_script(BUILDER)
    installs = [
        {"metadata": {"name": "xlwings", "requires_dist": [
            'pywin32>=224; platform_system == "Windows"', 'appscript>=1.0.1; platform_system == "Darwin"']}},
        {"metadata": {"name": "click", "requires_dist": ['colorama; platform_system == "Windows"']}},
        {"metadata": {"name": "tool", "requires_dist": ['helper; extra == "cli"', 'unused; extra == "docs"',
                                                      'old; python_version < "3.12"']},
         "requested_extras": ["cli"]},
        {"metadata": {"name": "helper", "requires_dist": []}},
    ]  # fmt: skip
    by_title = {t.title: t for t in builder.TARGETS}
    windows_311 = by_title["Windows x64, CPython 3.11"]
    linux_312 = by_title["Linux aarch64, CPython 3.12"]
    assert sorted(map(str, builder.left_out(installs, windows_311))) == [
        "colorama",
        "old",
        "pywin32>=224",
    ]
    assert builder.left_out(installs, linux_312) == []
    assert {t.title for t in builder.TARGETS} == {
        f"{system}, CPython {py}"
        for system in ("Windows x64", "Linux x86_64", "Linux aarch64")
        for py in ("3.11", "3.12")
    }
