"""Uncertainty figures from the lesion probabilities."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.uncertainty import binary_entropy_bits, lesion_probability, uncertainty_figures


def test_binary_entropy_is_one_bit_at_one_half_and_zero_when_certain():
    np.testing.assert_allclose(binary_entropy_bits(np.array([0.5, 0.0, 1.0])), [1.0, 0.0, 0.0], atol=1e-9)


def test_entropy_is_averaged_over_the_lesions_and_a_one_voxel_ring():
    probability = np.zeros((5, 5, 5), dtype=np.float32)
    lesion = np.zeros((5, 5, 5), dtype=bool)
    lesion[2, 2, 2] = True
    probability[2, 2, 2] = 0.5  # 1 bit, its 26 neighbours certain (p = 0)
    figures = uncertainty_figures(probability, lesion, voxel_volume_mm3=2.0)
    assert figures["lesion_entropy_bits"] == pytest.approx(1 / 27)
    assert figures["uncertain_volume_ml"] == pytest.approx(1 * 2.0 / 1000)


def test_an_empty_prediction_has_no_lesion_entropy_but_counts_uncertain_voxels():
    probability = np.full((3, 3, 3), 0.3, dtype=np.float32)
    figures = uncertainty_figures(probability, np.zeros((3, 3, 3), dtype=bool), voxel_volume_mm3=1.0)
    assert math.isnan(figures["lesion_entropy_bits"])
    assert figures["uncertain_volume_ml"] == pytest.approx(27 / 1000)


def _route(encoding: str) -> ModelRoute:
    return ModelRoute("flair_t1", ("flair", "t1"), 2, "duplicate", encoding, 1, "nnunet_wmh")


def test_the_lesion_probability_of_a_label_model_is_its_lesion_channel():
    probabilities = np.stack([np.full((2, 2, 2), 0.7), np.full((2, 2, 2), 0.3)])
    np.testing.assert_allclose(lesion_probability(probabilities, _route("lesion"), {}, [0, 1]), 0.3)


def test_a_joint_model_sums_its_lesion_labels():
    regions = [{"index": 1, "id": 5, "name": "a"}, {"index": 2, "id": 6, "name": "b"}]
    dataset_json = {"nnunet_wmh": {"regions": regions}}
    probabilities = np.array([0.1, 0.2, 0.1, 0.25, 0.15, 0.2]).reshape(6, 1, 1, 1)  # labels 0..2R+1, lesion 3..5
    np.testing.assert_allclose(lesion_probability(probabilities, _route("joint"), dataset_json, []), 0.6)


def test_a_separate_model_uses_its_wmh_output():
    dataset_json = {"nnunet_wmh": {"outputs": ["a", "b", "wmh"]}}
    probabilities = np.array([0.9, 0.8, 0.4]).reshape(3, 1, 1, 1)
    np.testing.assert_allclose(lesion_probability(probabilities, _route("separate"), dataset_json, []), 0.4)
