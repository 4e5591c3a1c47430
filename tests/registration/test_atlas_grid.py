"""An atlas's labels on its template's grid: shape, spacing, origin and direction, from the headers."""

from __future__ import annotations

import pytest

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.registration.atlas_grid import check_atlas_grid


def test_a_missing_atlas_image_is_named(atlas_pair, tmp_path):
    files = atlas_pair()
    with pytest.raises(InputDataError, match=r"\[atlas\] .*nowhere\.nii\.gz: file not found"):
        check_atlas_grid(tmp_path / "nowhere.nii.gz", files.labels)


def test_atlas_labels_of_another_shape_are_refused(atlas_pair):
    files = atlas_pair(labels_shape=(10, 10, 5))
    with pytest.raises(InputDataError) as raised:
        check_atlas_grid(files.image, files.labels)
    assert raised.value.path == str(files.labels)
    assert raised.value.problem.startswith(f"shape (10, 10, 5) != atlas image {files.image} shape (10, 10, 4)")


def test_atlas_labels_with_thicker_slices_are_refused_naming_both_spacings(atlas_pair):
    files = atlas_pair(slice_mm=3.01)
    with pytest.raises(InputDataError) as raised:
        check_atlas_grid(files.image, files.labels)
    assert raised.value.problem.startswith(f"spacing (1, 1, 3.01) mm != atlas image {files.image} spacing (1, 1, 3) mm")


def test_atlas_labels_turned_by_a_hundredth_radian_are_refused(atlas_pair):
    files = atlas_pair(turn_rad=0.01)
    with pytest.raises(InputDataError) as raised:
        check_atlas_grid(files.image, files.labels)
    assert raised.value.problem.startswith(f"direction cosines differ from atlas image {files.image} by 0.0098")
