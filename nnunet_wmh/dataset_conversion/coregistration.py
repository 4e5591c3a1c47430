"""``convert`` with ``coregister``: T1 images on another grid than their FLAIR are registered and resampled onto it.

Outside the challenge's ``pre/`` folder a subject's T1 (often 3-D) and FLAIR (often 2-D) lie on different
grids, and nnU-Net needs its channels on one. Subjects whose T1 already lies on the FLAIR grid are left as
they are; the others get ``coregistered/<subject key>/T1_in_FLAIR.nii.gz`` (+ transform) inside the dataset,
made by :func:`nnunet_wmh.registration.coregister.coregister`, and that image becomes their T1 channel.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.errors import ImageReadError, InputDataError
from nnunet_wmh.geometry import Geometry, geometry_differences
from nnunet_wmh.io import load_nifti
from nnunet_wmh.parallel import map_with_progress

logger = logging.getLogger(__name__)

COREGISTERED_FOLDER = "coregistered"
COREGISTERED_NAME = "T1_in_FLAIR.nii.gz"


@dataclass(frozen=True)
class CoregisteredT1:
    """A T1 moved onto its FLAIR grid: the file written, relative to the dataset, and the source T1."""

    relative: str
    source: Path


def needs_coregistration(subject: Subject) -> bool:
    """Whether the subject has both images and its T1 is not on the FLAIR grid (headers only)."""
    if subject.flair is None or subject.t1 is None:
        return False
    try:
        flair, t1 = Geometry.of(load_nifti(subject.flair)), Geometry.of(load_nifti(subject.t1))
    except ImageReadError:
        return False  # validation reports unreadable files
    return bool(geometry_differences(t1, flair, reference_name="FLAIR"))


def _coregister_one(
    subject: Subject, dataset_dir: Path
) -> tuple[Subject, CoregisteredT1 | None, InputDataError | None]:
    from nnunet_wmh.registration.coregister import coregister  # heavy: SimpleITK, only with coregister

    relative = f"{COREGISTERED_FOLDER}/{subject.key}/{COREGISTERED_NAME}"
    try:
        coregister(subject.flair, subject.t1, dataset_dir / relative, subject=subject.key)
    except InputDataError as exc:
        return subject, None, exc
    return replace(subject, t1=dataset_dir / relative), CoregisteredT1(relative, Path(subject.t1)), None


def coregister_subjects(
    subjects: Sequence[Subject], dataset_dir: Path, *, jobs: int, progress: bool
) -> tuple[list[Subject], dict[str, CoregisteredT1], list[InputDataError]]:
    """Coregister every subject whose T1 is off its FLAIR grid.

    Returns
    -------
    subjects, coregistered, problems
        Subjects with their T1 replaced where it was moved; ``{subject key: CoregisteredT1}``; failed
        registrations (reported with the other validation problems).
    """
    todo = [s for s in subjects if needs_coregistration(s)]
    if not todo:
        return list(subjects), {}, []
    logger.info("coregistering the T1 of %d subject(s) to their FLAIR", len(todo))
    done = map_with_progress(
        partial(_coregister_one, dataset_dir=dataset_dir), todo, jobs=jobs, desc="coregistering T1", progress=progress
    )
    moved = {subject.key: (new, record) for (new, record, _), subject in zip(done, todo, strict=True) if record}
    problems = [problem for _, _, problem in done if problem is not None]
    updated = [moved[s.key][0] if s.key in moved else s for s in subjects]
    return updated, {key: record for key, (_, record) in moved.items()}, problems
