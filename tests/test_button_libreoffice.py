"""The 刷新台账 button pressed in a real LibreOffice, and the Linux launcher it hands over to.

The end-to-end test does what a person on a Linux desktop does: opens the .xlsm built by
``duban init --xlsm`` in LibreOffice (macros allowed for the ledger's folder, as the
trusted-location setting allows them), types a few items, and clicks the button. The
click is the macro assigned to the button's form control, found from the sheet's drawing
and run on LibreOffice's event loop (``lo_press_button.py``, run by the system Python,
which has the UNO bridge). The macro saves and closes the workbook and starts the
launcher ``刷新台账.sh`` beside it, which waits for the lock file to go, runs ``duban
refresh --letters`` and logs to ``.duban/logs/button.log``. The other tests run the
launcher alone: every way it can fail ends with a Chinese message.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SOFFICE
from lxml import etree
from oletools.olevba import VBA_Parser
from python_calamine import CalamineWorkbook

from automation import paths, schema
from automation.cli import cli
from automation.workbooks import vba, xlsm

SYSTEM_PYTHON = "/usr/bin/python3"
PRESS = Path(__file__).with_name("lo_press_button.py")
LAUNCHER = vba.MACROS_DIR / "刷新台账.sh"
DUBAN = str(Path(sys.executable).with_name("duban"))
WAIT_SECONDS = 300  # for LibreOffice to start and the launcher to finish, on a busy machine
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
END = re.compile(r"^==== 结束（退出码 (\d+)）$", re.M)

# What a person types into the new ledger: one unit, and three items (by header).
UNIT = "县财政局"
ITEMS = (
    {
        "编号": "DB-2026-001",
        "事项类别": schema.CATEGORIES[3],
        "事项内容": "老旧小区改造",
        "责任单位": UNIT,
        "交办日期": "2020-03-02",
        "办结时限": "2020-06-30",
        "反馈周期": "每月10日",
        "完成进度": "50%",
        "办理状态": schema.TypedStatus.IN_PROGRESS.value,
    },
    {
        "编号": "DB-2026-002",
        "事项类别": schema.CATEGORIES[2],
        "事项内容": "农贸市场提升",
        "责任单位": UNIT,
        "交办日期": "2020-03-02",
        "办结时限": "2099-12-31",
        "反馈周期": "每月10日",
        "完成进度": "20%",
        "办理状态": schema.TypedStatus.IN_PROGRESS.value,
    },
    {
        "编号": "DB-2026-003",
        "事项类别": schema.CATEGORIES[0],
        "事项内容": "背街小巷路灯",
        "责任单位": UNIT,
        "交办日期": "2020-03-02",
        "办结时限": "2020-05-30",
        "完成进度": "100%",
        "办理状态": schema.TypedStatus.DONE.value,
        "办结日期": "2020-05-20",
    },
)
COMPUTED = [c.header for c in schema.LEDGER_COMPUTED_COLUMNS]


def has_uno() -> bool:
    if not Path(SYSTEM_PYTHON).exists():
        return False
    return subprocess.run([SYSTEM_PYTHON, "-c", "import uno"], capture_output=True).returncode == 0


def new_ledger(folder: Path) -> Path:
    result = CliRunner().invoke(cli, ["init", str(folder), "--xlsm"])
    assert result.exit_code == 0, result.output
    return folder / "督查台账.xlsm"


def rows(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, rest = divmod(n - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def typed_cells(ledger: Path) -> list[list[str]]:
    """Return [sheet, ref, text] for what the person types, placed by the ledger's headers."""
    headers = rows(ledger, schema.LEDGER)[0]
    cells = [[schema.UNITS, "A2", UNIT]]
    for r, item in enumerate(ITEMS, start=2):
        for header, text in item.items():
            cells.append([schema.LEDGER, f"{column_letter(headers.index(header) + 1)}{r}", text])
    return cells


def wait_for_end(log: Path, seconds: float = WAIT_SECONDS, start: float = 60) -> int:
    """Wait for the launcher's last log line; return its exit code.

    The launcher logs its first line as it starts, so a log still missing after ``start``
    seconds means the click started nothing (the failure this test exists to catch).
    """
    began = time.monotonic()
    while time.monotonic() - began < seconds:
        if log.exists() and (m := END.search(log.read_text(encoding="utf-8"))):
            return int(m.group(1))
        if not log.exists() and time.monotonic() - began > start:
            raise AssertionError(f"the click started no launcher: no {log} after {start} s")
        time.sleep(0.5)
    raise AssertionError(f"the launcher did not finish in {seconds} s; log so far:\n{_read(log)}")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else "(none)"


