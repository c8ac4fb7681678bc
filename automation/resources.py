"""Where the shipped files are: letter and dashboard templates, and the macros.

In a source checkout they are the top-level ``templates/`` and ``macros/`` folders; an
installed wheel carries the same folders inside the package (see pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """Return the folder of shipped files called ``name`` ("templates" or "macros")."""
    installed = _PACKAGE / name
    return installed if installed.is_dir() else _PACKAGE.parent / name


TEMPLATE_DIR = resource_dir("templates")
MACROS_DIR = resource_dir("macros")
