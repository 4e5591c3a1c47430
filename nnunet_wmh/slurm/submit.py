"""Submitting a run's jobs: scripts into ``RUN/slurm/``, ``sbatch`` in dependency order, the record
``RUN/slurm/submission.json`` that ``nnunet_wmh jobs`` reads.

A job (or array task) whose work is already on disk is not submitted again, and a job waits only for the jobs
submitted with it, so submitting the same run again after a failure reruns only what is missing. A run whose
earlier jobs are still queued or running is refused.

A submission that sends nothing (sbatch missing, or refusing the first job) leaves ``RUN/slurm`` as it was before
(removed if it made it); once a job is queued, the record lists every job queued so far, whatever stops the rest.

::

    RUN/slurm/NAME.sbatch        one script per job (readable, runnable by hand with sbatch)
    RUN/slurm/submit.sh          the sbatch commands of the last submission, with their dependencies
    RUN/slurm/submission.json    job ids, names, tasks, dependencies, logs, what "done" means for each job
    RUN/slurm/logs/              each job's output: NAME_JOBID_TASK.out (arrays), NAME_JOBID.out
    RUN/slurm/exit/              each job's exit status (NAME_JOBID_TASK)
"""

from __future__ import annotations

import json
import logging
import os
import re
import shlex
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.errors import OutputExistsError, UsageError
from nnunet_wmh.runs.outputs import SLURM_FOLDER, check_output
from nnunet_wmh.slurm.client import SlurmError, queued, require, sbatch
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import EXIT_FOLDER, LOGS_FOLDER, JobSpec, render_script, write_script

logger = logging.getLogger(__name__)

SUBMISSION_FILE = "submission.json"
SUBMIT_SH = "submit.sh"
JOB_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


@dataclass
class SubmittedJob:
    """A job of a submission, as recorded in ``submission.json``.

    Attributes
    ----------
    name, title, gpu, after, after_any, done
        As in :class:`~nnunet_wmh.slurm.scripts.JobSpec`.
    script
        Its sbatch script.
    log
        sbatch's ``--output`` pattern.
    array
        Every task id of the job (None: a single job).
    submitted_tasks
        The task ids submitted this time (those not done yet); None for a single job.
    job_id
        SLURM's job id; None when the job was not submitted (done earlier, or ``submit`` False).
    earlier
        Task (``"none"`` for a single job) → job id of the earlier submission that ran it, for the tasks not
        submitted this time.
    """

    name: str
    title: str
    script: str
    log: str
    gpu: bool
    after: list[str]
    after_any: bool
    done: list[list[str]]
    array: list[int] | None = None
    submitted_tasks: list[int] | None = None
    job_id: str | None = None
    earlier: dict[str, str] = field(default_factory=dict)

    def id_for(self, task: int | None) -> str | None:
        """The job id that ran (or runs) ``task``: this submission's, else an earlier one's."""
        submitted = self.job_id is not None and (self.submitted_tasks is None or task in self.submitted_tasks)
        return self.job_id if submitted else self.earlier.get(task_key(task))


@dataclass
class Submission:
    """A run's jobs, as submitted.

    Attributes
    ----------
    kind
        ``segment`` or ``study``.
    run_folder
        The run's folder (``RUN``).
    fingerprint
        What the run computes (its command without the part or step); a different one is another run.
    jobs
        The jobs, in submission order.
    submitted
        Whether sbatch was called (False: scripts only).
    written
        When.
    """

    kind: str
    run_folder: Path
    fingerprint: list[str]
    jobs: list[SubmittedJob] = field(default_factory=list)
    submitted: bool = True
    written: str = ""

    @property
    def folder(self) -> Path:
        """``RUN/slurm``."""
        return self.run_folder / SLURM_FOLDER

    @property
    def job_ids(self) -> list[str]:
        """Ids of the jobs submitted."""
        return [j.job_id for j in self.jobs if j.job_id]

    def to_json(self) -> dict[str, Any]:
        """The record's JSON form."""
        return {**asdict(self), "run_folder": str(self.run_folder), "nnunet_wmh_version": __version__}


