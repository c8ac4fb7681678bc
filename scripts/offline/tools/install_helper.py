"""Steps of duban's installers that read better in Python than in cmd or sh.

Called by 安装.cmd and install.sh from the bundle's tools/ folder:

    python install_helper.py verify <bundle folder>
        check every file against SHA256SUMS (before anything is installed);
    python install_helper.py windows <duban folder> [<ledger>]
        with the new environment's python on Windows: the `duban` command on the user's PATH,
        the interpreter xlwings runs for the workbook's button, and the 刷新台账 shortcut.

Standard library only, plus pywin32 (a dependency of xlwings) for the desktop shortcut.
Messages are for the office's staff and IT, in Chinese; they go to the screen and, when the
installer names one in DUBAN_LOG, to its log.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys
from pathlib import Path, PureWindowsPath

NOT_UNPACKED = "请先把压缩包全部解压，再运行解压后文件夹中的安装程序"
BIN_ENTRY = r"%LOCALAPPDATA%\duban\bin"
SHORTCUT = "刷新台账.lnk"
# What cmd and VBA read files in on a Chinese Windows (GBK); paths we write are ASCII anyway.
ANSI = "mbcs" if os.name == "nt" else "utf-8"
LAUNCHER = "刷新台账.cmd"
# Keys of the user's xlwings.conf this installer owns. A workbook's xlwings.conf sheet with an
# empty INTERPRETER_WIN row makes xlwings' VBA fall back to INTERPRETER (a key that sheet does
# not have), read from this file; INTERPRETER_WIN serves workbooks without the sheet row.
XLWINGS_KEYS = ("INTERPRETER_WIN", "INTERPRETER")


def say(line: str) -> None:
    """Print a line for the person installing, and append it to the installer's log."""
    print(line, flush=True)
    log = os.environ.get("DUBAN_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")


# --- verify -----------------------------------------------------------------------------------


def verify(bundle: Path) -> list[str]:
    """Return one Chinese line per file of SHA256SUMS that is missing or differs."""
    sums = bundle / "SHA256SUMS"
    if not sums.is_file():
        return [f"找不到校验文件 SHA256SUMS：{NOT_UNPACKED}"]
    problems = []
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if not name:
            continue
        path = bundle / name.lstrip("*")
        if not path.is_file():
            problems.append(f"缺少文件：{name}")
        elif _sha256(path) != digest.strip().lower():
            problems.append(f"文件已损坏（校验值不符）：{name}")
    return problems


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# --- text the Windows set-up writes (pure, tested on any OS) ----------------------------------


def env_form(path: str, environ: dict[str, str]) -> str:
    r"""Spell a Windows path from %LOCALAPPDATA% or %USERPROFILE% when it lies there.

    C:\Users\张三\AppData\Local\duban becomes %LOCALAPPDATA%\duban: ASCII, so any code page
    reads it, and still right when the profile folder moves.
    """
    target = PureWindowsPath(path)
    for name in ("LOCALAPPDATA", "USERPROFILE"):
        base = environ.get(name)
        if base and target.is_relative_to(base):
            return "\\".join([f"%{name}%", *target.relative_to(base).parts])
    return str(target)


def shim_text(duban_exe: str) -> str:
    """Return bin\\duban.cmd: run the environment's duban.exe with every argument."""
    return f'@"{duban_exe}" %*\r\n'


def xlwings_conf(old: bytes, interpreter: str) -> bytes:
    """Return the user's xlwings.conf with our interpreter keys set and every other line kept.

    xlwings reads the file with VBA's ``Input #`` as "KEY","value" lines in the ANSI code page;
    ``interpreter`` is spelled with %VARIABLES% (xlwings expands them), so it stays ASCII.
    """
    ours = re.compile(rb'^\s*"(' + b"|".join(k.encode() for k in XLWINGS_KEYS) + rb')"\s*,', re.I)
    kept = [line for line in old.splitlines() if line.strip() and not ours.match(line)]
    added = [f'"{key}","{interpreter}"'.encode(ANSI) for key in XLWINGS_KEYS]
    return b"\r\n".join(kept + added) + b"\r\n"


def path_with(current: str, entry: str, expand) -> str | None:
    """Return the user PATH with entry appended, or None when it is there already."""

    def same(p: str) -> str:
        return expand(p).replace("/", "\\").rstrip("\\").casefold()

    parts = [p for p in current.split(";") if p.strip()]
    if any(same(p) == same(entry) for p in parts):
        return None
    return ";".join([*parts, entry])


