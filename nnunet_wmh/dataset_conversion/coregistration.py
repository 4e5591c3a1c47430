"""``convert`` with ``coregister``: images on another grid than their FLAIR are registered and resampled onto it.

Outside the challenge's ``pre/`` folder a subject's T1 (often 3-D) and FLAIR (often 2-D) lie on different
grids, and nnU-Net needs its channels on one; so do T2, PD and the other contrasts. Images already on the
FLAIR grid are left as they are; the others get ``coregistered/<subject key>/<T1|T2|...>_in_FLAIR.nii.gz``
(+ transform) inside the dataset, made by :func:`nnunet_wmh.registration.coregister.coregister`, and that
image becomes their channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, Modality, Subject
from nnunet_wmh.errors import ImageReadError, InputDataError
from nnunet_wmh.geometry import Geometry, geometry_differences
from nnunet_wmh.io import load_nifti
from nnunet_wmh.runs.parallel import map_with_progress

logger = logging.getLogger(__name__)

COREGISTERED_FOLDER = "coregistered"


@dataclass(frozen=True)
class CoregisteredT1:
    """An image moved onto its FLAIR grid: the file written, relative to the dataset, and the source image."""

    relative: str
    source: Path


#: Images moved for one subject, by modality.
Moved = dict[Modality, CoregisteredT1]


def coregistered_name(modality: Modality) -> str:
    """``T1_in_FLAIR.nii.gz``, ``T2_in_FLAIR.nii.gz``, ..."""
    return f"{MODALITY_NAMES[modality]}_in_FLAIR.nii.gz"


def off_grid_modalities(subject: Subject, modalities: Sequence[Modality]) -> tuple[Modality, ...]:
    """Those of ``modalities`` whose image the subject has off its FLAIR's grid (headers only, the FLAIR's read
    once; none without FLAIR, and an unreadable file is left to validation)."""
    if subject.flair is None:
        return ()
    try:
        flair = Geometry.of(load_nifti(subject.flair))
    except ImageReadError:
        return ()
    off = []
    for modality in (m for m in subject.modalities(modalities) if m != "flair"):
        try:
            moving = Geometry.of(load_nifti(subject.image(modality)))  # type: ignore[arg-type]
        except ImageReadError:
            continue
        if geometry_differences(moving, flair, reference_name="FLAIR"):
            off.append(modality)
    return tuple(off)


def off_grid(subject: Subject, modality: Modality) -> bool:
    """Whether the subject has FLAIR and the image of ``modality`` and that image is not on the FLAIR grid."""
    return bool(off_grid_modalities(subject, (modality,)))


def _coregister_one(
    task: tuple[Subject, tuple[Modality, ...]], dataset_dir: Path
) -> tuple[Subject, Moved, InputDataError | None]:
    """Move the images of ``task[1]`` (the subject's off-grid modalities) onto the FLAIR grid."""
    from nnunet_wmh.registration.coregister import coregister  # heavy: SimpleITK, only with coregister

    subject, off = task
    moved: Moved = {}
    for modality in off:
        source = subject.image(modality)
        relative = f"{COREGISTERED_FOLDER}/{subject.key}/{coregistered_name(modality)}"
        try:
            coregister(subject.flair, source, dataset_dir / relative, subject=subject.key)
        except InputDataError as exc:
            return subject, {}, exc
        subject = subject.with_image(modality, dataset_dir / relative)
        moved[modality] = CoregisteredT1(relative, Path(source))  # type: ignore[arg-type]
    return subject, moved, None


def coregister_subjects(
    subjects: Sequence[Subject],
    dataset_dir: Path,
    *,
    jobs: int,
    progress: bool,
    modalities: tuple[Modality, ...] = MODALITIES,
) -> tuple[list[Subject], dict[str, Moved], list[InputDataError]]:
    """Coregister every image of ``modalities`` that is off its FLAIR's grid.

    Returns
    -------
    subjects, coregistered, problems
        Subjects with their images replaced where they were moved; ``{subject key: {modality:
        CoregisteredT1}}``; failed registrations (reported with the other validation problems).
    """
    todo = [(s, off) for s in subjects if (off := off_grid_modalities(s, modalities))]
    if not todo:
        return list(subjects), {}, []
    others = [MODALITY_NAMES[m] for m in modalities if m != "flair"]
    logger.info("coregistering the %s of %d subject(s) to their FLAIR", "/".join(others), len(todo))
    work = partial(_coregister_one, dataset_dir=dataset_dir)
    done = map_with_progress(work, todo, jobs=jobs, desc="coregistering", progress=progress)
    moved = {s.key: (new, record) for (new, record, _), (s, _) in zip(done, todo, strict=True) if record}
    problems = [problem for _, _, problem in done if problem is not None]
    updated = [moved[s.key][0] if s.key in moved else s for s in subjects]
    return updated, {key: record for key, (_, record) in moved.items()}, problems