def kill_processes_under(folder: Path) -> None:
    """End the processes we started that still work on ``folder`` (a launcher left running)."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if str(folder).encode() in cmdline:
            try:
                os.kill(int(proc.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" \
oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="SecureURL" \
oor:op="fuse"><value><it>{trusted}</it></value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Save/Document"><prop oor:name="WarnAlienFormat" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""


def start_soffice(tmp: Path, trusted: Path, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """Start a headless LibreOffice with its own profile: macros run from ``trusted`` only.

    Security level High with the ledger's folder as a trusted location, as an office sets
    it up; no "keep the current format?" question on saving an .xlsm (a person answers it
    once with "use Excel 2007-365!", a headless suite cannot).
    """
    profile = tmp / "lo-profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(
        PROFILE.format(trusted=trusted.as_uri()), encoding="utf-8"
    )
    pipe = f"duban-test-{os.getpid()}-{secrets.token_hex(4)}"
    soffice = subprocess.Popen(
        [
            SOFFICE,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--norestore",
            "--nologo",
            f"--accept=pipe,name={pipe};urp;",
        ],
        env=env,
        stdout=(tmp / "soffice.log").open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: teardown ends it and its children
    )
    return soffice, pipe


def stop_soffice(soffice: subprocess.Popen) -> None:
    try:
        os.killpg(soffice.pid, signal.SIGTERM)
        soffice.wait(timeout=30)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(soffice.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        soffice.wait(timeout=30)


# --- comparing the workbook before and after ---------------------------------------------------


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def sheet_cells(xml: bytes) -> dict[str, tuple[str | None, str | None, str | None]]:
    """Return ref -> (style, type, value or inline text) for every cell of a worksheet."""
    root = etree.fromstring(xml)
    out = {}
    for c in root.iterfind(".//m:sheetData/m:row/m:c", NS):
        v = c.find("m:v", NS)
        text = "".join(c.xpath(".//m:is//m:t/text()", namespaces=NS)) if v is None else v.text
        out[c.get("r")] = (c.get("s"), c.get("t"), text)
    return out


def vba_modules(path: Path) -> dict[str, str]:
    parser = VBA_Parser(str(path))
    try:
        return {
            stream.split("/")[-1]: code.replace("\r\n", "\n").rstrip("\n")
            for _, stream, _, code in parser.extract_macros()
        }
    finally:
        parser.close()


def by_header(path: Path) -> list[dict[str, object]]:
    table = rows(path, schema.LEDGER)
    return [dict(zip(table[0], r, strict=False)) for r in table[1:] if r and r[0]]


# --- the button, pressed in LibreOffice --------------------------------------------------------


@pytest.mark.libreoffice
def test_pressing_the_button_in_libreoffice_refreshes_the_saved_ledger(tmp_path):
    if not has_uno():
        pytest.skip("the system Python has no UNO bridge (python3-uno); run `make sysdeps`")
    folder = tmp_path / "台账文件夹"
    ledger = new_ledger(folder)
    built = tmp_path / "built.xlsm"
    shutil.copyfile(ledger, built)
    cells = tmp_path / "cells.json"
    cells.write_text(json.dumps(typed_cells(ledger), ensure_ascii=False), encoding="utf-8")

    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DUBAN")}
    env.update(
        HOME=str(tmp_path / "home"),  # nothing from the real home: duban is found on PATH
        PATH=f"{Path(DUBAN).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}",
        DUBAN_NO_REOPEN="1",
    )
    (tmp_path / "home").mkdir()
    soffice, pipe = start_soffice(tmp_path, folder, env)
    try:
        pressed = subprocess.run(
            [SYSTEM_PYTHON, str(PRESS), pipe, str(ledger), schema.LEDGER, xlsm.BUTTON_CAPTION]
            + [str(cells)],
            capture_output=True,
            text=True,
            timeout=WAIT_SECONDS,
        )
        assert pressed.returncode == 0, (
            pressed.stdout + pressed.stderr + _read(tmp_path / "soffice.log")
        )
        click = json.loads(pressed.stdout.splitlines()[-1])
        log = paths.logs_folder(ledger) / "button.log"
        code = wait_for_end(log)
    finally:
        kill_processes_under(folder)
        stop_soffice(soffice)

    # The click ran the button's own macro, from its form control, with macros allowed.
    assert click["macros_allowed"] is True
    assert click["macro"].startswith(f"vnd.sun.star.script:VBAProject.{vba.BUTTON_MACRO}?")
    # The launcher saw the workbook still open, waited, refreshed with letters (drafted as
    # 送审稿 for 审定, docs/letters.md).
    text = log.read_text(encoding="utf-8")
    assert code == 0, text
    assert "台账正在被打开" in text and "已写回台账" in text and "已生成送审稿" in text
    assert not list(folder.glob(".~lock.*"))

    # The refresh started from the workbook as LibreOffice saved it: its one backup.
    (saved,) = paths.backups_folder(ledger).iterdir()
    after = by_header(ledger)
    assert [r["编号"] for r in after] == [item["编号"] for item in ITEMS]
    for item, row in zip(ITEMS, after, strict=True):
        assert row["事项内容"] == item["事项内容"] and row["责任单位"] == UNIT
        assert row["办结时限"] == date.fromisoformat(item["办结时限"])
        assert row["完成进度"] == int(item["完成进度"].rstrip("%")) / 100
        assert all(row[h] != "" for h in ("预警", "计算状态", "更新时间")), row

    # The same as `duban refresh --letters` on the saved workbook, computed column by column.
    cli_copy = tmp_path / "cli" / ledger.name
    cli_copy.parent.mkdir()
    shutil.copyfile(saved, cli_copy)
    done = subprocess.run(
        [DUBAN, "refresh", "--letters", str(cli_copy)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    expected = by_header(cli_copy)
    for got, want in zip(after, expected, strict=True):
        assert {h: got[h] for h in COMPUTED if h != "更新时间"} == {
            h: want[h] for h in COMPUTED if h != "更新时间"
        }

    # Nothing else changed: every part the refresh does not write is byte-identical to the
    # saved workbook's, the VBA project included, and on 督办事项 only computed cells changed.
    before, now = parts(saved), parts(ledger)
    book = {n: now[n] for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")}
    written = {xlsm.sheet_part(book, s) for s in (schema.LEDGER, schema.LETTER_LOG)}
    written |= {xlsm.sheet_part(book, s) for s in schema.GENERATED_SHEETS + schema.FOLDER_SHEETS}
    written |= {"[Content_Types].xml", "xl/styles.xml"}
    for name, data in before.items():
        if name not in written and not name.startswith(("xl/charts/", "xl/drawings/_rels/")):
            assert now.get(name) == data, f"{name} changed"
    assert now["xl/vbaProject.bin"] == before["xl/vbaProject.bin"]
    headers = rows(saved, schema.LEDGER)[0]
    written_headers = [c.header for c in schema.LEDGER_OUTPUT_COLUMNS]  # 档案 too
    computed = {column_letter(headers.index(h) + 1) for h in written_headers}
    ledger_part = xlsm.sheet_part(book, schema.LEDGER)
    cells_before, cells_now = sheet_cells(before[ledger_part]), sheet_cells(now[ledger_part])
    for ref, cell in cells_before.items():
        if re.match(r"[A-Z]+", ref).group(0) not in computed:
            assert cells_now.get(ref) == cell, ref
    letters_part = xlsm.sheet_part(book, schema.LETTER_LOG)
    letters_before = sheet_cells(before[letters_part])
    assert {r: c for r, c in sheet_cells(now[letters_part]).items() if r in letters_before} == (
        letters_before
    )

    # LibreOffice kept the macros and the button through its save: the same modules and
    # source as built (it adds a blank line at the end of each), the button on the same macro.
    assert vba_modules(ledger) == vba_modules(built)
    assert xlsm.button_macros(ledger) == [(xlsm.BUTTON_CAPTION, vba.BUTTON_MACRO)]


# --- the launcher alone --------------------------------------------------------------------------


def run_launcher(
    folder: Path, env_extra: dict[str, str], *args: str, path: str | None = None
) -> subprocess.CompletedProcess:
    """Run the ledger folder's 刷新台账.sh as the button does: no terminal, no desktop."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "DUBAN", "XDG_DATA_HOME")
    }
    home = folder.parent / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), DUBAN_NO_REOPEN="1", PATH=path or "/usr/bin:/bin")
    if path is None:
        env["DUBAN"] = DUBAN
    elsewhere = folder.parent / "elsewhere"  # the working directory: nothing may land there
    elsewhere.mkdir(exist_ok=True)
    done = subprocess.run(
        ["sh", str(folder / "刷新台账.sh"), *args],
        env={**env, **env_extra},
        cwd=elsewhere,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert not list(elsewhere.iterdir())
    return done


def log_of(folder: Path) -> str:
    return _read(paths.logs_folder(folder / "督查台账.xlsm") / "button.log")


def test_the_launcher_without_duban_says_so_in_chinese(tmp_path):
    folder = tmp_path / "ledger"
    ledger = new_ledger(folder)
    untouched = ledger.read_bytes()
    bare = "/usr/bin:/bin"
    assert shutil.which("duban", path=bare) is None  # the premise: no duban on this PATH
    done = run_launcher(folder, {}, str(ledger), path=bare)
    assert done.returncode == 127, done.stdout + done.stderr
    assert "找不到 duban 程序，没有刷新。" in done.stdout
    assert "install.sh" in done.stdout  # and how to get it
    assert "找不到 duban 程序" in log_of(folder) and "==== 结束（退出码 127）" in log_of(folder)
    assert ledger.read_bytes() == untouched


def test_the_launcher_finds_duban_where_the_installer_puts_it(tmp_path):
    folder = tmp_path / "ledger"
    ledger = new_ledger(folder)
    data = tmp_path / "data"
    (data / "duban" / "venv" / "bin").mkdir(parents=True)
    (data / "duban" / "venv" / "bin" / "duban").symlink_to(DUBAN)
    done = run_launcher(folder, {"XDG_DATA_HOME": str(data)}, str(ledger), path="/usr/bin:/bin")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "已写回台账" in done.stdout


def test_the_launcher_waits_for_the_workbook_to_close_then_refreshes(tmp_path):
    folder = tmp_path / "ledger"
    new_ledger(folder)
    lock = folder / "~$督查台账.xlsm"  # what Excel/WPS leave while the workbook is open
    lock.write_text("")
    # The person closes the workbook two seconds after the launcher starts.
    closer = subprocess.Popen(["sh", "-c", f'sleep 2; rm -f "{lock}"'])
    try:
        done = run_launcher(folder, {})  # no argument: the ledger beside the script
    finally:
        closer.wait(timeout=30)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"台账正在被打开（{lock}），等它关闭" in done.stdout
    assert "已写回台账" in done.stdout
    assert paths.history_db(folder / "督查台账.xlsm").exists()


def test_the_launcher_gives_up_on_a_workbook_left_open(tmp_path):
    folder = tmp_path / "ledger"
    ledger = new_ledger(folder)
    untouched = ledger.read_bytes()
    (folder / ".~lock.督查台账.xlsm#").write_text(",someone,host,01.01.2026 09:00,;")
    done = run_launcher(folder, {"DUBAN_WAIT_SECONDS": "2"}, str(ledger))
    assert done.returncode == 3, done.stdout + done.stderr
    assert "台账仍被打开" in done.stdout and "删除这个锁文件" in done.stdout
    assert "==== 结束（退出码 3）" in log_of(folder)
    assert ledger.read_bytes() == untouched and not paths.backups_folder(ledger).exists()


def test_the_launcher_reports_a_refresh_error_in_chinese(tmp_path):
    folder = tmp_path / "ledger"
    new_ledger(folder)
    broken = folder / "督查台账.xlsm"
    broken.write_bytes(b"not a workbook")
    done = run_launcher(folder, {}, str(broken))
    assert done.returncode == 2, done.stdout + done.stderr
    assert "错误：" in done.stdout  # duban's own message, shown and logged
    assert "刷新没有完成（退出码 2）" in done.stdout
    assert "刷新没有完成（退出码 2）" in log_of(folder)


def test_the_launcher_reports_a_missing_ledger_in_chinese(tmp_path):
    folder = tmp_path / "folder"
    folder.mkdir()
    shutil.copy(LAUNCHER, folder / "刷新台账.sh")
    done = run_launcher(folder, {})
    assert done.returncode == 2
    assert "找不到台账文件" in done.stdout and "找不到台账文件" in log_of(folder)
    gone = run_launcher(folder, {}, str(tmp_path / "nowhere" / "督查台账.xlsm"))
    assert gone.returncode == 2 and "nowhere" in gone.stdout
    assert not (tmp_path / "nowhere").exists()


def test_the_launcher_shows_the_outcome_on_the_desktop(tmp_path):
    # A desktop session: the launcher tells the person through the desktop's own tools.
    # Here they are stand-ins that write down what they were asked to show.
    folder = tmp_path / "ledger"
    ledger = new_ledger(folder)
    tools = tmp_path / "tools"
    tools.mkdir()
    shown = tmp_path / "shown.txt"
    for tool in ("notify-send", "zenity"):
        (tools / tool).write_text(f'#!/bin/sh\nprintf "{tool} %s\\n" "$*" >> "{shown}"\n')
        (tools / tool).chmod(0o755)
    desktop = {"DISPLAY": ":0"}
    failed = run_launcher(folder, desktop, str(ledger), path=f"{tools}:/usr/bin:/bin")
    assert failed.returncode == 127
    ok = run_launcher(
        folder, desktop, str(ledger), path=f"{tools}:{Path(DUBAN).parent}:/usr/bin:/bin"
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    deadline = time.monotonic() + 30  # zenity runs in the background
    while "zenity --error" not in _read(shown) and time.monotonic() < deadline:
        time.sleep(0.2)
    text = _read(shown)
    assert re.search(r"zenity --error .*找不到 duban 程序", text), text
    assert re.search(r"notify-send .*台账已刷新", text), text


def test_the_wps_macro_is_valid_javascript():
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip("Node.js is not installed")
    checked = subprocess.run(
        [node, "--check", str(vba.MACROS_DIR / "duban_wps.js")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
