"""Run a bulk step without Python's cycle collector: the refresh builds millions of objects.

A refresh of 50 000 items creates millions of small objects that are all still in use
(cells, items, results, plan columns). CPython's cycle collector runs every few hundred
allocations and, as the heap grows, walks all of it again and again: a fifth of the whole
refresh, for garbage it does not find, since these objects form no cycles and reference
counting frees them. The collector is paused for the step and resumed after it (the daily
job runs for days in one process, so it is never left off).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cycle collector inside the block (nested blocks keep it paused)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
