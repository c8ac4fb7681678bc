"""文号 (document numbers): ``督办〔2026〕12号`` — the format, parsing, and reserving the next one.

Numbers are per letter type and year. The next number is reserved in the history
database (``History.reserve_doc_no``, one SQLite transaction, so two overlapping runs
never get the same number) and is always above every number 发文登记 already holds:
numbers staff registered by hand are respected. A number reserved by a run that then
fails (the workbook changed, the disk filled) is simply skipped, never handed out again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from automation import schema
from automation.history import History
from automation.models import Letter
from automation.schema import LetterType
from automation.settings import Settings

# 〔〕 is the standard; staff also type [], ［］, () or （） and zero-padded numbers.
_DOC_NO = re.compile(
    r"^\s*(?P<prefix>.*?)\s*[〔\[［(（]\s*(?P<year>\d{4})\s*[〕\]］)）]\s*第?\s*(?P<seq>\d+)\s*号\s*$"
)


def format_doc_no(prefix: str, year: int, seq: int) -> str:
    """Return a 文号 such as 督办〔2026〕12号 (〔〕 brackets, no leading zeros)."""
    return f"{prefix}〔{year}〕{int(seq)}号"


def blank_number(doc_no: str) -> str:
    """Return a 文号 with its number left blank, as a 送审稿 shows it: 督办〔2026〕 号.

    Anything that is not a 文号 (already blank, or empty) is returned as it is.
    """
    parsed = parse_doc_no(doc_no)
    return f"{parsed[0]}〔{parsed[1]}〕 号" if parsed else doc_no


def parse_doc_no(text: str) -> tuple[str, int, int] | None:
    """Split a 文号 into (prefix, year, number); None when it does not look like one."""
    m = _DOC_NO.match(str(text or ""))
    if not m:
        return None
    return m.group("prefix"), int(m.group("year")), int(m.group("seq"))


def prefix_for(letter_type: str, settings: Settings) -> str:
    """Return the 文号 prefix of a letter type from 参数设置 (its default when left blank)."""
    return str(getattr(settings, schema.LETTERS[LetterType(letter_type)].prefix_key))


def highest_registered(letters: Iterable[Letter], prefix: str, year: int) -> int:
    """Return the highest number with this prefix and year among registered letters (0 if none)."""
    highest = 0
    for letter in letters:
        parsed = parse_doc_no(letter.doc_no)
        if parsed and parsed[0] == prefix and parsed[1] == year:
            highest = max(highest, parsed[2])
    return highest


def reserve(
    history: History, letter_type: str, prefix: str, year: int, registered: Iterable[Letter]
) -> tuple[int, str]:
    """Reserve the next number of a type and year; return (number, 文号)."""
    seq = history.reserve_doc_no(
        letter_type, year, at_least=highest_registered(registered, prefix, year)
    )
    return seq, format_doc_no(prefix, year, seq)
