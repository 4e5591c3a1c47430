"""SLURM's own commands (sbatch, squeue, sacct, scontrol), run and parsed.

Nothing here talks to SLURM any other way: what the user could type is what runs.
"""

from __future__ import annotations

import getpass
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.errors import NnunetWmhError, UsageError

#: Seconds a SLURM command may take before it is given up.
CLIENT_TIMEOUT = 120


class SlurmError(NnunetWmhError):
    """A SLURM command failed (the message shows the command and what it printed)."""


def require(command: str) -> str:
    """The path of a SLURM command.

    Raises
    ------
    UsageError
        Not on PATH (SLURM not installed here, or not loaded: ``module load slurm``).
    """
    found = shutil.which(command)
    if found is None and command == "sbatch":
        raise UsageError("sbatch not found on PATH; submit from a machine with SLURM (a login node), or write the "
                         "scripts only (`submit` off)", "submit")  # fmt: skip
    if found is None:
        raise UsageError(f"{command} not found on PATH; ask from a machine with SLURM (a login node), or read the "
                         "files on disk only (`query` off)", "query")  # fmt: skip
    return found


def run_client(argv: Sequence[str], *, check: bool = True) -> subprocess.CompletedProcess:
    """Run a SLURM command; with ``check``, a non-zero exit raises SlurmError."""
    try:
        completed = subprocess.run([require(argv[0]), *argv[1:]], capture_output=True, text=True,
                                   timeout=CLIENT_TIMEOUT)  # fmt: skip
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{' '.join(argv)}: no answer within {CLIENT_TIMEOUT} s; is slurmctld reachable?") from None
    if check and completed.returncode != 0:
        said = (completed.stderr or completed.stdout).strip().replace("\n", "; ")
        raise SlurmError(f"{' '.join(argv)} failed (exit {completed.returncode}): {said}")
    return completed


def sbatch(script: str, *, after: Sequence[str] = (), after_any: bool = False) -> str:
    """Submit ``script`` with ``sbatch --parsable``; returns the job id.

    ``after`` job ids become ``--dependency=afterok:...`` (``afterany`` with ``after_any``); with afterok,
    SLURM cancels the job when a dependency fails (``--kill-on-invalid-dep=yes``).
    """
    argv = ["sbatch", "--parsable"]
    if after:
        argv.append(f"--dependency={'afterany' if after_any else 'afterok'}:{':'.join(after)}")
        if not after_any:
            argv.append("--kill-on-invalid-dep=yes")
    completed = run_client([*argv, script])
    job_id = completed.stdout.strip().split(";")[0]
    if not job_id.isdigit():
        raise SlurmError(f"sbatch {script}: expected a job id, got {completed.stdout.strip()!r}")
    return job_id


@dataclass(frozen=True)
class TaskState:
    """What SLURM says about one job or array task.

    Attributes
    ----------
    job_id
        The job id (of the array, for a task).
    task
        The array task id, or None for a single job.
    state
        SLURM's state (PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, OUT_OF_MEMORY, ...).
    reason
        squeue's reason (Dependency, Resources, ...) or the exit code (``2:0``).
    """

    job_id: str
    task: int | None
    state: str
    reason: str = ""


#: ``123``, ``123_4``, ``123_[0-3]`` (a pending array not yet split), ``123_[0,2-3%2]``.
_JOB = re.compile(r"(\d+)(?:_(\d+|\[[^\]]*\]))?")


def _expand(job_id: str, task_text: str | None) -> list[tuple[str, int | None]]:
    if task_text is None:
        return [(job_id, None)]
    if not task_text.startswith("["):
        return [(job_id, int(task_text))]
    tasks: list[tuple[str, int | None]] = []
    for part in task_text.strip("[]").split("%")[0].split(","):
        low, _, high = part.partition("-")
        tasks += [(job_id, t) for t in range(int(low), int(high or low) + 1)]
    return tasks


def parse_states(text: str, *, separator: str = "|") -> list[TaskState]:
    """``JOBID|STATE|REASON`` lines (squeue ``-o %i|%T|%r``, sacct ``-P -o JobID,State,ExitCode``)."""
    states = []
    for line in text.splitlines():
        fields = line.strip().split(separator)
        found = _JOB.fullmatch(fields[0]) if fields and fields[0] else None
        if found is None or len(fields) < 2:
            continue
        state = fields[1].split()[0] if fields[1] else ""  # sacct: "CANCELLED by 0"
        for job_id, task in _expand(found[1], found[2]):
            states.append(TaskState(job_id, task, state, fields[2] if len(fields) > 2 else ""))
    return states


def queued(job_ids: Sequence[str]) -> list[TaskState]:
    """The user's jobs among ``job_ids`` that are pending or running (squeue)."""
    if not job_ids:
        return []
    completed = run_client(["squeue", "-h", "-r", "-u", getpass.getuser(), "-o", "%i|%T|%r"])
    wanted = set(job_ids)
    return [s for s in parse_states(completed.stdout) if s.job_id in wanted]


def finished(job_ids: Sequence[str]) -> list[TaskState]:
    """Final states of jobs that left the queue: sacct when accounting is on, else scontrol (which forgets a
    job some minutes after it ends: MinJobAge)."""
    if not job_ids:
        return []
    if shutil.which("sacct"):
        completed = run_client(["sacct", "-n", "-P", "-X", "-j", ",".join(job_ids), "-o", "JobID,State,ExitCode"],
                               check=False)  # fmt: skip
        if completed.returncode == 0 and completed.stdout.strip():
            return parse_states(completed.stdout)
    states = []
    for job_id in job_ids:
        completed = run_client(["scontrol", "show", "job", "-o", job_id], check=False)
        for line in completed.stdout.splitlines():
            fields = dict(item.split("=", 1) for item in line.split() if "=" in item)
            task = fields.get("ArrayTaskId")
            if "JobState" in fields:
                array_id = fields.get("ArrayJobId", fields.get("JobId", job_id))
                task_id = int(task) if task and task.isdigit() else None
                state = fields["JobState"]
                reason = fields.get("Reason", "") if state == "CANCELLED" else fields.get("ExitCode", "")
                states.append(TaskState(array_id, task_id, state, reason))
    return states
