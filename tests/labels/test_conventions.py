"""Label conventions: which values are lesion, ignored or a region, and what a prediction may hold."""

import numpy as np
import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.conventions import LabelConvention, LabelValueError, whole_number_labels
from nnunet_wmh.runs.options import check_threshold


@pytest.mark.parametrize("threshold", [0, 1, 2, -0.1, float("nan")])
def test_a_threshold_must_lie_strictly_between_0_and_1(threshold):
    with pytest.raises(UsageError, match="`threshold` must be between 0 and 1") as raised:
        check_threshold(threshold)
    assert raised.value.parameter == "threshold"


def test_challenge_predictions_follow_the_official_script_and_odd_values_are_warned_about():
    convention = LabelConvention.challenge()
    values = np.array([[[0, 1, 1001, -1]]], dtype=np.int16)
    assert convention.read_prediction(values).lesion.tolist() == [[[False, True, False, False]]]
    warnings = convention.prediction_warnings(values)
    assert warnings[0].startswith("prediction holds values -1..1001, outside 0..1000")
    assert warnings[1].startswith("prediction holds 4 label values (-1..1001)")
    assert convention.prediction_warnings(np.array([[[0, 1, 1]]], dtype=np.uint8)) == ()


def test_a_dataset_json_convention_refuses_values_no_prediction_holds(tmp_path):
    path = tmp_path / "dataset.json"
    path.write_text('{"labels": {"background": 0, "wmh": 1, "ignore": 2}}')
    convention = LabelConvention.from_dataset_json(path)
    assert (convention.lesion_values, convention.ignore_value) == ((1,), 2)
    with pytest.raises(LabelValueError, match=r"holds value\(s\) 2, not one of the dataset's lesion labels"):
        convention.read_prediction(np.array([[[0, 1, 2]]], dtype=np.uint8))
    with pytest.raises(LabelValueError, match="negative values"):
        convention.read_prediction(np.array([[[0.0, -0.5]]], dtype=np.float32))
    with pytest.raises(LabelValueError, match="fractional values above 1"):
        convention.read_prediction(np.array([[[0.2, 1.5]]], dtype=np.float32))
    probabilities = np.array([[[0.2, 0.7, 1.0]]], dtype=np.float32)
    assert convention.read_prediction(probabilities, threshold=0.6).lesion.tolist() == [[[False, True, True]]]


def test_whole_number_labels_accept_float_maps_of_whole_numbers_only():
    assert whole_number_labels(np.array([0.0, 2.0, 1.0000001])).tolist() == [0, 2, 1]
    with pytest.raises(LabelValueError, match="fractional"):
        whole_number_labels(np.array([0.0, 0.5]))
    with pytest.raises(LabelValueError, match="fractional"):
        whole_number_labels(np.array([0.0, np.nan]))
