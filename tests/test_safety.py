"""Write safety: locks, concurrent edits, backups, killed writes, read-only and full disks."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from automation import errors
from automation.xlsx import safety
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_other_programs import build_xlsxwriter_ledger, sample_plan

NOW = datetime(2026, 10, 9, 8, 30, 0)


@pytest.fixture(scope="module")
def workbook_bytes(tmp_path_factory) -> bytes:
    folder = tmp_path_factory.mktemp("src")
    return build_xlsxwriter_ledger(folder / "督查台账.xlsm").read_bytes()


@pytest.fixture
def ledger(tmp_path, workbook_bytes) -> Path:
    path = tmp_path / "督查台账.xlsm"
    path.write_bytes(workbook_bytes)
    return path


def _produce(src: Path):
    def produce(tmp: Path) -> None:
        apply_plan(src, sample_plan(6), tmp)

    return produce


def _assert_intact(path: Path, original: bytes) -> None:
    assert path.read_bytes() == original
    assert not list(path.parent.glob(".~duban-*.tmp"))


def test_a_refresh_replaces_the_workbook_and_keeps_a_backup(ledger):
    original = ledger.read_bytes()
    backup = safety.write_atomically(
        ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=10, now=NOW
    )
    assert backup == ledger.parent / ".duban" / "backups" / "督查台账-20261009-083000.xlsm"
    assert backup.read_bytes() == original
    assert ledger.read_bytes() != original
    assert (
        openpyxl.load_workbook(ledger)["督办事项"]["X2"].value == "逾期"
    )  # 计算状态, after 预警 and 认定时限
    assert not list(ledger.parent.glob(".~duban-*"))


def test_only_the_newest_backups_are_kept(ledger):
    for minute in (1, 2, 3, 3):
        fp = safety.fingerprint(ledger)
        safety.write_atomically(
            ledger,
            fp,
            lambda tmp: shutil.copyfile(ledger, tmp),
            backups_kept=2,
            now=NOW.replace(minute=minute),
        )
    names = [p.name for p in safety.backups(ledger)]
    assert names == ["督查台账-20261009-080300.xlsm", "督查台账-20261009-080300-2.xlsm"]


@pytest.mark.parametrize(
    ("lock_name", "program"),
    [
        ("~$督查台账.xlsm", "Excel 或 WPS"),
        ("~$台账.xlsm", "Excel 或 WPS"),
        (".~lock.督查台账.xlsm#", "LibreOffice"),
    ],
)
def test_an_open_workbook_is_refused(ledger, lock_name, program):
    original = ledger.read_bytes()
    (ledger.parent / lock_name).write_text("owner")
    with pytest.raises(errors.LedgerLocked) as info:
        safety.write_atomically(
            ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=10
        )
    assert program in str(info.value) and lock_name in str(info.value)
    assert info.value.exit_code != 0
    _assert_intact(ledger, original)
    assert not (ledger.parent / ".duban" / "backups").exists()


def test_a_workbook_changed_since_it_was_read_is_refused(ledger):
    fp = safety.fingerprint(ledger)
    ledger.write_bytes(ledger.read_bytes() + b"\0")  # someone saved in between
    changed = ledger.read_bytes()
    with pytest.raises(errors.LedgerChanged, match="读取之后被修改"):
        safety.write_atomically(ledger, fp, _produce(ledger), backups_kept=10)
    _assert_intact(ledger, changed)


def test_a_workbook_changed_during_the_write_is_not_overwritten(ledger):
    fp = safety.fingerprint(ledger)

    def produce(tmp: Path) -> None:
        apply_plan(ledger, sample_plan(6), tmp)
        with ledger.open("ab") as f:  # staff press Ctrl+S while we write
            f.write(b"\0")

    with pytest.raises(errors.LedgerChanged) as info:
        safety.write_atomically(ledger, fp, produce, backups_kept=10)
    assert info.value.exit_code == 3
    assert ledger.read_bytes().endswith(b"\0")
    assert not list(ledger.parent.glob(".~duban-*.tmp"))


def test_a_write_error_leaves_the_original_and_no_temp(ledger):
    original = ledger.read_bytes()

    def produce(tmp: Path) -> None:
        tmp.write_bytes(b"half")
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(errors.WriteFailed, match="原工作簿未改动"):
        safety.write_atomically(ledger, safety.fingerprint(ledger), produce, backups_kept=0)
    _assert_intact(ledger, original)


_SLOW_WRITER = r"""
import sys, time
from pathlib import Path
from automation.xlsx import safety
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_other_programs import sample_plan

