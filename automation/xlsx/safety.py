"""Write the workbook back safely: refuse when it is open or changed, back up, replace atomically.

The staff's workbook is the system of record, so a write either fully replaces it with a
complete new file (temp file in the same folder, fsync, ``os.replace``, fsync the folder)
or leaves it exactly as it was. Every refusal is a ``DubanError`` with a Chinese message.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import stat
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from automation import errors, paths

_TEMP_PREFIX = ".~duban-"


@dataclass(frozen=True)
class Fingerprint:
    """What a file looked like when it was read: size, mtime and a hash of its content."""

    size: int
    mtime_ns: int
    sha256: str

    def same_content(self, other: Fingerprint) -> bool:
        """Tell whether two fingerprints describe the same bytes (mtime alone may differ)."""
        return self.size == other.size and self.sha256 == other.sha256


def fingerprint(path: Path) -> Fingerprint:
    """Return the size, mtime and SHA-256 of a file."""
    path = Path(path)
    try:
        st = path.stat()
        digest = paths.file_sha256(path)
    except FileNotFoundError as e:
        raise errors.LedgerUnreadable(
            "找不到工作簿", "请检查文件路径是否正确", path=str(path)
        ) from e
    except OSError as e:
        raise _write_error(e, path, "读取") from e
    return Fingerprint(st.st_size, st.st_mtime_ns, digest)


def lock_files(path: Path) -> list[tuple[Path, str]]:
    """Return the lock files that exist for a workbook, each with the program that made it."""
    path = Path(path)
    name = path.name
    candidates = [
        (path.with_name("~$" + name), "Excel 或 WPS"),
        # Excel replaces the first two characters of a long name: 督查台账.xlsx -> ~$台账.xlsx
        (path.with_name("~$" + name[2:]), "Excel 或 WPS"),
        (path.with_name(f".~lock.{name}#"), "LibreOffice"),
    ]
    found = []
    for candidate, program in candidates:
        if candidate != path and candidate.exists() and (candidate, program) not in found:
            found.append((candidate, program))
    return found


def check_not_open(path: Path) -> None:
    """Raise LedgerLocked when Excel, WPS or LibreOffice has the workbook open."""
    locks = lock_files(path)
    if locks:
        lock, program = locks[0]
        raise errors.LedgerLocked(
            f"工作簿“{Path(path).name}”正在被 {program} 打开（发现锁文件 {lock.name}），现在写入会与对方的编辑冲突",
            f"请先在 {program} 中保存并关闭该工作簿后再刷新；如确认无人打开，可删除锁文件 {lock.name}",
            path=str(path),
        )


def check_writable(path: Path) -> None:
    """Raise WriteFailed when the workbook is read-only (mode bits or the Windows attribute).

    Checked from the mode bits, not by trying: root (and a file's owner, through a
    rename) can replace a read-only file, and someone marked it so on purpose.
    """
    try:
        st = os.stat(path)
    except OSError as e:
        raise _write_error(e, path, "写入") from e
    read_only = not st.st_mode & stat.S_IWUSR or bool(
        getattr(st, "st_file_attributes", 0) & getattr(stat, "FILE_ATTRIBUTE_READONLY", 0)
    )
    if not read_only and not os.access(path, os.W_OK):  # another user's file, a read-only disk
        raise _write_error(OSError(errno.EACCES, "Permission denied"), path, "写入")
    if read_only:
        raise errors.WriteFailed(
            f"工作簿“{Path(path).name}”是只读文件（设置了“只读”属性或没有写权限），duban 不会改写它，本次没有写入",
            "如确需刷新，请在文件属性中取消“只读”（Linux 上执行 chmod u+w），或把台账另存为可写的副本后再刷新",
            path=str(path),
        )


def check_unchanged(path: Path, expected: Fingerprint) -> None:
    """Raise LedgerChanged when the file's content is no longer what was read."""
    if not fingerprint(path).same_content(expected):
        raise errors.LedgerChanged(
            f"工作簿“{Path(path).name}”在读取之后被修改或保存过，为避免覆盖他人的修改，本次没有写入",
            "请重新运行刷新",
            path=str(path),
        )


