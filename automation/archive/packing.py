"""Pack a finished item's folder into 已归档/<年度>/<编号>.zip (docs/rules.md §13.3).

The zip holds the folder as it is (under its own name), ``归档清单.txt`` (the item, then each
file with its size and SHA-256) and ``SHA256SUMS.txt`` (the same sums in the form
``sha256sum -c`` checks). It is written to a temporary name, read back and checked against
the sums, and only then given its name; only then is the folder removed (资料 000: 办结方能
退夹、归档). A folder that cannot be moved (a file open in Word) is left whole as it is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from automation import paths
from automation.errors import WriteFailed
from automation.models import Item

MANIFEST = "归档清单.txt"
SUMS = "SHA256SUMS.txt"


@dataclass(frozen=True)
class Packed:
    """What packing did: the archive, how many files it holds, and whether the folder is gone."""

    target: Path
    files: int
    removed: bool


def manifest_text(
    item: Item, folder_name: str, files: list[tuple[str, int, str]], today: date
) -> str:
    """Return 归档清单.txt: the item's particulars, then one line per file (SHA-256, 大小, 文件)."""
    lines = [
        f"事项编号：{item.id}",
        f"事项内容：{item.content}",
        f"责任单位：{item.unit or item.unit_text}",
        f"督办人：{item.owner}",
        f"办结日期：{item.done_on.isoformat() if item.done_on else ''}",
        f"归档日期：{today.isoformat()}",
        f"文件夹：{folder_name}",
        f"文件数：{len(files)}",
        "",
        "SHA-256\t大小（字节）\t文件",
        *(f"{digest}\t{size}\t{name}" for name, size, digest in files),
        "",
    ]
    return "\r\n".join(lines)  # Notepad on older Windows shows \n-only files on one line


def pack(folder: Path, target: Path, item: Item, today: date) -> Packed:
    """Zip the folder with its manifest and sums, check it, then remove the folder."""
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        name = f"{folder.name}/{path.relative_to(folder).as_posix()}"
        files.append((name, path.stat().st_size, paths.file_sha256(path), path))
    listed = [(name, size, digest) for name, size, digest, _ in files]
    sums = "".join(f"{digest}  {name}\n" for name, _, digest in listed)
    tmp = target.with_name(f".{target.name}.tmp")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED, strict_timestamps=False) as z:
            for name, _, _, path in files:
                z.write(path, name)
            z.writestr(MANIFEST, manifest_text(item, folder.name, listed, today))
            z.writestr(SUMS, sums)
        verify(tmp)
        os.replace(tmp, target)
    except (OSError, zipfile.BadZipFile, ValueError) as e:
        tmp.unlink(missing_ok=True)
        raise WriteFailed(
            f"事项 {item.id} 归档失败（{e}），档案文件夹保持原样",
            "请检查磁盘空间和文件夹权限后重新运行 duban archive",
            path=str(target),
        ) from e
    return Packed(target, len(files), _remove(folder))


def _remove(folder: Path) -> bool:
    """Remove a packed folder whole or not at all: moved aside first, which fails while a file is open."""
    aside = folder.with_name(f".{folder.name}.已归档")
    try:
        os.rename(folder, aside)
    except OSError:
        return False
    shutil.rmtree(aside, ignore_errors=True)
    return True


def verify(archive: Path) -> None:
    """Check every member listed in SHA256SUMS.txt against its sum; raise ValueError on a mismatch."""
    with zipfile.ZipFile(archive) as z:
        listed = {}
        for line in z.read(SUMS).decode("utf-8").splitlines():
            digest, _, name = line.partition("  ")
            listed[name] = digest
        members = {n for n in z.namelist() if n not in (MANIFEST, SUMS)}
        if members != set(listed):
            raise ValueError("归档文件中的文件与清单不一致")
        for name, digest in listed.items():
            sha = hashlib.sha256()
            with z.open(name) as member:
                while chunk := member.read(1 << 20):
                    sha.update(chunk)
            if sha.hexdigest() != digest:
                raise ValueError(f"“{name}”的校验值不符")
