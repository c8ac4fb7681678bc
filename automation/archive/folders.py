"""The item folders in 事项档案/ (docs/rules.md §13): found by 编号, renamed, filled, listed.

Nothing here deletes or overwrites a file: a copy whose name is taken by a different file
gets ``（2）`` before its extension; a folder that cannot be renamed keeps its name.
"""

from __future__ import annotations

import html
import os
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from urllib.parse import quote

from automation import paths, schema
from automation.archive import naming
from automation.archive.register import FiledDoc
from automation.models import Item, Ledger, Problem
from automation.schema import DocKind
from automation.xlsx.cellxml import column_letters as get_column_letter

# 佐证材料 is free text: a part is taken for a file only when it looks like one (a folder
# separator, or an extension such as .jpg), so "现场照片" stays a description.
_PATH_LIKE = re.compile(r"[/\\]|\.[A-Za-z0-9]{1,5}$")
_PARTS = re.compile(r"[\n;；|]+")


# --- the cabinet ---------------------------------------------------------------------------


class Cabinet:
    """The 事项档案 folder of one ledger: its item folders and the archives already packed."""

    def __init__(self, ledger_path: Path):
        self.ledger_folder = Path(ledger_path).parent
        self.root = naming.archive_root(ledger_path)
        self.names: list[str] = []
        self.zips: dict[str, list[Path]] = {}
        if self.root.is_dir():
            self.names = sorted(
                e.name
                for e in os.scandir(self.root)
                if e.is_dir() and e.name != naming.ARCHIVED and not e.name.startswith(".")
            )
            self._scan_zips(self.root / naming.ARCHIVED)
        self._by_key: dict[str, list[str]] = {}
        for name in self.names:
            self._by_key.setdefault(name.split(" ", 1)[0], []).append(name)

    def _scan_zips(self, archived: Path) -> None:
        if not archived.is_dir():
            return
        for year in sorted(os.scandir(archived), key=lambda e: e.name):
            if year.is_dir():
                for f in sorted(os.scandir(year.path), key=lambda e: e.name):
                    if f.is_file() and f.name.lower().endswith(".zip"):
                        self.zips.setdefault(naming.zip_key(f.name), []).append(Path(f.path))

    def find(self, item_id: str) -> str | None:
        """Return the name of the item's folder (the first, by name, whose 编号 matches), or None."""
        if not self.names:
            return None
        key = naming.id_part(item_id)
        near = self._by_key.get(key.split(" ", 1)[0], [])
        return next((n for n in near if naming.belongs_to(n, item_id)), None)

    def packed(self, item_id: str) -> list[Path]:
        """Return the item's archives (已归档/<年度>/<编号>.zip and later packs), oldest first."""
        return self.zips.get(naming.id_part(item_id), []) if self.zips else []

    def relative(self, path: Path) -> str:
        """Return a path inside the ledger's folder as the 档案 link writes it (forward slashes)."""
        return Path(path).relative_to(self.ledger_folder).as_posix()


# --- documents to file ---------------------------------------------------------------------


@dataclass(frozen=True)
class Filing:
    """A file (or folder of files) to put in an item's folder, and what the 目录 says of it."""

    item_id: str
    source: Path
    kind: str
    day: date | None
    origin: str
    doc_no: str = ""


def evidence_parts(text: str) -> list[str]:
    """Return the parts of a 佐证材料 cell that name files (one per line or per ；)."""
    return [p.strip() for p in _PARTS.split(text or "") if p.strip() and _PATH_LIKE.search(p)]


def resolve(ledger_folder: Path, typed: str) -> Path:
    """Return a path typed in the ledger: absolute as it is, else relative to the ledger's folder."""
    path = Path(typed.replace("\\", "/")) if "\\" in typed and os.sep == "/" else Path(typed)
    return path if path.is_absolute() else ledger_folder / path


def evidence_problems(ledger: Ledger, ledger_path: Path) -> list[Problem]:
    """Report each file named in 进展记录.佐证材料 that is not there (it cannot be filed)."""
    folder = Path(ledger_path).parent
    layout = ledger.layouts.get(schema.PROGRESS_LOG)
    column = layout.columns.get("evidence") if layout else None
    problems = []
    for feedback in ledger.feedback:
        for part in evidence_parts(feedback.evidence):
            if resolve(folder, part).exists():
                continue
            cell = f"{get_column_letter(column)}{feedback.row}" if column and feedback.row else ""
            problems.append(
                Problem(
                    layout.name if layout else schema.PROGRESS_LOG,
                    cell,
                    f"佐证材料“{part}”找不到文件，未能放入事项 {feedback.item_id} 的档案文件夹",
                    "请把文件放到台账所在文件夹（或填写完整路径）后重新刷新；只是文字说明的，不要写成文件名",
                )
            )
    return problems


