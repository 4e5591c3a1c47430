"""Ordered parallel map with a progress bar (processes for ``jobs > 1``, a plain loop otherwise)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

from tqdm.auto import tqdm

T = TypeVar("T")
R = TypeVar("R")


def map_with_progress(
    function: Callable[[T], R], items: Sequence[T], *, jobs: int, desc: str, unit: str = "subject", progress: bool
) -> list[R]:
    """Apply ``function`` to every item, in order, with ``jobs`` worker processes.

    Parameters
    ----------
    function
        A picklable callable (module-level function or ``functools.partial`` of one).
    items
        Picklable inputs.
    jobs
        Worker processes; 1 runs in this process.
    desc, unit
        Progress bar label and unit.
    progress
        Show the progress bar (on stderr).
    """
    results: list[R] = []
    with tqdm(total=len(items), desc=desc, unit=unit, disable=not progress) as bar:
        if jobs > 1 and len(items) > 1:
            with ProcessPoolExecutor(max_workers=min(jobs, len(items))) as pool:
                for result in pool.map(function, items):
                    results.append(result)
                    bar.update()
        else:
            for item in items:
                results.append(function(item))
                bar.update()
    return results
