"""Timing helper shared by the benchmark scripts (run them as ``python benchmarks/bench_x.py``)."""

from __future__ import annotations

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
