"""``regions``: atlas labels registered into native space, measured against the phantom's truth."""

from __future__ import annotations

import logging
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.cli import main
from nnunet_wmh.errors import ImageReadError, InputDataError, RegistrationError
from nnunet_wmh.io import read_image
from nnunet_wmh.registration.atlas import (
    ATLAS_WORKING_MM,
    MIN_INSIDE_HEAD,
    _prepared,
    head_mask,
    inside_head_share,
    load_atlas,
    register_atlas,
    working_resolution,
)
from nnunet_wmh.registration.atlas_grid import ATLAS_ORIGIN_TOLERANCE_MM
from nnunet_wmh.registration.engine import transform_path
from nnunet_wmh.synthetic.anatomy import random_rotation
from nnunet_wmh.synthetic.cohort import native_affine, save_image
from nnunet_wmh.synthetic.phantom import SubjectTransform, random_pathology, sample_subject
from nnunet_wmh.synthetic.template import write_template
from tests.helpers.images import read_labels


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return write_template(tmp_path_factory.mktemp("template"), spacing_mm=2.0)


@pytest.fixture(scope="module")
def affine_subject(tmp_path_factory):
    """A subject made from the template by a known affine (no warp) on an oblique 1.9 × 1.9 × 3 mm grid."""
    folder = tmp_path_factory.mktemp("subject")
    rng = np.random.default_rng(3)
    shape, spacing = (120, 120, 48), (1.916, 1.916, 3.0)
    affine = native_affine(shape, spacing, "LAS", rng)
    transform = SubjectTransform(random_rotation(rng, 6) @ np.diag(rng.uniform(0.9, 1.1, 3)), rng.uniform(-6, 6, 3))
    sampled = sample_subject(shape, affine, transform, random_pathology(rng), rng)
    save_image(sampled.t1, affine, folder / "T1.nii.gz")
    save_image(sampled.flair, affine, folder / "FLAIR.nii.gz")
    save_image(sampled.regions, affine, folder / "regions_truth.nii.gz")
    return folder


def large_region_dice(truth_path: Path, estimate_path: Path) -> list[float]:
    """Dice of every region larger than 1 mL in the truth."""
    truth, mapped = read_labels(truth_path), read_labels(estimate_path)
    voxel_mm3 = float(np.prod(nib.load(estimate_path).header.get_zooms()))
    dices = []
    for region in np.unique(truth[truth > 0]):
        reference, estimate = truth == region, mapped == region
        if reference.sum() * voxel_mm3 > 1000:
            dices.append(2 * (reference & estimate).sum() / (reference.sum() + estimate.sum()))
    return dices


def test_registration_recovers_the_native_region_map(template, affine_subject, tmp_path):
    atlas = load_atlas(template.t1, template.regions, template.region_table)
    out = tmp_path / "regions.nii.gz"
    result = register_atlas(atlas, affine_subject / "T1.nii.gz", out, subject="sub-x")
    dices = large_region_dice(affine_subject / "regions_truth.nii.gz", out)
    assert len(dices) >= 12
    assert np.mean(dices) >= 0.90, dices
    # the map carries the subject's exact grid and header
    subject, written = nib.load(affine_subject / "T1.nii.gz"), nib.load(out)
    np.testing.assert_array_equal(written.affine, subject.affine)
    np.testing.assert_array_equal(written.header.get_qform(), subject.header.get_qform())
    assert written.header.get_zooms() == subject.header.get_zooms()
    assert int(written.header["sform_code"]) == int(subject.header["sform_code"])
    assert written.get_data_dtype() == np.uint8
    # the transform is written beside it and can be read back
    assert result.transform == transform_path(out) == tmp_path / "regions_transform.tfm"
    assert sitk.ReadTransform(str(result.transform)).GetDimension() == 3
    assert result.metric < 0 and result.inside_head > 0.95


def test_affine_plus_bspline_writes_one_readable_transform(template, affine_subject, tmp_path):
    atlas = load_atlas(template.t1, template.regions, template.region_table)
    out = tmp_path / "regions.nii.gz"
    result = register_atlas(atlas, affine_subject / "T1.nii.gz", out, transform="affine+bspline")
    transform = sitk.ReadTransform(str(result.transform))
    assert transform.GetName() == "CompositeTransform"
    names = [sitk.CompositeTransform(transform).GetNthTransform(k).GetName() for k in range(2)]
    assert names[0] in ("AffineTransform", "Euler3DTransform") and "BSpline" in " ".join(names)
    assert np.mean(large_region_dice(affine_subject / "regions_truth.nii.gz", out)) >= 0.85