ledger = Path(sys.argv[1])
def produce(tmp):
    apply_plan(ledger, sample_plan(6), tmp)
    data = tmp.read_bytes()
    with tmp.open("wb") as f:
        for i in range(0, len(data), 512):
            f.write(data[i:i + 512]); f.flush()
            if i == 1024:
                print("WRITING", flush=True)
            time.sleep(0.01)
safety.write_atomically(ledger, safety.fingerprint(ledger), produce, backups_kept=3)
print("DONE", flush=True)
"""


def test_a_refresh_killed_while_writing_leaves_the_original(ledger):
    original = ledger.read_bytes()
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_WRITER, str(ledger)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=_repo(),
    )
    assert proc.stdout.readline().strip() == "WRITING"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert ledger.read_bytes() == original
    with zipfile.ZipFile(ledger) as z:
        assert z.testzip() is None
    assert list(ledger.parent.glob(".~duban-*.tmp")), (
        "the killed writer's temp file should be left behind"
    )
    # The next refresh sweeps the dead process's temp file and succeeds.
    safety.write_atomically(ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=3)
    assert not list(ledger.parent.glob(".~duban-*.tmp"))
    assert openpyxl.load_workbook(ledger)["督办事项"]["V2"].value == "红"


def _repo() -> Path:
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def tmpfs(tmp_path):
    mount = tmp_path / "mnt"
    mount.mkdir()

    def mount_fs(size: str) -> Path:
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mount)], capture_output=True
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {result.stderr.decode().strip()}")
        return mount

    yield mount_fs
    subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_read_only_folder_leaves_the_original(tmpfs, workbook_bytes):
    folder = tmpfs("1m")
    ledger = folder / "督查台账.xlsm"
    ledger.write_bytes(workbook_bytes)
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
    with pytest.raises(errors.WriteFailed, match="没有写入权限") as info:
        safety.write_atomically(
            ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=10
        )
    assert info.value.exit_code == 4
    assert ledger.read_bytes() == workbook_bytes


def test_a_full_disk_leaves_the_original(tmpfs, workbook_bytes):
    folder = tmpfs("256k")
    ledger = folder / "督查台账.xlsm"
    ledger.write_bytes(workbook_bytes)
    filler = folder / "filler.bin"
    with filler.open("wb") as f:  # leave less room than the new workbook needs
        free = os.statvfs(folder).f_bavail * os.statvfs(folder).f_frsize
        f.write(b"\0" * max(free - 8192, 0))
    with pytest.raises(errors.WriteFailed, match="磁盘空间不足"):
        safety.write_atomically(
            ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=0
        )
    _assert_intact(ledger, workbook_bytes)
    # With backups on, the backup itself cannot be written: refused before touching anything.
    with pytest.raises(errors.WriteFailed, match="磁盘空间不足"):
        safety.write_atomically(
            ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=10
        )
    _assert_intact(ledger, workbook_bytes)
    assert not list((folder / ".duban" / "backups").glob("*"))


_SIZE_LIMITED = r"""
import resource, signal, sys
from pathlib import Path
from automation import errors
from automation.xlsx import safety
from automation.xlsx.xlsxpatch import apply_plan
from tests.fixtures_other_programs import sample_plan

ledger = Path(sys.argv[1])
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # get EFBIG instead of being killed
resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
try:
    safety.write_atomically(ledger, safety.fingerprint(ledger), lambda tmp: apply_plan(ledger, sample_plan(6), tmp), backups_kept=0)
except errors.DubanError as e:
    print(e)
    sys.exit(e.exit_code)
