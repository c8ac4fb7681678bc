"""The folders and files duban keeps beside a ledger, and the file names it makes from ledger text.

Everything lives in the ledger's folder, so moving the folder moves it all::

    <folder>/台账.xlsx                the ledger (any name)
    <folder>/duban.toml               SMTP settings (secrets never live in the workbook)
    <folder>/模板/                    an office's own letter templates (win over the built-in ones)
    <folder>/输出/看板.html            the dashboard
    <folder>/输出/<date>/<kind>/      a day's letters (one folder per type), 反馈表, 邮件
    <folder>/事项档案/                 per-item archives
    <folder>/.duban/                  what staff never open: history.sqlite, logs/, backups/,
                                      forms-key.json, button-errors.log

File names made from what staff typed (a unit, a 文号) go through ``safe_filename``: valid
on Windows and Linux, short enough for any file system, and different for different texts.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from datetime import date
from pathlib import Path

OUTPUT = "输出"
STATE = ".duban"
TEMPLATES = "模板"
ARCHIVE = "事项档案"
CONFIG = "duban.toml"
DASHBOARD = "看板.html"
HISTORY_DB = "history.sqlite"
LOGS = "logs"
BACKUPS = "backups"
FORMS_KEY = "forms-key.json"
BUTTON_LOG = "button-errors.log"
# Kinds of a day's output folder besides the letter types (schema.LETTER_TYPES).
FORMS = "反馈表"
MAIL = "邮件"

# One name taken from ledger text, in UTF-8 bytes: 40 Chinese characters. A letter's name is
# unit + type + 文号 (each within this) + extension, well under the 255 bytes ext4, NTFS (in
# UTF-16 units) and most other file systems allow; the whole path of a letter stays near 100
# characters below the folder, under Windows' 260 for any ordinary ledger folder.
NAME_BYTES = 120
HASH_CHARS = 8
# Windows refuses these characters in names; the others cannot be encoded (lone surrogates,
# noncharacters) or are control characters no file manager shows.
_FORBIDDEN = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]')
# Windows reserves these device names with any extension ("con.txt", "con .txt"), in any case.
_DEVICE = re.compile(r"(?:CON|PRN|AUX|NUL|COM[0-9¹²³]|LPT[0-9¹²³]) *(?:\..*)?", re.IGNORECASE)


# --- folders ------------------------------------------------------------------------------


def ledger_folder(ledger: Path) -> Path:
    """Return the folder the ledger is in, which holds everything else."""
    return Path(ledger).parent


def output_folder(ledger: Path) -> Path:
    """Return ``输出/`` beside the ledger."""
    return ledger_folder(ledger) / OUTPUT


def day_folder(ledger: Path, day: date, kind: str) -> Path:
    """Return ``输出/<date>/<kind>/``: a day's letters of one type, its forms or its mails."""
    return output_folder(ledger) / day.isoformat() / safe_filename(kind)


def dashboard_file(ledger: Path) -> Path:
    """Return ``输出/看板.html``."""
    return output_folder(ledger) / DASHBOARD


def state_folder(ledger: Path) -> Path:
    """Return ``.duban/``, the folder staff never need to open."""
    return ledger_folder(ledger) / STATE


def history_db(ledger: Path) -> Path:
    """Return ``.duban/history.sqlite`` (refresh history, document numbers, send log)."""
    return state_folder(ledger) / HISTORY_DB


def logs_folder(ledger: Path) -> Path:
    """Return ``.duban/logs/``."""
    return state_folder(ledger) / LOGS


def backups_folder(ledger: Path) -> Path:
    """Return ``.duban/backups/``."""
    return state_folder(ledger) / BACKUPS


def forms_key_file(ledger: Path) -> Path:
    """Return ``.duban/forms-key.json``, the feedback forms' signing key."""
    return state_folder(ledger) / FORMS_KEY


def button_log(ledger: Path) -> Path:
    """Return ``.duban/button-errors.log``, where the workbook button logs what went wrong."""
    return state_folder(ledger) / BUTTON_LOG


def templates_folder(ledger: Path) -> Path:
    """Return ``模板/``, where an office keeps its own letter templates."""
    return ledger_folder(ledger) / TEMPLATES


def archive_folder(ledger: Path) -> Path:
    """Return ``事项档案/``."""
    return ledger_folder(ledger) / ARCHIVE


def config_file(ledger: Path) -> Path:
    """Return ``duban.toml`` beside the ledger."""
    return ledger_folder(ledger) / CONFIG


# --- file names ---------------------------------------------------------------------------


def safe_filename(text: str, *, max_bytes: int = NAME_BYTES) -> str:
    """Return text as a file name (without extension) valid on Windows and Linux.

    A text that is already a good name is kept as it is. Any other (forbidden characters,
    a device name, too long, empty) is made good and gets ``~`` and a short hash of the
    original text, so two units whose names differ only in what had to change still get
    two files.
    """
    original = str(text).strip()
    name = _FORBIDDEN.sub("_", original).strip(" .")
    if _DEVICE.fullmatch(name):
        name = f"_{name}"
    if name == original and name and _fits(name, max_bytes):
        return name
    return _with_hash(original, name, max_bytes)


def distinct_filenames(texts: Iterable[str], *, max_bytes: int = NAME_BYTES) -> dict[str, str]:
    """Return ``safe_filename`` of each text, hashed also where two would be one file on Windows.

    Windows (and macOS) compare names case-insensitively: "ABC局" and "abc局" are one file there.
    """
    names = {text: safe_filename(text, max_bytes=max_bytes) for text in texts}
    counts = Counter(_folded(name) for name in names.values())
    return {
        text: name if counts[_folded(name)] == 1 else _with_hash(str(text).strip(), name, max_bytes)
        for text, name in names.items()
    }


def _with_hash(original: str, name: str, max_bytes: int) -> str:
    digest = hashlib.sha256(original.encode("utf-8", "surrogatepass")).hexdigest()[:HASH_CHARS]
    if name.endswith(f"~{digest}"):
        return name
    head = _cut(name, max_bytes - 1 - HASH_CHARS).rstrip(" .")
    return f"{head or '未命名'}~{digest}"


def _fits(name: str, max_bytes: int) -> bool:
    return len(name.encode("utf-8")) <= max_bytes


def _cut(name: str, max_bytes: int) -> str:
    """Return the longest start of name within max_bytes of UTF-8, cut between characters."""
    data = name.encode("utf-8")
    if len(data) <= max_bytes:
        return name
    return data[: max(0, max_bytes)].decode("utf-8", "ignore")


def _folded(name: str) -> str:
    return unicodedata.normalize("NFC", name).casefold()


def file_sha256(path: Path) -> str:
    """Return the SHA-256 of a file's bytes (hex), read in 1 MB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()
