"""State of the SLURM jobs of a segment or study run: reads RUN/slurm/submission.json, asks squeue (and sacct or
scontrol for jobs that ended) and looks at the files on disk. Exit status 0 when every job is done, 1 otherwise."""

from __future__ import annotations

import argparse
from pathlib import Path

from nnunet_wmh.cli.formatting import EXIT_OK
from nnunet_wmh.slurm.status import count_states, job_status

NAME = "jobs"
SUMMARY = "state of the SLURM jobs of a segment or study run: done, running, pending, failed (with log), missing"

#: Exit status while some job is not done.
EXIT_NOT_DONE = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``jobs``."""
    parser.add_argument("run_folder", metavar="RUN", help="the --out folder of a segment or study run with --slurm")
    parser.add_argument(
        "--no-query", dest="query", action="store_false", help="the files on disk only (no squeue/sacct)"
    )


def run(args: argparse.Namespace) -> int:
    """Print one line per job and task, then the counts; exit 0 only when every job is done."""
    statuses = job_status(args.run_folder, query=args.query)
    names = [s.name + (f"[{s.task}]" if s.task is not None else "") for s in statuses]
    width = max(map(len, names))
    for name, status in zip(names, statuses, strict=True):
        job = status.job_id or "-"
        detail = f" ({status.detail})" if status.detail else ""
        log = f"  log: {status.log}" if status.log and status.state in ("failed", "running") else ""
        print(f"{name:{width}s}  {job:>8s}  {status.state}{detail}{log}")
    counts = count_states(statuses)
    print(", ".join(f"{n} {state}" for state, n in counts.items()) + f"  ({Path(args.run_folder)})")
    return EXIT_OK if set(counts) == {"done"} else EXIT_NOT_DONE
