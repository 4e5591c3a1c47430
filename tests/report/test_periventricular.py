"""Periventricular or deep: the distance, contact and continuity rules; ventricle maps."""

from __future__ import annotations

import numpy as np
import pytest

from nnunet_wmh.report.lesions import find_lesions
from nnunet_wmh.report.periventricular import VentricleMapError, classify_periventricular, ventricle_mask

SPACING = (1.0, 1.0, 3.0)
VOXEL_MM3 = 3.0


def _pv_case():
    shape = (20, 6, 3)
    ventricles = np.zeros(shape, dtype=bool)
    ventricles[0:3, 2, 1] = True
    lesion = np.zeros(shape, dtype=bool)
    lesion[3:17, 2, 1] = True
    lesion[1, 4, 1] = True
    lesions = find_lesions(lesion, connectivity=26)
    assert lesions.sizes().tolist() == [14, 1]
    return lesions, ventricles


def _volumes(classification, lesions) -> tuple[float, float]:
    pv = int(np.count_nonzero(classification.voxel_periventricular))
    return pv * VOXEL_MM3, (lesions.voxel_count - pv) * VOXEL_MM3


def test_distance_rule():
    lesions, ventricles = _pv_case()
    result = classify_periventricular(lesions, ventricles, spacing=SPACING, rule="distance", distance_mm=10)
    assert _volumes(result, lesions) == ((10 + 1) * 3.0, 4 * 3.0)  # A: x = 3..12 within 10 mm; B: 2 mm
    assert result.locations() == ["periventricular", "periventricular"]  # A: 10 of 14 voxels
    narrow = classify_periventricular(lesions, ventricles, spacing=SPACING, rule="distance", distance_mm=5)
    assert _volumes(narrow, lesions) == ((5 + 1) * 3.0, 9 * 3.0)
    assert narrow.locations() == ["deep", "periventricular"]  # A: 5 of 14 voxels


def test_contact_rule():
    lesions, ventricles = _pv_case()
    result = classify_periventricular(lesions, ventricles, spacing=SPACING, rule="contact")
    assert _volumes(result, lesions) == (14 * 3.0, 1 * 3.0)
    assert result.locations() == ["periventricular", "deep"]


def test_continuity_rule():
    lesions, ventricles = _pv_case()
    result = classify_periventricular(lesions, ventricles, spacing=SPACING, rule="continuity", distance_mm=10)
    assert _volumes(result, lesions) == (10 * 3.0, 5 * 3.0)  # A's cap x = 3..12; B is near but not joined
    assert result.locations() == ["periventricular", "deep"]


def test_ventricle_maps_binary_or_freesurfer_labels():
    labels = np.zeros((4, 4, 2), dtype=np.int16)
    labels[0, 0, 0], labels[3, 3, 1], labels[1, 1, 1] = 4, 43, 2  # left, right lateral ventricle; white matter
    np.testing.assert_array_equal(ventricle_mask(labels), np.isin(labels, (4, 43)))
    binary = (labels == 4).astype(np.float32)
    np.testing.assert_array_equal(ventricle_mask(binary), labels == 4)
    with pytest.raises(VentricleMapError, match="no lateral ventricles"):
        ventricle_mask(np.where(labels == 2, 2, 0))
    with pytest.raises(VentricleMapError, match="empty"):
        ventricle_mask(np.zeros((3, 3, 3), dtype=np.uint8))
