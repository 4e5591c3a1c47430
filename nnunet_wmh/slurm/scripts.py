"""sbatch scripts a person can read: the resources, where the log goes, the environment, then one command per
step, each under a comment saying what it does.

Every script records its exit status in ``slurm/exit/`` (a shell ``trap``), so ``nnunet_wmh jobs`` can tell a
failed job from a lost one on clusters without SLURM's accounting.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nnunet_wmh import __version__
from nnunet_wmh.slurm.options import SlurmOptions

LOGS_FOLDER = "logs"
EXIT_FOLDER = "exit"
#: In a command, stands for the array task id (written unquoted, so the shell expands it).
TASK_ID = "$SLURM_ARRAY_TASK_ID"
#: Log file patterns (sbatch's ``--output``): %x job name, %A array job id, %a task id, %j job id.
ARRAY_LOG, SINGLE_LOG = "%x_%A_%a.out", "%x_%j.out"


@dataclass
class JobSpec:
    """One job (or job array) of a run.

    Attributes
    ----------
    name
        Job name (sbatch ``--job-name``; also the script's file name).
    title
        What the job does, one line (the script's first comment).
    steps
        ``(comment, argv)`` per command; an argv item :data:`TASK_ID` is the array task id.
    gpu
        Runs in the GPU partition with the GPU resources.
    cpus
        CPUs it asks for unless the options say otherwise.
    array
        Task ids of a job array (None: a single job).
    after
        Names of the jobs it waits for.
    after_any
        Wait for them to end whatever their result (``afterany``); else only on success (``afterok``), and
        SLURM cancels this job when one of them fails.
    done
        When the job (each task: ``{task}`` in a path is its id) has done its work: the paths, relative to the
        run's folder, of one of these groups of files all exist.
    """

    name: str
    title: str
    steps: list[tuple[str, list[str]]]
    gpu: bool = False
    cpus: int = 1
    array: list[int] | None = None
    after: list[str] = field(default_factory=list)
    after_any: bool = False
    done: list[list[str]] = field(default_factory=list)

    def log_pattern(self, slurm_folder: Path) -> Path:
        """sbatch's ``--output`` pattern."""
        return slurm_folder / LOGS_FOLDER / (ARRAY_LOG if self.array is not None else SINGLE_LOG)


def nnunet_wmh_command() -> list[str]:
    """How a job starts ``nnunet_wmh``: the script beside this Python (the same environment), else on PATH,
    else ``python -m nnunet_wmh.cli``."""
    beside = Path(sys.executable).with_name("nnunet_wmh")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("nnunet_wmh")
    return [found] if found else [sys.executable, "-m", "nnunet_wmh.cli"]


def shell_command(argv: Sequence[str]) -> str:
    """``argv`` as one shell line: every item quoted, except :data:`TASK_ID` (expanded by the shell)."""
    return " ".join('"$SLURM_ARRAY_TASK_ID"' if item == TASK_ID else shlex.quote(item) for item in argv)


def array_range(tasks: Sequence[int]) -> str:
    """sbatch's ``--array`` value: ``0-2``, ``0,2``, ``0-3,7``."""
    ordered = sorted(set(tasks))
    runs: list[list[int]] = []
    for task in ordered:
        if runs and task == runs[-1][-1] + 1:
            runs[-1].append(task)
        else:
            runs.append([task])
    return ",".join(f"{r[0]}-{r[-1]}" if len(r) > 1 else str(r[0]) for r in runs)


def render_script(
    job: JobSpec, options: SlurmOptions, slurm_folder: Path, environment: Mapping[str, str], *, what: str
) -> str:
    """The sbatch script of ``job``.

    Parameters
    ----------
    job
        The job.
    options
        Resources and setup lines.
    slurm_folder
        ``RUN/slurm`` (logs and exit records go there).
    environment
        Variables exported before the commands (nnU-Net's folders, ``nnUNet_extTrainer``, ...).
    what
        The run, for the header (``nnunet_wmh segment of /data/cohort``).
    """
    lines = ["#!/bin/bash", f"#SBATCH --job-name={job.name}", f"#SBATCH --output={job.log_pattern(slurm_folder)}"]
    if job.array is not None:
        lines.append(f"#SBATCH --array={array_range(job.array)}")
    lines += options.directives(gpu=job.gpu, cpus=job.cpus)
    lines += [
        "",
        f"# {what}: {job.title}",
        f"# Written by nnunet_wmh {__version__}; submitted by it with the dependencies in submit.sh.",
        "# Its exit status is recorded for `nnunet_wmh jobs`.",
        "set -euo pipefail",
        f"EXIT_RECORD={shlex.quote(str(slurm_folder / EXIT_FOLDER))}/"
        f'"{job.name}_${{SLURM_ARRAY_JOB_ID:-$SLURM_JOB_ID}}_${{SLURM_ARRAY_TASK_ID:-none}}"',
        "trap 'echo $? > \"$EXIT_RECORD\"' EXIT",
    ]
    if options.setup:
        lines += ["", "# set-up given with the submission", *options.setup]
    lines += ["", "# as many compute threads (torch, NumPy) as SLURM gave the job CPUs"]
    lines += ['export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"', 'export MKL_NUM_THREADS="$OMP_NUM_THREADS"']
    if environment:
        lines += ["", "# the environment nnU-Net and nnunet_wmh read"]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in environment.items()]
    for comment, argv in job.steps:
        lines += ["", f"# {comment}", shell_command(argv)]
    return "\n".join(lines) + "\n"


def write_script(path: Path, text: str) -> Path:
    """Write a script atomically (executable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(text)
    temporary.chmod(0o755)
    os.replace(temporary, path)
    return path
