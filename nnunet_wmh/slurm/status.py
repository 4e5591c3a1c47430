"""``nnunet_wmh jobs RUN``: the state of every job of a submitted run, from the files on disk and SLURM.

For each job (each array task):

* ``done``: its work is on disk (the files its record names), or its script recorded exit status 0;
* ``pending`` / ``running``: squeue lists it (with SLURM's reason, e.g. Dependency, Resources);
* ``failed``: it ended without its work on disk (exit status from its exit record, else sacct or scontrol);
* ``cancelled``: SLURM cancelled it (``a job it waits for failed`` when its dependency can never be met);
* ``missing``: not done, not queued, and nothing says how it ended (never submitted, or cancelled before it
  started and forgotten by SLURM).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm.client import TaskState, finished, queued
from nnunet_wmh.slurm.scripts import EXIT_FOLDER
from nnunet_wmh.slurm.submit import Submission, SubmittedJob, read_submission, task_done, task_key

STATES = ("done", "running", "pending", "failed", "cancelled", "missing")
#: SLURM's final states that mean the job did not do its work.
FAILED_STATES = {"FAILED", "TIMEOUT", "OUT_OF_MEMORY", "NODE_FAIL", "BOOT_FAIL", "DEADLINE", "PREEMPTED", "COMPLETED"}


@dataclass(frozen=True)
class JobStatus:
    """The state of one job or array task.

    Attributes
    ----------
    name, task, job_id
        The job, its array task (None: a single job) and SLURM's job id (None: not submitted).
    state
        One of :data:`STATES`.
    detail
        Why, in words (SLURM's reason, the exit status).
    log
        Its log file, when one exists.
    """

    name: str
    task: int | None
    job_id: str | None
    state: str
    detail: str = ""
    log: Path | None = None


def log_path(job: SubmittedJob, task: int | None) -> Path | None:
    """The task's log file (sbatch's pattern filled in), when it exists."""
    job_id = job.id_for(task)
    if job_id is None:
        return None
    path = Path(job.log.replace("%x", job.name).replace("%A", job_id).replace("%j", job_id))
    path = Path(str(path).replace("%a", "" if task is None else str(task)))
    return path if path.is_file() else None


def exit_status(folder: Path, job: SubmittedJob, task: int | None) -> int | None:
    """The exit status the job's script recorded, or None."""
    job_id = job.id_for(task)
    if job_id is None:
        return None
    record = folder / EXIT_FOLDER / f"{job.name}_{job_id}_{task_key(task)}"
    try:
        return int(record.read_text().strip())
    except (OSError, ValueError):
        return None


def _ended(code: int | None, slurm: TaskState | None) -> tuple[str, str]:
    """State and detail of a job that left the queue without its work on disk."""
    if code is not None and code != 0:
        return "failed", f"exit {code}"
    if slurm is not None and slurm.state.startswith("CANCELLED"):
        return "cancelled", "a job it waits for failed" if "Dependency" in slurm.reason else "cancelled"
    if slurm is not None and slurm.state in FAILED_STATES:
        detail = slurm.state.lower() + (f" (exit {slurm.reason})" if slurm.reason else "")
        return "failed", detail if slurm.state != "COMPLETED" else "exited 0 without writing its outputs"
    return "missing", "not queued and no record of how it ended"


class _FinalStates:
    """SLURM's final states of the run's jobs, asked for (sacct or scontrol) only when a task needs them."""

    def __init__(self, job_ids: Sequence[str]) -> None:
        self.job_ids = job_ids
        self._states: dict[tuple[str, int | None], TaskState] | None = None

    def get(self, key: tuple[str, int | None]) -> TaskState | None:
        if self._states is None:
            self._states = _states(finished(self.job_ids))
        return self._states.get(key)


def _task_status(
    submission: Submission, job: SubmittedJob, task: int | None, queue: dict, ended: _FinalStates
) -> JobStatus:
    job_id = job.id_for(task)
    code = exit_status(submission.folder, job, task)
    log = log_path(job, task)
    if task_done(submission.run_folder, job.done, task) or code == 0:
        return JobStatus(job.name, task, job_id, "done", "", log)
    if job_id is None:
        why = "scripts written, not submitted" if not submission.submitted else "not submitted"
        return JobStatus(job.name, task, None, "missing", why)
    in_queue = queue.get((job_id, task))
    if in_queue is not None:
        state = "running" if in_queue.state in ("RUNNING", "COMPLETING", "CONFIGURING") else "pending"
        reason = in_queue.reason if state == "pending" and in_queue.reason != "None" else ""
        return JobStatus(job.name, task, job_id, state, reason, log)
    state, detail = _ended(code, ended.get((job_id, task)))
    return JobStatus(job.name, task, job_id, state, detail, log)


def _states(states: Sequence[TaskState]) -> dict[tuple[str, int | None], TaskState]:
    return {(s.job_id, s.task): s for s in states}


def job_status(run_folder: str | os.PathLike[str], *, query: bool = True) -> list[JobStatus]:
    """The state of every job and array task of the run's last submission, in submission order.

    Parameters
    ----------
    run_folder
        The folder given to ``segment`` or ``study`` with ``slurm``.
    query
        Ask SLURM (squeue, sacct or scontrol); False: the files on disk only.

    Raises
    ------
    UsageError
        The folder holds no submission, or one that records no job (a submission that failed before any job
        was accepted, or a file written by hand).
    SlurmError
        squeue failed.
    """
    run_folder = Path(run_folder).expanduser().absolute()
    submission = read_submission(run_folder)
    if submission is None:
        raise UsageError(f"`run_folder` {run_folder}: no SLURM submission (no slurm/submission.json)", "run_folder")
    if not submission.jobs:
        raise UsageError(
            f"`run_folder` {run_folder}: slurm/submission.json records no job (the submission failed before any job "
            "was accepted); submit the run again", "run_folder",
        )  # fmt: skip
    ids = sorted({i for job in submission.jobs for i in [job.job_id, *job.earlier.values()] if i}) if query else []
    queue = _states(queued(ids)) if ids else {}
    ended = _FinalStates(ids)  # tasks done or queued need no sacct/scontrol
    return [
        _task_status(submission, job, task, queue, ended)
        for job in submission.jobs
        for task in (job.array if job.array is not None else [None])
    ]


def count_states(statuses: Sequence[JobStatus]) -> dict[str, int]:
    """How many jobs and tasks are in each state (states with none left out)."""
    counts = {state: sum(s.state == state for s in statuses) for state in STATES}
    return {state: n for state, n in counts.items() if n}
