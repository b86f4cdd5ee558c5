"""Timing helpers shared by the benchmark scripts (not a benchmark itself).

The scripts are run as ``python benchmarks/NAME.py``, so Python puts this folder first on
``sys.path`` and ``from _timing import best_of`` works from any working directory.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

#: Appended to a child's code: print the child's own peak resident set size (KiB on Linux).
PEAK_RSS_CODE = "\nimport resource\nprint(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)\n"


def best_of(fn: Callable[[], object], repeat: int = 3) -> float:
    """The fastest of ``repeat`` calls of ``fn``, in seconds (least disturbed by other load)."""
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def measure_child(code: str) -> tuple[float, float]:
    """(wall seconds, peak RSS MiB) of ``code`` run in a fresh interpreter (its own peak)."""
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code + PEAK_RSS_CODE], check=True,
                          capture_output=True, text=True)  # fmt: skip
    wall = time.perf_counter() - t0
    return wall, int(done.stdout.split()[-1]) / 1024.0
