"""Synthetic cohorts: deterministic, in the challenge or BIDS layout, on each site's native grid."""

import json

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.errors import OutputExistsError
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.synthetic import SYNTHETIC_REGION_TABLE, TEST_SITES, TRAINING_SITES, make_synthetic_cohort
from tests.helpers.images import read_labels, tree_bytes


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        make_synthetic_cohort(tmp_path / name, subjects=2, seed=seed, size="small", progress=False)
    a, b, c = (tree_bytes(tmp_path / n) for n in "abc")
    assert a == b
    assert a.keys() == c.keys() and a["training/Utrecht/0/pre/FLAIR.nii.gz"] != c["training/Utrecht/0/pre/FLAIR.nii.gz"]


def test_parallel_generation_equals_serial(tmp_path):
    make_synthetic_cohort(tmp_path / "serial", subjects=3, seed=1, size="small", progress=False)
    make_synthetic_cohort(tmp_path / "parallel", subjects=3, seed=1, size="small", jobs=2, progress=False)
    assert tree_bytes(tmp_path / "serial") == tree_bytes(tmp_path / "parallel")


def test_full_size_grids_are_the_challenge_sites_grids(small_cohort_template):
    expected = {
        "Utrecht": ((240, 240, 48), (0.958, 0.958, 3.0)),
        "Singapore": ((256, 232, 48), (1.0, 1.0, 3.0)),
        "Amsterdam/GE3T": ((132, 256, 83), (1.2, 0.977, 3.0)),
    }
    assert {s.folder: (s.shape, s.spacing) for s in TRAINING_SITES} == expected
    assert {s.folder for s in TEST_SITES} - set(expected) == {"Amsterdam/GE1T5", "Amsterdam/Philips_VU .PETMR_01."}


def test_small_grid_keeps_the_field_of_view():
    utrecht = TRAINING_SITES[0]
    shape, spacing = utrecht.grid("small")
    assert shape == (60, 60, 24)
    np.testing.assert_allclose(np.multiply(shape, spacing), np.multiply(utrecht.shape, utrecht.spacing), rtol=1e-4)


def test_wmh2017_tree_mirrors_the_challenge_layout(small_cohort_template):
    root = small_cohort_template
    subjects = sorted(p.parent.parent.relative_to(root).as_posix() for p in root.rglob("pre/FLAIR.nii.gz"))
    assert subjects == [
        "test/Amsterdam/GE1T5/9", "test/Amsterdam/GE3T/8", "test/Amsterdam/Philips_VU .PETMR_01./10",
        "test/Singapore/7", "test/Utrecht/6",
        "training/Amsterdam/GE3T/2", "training/Amsterdam/GE3T/5", "training/Singapore/1", "training/Singapore/4",
        "training/Utrecht/0", "training/Utrecht/3",
    ]  # fmt: skip
    for flair in root.rglob("pre/FLAIR.nii.gz"):
        subject = flair.parent.parent
        assert {p.name for p in subject.iterdir()} == {
            "pre",
            "wmh.nii.gz",
            "regions.nii.gz",
            "aseg.nii.gz",
            "pitfalls.nii.gz",
        }
        assert {p.name for p in (subject / "pre").iterdir()} == {"FLAIR.nii.gz", "T1.nii.gz"}
    assert read_region_table(root / "regions.tsv") == SYNTHETIC_REGION_TABLE


def test_images_are_native_space_oblique_with_qform_and_sform(small_cohort_template):
    flair = nib.load(small_cohort_template / "training/Utrecht/0/pre/FLAIR.nii.gz")
    t1 = nib.load(small_cohort_template / "training/Utrecht/0/pre/T1.nii.gz")
    assert flair.shape == (60, 60, 24) and flair.get_data_dtype() == np.float32
    np.testing.assert_allclose(flair.header.get_zooms(), (3.832, 3.832, 6.0), rtol=1e-5)
    assert int(flair.header["qform_code"]) == 1 and int(flair.header["sform_code"]) == 1
    # The qform's float32 quaternion is imprecise near 180° rotations (LAS/LPS storage); SimpleITK and
    # nibabel both use the sform, which is exact.
    np.testing.assert_allclose(flair.get_qform(), flair.get_sform(), atol=1e-3)
    direction = flair.affine[:3, :3] / np.linalg.norm(flair.affine[:3, :3], axis=0)
    np.testing.assert_allclose(direction.T @ direction, np.eye(3), atol=1e-6)  # no shear
    assert np.abs(direction - np.round(direction)).max() > 0.01  # oblique, not axis-aligned
    np.testing.assert_array_equal(flair.affine, t1.affine)


