"""The commands a button press or the daily job runs do not import the heavy libraries.

openpyxl (with numpy when installed) and python-docx take about half a second to import on an
office PC; the refresh, check, notify and dashboard paths do not need them (column letters are
ours; letters import docxtpl when one is written). A module-level import slipped in by a new
feature shows here, not as a slower button.
"""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("openpyxl", "docx", "docxtpl", "numpy")
PATHS = (
    "automation.cli",
    "automation.refresh",
    "automation.check",
    "automation.mail.notify",
    "automation.dashboard",
    "automation.button",
)


def test_the_everyday_commands_import_no_heavy_library():
    code = (
        "import importlib, json, sys\n"
        f"for name in {PATHS!r}: importlib.import_module(name)\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == []


def test_writing_a_letter_still_finds_docxtpl():
    code = (
        "import sys\n"
        "from automation.letters import docx_render\n"
        "from automation.resources import TEMPLATE_DIR\n"
        "docx_render.LetterTemplate(next(TEMPLATE_DIR.glob('*.docx')))\n"
        "print('docxtpl' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "True"
