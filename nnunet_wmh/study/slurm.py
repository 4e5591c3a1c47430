"""``study --slurm``: the study's steps as SLURM jobs, in the order their dependencies ask.

Jobs (each runs ``nnunet_wmh study ... --only-steps KEYS``, so the study's own records and resume rules apply):

* ``study.regions``: the atlas registered to every subject (with an atlas), CPU partition;
* ``study.CONFIG.prepare``: convert + ``nnUNetv2_plan_and_preprocess``, CPU partition;
* ``study.CONFIG.train_foldF``: one ``nnUNetv2_train`` per configuration and fold, GPU partition;
* ``study.CONFIG.predict``: ``nnUNetv2_predict`` (+ decode) + evaluate, GPU partition;
* ``study.tables``: the tables, statistics, figures and page (``--tables-only``), CPU partition.

A job whose steps are all finished is not submitted again, so submitting the same study again after a failure
reruns only what is missing. A submission that sends nothing (sbatch missing, or refusing the first job) leaves
``OUT/slurm`` and ``OUT/commands.sh`` as they were, and removes the study folder when it made it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import SLURM_FOLDER, folder_lock
from nnunet_wmh.slurm.client import require
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import JobSpec
from nnunet_wmh.slurm.submit import SUBMISSION_FILE, Submission, check_not_running, submit_jobs
from nnunet_wmh.study.commands_sh import study_command, write_commands
from nnunet_wmh.study.layout import COMMANDS_SH
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.run import StudyPlan, check_plan_inputs, plan_study, prepare_study_folder
from nnunet_wmh.study.steps import Step, StudyConflictError, conflicting_steps, forget_step, study_ledger


def job_of(step: Step) -> tuple[str, bool]:
    """The job a step belongs to, and whether that job runs in the GPU partition."""
    config, _, action = step.key.partition("/")
    if not action:
        return f"study.{config}", False
    if action in ("convert", "plan"):
        return f"study.{config}.prepare", False
    if action.startswith("train_fold"):
        return f"study.{config}.{action}", True
    return f"study.{config}.predict", True


def study_jobs(plan: StudyPlan, command: Sequence[str]) -> list[JobSpec]:
    """The study's jobs: its steps grouped (:func:`job_of`), each after the jobs of the steps it waits for,
    then the tables."""
    ledger, jobs, cpus = study_ledger(plan.out), {}, plan.planner.jobs
    keys: dict[str, list[str]] = {}
    for step in plan.steps:
        name, gpu = job_of(step)
        if name not in jobs:
            jobs[name] = JobSpec(name, "", [], gpu=gpu, cpus=cpus, done=[[]])
            keys[name] = []
        job = jobs[name]
        keys[name].append(step.key)
        job.steps.append((step.title, []))
        job.done[0].append(str(ledger.record_path(step.key).relative_to(plan.out)))
        for before in step.after:
            waits = job_of(before)[0]
            if waits != name and waits not in job.after:
                job.after.append(waits)
    for name, job in jobs.items():
        job.title = "; ".join(title for title, _ in job.steps)
        comment = f"{job.title} (step{'s' if len(keys[name]) > 1 else ''} {', '.join(keys[name])})"
        job.steps = [(comment, [*command, "--only-steps", ",".join(keys[name]), "-q"])]
    tables = JobSpec(
        "study.tables", "the tables, statistics, figures and index.html", cpus=cpus, after=list(jobs),
        steps=[("results.tsv, tables, comparisons, figures, study.json and index.html", [*command, "--tables-only"])],
    )  # fmt: skip
    return [*jobs.values(), tables]


def submit_study(
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: StudyOptions,
    slurm: SlurmOptions,
    run: RunOptions | None = None,
    **fields: Any,
) -> Submission:
    """Submit a study (or the rest of one) as SLURM jobs; nothing runs here.

    Parameters
    ----------
    source, out, options, run, **fields
        As :func:`~nnunet_wmh.study.run.run_study`; ``run.overwrite`` forgets finished steps whose options changed
        (they run again), or replaces a folder that is not a study.
    slurm
        Resources, partitions, set-up lines; ``slurm.submit`` False writes the scripts only.

    Raises
    ------
    UsageError, StudyConflictError
        As :func:`~nnunet_wmh.study.run.run_study` (checked before anything is submitted).
    SlurmError
        Jobs of the last submission still queued or running, or sbatch refusing a job (refusing the first, the study
        folder is left as it was).
    """
    options, run = resolve_options(StudyOptions, options, run, fields)
    slurm.check()
    if slurm.submit:
        require("sbatch")  # before the study is planned, and before anything is written
    plan = plan_study(source, out, options, run)
    check_plan_inputs(plan, run)  # a damaged image stops the submission, not the job that converts it
    made = not plan.out.exists()
    prepare_study_folder(plan.out, overwrite=run.overwrite)
    try:
        return _submit_planned(plan, options, slurm, run)
    except BaseException:
        if made and not (plan.out / SLURM_FOLDER / SUBMISSION_FILE).exists():  # nothing was submitted
            shutil.rmtree(plan.out, ignore_errors=True)
        raise


class _Kept:
    """A file's content before a submission rewrites it (None: there was none)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.content = path.read_bytes() if path.is_file() else None

    def changed(self) -> bool:
        """Whether the file is not as it was."""
        return (self.path.read_bytes() if self.path.is_file() else None) != self.content

    def restore(self) -> None:
        """The file as it was."""
        if self.content is None:
            self.path.unlink(missing_ok=True)
        elif self.changed():
            self.path.write_bytes(self.content)


def _submit_planned(plan: StudyPlan, options: StudyOptions, slurm: SlurmOptions, run: RunOptions) -> Submission:
    """Submit a planned study from its folder, held; when nothing is submitted, ``commands.sh`` is put back."""
    with folder_lock(plan.out):
        previous = check_not_running(plan.out) if slurm.submit else None
        ledger = study_ledger(plan.out)
        conflicts = conflicting_steps(ledger, plan.steps)
        if conflicts and not run.overwrite:
            raise StudyConflictError(conflicts, plan.out)
        for step in plan.steps:
            if step.key in conflicts:
                forget_step(ledger, step)
        command = study_command(plan.planner.source, plan.out, options, run)
        commands, record = _Kept(plan.out / COMMANDS_SH), _Kept(plan.out / SLURM_FOLDER / SUBMISSION_FILE)
        write_commands(plan.out / COMMANDS_SH, plan.steps, plan.variables, tables=[*command, "--tables-only"])
        try:
            return submit_jobs(
                plan.out, "study", command, study_jobs(plan, command), slurm, plan.variables,
                what=f"nnunet_wmh study of {plan.planner.source}", previous=previous,
            )  # fmt: skip
        except BaseException:
            if not record.changed():  # nothing was submitted (submit_jobs put OUT/slurm back as it was)
                commands.restore()
            raise
