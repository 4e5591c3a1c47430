"""``nnunet_wmh regions``: atlas region labels carried into a subject's native space.

The atlas (template) image is registered to the subject image (Mattes mutual information; rigid, then
affine, optionally a B-spline), and the atlas labels are resampled with nearest neighbour onto the
subject's exact grid: the output carries the subject image's header (affine, qform/sform, zooms). The
transform is written beside the map (``…_transform.tfm``, ITK text format) so it can be inspected or
reused.

A registration that fails is reported with the subject and the final metric value: when SimpleITK gives
up, when the final mutual information is not negative (nothing shared), or when fewer than 90 % of the
atlas region voxels on the subject's grid land inside the subject's head. Only the regions inside the image's
field of view count: a thick-slice or partial-coverage acquisition (16 slices of 8 mm) is judged on what it
shows, not on the whole atlas. The head is the Otsu foreground of the subject image with its holes filled,
so the dark ventricles of a FLAIR (large in a subject with a heavy lesion load) belong to it.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import nibabel as nib
import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import ImageReadError, InputDataError, RegistrationError
from nnunet_wmh.io import compact_labels, read_image, read_subject_image, save_nifti
from nnunet_wmh.labels.region_table import complete_region_table, read_region_table
from nnunet_wmh.registration import check_transform_kind
from nnunet_wmh.registration.atlas_grid import ATLAS, check_atlas_grid
from nnunet_wmh.registration.engine import (
    RegistrationRunError,
    TransformKind,
    atlas_levels,
    convergence_problem,
    read_float_image,
    read_label_image,
    register,
    require_convergence,
    require_nifti_name,
    resample_labels,
    transform_path,
)
from nnunet_wmh.runs.outputs import atomic_output_files

logger = logging.getLogger(__name__)

#: Share of the atlas region voxels on the subject's grid (inside its field of view) that must land inside the
#: subject's head: a registration off by a centimetre puts a quarter of the cortex-near regions outside.
MIN_INSIDE_HEAD = 0.90
#: Voxel size (mm) the head mask is computed at (whole-number shrinking of the subject's grid): on a 512 × 512 × 16
#: FLAIR of 0.47 × 0.47 × 8 mm 0.3 s instead of 1.9 s at full resolution.
HEAD_MASK_MM = 2.0
#: Depth (mm) below the head's surface where an atlas registration's affine stage starts measuring its metric
#: (:func:`metric_region`): past a scalp and skull of about that thickness. On 6 brain-shaped phantoms with a
#: skull (``synth --anatomy mni152``, full-size challenge grids), T1 and FLAIR each: mean region Dice 0.723
#: (lowest 0.709) against 0.349 (lowest 0.155) with the metric over the whole image; on the oblique MNI check (a
#: skull-stripped brain) 0.993 against 0.974.
METRIC_INSET_MM = 8.0
#: Radius (mm) of the closing that makes the head solid for :func:`metric_region`: a skull's thickness.
METRIC_CLOSING_MM = 8.0
#: Voxel size (mm) of the atlas image the registration works with: a finer template (the built-in one is 1 mm)
#: is smoothed and resampled to it once per process, the labels keep their own grid. With
#: :func:`~nnunet_wmh.registration.engine.atlas_levels` (one core): the built-in atlas on the oblique 0.96 mm MNI
#: check 18.4 s → 5.4 s per subject (mean region Dice 0.978 → 0.974), the phantom atlas on Utrecht-size
#: phantoms 13.3 s → 3.3 s (Dice 0.860 → 0.862); a 2 mm working template would take 3.6 s on the MNI check at
#: Dice 0.960.
ATLAS_WORKING_MM = 1.5


@dataclass(frozen=True)
class Atlas:
    """An atlas: template image, label image on its grid, region table, and (the built-in atlas) a zones map on
    the same grid (1 brain, 2 lateral ventricles) carried to the subject by the same registration."""

    image: Path
    labels: Path
    table: Mapping[int, str]
    zones: Path | None = None


@dataclass(frozen=True)
class RegionMapResult:
    """One subject's registered region map.

    Attributes
    ----------
    subject
        Subject as named in messages.
    region_map, transform
        Files written.
    metric
        Final Mattes mutual information.
    inside_head
        Share of the mapped region voxels inside the subject's head (0..1).
    region_ids
        Region values present in the map.
    """

    subject: str
    region_map: Path
    transform: Path
    metric: float
    inside_head: float
    region_ids: tuple[int, ...]


def load_atlas(
    image: str | os.PathLike[str], labels: str | os.PathLike[str], region_table: str | os.PathLike[str]
) -> Atlas:
    """Check and describe an atlas; label values missing from the table get generated names (one warning).

    First the labels' grid is compared with the image's from the headers (shape, spacing, origin, direction:
    :func:`~nnunet_wmh.registration.atlas_grid.check_atlas_grid`); then both images are read whole and checked (3-D,
    finite, labels whole non-negative numbers).

    Raises
    ------
    InputDataError
        An atlas file that cannot be used, or labels on another grid than the image (named as subject ``atlas``).
    RegionTableError
        A region table that cannot be parsed.
    """
    image, labels = Path(image), Path(labels)
    check_atlas_grid(image, labels)
    try:
        read_image(image)  # whole: a truncated or non-finite template fails here, not in a worker
        label_map = read_image(labels)
    except ImageReadError as exc:
        raise InputDataError(ATLAS, exc.path, exc.problem) from exc
    values = np.unique(label_map.voxels)
    if values.dtype.kind == "f" and not np.all(values == np.rint(values)):
        raise InputDataError(ATLAS, str(labels), "atlas labels hold fractional values; expected a label image")
    if values.size and values.min() < 0:
        raise InputDataError(ATLAS, str(labels), f"atlas labels hold negative values (minimum {values.min():g})")
    table = read_region_table(region_table)
    completed = complete_region_table(table, [int(v) for v in values if v > 0], source=str(region_table))
    return Atlas(image, labels, completed)


def _otsu_foreground(image: sitk.Image) -> tuple[np.ndarray, sitk.Image]:
    """The Otsu foreground of ``image`` shrunk to about :data:`HEAD_MASK_MM` (bool, (X', Y', Z')), and that
    shrunk image (its grid)."""
    shrunk = sitk.BinShrink(image, head_shrink_factors(image))
    return sitk.GetArrayFromImage(sitk.OtsuThreshold(shrunk, 0, 1)).transpose(2, 1, 0).astype(bool), shrunk


def head_mask(image: sitk.Image) -> np.ndarray:
    """The head of a subject image, shape (X', Y', Z') on the image's grid shrunk to about
    :data:`HEAD_MASK_MM` voxels (:func:`head_shrink_factors`): the Otsu foreground with its holes filled, the
    field of view's two ends along the coarsest axis counted as closed (a ventricle cut by the first or last
    of 16 thick slices is still a hole). No closing: a noise image would become one head."""
    from scipy import ndimage  # heavy: only where a head is needed

    foreground, shrunk = _otsu_foreground(image)
    axis = int(np.argmax(shrunk.GetSpacing()))
    widths = [(1, 1) if a == axis else (0, 0) for a in range(3)]
    closed_ends = np.pad(foreground, widths, constant_values=True)
    filled = ndimage.binary_fill_holes(closed_ends)
    return filled[tuple(slice(1, -1) if a == axis else slice(None) for a in range(3))]


def metric_region(image: sitk.Image) -> sitk.Image:
    """Where an atlas registration measures its metric after the rigid stage: the inside of the head less its
    outer :data:`METRIC_INSET_MM`, on ``image``'s grid (uint8, 1 inside).

    The built-in template is a skull-stripped brain; fitted to a whole head, its affine stage scaled the brain
    to the scalp (region Dice 0.15–0.6 on brain-shaped phantoms with a skull). Inside the inset, scalp and
    skull barely count, and a skull-stripped image loses only its outer cortex. The head is the Otsu foreground
    at about :data:`HEAD_MASK_MM`, closed over :data:`METRIC_CLOSING_MM` (the dark skull between scalp and
    brain) and its holes filled, so that a head cut by the field of view is still solid inside (the quality
    check's :func:`head_mask` does not close: there a noise image must not become a head)."""
    from scipy import ndimage  # heavy: only where a head is needed

    foreground, shrunk = _otsu_foreground(image)
    spacing = np.asarray(shrunk.GetSpacing())
    radius = np.maximum(1, np.round(METRIC_CLOSING_MM / spacing)).astype(int)
    ball = ndimage.distance_transform_edt(np.pad([[[False]]], [(r, r) for r in radius], constant_values=True),
                                          sampling=spacing) <= METRIC_CLOSING_MM  # fmt: skip
    padded = np.pad(foreground, [(r, r) for r in radius])
    closed = ndimage.binary_erosion(ndimage.binary_dilation(padded, ball), ball)
    head = ndimage.binary_fill_holes(closed)[tuple(slice(r, -r) for r in radius)]
    inner = ndimage.distance_transform_edt(head, sampling=spacing) > METRIC_INSET_MM
    mask = sitk.GetImageFromArray((inner if inner.any() else head).transpose(2, 1, 0).astype(np.uint8))
    mask.CopyInformation(shrunk)
    return sitk.Resample(mask, image, sitk.Transform(), sitk.sitkNearestNeighbor, 0, sitk.sitkUInt8)


def head_shrink_factors(image: sitk.Image) -> list[int]:
    """Whole-number shrink factor per axis that brings the voxels to about :data:`HEAD_MASK_MM` (1 where the
    voxels are already that coarse)."""
    return [max(1, int(HEAD_MASK_MM // s)) for s in image.GetSpacing()]


def inside_head_share(image: sitk.Image, labels: np.ndarray) -> float:
    """Share (0..1) of the labelled voxels of ``labels`` (shape (X, Y, Z), on ``image``'s grid) inside the
    head (:func:`head_mask`); 0 when nothing is labelled."""
    head = head_mask(image)
    factors = head_shrink_factors(image)
    mapped = np.nonzero(labels > 0)
    if not mapped[0].size:
        return 0.0
    at = tuple(np.minimum(index // f, n - 1) for index, f, n in zip(mapped, factors, head.shape, strict=True))
    return float(np.count_nonzero(head[at])) / mapped[0].size


@dataclass(frozen=True)
class AtlasMapping:
    """The atlas labels on a subject's grid, before anything is written."""

    labels: np.ndarray
    transform: sitk.Transform
    metric: float
    inside_head: float
    subject_nifti: nib.Nifti1Image
    #: Why the registration failed its QC (``None`` when it passed; see :func:`map_atlas`'s ``require_qc``).
    problem: str | None = None
    #: The atlas's zones map on the subject's grid (shape (X, Y, Z)), when the atlas has one.
    zones: np.ndarray | None = None


def working_resolution(image: sitk.Image, voxel_mm: float) -> sitk.Image:
    """``image`` smoothed and resampled to ``voxel_mm`` along the axes where it is finer (same origin and
    direction); unchanged when no axis is finer."""
    spacing = image.GetSpacing()
    if min(spacing) >= voxel_mm:
        return image
    smoothed = sitk.SmoothingRecursiveGaussian(image, voxel_mm / 2.0)
    new_spacing = [max(s, voxel_mm) for s in spacing]
    size = [max(1, round(n * s / t)) for n, s, t in zip(image.GetSize(), spacing, new_spacing, strict=True)]
    return sitk.Resample(
        smoothed, size, sitk.Transform(), sitk.sitkLinear, image.GetOrigin(), new_spacing, image.GetDirection(),
        0.0, sitk.sitkFloat32,
    )  # fmt: skip


@functools.lru_cache(maxsize=4)
def _working_template(path: str, stamp: tuple[int, int]) -> sitk.Image:
    """The atlas image at :data:`ATLAS_WORKING_MM`, prepared once per process (``stamp``: the file's modification
    time and size, so a changed file is prepared again)."""
    return working_resolution(read_float_image(ATLAS, path, "atlas image").sitk_image, ATLAS_WORKING_MM)


def _prepared(atlas_image: Path) -> sitk.Image:
    status = atlas_image.stat()
    return _working_template(str(atlas_image), (status.st_mtime_ns, status.st_size))


def map_atlas(
    atlas: Atlas, subject_image: Path, *, subject: str, transform: TransformKind, require_qc: bool = True
) -> AtlasMapping:
    """Register the atlas to one subject image and resample its labels onto the subject's grid.

    With ``require_qc`` False, a registration that ends but fails the QC (metric, share inside the head) is
    returned with its :attr:`AtlasMapping.problem` instead of raised (``segment`` flags such a subject and
    goes on).

    Raises
    ------
    InputDataError
        Unreadable images.
    RegistrationError
        A registration that fails, or (with ``require_qc``) does not converge (with the final metric value).
    """
    fixed = read_float_image(subject, subject_image, "subject image")
    moving = _prepared(atlas.image)
    labels_image = read_label_image(atlas.labels)
    try:
        result = register(fixed.sitk_image, moving, kind=transform, levels=atlas_levels(fixed.sitk_image),
                          fixed_mask=metric_region(fixed.sitk_image))  # fmt: skip
    except RegistrationRunError as exc:
        raise RegistrationError(subject, str(subject_image), f"registration failed: {exc}") from exc
    labels = resample_labels(labels_image, fixed.sitk_image, result.transform)
    inside = inside_head_share(fixed.sitk_image, labels)
    what = "the atlas regions in the field of view inside the head"
    if require_qc:
        require_convergence(result, inside, MIN_INSIDE_HEAD, subject=subject, path=str(subject_image), what=what)
    problem = convergence_problem(result, inside, MIN_INSIDE_HEAD, what=what)
    zones = None
    if atlas.zones is not None:
        zones = resample_labels(read_label_image(atlas.zones), fixed.sitk_image, result.transform)
    return AtlasMapping(labels, result.transform, result.metric, inside, fixed.nifti, problem, zones)


def _restricted_to_mask(labels: np.ndarray, wm_mask: Path, subject: str) -> np.ndarray:
    mask = read_subject_image(subject, wm_mask, "white matter mask").voxels
    if mask.shape != labels.shape:
        raise InputDataError(subject, str(wm_mask), f"shape {mask.shape} != subject image shape {labels.shape}")
    return np.where(mask > 0, labels, 0)


def register_atlas(
    atlas: Atlas,
    subject_image: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    subject: str | None = None,
    transform: TransformKind = "affine",
    wm_mask: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> RegionMapResult:
    """Register the atlas to one subject and write its native-space region map.

    Parameters
    ----------
    atlas
        Template image, labels and region table.
    subject_image
        The subject's image (T1 or FLAIR; any contrast works with mutual information).
    out
        Output ``.nii.gz`` (or ``.nii``); the transform goes to ``OUT_transform.tfm``.
    subject
        Name used in messages (default: ``subject``; the messages name the image file as well).
    transform
        ``rigid``, ``affine`` (default) or ``affine+bspline``.
    wm_mask
        Optional mask on the subject grid; labels outside it are set to 0 (off by default: WMH are dark
        on T1 and fall out of T1-based white-matter masks).
    overwrite
        Replace an existing map and transform.

    Raises
    ------
    OutputExistsError
        ``out`` or its transform exists and ``overwrite`` is False (checked before registering).
    InputDataError
        Unreadable images, or a mask on another grid.
    RegistrationError
        A registration that fails or does not converge (with the final metric value).
    """
    check_transform_kind(transform)
    out = require_nifti_name(out, "out")
    subject_image = Path(subject_image)
    name = subject or "subject"
    with atomic_output_files([out, transform_path(out)], overwrite=overwrite) as (staged_map, staged_transform):
        mapping = map_atlas(atlas, subject_image, subject=name, transform=transform)
        labels = mapping.labels if wm_mask is None else _restricted_to_mask(mapping.labels, Path(wm_mask), name)
        description = "nnunet_wmh regions (atlas)"
        save_nifti(compact_labels(labels), staged_map, reference=mapping.subject_nifti, description=description)
        sitk.WriteTransform(mapping.transform, str(staged_transform))
    present = tuple(int(v) for v in np.unique(labels) if v != 0)
    logger.info("%s: metric %.3f, %.0f%% inside the head, %d regions", name, mapping.metric, mapping.inside_head * 100,
                len(present))  # fmt: skip
    return RegionMapResult(name, out, transform_path(out), mapping.metric, mapping.inside_head, present)