def read_submission(run_folder: str | os.PathLike[str]) -> Submission | None:
    """The last submission of a run, or None when it has none.

    Raises
    ------
    UsageError
        A ``submission.json`` that cannot be read.
    """
    path = Path(run_folder).expanduser().absolute() / SLURM_FOLDER / SUBMISSION_FILE
    if not path.is_file():
        return None
    try:
        record = json.loads(path.read_text())
        jobs = [SubmittedJob(**job) for job in record["jobs"]]
        # the folder where the record is now (the run may have been moved since)
        return Submission(record["kind"], path.parent.parent, list(record["fingerprint"]), jobs,
                          bool(record["submitted"]), str(record["written"]))  # fmt: skip
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{path}: not a readable SLURM submission record ({exc})", "run_folder") from None


def check_not_running(run_folder: Path) -> Submission | None:
    """The run's last submission, after making sure none of its jobs is queued or running.

    Raises
    ------
    SlurmError
        Jobs of the last submission are still pending or running (they are named).
    """
    previous = read_submission(run_folder)
    if previous is None or not previous.job_ids:
        return previous
    active = sorted({s.job_id for s in queued(previous.job_ids)}, key=int)
    if active:
        raise SlurmError(
            f"{run_folder}: jobs {', '.join(active)} of the last submission are still queued or running; wait for "
            f"them (nnunet_wmh jobs {run_folder}) or cancel them (scancel {' '.join(active)}) first"
        )
    return previous


def check_resubmission(out_dir: Path, fingerprint: list[str], *, finished: str, overwrite: bool, query: bool
                       ) -> Submission | None:  # fmt: skip
    """The output rules of a submission of a run in parts (``query``: and no job of the last one still queued);
    the run's earlier submission when this one continues it.

    Raises
    ------
    OutputExistsError
        ``out_dir/finished`` exists (a finished run), or ``out_dir`` holds another run's files, without
        ``overwrite`` (which removes the parts of another run; a finished output stays until replaced).
    SlurmError
        Jobs of the last submission are still queued or running.
    """
    from nnunet_wmh.runs.parts import PARTS_FOLDER  # heavy: numpy, nibabel (`jobs` imports this module to parse)

    check_output(out_dir, overwrite=True, kind="folder")  # its parent can be written
    previous = check_not_running(out_dir) if query else read_submission(out_dir)
    if overwrite:
        shutil.rmtree(out_dir / PARTS_FOLDER, ignore_errors=True)
        return None
    if (out_dir / finished).exists():
        raise OutputExistsError(out_dir / finished)
    same_run = previous is not None and previous.fingerprint == fingerprint
    others = [p.name for p in out_dir.iterdir() if p.name != SLURM_FOLDER] if out_dir.is_dir() else []
    if others and not same_run:
        raise OutputExistsError(out_dir, f"{out_dir} holds another run's files; pass `overwrite` to replace them")
    return previous if same_run else None


def task_key(task: int | None) -> str:
    """A task's key in records and exit files: its id, or ``none`` for a single job."""
    return "none" if task is None else str(task)


def task_done(run_folder: Path, done: Sequence[Sequence[str]], task: int | None) -> bool:
    """Whether one group of ``done`` paths (``{task}`` → the task id) all exist under ``run_folder``."""
    fill = "" if task is None else str(task)
    return any(group and all((run_folder / p.replace("{task}", fill)).exists() for p in group) for group in done)


def _to_submit(job: JobSpec, run_folder: Path) -> list[int] | bool:
    """The tasks of an array not done yet; for a single job True (to submit) or False (done)."""
    if job.array is None:
        return not task_done(run_folder, job.done, None)
    return [t for t in job.array if not task_done(run_folder, job.done, t)]


def _variable(name: str) -> str:
    return re.sub(r"\W", "_", name).strip("_").lower() or "job"


