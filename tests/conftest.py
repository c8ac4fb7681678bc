"""Shared fixtures: generic helpers only (real headless LibreOffice: convert, run a macro; a marker)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
SOFFICE_TIMEOUT = 180


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "libreoffice: drives a real headless LibreOffice (skipped when soffice is absent)",
    )


def pytest_collection_modifyitems(config, items):
    if SOFFICE:
        return
    skip = pytest.mark.skip(reason="LibreOffice (soffice) is not installed; run `make sysdeps`")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)


def convert_with_soffice(source: Path, fmt: str, outdir: Path) -> Path:
    """Convert source to fmt (e.g. "xlsx", "csv", "pdf") with headless LibreOffice into outdir.

    Each call gets its own throwaway profile so parallel runs never share a user installation.
    """
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    outdir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="duban-lo-profile-") as profile:
        completed = subprocess.run(
            [
                SOFFICE,
                f"-env:UserInstallation={Path(profile).as_uri()}",
                "--headless",
                "--norestore",
                "--convert-to",
                fmt,
                "--outdir",
                str(outdir),
                str(source),
            ],
            capture_output=True,
            text=True,
            timeout=SOFFICE_TIMEOUT,
        )
    target = outdir / f"{source.stem}.{fmt.split(':')[0]}"
    if completed.returncode != 0 or not target.exists():
        raise AssertionError(
            f"LibreOffice could not convert {source} to {fmt}:\n{completed.stdout}\n{completed.stderr}"
        )
    return target


BASIC_MODULE = """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE script:module PUBLIC "-//OpenOffice.org//DTD OfficeDocument 1.0//EN" "module.dtd">
<script:module xmlns:script="http://openoffice.org/2000/script" script:name="Module1" \
script:language="StarBasic">{code}</script:module>
"""


def run_basic_macro(code: str, sub: str, *args: str) -> None:
    """Run a StarBasic Sub (from code) with string args in a headless LibreOffice, own profile.

    For what only LibreOffice's own view can tell (e.g. frozen panes, which a headless
    --convert-to drops). The Sub should end with ``StarDesktop.terminate()``.
    """
    if not SOFFICE:
        pytest.skip("LibreOffice (soffice) is not installed")
    with tempfile.TemporaryDirectory(prefix="duban-lo-profile-") as profile:
        env = f"-env:UserInstallation={Path(profile).as_uri()}"
        base = [SOFFICE, env, "--headless", "--invisible", "--norestore"]
        subprocess.run(
            [*base, "--terminate_after_init"], capture_output=True, timeout=SOFFICE_TIMEOUT
        )
        module = Path(profile) / "user" / "basic" / "Standard" / "Module1.xba"
        if not module.exists():
            raise AssertionError(f"LibreOffice did not create its user profile in {profile}")
        module.write_text(BASIC_MODULE.format(code=escape(code)), encoding="utf-8")
        quoted = ",".join(f'"{a}"' for a in args)
        completed = subprocess.run(
            [*base, f"macro:///Standard.Module1.{sub}({quoted})"],
            capture_output=True,
            text=True,
            timeout=SOFFICE_TIMEOUT,
        )
    if completed.returncode != 0:
        raise AssertionError(
            f"LibreOffice macro {sub} failed:\n{completed.stdout}\n{completed.stderr}"
        )


@pytest.fixture(scope="session")
def soffice_macro() -> Callable[..., None]:
    """Return run(code, sub, *args) running a StarBasic Sub in a real headless LibreOffice."""
    return run_basic_macro


@pytest.fixture(scope="session")
def soffice(tmp_path_factory) -> Callable[..., Path]:
    """Return convert(source, fmt, outdir=None) -> Path driving a real headless LibreOffice."""

    def convert(source: Path, fmt: str, outdir: Path | None = None) -> Path:
        return convert_with_soffice(Path(source), fmt, outdir or tmp_path_factory.mktemp("soffice"))

    return convert
