"""The built-in atlas: nilearn's MNI152 template and the white matter parcellation built from it."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk
from scipy import ndimage

from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import save_nifti
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.registration.atlas import map_atlas, register_atlas
from nnunet_wmh.registration.builtin_atlas import (
    BRAIN_ZONE,
    VENTRICLE_ZONE,
    builtin_atlas_files,
    builtin_region_table,
    builtin_zones_file,
    depth_shells,
    load_builtin_atlas,
    template_files,
)
from nnunet_wmh.report.case import CaseSettings, measure_case
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.rows import case_rows


@pytest.fixture(scope="module")
def atlas_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("builtin_atlas")
    builtin_atlas_files(folder)
    return folder


def _voxels(path: Path) -> np.ndarray:
    return np.asanyarray(nib.load(path).dataobj)


def test_the_template_comes_from_the_installed_nilearn_wheel():
    files = template_files()
    assert "nilearn" in files.t1.parts
    assert nib.load(files.t1).shape == (197, 233, 189)


def test_without_nilearn_the_message_says_what_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "nilearn.datasets", None)  # what an import of a missing package does
    with pytest.raises(UsageError, match="pip install nilearn"):
        template_files()


def test_the_shipped_table_names_31_regions_4_lobes_by_2_sides_and_infratentorial():
    table = builtin_region_table()
    assert sorted(table) == list(range(1, 32))
    assert table[1] == "frontal_L_shell1"
    assert table[31] == "infratentorial"
    assert sum(name.startswith("occipital_") for name in table.values()) == 6


def test_every_region_is_in_the_parcellation_with_at_least_one_ml(atlas_folder):
    _, labels_path, _ = builtin_atlas_files(atlas_folder)
    labels = _voxels(labels_path)
    volumes_ml = np.bincount(labels.ravel(), minlength=32)[1:] / 1000  # 1 mm voxels
    assert volumes_ml.min() >= 1.0
    assert labels.max() == 31


def test_regions_lie_in_the_white_matter_only(atlas_folder):
    labels = _voxels(builtin_atlas_files(atlas_folder)[1])
    wm = _voxels(template_files().wm)
    assert not np.any(labels[wm < 128])


def test_left_regions_lie_at_negative_x_and_mirror_their_right_twins(atlas_folder):
    labels_path = builtin_atlas_files(atlas_folder)[1]
    labels, affine = _voxels(labels_path), nib.load(labels_path).affine
    table = {name: region_id for region_id, name in builtin_region_table().items()}
    left, right = table["parietal_L_shell2"], table["parietal_R_shell2"]
    x_mm = np.argwhere(labels == left)[:, 0] * affine[0, 0] + affine[0, 3]
    assert x_mm.max() < 0
    assert np.count_nonzero(labels == left) == pytest.approx(np.count_nonzero(labels == right), rel=0.02)


def test_depth_shells_run_from_the_ventricle_to_the_surface():
    brain = np.zeros((41, 5, 5), dtype=bool)
    brain[:, :, :] = True
    brain[0, :, :] = False  # outside at x = 0 and x = 40
    brain[40, :, :] = False
    ventricles = np.zeros_like(brain)
    ventricles[20, :, :] = True
    shells = depth_shells(brain, ventricles)
    # d_v = x - 20 from the ventricle, d_s = 40 - x to the outside: r = d_v / 20, shell = floor(4 r) + 1
    assert [int(shells[x, 2, 2]) for x in (22, 24, 26, 29, 31, 34, 36, 39)] == [1, 1, 2, 2, 3, 3, 4, 4]


def _oblique_native_grid(template: nib.Nifti1Image) -> sitk.Image:
    """A challenge-like grid (0.96 x 0.96 x 3 mm, 240 x 240 x 48) rotated 12 degrees about two axes."""
    angle = math.radians(12)
    rotation = sitk.Euler3DTransform((0, 0, 0), angle, 0, angle / 2)
    direction = np.array(rotation.GetMatrix()).reshape(3, 3) @ np.diag([-1, -1, 1])  # LPS → RAS-like
    spacing = np.array([0.96, 0.96, 3.0])
    size = np.array([240, 240, 48])
    centre = np.array([0.0, -18.0, 18.0])  # MNI mm, RAS
    centre_lps = centre * [-1, -1, 1]
    origin = centre_lps - direction @ (spacing * (size - 1) / 2)
    grid = sitk.Image([int(s) for s in size], sitk.sitkFloat32)
    grid.SetSpacing(spacing.tolist())
    grid.SetDirection(direction.ravel().tolist())
    grid.SetOrigin(origin.tolist())
    return grid


@pytest.mark.slow
def test_regions_with_the_builtin_atlas_recover_the_parcellation_on_an_oblique_3mm_grid(atlas_folder, tmp_path):
    files = template_files()
    labels_path = builtin_atlas_files(atlas_folder)[1]
    native_grid = _oblique_native_grid(nib.load(files.t1))
    identity = sitk.Transform(3, sitk.sitkIdentity)
    native_t1 = sitk.Resample(sitk.ReadImage(str(files.t1), sitk.sitkFloat32), native_grid, identity, sitk.sitkLinear)
    truth = sitk.Resample(sitk.ReadImage(str(labels_path)), native_grid, identity, sitk.sitkNearestNeighbor)
    sitk.WriteImage(native_t1, str(tmp_path / "native_T1.nii.gz"))
    expected = sitk.GetArrayFromImage(truth).transpose(2, 1, 0)

    result = register_atlas(
        load_builtin_atlas(atlas_folder), tmp_path / "native_T1.nii.gz", tmp_path / "regions.nii.gz"
    )

    found = _voxels(result.region_map)
    assert nib.load(result.region_map).header.get_zooms() == pytest.approx((0.96, 0.96, 3.0))
    voxel_ml = 0.96 * 0.96 * 3.0 / 1000
    dice = []
    for region_id in builtin_region_table():
        truth_region, found_region = expected == region_id, found == region_id
        if np.count_nonzero(truth_region) * voxel_ml > 1.0:
            overlap = np.count_nonzero(truth_region & found_region)
            dice.append(2 * overlap / (np.count_nonzero(truth_region) + np.count_nonzero(found_region)))
    assert len(dice) >= 20
    assert np.mean(dice) >= 0.85


def test_the_zones_map_holds_the_filled_brain_and_the_lateral_ventricles(atlas_folder):
    zones = _voxels(builtin_zones_file(atlas_folder))
    labels = _voxels(builtin_atlas_files(atlas_folder)[1])
    assert set(np.unique(zones)) == {0, BRAIN_ZONE, VENTRICLE_ZONE}
    assert 1000 < np.count_nonzero(zones) / 1000 < 1900  # mL: an adult brain (1 mm voxels)
    assert 5 < np.count_nonzero(zones == VENTRICLE_ZONE) / 1000 < 60
    assert not np.any(labels[zones == VENTRICLE_ZONE]) and not np.any(labels[zones == 0])


@pytest.mark.slow
def test_builtin_zones_give_true_periventricular_deep_volumes_and_icv_on_an_oblique_grid(atlas_folder, tmp_path):
    """The MNI template on an oblique 0.96 × 0.96 × 3 mm grid, whose true ventricles and brain are the
    template's own: lesions 2-6 mm from the true ventricles (periventricular) and 20-25 mm away in the white
    matter (deep). The registered zones give those volumes, counted by hand, and the brain volume as ICV."""
    files = template_files()
    native_grid = _oblique_native_grid(nib.load(files.t1))
    identity = sitk.Transform(3, sitk.sitkIdentity)
    native_t1 = sitk.Resample(sitk.ReadImage(str(files.t1), sitk.sitkFloat32), native_grid, identity, sitk.sitkLinear)
    sitk.WriteImage(native_t1, str(tmp_path / "native_T1.nii.gz"))

    def on_grid(path: Path) -> np.ndarray:
        resampled = sitk.Resample(sitk.ReadImage(str(path)), native_grid, identity, sitk.sitkNearestNeighbor)
        return sitk.GetArrayFromImage(resampled).transpose(2, 1, 0)

    true_zones, true_labels = on_grid(builtin_zones_file(atlas_folder)), on_grid(builtin_atlas_files(atlas_folder)[1])
    spacing = (0.96, 0.96, 3.0)
    to_ventricles = ndimage.distance_transform_edt(true_zones != VENTRICLE_ZONE, sampling=spacing)
    white = true_labels > 0
    periventricular = white & (to_ventricles >= 2) & (to_ventricles <= 6)
    deep = white & (to_ventricles >= 20) & (to_ventricles <= 25)
    voxel_mm3 = float(np.prod(spacing))
    reference = nib.load(tmp_path / "native_T1.nii.gz")
    save_nifti((periventricular | deep).astype(np.uint8), tmp_path / "lesions.nii.gz", reference=reference)

    mapping = map_atlas(load_builtin_atlas(atlas_folder), tmp_path / "native_T1.nii.gz", subject="mni",
                        transform="affine")  # fmt: skip
    assert mapping.problem is None and mapping.zones is not None
    save_nifti((mapping.zones > 0).astype(np.uint8), tmp_path / "brain.nii.gz", reference=reference)
    save_nifti((mapping.zones == VENTRICLE_ZONE).astype(np.uint8), tmp_path / "ventricles.nii.gz", reference=reference)
    inputs = CaseInputs("mni", tmp_path / "lesions.nii.gz", ventricles=tmp_path / "ventricles.nii.gz",
                        brain_mask=tmp_path / "brain.nii.gz")  # fmt: skip
    settings = CaseSettings(LabelConvention.challenge(), {}, ReportOptions(min_lesion_mm3=0.0))
    subject = case_rows(measure_case(inputs, settings)).subject

    truth = {"periventricular_volume_mm3": periventricular, "deep_volume_mm3": deep, "icv_mm3": true_zones > 0}
    found = {column: subject[column] / (np.count_nonzero(mask) * voxel_mm3) for column, mask in truth.items()}
    assert found == pytest.approx(dict.fromkeys(truth, 1.0), abs=0.02), found  # measured: 1.000, 1.000, 1.006


@pytest.fixture(scope="module")
def brain_shaped(tmp_path_factory) -> list[tuple[Path, dict]]:
    """Three full-size brain-shaped phantoms with a skull (one per training site) and their records."""
    from nnunet_wmh.synthetic import make_synthetic_cohort

    root = tmp_path_factory.mktemp("brain_shaped") / "cohort"
    cohort = make_synthetic_cohort(root, subjects=3, anatomy="mni152", seed=5, jobs=2, progress=False)
    return [(root, record) for record in cohort.subjects]


def _mean_region_dice(truth: np.ndarray, found: np.ndarray) -> float:
    dice = []
    for region in np.unique(truth[truth > 0]):
        expected, mapped = truth == region, found == region
        if np.count_nonzero(expected) > 100:
            both = np.count_nonzero(expected) + np.count_nonzero(mapped)
            dice.append(2 * np.count_nonzero(expected & mapped) / both)
    return float(np.mean(dice))


@pytest.mark.slow
def test_the_builtin_atlas_registers_to_brain_shaped_heads_with_a_skull_from_t1_or_flair(atlas_folder, brain_shaped):
    """Each subject is the template through its own affine and a 1.5 mm smooth warp (which no affine can undo),
    with a drawn skull and scalp, on the Utrecht, Singapore and GE3T grids (GE3T's 158 mm field of view cuts the
    head's sides). Measured: 0.71-0.74 from either image; with the metric over the whole head, six such phantoms
    of another seed gave 0.16-0.64."""
    atlas = load_builtin_atlas(atlas_folder)
    for root, record in brain_shaped:
        truth = _voxels(root / record["files"]["regions"])
        for image in ("t1", "flair"):
            mapping = map_atlas(atlas, root / record["files"][image], subject=record["subject"], transform="affine")
            assert mapping.problem is None
            assert _mean_region_dice(truth, mapping.labels) >= 0.68, (record["site"], image)


@pytest.mark.slow
def test_builtin_zones_give_the_phantoms_true_periventricular_deep_split_and_icv(atlas_folder, brain_shaped, tmp_path):
    """The phantoms' true lesions measured twice: with their true ventricles and intracranial volume (aseg), and
    with the built-in atlas's zones carried by the registration. Same lesions, so PV + deep is the same; the
    split moves by lesion voxels near the 10 mm border, and ICV by the warp."""
    atlas = load_builtin_atlas(atlas_folder)
    settings = CaseSettings(LabelConvention.challenge(), {}, ReportOptions(min_lesion_mm3=0.0))
    for root, record in brain_shaped:
        files = {key: root / path for key, path in record["files"].items()}
        reference, aseg = nib.load(files["t1"]), _voxels(files["anatomy"])
        mapping = map_atlas(atlas, files["t1"], subject=record["subject"], transform="affine")
        masks = {"true_ventricles": np.isin(aseg, (4, 43)), "true_brain": aseg > 0,
                 "ventricles": mapping.zones == VENTRICLE_ZONE, "brain": mapping.zones > 0}  # fmt: skip
        for name, mask in masks.items():
            save_nifti(mask.astype(np.uint8), tmp_path / f"{name}.nii.gz", reference=reference)
        measured = {}
        for kind, prefix in (("true", "true_"), ("zones", "")):
            inputs = CaseInputs(record["subject"], files["lesion"], ventricles=tmp_path / f"{prefix}ventricles.nii.gz",
                                brain_mask=tmp_path / f"{prefix}brain.nii.gz")  # fmt: skip
            measured[kind] = case_rows(measure_case(inputs, settings)).subject
        true, found = measured["true"], measured["zones"]
        total = true["periventricular_volume_mm3"] + true["deep_volume_mm3"]
        assert found["periventricular_volume_mm3"] + found["deep_volume_mm3"] == pytest.approx(total)
        share = found["periventricular_volume_mm3"] / total
        assert share == pytest.approx(true["periventricular_volume_mm3"] / total, abs=0.1), record["subject"]
        assert found["icv_mm3"] == pytest.approx(true["icv_mm3"], rel=0.03), record["subject"]
