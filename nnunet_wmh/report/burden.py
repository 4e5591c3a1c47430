"""Lesion burden per anatomical region.

Definitions (native space, volumes from the header's voxel size):

* a region's lesion volume is the volume of the lesion voxels inside it; lesion voxels in no region are
  reported as region 0, ``outside_regions``;
* a lesion is counted once, in the region that holds most of its voxels (ties: the lowest region id;
  ``outside_regions`` only when no region holds more), so per-region counts sum to the subject's count;
* a region's volume is its voxel count in the region map, plus the lesion voxels assigned to it from
  outside (``--outside nearest``), so that ``lesion_fraction`` = lesion volume / region volume ≤ 1;
* ``--outside nearest`` (:func:`assign_outside_to_nearest`): region maps restricted to white matter miss
  lesion voxels (WMH are dark on T1 and fall out of T1-based masks); each such voxel takes the region of
  the nearest region voxel within 3 mm (centre to centre, in mm), and stays outside otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from nnunet_wmh.labels.joint import OUTSIDE_REGIONS_NAME, JointEncoding, RegionIndex
from nnunet_wmh.labels.region_table import complete_region_table
from nnunet_wmh.masks import value_counts
from nnunet_wmh.report.lesions import LesionVoxels, find_lesions
from nnunet_wmh.report.options import OUTSIDE_POLICIES

OutsidePolicy = Literal["nearest", "keep"]
#: ``--outside nearest`` looks this far (mm) for a region.
NEAREST_REGION_MM = 3.0
MM3_PER_ML = 1000.0
#: Largest region id accepted in a region map (FreeSurfer's white matter parcellation goes to 5002).
MAX_REGION_ID = 1 << 20

#: A function giving region class indices (0 outside, 1..R) of the voxels in a box of the image.
ClassesInBox = Callable[[tuple[slice, ...]], np.ndarray]


@dataclass(frozen=True)
class CaseRegions:
    """A case's regions as the report needs them.

    Attributes
    ----------
    index
        Regions: class k (1..R) ↔ region id ↔ name.
    voxels
        Voxels per class in the region map, shape (R + 1,); class 0 = in no region.
    classes_in_box
        Class indices of the voxels of a box (for the nearest-region search).
    """

    index: RegionIndex
    voxels: np.ndarray
    classes_in_box: ClassesInBox

    def classes_at(self, indices: np.ndarray) -> np.ndarray:
        """Class of each voxel index (N, 3), shape (N,)."""
        if len(indices) == 0:
            return np.zeros(0, dtype=np.int64)
        low, high = indices.min(axis=0), indices.max(axis=0) + 1
        box = tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))
        return self.classes_in_box(box)[tuple((indices - low).T)].astype(np.int64)


def regions_from_map(region_map: np.ndarray, table: Mapping[int, str]) -> CaseRegions:
    """Regions of a region map (non-negative integer ids), named by ``table`` (``region_<id>`` for ids it
    does not list; the report lists those once for the cohort).

    Raises
    ------
    ValueError
        For negative values.
    """
    region_map = np.asarray(region_map)
    if region_map.size and int(region_map.min()) < 0:
        raise ValueError(f"holds negative values (minimum {int(region_map.min())})")
    if region_map.size and int(region_map.max()) > MAX_REGION_ID:
        raise ValueError(f"holds value {int(region_map.max())}, above the largest supported region id {MAX_REGION_ID}")
    counts = value_counts(region_map, minlength=1)
    present = np.flatnonzero(counts)
    present = present[present > 0]
    names = complete_region_table(table, present.tolist(), warn=False)
    index = RegionIndex.from_table(names) if names else RegionIndex((), ())
    lookup = np.zeros(max(counts.size, max(index.region_ids, default=0) + 1), dtype=np.int32)
    lookup[list(index.region_ids)] = np.arange(1, index.count + 1, dtype=np.int32)
    voxels = np.zeros(index.count + 1, dtype=np.int64)
    np.add.at(voxels, lookup[: counts.size], counts)
    return CaseRegions(index, voxels, lambda box: lookup[region_map[box]])


def regions_from_joint(joint: np.ndarray, encoding: JointEncoding) -> tuple[np.ndarray, CaseRegions]:
    """Lesion mask and regions of a joint label map (``convert --mode multitask``; see
    :mod:`nnunet_wmh.labels.joint`).

    Raises
    ------
    ValueError
        If the map holds values outside the encoding (or negative values).
    """
    joint = np.asarray(joint)
    count = encoding.regions.count
    highest = encoding.ignore_label or encoding.outside_label
    if joint.size and (int(joint.min()) < 0 or int(joint.max()) > highest):
        raise ValueError(f"joint labels must be within 0..{highest}, found {int(joint.min())}..{int(joint.max())}")
    counts = value_counts(joint, minlength=highest + 1)
    lookup = np.zeros(highest + 1, dtype=np.int32)
    lookup[1 : count + 1] = np.arange(1, count + 1)
    lookup[count + 1 : 2 * count + 1] = np.arange(1, count + 1)
    voxels = np.bincount(lookup, weights=counts[: highest + 1], minlength=count + 1).astype(np.int64)
    lesion = (joint > count) & (joint <= encoding.outside_label)
    return lesion, CaseRegions(encoding.regions, voxels, lambda box: lookup[joint[box]])


def assign_outside_to_nearest(
    lesions: LesionVoxels,
    classes: np.ndarray,
    regions: CaseRegions,
    *,
    spacing: tuple[float, ...],
    shape: tuple[int, ...],
    max_distance_mm: float = NEAREST_REGION_MM,
) -> np.ndarray:
    """Give lesion voxels outside every region the region of the nearest region voxel within reach.

    Parameters
    ----------
    lesions
        The lesions.
    classes
        Region class of each lesion voxel as the map gives it (0 = outside), shape (N,).
    regions
        The case's regions.
    spacing
        Voxel size in mm per axis.
    shape
        Image shape (X, Y, Z).
    max_distance_mm
        How far to look (centre to centre, mm).

    Returns
    -------
    np.ndarray
        New classes, shape (N,); voxels with no region within reach stay 0.
    """
    outside = classes == 0
    if not outside.any() or regions.index.count == 0:
        return classes
    margin = np.array([math.ceil(max_distance_mm / s) + 1 for s in spacing], dtype=np.int64)
    points = lesions.indices[outside]
    low = np.maximum(points.min(axis=0) - margin, 0)
    high = np.minimum(points.max(axis=0) + margin + 1, shape)
    box = tuple(slice(int(a), int(b)) for a, b in zip(low, high, strict=True))
    box_classes = regions.classes_in_box(box)
    if not box_classes.any():
        return classes
    from scipy import ndimage  # heavy: scipy, imported when needed to keep the start-up short

    distances, nearest = ndimage.distance_transform_edt(
        box_classes == 0, sampling=spacing, return_distances=True, return_indices=True
    )
    local = tuple((points - low).T)
    reachable = distances[local] <= max_distance_mm + 1e-9
    found = box_classes[tuple(axis[local] for axis in nearest)]
    updated = classes.copy()
    updated[np.flatnonzero(outside)[reachable]] = found[reachable]
    return updated


@dataclass(frozen=True)
class RegionBurden:
    """Lesion burden of one case over its regions.

    Attributes
    ----------
    index
        The regions (class k ↔ id ↔ name).
    lesion_voxels
        Lesion voxels per class, shape (R + 1,); class 0 = outside every region.
    lesion_counts
        Lesions per class by dominant region, shape (R + 1,).
    region_voxels
        Region voxels per class (map voxels plus lesion voxels assigned from outside), shape (R + 1,).
    dominant_class
        Dominant class of each lesion, shape (count,).
    regions_touched
        Number of regions (not counting outside) each lesion touches, shape (count,).
    voxel_volume_mm3
        Volume of one voxel.
    """

    index: RegionIndex
    lesion_voxels: np.ndarray
    lesion_counts: np.ndarray
    region_voxels: np.ndarray
    dominant_class: np.ndarray
    regions_touched: np.ndarray
    voxel_volume_mm3: float

    def region_id(self, class_index: int) -> int:
        """Region id of a class (0 for outside)."""
        return 0 if class_index == 0 else self.index.region_ids[class_index - 1]

    def region_name(self, class_index: int) -> str:
        """Region name of a class (``outside_regions`` for 0)."""
        return OUTSIDE_REGIONS_NAME if class_index == 0 else self.index.names[class_index - 1]

    def rows(self) -> list[dict[str, Any]]:
        """One row per region (by id), then ``outside_regions`` (id 0), with the columns of regions.tsv."""
        rows = []
        for k in [*range(1, self.index.count + 1), 0]:
            lesion_mm3 = float(self.lesion_voxels[k]) * self.voxel_volume_mm3
            region_mm3 = float(self.region_voxels[k]) * self.voxel_volume_mm3 if k else math.nan
            rows.append(
                {
                    "region_id": self.region_id(k),
                    "region_name": self.region_name(k),
                    "lesion_volume_mm3": lesion_mm3,
                    "lesion_volume_ml": lesion_mm3 / MM3_PER_ML,
                    "lesion_count": int(self.lesion_counts[k]),
                    "region_volume_mm3": region_mm3,
                    "lesion_fraction": lesion_mm3 / region_mm3 if k and region_mm3 > 0 else math.nan,
                }
            )
        return rows


def measure_burden(
    lesions: LesionVoxels,
    classes: np.ndarray,
    regions: CaseRegions,
    *,
    voxel_volume_mm3: float,
    map_classes: np.ndarray | None = None,
) -> RegionBurden:
    """Lesion volume, lesion count (by dominant region) and region volume per region.

    Parameters
    ----------
    lesions
        The lesions.
    classes
        Region class of each lesion voxel (after any outside assignment), shape (N,).
    regions
        The case's regions; ``voxels`` counts the map as given.
    voxel_volume_mm3
        Volume of one voxel in mm³.
    map_classes
        Classes of the lesion voxels as the map gives them, when ``classes`` assigned some outside voxels to
        regions (those voxels are added to their new region's volume).
    """
    size = regions.index.count + 1
    classes = np.asarray(classes, dtype=np.int64)
    region_voxels = regions.voxels.astype(np.int64).copy()
    if map_classes is not None:
        moved = (np.asarray(map_classes) == 0) & (classes > 0)
        region_voxels += np.bincount(classes[moved], minlength=size)
    per_lesion = np.bincount(lesions.labels.astype(np.int64) * size + classes, minlength=(lesions.count + 1) * size)
    per_lesion = per_lesion.reshape(lesions.count + 1, size)[1:]
    order = np.array([*range(1, size), 0], dtype=np.int64)  # ties go to the lowest region id, outside last
    dominant = order[np.argmax(per_lesion[:, order], axis=1)] if lesions.count else np.zeros(0, dtype=np.int64)
    return RegionBurden(
        index=regions.index,
        lesion_voxels=np.bincount(classes, minlength=size),
        lesion_counts=np.bincount(dominant, minlength=size),
        region_voxels=region_voxels,
        dominant_class=dominant,
        regions_touched=np.count_nonzero(per_lesion[:, 1:], axis=1),
        voxel_volume_mm3=voxel_volume_mm3,
    )


def region_burden(
    lesion_mask: np.ndarray,
    region_map: np.ndarray,
    *,
    voxel_volume_mm3: float,
    region_table: Mapping[int, str] | None = None,
    connectivity: int = 26,
    min_lesion_mm3: float = 0.0,
    outside: OutsidePolicy = "keep",
    spacing: tuple[float, ...] | None = None,
):
    """Lesion burden per region of one subject, as a table.

    Parameters
    ----------
    lesion_mask
        Boolean lesion mask, shape (X, Y, Z).
    region_map
        Non-negative integer region ids on the same grid (0 = no region).
    voxel_volume_mm3
        Volume of one voxel in mm³ (the header's voxel size).
    region_table
        ``{region id: name}``; ids it does not list get ``region_<id>``.
    connectivity
        Lesion connectivity: 6, 18 or 26.
    min_lesion_mm3
        Lesions below this volume are dropped first.
    outside
        ``keep``: lesion voxels in no region stay in ``outside_regions``; ``nearest``: they take the region
        of the nearest region voxel within 3 mm (needs ``spacing``).
    spacing
        Voxel size in mm per axis (for ``outside="nearest"``).

    Returns
    -------
    pandas.DataFrame
        One row per region and one for ``outside_regions`` (region_id 0), with the columns ``region_id,
        region_name, lesion_volume_mm3, lesion_volume_ml, lesion_count, region_volume_mm3,
        lesion_fraction``.
    """
    import pandas as pd  # heavy: pandas, only for this table

    lesion_mask = np.asarray(lesion_mask, dtype=bool)
    region_map = np.asarray(region_map)
    if lesion_mask.shape != region_map.shape:
        raise ValueError(f"lesion mask shape {lesion_mask.shape} != region map shape {region_map.shape}")
    if outside not in OUTSIDE_POLICIES:
        raise ValueError(f"outside must be one of {OUTSIDE_POLICIES}, got {outside!r}")
    if outside == "nearest" and spacing is None:
        raise ValueError("outside='nearest' needs the voxel spacing")
    lesions = find_lesions(
        lesion_mask, connectivity=connectivity, min_lesion_mm3=min_lesion_mm3, voxel_volume_mm3=voxel_volume_mm3
    )
    regions = regions_from_map(region_map, region_table or {})
    map_classes = regions.classes_at(lesions.indices)
    classes = map_classes
    if outside == "nearest":
        classes = assign_outside_to_nearest(lesions, map_classes, regions, spacing=spacing, shape=region_map.shape)
    burden = measure_burden(lesions, classes, regions, voxel_volume_mm3=voxel_volume_mm3, map_classes=map_classes)
    return pd.DataFrame(burden.rows())
