"""``nnunet_wmh regions``: atlas region labels carried into each subject's native space.

The atlas (template) image is registered to the subject image (Mattes mutual information; rigid, then
affine, optionally a B-spline), and the atlas labels are resampled with nearest neighbour onto the
subject's exact grid: the output carries the subject image's header (affine, qform/sform, zooms). The
transform is written beside the map (``…_transform.tfm``, ITK text format) so it can be inspected or
reused.

A registration that fails is reported with the subject and the final metric value: when SimpleITK gives
up, when the final mutual information is not negative (nothing shared), or when fewer than 90 % of the
atlas region voxels land inside the subject's head (Otsu threshold of the subject image).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import InputDataError, RegistrationError, UsageError
from nnunet_wmh.io import load_nifti, read_voxels, save_label_map
from nnunet_wmh.labels.region_table import complete_region_table, read_region_table, write_region_table
from nnunet_wmh.parallel import map_with_progress
from nnunet_wmh.registration.engine import (
    TRANSFORM_KINDS,
    RegistrationRunError,
    TransformKind,
    read_float_image,
    register,
    resample_labels,
)

logger = logging.getLogger(__name__)

#: Share of atlas region voxels that must land inside the subject's head.
MIN_INSIDE_HEAD = 0.90
REGION_MAP_NAME = "regions.nii.gz"


@dataclass(frozen=True)
class Atlas:
    """An atlas: template image, label image on its grid, region table."""

    image: Path
    labels: Path
    table: Mapping[int, str]


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


def transform_path(region_map: str | os.PathLike[str]) -> Path:
    """``OUT.nii.gz`` → ``OUT_transform.tfm`` (beside the map)."""
    region_map = Path(region_map)
    stem = region_map.name
    for suffix in (".nii.gz", ".nii"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    return region_map.with_name(f"{stem}_transform.tfm")


def _inside_head(image: sitk.Image, labels: np.ndarray) -> float:
    head = sitk.GetArrayFromImage(sitk.OtsuThreshold(image, 0, 1)).transpose(2, 1, 0).astype(bool)
    mapped = labels > 0
    count = int(np.count_nonzero(mapped))
    return float(np.count_nonzero(mapped & head)) / count if count else 0.0


def register_atlas(
    atlas: Atlas,
    subject_image: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    subject: str | None = None,
    transform: TransformKind = "affine",
    wm_mask: str | os.PathLike[str] | None = None,
) -> RegionMapResult:
    """Register the atlas to one subject and write its native-space region map.

    Parameters
    ----------
    atlas
        Template image, labels and region table.
    subject_image
        The subject's image (T1 or FLAIR; any contrast works with mutual information).
    out
        Output ``.nii.gz``; the transform goes to ``OUT_transform.tfm``.
    subject
        Name used in messages (default: the image path).
    transform
        ``rigid``, ``affine`` (default) or ``affine+bspline``.
    wm_mask
        Optional mask on the subject grid; labels outside it are set to 0 (off by default: WMH are dark
        on T1 and fall out of T1-based white-matter masks).

    Raises
    ------
    InputDataError
        Unreadable images, or a mask on another grid.
    RegistrationError
        A registration that fails or does not converge (with the final metric value).
    """
    subject_image = Path(subject_image)
    name = subject or str(subject_image)
    fixed = read_float_image(name, subject_image, "subject image")
    moving = read_float_image(name, atlas.image, "atlas image")
    labels_image = sitk.ReadImage(str(atlas.labels))
    if labels_image.GetSize() != moving.GetSize():
        raise UsageError(f"atlas labels {atlas.labels} and atlas image {atlas.image} are not on one grid")
    try:
        result = register(fixed, moving, kind=transform)
    except RegistrationRunError as exc:
        raise RegistrationError(name, str(subject_image), f"registration failed: {exc}") from exc
    labels = resample_labels(labels_image, fixed, result.transform)
    inside = _inside_head(fixed, labels)
    if not result.metric < 0 or inside < MIN_INSIDE_HEAD:
        raise RegistrationError(
            name,
            str(subject_image),
            f"registration did not converge (final Mattes mutual information {result.metric:.3f} after "
            f"{result.iterations} iterations; {inside:.0%} of the atlas regions inside the head, "
            f"{MIN_INSIDE_HEAD:.0%} needed)",
        )
    reference = load_nifti(subject_image)
    if wm_mask is not None:
        mask_image = load_nifti(wm_mask)
        mask = read_voxels(mask_image, wm_mask)
        if mask.shape[:3] != labels.shape:
            raise InputDataError(name, str(wm_mask), f"shape {mask.shape} != subject image shape {labels.shape}")
        labels = np.where(np.asarray(mask).reshape(labels.shape) > 0, labels, 0)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_label_map(labels.astype(np.int64), reference, out, description="nnunet_wmh regions (atlas)")
    tfm = transform_path(out)
    sitk.WriteTransform(result.transform, str(tfm))
    present = tuple(int(v) for v in np.unique(labels) if v != 0)
    logger.info("%s: metric %.3f, %.0f%% inside the head, %d regions", name, result.metric, inside * 100, len(present))
    return RegionMapResult(name, out, tfm, result.metric, inside, present)


def load_atlas(
    image: str | os.PathLike[str], labels: str | os.PathLike[str], region_table: str | os.PathLike[str]
) -> Atlas:
    """Check and describe an atlas; label values missing from the table get generated names (one warning).

    Raises
    ------
    UsageError
        Missing files.
    """
    image, labels = Path(image), Path(labels)
    for path, what in ((image, "--atlas-image"), (labels, "--atlas-labels")):
        if not path.is_file():
            raise UsageError(f"{what} {path} does not exist")
    table = read_region_table(region_table)
    values = np.unique(np.asarray(read_voxels(load_nifti(labels), labels)))
    if values.dtype.kind == "f" and not np.all(values == np.rint(values)):
        raise UsageError(f"--atlas-labels {labels} holds fractional values; it must be a label image")
    completed = complete_region_table(table, [int(v) for v in values if v > 0], source=str(region_table))
    return Atlas(image, labels, completed)


@dataclass(frozen=True)
class CohortRegions:
    """Result of :func:`register_atlas_to_cohort`."""

    out_dir: Path
    results: list[RegionMapResult]
    region_table: Path


def _register_subject(task: tuple[str, Path, Path], atlas: Atlas, transform: TransformKind) -> RegionMapResult:
    name, image, out = task
    return register_atlas(atlas, image, out, subject=name, transform=transform)


def register_atlas_to_cohort(
    atlas: Atlas,
    source: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    layout: str | None = None,
    modality: str = "t1",
    transform: TransformKind = "affine",
    jobs: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> CohortRegions:
    """Region maps for every subject of a cohort (any layout ``convert`` reads).

    Writes ``OUT_DIR/<subject key>/regions.nii.gz`` (+ transform) and ``OUT_DIR/regions.tsv``, where
    ``convert --regions OUT_DIR`` and ``report`` find them.

    Parameters
    ----------
    modality
        Subject image registered to the atlas: ``t1`` (falls back to FLAIR for subjects without T1) or
        ``flair``.

    Raises
    ------
    UsageError
        Bad options or an existing output folder without ``overwrite``.
    InvalidInputsError, RegistrationError
        As :func:`register_atlas`.
    """
    from nnunet_wmh.cohorts import read_source

    if transform not in TRANSFORM_KINDS:
        raise UsageError(f"--transform must be one of {TRANSFORM_KINDS}, got {transform!r}")
    if modality not in ("t1", "flair"):
        raise UsageError(f"--modality must be t1 or flair, got {modality!r}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        if not overwrite:
            raise UsageError(f"{out_dir} is not empty; pass --overwrite to replace its region maps")
        shutil.rmtree(out_dir)
    contents = read_source(source, layout=layout)
    subjects = [*contents.train, *contents.test]
    if not subjects:
        raise UsageError(f"{source}: no subjects found")
    tasks = []
    for subject in subjects:
        image = subject.t1 if modality == "t1" and subject.t1 else subject.flair
        image = image or subject.t1
        if image is None:
            raise UsageError(f"[{subject.key}] has neither T1 nor FLAIR")
        tasks.append((subject.key, Path(image), out_dir / subject.key / REGION_MAP_NAME))
    results = map_with_progress(
        partial(_register_subject, atlas=atlas, transform=transform),
        tasks,
        jobs=jobs,
        desc="registering the atlas",
        progress=progress,
    )
    table_path = out_dir / "regions.tsv"
    write_region_table(atlas.table, table_path)
    return CohortRegions(out_dir, results, table_path)
