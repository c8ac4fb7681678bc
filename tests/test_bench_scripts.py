"""Every benchmark script still imports what it measures (they run outside the test suite)."""

import runpy
from pathlib import Path

import pytest

BENCH = sorted((Path(__file__).resolve().parent.parent / "bench").glob("*.py"))


def test_there_are_benchmarks():
    assert {p.stem for p in BENCH} >= {
        "refresh",
        "check",
        "letters",
        "notify",
        "dashboard",
        "collect",
    }


@pytest.mark.parametrize("script", BENCH, ids=lambda p: p.name)
def test_benchmark_script_loads(script):
    # Runs the module's top level (imports, helpers) but not its main: no timing here.
    namespace = runpy.run_path(str(script), run_name="bench_import_check")
    assert callable(namespace.get("main"))
