"""``change --slurm``: the participants of a segment output measured by a SLURM job array, then merged.

Jobs (CPU partition; no model runs):

* ``change.part``: an array over the parts; task K runs ``nnunet_wmh change ... --part-id K --num-parts N`` into
  ``OUT/parts/part-K-of-N``;
* ``change.merge``: ``nnunet_wmh report-merge OUT`` once every part has ended, whatever its result (``afterany``):
  with all parts it writes the final tables and files; with parts missing it fails naming them.

Submitting the same run again submits only the parts not done and the merge. With one part there is no merge.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.longitudinal.finish import CHANGE_JSON
from nnunet_wmh.longitudinal.run import ChangeOptions
from nnunet_wmh.longitudinal.visits import read_visits
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parts import PART_FILE, PARTS_FOLDER
from nnunet_wmh.slurm.client import require
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import TASK_ID, JobSpec, nnunet_wmh_command
from nnunet_wmh.slurm.submit import Submission, check_resubmission, submit_jobs

PART_JOB, MERGE_JOB = "change.part", "change.merge"
#: ChangeOptions field → flag, for the fields that are one value.
FLAGS = {"min_change_ml": "--min-change-ml", "min_change_percent": "--min-change-percent",
         "min_overlap_voxels": "--min-overlap-voxels", "source": "--source"}  # fmt: skip


def change_command(segment_dir: str | os.PathLike[str], out: Path, options: ChangeOptions, run: RunOptions
                   ) -> list[str]:  # fmt: skip
    """``nnunet_wmh change`` with the flags of these options (paths absolute, defaults left out), without
    ``--part-id``/``--num-parts``: what every part runs."""
    argv = [*nnunet_wmh_command(), "change", str(Path(segment_dir).expanduser().absolute()), "--out", str(out)]
    default = ChangeOptions()
    for name, flag in FLAGS.items():
        value = getattr(options, name)
        if value is not None and value != getattr(default, name):
            argv += [flag, str(Path(value).expanduser().absolute()) if name == "source" else str(value)]
    argv += [] if options.pictures else ["--no-pictures"]
    return argv + (["--jobs", str(run.jobs)] if run.jobs != RunOptions().jobs else [])


def submit_change(
    segment_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    slurm: SlurmOptions,
    options: ChangeOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> Submission:
    """Submit a ``change`` run as a SLURM job array of ``run.num_parts`` parts and a merge job.

    Parameters are those of :func:`~nnunet_wmh.longitudinal.run.detect_change`; ``slurm`` gives the resources.
    The segment output and the cohort are read here; each part checks its own files.

    Raises
    ------
    UsageError
        Bad options, more parts than participants, a ``part_id`` (the jobs run every part).
    OutputExistsError
        ``out`` holds a finished change or another run's files, without ``overwrite``.
    SlurmError
        Jobs of the last submission still queued or running, or sbatch refusing a job.
    """
    options, run = resolve_options(ChangeOptions, options, run, fields)
    options.check()
    slurm.check()
    if slurm.submit:
        require("sbatch")  # before anything is read or written
    run.check(parts=True)
    if run.part_id != 0:
        raise UsageError("`slurm` submits every part itself; leave out `part_id`", "part_id")
    most = len(read_visits(segment_dir, source=options.source))
    if not 1 <= run.num_parts <= most:
        raise UsageError(f"`num_parts` must be 1..{most} (the participants), got {run.num_parts}", "num_parts")
    out = Path(out).expanduser().absolute()
    command = change_command(segment_dir, out, options, run)
    previous = check_resubmission(out, command, finished=CHANGE_JSON, overwrite=run.overwrite, query=slurm.submit)
    again, n = (["--overwrite"] if run.overwrite else []), run.num_parts
    steps = [(f"part $SLURM_ARRAY_TASK_ID of {n}", [*command, "--part-id", TASK_ID, "--num-parts", str(n), "-q",
                                                    *again])]  # fmt: skip
    done = [[f"{PARTS_FOLDER}/part-{{task}}-of-{n}/{PART_FILE}"]]
    part = JobSpec(PART_JOB, f"measure the part's participants (part K of {n})", steps, cpus=run.jobs,
                   array=list(range(n)), done=done)  # fmt: skip
    merge = JobSpec(MERGE_JOB, "join the parts: final tables, change maps, pictures",
                    [("report-merge: fails naming the parts that are missing",
                      [*nnunet_wmh_command(), "report-merge", str(out), "-q", *again])],
                    cpus=1, after=[PART_JOB], after_any=True)  # fmt: skip
    if n == 1:  # one job writes the final output itself
        part.title, part.done = "measure every participant", [] if run.overwrite else [[CHANGE_JSON]]
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    try:
        return submit_jobs(out, "change", command, [part] if n == 1 else [part, merge], slurm, {},
                           what=f"nnunet_wmh change into {out}", previous=previous)  # fmt: skip
    except BaseException:
        if made and not any(out.iterdir()):  # nothing was submitted: the folder this call made goes too
            out.rmdir()
        raise
