"""Ordered parallel map with a progress bar (processes for ``jobs > 1``, a plain loop otherwise), and a pipeline
that computes items ahead in worker processes while the caller consumes them."""

from __future__ import annotations

import collections
import itertools
import multiprocessing
import signal
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Generic, TypeVar

from tqdm.auto import tqdm

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.runs.options import check_jobs

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
    check_jobs(jobs)
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


@dataclass(frozen=True)
class _CollectProblems(Generic[T, R]):
    """``function``, with the input problem it raises returned instead (picklable)."""

    function: Callable[[T], R]

    def __call__(self, item: T) -> tuple[R | None, InputDataError | None]:
        try:
            return self.function(item), None
        except InputDataError as problem:
            return None, problem


def map_collecting_problems(
    function: Callable[[T], R], items: Sequence[T], *, jobs: int, desc: str, unit: str = "subject", progress: bool
) -> tuple[list[R | None], list[InputDataError]]:
    """:func:`map_with_progress` that goes on after an item raises :class:`InputDataError`.

    Returns
    -------
    results, problems
        One result per item (None where it failed) and every problem, in item order, so that all of them
        can be reported at once.
    """
    pairs = map_with_progress(_CollectProblems(function), items, jobs=jobs, desc=desc, unit=unit, progress=progress)
    return [result for result, _ in pairs], [problem for _, problem in pairs if problem is not None]


def _ignore_interrupts() -> None:
    """Worker start-up: Ctrl-C is the main process's to handle (it stops the workers), not each worker's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def pipelined(
    function: Callable[[T], R], items: Sequence[T], *, jobs: int
) -> Iterator[tuple[T, R | None, InputDataError | None]]:
    """``(item, result, problem)`` of every item, in order, computed ahead in ``jobs`` worker processes while
    the caller works on the results already yielded (a plain loop in this process for ``jobs == 1``).

    At most ``2 * jobs`` items are in flight, so memory stays bounded on a cohort of any size; an item whose
    ``function`` raises :class:`InputDataError` comes back with the problem (the others go on). The workers
    ignore Ctrl-C; when the caller stops early (an error, Ctrl-C, ``close()``) they are terminated at once, not
    waited for (a worker mid-registration would otherwise hold the interrupted run for seconds, or forever).
    """
    check_jobs(jobs)
    collect = _CollectProblems(function)
    if jobs == 1 or len(items) < 2:
        for item in items:
            yield (item, *collect(item))
        return
    pool = multiprocessing.Pool(min(jobs, len(items)), initializer=_ignore_interrupts)
    finished = False
    try:
        pending: collections.deque = collections.deque()
        upcoming = iter(items)
        for item in itertools.islice(upcoming, 2 * jobs):
            pending.append((item, pool.apply_async(collect, (item,))))
        while pending:
            item, future = pending.popleft()
            result, problem = future.get()
            next_item = next(upcoming, _END)
            if next_item is not _END:
                pending.append((next_item, pool.apply_async(collect, (next_item,))))
            yield item, result, problem
        finished = True
    finally:
        if finished:
            pool.close()
        else:
            pool.terminate()
        pool.join()


_END = object()
