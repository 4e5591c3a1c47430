"""Connected lesions: connectivity, ids by volume, the minimum size in mm³."""

from __future__ import annotations

import math

import numpy as np

from nnunet_wmh.report.burden import (
    region_burden,
)
from nnunet_wmh.report.lesions import find_lesions

SPACING = (1.0, 1.0, 3.0)
VOXEL_MM3 = 3.0


def rows_by_id(frame) -> dict[int, dict]:
    return {int(row["region_id"]): row for row in frame.to_dict("records")}


def test_connectivity_6_and_26_on_a_diagonal_pair():
    lesion = np.zeros((5, 5, 3), dtype=bool)
    lesion[1, 1, 1] = lesion[2, 2, 1] = True  # an in-plane diagonal: an edge, not a face
    assert find_lesions(lesion, connectivity=26).count == 1
    assert find_lesions(lesion, connectivity=18).count == 1
    assert find_lesions(lesion, connectivity=6).count == 2
    corner = np.zeros((5, 5, 3), dtype=bool)
    corner[1, 1, 0] = corner[2, 2, 1] = True  # a corner only
    assert find_lesions(corner, connectivity=26).count == 1
    assert find_lesions(corner, connectivity=18).count == 2


def test_lesion_ids_run_by_decreasing_volume():
    lesion = np.zeros((10, 10, 3), dtype=bool)
    lesion[0, 0, 0] = True  # 1 voxel, first in (X, Y, Z) order
    lesion[5:8, 5:8, 1] = True  # 9 voxels
    lesion[2, 8, 2] = lesion[3, 8, 2] = True  # 2 voxels
    lesions = find_lesions(lesion, voxel_volume_mm3=VOXEL_MM3)
    assert lesions.sizes().tolist() == [9, 2, 1]
    np.testing.assert_allclose(lesions.centroids_voxel()[0], [6, 6, 1])


def test_min_lesion_size_in_mm3():
    lesion = np.zeros((10, 10, 3), dtype=bool)
    lesion[0, 0, 0] = True  # 3 mm³
    lesion[4, 4, 1] = lesion[4, 5, 1] = True  # 6 mm³
    lesion[8, 8, 2] = lesion[8, 7, 2] = lesion[7, 8, 2] = True  # 9 mm³
    kept = find_lesions(lesion, min_lesion_mm3=6.0, voxel_volume_mm3=VOXEL_MM3)
    assert kept.count == 2 and kept.sizes().tolist() == [3, 2]  # 6 mm³ is kept (not below the minimum)
    assert (kept.dropped, kept.dropped_voxels) == (1, 1)
    assert find_lesions(lesion, min_lesion_mm3=6.5, voxel_volume_mm3=VOXEL_MM3).count == 1
    regions = np.ones((10, 10, 3), dtype=np.uint8)
    frame = region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3, min_lesion_mm3=7.0)
    assert rows_by_id(frame)[1]["lesion_volume_mm3"] == 9.0 and rows_by_id(frame)[1]["lesion_count"] == 1


def test_empty_lesion_mask():
    lesions = find_lesions(np.zeros((4, 4, 2), dtype=bool))
    assert (lesions.count, lesions.voxel_count) == (0, 0)
    frame = region_burden(np.zeros((4, 4, 2), bool), np.ones((4, 4, 2), np.uint8), voxel_volume_mm3=VOXEL_MM3)
    assert frame["lesion_volume_mm3"].sum() == 0 and math.isnan(rows_by_id(frame)[0]["lesion_fraction"])