def test_flair_works_too_and_wm_mask_restricts(template, affine_subject, tmp_path):
    atlas = load_atlas(template.t1, template.regions, template.region_table)
    mask = np.zeros((120, 120, 48), dtype=np.uint8)
    mask[:60] = 1
    save_image(mask, nib.load(affine_subject / "T1.nii.gz").affine, tmp_path / "mask.nii.gz")
    out = tmp_path / "regions.nii.gz"
    register_atlas(atlas, affine_subject / "FLAIR.nii.gz", out, wm_mask=tmp_path / "mask.nii.gz", transform="rigid")
    mapped = read_labels(out)
    assert mapped[:60].any() and not mapped[60:].any()


def test_failed_registration_names_subject_and_metric(template, tmp_path):
    atlas = load_atlas(template.t1, template.regions, template.region_table)
    flat = tmp_path / "flat.nii.gz"
    save_image(np.zeros((40, 40, 20), np.float32), np.diag([2.0, 2.0, 3.0, 1.0]), flat)
    with pytest.raises(RegistrationError, match=rf"\[sub-flat\] {flat}: registration failed"):
        register_atlas(atlas, flat, tmp_path / "out.nii.gz", subject="sub-flat")
    noise = tmp_path / "noise.nii.gz"  # no head to align with: runs, but does not converge
    save_image(np.random.default_rng(0).random((40, 40, 20)).astype(np.float32), np.diag([2.0, 2.0, 3.0, 1.0]), noise)
    pattern = rf"\[sub-noise\] {noise}: registration did not converge \(final Mattes mutual information -?\d"
    with pytest.raises(RegistrationError, match=pattern):
        register_atlas(atlas, noise, tmp_path / "out.nii.gz", subject="sub-noise")
    assert not (tmp_path / "out.nii.gz").exists()


def test_unreadable_subject_image(template, tmp_path):
    atlas = load_atlas(template.t1, template.regions, template.region_table)
    broken = tmp_path / "broken.nii.gz"
    broken.write_bytes(b"not an image")
    with pytest.raises(InputDataError, match=r"broken\.nii\.gz: subject image: cannot be read as NIfTI"):
        register_atlas(atlas, broken, tmp_path / "out.nii.gz")
    assert not (tmp_path / "out.nii.gz").exists()


def test_labels_missing_from_the_table_get_generated_names(template, tmp_path, caplog):
    table = tmp_path / "partial.tsv"
    table.write_text("index\tname\n1\tfrontal_periventricular_L\n2\tfrontal_periventricular_R\n")
    with caplog.at_level(logging.WARNING):
        atlas = load_atlas(template.t1, template.regions, table)
    assert atlas.table[1] == "frontal_periventricular_L" and atlas.table[16] == "region_16"
    assert "14 region value(s)" in caplog.text


def test_atlas_labels_of_the_templates_shape_moved_8_mm_are_refused_naming_both_files(atlas_pair):
    files = atlas_pair(shift_mm=(8.0, 0.0, 0.0))
    with pytest.raises(InputDataError) as raised:
        load_atlas(files.image, files.labels, files.table)
    assert raised.value.subject == "atlas" and raised.value.path == str(files.labels)
    assert raised.value.problem == (
        f"origin (-82.3, -126.7, -72.1) mm differs from atlas image {files.image} origin (-90.3, -126.7, -72.1) mm "
        f"by 8 mm (tolerance {ATLAS_ORIGIN_TOLERANCE_MM:g} mm); the atlas labels must lie on the atlas image's grid"
    )


def test_atlas_labels_whose_header_differs_by_float32_rounding_are_accepted(atlas_pair):
    files = atlas_pair(shift_mm=(8e-6, 0.0, 0.0), turn_rad=1e-6)  # one float32 step at 90 mm, a 1e-6 turn
    gap = np.max(np.abs(nib.load(files.labels).affine - nib.load(files.image).affine))
    assert 1e-7 < gap < 1e-5  # the stored headers do differ, by rounding
    atlas = load_atlas(files.image, files.labels, files.table)
    assert atlas.labels == files.labels and atlas.table == {1: "left", 2: "right"}


def test_the_atlas_grid_is_checked_from_the_headers_before_the_voxels_are_read(atlas_pair):
    files = atlas_pair(shift_mm=(0.0, 25.0, 0.0))
    labels = files.labels.with_name("labels.nii")
    nib.save(nib.load(files.labels), labels)
    labels.write_bytes(labels.read_bytes()[:-100])  # truncated: its header reads, its voxels do not
    with pytest.raises(ImageReadError, match="truncated"):
        read_image(labels)
    with pytest.raises(InputDataError, match="by 25 mm"):
        load_atlas(files.image, labels, files.table)


