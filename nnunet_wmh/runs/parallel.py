"""Ordered parallel map with a progress bar (processes for ``jobs > 1``, a plain loop otherwise), and a pipeline
that computes items ahead in worker processes while the caller consumes them.

Worker processes leave Ctrl-C and SIGTERM to the main process: they ignore SIGINT (the terminal sends it to every
process of the command), and SIGTERM ends them at once, without the handler a forked worker inherits from the
command line (which turns SIGTERM into an interrupt and would print a traceback per worker). When the main process
is interrupted, its workers are terminated and waited for before the interruption goes on, so the cleanup that
follows (temporary folders, partial outputs) never races a worker still writing, and no worker outlives the run.
"""

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
            pool = ProcessPoolExecutor(max_workers=min(jobs, len(items)), initializer=_worker_signals)
            try:
                for result in pool.map(function, items):
                    results.append(result)
                    bar.update()
            except KeyboardInterrupt:  # Ctrl-C or SIGTERM: a worker mid-registration would hold the run for minutes
                _terminate_workers(pool)
                raise
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
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


def _worker_signals() -> None:
    """Worker start-up: Ctrl-C is the main process's to handle (it stops the workers), not each worker's; SIGTERM
    ends the worker at once (the default action), not through the command line's handler a forked worker
    inherits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    """Stop the pool's worker processes now (SIGTERM), not after the items they are working on; the pool's
    ``shutdown`` then waits for them."""
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def pipelined(
    function: Callable[[T], R], items: Sequence[T], *, jobs: int
) -> Iterator[tuple[T, R | None, InputDataError | None]]:
    """``(item, result, problem)`` of every item, in order, computed ahead in ``jobs`` worker processes while
    the caller works on the results already yielded (a plain loop in this process for ``jobs == 1``).

    At most ``2 * jobs`` items are in flight, so memory stays bounded on a cohort of any size; an item whose
    ``function`` raises :class:`InputDataError` comes back with the problem (the others go on). The workers
    ignore Ctrl-C; when the caller stops early (an error, Ctrl-C, SIGTERM, ``close()``) they are terminated at
    once, not waited for (a worker mid-registration would otherwise hold the interrupted run for seconds, or
    forever).
    """
    check_jobs(jobs)
    collect = _CollectProblems(function)
    if jobs == 1 or len(items) < 2:
        for item in items:
            yield (item, *collect(item))
        return
    pool = multiprocessing.Pool(min(jobs, len(items)), initializer=_worker_signals)
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
