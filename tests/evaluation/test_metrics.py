"""Challenge metrics on tiny anisotropic masks, with every value computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest
import SimpleITK as sitk
from hypothesis import given, settings
from hypothesis import strategies as st

from nnunet_wmh.evaluation.metrics import (
    challenge_metrics,
    hausdorff_distance,
    in_plane_boundary,
    lesion_detection,
)
from nnunet_wmh.masks import bounding_box
from tests.helpers.images import oblique_affine

# 1 × 1 × 3 mm voxels; rotated 10° in-plane (distances do not change under rotation)
AFFINE = oblique_affine(spacing=(1.0, 1.0, 3.0))
VOXEL_MM3 = 3.0


def mask(shape=(8, 8, 4), voxels=()):
    result = np.zeros(shape, dtype=bool)
    for index in voxels:
        result[index] = True
    return result


def test_dice_avd_and_volumes_by_hand():
    reference = mask(voxels=[(1, 1, 1), (1, 2, 1), (2, 1, 1), (2, 2, 1)])
    prediction = mask(voxels=[(1, 1, 1), (1, 2, 1), (5, 5, 1)])
    metrics = challenge_metrics(reference, prediction, AFFINE)
    assert metrics.dice == pytest.approx(2 * 2 / (4 + 3), abs=1e-12)
    assert metrics.avd_percent == pytest.approx(25.0, abs=1e-12)  # |4 - 3| / 4
    assert metrics.reference_volume_mm3 == pytest.approx(4 * VOXEL_MM3)
    assert metrics.prediction_volume_mm3 == pytest.approx(3 * VOXEL_MM3)
    assert metrics.voxel_volume_mm3 == pytest.approx(VOXEL_MM3)


def test_hd95_interpolates_between_boundary_distances_in_mm():
    # reference: one voxel; prediction: that voxel and one 2 slices (6 mm) above it
    reference = mask(voxels=[(3, 3, 0)])
    prediction = mask(voxels=[(3, 3, 0), (3, 3, 2)])
    metrics = challenge_metrics(reference, prediction, AFFINE)
    # P -> R distances [0, 6]: 95th percentile = 0.95 * 6; R -> P: [0]
    assert metrics.hd95_mm == pytest.approx(5.7, abs=1e-9)
    assert metrics.dice == pytest.approx(2 / 3)
    assert metrics.avd_percent == pytest.approx(100.0)
    # two components, one touching the reference: precision 1/2, recall 1
    assert (metrics.reference_lesions, metrics.prediction_lesions) == (1, 2)
    assert metrics.lesion_recall == 1.0
    assert metrics.lesion_precision == 0.5
    assert metrics.lesion_f1 == pytest.approx(2 * 0.5 * 1.0 / 1.5)


def test_hd95_uses_in_plane_spacing():
    spacing_affine = oblique_affine(spacing=(0.5, 2.0, 3.0), degrees=33)
    reference = mask(voxels=[(1, 1, 1)])
    prediction = mask(voxels=[(4, 1, 1)])  # 3 voxels × 0.5 mm along x
    assert hausdorff_distance(reference, prediction, spacing_affine) == pytest.approx(1.5, abs=1e-9)
    prediction = mask(voxels=[(1, 3, 1)])  # 2 voxels × 2 mm along y
    assert hausdorff_distance(reference, prediction, spacing_affine) == pytest.approx(4.0, abs=1e-9)
    prediction = mask(voxels=[(4, 3, 2)])  # (1.5, 4, 3) mm
    assert hausdorff_distance(reference, prediction, spacing_affine) == pytest.approx(math.sqrt(1.5**2 + 16 + 9))


def test_diagonal_touching_voxels_are_one_lesion():
    reference = mask(voxels=[(1, 1, 1), (2, 2, 2)])  # corner contact only
    prediction = mask(voxels=[(2, 2, 2)])
    counts = lesion_detection(reference, prediction)
    assert counts.reference_lesions == 1
    assert counts.detected_lesions == 1
    assert counts.recall == 1.0
    apart = mask(voxels=[(1, 1, 1), (3, 3, 1)])
    assert lesion_detection(apart, prediction).reference_lesions == 2
    assert lesion_detection(apart, prediction).recall == 0.0


def test_recall_and_f1_count_lesions_not_voxels():
    # three reference lesions of very different size; the prediction touches the two small ones
    reference = mask(shape=(12, 12, 3), voxels=[(1, 1, 0), (5, 5, 0)])
    reference[8:12, 8:12, :] = True
    prediction = mask(shape=(12, 12, 3), voxels=[(1, 1, 0), (5, 5, 0), (1, 10, 2)])
    metrics = challenge_metrics(reference, prediction, AFFINE)
    assert metrics.lesion_recall == pytest.approx(2 / 3)
    assert metrics.lesion_precision == pytest.approx(2 / 3)
    assert metrics.lesion_f1 == pytest.approx(2 / 3)


def test_lesion_at_image_border_has_no_boundary_on_the_border():
    # a 2-voxel-thick band along x = 0..1 over the full y range: the image edges count as foreground,
    # so only the x = 1 column (next to background) is boundary
    band = np.zeros((4, 4, 2), dtype=bool)
    band[0:2, :, 0] = True
    boundary = in_plane_boundary(band)
    expected = np.zeros_like(band)
    expected[1, :, 0] = True
    np.testing.assert_array_equal(boundary, expected)


def test_erosion_is_in_plane_only():
    column = np.zeros((5, 5, 5), dtype=bool)
    column[1:4, 1:4, :] = True  # 3 × 3 in-plane, every slice
    boundary = in_plane_boundary(column)
    assert not boundary[2, 2, :].any()  # the centre survives in every slice, also the first and last
    assert boundary[1, 1, :].all()


def test_mask_filling_whole_slices_has_no_boundary_and_no_hd95():
    full = np.ones((4, 4, 2), dtype=bool)
    assert not in_plane_boundary(full).any()
    assert math.isnan(hausdorff_distance(full, full, AFFINE))


def _sitk_boundary(values: np.ndarray) -> np.ndarray:
    image = sitk.GetImageFromArray(values.astype(np.uint8).transpose(2, 1, 0))  # (X, Y, Z) -> sitk (z, y, x)
    eroded = sitk.BinaryErode(image, (1, 1, 0))
    return sitk.GetArrayFromImage(sitk.Subtract(image, eroded)).transpose(2, 1, 0).astype(bool)


@pytest.mark.parametrize("seed", range(6))
def test_boundary_equals_simpleitk_binary_erode(seed):
    rng = np.random.default_rng(seed)
    values = rng.random((13, 11, 5)) < [0.3, 0.6, 0.85][seed % 3]
    values[0, :, 1] = True  # touching the borders
    values[:, -1, 2] = True
    np.testing.assert_array_equal(in_plane_boundary(values), _sitk_boundary(values))
    # a crop with one voxel of margin (as hausdorff_distance uses it) gives the same boundary
    box = bounding_box(values, margin=(1, 1, 0))
    full = in_plane_boundary(values)
    np.testing.assert_array_equal(in_plane_boundary(values[box]), full[box])


def test_empty_reference_and_empty_prediction():
    empty = mask()
    metrics = challenge_metrics(empty, empty, AFFINE)
    assert math.isnan(metrics.dice)
    assert math.isnan(metrics.hd95_mm)
    assert math.isnan(metrics.avd_percent)
    assert metrics.lesion_recall == 1.0
    assert metrics.lesion_f1 == 1.0  # precision 1.0 with no detections, as the official branch


def test_empty_reference_with_prediction():
    metrics = challenge_metrics(mask(), mask(voxels=[(2, 2, 2)]), AFFINE)
    assert metrics.dice == 0.0
    assert math.isnan(metrics.hd95_mm)
    assert math.isnan(metrics.avd_percent)
    assert metrics.lesion_recall == 1.0
    assert metrics.lesion_precision == 0.0
    assert metrics.lesion_f1 == pytest.approx(0.0)


def test_empty_prediction():
    metrics = challenge_metrics(mask(voxels=[(2, 2, 2)]), mask(), AFFINE)
    assert metrics.dice == 0.0
    assert math.isnan(metrics.hd95_mm)
    assert metrics.avd_percent == 100.0
    assert metrics.lesion_recall == 0.0
    assert metrics.lesion_f1 == 0.0


def test_identical_masks():
    reference = mask(voxels=[(1, 1, 1), (1, 2, 1), (5, 5, 3)])
    metrics = challenge_metrics(reference, reference.copy(), AFFINE)
    assert (metrics.dice, metrics.hd95_mm, metrics.avd_percent) == (1.0, 0.0, 0.0)
    assert (metrics.lesion_recall, metrics.lesion_f1) == (1.0, 1.0)


masks = st.integers(0, 2**32 - 1).map(
    lambda seed: np.random.default_rng(seed).random((2, 9, 8, 3)) < np.random.default_rng(seed + 1).uniform(0, 0.4)
)


@settings(max_examples=60, deadline=None)
@given(pair=masks)
def test_metrics_are_bounded_and_dice_is_symmetric(pair):
    reference, prediction = pair
    affine = oblique_affine(spacing=(1.0, 1.2, 3.0))
    forward, backward = (
        challenge_metrics(reference, prediction, affine),
        challenge_metrics(prediction, reference, affine),
    )
    if reference.any() or prediction.any():
        assert 0.0 <= forward.dice <= 1.0 and forward.dice == pytest.approx(backward.dice)
    assert 0.0 <= forward.lesion_recall <= 1.0 and 0.0 <= forward.lesion_f1 <= 1.0
    assert forward.hd95_mm == pytest.approx(backward.hd95_mm, nan_ok=True)
    if reference.any():
        expected = abs(int(reference.sum()) - int(prediction.sum())) / int(reference.sum()) * 100
        assert forward.avd_percent == pytest.approx(expected)
    same = challenge_metrics(reference, reference, affine)
    if reference.any():
        assert (same.dice, same.lesion_recall, same.lesion_f1) == (1.0, 1.0, 1.0) and same.hd95_mm == 0.0