"""


def test_a_file_size_limit_write_error_leaves_the_original(ledger):
    """RLIMIT_FSIZE makes every write past 4 KB fail with EFBIG, without needing mount rights."""
    original = ledger.read_bytes()
    proc = subprocess.run(
        [sys.executable, "-c", _SIZE_LIMITED, str(ledger)],
        capture_output=True,
        text=True,
        cwd=_repo(),
        timeout=60,
    )
    assert proc.returncode == errors.WriteFailed.exit_code, proc.stderr
    assert "文件大小超出系统限制" in proc.stdout and "原工作簿未改动" in proc.stdout
    _assert_intact(ledger, original)


# --- read-only and symlinked ledgers (tests run as root, where mode 444 stops no write) ---------


@pytest.mark.parametrize("mode", [0o444, 0o555, 0o044])
def test_a_read_only_ledger_is_refused_and_left_as_it_is(ledger, mode):
    original = ledger.read_bytes()
    ledger.chmod(mode)
    try:
        with pytest.raises(errors.WriteFailed, match="只读") as info:
            safety.write_atomically(
                ledger, safety.fingerprint(ledger), _produce(ledger), backups_kept=10
            )
        assert "取消" in str(info.value)
        assert ledger.stat().st_mode & 0o777 == mode
        _assert_intact(ledger, original)
        assert not (ledger.parent / ".duban" / "backups").exists()
    finally:
        ledger.chmod(0o644)


def test_a_refresh_of_a_read_only_ledger_says_so_in_chinese(tmp_path):
    from click.testing import CliRunner

    from automation.cli import cli
    from tests.fixtures_xlsx import TODAY, good_row, write_ledger

    path = write_ledger(tmp_path / "台账.xlsx", [good_row(1)])
    original = path.read_bytes()
    path.chmod(0o444)
    result = CliRunner().invoke(cli, ["refresh", str(path), "--today", TODAY.isoformat()])
    assert result.exit_code == errors.WriteFailed.exit_code, result.output
    assert "只读" in result.output and "Traceback" not in result.output
    assert path.read_bytes() == original and path.stat().st_mode & 0o777 == 0o444


@pytest.mark.parametrize("relative", [True, False])
def test_a_symlinked_ledger_is_written_through_to_its_target(tmp_path, workbook_bytes, relative):
    store = tmp_path / "共享盘" / "台账"
    store.mkdir(parents=True)
    target = store / "督查台账.xlsm"
    target.write_bytes(workbook_bytes)
    desk = tmp_path / "桌面"
    desk.mkdir()
    link = desk / "督查台账.xlsm"
    link.symlink_to(os.path.relpath(target, desk) if relative else target)
    backup = safety.write_atomically(
        link, safety.fingerprint(link), _produce(link), backups_kept=10, now=NOW
    )
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert openpyxl.load_workbook(target)["督办事项"]["X2"].value == "逾期"
    assert target.read_bytes() != workbook_bytes
    assert backup.read_bytes() == workbook_bytes and not backup.is_symlink()
    assert not list(store.glob(".~duban-*")) and not list(desk.glob(".~duban-*"))


def test_a_symlinked_ledger_open_at_its_target_is_refused(tmp_path, workbook_bytes):
    target = tmp_path / "store" / "督查台账.xlsm"
    target.parent.mkdir()
    target.write_bytes(workbook_bytes)
    link = tmp_path / "link.xlsm"
    link.symlink_to(target)
    (target.parent / ".~lock.督查台账.xlsm#").write_text("owner")
    with pytest.raises(errors.LedgerLocked):
        safety.write_atomically(link, safety.fingerprint(link), _produce(link), backups_kept=0)
    assert target.read_bytes() == workbook_bytes and link.is_symlink()


def test_a_refresh_through_a_symlink_keeps_the_link(tmp_path):
    from automation.refresh import refresh
    from tests.fixtures_xlsx import TODAY, good_row, write_ledger

    target = write_ledger(tmp_path / "真实位置.xlsx", [good_row(1), good_row(2)])
    link = tmp_path / "快捷方式.xlsx"
    link.symlink_to(target.name)
    refresh(link, today=TODAY)
    refresh(link, today=TODAY)
    assert link.is_symlink()
    headers = [c.value for c in openpyxl.load_workbook(target)["督办事项"][1]]
    assert "计算状态" in headers
