"""Where an item's folder and its archive live beside the ledger, and what they are called.

``事项档案/<编号> <事项内容 first 20 characters>/`` and, once packed,
``事项档案/已归档/<年度>/<编号>.zip`` (docs/rules.md §13.1). The 编号 decides: a folder is found
by its 编号 prefix whatever text follows, so a changed 事项内容 renames the folder and never
starts a second one.

The 编号 goes through the one file-name sanitiser (``paths.safe_filename``: a changed one
gets a short hash, so two 编号 never share a folder); in the 事项内容 part the characters
Windows refuses are written full-width instead, which keeps the text readable.
"""

from __future__ import annotations

import re
from pathlib import Path

from automation import paths

ARCHIVE = paths.ARCHIVE
ARCHIVED = "已归档"
CATALOG = "目录.html"
CONTENT_CHARS = 20
# A hyperlink reads "#" as a place inside a workbook and "%" as an escape: in a folder name
# they would break the 档案 link, so they are written full-width.
_URL_SYNTAX = str.maketrans({"#": "＃", "%": "％"})
_FULL_WIDTH = str.maketrans(
    {"/": "／", "\\": "＼", ":": "：", "*": "＊", "?": "？", '"': "＂", "<": "＜", ">": "＞",
     "|": "｜", "#": "＃", "%": "％"}
)  # fmt: skip
_LATER_PACK = re.compile(r"(.+)（\d+）")


def archive_root(ledger_path: Path) -> Path:
    """Return ``事项档案/`` beside the ledger."""
    return paths.archive_folder(ledger_path)


def archived_root(ledger_path: Path) -> Path:
    """Return ``事项档案/已归档/``, where packed folders go, one subfolder per year."""
    return archive_root(ledger_path) / ARCHIVED


def id_part(item_id: str) -> str:
    """Return the 编号 as the start of a file name; a changed one gets a short hash to stay unique."""
    return paths.safe_filename(str(item_id).strip().translate(_URL_SYNTAX))


def folder_name(item_id: str, content: str) -> str:
    """Return ``<编号> <事项内容 first 20 characters>``, safe on Windows and Linux."""
    text = " ".join(str(content).split())[:CONTENT_CHARS].translate(_FULL_WIDTH).rstrip(" .")
    return f"{id_part(item_id)} {paths.safe_filename(text)}" if text else id_part(item_id)


def belongs_to(name: str, item_id: str) -> bool:
    """Tell whether a folder name starts with the 编号 (exactly, or followed by a space)."""
    key = id_part(item_id)
    return name == key or name.startswith(key + " ")


def zip_name(item_id: str, n: int = 1) -> str:
    """Return ``<编号>.zip``, or ``<编号>（n）.zip`` for a later pack of the same item."""
    return f"{id_part(item_id)}.zip" if n == 1 else f"{id_part(item_id)}（{n}）.zip"


def zip_key(file_name: str) -> str:
    """Return the 编号 part of an archive's file name (``DB-1.zip`` and ``DB-1（2）.zip`` alike)."""
    stem = file_name[:-4] if file_name.lower().endswith(".zip") else file_name
    m = _LATER_PACK.fullmatch(stem)
    return m.group(1) if m else stem
