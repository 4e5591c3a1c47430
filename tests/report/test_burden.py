"""Lesions, region burden and periventricular rules on tiny anisotropic arrays, computed by hand.

Voxels are 1 × 1 × 3 mm (3 mm³): a 2 × 2 × 1 lesion is 12 mm³."""

from __future__ import annotations

import numpy as np
import pytest

from nnunet_wmh.labels.joint import JointEncoding, RegionIndex
from nnunet_wmh.report.burden import (
    assign_outside_to_nearest,
    measure_burden,
    region_burden,
    regions_from_joint,
    regions_from_map,
)
from nnunet_wmh.report.lesions import find_lesions

SPACING = (1.0, 1.0, 3.0)
VOXEL_MM3 = 3.0


def rows_by_id(frame) -> dict[int, dict]:
    return {int(row["region_id"]): row for row in frame.to_dict("records")}


def test_a_2x2x1_lesion_is_12_mm3_and_region_sums_equal_totals():
    lesion = np.zeros((8, 8, 3), dtype=bool)
    lesion[1:3, 1:3, 1] = True  # 4 voxels = 12 mm³ in region 5
    lesion[6, 6, 0] = True  # 1 voxel = 3 mm³ in region 7
    regions = np.zeros((8, 8, 3), dtype=np.uint16)
    regions[:4] = 5  # 4 × 8 × 3 = 96 voxels
    regions[4:, :, 0] = 7  # 4 × 8 × 1 = 32 voxels
    frame = region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3, region_table={5: "frontal", 7: "occipital"})
    by_id = rows_by_id(frame)
    assert by_id[5]["region_name"] == "frontal"
    assert by_id[5]["lesion_volume_mm3"] == 12.0 and by_id[5]["lesion_volume_ml"] == pytest.approx(0.012)
    assert by_id[5]["region_volume_mm3"] == 96 * 3.0
    assert by_id[5]["lesion_fraction"] == pytest.approx(12 / 288)
    assert by_id[7]["lesion_volume_mm3"] == 3.0 and by_id[7]["region_volume_mm3"] == 96.0
    assert by_id[0]["region_name"] == "outside_regions" and by_id[0]["lesion_volume_mm3"] == 0.0
    assert frame["lesion_volume_mm3"].sum() == 15.0
    assert frame["lesion_count"].sum() == 2
    assert list(frame["region_id"]) == [5, 7, 0]


def test_lesion_spanning_two_regions_counts_in_its_dominant_region():
    lesion = np.zeros((8, 4, 3), dtype=bool)
    lesion[2:6, 1, 1] = True  # x = 2, 3 in region 10; x = 4, 5 in region 20 (a tie) ...
    lesion[6, 1, 1] = True  # ... broken: 3 voxels in region 20
    regions = np.zeros((8, 4, 3), dtype=np.uint8)
    regions[:4] = 10
    regions[4:] = 20
    by_id = rows_by_id(region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3))
    assert (by_id[10]["lesion_count"], by_id[20]["lesion_count"]) == (0, 1)
    assert (by_id[10]["lesion_volume_mm3"], by_id[20]["lesion_volume_mm3"]) == (6.0, 9.0)
    lesion[6, 1, 1] = False  # a tie: the lowest region id wins
    by_id = rows_by_id(region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3))
    assert (by_id[10]["lesion_count"], by_id[20]["lesion_count"]) == (1, 0)
    lesions = find_lesions(lesion)
    regions_info = regions_from_map(regions, {})
    burden = measure_burden(lesions, regions_info.classes_at(lesions.indices), regions_info, voxel_volume_mm3=VOXEL_MM3)
    assert burden.regions_touched.tolist() == [2]


def test_outside_nearest_assigns_within_3_mm_only():
    regions = np.zeros((12, 4, 3), dtype=np.uint8)
    regions[:4] = 3  # x = 0..3
    lesion = np.zeros((12, 4, 3), dtype=bool)
    lesion[2, 1, 1] = True  # inside region 3
    lesion[6, 1, 1] = True  # 3 mm from x = 3: assigned
    lesion[8, 3, 2] = True  # 5 mm in x: stays outside
    frame = region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3, outside="nearest", spacing=SPACING)
    by_id = rows_by_id(frame)
    assert by_id[3]["lesion_volume_mm3"] == 6.0
    assert by_id[3]["region_volume_mm3"] == (48 + 1) * 3.0  # the assigned voxel joins the region
    assert by_id[0]["lesion_volume_mm3"] == 3.0
    kept = rows_by_id(region_burden(lesion, regions, voxel_volume_mm3=VOXEL_MM3, outside="keep"))
    assert (kept[3]["lesion_volume_mm3"], kept[0]["lesion_volume_mm3"]) == (3.0, 6.0)
    # distances are in mm: one slice away is 3 mm with 3 mm slices (reached), 3.5 mm with 3.5 mm slices (not)
    flat_regions = np.zeros((4, 4, 3), dtype=np.uint8)
    flat_regions[:, :, 0] = 1
    above = np.zeros((4, 4, 3), dtype=bool)
    above[1, 1, 1] = True
    lesions, regions_info = find_lesions(above), regions_from_map(flat_regions, {})
    for z_spacing, expected in ((3.0, [1]), (3.5, [0])):
        classes = assign_outside_to_nearest(
            lesions,
            regions_info.classes_at(lesions.indices),
            regions_info,
            spacing=(1.0, 1.0, z_spacing),
            shape=above.shape,
        )
        assert classes.tolist() == expected


def test_joint_labels_give_lesion_and_regions():
    encoding = JointEncoding(RegionIndex.from_table({4: "a", 9: "b"}), has_ignore=False)
    regions = np.zeros((6, 4, 2), dtype=np.int64)
    regions[:3] = 4
    regions[3:5] = 9
    lesion = np.zeros(regions.shape, dtype=bool)
    lesion[1, 1, 0] = lesion[4, 1, 0] = lesion[5, 1, 0] = True  # one in a, one in b, one outside
    lesion_mask, case_regions = regions_from_joint(encoding.encode(lesion, regions), encoding)
    np.testing.assert_array_equal(lesion_mask, lesion)
    assert case_regions.voxels.tolist() == [8, 24, 16]  # the lesion voxel in region b still counts for b
    lesions = find_lesions(lesion_mask, connectivity=6)
    assert case_regions.classes_at(lesions.indices).tolist() == [1, 2, 0]
