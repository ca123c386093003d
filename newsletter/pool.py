"""Run one function over many issues on every core, or in this process when there are too few to pay off."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
POOL_THRESHOLD = 4  # fewer items than this run in-process: starting workers costs more


def cores() -> int:
    """Return the number of cores this process may use."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def parallel_map(func: Callable[[Item], Result], items: Sequence[Item], jobs: int | None = None,
                 threshold: int = POOL_THRESHOLD) -> list[Result]:
    """Return [func(item) for item in items], in order, computed in worker processes when it pays off.

    func must be picklable (a module-level function, or a functools.partial of one).
    """
    workers = min(jobs or cores(), len(items))
    if workers <= 1 or len(items) < threshold:
        return [func(item) for item in items]
    chunk = max(1, len(items) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(func, items, chunksize=chunk))
