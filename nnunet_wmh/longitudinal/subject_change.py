"""The change of one participant's lesions over its visits (every consecutive pair of sessions).

Each follow-up is registered rigidly to the baseline (:mod:`~nnunet_wmh.longitudinal.alignment`). Lesions are
the connected components of each visit's mask on its own grid (``segment``'s connectivity and minimum volume),
measured there; for matching, every visit's components are carried onto the baseline grid (nearest neighbour)
and consecutive visits are matched by overlap (:func:`~nnunet_wmh.longitudinal.matching.match_lesions`). The
baseline's region map is carried to every visit (nearest neighbour, the inverse transform), so a region's lesion
volume changes only because its lesions change. What a pair writes, into the participant's BIDS folders:

* ``…_ses-A_space-FLAIR_desc-changeToSesB_dseg.nii.gz`` and ``…_ses-B_space-FLAIR_desc-changeFromSesA_dseg.nii.gz``:
  the change class of every lesion voxel on each visit's own grid (:data:`~.matching.CHANGE_LABELS`);
* ``…_ses-B_from-sesB_to-sesBASE_mode-image_xfm.tfm``: the follow-up's rigid transform (SimpleITK; it resamples
  the follow-up onto the baseline grid).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.io import read_subject_image, save_nifti
from nnunet_wmh.longitudinal.alignment import Alignment, align_followup
from nnunet_wmh.longitudinal.matching import ChangeRules, LesionChange, change_map, match_lesions
from nnunet_wmh.longitudinal.visits import Visit
from nnunet_wmh.registration.engine import read_float_image, resample_labels
from nnunet_wmh.report.burden import MM3_PER_ML
from nnunet_wmh.report.lesions import find_lesions


@dataclass
class VisitLesions:
    """One visit read: its FLAIR for registration, its lesion components and their volumes.

    Attributes
    ----------
    visit
        The visit.
    flair
        The FLAIR image (float32) for registration; its grid is the visit's.
    nifti
        The mask's NIfTI image (the header the visit's change maps take).
    components
        Lesion ids 1..n on the visit's grid, shape (X, Y, Z), int32.
    volumes_ml
        ``{lesion id: volume (mL)}`` on the visit's own grid.
    voxel_ml
        Volume of one voxel (mL).
    regions
        Region ids on the visit's grid (the baseline's carried), shape (X, Y, Z); None without regions.
    on_baseline
        The components carried onto the baseline grid.
    alignment
        The registration to the baseline (None for the baseline itself).
    """

    visit: Visit
    flair: sitk.Image
    nifti: object
    components: np.ndarray
    volumes_ml: dict[int, float]
    voxel_ml: float
    regions: np.ndarray | None = None
    on_baseline: np.ndarray | None = None
    alignment: Alignment | None = None


def _as_sitk(values: np.ndarray, like: sitk.Image) -> sitk.Image:
    image = sitk.GetImageFromArray(np.ascontiguousarray(values.transpose(2, 1, 0)))
    image.CopyInformation(like)
    return image


def read_visit(visit: Visit, *, connectivity: int, min_lesion_mm3: float) -> VisitLesions:
    """Read a visit's FLAIR and mask and find its lesions (as ``segment``'s report counted them).

    Raises
    ------
    InputDataError
        A file that cannot be read, or a mask that is not on the FLAIR's grid (naming participant and file).
    """
    name = f"{visit.participant}/{visit.session}" if visit.session else visit.participant
    flair = read_float_image(name, visit.flair, "FLAIR image")
    mask = read_subject_image(name, visit.mask, "lesion mask")
    if mask.voxels.shape != tuple(flair.nifti.shape[:3]):
        raise InputDataError(name, str(visit.mask), f"shape {mask.voxels.shape} != FLAIR {visit.flair} shape "
                             f"{tuple(flair.nifti.shape[:3])}")  # fmt: skip
    voxel_mm3 = float(np.prod(mask.image.header.get_zooms()[:3]))
    lesions = find_lesions(mask.voxels > 0, connectivity=connectivity, min_lesion_mm3=min_lesion_mm3,
                           voxel_volume_mm3=voxel_mm3)  # fmt: skip
    components = np.zeros(mask.voxels.shape, dtype=np.int32)
    components[tuple(lesions.indices.T)] = lesions.labels
    sizes = lesions.sizes()
    volumes = {i + 1: float(n) * voxel_mm3 / MM3_PER_ML for i, n in enumerate(sizes)}
    return VisitLesions(visit, flair.sitk_image, mask.image, components, volumes, voxel_mm3 / MM3_PER_ML)


def _baseline_regions(baseline: VisitLesions) -> np.ndarray | None:
    path = baseline.visit.regions
    if path is None:
        return None
    regions = read_subject_image(baseline.visit.participant, path, "region map")
    if regions.voxels.shape != baseline.components.shape:
        raise InputDataError(baseline.visit.participant, str(path),
                             f"shape {regions.voxels.shape} != mask shape {baseline.components.shape}")  # fmt: skip
    return np.asarray(regions.voxels).astype(np.int32)


def place_visits(visits: list[VisitLesions]) -> None:
    """Register every follow-up to the baseline; carry components to the baseline grid and the baseline's
    regions to every visit (in place)."""
    baseline = visits[0]
    baseline.regions = _baseline_regions(baseline)
    baseline.on_baseline = baseline.components
    name = baseline.visit.participant
    for visit in visits[1:]:
        visit.alignment = align_followup(baseline.flair, visit.flair, subject=name, followup_path=visit.visit.flair)
        transform = visit.alignment.transform
        carried = resample_labels(_as_sitk(visit.components, visit.flair), baseline.flair, transform)
        visit.on_baseline = _keep_every_lesion(carried.astype(np.int32), visit, baseline.flair, transform)
        if baseline.regions is not None:
            regions = _as_sitk(baseline.regions, baseline.flair)
            visit.regions = resample_labels(regions, visit.flair, transform.GetInverse()).astype(np.int32)


def _keep_every_lesion(carried: np.ndarray, visit: VisitLesions, baseline: sitk.Image, transform: sitk.Transform
                       ) -> np.ndarray:  # fmt: skip
    """``carried`` with every lesion of the visit that nearest-neighbour resampling lost (a lesion thinner than
    the baseline's voxels) put back as one voxel at its centre, so that no lesion goes unmatched."""
    lost = sorted(set(visit.volumes_ml) - set(np.unique(carried).tolist()))
    if not lost:
        return carried
    inverse = transform.GetInverse()  # follow-up points -> baseline points
    for lesion in lost:
        centre = np.argwhere(visit.components == lesion).mean(axis=0)
        point = inverse.TransformPoint(visit.flair.TransformContinuousIndexToPhysicalPoint(centre.tolist()))
        index = baseline.TransformPhysicalPointToIndex(point)
        if all(0 <= i < n for i, n in zip(index, baseline.GetSize(), strict=True)) and carried[index] == 0:
            carried[index] = lesion
        else:
            name = f"{visit.visit.participant}/{visit.visit.session}"
            raise InputDataError(name, str(visit.visit.mask), f"lesion {lesion} falls outside the baseline's grid "
                                 "or onto another lesion once registered; check the pair's registration")  # fmt: skip
    return carried


def region_volumes(visit: VisitLesions) -> dict[int, float]:
    """``{region id: lesion volume (mL)}`` of a visit on its own grid (region 0: lesion voxels in no region)."""
    if visit.regions is None:
        return {}
    inside = visit.components > 0
    ids, counts = np.unique(visit.regions[inside], return_counts=True)
    return {int(i): float(n) * visit.voxel_ml for i, n in zip(ids, counts, strict=True)}


def match_pair(earlier: VisitLesions, later: VisitLesions, *, rules: ChangeRules, regions: np.ndarray | None
               ) -> list[LesionChange]:  # fmt: skip
    """The lesion changes from ``earlier`` to ``later``, matched on the baseline grid."""
    return match_lesions(earlier.on_baseline, later.on_baseline, baseline_ml=earlier.volumes_ml,
                         followup_ml=later.volumes_ml, rules=rules, regions=regions)  # fmt: skip


def _session_label(visit: Visit) -> str:
    return "".join(part.capitalize() for part in visit.session.split("-")) or "Baseline"


def write_pair_files(folder: Path, earlier: VisitLesions, later: VisitLesions, changes: list[LesionChange]
                     ) -> list[Path]:  # fmt: skip
    """The change maps of a pair on each visit's grid, and the later visit's transform (see the module
    docstring); returns the paths written."""
    written = []
    for visit, side, desc in ((earlier, "baseline", f"changeTo{_session_label(later.visit)}"),
                              (later, "followup", f"changeFrom{_session_label(earlier.visit)}")):  # fmt: skip
        anat, prefix = _anat(folder, visit.visit)
        path = anat / f"{prefix}_space-FLAIR_desc-{desc}_dseg.nii.gz"
        save_nifti(change_map(visit.components, changes, side=side), path, reference=visit.nifti,
                   description="nnunet_wmh lesion change")  # fmt: skip
        written.append(path)
    return written


def write_transform(folder: Path, visit: VisitLesions, baseline: VisitLesions) -> Path:
    """The follow-up's rigid transform to the baseline, in its BIDS folder."""
    anat, prefix = _anat(folder, visit.visit)
    own, base = _session_label(visit.visit).lower(), _session_label(baseline.visit).lower()
    path = anat / f"{prefix}_from-{own}_to-{base}_mode-image_xfm.tfm"
    sitk.WriteTransform(visit.alignment.transform, str(path))
    return path


def _anat(folder: Path, visit: Visit) -> tuple[Path, str]:
    anat = folder / visit.participant / visit.session / "anat"
    anat.mkdir(parents=True, exist_ok=True)
    return anat, visit.participant + (f"_{visit.session}" if visit.session else "")
