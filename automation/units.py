"""One resolver for a unit named on the command line (``--unit``), by name or alias."""

from __future__ import annotations

from automation.errors import UsageError
from automation.ledger.normalize import UnitMatcher, did_you_mean, squeeze, suggest_from
from automation.models import Ledger


def resolve_unit(ledger: Ledger, text: str) -> str:
    """Return the canonical unit for a typed name or alias (spaces and 全角 ignored), or raise.

    Without a 责任单位 sheet, the units named in the ledger's items are the known names.
    """
    wanted = text.strip()
    matcher = UnitMatcher(ledger.units)
    if matcher:
        unit = matcher.match(wanted)
        if unit is not None:
            return unit
        near = matcher.suggest(wanted)
    else:
        named = sorted({i.unit for i in ledger.items if i.unit})
        by_key = {squeeze(n): n for n in named}
        if squeeze(wanted) in by_key:
            return by_key[squeeze(wanted)]
        near = suggest_from(wanted, named)
    raise UsageError(
        f"--unit：找不到单位“{wanted}”",
        f"{did_you_mean(near)}请填写“责任单位”表中的单位名称或别名",
    )
