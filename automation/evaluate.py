"""One evaluation of a ledger, used by every command: read, merge letters, compute, find edits.

``duban check``, ``refresh`` (and its ``--dry-run``), ``letters``, ``notify``, ``forms``,
``dashboard``, ``collect`` and the button all start here, so they cannot disagree about the
same ledger: the same letters (发文登记 and the history, once each), the same previous levels
(the ladder never goes down), the same staff edits in computed columns, the same problems.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from automation import gcpause, overwrites
from automation.archive import folders, lookback
from automation.history import History
from automation.ledger import reader
from automation.models import Item, ItemResult, Ledger, Letter, Outcome, Problem
from automation.rules import engine


@dataclass
class Evaluation:
    """A ledger as read and computed as of ``today``, with what the history adds to it."""

    path: Path  # the ledger file (outputs and the history live beside it)
    today: date
    ledger: Ledger
    outcome: Outcome
    letters: list[Letter] = field(default_factory=list)  # 发文登记 and history, once each
    previous_levels: dict[str | tuple[str, str], str] = field(default_factory=dict)
    previous_results: list[ItemResult] = field(default_factory=list)
    previous_at: datetime | None = None  # the latest recorded refresh
    notes: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        """Every problem found: the reader's, then the rules' and staff edits in computed columns."""
        return [*self.ledger.problems, *self.outcome.problems]

    def pairs(self) -> list[tuple[Item, ItemResult]]:
        """Return (item, result) pairs in ledger order."""
        return list(zip(self.ledger.items, self.outcome.results, strict=True))

    def with_letters(self, issued: Sequence[Letter]) -> None:
        """Recompute with letters issued by this run (escalation and 已催办次数 count them)."""
        if issued:
            self.letters = [*self.letters, *issued]
            self.outcome = self.recompute()

    def recompute(self) -> Outcome:
        """Compute the outcome afresh (after the ledger or letters changed in memory)."""
        outcome = engine.compute(
            self.ledger, self.today, letters=self.letters, previous_levels=self.previous_levels
        )
        # 回头看: a 反弹 reopens a finished item (docs/rules.md §15); 佐证材料 files must exist (§13.2).
        outcome.problems.extend(lookback.apply_rebounds(self.ledger, outcome))
        outcome.problems.extend(folders.evidence_problems(self.ledger, self.path))
        outcome.problems.extend(
            overwrites.staff_edits(
                self.ledger,
                outcome.results,
                previous=self.previous_results,
                previous_at=self.previous_at,
            )
        )
        return outcome


class Evaluated:
    """What a report built on an Evaluation shows of it (check, refresh): ledger, outcome, problems."""

    evaluation: Evaluation

    @property
    def ledger(self) -> Ledger:
        return self.evaluation.ledger

    @property
    def outcome(self) -> Outcome:
        return self.evaluation.outcome

    @property
    def problems(self) -> list[Problem]:
        return self.evaluation.problems


def evaluate(
    path: Path,
    today: date,
    history: History | None,
    *,
    read_from: Path | None = None,
) -> Evaluation:
    """Read and compute the ledger at ``path`` as of ``today``, with its history if given.

    ``read_from`` reads another copy of the same workbook (the button's snapshot of what
    Excel holds); the history and every output still belong to ``path``.
    """
    with gcpause.paused():
        return _evaluate(Path(path), today, history, read_from)


def _evaluate(
    path: Path, today: date, history: History | None, read_from: Path | None
) -> Evaluation:
    ledger = reader.read_ledger(Path(read_from or path), today=today)
    # A letter registered in 发文登记 and kept in the history counts once (by its 文号).
    letters: dict[object, Letter] = {
        letter.doc_no or ("row", i): letter for i, letter in enumerate(ledger.letters)
    }
    levels: dict[str | tuple[str, str], str] = {}
    previous_at: datetime | None = None
    previous: list[ItemResult] = []
    notes: list[str] = []
    if history is not None:
        for letter in history.letters():
            letters.setdefault(letter.doc_no, letter)
        levels = history.previous_levels()
        previous_at, previous = history.last_results()
        if history.reset_note:
            notes.append(history.reset_note)
    evaluation = Evaluation(
        path,
        today,
        ledger,
        Outcome(today),
        letters=list(letters.values()),
        previous_levels=levels,
        previous_results=previous,
        previous_at=previous_at,
        notes=notes,
    )
    evaluation.outcome = evaluation.recompute()
    return evaluation


def evaluate_readonly(path: Path, today: date, *, read_from: Path | None = None) -> Evaluation:
    """Evaluate with the history if the workbook has one, never creating it (check, notify…)."""
    history = History.if_present(path)
    try:
        return evaluate(path, today, history, read_from=read_from)
    finally:
        if history is not None:
            history.close()