def _submit_sh(jobs: Sequence[SubmittedJob], what: str) -> str:
    """The sbatch commands of the jobs that have a script this time, with their dependencies."""
    lines = ["#!/bin/bash", f"# {what}: the jobs not done yet, in dependency order (written by nnunet_wmh).",
             "# `nnunet_wmh jobs` shows their state. Running this again submits them again.",
             "set -euo pipefail"]  # fmt: skip
    written = {job.name for job in jobs if job.script}
    for job in jobs:
        if not job.script:
            continue
        waits = [f"${_variable(name)}" for name in job.after if name in written]
        dependency = ""
        if waits:
            kind = "afterany" if job.after_any else "afterok"
            dependency = f" --dependency={kind}:{':'.join(waits)}"
            dependency += "" if job.after_any else " --kill-on-invalid-dep=yes"
        command = f"sbatch --parsable{dependency} {shlex.quote(job.script)} | cut -d';' -f1"
        lines += ["", f"# {job.title}", f"{_variable(job.name)}=$({command})"]
    return "\n".join(lines) + "\n"


def submit_jobs(
    run_folder: Path,
    kind: str,
    fingerprint: Sequence[str],
    jobs: Sequence[JobSpec],
    options: SlurmOptions,
    environment: Mapping[str, str],
    *,
    what: str,
    previous: Submission | None = None,
) -> Submission:
    """Write the scripts of the jobs not done yet into ``run_folder/slurm`` and submit them.

    Parameters
    ----------
    run_folder
        The run's folder (it exists).
    kind, fingerprint
        Recorded in ``submission.json`` (see :class:`Submission`).
    jobs
        Every job of the run, each after the jobs it waits for.
    options
        Resources; ``options.submit`` False writes the scripts only.
    environment
        Variables every script exports.
    what
        The run in words, for the scripts' headers.
    previous
        The run's earlier submission: the job ids of tasks it ran and this one does not are kept.

    Raises
    ------
    UsageError
        A bad job name, a dependency on a job not listed before it, or sbatch not on PATH (checked before anything
        is written).
    SlurmError
        sbatch refused a job. Refusing the first, it leaves ``run_folder/slurm`` as it was; refusing a later one,
        the jobs submitted before it stay queued, are recorded, and the message names them.
    """
    if options.submit:
        require("sbatch")
    folder = run_folder / SLURM_FOLDER
    before = _FolderState.of(folder, [SUBMISSION_FILE, SUBMIT_SH, *(f"{job.name}.sbatch" for job in jobs)])
    for sub in (LOGS_FOLDER, EXIT_FOLDER):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    submission = Submission(kind, run_folder, list(fingerprint), submitted=options.submit,
                            written=time.strftime("%Y-%m-%dT%H:%M:%S%z"))  # fmt: skip
    ids: dict[str, str] = {}
    earlier = {job.name: job for job in previous.jobs} if previous is not None else {}
    try:
        for job in jobs:
            _check_job(job, {j.name for j in submission.jobs})
            submitted = _submit_one(job, folder, options, environment, what, ids)
            if job.name in earlier:
                submitted.earlier = _earlier_ids(earlier[job.name], submitted)
            submission.jobs.append(submitted)
            if submitted.job_id:  # a kill between two sbatch calls loses no id
                _write_record(folder / SUBMISSION_FILE, submission)
    except BaseException as exc:
        if not submission.job_ids:  # nothing reached SLURM: the folder as it was
            before.restore()
            if isinstance(exc, SlurmError):
                raise SlurmError(f"{exc}; nothing was submitted (`submit` off writes the scripts only)") from None
            raise
        _record(folder, submission, what)
        _partly_submitted(exc, submission)
        raise
    _record(folder, submission, what)
    return submission


def _record(folder: Path, submission: Submission, what: str) -> None:
    """``submit.sh`` and ``submission.json`` of the jobs submitted (or written)."""
    write_script(folder / SUBMIT_SH, _submit_sh(submission.jobs, what))
    _write_record(folder / SUBMISSION_FILE, submission)


def _partly_submitted(exc: BaseException, submission: Submission) -> None:
    """After the jobs of ``submission`` were queued, another job failed (``exc``): raise a SlurmError that names
    those queued, or (an interruption) log them."""
    queued_jobs = ", ".join(f"{job.name} (job {job.job_id})" for job in submission.jobs if job.job_id)
    said = (f"still queued: {queued_jobs}; recorded in {submission.folder / SUBMISSION_FILE} (nnunet_wmh jobs "
            f"{submission.run_folder}; scancel {' '.join(submission.job_ids)} cancels them)")  # fmt: skip
    if isinstance(exc, Exception):
        raise SlurmError(f"{exc}; submitted before it, {said}") from None
    logger.warning("stopped while submitting; %s", said)


