"""文号: format, parse, and reservation that never repeats, across processes and failed runs."""

from __future__ import annotations

import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from automation.history import History
from automation.letters.docnumber import (
    format_doc_no,
    highest_registered,
    parse_doc_no,
    prefix_for,
    reserve,
)
from automation.models import Letter
from automation.settings import Settings

ROOT = Path(__file__).resolve().parent.parent


def test_format_uses_hexagonal_brackets_and_no_leading_zeros():
    assert format_doc_no("督办", 2026, 12) == "督办〔2026〕12号"
    assert format_doc_no("催办", 2026, 7) == "催办〔2026〕7号"
    assert format_doc_no("督查通报", 2027, 101) == "督查通报〔2027〕101号"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("督办〔2026〕12号", ("督办", 2026, 12)),
        ("督办[2026]012号", ("督办", 2026, 12)),
        (" 催办（2026）第3号 ", ("催办", 2026, 3)),
        ("督改［2025］1号", ("督改", 2025, 1)),
        ("县政府常务会议纪要", None),
        ("督办〔26〕1号", None),
        ("", None),
    ],
)
def test_parse_accepts_what_staff_type(text, expected):
    assert parse_doc_no(text) == expected


def test_prefix_comes_from_settings_with_the_default_when_blank():
    assert prefix_for("催办函", Settings()) == "催办"
    assert prefix_for("催办函", Settings(prefix_reminder="县督催")) == "县督催"
    assert prefix_for("限期整改通知书", Settings(prefix_reminder="县督催")) == "督改"


def test_highest_registered_counts_only_the_same_prefix_and_year():
    letters = [
        Letter("催办〔2026〕7号", "催办函", date(2026, 5, 1)),
        Letter("催办〔2025〕40号", "催办函", date(2025, 12, 1)),
        Letter("督办〔2026〕90号", "督办通知单", date(2026, 5, 1)),
        Letter("手写文号", "催办函", date(2026, 5, 1)),
    ]
    assert highest_registered(letters, "催办", 2026) == 7
    assert highest_registered(letters, "督改", 2026) == 0


def test_reserve_continues_above_the_register_and_restarts_each_year(tmp_path):
    registered = [Letter("催办〔2026〕7号", "催办函", date(2026, 5, 1))]
    with History(tmp_path / "台账.xlsx") as history:
        assert reserve(history, "催办函", "催办", 2026, registered) == (8, "催办〔2026〕8号")
        assert reserve(history, "催办函", "催办", 2026, registered) == (9, "催办〔2026〕9号")
        assert reserve(history, "督办通知单", "督办", 2026, registered) == (1, "督办〔2026〕1号")
        assert reserve(history, "催办函", "催办", 2027, registered) == (1, "催办〔2027〕1号")


def test_a_number_reserved_by_a_failed_run_is_skipped_not_reused(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    with History(ledger) as history:
        assert reserve(history, "催办函", "催办", 2026, []) == (1, "催办〔2026〕1号")
    # The run dies here: no letter recorded, nothing in 发文登记. The next run goes on.
    with History(ledger) as history:
        assert reserve(history, "催办函", "催办", 2026, []) == (2, "催办〔2026〕2号")


WORKER = """
import sys
from pathlib import Path
sys.path.insert(0, {root!r})
from automation.letters.docnumber import reserve
from automation.history import History
with History(Path(sys.argv[1])) as history:
    for _ in range(int(sys.argv[2])):
        print(reserve(history, "催办函", "催办", 2026, [])[1], flush=True)
"""


def test_concurrent_processes_never_get_the_same_number(tmp_path):
    ledger = tmp_path / "台账.xlsx"
    script = tmp_path / "worker.py"
    script.write_text(WORKER.format(root=str(ROOT)), encoding="utf-8")
    per_process, processes = 25, 4
    running = [
        subprocess.Popen(
            [sys.executable, str(script), str(ledger), str(per_process)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    numbers = []
    for p in running:
        out, _ = p.communicate(timeout=120)
        assert p.returncode == 0
        numbers += out.split()
    assert len(numbers) == per_process * processes
    assert len(set(numbers)) == len(numbers)
    assert sorted(numbers) == sorted(
        f"催办〔2026〕{n}号" for n in range(1, per_process * processes + 1)
    )
