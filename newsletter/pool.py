"""Run one function over many issues on every core, or in this process when there are too few to pay off."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
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
    return list(parallel_imap(func, items, jobs, threshold))


def parallel_imap(func: Callable[[Item], Result], items: Sequence[Item], jobs: int | None = None,
                  threshold: int = POOL_THRESHOLD) -> Iterator[Result]:
    """Yield func(item) for each item, in order, as soon as each is done (for a progress bar); see parallel_map."""
    workers = min(jobs or cores(), len(items))
    if workers <= 1 or len(items) < threshold:
        yield from (func(item) for item in items)
        return
    from concurrent.futures import ProcessPoolExecutor  # here: it imports multiprocessing, which costs

    chunk = max(1, min(len(items) // (workers * 8), 16))
    with ProcessPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(func, items, chunksize=chunk)