@dataclass(frozen=True)
class _FolderState:
    """What a submission may change in ``RUN/slurm``, as it was before: to put back when nothing was submitted."""

    folder: Path
    existed: bool
    subfolders: frozenset[str]
    files: dict[str, tuple[bytes, int] | None]  # name -> (content, mode), or None where there was none

    @classmethod
    def of(cls, folder: Path, names: Sequence[str]) -> _FolderState:
        """The state of ``folder``'s files ``names`` (and of the folders a submission makes)."""
        files: dict[str, tuple[bytes, int] | None] = {}
        for name in names:
            path = folder / name
            files[name] = (path.read_bytes(), path.stat().st_mode) if path.is_file() else None
        subfolders = frozenset(sub for sub in (LOGS_FOLDER, EXIT_FOLDER) if (folder / sub).is_dir())
        return cls(folder, folder.is_dir(), subfolders, files)

    def restore(self) -> None:
        """Put the files back, and remove the files and folders made since."""
        if not self.existed:
            shutil.rmtree(self.folder, ignore_errors=True)
            return
        for name, kept in self.files.items():
            path = self.folder / name
            if kept is None:
                path.unlink(missing_ok=True)
            elif not path.is_file() or path.read_bytes() != kept[0]:
                temporary = path.with_name(f".{name}.tmp{os.getpid()}")
                temporary.write_bytes(kept[0])
                temporary.chmod(kept[1] & 0o7777)
                os.replace(temporary, path)
        for sub in {LOGS_FOLDER, EXIT_FOLDER} - self.subfolders:
            shutil.rmtree(self.folder / sub, ignore_errors=True)


def _check_job(job: JobSpec, earlier: set[str]) -> None:
    if not JOB_NAME.fullmatch(job.name) or job.name in earlier:
        raise UsageError(f"job name {job.name!r}: one word of letters, digits, _ . - and unique in the run")
    unknown = [name for name in job.after if name not in earlier]
    if unknown:
        raise UsageError(f"job {job.name} waits for {', '.join(unknown)}, not listed before it")


def _submit_one(
    job: JobSpec, folder: Path, options: SlurmOptions, environment: Mapping[str, str], what: str, ids: dict[str, str]
) -> SubmittedJob:
    """Write one job's script and submit it (the tasks not done) after the submitted jobs it waits for; a job
    whose work is done gets neither."""
    pending = _to_submit(job, folder.parent)
    tasks = pending if isinstance(pending, list) else None
    submitted = SubmittedJob(job.name, job.title, "", str(job.log_pattern(folder)), job.gpu, list(job.after),
                             job.after_any, [list(g) for g in job.done], job.array, tasks)  # fmt: skip
    if pending is False or pending == []:
        return submitted
    text = render_script(replace(job, array=tasks), options, folder, environment, what=what)
    submitted.script = str(write_script(folder / f"{job.name}.sbatch", text))
    if options.submit:
        waits = [ids[name] for name in job.after if name in ids]
        submitted.job_id = sbatch(submitted.script, after=waits, after_any=job.after_any)
        ids[job.name] = submitted.job_id
    return submitted


def _earlier_ids(before: SubmittedJob, now: SubmittedJob) -> dict[str, str]:
    """Job ids of the earlier submission for the tasks not submitted now."""
    tasks = now.array if now.array is not None else [None]
    kept = {}
    for task in tasks:
        submitted_now = now.job_id is not None and (now.submitted_tasks is None or task in now.submitted_tasks)
        earlier_id = before.id_for(task)
        if not submitted_now and earlier_id is not None:
            kept[task_key(task)] = earlier_id
    return kept


def _write_record(path: Path, submission: Submission) -> None:
    temporary = path.with_name(f".{path.name}.tmp{os.getpid()}")
    temporary.write_text(json.dumps(submission.to_json(), indent=1) + "\n")
    os.replace(temporary, path)
