"""Mask helpers: value counts, bounding boxes, in-plane boundaries."""

from __future__ import annotations

import numpy as np
import pytest

SPACING = (1.0, 1.0, 3.0)
VOXEL_MM3 = 3.0


@pytest.mark.parametrize("shape", [(7, 5, 3), (8, 6, 2), (1, 1, 1)])
def test_value_counts_equal_bincount(shape):
    from nnunet_wmh.masks import value_counts

    rng = np.random.default_rng(sum(shape))
    values = np.asfortranarray(rng.integers(0, 9, shape).astype(np.uint8))
    expected = np.bincount(values.ravel(), minlength=12)
    np.testing.assert_array_equal(value_counts(values, minlength=12), expected)
    np.testing.assert_array_equal(
        value_counts(values[::2], minlength=12), np.bincount(values[::2].ravel(), minlength=12)
    )
    np.testing.assert_array_equal(value_counts(values.astype(np.uint16), minlength=12), expected)