def evidence_filings(ledger: Ledger, ledger_path: Path) -> list[Filing]:
    """Return the 进展记录.佐证材料 files that exist, each for its item's folder."""
    folder = Path(ledger_path).parent
    found = []
    for feedback in ledger.feedback:
        for part in evidence_parts(feedback.evidence):
            source = resolve(folder, part)
            if source.exists():
                found.append(
                    Filing(
                        feedback.item_id.strip(), source, str(DocKind.EVIDENCE), feedback.date, part
                    )
                )
    return found


# --- filling a folder ----------------------------------------------------------------------


def same_file(a: Path, b: Path) -> bool:
    """Tell whether two files have the same content."""
    if a.stat().st_size != b.stat().st_size:
        return False
    return paths.file_sha256(a) == paths.file_sha256(b)


def copy_into(folder: Path, source: Path) -> str:
    """Copy a file (or a folder's files) into folder; return its name there. Never overwrites."""
    target = folder / source.name
    n = 2
    while target.exists():
        if source.is_file() and target.is_file() and same_file(source, target):
            return target.name  # already there (staff put it there, or an earlier run)
        target = folder / f"{source.stem}（{n}）{source.suffix}"
        n += 1
    if source.is_dir():
        shutil.copytree(source, target)
    else:
        shutil.copy2(source, target)
    return target.name


# --- 目录.html -----------------------------------------------------------------------------


def catalog_rows(folder: Path, docs: Sequence[FiledDoc]) -> list[tuple[str, str, str, str]]:
    """Return (日期, 类型, 文号, file) for every file in the folder, duban's and staff's alike."""
    known = {d.name: d for d in docs}
    rows = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative == naming.CATALOG:
            continue
        top = relative.split("/", 1)[0]
        doc = known.get(relative) or known.get(top)
        if doc is not None:
            day, kind, doc_no = doc.day, doc.kind, doc.doc_no
        else:
            day, kind, doc_no = date.fromtimestamp(path.stat().st_mtime), str(DocKind.OTHER), ""
        rows.append((day.isoformat() if day else "", kind, doc_no, relative))
    rows.sort(key=lambda r: (r[0] or "9999", r[3]))
    return rows


def catalog_html(item: Item, rows: Iterable[tuple[str, str, str, str]]) -> str:
    """Return 目录.html: the item, then one line per document with a link to it."""
    e = html.escape
    lines = [
        f"<tr><td>{n}</td><td>{e(day)}</td><td>{e(kind)}</td><td>{e(doc_no)}</td>"
        f'<td><a href="{e(quote(name))}">{e(name)}</a></td></tr>'
        for n, (day, kind, doc_no, name) in enumerate(rows, start=1)
    ]
    body = "\n".join(lines) or '<tr><td colspan="5">（文件夹中尚无文件）</td></tr>'
    return f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>{e(item.id)} 档案目录</title>
<style>body{{font-family:"Microsoft YaHei","Noto Sans CJK SC",sans-serif;margin:2em}}
table{{border-collapse:collapse}}td,th{{border:1px solid #999;padding:.3em .6em;text-align:left}}</style>
</head><body>
<h1>{e(item.id)} 档案目录</h1>
<p>事项内容：{e(item.content)}<br>责任单位：{e(item.unit or item.unit_text)}<br>督办人：{e(item.owner)}</p>
<table><tr><th>序号</th><th>日期</th><th>类型</th><th>文号</th><th>文件</th></tr>
{body}
</table>
<p>本目录由 duban 在每次刷新时按文件夹内容更新；放入本文件夹的其他材料也会列出（类型为“其他材料”，日期为文件修改日期）。</p>
</body></html>
"""


def write_catalog(folder: Path, item: Item, docs: Sequence[FiledDoc]) -> bool:
    """Write 目录.html when its content changed; return whether it was written."""
    text = catalog_html(item, catalog_rows(folder, docs))
    path = folder / naming.CATALOG
    try:
        if path.read_text(encoding="utf-8") == text:
            return False
    except OSError:
        pass
    tmp = path.with_name(f".{naming.CATALOG}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return True
