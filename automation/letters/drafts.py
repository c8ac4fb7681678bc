"""送审稿 files: where they go, written without replacing another, and an edited one made final.

A 送审稿 goes to ``输出/<date>/送审稿/<unit>-<type>-送审稿.docx`` (one folder to print for
审定); a second one of the same unit, type and day is ``…-送审稿2.docx`` — files are created
exclusively, so two drafts, or two runs, never overwrite each other.

When staff edited a 送审稿 in Word or WPS after duban wrote it (a leader's corrections), the
final letter is made from their file rather than rendered again (``finalize``): the 送审稿
mark leaves the header and the blank 文号 is filled in wherever it appears; every other
edit is kept as they made it.
"""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from collections.abc import Container
from datetime import date
from pathlib import Path

from lxml import etree

from automation import paths
from automation.errors import WriteFailed
from automation.letters.docx_render import DRAFT_MARK, letter_prefix
from automation.letters.selection import ALL_UNITS

DRAFT_DIR = "送审稿"
MAX_SAME_NAME = 999
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_T, _P = f"{{{_W}}}t", f"{{{_W}}}p"
_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_TEXT_PARTS = re.compile(r"word/(document|header\d*|footer\d*|duban-draft-header)\.xml")
_HEADER_PART = re.compile(r"word/(header\d*|duban-draft-header)\.xml")
_SIGNER = re.compile(r"签发人[:：][ \u3000]*$")
_BLANK = re.compile(r"^(?P<prefix>.*?)〔(?P<year>\d{4})〕\s*号$")


def digest(data: bytes) -> str:
    """Return the SHA-256 of a file's bytes (tells a 送审稿 staff edited from the one written)."""
    return hashlib.sha256(data).hexdigest()


def draft_folder(ledger: Path, day: date) -> Path:
    """Return the folder of a day's 送审稿: ``输出/<date>/送审稿/`` beside the ledger."""
    return paths.day_folder(ledger, day, DRAFT_DIR)


def write_draft(
    ledger: Path,
    day: date,
    letter_type: str,
    unit: str,
    data: bytes,
    taken: Container[str] = (),
) -> Path:
    """Write a 送审稿 under a name no other file has; return its path.

    ``taken`` are files (relative to the ledger's folder, as 发文登记 names them) that must
    not be reused even when they are gone: a deleted 送审稿's row still names its file.
    """
    folder = draft_folder(ledger, day)
    base = paths.ledger_folder(ledger)
    stem = f"{letter_prefix(unit or ALL_UNITS, letter_type)}{DRAFT_MARK}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for n in range(1, MAX_SAME_NAME + 1):
            path = folder / f"{stem}{n if n > 1 else ''}.docx"
            if path.relative_to(base).as_posix() in taken:
                continue
            try:
                with path.open("xb") as f:
                    f.write(data)
                return path
            except FileExistsError:
                continue
    except OSError as e:
        raise WriteFailed(
            f"无法写入送审稿（{e.strerror or e}）",
            "请检查输出文件夹是否可写、磁盘是否已满",
            path=str(folder),
        ) from e
    raise WriteFailed(
        f"同名送审稿已有 {MAX_SAME_NAME} 份，无法再生成",
        "请清理该文件夹中不需要的送审稿后重试",
        path=str(folder),
    )


def finalize(data: bytes, blank: str, doc_no: str, signer: str = "") -> bytes:
    """Make an edited 送审稿 final: no 送审稿 mark, the blank 文号 ``blank`` filled with ``doc_no``
    (and an empty 签发人： of a report upward filled with ``signer``).

    Raise ValueError (Chinese) when the file holds no blank 文号 to fill (staff removed it).
    """
    m = _BLANK.match(blank)
    if not m:
        raise ValueError(f"“{blank}”不是空白文号")
    pattern = re.compile(re.escape(m.group("prefix")) + rf"\s*〔\s*{m.group('year')}\s*〕\s*号")
    try:
        source = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as e:
        raise ValueError("送审稿不是有效的 Word 文件") from e
    filled = 0
    out = io.BytesIO()
    with source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            part = source.read(info)
            if _TEXT_PARTS.fullmatch(info.filename):
                root = etree.fromstring(part)
                if _HEADER_PART.fullmatch(info.filename):
                    _drop_mark(root)
                for paragraph in root.iter(_P):
                    filled += _fill(paragraph, pattern, doc_no)
                    if signer:
                        _fill(paragraph, _SIGNER, f"签发人：{signer}")
                part = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
            target.writestr(info, part)
    if not filled:
        raise ValueError(f"送审稿中找不到空白文号“{blank}”")
    return out.getvalue()


def _drop_mark(header) -> None:
    """Empty a header whose whole text is the 送审稿 mark (Word may have renamed its part)."""
    nodes = list(header.iter(_T))
    if "".join(t.text or "" for t in nodes).strip() == DRAFT_MARK:
        for t in nodes:
            t.text = ""


def _fill(paragraph, pattern: re.Pattern[str], new: str) -> int:
    """Replace each match of ``pattern`` in a paragraph's text, even across runs; return how many."""
    count = 0
    for _ in range(20):  # a 文号 appears a few times at most; never loop on odd input
        nodes = list(paragraph.iter(_T))
        m = pattern.search("".join(t.text or "" for t in nodes))
        if not m:
            break
        start, end = m.span()
        position, written = 0, False
        for t in nodes:
            text = t.text or ""
            first, last = position, position + len(text)
            position = last
            if last <= start or first >= end:
                continue
            lo, hi = max(start, first) - first, min(end, last) - first
            t.text = text[:lo] + ("" if written else new) + text[hi:]
            t.set(_SPACE, "preserve")
            written = True
        count += 1
    return count
