"""Lesion burden per region, counted by hand on tiny maps."""

import math

import numpy as np
import pytest

from nnunet_wmh.evaluation.localization import ALL_REGIONS, case_region_burden, localization_rows

TABLE = {1: "frontal_L", 2: "frontal_R"}


def _maps():
    true_regions = np.zeros((4, 4, 1), dtype=np.uint8)
    true_regions[:2] = 1
    true_regions[2:] = 2
    true_lesion = np.zeros((4, 4, 1), dtype=bool)
    true_lesion[0, :2] = True  # 2 voxels in region 1
    true_lesion[3, :3] = True  # 3 voxels in region 2
    return true_lesion, true_regions


def test_burden_counts_lesion_voxels_inside_each_region_in_ml():
    true_lesion, true_regions = _maps()
    predicted_regions = true_regions.copy()
    predicted_regions[1] = 2  # one row moved from region 1 to region 2
    predicted_lesion = true_lesion.copy()
    predicted_lesion[1, 0] = True  # an extra voxel, in the moved row
    rows = case_region_burden(
        predicted_lesion, predicted_regions, true_lesion, true_regions, voxel_volume_mm3=500.0, region_table=TABLE
    )
    by_name = {r["region_name"]: r for r in rows}
    assert by_name["frontal_L"]["true_volume_ml"] == pytest.approx(2 * 0.5)
    assert by_name["frontal_L"]["predicted_volume_ml"] == pytest.approx(2 * 0.5)
    assert by_name["frontal_R"]["predicted_volume_ml"] == pytest.approx(4 * 0.5)
    # region 1: 4 predicted voxels vs 8 true, all inside -> 2 * 4 / 12; region 2: 8 true inside 12 -> 16 / 20
    assert by_name["frontal_L"]["region_dice"] == pytest.approx(8 / 12)
    assert by_name["frontal_R"]["region_dice"] == pytest.approx(16 / 20)


def test_ignored_voxels_count_for_neither_side():
    true_lesion, true_regions = _maps()
    ignore = np.zeros_like(true_lesion)
    ignore[3, 0] = True
    rows = case_region_burden(
        true_lesion, true_regions, true_lesion, true_regions, voxel_volume_mm3=1000.0, region_table=TABLE,
        ignore=ignore,
    )  # fmt: skip
    assert [r["true_volume_ml"] for r in rows] == [2.0, 2.0]


def test_summary_per_region_and_over_all_regions():
    rows = []
    for case, (true, predicted) in enumerate([((1.0, 2.0), (1.5, 2.0)), ((3.0, 0.0), (2.0, 0.5))]):
        for region_id, name in TABLE.items():
            rows.append({"config": "m", "case": f"c{case}", "region_id": region_id, "region_name": name,
                         "true_volume_ml": true[region_id - 1], "predicted_volume_ml": predicted[region_id - 1],
                         "region_dice": 0.5 + 0.1 * region_id})  # fmt: skip
    table = localization_rows(rows)
    assert [r["region_name"] for r in table] == ["frontal_L", "frontal_R", ALL_REGIONS]
    left = table[0]
    assert left["absolute_error_ml_mean"] == pytest.approx((0.5 + 1.0) / 2)
    assert left["relative_error_percent"] == pytest.approx(100 * 1.5 / 4.0)
    assert left["pearson_r"] == pytest.approx(1.0)  # two subjects: any two distinct pairs lie on a line
    overall = table[2]
    assert overall["n_cases"] == 2
    assert overall["absolute_error_ml_mean"] == pytest.approx((0.5 + 0 + 1.0 + 0.5) / 4)
    assert overall["region_dice_mean"] == pytest.approx(0.65)
    assert not math.isnan(overall["icc_3_1"])
