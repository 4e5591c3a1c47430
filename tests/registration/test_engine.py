"""The registration engine's inputs: every image read whole and checked before SimpleITK sees it."""

import gzip

import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.registration import TRANSFORM_KINDS
from nnunet_wmh.registration.engine import (
    atlas_levels,
    read_float_image,
    require_nifti_name,
    stage_levels,
    transform_path,
)
from tests.helpers.images import save


def test_transform_paths_sit_beside_the_image_and_outputs_must_be_nifti(tmp_path):
    assert transform_path(tmp_path / "sub-01_regions.nii.gz") == tmp_path / "sub-01_regions_transform.tfm"
    assert transform_path("t1.nii") == transform_path("t1.nii.gz")
    assert require_nifti_name(tmp_path / "r.nii.gz", "out") == tmp_path / "r.nii.gz"
    with pytest.raises(UsageError, match=r"`out` .*x\.txt: the output name must end in \.nii\.gz or \.nii"):
        require_nifti_name(tmp_path / "x.txt", "out")
    assert TRANSFORM_KINDS == ("rigid", "affine", "affine+bspline")


def test_a_truncated_image_is_an_error_never_an_image_of_zeros(tmp_path):
    path = save(np.random.default_rng(0).random((20, 20, 10)).astype(np.float32), tmp_path / "t1.nii.gz")
    raw = gzip.decompress(path.read_bytes())
    path.write_bytes(gzip.compress(raw[: len(raw) // 2]))
    with pytest.raises(InputDataError, match=r"\[sub-1\] .*t1.nii.gz: moving image: voxel data cannot be read"):
        read_float_image("sub-1", path, "moving image")


def test_two_and_four_dimensional_images(tmp_path):
    flat = save(np.zeros((20, 20), np.float32), tmp_path / "flat.nii.gz", np.eye(4))
    with pytest.raises(InputDataError, match=r"2-D image of shape \(20, 20\); expected a 3-D image"):
        read_float_image("s", flat, "fixed image")
    series = save(np.zeros((8, 8, 4, 3), np.float32), tmp_path / "series.nii.gz")
    with pytest.raises(InputDataError, match="4-D image with 3 volumes"):
        read_float_image("s", series, "fixed image")
    single = save(np.ones((8, 8, 4, 1), np.float32), tmp_path / "single.nii.gz")
    image = read_float_image("s", single, "fixed image")
    assert image.sitk_image.GetSize() == (8, 8, 4) and image.nifti.shape == (8, 8, 4)


def test_nan_voxels_are_refused(tmp_path):
    values = np.ones((8, 8, 4), np.float32)
    values[0, 0, 0] = np.nan
    with pytest.raises(InputDataError, match=r"1 voxel\(s\) are NaN or infinite"):
        read_float_image("s", save(values, tmp_path / "nan.nii.gz"), "subject image")


def test_the_same_images_always_give_the_same_transform():

    from nnunet_wmh.registration.engine import register

    grid = np.zeros((40, 40, 20), np.float32)
    grid[10:30, 12:28, 5:15] = 1.0
    grid[15:20, 15:25, 8:12] = 2.0
    fixed = sitk.GetImageFromArray(grid.transpose(2, 1, 0))
    moving = sitk.GetImageFromArray(np.roll(grid, 2, axis=0).transpose(2, 1, 0))
    first, second = (register(fixed, moving, kind="affine") for _ in range(2))
    assert first.metric == second.metric
    assert first.transform.GetParameters() == second.transform.GetParameters()


def _grid(spacing):
    image = sitk.Image(8, 8, 8, sitk.sitkFloat32)
    image.SetSpacing(spacing)
    return image


def test_an_atlas_registration_stops_at_about_2_mm():
    assert atlas_levels(_grid((3.8, 3.8, 6.0))) == ((4, 2, 1), (2.0, 1.0, 0.0))  # coarse grids: as always
    assert atlas_levels(_grid((1.5, 1.5, 1.5))) == ((4, 2, 1), (2.0, 1.0, 0.0))
    shrink, sigmas = atlas_levels(_grid((1.0, 1.0, 3.0)))  # Singapore's 1 mm grid: a level of 2 voxels is 2 mm
    assert shrink == (8, 4, 2) and sigmas == pytest.approx((4.0, 2.0, 1.0))
    shrink, sigmas = atlas_levels(_grid((0.96, 0.96, 3.0)))  # the challenge's Utrecht grid
    assert shrink == (8, 4, 2) and sigmas == pytest.approx((3.84, 1.92, 0.96))
    assert atlas_levels(_grid((0.47, 0.47, 8.0)))[0] == (16, 8, 4)  # a clinical 2-D FLAIR


def test_before_an_affine_stage_the_rigid_one_skips_the_finest_level_and_the_affine_one_the_coarsest():
    levels = ((8, 4, 2), (3.84, 1.92, 0.96))
    assert stage_levels(levels, "rigid") == (levels, levels)  # co-registration keeps every level
    rigid, affine = stage_levels(levels, "affine")
    assert rigid == ((8, 4), (3.84, 1.92)) and affine == ((4, 2), (1.92, 0.96))
    assert stage_levels(None, "affine+bspline") == (((4, 2), (2.0, 1.0)), ((2, 1), (1.0, 0.0)))
