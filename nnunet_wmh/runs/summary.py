"""The end-of-run summary every long command gives: what it did, what it skipped, how long it took, where it
wrote; the command line prints it as its last line (:meth:`RunSummary.line`)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunSummary:
    """What one run did.

    Attributes
    ----------
    command
        The command (``convert``, ``report``, ...).
    out
        Where it wrote.
    done
        Items this run finished (subjects, cases, steps).
    unit
        What an item is (``subject``, ``case``, ``step``).
    skipped
        Items left out (``skip_invalid``, subjects the model cannot serve).
    earlier
        Items a previous run had finished (a resumed run does not redo them).
    seconds
        Wall time of the run.
    finished
        False for one part of a sharded run (its output is a part, not the final output).
    flagged
        Items done but flagged by a quality gate or a QC rule (``report``, ``segment``: qc.tsv's ``flag``).
    """

    command: str
    out: Path
    done: int
    unit: str
    skipped: int = 0
    earlier: int = 0
    seconds: float = 0.0
    finished: bool = True
    flagged: int = 0

    def line(self) -> str:
        """``convert: 12 subject(s) done, 1 skipped in 3.4 s -> /data/raw/Dataset501_WMH``
        (``segment: 60 case(s) done, 40 done earlier, 3 flagged (see qc.tsv), 1 skipped in ...``)."""
        counts = [f"{self.done} {self.unit}(s) done"]
        counts += [f"{self.earlier} done earlier"] if self.earlier else []
        counts += [f"{self.flagged} flagged (see qc.tsv)"] if self.flagged else []
        counts += [f"{self.skipped} skipped"] if self.skipped else []
        what = "" if self.finished else " (a part; join the parts with report-merge)"
        return f"{self.command}: {', '.join(counts)} in {self.seconds:.1f} s -> {self.out}{what}"


class Stopwatch:
    """Wall time since it was made (``time.perf_counter``), for :class:`RunSummary`."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    @property
    def seconds(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.started
