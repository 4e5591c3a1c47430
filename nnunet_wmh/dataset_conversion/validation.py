"""Validation of one subject's files before anything is written.

Checks that the files a mode needs exist and are readable 3-D NIfTI images; that every image and label
map shares the reference image's grid (shape, spacing within nnU-Net's tolerance, origin and direction
within 1e-4 mm); that images hold no NaN/inf; and that label maps hold integer values from the allowed
set. Every problem becomes an :class:`~nnunet_wmh.errors.InputDataError` naming subject and file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import nibabel as nib
import numpy as np

from nnunet_wmh.cohorts.subject import MODALITY_NAMES, Modality, Subject
from nnunet_wmh.dataset_conversion.targets import LESION_VALUES
from nnunet_wmh.errors import ImageReadError, InputDataError
from nnunet_wmh.geometry import Geometry, geometry_differences
from nnunet_wmh.io import dimension_problem, load_nifti, nonfinite_problem, read_voxels

MAX_REGION_VALUE = 65535
COREGISTRATION_HINT = (
    "every image must be on the FLAIR grid for nnU-Net: use the challenge's pre/ images (`image_folder` pre), or let "
    "convert register and resample it onto the FLAIR grid (`coregister`)"
)


@dataclass(frozen=True)
class SubjectCheck:
    """What to check for one subject (built by the converter from mode and split)."""

    subject: Subject
    modalities: tuple[Modality, ...]
    read_lesion: bool
    require_lesion: bool
    read_regions: bool
    require_regions: bool


@dataclass
class SubjectReport:
    """Result of :func:`validate_subject`.

    Attributes
    ----------
    subject
        The subject checked.
    problems
        Everything wrong, empty when the subject can be converted.
    lesion_values, region_values
        Label values present in the lesion and region maps (empty when not read).
    image_digests
        ``{modality: fingerprint of the voxel data}`` of the images read (same image, same fingerprint).
    """

    subject: Subject
    problems: list[InputDataError] = field(default_factory=list)
    lesion_values: frozenset[int] = frozenset()
    region_values: frozenset[int] = frozenset()
    image_digests: dict[str, str] = field(default_factory=dict)


def voxel_digest(voxels: np.ndarray) -> str:
    """A fingerprint of an image's voxels, shape and dtype (the same image gives the same fingerprint)."""
    data = voxels.T if voxels.flags.f_contiguous and not voxels.flags.c_contiguous else np.ascontiguousarray(voxels)
    digest = hashlib.sha1(f"{voxels.shape} {voxels.dtype}".encode())
    digest.update(data)
    return digest.hexdigest()


def label_values(labels: np.ndarray) -> tuple[frozenset[int], str | None]:
    """The distinct values of a label map, or a problem if they are not non-negative integers.

    Works on the non-zero voxels only (a label map is mostly background), which is several times
    faster than ``np.unique`` over the whole volume.

    Returns
    -------
    values, problem
        The values present (empty on a problem) and a description of what is wrong, or None.
    """
    flat = labels.reshape(-1, order="A")  # no copy for C- or Fortran-contiguous arrays
    nonzero = flat[flat != 0]  # NaN != 0, so NaNs land here too
    if not np.issubdtype(nonzero.dtype, np.integer) and nonzero.dtype != bool:
        if not np.isfinite(nonzero).all():
            return frozenset(), "label map holds NaN or infinite values"
        fractional = nonzero[np.rint(nonzero) != nonzero]
        if fractional.size:
            return frozenset(), f"label map holds non-integer values, e.g. {np.unique(fractional)[:5].tolist()}"
    as_integer = nonzero.astype(np.int64)
    if as_integer.size and as_integer.min() < 0:
        return frozenset(), f"negative label value {int(as_integer.min())}"
    if as_integer.size and as_integer.max() > MAX_REGION_VALUE:
        return frozenset(), f"label value {int(as_integer.max())} > {MAX_REGION_VALUE}; is this an image?"
    values = set(np.flatnonzero(np.bincount(as_integer)).tolist()) if as_integer.size else set()
    if nonzero.size < flat.size:
        values.add(0)
    return frozenset(values), None


