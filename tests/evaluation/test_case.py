"""One prediction against its reference: read whole, checked, then measured."""

import numpy as np
import pytest

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.evaluation.case import CasePair, RegionMetrics, evaluate_case
from nnunet_wmh.labels.conventions import LabelConvention
from tests.helpers.images import save


def _pair(tmp_path, prediction, reference):
    return CasePair("c", save(prediction, tmp_path / "pred.nii.gz"), save(reference, tmp_path / "gt.nii.gz"))


def test_a_case_is_measured_with_voxel_volumes_from_the_header(tmp_path):
    reference = np.zeros((6, 6, 2), np.uint8)
    reference[1:3, 1:3, 0] = 1  # 4 voxels of 1 x 1 x 3 mm = 12 mm³
    prediction = reference.copy()
    prediction[1, 1, 0] = 0
    result = evaluate_case(_pair(tmp_path, prediction, reference), LabelConvention.challenge())
    assert result.metrics.reference_volume_mm3 == pytest.approx(4 * 3.0)
    assert result.metrics.dice == pytest.approx(2 * 3 / (4 + 3))
    assert result.evaluated_voxels == 6 * 6 * 2 and result.regions == ()


def test_nan_in_a_prediction_is_an_error_naming_the_file(tmp_path):
    prediction = np.zeros((6, 6, 2), np.float32)
    prediction[0, 0, 0] = np.nan
    pair = _pair(tmp_path, prediction, np.zeros((6, 6, 2), np.uint8))
    with pytest.raises(InputDataError, match=r"\[c\] .*pred.nii.gz: prediction: 1 voxel\(s\) are NaN or infinite"):
        evaluate_case(pair, LabelConvention.challenge())


def test_region_metrics_give_dice_and_signed_volume_error():
    region = RegionMetrics(3, "genu", reference_voxels=10, prediction_voxels=12, overlap_voxels=9, voxel_volume_mm3=2)
    assert region.dice == pytest.approx(18 / 22) and region.volume_error_percent == pytest.approx(20.0)
    absent = RegionMetrics(4, "x", reference_voxels=0, prediction_voxels=0, overlap_voxels=0, voxel_volume_mm3=2)
    assert np.isnan(absent.dice) and np.isnan(absent.volume_error_percent)
