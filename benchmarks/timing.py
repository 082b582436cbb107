"""Shared timing helper for the benchmark scripts (run as `python benchmarks/<script>.py`, so this folder is on sys.path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import numpy as np

T = TypeVar("T")


def median_time(fn: Callable[[], object], repeats: int = 5) -> float:
    """Median wall time of fn() in seconds, after one warm-up call (first calls pay for allocations and caches)."""
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def timed(work: Callable[[], T]) -> tuple[T, float]:
    """(result, seconds) of one call, no warm-up: what that call cost, as a per-photo cost is measured."""
    start = time.perf_counter()
    out = work()
    return out, time.perf_counter() - start
