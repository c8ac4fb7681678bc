"""Shared fixtures: generic helpers only (a real LibreOffice converter, a `libreoffice` marker)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

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


@pytest.fixture(scope="session")
def soffice(tmp_path_factory) -> Callable[..., Path]:
    """Return convert(source, fmt, outdir=None) -> Path driving a real headless LibreOffice."""

    def convert(source: Path, fmt: str, outdir: Path | None = None) -> Path:
        return convert_with_soffice(Path(source), fmt, outdir or tmp_path_factory.mktemp("soffice"))

    return convert
