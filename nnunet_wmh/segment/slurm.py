"""``segment --slurm``: a cohort segmented by a SLURM job array, then merged by one more job.

Jobs:

* ``segment.part``: an array over the parts; task K runs ``nnunet_wmh segment ... --part-id K --num-parts N``
  into ``OUT/parts/part-K-of-N`` (GPU partition);
* ``segment.merge``: ``nnunet_wmh report-merge OUT`` once every part has ended, whatever its result
  (``afterany``): with all parts it writes the final tables, pictures, page and BIDS files; with parts missing
  it fails naming them, and the parts that succeeded stay usable (CPU partition).

Submitting the same run again submits only the parts not done and the merge. With one part there is no merge:
the one job writes the final report (``OUT/slurm`` is kept beside it). A submission that sends nothing (sbatch
missing, or refusing the first job) leaves ``OUT`` as it was, and removes it when it made it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import UsageError
from nnunet_wmh.nnunet.model import open_model
from nnunet_wmh.nnunet.trainer_search import TRAINER_PATH_VARIABLE, extended_trainer_search
from nnunet_wmh.report.schema import REPORT_JSON
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parts import PART_FILE, PARTS_FOLDER
from nnunet_wmh.segment.inputs import (
    SegmentSource,
    input_subjects,
    require_served,
    unused_inputs_warning,
    with_model_modalities,
)
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.routes import participants_of, route_subjects
from nnunet_wmh.slurm.client import require
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import TASK_ID, JobSpec, nnunet_wmh_command
from nnunet_wmh.slurm.submit import Submission, check_resubmission, submit_jobs

PART_JOB, MERGE_JOB = "segment.part", "segment.merge"
#: SegmentOptions field → flag, for the fields that are one value.
FLAGS = {"checkpoint": "--checkpoint", "atlas_image": "--atlas-image", "atlas_labels": "--atlas-labels",
         "region_table": "--region-table", "transform": "--transform", "layout": "--layout",
         "connectivity": "--connectivity", "min_lesion_mm3": "--min-lesion-mm3", "part_by": "--part-by"}  # fmt: skip
PATH_FIELDS = ("atlas_image", "atlas_labels", "region_table")


def _absolute(path: str | os.PathLike[str]) -> str:
    return str(Path(path).expanduser().absolute())


def _option_flags(options: SegmentOptions) -> list[str]:
    default, argv = SegmentOptions(), []
    for name, flag in FLAGS.items():
        value = getattr(options, name)
        if value is not None and value != getattr(default, name):
            argv += [flag, _absolute(value) if name in PATH_FIELDS else str(value)]
    if options.folds:
        argv += ["--folds", *options.folds]
    switches = {"--disable-tta": not options.mirroring, "--skip-invalid": options.skip_invalid,
                "--no-pictures": not options.pictures}  # fmt: skip
    argv += [flag for flag, on in switches.items() if on]
    for path in options.trainer_paths:
        argv += ["--trainer-path", _absolute(path)]
    return argv


def _input_flags(source: SegmentSource) -> list[str]:
    if not isinstance(source, SubjectFiles):
        return [_absolute(source)]
    argv = [f"--{modality}={path}" for modality, path in source.images().items()]
    return argv + (["--subject-id", source.subject_id] if source.subject_id != SubjectFiles().subject_id else [])


def segment_command(
    source: SegmentSource, model: str | os.PathLike[str], out: str | os.PathLike[str], options: SegmentOptions,
    run: RunOptions,
) -> list[str]:  # fmt: skip
    """``nnunet_wmh segment`` with the flags of these options (paths absolute, defaults left out), without
    ``--part-id``/``--num-parts``: what every part runs."""
    argv = [*nnunet_wmh_command(), "segment", *_input_flags(source)]
    argv += ["--model", _absolute(model), "--out", _absolute(out), *_option_flags(options)]
    if run.device != RunOptions().device:
        argv += ["--device", run.device]
    return argv + (["--jobs", str(run.jobs)] if run.jobs != RunOptions().jobs else [])


def _part_count(source: SegmentSource, model: str | os.PathLike[str], options: SegmentOptions) -> int:
    """Check what can be checked without reading images (the cohort, the model, the routes); how many parts the
    run can have: its cases, or with ``part_by`` participant its participants."""
    subjects = input_subjects(source, layout=options.layout)
    with tempfile.TemporaryDirectory(prefix="nnunet_wmh_slurm_") as scratch:
        trained = open_model(model, folds=options.folds, checkpoint=options.checkpoint, unpack_dir=Path(scratch))
        subjects = with_model_modalities(subjects, source, layout=options.layout, route=trained.route)
        routes = route_subjects(subjects, trained.route)
    require_served(routes, consequence="the model can serve no subject; nothing was submitted")
    unused_inputs_warning(routes, source, strict=options.strict)  # refused here; the parts leave them out
    return len(participants_of(routes)) if options.part_by == "participant" else len(routes)


def submit_segment(
    source: SegmentSource,
    model: str | os.PathLike[str],
    out: str | os.PathLike[str],
    slurm: SlurmOptions,
    options: SegmentOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> Submission:
    """Submit a ``segment`` run as a SLURM job array of ``run.num_parts`` parts and a merge job.

    Parameters are those of :func:`~nnunet_wmh.segment.run.segment_cohort`; ``slurm`` gives the resources.
    The cohort, the model and the routes are checked here; each part checks its own images.

    Raises
    ------
    UsageError, InvalidInputsError
        Bad options, no subject the model can serve, more parts than cases, a ``part_id`` (the jobs run every
        part).
    OutputExistsError
        ``out`` holds a finished report or another run's files, without ``overwrite``.
    SlurmError
        Jobs of the last submission still queued or running, or sbatch refusing a job (refusing the first, ``out``
        is left as it was).
    """
    options, run = resolve_options(SegmentOptions, options, run, fields)
    options.check()
    slurm.check()
    if slurm.submit:
        require("sbatch")  # before the cohort and the model are read, and before anything is written
    run.check(parts=True, device=True)
    if run.part_id != 0:
        raise UsageError("`slurm` submits every part itself; leave out `part_id`", "part_id")
    most = _part_count(source, model, options)
    num_parts = run.num_parts
    if options.part_by == "participant" and num_parts != most:
        raise UsageError(f"`num_parts` must be {most} (the participants of the cohort), got {num_parts}", "num_parts")
    if not 1 <= num_parts <= most:
        raise UsageError(f"`num_parts` must be 1..{most} (the cases of the cohort), got {num_parts}", "num_parts")
    out = Path(out).expanduser().absolute()
    command = segment_command(source, model, out, options, run)
    previous = check_resubmission(out, command, finished=REPORT_JSON, overwrite=run.overwrite, query=slurm.submit)
    again = ["--overwrite"] if run.overwrite else []
    part_done = f"{PARTS_FOLDER}/part-{{task}}-of-{num_parts}/{PART_FILE}"
    part = JobSpec(PART_JOB, f"segment the part's subjects (part K of {num_parts})",
                   [(f"part $SLURM_ARRAY_TASK_ID of {num_parts}: check, segment and measure its subjects",
                     [*command, "--part-id", TASK_ID, "--num-parts", str(num_parts), "-q", *again])],
                   gpu=True, cpus=run.jobs, array=list(range(num_parts)), done=[[part_done]])  # fmt: skip
    merge = JobSpec(MERGE_JOB, "join the parts: final tables, pictures, index.html, BIDS files",
                    [("report-merge: fails naming the parts that are missing", [*nnunet_wmh_command(), "report-merge",
                      str(out), "-q", *again])], cpus=1, after=[PART_JOB], after_any=True)  # fmt: skip
    if num_parts == 1:  # one job writes the final report itself (its work is done once report.json exists)
        part.title, part.done = "segment every subject and write the report", [] if run.overwrite else [[REPORT_JSON]]
    made = not out.exists()
    out.mkdir(parents=True, exist_ok=True)
    # the folders the submitting shell's nnUNet_extTrainer lists are searched too, as a local run searches them
    environment = {TRAINER_PATH_VARIABLE: extended_trainer_search(options.trainer_paths), "nnUNet_compile": "false"}
    try:
        return submit_jobs(out, "segment", command, [part] if num_parts == 1 else [part, merge], slurm, environment,
                           what=f"nnunet_wmh segment into {out}", previous=previous)  # fmt: skip
    except BaseException:
        if made and not any(out.iterdir()):  # nothing was submitted: the folder this call made goes too
            out.rmdir()
        raise
