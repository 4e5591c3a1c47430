"""``nnunet_wmh coregister``: a T1 image onto the exact grid of the subject's FLAIR.

Outside the challenge's ``pre/`` folder, T1 and FLAIR sit on different grids (a 3-D T1 and a 2-D FLAIR);
nnU-Net needs its channels on one grid. Rigid registration (Mattes mutual information, multi-resolution,
centred initialisation), optional N4 bias-field correction of both images first, then linear resampling
of the T1 onto the FLAIR grid. The output carries the FLAIR's header; the transform is written beside it.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.io import nifti_stem, save_nifti
from nnunet_wmh.registration.engine import (
    RegistrationRunError,
    convergence_problem,
    read_float_image,
    register,
    require_nifti_name,
    resample_image,
    transform_path,
)
from nnunet_wmh.runs.outputs import atomic_output_files
from nnunet_wmh.runs.summary import RunSummary, Stopwatch

logger = logging.getLogger(__name__)

#: Share of the moved T1's head that must land inside the FLAIR's head.
MIN_HEAD_OVERLAP = 0.90
N4_SHRINK = 4


@dataclass(frozen=True)
class CoregistrationResult:
    """Files written and how the registration ended.

    Attributes
    ----------
    image
        The moved image on the FLAIR grid.
    transform
        The rigid transform (ITK ``.tfm``) beside it.
    metric
        Final Mattes mutual information (negative: lower is better).
    head_overlap
        Share of the moved head inside the FLAIR's head (0..1).
    seconds
        Wall time of the registration and resampling.
    """

    image: Path
    transform: Path
    metric: float
    head_overlap: float
    seconds: float = 0.0
    #: Why the registration failed its QC (``None`` when it passed; only with ``require_qc`` False).
    problem: str | None = None

    @property
    def run_summary(self) -> RunSummary:
        """The end-of-run summary (one image)."""
        return RunSummary("coregister", self.image.parent, 1, "image", seconds=self.seconds)


def n4_correct(image: sitk.Image) -> sitk.Image:
    """N4 bias-field correction (fitted on a 4× shrunk copy inside an Otsu head mask, applied at full size)."""
    image = sitk.Cast(image, sitk.sitkFloat32)
    mask = sitk.OtsuThreshold(image, 0, 1, 200)
    shrunk = sitk.Shrink(image, [N4_SHRINK] * image.GetDimension())
    shrunk_mask = sitk.Shrink(mask, [N4_SHRINK] * image.GetDimension())
    corrector = sitk.N4BiasFieldCorrectionImageFilter()
    corrector.SetMaximumNumberOfIterations([40, 30, 20])
    corrector.Execute(shrunk, shrunk_mask)
    log_bias = corrector.GetLogBiasFieldAsImage(image)
    return sitk.Divide(image, sitk.Exp(log_bias))


def head_mask(image: sitk.Image) -> np.ndarray:
    """The head: the Otsu foreground, boolean, in SimpleITK's (Z, Y, X) array order."""
    return sitk.GetArrayFromImage(sitk.OtsuThreshold(image, 0, 1, 200)).astype(bool)


def head_overlap(fixed: sitk.Image, moving: sitk.Image, transform: sitk.Transform,
                 fixed_head: np.ndarray | None = None) -> float:  # fmt: skip
    """Share (0..1) of ``moving``'s head, carried onto ``fixed`` by ``transform`` (fixed → moving points), that lies
    inside ``fixed``'s head (``fixed_head``: :func:`head_mask` of ``fixed``, when it is at hand)."""
    moved_head = sitk.GetArrayFromImage(
        sitk.Resample(sitk.OtsuThreshold(moving, 0, 1, 200), fixed, transform, sitk.sitkNearestNeighbor)
    ).astype(bool)
    inside = head_mask(fixed) if fixed_head is None else fixed_head
    return float(np.count_nonzero(moved_head & inside)) / max(int(np.count_nonzero(moved_head)), 1)


