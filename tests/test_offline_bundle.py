"""The offline install bundle (`make dist`): built once, then installed and resolved with no index.

The bundle is built by the real script (scripts/build_offline.py) into a temporary folder; its
downloads come from the shared wheel cache, so only the first run on a machine needs the index.
Every pip run here gets PIP_CONFIG_FILE=/dev/null and no PIP_* variables, so this machine's
find-links and indexes cannot stand in for a wheel the bundle lacks.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import openpyxl
import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from automation import __version__, schema
from automation.workbooks import vba, xlsm
from automation.workbooks.template import build_template

ROOT = Path(__file__).resolve().parent.parent
VERSION = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"]
BUNDLE_NAME = f"duban-{VERSION}-offline"
WINDOWS = {
    "implementation_name": "cpython",
    "os_name": "nt",
    "platform_machine": "AMD64",
    "platform_python_implementation": "CPython",
    "platform_release": "10",
    "platform_system": "Windows",
    "platform_version": "10.0.22631",
    "sys_platform": "win32",
}
LINUX_ARM = {**WINDOWS, "os_name": "posix", "platform_machine": "aarch64", "platform_release": "",
             "platform_system": "Linux", "platform_version": "", "sys_platform": "linux"}  # fmt: skip
TARGETS = {
    "windows-3.11": (["--platform", "win_amd64"], "3.11", WINDOWS),
    "windows-3.12": (["--platform", "win_amd64"], "3.12", WINDOWS),
    "linux-aarch64-3.11": (
        [arg for m in range(28, 16, -1) for arg in ("--platform", f"manylinux_2_{m}_aarch64")],
        "3.11",
        LINUX_ARM,
    ),
}


def offline_env(**extra: str) -> dict[str, str]:
    """Return this process's environment without any pip configuration or virtualenv."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    for name in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "XDG_DATA_HOME"):
        env.pop(name, None)
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1", **extra)
    return env


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> Path:
    dest = tmp_path_factory.mktemp("dist")
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_offline.py"), "--dest", str(dest)],
        capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    assert f"离线安装包：{dest / BUNDLE_NAME}" in built.stdout
    return dest / BUNDLE_NAME


