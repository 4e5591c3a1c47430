"""Timing helper shared by the benchmark scripts (run them as ``python benchmarks/bench_x.py``)."""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path


def median_seconds(
    actions: Mapping[str, Callable[..., object]], repeats: int, *, scratch: Path | None = None
) -> dict[str, float]:
    """Median wall time of each action; the actions take turns, so all see the same machine load.

    With ``scratch``, each action is called with a fresh empty folder inside it, made and removed outside
    the timed part.
    """
    times: dict[str, list[float]] = {name: [] for name in actions}
    for _ in range(repeats):
        for name, action in actions.items():
            target = Path(tempfile.mkdtemp(dir=scratch)) if scratch is not None else None
            started = time.perf_counter()
            action(target) if target is not None else action()
            times[name].append(time.perf_counter() - started)
            if target is not None:
                shutil.rmtree(target)
    return {name: statistics.median(values) for name, values in times.items()}


def cohort_benchmark_arguments(description: str | None, *, repeats: int) -> argparse.Namespace:
    """The options of the cohort benchmarks: ``--subjects``, ``--repeats``, ``--work``, ``--jobs``."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subjects", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--work", type=Path, default=None, help="scratch folder (default: a temporary one)")
    parser.add_argument("--jobs", type=int, default=2, help="processes for generating the cohort")
    return parser.parse_args()


def case_benchmark_arguments(description: str | None) -> tuple[argparse.Namespace, Path]:
    """The options of the per-case benchmarks (``--cases``, ``--subjects``, ``--repeats``, ``--work``) and a new
    scratch folder inside ``--work`` (the caller removes it)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--cases", type=int, default=100)
    parser.add_argument("--subjects", type=int, default=10, help="synthetic subjects the cases are made from")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", type=Path, help="scratch folder (default: a temporary folder)")
    args = parser.parse_args()
    return args, Path(tempfile.mkdtemp(dir=args.work))


def utrecht_cohort(work: Path, args: argparse.Namespace, what: str, **options: object) -> Path:
    """``work/cohort``: ``args.subjects`` synthetic Utrecht-size subjects (seed 1; ``options`` passed on to
    ``make_synthetic_cohort``), with a line saying what and how long it took."""
    from nnunet_wmh.synthetic import make_synthetic_cohort

    cohort = work / "cohort"
    started = time.perf_counter()
    make_synthetic_cohort(cohort, subjects=args.subjects, sites=["Utrecht"], seed=1, jobs=args.jobs, progress=False,
                          **options)  # fmt: skip
    print(f"cohort: {args.subjects} Utrecht-size subjects {what}, generated in {time.perf_counter() - started:.1f} s")
    return cohort