def test_regions_cli_single_subject(template, affine_subject, tmp_path, capsys):
    out = tmp_path / "r.nii.gz"
    argv = ["regions", "--atlas-image", str(template.t1), "--atlas-labels", str(template.regions)]
    argv += ["--region-table", str(template.region_table), "--subject", str(affine_subject / "T1.nii.gz")]
    assert main([*argv, "--out", str(out)]) == 0
    assert "final mutual information" in capsys.readouterr().out
    assert main([*argv, "--out", str(out)]) == 1  # exists: refused without --overwrite
    assert main([*argv]) == 2  # --subject without --out
    assert Path(transform_path(out)).is_file()


def test_a_fine_template_is_registered_at_the_working_resolution_prepared_once(tmp_path):
    image = sitk.Image(40, 30, 20, sitk.sitkFloat32)
    image.SetSpacing((1.0, 1.0, 2.0))
    image.SetOrigin((5.0, -3.0, 7.0))
    coarse = working_resolution(image, ATLAS_WORKING_MM)
    assert coarse.GetSpacing() == pytest.approx((1.5, 1.5, 2.0)) and coarse.GetSize() == (27, 20, 20)
    assert coarse.GetOrigin() == image.GetOrigin() and coarse.GetDirection() == image.GetDirection()
    assert working_resolution(coarse, ATLAS_WORKING_MM) is coarse  # nothing finer: unchanged
    path = tmp_path / "template.nii.gz"
    sitk.WriteImage(image + 1.0, str(path))
    first = _prepared(path)
    assert _prepared(path) is first  # once per process
    sitk.WriteImage(image + 2.0, str(path))
    assert _prepared(path) is not first  # a changed file is prepared again


def _thick_slice_flair(ventricle_radius_mm: float) -> tuple[sitk.Image, np.ndarray, np.ndarray]:
    """A skull-stripped FLAIR of 512 × 512 × 16 voxels of 0.47 × 0.47 × 8 mm (a 2-D clinical acquisition): a
    brain ellipsoid (semi-axes 70, 90, 60 mm) with dark ventricles of the given radius at its centre, cut by the
    field of view's first slice. Returns the image and the brain and ventricle masks, shape (X, Y, Z)."""
    spacing = np.array([0.47, 0.47, 8.0])
    x, y, z = np.meshgrid(*(np.arange(n) * s for n, s in zip((512, 512, 16), spacing, strict=True)), indexing="ij")
    centre = np.array([256 * 0.47, 256 * 0.47, 2 * 8.0])  # the brain's centre near the first slice
    inside = ((x - centre[0]) / 70) ** 2 + ((y - centre[1]) / 90) ** 2 + ((z - centre[2]) / 60) ** 2 < 1
    ventricles = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2 < ventricle_radius_mm**2
    flair = np.where(inside, 300.0, 0.0)
    flair[ventricles] = 15.0  # CSF is suppressed on a FLAIR
    image = sitk.GetImageFromArray(flair.transpose(2, 1, 0).astype(np.int16))
    image.SetSpacing(tuple(spacing))
    return image, inside, ventricles


def test_dark_ventricles_of_a_thick_slice_flair_count_as_head():
    """An atlas whose regions cover a subject's large ventricles (atrophy with a heavy lesion load) passes the
    QC on a 16-slice 8 mm FLAIR whose first slice cuts the ventricles; Otsu alone would call them outside."""
    image, brain, _ventricles = _thick_slice_flair(ventricle_radius_mm=40.0)
    otsu = sitk.GetArrayFromImage(sitk.OtsuThreshold(image, 0, 1)).transpose(2, 1, 0).astype(bool)
    assert np.count_nonzero(brain & otsu) / np.count_nonzero(brain) < MIN_INSIDE_HEAD  # the old rule failed
    assert inside_head_share(image, brain.astype(np.uint8)) > 0.99
    assert head_mask(image).shape == (128, 128, 16)  # at ~2 mm in-plane, the slices as they are


def test_regions_off_the_head_fail_on_a_thick_slice_flair():
    image, brain, _ = _thick_slice_flair(ventricle_radius_mm=10.0)
    shifted = np.roll(brain, round(25 / 0.47), axis=0)  # a registration 25 mm off to the side
    assert inside_head_share(image, shifted.astype(np.uint8)) < MIN_INSIDE_HEAD
    assert inside_head_share(image, np.zeros(brain.shape, np.uint8)) == 0.0


def test_a_noise_image_is_not_a_head():
    image = sitk.GetImageFromArray(np.random.default_rng(0).random((20, 40, 40)).astype(np.float32))
    image.SetSpacing((2.0, 2.0, 3.0))
    assert inside_head_share(image, np.ones((40, 40, 20), np.uint8)) < MIN_INSIDE_HEAD