def test_labels_hold_wmh_and_dilated_other_pathology(small_cohort_template):
    lesion_sizes = []
    for wmh in sorted(small_cohort_template.rglob("wmh.nii.gz")):
        labels = read_labels(wmh)
        assert set(np.unique(labels).tolist()) <= {0, 1, 2}
        assert (labels == 2).any()
        lesion_sizes.append(int((labels == 1).sum()))
    assert min(lesion_sizes) > 0 and max(lesion_sizes) > 1.5 * min(lesion_sizes)  # varied lesion load


def test_bids_layout_with_sessions(bids_cohort_template):
    root = bids_cohort_template
    assert (root / "dataset_description.json").is_file()
    assert (root / "participants.tsv").read_text().splitlines()[:2] == ["participant_id\tsite", "sub-001\tUtrecht"]
    anat = root / "sub-002" / "ses-02" / "anat"
    assert sorted(p.name for p in anat.iterdir()) == ["sub-002_ses-02_FLAIR.nii.gz", "sub-002_ses-02_T1w.nii.gz"]
    derivatives = root / "derivatives/synth/sub-002/ses-02/anat"
    assert sorted(p.name for p in derivatives.iterdir()) == [
        "sub-002_ses-02_space-FLAIR_desc-aseg_dseg.nii.gz",
        "sub-002_ses-02_space-FLAIR_desc-lesionid_dseg.nii.gz",
        "sub-002_ses-02_space-FLAIR_desc-pitfalls_dseg.nii.gz",
        "sub-002_ses-02_space-FLAIR_desc-regions_dseg.nii.gz",
        "sub-002_ses-02_space-FLAIR_desc-wmh_mask.nii.gz",
    ]
    assert sorted(p.name for p in (root / "sub-002").iterdir()) == ["ses-01", "ses-02", "sub-002_sessions.tsv"]
    assert sorted(p.name for p in (root / "derivatives/synth/sub-002").iterdir()) == [
        "ses-01", "ses-02", "sub-002_desc-change_truth.tsv", "sub-002_desc-regionvolumes_truth.tsv",
    ]  # fmt: skip
    description = json.loads((root / "derivatives/synth/dataset_description.json").read_text())
    assert description["GeneratedBy"][0]["Name"] == "nnunet_wmh synth"


def test_refuses_a_non_empty_folder_without_overwrite(tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("precious")
    with pytest.raises(OutputExistsError, match="out exists; pass `overwrite` to replace it"):
        make_synthetic_cohort(tmp_path / "out", subjects=1, size="small", progress=False)
    assert (tmp_path / "out" / "keep.txt").read_text() == "precious"


def test_anatomy_map_has_freesurfer_labels_consistent_with_the_other_maps(small_cohort_template):
    folder = small_cohort_template / "training/Utrecht/0"
    aseg = np.asanyarray(nib.load(folder / "aseg.nii.gz").dataobj)
    lesion = np.asanyarray(nib.load(folder / "wmh.nii.gz").dataobj)
    regions = np.asanyarray(nib.load(folder / "regions.nii.gz").dataobj)
    assert set(np.unique(aseg).tolist()) <= {0, 2, 3, 4, 10, 24, 41, 42, 43, 49}
    assert (aseg == 4).any() and (aseg == 43).any()  # both lateral ventricles
    assert not (lesion[np.isin(aseg, (4, 43))] == 1).any()  # WMH lie in white matter, not in the ventricles
    assert np.isin(aseg[regions > 0], (2, 41)).all()  # the region map covers white matter only
    np.testing.assert_array_equal(nib.load(folder / "aseg.nii.gz").affine, nib.load(folder / "wmh.nii.gz").affine)
