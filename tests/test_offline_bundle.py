"""The offline install bundle (`make dist`): built once, then installed and resolved with no index.

The bundle is built by the real script (scripts/build_offline.py) into a temporary folder; its
downloads come from the shared wheel cache, so only the first run on a machine needs the index.
Every pip run here gets PIP_CONFIG_FILE=/dev/null and no PIP_* variables, so this machine's
find-links and indexes cannot stand in for a wheel the bundle lacks.
"""

from __future__ import annotations

import json
import os
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

from automation import schema

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

    # A reinstall that fails (here: a bundle missing pandas) puts the working install back.
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken, copy_function=os.link)
    for wheel in (broken / "wheels").glob("pandas-*.whl"):
        wheel.unlink()
    sums = (broken / "SHA256SUMS").read_text().splitlines()
    (broken / "SHA256SUMS").unlink()  # a hard link to the bundle's own file: replace, never edit
    (broken / "SHA256SUMS").write_text("".join(s + "\n" for s in sums if "wheels/pandas-" not in s))
    again = subprocess.run(
        ["sh", str(broken / "install.sh")], capture_output=True, text=True, env=env, timeout=1200
    )
    assert again.returncode == 1 and "已恢复原来安装的 duban" in again.stdout, again.stdout
    still = subprocess.run(
        [str(home / ".local" / "bin" / "duban"), "--version"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert still.stdout.strip() == f"duban {VERSION}"
    assert not (data / "venv-old").exists()


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
