"""审定 before issue (docs/letters.md 审定): which letters need it, what 发文登记 says of each 送审稿.

Seed 004 has every document of a 督查室 "经……审定后印发". A letter that needs 审定 is written
as a 送审稿 (marked, its 文号 blank) and registered in 发文登记 as 待审定, without a number.
Staff set 状态 to 已审定 with 审定人 and 审定日期: the next refresh numbers it and writes the
final letter (row → 已发出). 退回 takes it out of the queue without a number.

- ``needs_review``: 文书须审定 = 是 sends every type through 审定; 否 only the 须审定文书.
- ``issued``: the one answer to "did this letter go out?" — for escalation, mail attachments
  and group robots alike (``Letter.issued``; ``issued_files`` finds their files).
- ``held``: the 送审稿 that stand for their letter today, so it is not drafted twice: one
  waiting (待审定) or approved but not yet numbered, and one sent back (退回) today. From the
  next day a letter sent back is drafted again if the ledger still calls for it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from automation.ledger.normalize import clean
from automation.letters.selection import (
    ALL_UNITS,
    RECEIPT_WORKDAYS,
    RECTIFY_WORKDAYS,
    REPLY_WORKDAYS,
    Draft,
    date_cn,
)
from automation.models import Ledger, Letter
from automation.rules.scoring import PERIOD_WORDS, period_containing
from automation.rules.workdays import WorkCalendar
from automation.schema import LetterState, LetterType
from automation.settings import YES, Settings

# Dates a letter counts from the day it is issued (the 送审稿 printed them from its own day).
_COUNTED_FROM_ISSUE = {
    "receipt_by": RECEIPT_WORKDAYS,
    "reply_by": REPLY_WORKDAYS,
    "new_deadline": RECTIFY_WORKDAYS,
}


def needs_review(letter_type: str, settings: Settings) -> bool:
    """Tell whether a letter of this type is drafted for 审定 before it is numbered and issued."""
    return settings.review_letters == YES or str(letter_type) in settings.review_types


def issued(letters: Iterable[Letter]) -> list[Letter]:
    """Return the letters that went out (``Letter.issued``): the only ones that count or are sent."""
    return [letter for letter in letters if letter.issued]


def issued_files(
    folder: Path,
    letters: Iterable[Letter],
    *,
    day: date,
    unit: str,
    letter_type: str,
) -> list[Path]:
    """Return the files of a unit's letters of a type issued on ``day`` (a PDF beside one too).

    ``folder`` is the ledger's folder (发文登记's 文件 is relative to it). Only issued letters
    are returned, so a 送审稿 is never attached to a mail or posted to a group.
    """
    found: list[Path] = []
    unit = clean(unit)  # 发文登记 is read NFKC-cleaned; this run's letters carry the name as typed
    for letter in issued(letters):
        if letter.date != day or clean(letter.unit) != unit or letter.type != letter_type:
            continue
        if not letter.file:
            continue
        path = Path(folder) / letter.file
        for candidate in (path, path.with_suffix(".pdf")):
            if candidate.is_file() and candidate not in found:
                found.append(candidate)
    return found


def ready_to_issue(letter: Letter) -> bool:
    """Tell whether a 发文登记 row is an approved 送审稿 to number now (审定人 and 审定日期 filled)."""
    return (
        letter.state == LetterState.APPROVED
        and not letter.doc_no
        and bool(letter.reviewer)
        and letter.reviewed_on is not None
    )


def sent_back(letters: Iterable[Letter]) -> list[Letter]:
    """Return the 送审稿 marked 退回."""
    return [letter for letter in letters if letter.state == LetterState.REJECTED]


def held(
    letters: Sequence[Letter], today: date, decided: Mapping[str, date | None] | None = None
) -> list[Letter]:
    """Return the 送审稿 that stand for their letter today (see the module docstring).

    ``decided`` maps a draft file to the day a run first saw it sent back; a 退回 not seen
    before is being seen today.
    """
    decided = decided or {}
    out = []
    for letter in letters:
        if letter.issued:
            continue
        if letter.state in (LetterState.PENDING, LetterState.APPROVED):
            out.append(letter)
        elif letter.state == LetterState.REJECTED:
            if (decided.get(letter.file) or today) == today:
                out.append(letter)
    return out


def not_held(
    drafts: Sequence[Draft], held: Sequence[Letter], ledger: Ledger, today: date
) -> list[Draft]:
    """Drop the letters a held 送审稿 already stands for (see the module docstring).

    A unit with a held 送审稿 of a type gets no other of that type, an item with a held
    督办通知单 no other notice, and a scoring period with a held 督查通报 no other bulletin.
    """
    period = period_containing(today, PERIOD_WORDS[ledger.settings.score_period])
    held = [
        h for h in held if h.type != LetterType.BULLETIN or period.start <= h.date <= period.end
    ]
    return [d for d in drafts if not _stands_for(held, d)]


def _stands_for(held: Sequence[Letter], draft: Draft) -> bool:
    for letter in held:
        if letter.type != draft.type:
            continue
        if draft.type == LetterType.BULLETIN:
            return True
        if draft.type == LetterType.NOTICE:
            if {i.strip() for i in letter.item_ids} & set(draft.item_ids):
                return True
        elif clean(letter.unit) == clean(draft.unit or ALL_UNITS):
            return True
    return False


def restamp(context: Mapping[str, object], day: date, cal: WorkCalendar) -> dict:
    """Date a 送审稿's values for the day it is issued: 成文日期 and the deadlines counted from it.

    Everything else (the items, their days overdue, the text) stays as it was approved.
    """
    out = dict(context)
    out["date_cn"] = date_cn(day)
    for key, workdays in _COUNTED_FROM_ISSUE.items():
        if key in out:
            out[key] = date_cn(cal.add_workdays(day, workdays))
    return out
