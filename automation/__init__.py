"""duban — 督办台账自动化: keep the 督查室's Excel ledger, add refresh, letters, mail and a dashboard."""

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _distribution_version
from pathlib import Path


def _version() -> str:
    """Return duban's version: pyproject.toml's, as installed, or read from a source checkout."""
    try:
        return _distribution_version("duban")
    except PackageNotFoundError:  # a source folder on PYTHONPATH (the button's PYTHONPATH setting)
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["version"]
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "0+unknown"


__version__ = _version()