def load_script(path: Path):
    """Import a script that is not part of the package (dataclasses need it in sys.modules)."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def helper_module(bundle: Path):
    return load_script(bundle / "tools" / "install_helper.py")


# --- what is in the bundle ----------------------------------------------------------------------


@pytest.mark.slow
def test_the_bundle_and_its_zip_hold_the_installers_the_docs_and_the_wheels(bundle):
    names = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert {
        "安装.cmd",
        "install.sh",
        "安装说明.txt",
        "SHA256SUMS",
        "tools/install_helper.py",
    } <= names
    assert f"wheels/duban-{VERSION}-py3-none-any.whl" in names
    assert all(n.endswith(".whl") for n in names if n.startswith("wheels/"))
    guide = (bundle / "安装说明.txt").read_text(encoding="utf-8")
    assert f"duban {VERSION}" in guide and "@" not in guide  # every placeholder filled
    assert "Add python.exe to PATH" in guide and "python-3.12" in guide
    with zipfile.ZipFile(bundle.with_name(BUNDLE_NAME + ".zip")) as zf:
        infos = {i.filename: i for i in zf.infolist()}
        assert set(infos) == {f"{BUNDLE_NAME}/{n}" for n in names}
        assert zf.testzip() is None
    # Chinese names marked UTF-8 (Windows Explorer and unzip read the flag); install.sh executable.
    assert infos[f"{BUNDLE_NAME}/安装.cmd"].flag_bits & 0x800
    assert (infos[f"{BUNDLE_NAME}/install.sh"].external_attr >> 16) & stat.S_IXUSR


@pytest.mark.slow
def test_sha256sums_verifies_with_sha256sum_and_with_the_installers_helper(bundle, tmp_path):
    listed = [line.split("  ", 1)[1] for line in (bundle / "SHA256SUMS").read_text().splitlines()]
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert set(listed) == files - {"SHA256SUMS"}
    checked = subprocess.run(
        ["sha256sum", "--check", "--strict", "SHA256SUMS"],
        cwd=bundle,
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    helper = [sys.executable, str(bundle / "tools" / "install_helper.py"), "verify"]
    ok = subprocess.run([*helper, str(bundle)], capture_output=True, text=True)
    assert ok.returncode == 0 and "安装包文件完整" in ok.stdout
    # A copy with one file damaged and one missing (the small files; the wheels stay behind).
    copy = tmp_path / "copy"
    copy.mkdir()
    small = [n for n in listed if not n.startswith("wheels/")]
    for name in small:
        (copy / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(bundle / name, copy / name)
    (copy / "SHA256SUMS").write_text(
        "".join(
            line + "\n"
            for line in (bundle / "SHA256SUMS").read_text().splitlines()
            if line.split("  ", 1)[1] in small
        )
    )
    (copy / "安装说明.txt").write_bytes((copy / "安装说明.txt").read_bytes()[:-1])
    (copy / "install.sh").unlink()
    bad = subprocess.run([*helper, str(copy)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert (
        "文件已损坏（校验值不符）：安装说明.txt" in bad.stdout
        and "缺少文件：install.sh" in bad.stdout
    )
    unpacked_alone = subprocess.run([*helper, str(tmp_path)], capture_output=True, text=True)
    assert unpacked_alone.returncode == 1 and "请先把压缩包全部解压" in unpacked_alone.stdout


# --- installing from it -------------------------------------------------------------------------


@pytest.mark.slow
def test_a_clean_venv_installs_duban_from_the_bundle_with_no_index_and_runs_the_demo(
    bundle, tmp_path
):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=offline_env())
    install = [
        str(venv / "bin" / "python"),
        "-m",
        "pip",
        "install",
        "--no-index",
        "--find-links",
        str(bundle / "wheels"),
        "--no-compile",  # what gets installed is checked here, not how fast it starts
        "duban",
    ]
    done = subprocess.run(install, capture_output=True, text=True, env=offline_env(), timeout=1200)
    assert done.returncode == 0, done.stdout + done.stderr
    probe = "import automation, sys; print(automation.__version__); print(automation.__file__)"
    version, location = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        env=offline_env(),
        cwd=tmp_path,
        check=True,
    ).stdout.splitlines()
    assert version == VERSION
    assert Path(location).is_relative_to(venv)  # the installed copy, not this checkout
    demo = subprocess.run(
        [str(venv / "bin" / "duban"), "demo", str(tmp_path / "演示"), "--today", "2026-11-20"],
        capture_output=True, text=True, env=offline_env(), cwd=tmp_path, timeout=600,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "演示台账：" in demo.stdout
    ws = openpyxl.load_workbook(tmp_path / "演示" / "督查台账.xlsx", read_only=True)[schema.LEDGER]
    lights = [
        row[0]
        for row in ws.iter_rows(min_row=2, min_col=22, max_col=22, values_only=True)
        if row[0]
    ]
    assert len(lights) >= 300 and set(lights) <= set(schema.LIGHTS)  # the refresh really ran
    assert (tmp_path / "演示" / "输出" / "看板.html").is_file()


@pytest.mark.slow
def test_install_sh_installs_the_command_and_the_desktop_shortcut(bundle, tmp_path):
    home = tmp_path / "家"
    (home / "Desktop").mkdir(parents=True)
    ledger = tmp_path / "督查室 一" / "督查台账.xlsx"
    ledger.parent.mkdir()
    ledger.write_bytes(b"")
    env = offline_env(HOME=str(home), PYTHON=sys.executable, PATH="/usr/local/bin:/usr/bin:/bin")
    done = subprocess.run(
        ["sh", str(bundle / "install.sh"), str(ledger)],
        capture_output=True,
        text=True,
        env=env,
        timeout=1200,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "安装完成" in done.stdout
    data = home / ".local" / "share" / "duban"
    version = subprocess.run(
        [str(home / ".local" / "bin" / "duban"), "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert version.stdout.strip() == f"duban {VERSION}"
    made = subprocess.run(
        [str(home / ".local" / "bin" / "duban"), "init", str(tmp_path / "新台账")],
        capture_output=True,
        text=True,
        env=env,
    )
    assert made.returncode == 0 and (tmp_path / "新台账" / "督查台账.xlsx").is_file(), made.stderr
    desktop = (home / "Desktop" / "刷新台账.desktop").read_text(encoding="utf-8")
    assert f'Exec=sh "{data / "刷新台账.sh"}" "{ledger}"' in desktop
    assert os.access(data / "刷新台账.sh", os.X_OK) and os.access(
        home / "Desktop" / "刷新台账.desktop", os.X_OK
    )
    assert 'PATH="$HOME/.local/bin:$PATH"' in (home / ".profile").read_text()
    log = (data / "安装日志.txt").read_text(encoding="utf-8")
    assert "安装包文件完整" in log and "Successfully installed" in log


# --- resolving for the other targets ------------------------------------------------------------


def dry_run(bundle: Path, target: str, requirements: list[str], tmp_path: Path) -> list[dict]:
    platforms, python, _ = TARGETS[target]
    report = tmp_path / f"{target}.json"
    command = [
        sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--report", str(report),
        "--target", str(tmp_path / "target"), *platforms, "--python-version", python, "--implementation", "cp",
        "--only-binary=:all:", "--no-index", "--find-links", str(bundle / "wheels"), *requirements,
    ]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True, env=offline_env())
    assert done.returncode == 0, done.stderr
    return json.loads(report.read_text())["install"]


def needed_but_absent(installs: list[dict], environment: dict[str, str], python: str) -> set[str]:
    """Requirements whose marker holds on the target but whose package pip (on Linux) left out."""
    environment = {**environment, "python_version": python, "python_full_version": f"{python}.0",
                   "implementation_version": f"{python}.0"}  # fmt: skip
    chosen = {canonicalize_name(i["metadata"]["name"]) for i in installs}
    absent = set()
    for item in installs:
        for text in item["metadata"].get("requires_dist", []):
            req = Requirement(text)
            extras = ["", *item.get("requested_extras", [])]
            if req.marker is None or any(
                req.marker.evaluate({**environment, "extra": e}) for e in extras
            ):
                if canonicalize_name(req.name) not in chosen:
                    absent.add(f"{req.name}{req.specifier}")
    return absent


@pytest.mark.slow
@pytest.mark.parametrize("target", list(TARGETS))
def test_pip_resolves_every_requirement_of_the_target_from_the_bundle_alone(
    bundle, target, tmp_path
):
    _, python, environment = TARGETS[target]
    installs = dry_run(bundle, target, ["duban"], tmp_path)
    assert {canonicalize_name(i["metadata"]["name"]) for i in installs} >= {
        "duban",
        "pandas",
        "xlwings",
        "lxml",
    }
    # pip ran on Linux, so it dropped what only the target's markers ask for; ask for it by name.
    extra = sorted(needed_but_absent(installs, environment, python))
    if environment["sys_platform"] == "win32":
        assert any(
            e.startswith("pywin32") for e in extra
        )  # xlwings: pywin32; platform_system == "Windows"
    installs = dry_run(bundle, target, ["duban", *extra], tmp_path)
    assert not needed_but_absent(installs, environment, python)
    wheels = {Path(i["download_info"]["url"]).name for i in installs}
    assert all(w.endswith(".whl") for w in wheels)


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


@pytest.mark.slow
def test_install_cmd_is_crlf_utf8_after_chcp_and_quotes_every_path(bundle):
    raw = (bundle / "安装.cmd").read_bytes()
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


@pytest.mark.slow
def test_install_sh_passes_sh_syntax_and_shellcheck(bundle):
    assert subprocess.run(["sh", "-n", str(bundle / "install.sh")]).returncode == 0
    if not shutil.which("shellcheck"):
        pytest.skip("shellcheck is not installed")
    checked = subprocess.run(
        ["shellcheck", "-s", "sh", str(bundle / "install.sh")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout


# --- the Windows set-up's texts (tools/install_helper.py, as shipped) ------------------------


@pytest.mark.slow
def test_the_helper_writes_ascii_paths_keeps_other_xlwings_settings_and_adds_path_once(bundle):
    helper = helper_module(bundle)
    environ = {"LOCALAPPDATA": r"C:\Users\张三\AppData\Local", "USERPROFILE": r"C:\Users\张三"}
    pythonw = helper.env_form(
        r"C:\Users\张三\AppData\Local\duban\.venv\Scripts\pythonw.exe", environ
    )
    assert pythonw == r"%LOCALAPPDATA%\duban\.venv\Scripts\pythonw.exe"
    assert helper.env_form(r"D:\duban\pythonw.exe", environ) == r"D:\duban\pythonw.exe"
    old = b'"LICENSE_KEY","abc"\r\n"interpreter","C:\\old\\python.exe"\r\n"INTERPRETER_WIN","C:\\x.exe"\n"CONDA PATH",""\r\n'
    conf = helper.xlwings_conf(old, pythonw)
    lines = conf.split(b"\r\n")
    assert lines == [
        b'"LICENSE_KEY","abc"', b'"CONDA PATH",""',
        b'"INTERPRETER_WIN","%LOCALAPPDATA%\\duban\\.venv\\Scripts\\pythonw.exe"',
        b'"INTERPRETER","%LOCALAPPDATA%\\duban\\.venv\\Scripts\\pythonw.exe"', b"",
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
    assert helper.shim_text(r"%LOCALAPPDATA%\duban\.venv\Scripts\duban.exe") == (
        '@"%LOCALAPPDATA%\\duban\\.venv\\Scripts\\duban.exe" %*\r\n'
    )


def test_a_blank_interpreter_row_in_the_workbook_falls_back_to_the_users_xlwings_conf():
    """The installer's xlwings.conf reaches the button only through xlwings' legacy INTERPRETER key.

    The xlwings VBA module put into the workbook reads the sheet first and stops at a row even
    when its value is blank; a blank INTERPRETER_WIN then falls back to INTERPRETER, which the
    sheet must not have, so the user's file (written by 安装.cmd) answers.
    """
    source = vba.xlwings_module_sources()["xlwings"]
    run_python = source[source.index("Function RunPython") :]
    assert re.search(
        r'interpreter = GetConfig\("INTERPRETER_WIN", ""\)\s+#End If\s+If interpreter = "" Then\s+'
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


def builder_module():
    return load_script(ROOT / "scripts" / "build_offline.py")


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
    builder = builder_module()
    write_wheel(tmp_path, "needs_more", ["not-in-the-bundle>=2"])
    windows = next(t for t in builder.TARGETS if t.system == "Windows")
    with pytest.raises(builder.BuildError) as failed:
        builder.resolve(["needs_more"], windows, tmp_path)
    message = str(failed.value)
    assert windows.title in message and "not-in-the-bundle" in message
    assert "没有可用的 wheel" in message


def test_requirements_are_judged_by_the_targets_markers_not_this_machines():
    builder = builder_module()
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
