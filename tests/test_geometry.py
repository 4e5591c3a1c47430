"""Grids from headers, and the one tolerance with which two grids are the same."""

import nibabel as nib
import numpy as np

from nnunet_wmh.geometry import GEOMETRY_TOLERANCE_MM, Geometry, geometry_differences, prediction_grid_differences
from tests.helpers.images import oblique_affine, save


def test_geometry_reads_spacing_origin_and_direction_of_an_oblique_grid(tmp_path):
    affine = oblique_affine(spacing=(0.958, 0.958, 3.0), origin=(1.0, 2.0, 3.0), degrees=30)
    image = nib.load(save(np.zeros((4, 5, 6), np.float32), tmp_path / "a.nii.gz", affine))
    geometry = Geometry.of(image)
    assert geometry.shape == (4, 5, 6)
    np.testing.assert_allclose(geometry.spacing, (0.958, 0.958, 3.0), rtol=1e-6)
    np.testing.assert_allclose(geometry.origin, (1.0, 2.0, 3.0))
    np.testing.assert_allclose(geometry.direction[:, 0], (np.cos(np.pi / 6), np.sin(np.pi / 6), 0), atol=1e-6)
    assert geometry.is_orthonormal()


def test_geometry_differences_names_shape_first():
    reference = Geometry((240, 240, 48), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    other = Geometry((240, 240, 47), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    assert geometry_differences(other, reference, reference_name="FLAIR") == [
        "shape (240, 240, 47) != FLAIR shape (240, 240, 48)"
    ]


def test_geometry_differences_tolerates_1e5_mm_but_not_1e3_mm():
    reference = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    close = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.full(3, 1e-5), np.eye(3))
    far = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.array([0, 0, 1e-3]), np.eye(3))
    assert geometry_differences(close, reference, reference_name="FLAIR") == []
    (message,) = geometry_differences(far, reference, reference_name="FLAIR")
    assert message.startswith("origin") and "0.001 mm" in message


def test_geometry_differences_uses_nnunet_spacing_tolerance():
    reference = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    within = Geometry((2, 2, 2), (1.0, 1.0, 3.0 * (1 + 5e-6)), np.zeros(3), np.eye(3))
    beyond = Geometry((2, 2, 2), (1.0, 1.0, 3.001), np.zeros(3), np.eye(3))
    assert geometry_differences(within, reference, reference_name="FLAIR") == []
    assert "spacing" in geometry_differences(beyond, reference, reference_name="FLAIR")[0]


def test_predictions_compare_spacing_with_the_absolute_tolerance():
    reference = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    within = Geometry((2, 2, 2), (1.0, 1.0, 3.0 + 0.5 * GEOMETRY_TOLERANCE_MM), np.zeros(3), np.eye(3))
    beyond = Geometry((2, 2, 2), (1.0, 1.0, 3.0 + 3 * GEOMETRY_TOLERANCE_MM), np.zeros(3), np.eye(3))
    assert prediction_grid_differences(within, reference, reference_name="reference") == []
    (message,) = prediction_grid_differences(beyond, reference, reference_name="reference")
    assert message.startswith("spacing (1, 1, 3.0003) mm != reference spacing (1, 1, 3) mm")


def test_a_4d_image_with_one_volume_has_the_grid_of_its_3d_volume(tmp_path):
    image = nib.load(save(np.zeros((4, 5, 6, 1), np.float32), tmp_path / "a.nii.gz"))
    assert Geometry.of(image).shape == (4, 5, 6)


def test_geometry_differences_takes_a_wider_origin_tolerance_when_asked():
    reference = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.zeros(3), np.eye(3))
    off_by_5_micrometres = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.array([0.005, 0, 0]), np.eye(3))
    off_by_8_mm = Geometry((2, 2, 2), (1.0, 1.0, 3.0), np.array([8.0, 0, 0]), np.eye(3))
    assert geometry_differences(off_by_5_micrometres, reference, reference_name="atlas image", origin_atol=0.01) == []
    assert geometry_differences(off_by_5_micrometres, reference, reference_name="atlas image") != []  # default 1e-4
    assert geometry_differences(off_by_8_mm, reference, reference_name="atlas image", origin_atol=0.01) == [
        "origin (8, 0, 0) mm differs from atlas image origin (0, 0, 0) mm by 8 mm (tolerance 0.01 mm)"
    ]
