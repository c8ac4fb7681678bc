"""A non-editable install (what a Windows office gets from `pip install .`) carries templates and macros."""

import subprocess
import sys
import zipfile
from pathlib import Path

from test_offline_installers import load_script

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_carries_templates_and_macros_and_the_installed_code_finds_them(tmp_path):
    # The offline bundle's own builder: it builds from a clean copy of the source, as
    # setuptools reuses an in-tree build/ folder whose stale modules would end in the wheel.
    wheel = load_script(ROOT / "scripts" / "build_offline.py").build_duban_wheel(tmp_path / "dist")
    names = set(zipfile.ZipFile(wheel).namelist())
    shipped = {
        f"automation/templates/{p.name}" for p in (ROOT / "templates").iterdir() if p.is_file()
    }
    shipped |= {
        f"automation/macros/{p.name}"
        for p in (ROOT / "macros").iterdir()
        if p.is_file() and p.name != ".gitattributes"
    }
    assert shipped <= names, sorted(shipped - names)

    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    probe = (
        "from automation import dashboard; from automation.letters import docx_render;"
        "from automation.workbooks import vba;"
        "print(docx_render.find_template('催办函.docx'));"
        "print(vba.MACROS_DIR); print(dashboard.TEMPLATE_DIR)"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=tmp_path, env={"PYTHONPATH": str(site)},
        capture_output=True, text=True, check=True,
    ).stdout.split("\n")  # fmt: skip
    assert out[0] == str(site / "automation" / "templates" / "催办函.docx")
    assert out[1] == str(site / "automation" / "macros")
    assert out[2] == str(site / "automation" / "templates")