def write_atomically(
    path: Path,
    expected: Fingerprint,
    produce: Callable[[Path], None],
    *,
    backups_kept: int = 10,
    now: datetime | None = None,
) -> Path | None:
    """Replace ``path`` with what ``produce`` writes, or leave it untouched; return the backup.

    A read-only ledger is refused. A symbolic link is written through: the file it points
    to is replaced (the temp file is made beside it, so the rename stays atomic) and the
    link stays a link; backups go beside the path given, as history and outputs do.
    """
    path = Path(path)
    target = Path(os.path.realpath(path))
    folder = target.parent
    check_writable(path)
    for name in dict.fromkeys((path, target)):
        check_not_open(name)
    check_unchanged(path, expected)
    _sweep_stale_temps(folder)
    backup = make_backup(path, backups_kept, now or datetime.now()) if backups_kept > 0 else None
    tmp = folder / f"{_TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}.tmp"
    try:
        produce(tmp)
        _fsync_file(tmp)
        shutil.copymode(target, tmp)
        for name in dict.fromkeys((path, target)):
            check_not_open(name)
        check_unchanged(path, expected)
        os.replace(tmp, target)
        _fsync_dir(folder)
    except OSError as e:
        raise _write_error(e, path, "写入") from e
    finally:
        if tmp.exists():
            try:
                tmp.unlink()
            except OSError:
                pass
    return backup


def make_backup(path: Path, keep: int, now: datetime) -> Path:
    """Copy the workbook to .duban/backups/<stem>-YYYYmmdd-HHMMSS<suffix>, keeping the newest ``keep``."""
    path = Path(path)
    folder = paths.backups_folder(path)
    stamp = now.strftime("%Y%m%d-%H%M%S")
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{path.stem}-{stamp}{path.suffix}"
        n = 1
        while target.exists():
            n += 1
            target = folder / f"{path.stem}-{stamp}-{n}{path.suffix}"
        shutil.copy2(path, target)
        _fsync_file(target)
    except OSError as e:
        try:
            if "target" in locals() and target.exists():
                target.unlink()
        except OSError:
            pass
        raise _write_error(e, path, "备份") from e
    _prune_backups(folder, path, keep)
    return target


def backups(path: Path) -> list[Path]:
    """Return the workbook's backups, oldest first."""
    path = Path(path)
    folder = paths.backups_folder(path)
    pattern = re.compile(
        rf"{re.escape(path.stem)}-(\d{{8}}-\d{{6}})(?:-(\d+))?{re.escape(path.suffix)}"
    )
    found = []
    for p in folder.glob(f"{path.stem}-*{path.suffix}") if folder.is_dir() else ():
        m = pattern.fullmatch(p.name)
        if m:
            found.append(((m.group(1), int(m.group(2) or 1)), p))
    return [p for _, p in sorted(found)]


def _prune_backups(folder: Path, path: Path, keep: int) -> None:
    for old in backups(path)[:-keep] if keep > 0 else []:
        try:
            old.unlink()
        except OSError:
            pass  # an old backup that cannot be removed does not endanger the workbook


def _sweep_stale_temps(folder: Path) -> None:
    """Remove temp files left by a refresh that was killed (its process no longer exists)."""
    for tmp in folder.glob(f"{_TEMP_PREFIX}*.tmp"):
        m = re.match(rf"{re.escape(_TEMP_PREFIX)}(\d+)-", tmp.name)
        if m and not _process_alive(int(m.group(1)), tmp):
            try:
                tmp.unlink()
            except OSError:
                pass


def _process_alive(pid: int, tmp: Path) -> bool:
    if os.name != "posix":
        # os.kill(pid, 0) would terminate the process on Windows: judge by age instead.
        try:
            return time.time() - tmp.stat().st_mtime < 24 * 3600
        except OSError:
            return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # some platforms cannot open a directory; the rename itself is already done
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_error(e: OSError, path: Path, action: str) -> errors.WriteFailed:
    name = Path(path).name
    intact = "原工作簿未改动"
    if e.errno in (errno.ENOSPC, errno.EDQUOT):
        return errors.WriteFailed(
            f"磁盘空间不足，{action}工作簿“{name}”失败，{intact}",
            "请清理磁盘空间后重新刷新",
            path=str(path),
        )
    if e.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return errors.WriteFailed(
            f"没有写入权限，{action}工作簿“{name}”失败（文件夹只读或文件被保护），{intact}",
            "请检查文件和所在文件夹的写入权限，或把台账复制到可写的文件夹再刷新",
            path=str(path),
        )
    if e.errno == errno.EFBIG:
        return errors.WriteFailed(
            f"文件大小超出系统限制，{action}工作簿“{name}”失败，{intact}",
            "请检查磁盘配额或文件大小限制",
            path=str(path),
        )
    return errors.WriteFailed(
        f"{action}工作簿“{name}”失败（{e.strerror or e}），{intact}",
        "请检查磁盘和文件夹后重新刷新",
        path=str(path),
    )