def moved_image_path(moving: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Where ``coregister`` writes ``moving`` on the FLAIR grid: ``OUT/<MOVING>_in_FLAIR.nii.gz``
    (``T1.nii.gz`` → ``T1_in_FLAIR.nii.gz``); an ``OUT`` ending in ``.nii.gz`` or ``.nii`` is the image itself
    (the spelling of earlier releases, deprecated)."""
    out = Path(out).expanduser().absolute()
    if nifti_stem(out) is not None:
        logger.warning("`out` %s names the image; give the output folder instead (a file `out` is deprecated)", out)
        return out
    moving = Path(moving)
    return out / f"{nifti_stem(moving) or moving.name}_in_FLAIR.nii.gz"


def coregister(
    fixed: str | os.PathLike[str],
    moving: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    n4: bool = False,
    subject: str | None = None,
    overwrite: bool = False,
    require_qc: bool = True,
) -> CoregistrationResult:
    """Register ``moving`` (T1) to ``fixed`` (FLAIR) rigidly and resample it onto the FLAIR grid.

    Parameters
    ----------
    fixed
        The image whose grid the output takes (FLAIR).
    moving
        The image to move (T1).
    out
        Output ``.nii.gz`` or ``.nii`` (float32, the FLAIR's header); the transform goes to
        ``OUT_transform.tfm``.
    n4
        N4 bias-field correction of both images before registering (the output is the corrected T1).
    subject
        Name used in messages (default: ``subject``; the messages name the image file as well).
    overwrite
        Replace an existing output and transform.
    require_qc
        Raise when the registration fails its QC (default); when False, the moved image is written anyway and
        the result says why in ``problem`` (``segment`` flags such a subject and goes on).

    Raises
    ------
    OutputExistsError
        ``out`` or its transform exists and ``overwrite`` is False (checked before registering).
    InputDataError
        An image that cannot be read (names the file).
    RegistrationError
        When SimpleITK gives up, or less than 90 % of the moved T1's head overlaps the FLAIR's head.
    """
    out = require_nifti_name(out, "out")
    name, stopwatch = subject or "subject", Stopwatch()
    with atomic_output_files([out, transform_path(out)], overwrite=overwrite) as (staged_image, staged_transform):
        fixed_image = read_float_image(name, fixed, "fixed image")
        moving_image = read_float_image(name, moving, "moving image")
        fixed_sitk, moving_sitk = _corrected(fixed_image.sitk_image, n4), _corrected(moving_image.sitk_image, n4)
        transform, metric, overlap, problem = _rigid_onto(
            fixed_sitk, moving_sitk, fixed_image.path, moving_image.path, name
        )
        if problem is not None and require_qc:
            raise RegistrationError(name, str(moving_image.path), problem)
        moved = resample_image(moving_sitk, fixed_sitk, transform)
        save_nifti(moved, staged_image, reference=fixed_image.nifti, description="nnunet_wmh coregister")
        sitk.WriteTransform(transform, str(staged_transform))
    return CoregistrationResult(out, transform_path(out), metric, overlap, stopwatch.seconds, problem)


def _corrected(image: sitk.Image, n4: bool) -> sitk.Image:
    return n4_correct(image) if n4 else image


def _rigid_onto(
    fixed_image: sitk.Image, moving_image: sitk.Image, fixed: Path, moving: Path, subject: str
) -> tuple[sitk.Transform, float, float, str | None]:
    """The rigid transform (fixed → moving points), its final metric, the head overlap (0..1) and why it failed
    its QC (``None`` when it passed)."""
    try:
        result = register(fixed_image, moving_image, kind="rigid")
    except RegistrationRunError as exc:
        raise RegistrationError(subject, str(moving), f"registration to {fixed} failed: {exc}") from exc
    overlap = head_overlap(fixed_image, moving_image, result.transform)
    what = f"the moved head inside the head of {fixed}"
    return result.transform, result.metric, overlap, convergence_problem(result, overlap, MIN_HEAD_OVERLAP, what=what)
