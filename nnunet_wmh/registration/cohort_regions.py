"""``nnunet_wmh regions COHORT``: atlas region maps for every subject of a cohort.

Writes ``OUT_DIR/<subject key>/regions.nii.gz`` (+ transform) and ``OUT_DIR/regions.tsv``, where
``convert --regions OUT_DIR`` and ``report --regions 'OUT_DIR/{site}/{subject}/regions.nii.gz'`` find them.
Every subject's image is read and checked before any registration, and registrations that fail are all
listed at the end; nothing is written unless every subject succeeds (or ``skip_invalid``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts import Subject, read_source
from nnunet_wmh.errors import ImageReadError, InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.io import read_image
from nnunet_wmh.labels.region_table import write_region_table
from nnunet_wmh.registration.atlas import Atlas, RegionMapResult, register_atlas
from nnunet_wmh.registration.engine import TransformKind
from nnunet_wmh.registration.options import RegionsOptions
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import map_collecting_problems, map_with_progress

REGION_MAP_NAME = "regions.nii.gz"
REGION_TABLE_NAME = "regions.tsv"


@dataclass(frozen=True)
class CohortRegions:
    """Result of :func:`register_atlas_to_cohort`.

    Attributes
    ----------
    out_dir
        The output folder.
    results
        One result per subject with a region map.
    region_table
        ``OUT_DIR/regions.tsv``.
    skipped
        Problems of the subjects left out (``skip_invalid``).
    """

    out_dir: Path
    results: list[RegionMapResult]
    region_table: Path
    skipped: list[InputDataError] = field(default_factory=list)


@dataclass(frozen=True)
class _Task:
    subject: str
    image: Path
    out: Path


def _subject_image(subject: Subject, modality: str) -> Path | None:
    preferred = subject.t1 if modality == "t1" else subject.flair
    return preferred or subject.flair or subject.t1


def _tasks(subjects: list[Subject], modality: str, folder: Path) -> tuple[list[_Task], list[InputDataError]]:
    tasks, problems = [], []
    for subject in subjects:
        image = _subject_image(subject, modality)
        if image is None:
            problems.append(InputDataError(subject.key, subject.where(modality), "neither a T1 nor a FLAIR image"))
        else:
            tasks.append(_Task(subject.key, Path(image), folder / subject.key / REGION_MAP_NAME))
    return tasks, problems


def _image_problem(task: _Task) -> InputDataError | None:
    try:
        read_image(task.image)
    except ImageReadError as exc:
        return InputDataError(task.subject, exc.path, exc.problem)
    return None


def _register_subject(task: _Task, atlas: Atlas, transform: TransformKind) -> RegionMapResult:
    task.out.parent.mkdir(parents=True, exist_ok=True)
    return register_atlas(atlas, task.image, task.out, subject=task.subject, transform=transform)


def _registered(
    tasks: list[_Task], atlas: Atlas, transform: TransformKind, *, jobs: int, progress: bool
) -> tuple[list[RegionMapResult], list[InputDataError]]:
    """Check every image, then register every subject whose image is readable; all problems at the end."""
    checks = map_with_progress(_image_problem, tasks, jobs=jobs, desc="checking images", progress=progress)
    problems = [problem for problem in checks if problem is not None]
    readable = [task for task, problem in zip(tasks, checks, strict=True) if problem is None]
    results, failed = map_collecting_problems(
        partial(_register_subject, atlas=atlas, transform=transform),
        readable,
        jobs=jobs,
        desc="registering the atlas",
        progress=progress,
    )
    return [r for r in results if r is not None], problems + failed


def register_atlas_to_cohort(
    atlas: Atlas,
    source: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: RegionsOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> CohortRegions:
    """Region maps for every subject of a cohort (any layout ``convert`` reads).

    Parameters
    ----------
    atlas
        From :func:`~nnunet_wmh.registration.atlas.load_atlas`.
    source
        WMH 2017 tree, BIDS root or manifest.
    out
        Output folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    options, run, **fields
        :class:`~nnunet_wmh.registration.options.RegionsOptions` (its ``layout``, ``modality``, ``transform``
        and ``skip_invalid``; the atlas files are ``atlas``'s) and :class:`~nnunet_wmh.runs.options.RunOptions`
        (jobs, overwrite, progress), or their fields by name.

    Raises
    ------
    UsageError
        Bad options.
    InvalidInputsError
        Subjects whose image cannot be read or whose registration fails (all listed; nothing written).
    """
    options, run = resolve_options(RegionsOptions, options, run, fields)
    options.check()
    run.check()
    if options.wm_mask is not None:
        raise UsageError("`wm_mask` applies to one subject image, not to a cohort", "wm_mask")
    out_dir = Path(out).expanduser().absolute()
    with atomic_output_folder(out_dir, overwrite=run.overwrite) as staging:
        contents = read_source(source, layout=options.layout)
        subjects = [*contents.train, *contents.test]
        if not subjects:
            raise UsageError(f"`source` {source}: no subjects found", "source")
        tasks, problems = _tasks(subjects, options.modality, staging)
        results, failed = _registered(tasks, atlas, options.transform, jobs=run.jobs, progress=run.progress)
        order = {subject.key: number for number, subject in enumerate(subjects)}
        problems = sorted([*contents.problems, *problems, *failed], key=lambda p: order.get(p.subject, -1))
        if problems and (not options.skip_invalid or not results):
            raise InvalidInputsError(problems, consequence="no region map was written")
        write_region_table(atlas.table, staging / REGION_TABLE_NAME)
    moved = [
        replace(
            r,
            region_map=out_dir / r.region_map.relative_to(staging),
            transform=out_dir / r.transform.relative_to(staging),
        )
        for r in results
    ]
    return CohortRegions(out_dir, moved, out_dir / REGION_TABLE_NAME, problems)