# --- Windows ----------------------------------------------------------------------------------


def windows(home: Path, ledger: Path | None) -> list[str]:
    """Set up the user's duban command, xlwings interpreter and shortcut; return what failed."""
    venv = Path(sys.prefix)
    failed = []
    steps = (
        ("duban 命令", lambda: _write_shim(home, venv)),
        ("把 duban 命令加入 PATH", _add_bin_to_user_path),
        ("Excel 按钮所用的 Python（xlwings.conf）", lambda: _write_xlwings_conf(venv)),
        ("桌面快捷方式“刷新台账”", lambda: _make_shortcut(home, ledger)),
    )
    for title, step in steps:
        try:
            done = step()
        except Exception as e:  # report every step: one failure must not hide the others
            failed.append(f"{title}：未完成（{type(e).__name__}: {e}）")
        else:
            say(f"      已完成：{title}{done or ''}")
    return failed


def _write_shim(home: Path, venv: Path) -> str:
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    exe = env_form(str(venv / "Scripts" / "duban.exe"), dict(os.environ))
    (bin_dir / "duban.cmd").write_bytes(shim_text(exe).encode(ANSI))
    return f"（{bin_dir / 'duban.cmd'}）"


def _add_bin_to_user_path() -> str:
    import ctypes
    import winreg

    with winreg.OpenKey(
        winreg.HKEY_CURRENT_USER, "Environment", 0, winreg.KEY_READ | winreg.KEY_WRITE
    ) as key:
        try:
            current, _ = winreg.QueryValueEx(key, "Path")
        except FileNotFoundError:
            current = ""
        updated = path_with(current, BIN_ENTRY, os.path.expandvars)
        if updated is None:
            return "（PATH 中已有）"
        winreg.SetValueEx(key, "Path", 0, winreg.REG_EXPAND_SZ, updated)
    # Tell Explorer, so programs started from now on see the new PATH without a new login.
    result = ctypes.c_ulong()
    ctypes.windll.user32.SendMessageTimeoutW(
        0xFFFF, 0x001A, 0, "Environment", 0x0002, 5000, ctypes.byref(result)
    )
    return "（新打开的命令提示符窗口中生效）"


def _write_xlwings_conf(venv: Path) -> str:
    conf = Path(os.environ["USERPROFILE"]) / ".xlwings" / "xlwings.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    old = conf.read_bytes() if conf.exists() else b""
    interpreter = env_form(str(venv / "Scripts" / "pythonw.exe"), dict(os.environ))
    conf.write_bytes(xlwings_conf(old, interpreter))
    return f"（{conf}）"


def _make_shortcut(home: Path, ledger: Path | None) -> str:
    from win32com.client import Dispatch

    from automation.resources import MACROS_DIR

    if ledger and not ledger.is_file():
        raise FileNotFoundError(f"找不到台账文件 {ledger}")
    launcher = home / LAUNCHER  # finds home\venv\Scripts\duban.exe (the installer's place)
    shutil.copyfile(MACROS_DIR / LAUNCHER, launcher)
    shell = Dispatch("WScript.Shell")
    link = shell.CreateShortCut(str(Path(shell.SpecialFolders("Desktop")) / SHORTCUT))
    link.TargetPath = str(launcher)
    link.Arguments = f'"{ledger}"' if ledger else ""
    link.WorkingDirectory = str(ledger.parent if ledger else home)
    link.Description = "用 duban 刷新督查台账（也可以把台账文件拖到这个图标上）"
    link.Save()
    return f"（刷新：{ledger}）" if ledger else "（把台账文件拖到桌面上的“刷新台账”图标上即可刷新）"


def main(argv: list[str]) -> int:
    if len(argv) >= 2 and argv[0] == "verify":
        problems = verify(Path(argv[1]))
        for line in problems:
            say(f"      {line}")
        if not problems:
            say("      安装包文件完整。")
        return 1 if problems else 0
    if len(argv) >= 2 and argv[0] == "windows":
        ledger = Path(argv[2]) if len(argv) > 2 and argv[2] else None
        failed = windows(Path(argv[1]), ledger)
        for line in failed:
            say(f"      {line}")
        return 2 if failed else 0
    print(__doc__)
    return 64


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
