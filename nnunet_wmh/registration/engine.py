"""The registration used by ``regions`` and ``coregister``: SimpleITK, Mattes mutual information,
multi-resolution (shrink 4, 2, 1 with Gaussian smoothing 2, 1, 0 mm; an atlas on a sub-millimetre grid stops
at about 2 mm, see :func:`atlas_levels`), centred initialisation.

Stages: ``rigid`` (Euler 3-D), ``affine`` (rigid, then affine), ``affine+bspline`` (then a B-spline on a
coarse control grid, L-BFGS-B). Every stage starts from the previous one. Before an affine stage the rigid one
only places the image, so it skips the finest level, and the affine stage, starting from it, skips the coarsest
(:func:`stage_levels`); the result is one transform that
maps points of the fixed image to the moving image (SimpleITK's convention), ready for ``sitk.Resample``.
The metric runs on one thread with a fixed sampling seed, so the same images always give the same transform.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import nibabel as nib
import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import InputDataError, RegistrationError, UsageError
from nnunet_wmh.io import exception_summary, nifti_stem, read_subject_image
from nnunet_wmh.registration import TRANSFORM_KINDS

logger = logging.getLogger(__name__)

TransformKind = Literal["rigid", "affine", "affine+bspline"]
HISTOGRAM_BINS = 32
SAMPLING_FRACTION = 0.05
SHRINK_FACTORS = (4, 2, 1)
SMOOTHING_SIGMAS_MM = (2.0, 1.0, 0.0)
#: Finest voxel size (mm) an atlas registration works at (:func:`atlas_levels`): regions need millimetres, not
#: the sub-voxel accuracy of a co-registration, and the full-resolution level of a sub-millimetre grid took most
#: of the time.
ATLAS_FINEST_MM = 2.0
ITERATIONS = 150
BSPLINE_MESH = (4, 4, 3)
BSPLINE_ITERATIONS = 30


class RegistrationRunError(RuntimeError):
    """SimpleITK could not register the images (the message says why)."""


@dataclass(frozen=True)
class RegistrationResult:
    """A registration's transform and how it ended.

    Attributes
    ----------
    transform
        Fixed → moving points (mm), for ``sitk.Resample(moving, fixed, transform, ...)``.
    metric
        Final Mattes mutual information of the last stage (negative; closer to 0 is worse).
    iterations
        Iterations of the last stage.
    stop_condition
        The optimizer's own words.
    """

    transform: sitk.Transform
    metric: float
    iterations: int
    stop_condition: str


Levels = tuple[tuple[int, ...], tuple[float, ...]]


def atlas_levels(fixed: sitk.Image) -> Levels:
    """The shrink factors and smoothing (mm) of an atlas registration: the 4, 2, 1 levels scaled by the whole
    factor nearest to :data:`ATLAS_FINEST_MM` / voxel: 4, 2, 1 on grids of 1.4 mm and coarser, 8, 4, 2 on 0.8-1.3
    mm grids, 16, 8, 4 on a 0.47 mm one (smoothing half a level's voxel; none at full resolution)."""
    finest = min(fixed.GetSpacing())
    scale = max(1, round(ATLAS_FINEST_MM / finest))
    if scale == 1:
        return SHRINK_FACTORS, SMOOTHING_SIGMAS_MM
    shrink = tuple(factor * scale for factor in SHRINK_FACTORS)
    return shrink, tuple(factor * finest / 2 for factor in shrink)


def _method(seed: int, levels: Levels | None = None, mask: sitk.Image | None = None) -> sitk.ImageRegistrationMethod:
    shrink, sigmas = levels or (SHRINK_FACTORS, SMOOTHING_SIGMAS_MM)
    method = sitk.ImageRegistrationMethod()
    if mask is not None:
        method.SetMetricFixedMask(mask)
    method.SetMetricAsMattesMutualInformation(numberOfHistogramBins=HISTOGRAM_BINS)
    method.SetMetricSamplingStrategy(method.RANDOM)
    method.SetMetricSamplingPercentage(SAMPLING_FRACTION, seed)
    method.SetInterpolator(sitk.sitkLinear)
    method.SetShrinkFactorsPerLevel(list(shrink))
    method.SetSmoothingSigmasPerLevel(list(sigmas))
    method.SmoothingSigmasAreSpecifiedInPhysicalUnitsOn()
    return method


def _linear_stage(
    fixed: sitk.Image,
    moving: sitk.Image,
    initial: sitk.Transform,
    seed: int,
    levels: Levels | None,
    mask: sitk.Image | None = None,
) -> tuple[sitk.Transform, sitk.ImageRegistrationMethod]:
    method = _method(seed, levels, mask)
    method.SetOptimizerAsRegularStepGradientDescent(
        learningRate=2.0, minStep=1e-5, numberOfIterations=ITERATIONS, relaxationFactor=0.7
    )
    method.SetOptimizerScalesFromPhysicalShift()
    method.SetInitialTransform(initial, inPlace=False)
    return method.Execute(fixed, moving), method


def register(
    fixed: sitk.Image,
    moving: sitk.Image,
    *,
    kind: TransformKind = "affine",
    seed: int = 1,
    levels: Levels | None = None,
    fixed_mask: sitk.Image | None = None,
) -> RegistrationResult:
    """Register ``moving`` to ``fixed``.

    Parameters
    ----------
    fixed, moving
        Float images (any contrasts: the metric is mutual information).
    kind
        ``rigid``, ``affine`` or ``affine+bspline``.
    seed
        Seed of the random metric sampling (results are reproducible for a given seed).
    levels
        Shrink factors and smoothing sigmas (mm) of the linear stages; default shrink 4, 2, 1 with 2, 1, 0 mm
        (:func:`atlas_levels` for an atlas).
    fixed_mask
        Where on ``fixed``'s grid (uint8, 1 inside) the affine and B-spline stages measure the metric; the rigid
        stage always uses the whole image. An atlas of a skull-stripped brain is fitted to the inside of a head
        this way (:func:`~nnunet_wmh.registration.atlas.metric_region`), not to its scalp.

    Raises
    ------
    RegistrationRunError
        When SimpleITK gives up (e.g. the images do not overlap).
    """
    if kind not in TRANSFORM_KINDS:
        raise ValueError(f"kind must be one of {TRANSFORM_KINDS}, got {kind!r}")
    fixed = sitk.Cast(fixed, sitk.sitkFloat32)
    moving = sitk.Cast(moving, sitk.sitkFloat32)
    try:
        with one_thread():
            return _registered(fixed, moving, kind, seed, levels, fixed_mask)
    except RuntimeError as exc:
        raise RegistrationRunError(str(exc).strip().splitlines()[-1]) from exc


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run SimpleITK on one thread: its multi-threaded metric sums in a varying order, so reruns (and the parts
    of a sharded run) would give slightly different maps; cohorts run subjects in parallel instead (``jobs``)."""
    previous = sitk.ProcessObject.GetGlobalDefaultNumberOfThreads()
    sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(1)
    try:
        yield
    finally:
        sitk.ProcessObject.SetGlobalDefaultNumberOfThreads(previous)


def stage_levels(levels: Levels | None, kind: TransformKind) -> tuple[Levels, Levels]:
    """The levels of the rigid stage and of the affine stage. For ``rigid`` alone, every level. Before an affine
    stage, the rigid stage takes all but the finest level and the affine stage all but the coarsest: on the
    built-in atlas 3.6 s instead of 5.5 s per subject (one core), mean region Dice 0.990 instead of 0.993 on the
    oblique MNI check and 0.722 (lowest 0.706) instead of 0.724 (0.708) on 12 brain-shaped phantom images."""
    shrink, sigmas = levels or (SHRINK_FACTORS, SMOOTHING_SIGMAS_MM)
    if kind == "rigid" or len(shrink) < 2:
        return (shrink, sigmas), (shrink, sigmas)
    return (shrink[:-1], sigmas[:-1]), (shrink[1:], sigmas[1:])


def _registered(
    fixed: sitk.Image, moving: sitk.Image, kind: TransformKind, seed: int, levels: Levels | None,
    mask: sitk.Image | None,
) -> RegistrationResult:  # fmt: skip
    """The stages of :func:`register` (SimpleITK's RuntimeError passes through)."""
    centred = sitk.CenteredTransformInitializer(
        fixed, moving, sitk.Euler3DTransform(), sitk.CenteredTransformInitializerFilter.MOMENTS
    )
    rigid_levels, affine_levels = stage_levels(levels, kind)
    rigid, method = _linear_stage(fixed, moving, centred, seed, rigid_levels)
    transform: sitk.Transform = rigid
    if kind != "rigid":
        affine = sitk.AffineTransform(3)
        euler = sitk.Euler3DTransform(sitk.CompositeTransform(rigid).GetBackTransform())
        affine.SetMatrix(euler.GetMatrix())
        affine.SetTranslation(euler.GetTranslation())
        affine.SetCenter(euler.GetCenter())
        transform, method = _linear_stage(fixed, moving, affine, seed, affine_levels, mask)
    if kind == "affine+bspline":
        transform, method = _bspline_stage(fixed, moving, transform, seed, mask)
    return RegistrationResult(
        transform=transform,
        metric=float(method.GetMetricValue()),
        iterations=int(method.GetOptimizerIteration()),
        stop_condition=method.GetOptimizerStopConditionDescription(),
    )


def convergence_problem(result: RegistrationResult, inside: float, needed: float, *, what: str) -> str | None:
    """Why a registration failed its QC (``None`` when it passed): the final metric must be negative and
    ``inside`` (a share, 0..1) must reach ``needed``; ``what`` says what the share is of (``"the atlas regions
    inside the head"``)."""
    if result.metric < 0 and inside >= needed:
        return None
    return (
        f"registration did not converge (final Mattes mutual information {result.metric:.3f} after "
        f"{result.iterations} iterations; {inside:.0%} of {what}, {needed:.0%} needed)"
    )


def require_convergence(
    result: RegistrationResult, inside: float, needed: float, *, subject: str, path: str, what: str
) -> None:
    """Raise RegistrationError when :func:`convergence_problem` finds one."""
    problem = convergence_problem(result, inside, needed, what=what)
    if problem is not None:
        raise RegistrationError(subject, path, problem)


def _bspline_stage(
    fixed: sitk.Image, moving: sitk.Image, linear: sitk.Transform, seed: int, mask: sitk.Image | None = None
) -> tuple[sitk.Transform, sitk.ImageRegistrationMethod]:
    bspline = sitk.BSplineTransformInitializer(fixed, list(BSPLINE_MESH), order=3)
    method = _method(seed, mask=mask)
    method.SetShrinkFactorsPerLevel([2])
    method.SetSmoothingSigmasPerLevel([1.0])
    method.SetOptimizerAsLBFGSB(
        gradientConvergenceTolerance=1e-5, numberOfIterations=BSPLINE_ITERATIONS, maximumNumberOfCorrections=5
    )
    method.SetMovingInitialTransform(linear)
    method.SetInitialTransform(bspline, inPlace=True)
    method.Execute(fixed, moving)
    # one flat composite (ITK's text format cannot hold a composite inside a composite)
    return sitk.CompositeTransform([*_flatten(linear), bspline]), method


def _flatten(transform: sitk.Transform) -> list[sitk.Transform]:
    """The transforms of a (nested) composite, in order; ``[transform]`` for any other."""
    if transform.GetName() != "CompositeTransform":
        return [transform]
    composite = sitk.CompositeTransform(transform)
    return [part for k in range(composite.GetNumberOfTransforms()) for part in _flatten(composite.GetNthTransform(k))]


@dataclass(frozen=True)
class RegistrationImage:
    """An image ready to register: float32 for SimpleITK, and its NIfTI header for writing on its grid."""

    path: Path
    sitk_image: sitk.Image
    nifti: nib.Nifti1Image


def read_float_image(subject: str, path: str | os.PathLike[str], what: str) -> RegistrationImage:
    """Read an image as float32 with SimpleITK, after the package's own checks.

    The whole file is read and checked first (:func:`nnunet_wmh.io.read_image`: complete, 3-D or 4-D with
    one volume, finite values), so a truncated file is an error, never an image that SimpleITK fills with
    zeros.

    Raises
    ------
    InputDataError
        Naming the subject, the file and what is wrong with it.
    """
    checked = read_subject_image(subject, path, what)
    try:
        image = sitk.ReadImage(str(path), sitk.sitkFloat32)
    except RuntimeError as exc:
        reason = exception_summary(exc)
        raise InputDataError(subject, str(path), f"{what} cannot be read by SimpleITK ({reason})") from exc
    if image.GetDimension() == 4:
        image = image[:, :, :, 0]
    return RegistrationImage(Path(path), image, checked.image)


def read_label_image(path: str | os.PathLike[str]) -> sitk.Image:
    """A label image for SimpleITK in its own integer type (3-D; a fourth axis of length 1 is dropped)."""
    image = sitk.ReadImage(str(path))
    return image[:, :, :, 0] if image.GetDimension() == 4 else image


def transform_path(image: str | os.PathLike[str]) -> Path:
    """Where the transform of a registered image is written: ``OUT.nii.gz`` → ``OUT_transform.tfm``."""
    image = Path(image)
    stem = nifti_stem(image) or image.name
    return image.with_name(f"{stem}_transform.tfm")


def require_nifti_name(path: str | os.PathLike[str], parameter: str) -> Path:
    """``path`` as a Path; UsageError unless it ends in ``.nii.gz`` or ``.nii``."""
    if nifti_stem(path) is None:
        raise UsageError(f"`{parameter}` {path}: the output name must end in .nii.gz or .nii", parameter)
    return Path(path)


def resample_labels(labels: sitk.Image, reference: sitk.Image, transform: sitk.Transform) -> np.ndarray:
    """Nearest-neighbour resampling of a label image onto the reference grid.

    Returns
    -------
    np.ndarray
        Labels in nibabel's (X, Y, Z) order, the label image's integer type.
    """
    resampled = sitk.Resample(labels, reference, transform, sitk.sitkNearestNeighbor, 0, labels.GetPixelID())
    return np.ascontiguousarray(sitk.GetArrayFromImage(resampled).transpose(2, 1, 0))


def resample_image(image: sitk.Image, reference: sitk.Image, transform: sitk.Transform) -> np.ndarray:
    """Linear resampling of an intensity image onto the reference grid; float32 in (X, Y, Z) order."""
    resampled = sitk.Resample(image, reference, transform, sitk.sitkLinear, 0.0, sitk.sitkFloat32)
    return np.ascontiguousarray(sitk.GetArrayFromImage(resampled).transpose(2, 1, 0))
