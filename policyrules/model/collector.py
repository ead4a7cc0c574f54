"""Pausing Python's cyclic garbage collector over a burst of allocations.

A collection runs after every 700 allocations, and now and then walks every object the process
holds; work that makes hundreds of thousands of small objects that are not cycles (verdicts, class
keys, the findings of a check) pays for many walks that free nothing. The collector is off for the
burst and back on after it: cycles made meanwhile are freed by the next collection.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small acyclic objects are created (it stays
    off when it was off; a nested pause leaves it to the outer one)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