class _Checker:
    def __init__(self, subject: Subject) -> None:
        self.subject = subject
        self.report = SubjectReport(subject)

    def problem(self, path: Path | None, text: str) -> None:
        self.report.problems.append(InputDataError(self.subject.key, self.subject.relative(path), text))

    def open(self, kind: str, what: str, required: bool) -> nib.Nifti1Image | None:
        path = self.subject.file(kind)
        if path is None:
            if required and kind not in self.subject.ambiguous:  # an ambiguous file is reported by the reader
                self.report.problems.append(InputDataError(self.subject.key, self.subject.where(kind), f"no {what}"))
            return None
        try:
            image = load_nifti(path)
        except ImageReadError as exc:
            self.problem(path, exc.problem)
            return None
        if len(image.shape) != 3:
            shape = tuple(int(s) for s in image.shape)
            problem = dimension_problem(shape) or f"4-D image with one volume (shape {shape}); squeeze it to 3-D first"
            self.problem(path, problem)
            return None
        return image

    def voxels(self, image: nib.Nifti1Image, path: Path) -> np.ndarray | None:
        try:
            return read_voxels(image, path)
        except ImageReadError as exc:
            self.problem(path, exc.problem)
            return None


def validate_subject(check: SubjectCheck) -> SubjectReport:
    """Check one subject's files (reads every voxel it will convert once).

    Parameters
    ----------
    check
        The subject and what the mode needs from it.

    Returns
    -------
    SubjectReport
        Problems found (empty if none) and the label values present.
    """
    subject = check.subject
    checker = _Checker(subject)
    images: dict[str, tuple[Path, nib.Nifti1Image]] = {}
    for modality in check.modalities:
        image = checker.open(modality, f"{MODALITY_NAMES[modality]} image", required=True)
        if image is not None:
            images[MODALITY_NAMES[modality]] = (subject.image(modality), image)
    labels: dict[str, tuple[Path, nib.Nifti1Image]] = {}
    for name, read, required in (
        ("lesion", check.read_lesion, check.require_lesion),
        ("regions", check.read_regions, check.require_regions),
    ):
        if read or required:
            image = checker.open(name, f"{name} map", required=required)
            if image is not None:
                labels[name] = (getattr(subject, name), image)

    opened = list(images.items()) + list(labels.items())
    if not opened:
        return checker.report
    reference_name, (reference_path, reference_image) = opened[0]
    reference = Geometry.of(reference_image)
    if not reference.is_orthonormal():
        checker.problem(
            reference_path,
            "affine has shear; nnU-Net reads images with SimpleITK, which cannot "
            "represent it: resample the image onto an orthonormal grid first",
        )
    for name, (path, image) in opened[1:]:
        differences = geometry_differences(Geometry.of(image), reference, reference_name=reference_name)
        if differences:
            hint = f"; {COREGISTRATION_HINT}" if name in images and reference_name == "FLAIR" else ""
            checker.problem(path, "; ".join(differences) + hint)
    if checker.report.problems:
        return checker.report  # no point reading voxels of misaligned files

    for name, (path, image) in images.items():
        data = checker.voxels(image, path)
        if data is None:
            continue
        problem = nonfinite_problem(data)
        if problem:
            checker.problem(path, f"{problem}; replace them (e.g. by 0) first")
        checker.report.image_digests[name] = voxel_digest(data)
    if "lesion" in labels:
        checker.report.lesion_values = _label_values(checker, *labels["lesion"], allowed=LESION_VALUES)
    if "regions" in labels:
        checker.report.region_values = _label_values(checker, *labels["regions"], allowed=None)
    return checker.report


def _label_values(
    checker: _Checker, path: Path, image: nib.Nifti1Image, *, allowed: frozenset[int] | None
) -> frozenset[int]:
    data = checker.voxels(image, path)
    if data is None:
        return frozenset()
    values, problem = label_values(data)
    if problem is not None:
        checker.problem(path, problem)
        return frozenset()
    if allowed is not None and not values <= allowed:
        unexpected = sorted(values - allowed)
        checker.problem(
            path, f"unexpected label values {unexpected}; lesion maps hold 0 background, 1 WMH and 2 other pathology"
        )
    return values
