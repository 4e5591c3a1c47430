"""Every validation error names subject and file, says what was expected and found, and writes nothing."""

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.dataset_conversion import convert_dataset
from nnunet_wmh.errors import InvalidInputsError
from tests.helpers.images import make_wmh2017_subject, oblique_affine, save


@pytest.fixture
def source(tmp_path):
    """Two valid hand-made subjects, Utrecht/0 and Utrecht/1, on a 10×10×4 grid of 1×1×3 mm."""
    for subject in ("0", "1"):
        make_wmh2017_subject(tmp_path / "src", "Utrecht", subject)
    return tmp_path / "src"


def problems_of(source, mode="flair_t1", **options):
    with pytest.raises(InvalidInputsError) as info:
        convert_dataset(source, mode=mode, dataset_id=1, progress=False, **options)
    return [str(p) for p in info.value.problems]


@pytest.fixture(autouse=True)
def nothing_written(nnunet_folders):
    yield
    assert list(nnunet_folders["nnUNet_raw"].iterdir()) == []


def test_label_map_on_another_grid(source):
    save(np.zeros((10, 10, 3), np.uint8), source / "Utrecht/0/wmh.nii.gz")
    assert problems_of(source) == ["[Utrecht/0] wmh.nii.gz: shape (10, 10, 3) != FLAIR shape (10, 10, 4)"]


def test_t1_on_another_grid_points_to_coregistration(source):
    save(np.ones((12, 12, 10), np.float32), source / "Utrecht/1/pre/T1.nii.gz", oblique_affine((1, 1, 1)))
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/1] pre/T1.nii.gz: shape (12, 12, 10) != FLAIR shape (10, 10, 4)")
    assert "let convert register and resample it onto the FLAIR grid (`coregister`)" in problem


def test_spacing_mismatch(source):
    save(np.ones((10, 10, 4), np.float32), source / "Utrecht/0/pre/T1.nii.gz", oblique_affine((1, 1, 3.3)))
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/0] pre/T1.nii.gz: spacing (1, 1, 3.3) mm != FLAIR spacing (1, 1, 3) mm")


def test_origin_mismatch_beyond_tolerance(source):
    save(np.zeros((10, 10, 4), np.uint8), source / "Utrecht/0/regions.nii.gz", oblique_affine(origin=(-10, 20, 5.01)))
    (problem,) = problems_of(source, mode="regions")
    assert problem.startswith("[Utrecht/0] regions.nii.gz: origin") and "by 0.01 mm (tolerance 0.0001 mm)" in problem


def test_origin_within_tolerance_is_accepted(source, nnunet_folders):
    save(np.zeros((10, 10, 4), np.uint8), source / "Utrecht/0/wmh.nii.gz", oblique_affine(origin=(-10, 20, 5.00002)))
    convert_dataset(
        source, mode="flair", dataset_id=1, out=nnunet_folders["nnUNet_raw"].parent / "other", progress=False
    )


def test_direction_mismatch(source):
    save(np.zeros((10, 10, 4), np.uint8), source / "Utrecht/1/wmh.nii.gz", oblique_affine(degrees=12))
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/1] wmh.nii.gz: direction cosines differ from FLAIR by 0.03")


def test_missing_lesion_map(source):
    (source / "Utrecht/0/wmh.nii.gz").unlink()
    assert problems_of(source) == ["[Utrecht/0] wmh.nii.gz: no lesion map"]


def test_missing_t1_when_the_mode_needs_it(source):
    (source / "Utrecht/1/pre/T1.nii.gz").unlink()
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/1] pre/T1.nii.gz: no T1 image (inputs flair_t1 need FLAIR and T1)")
    assert "`mode` interchangeable fills a missing modality" in problem


def test_unreadable_image(source):
    (source / "Utrecht/0/pre/FLAIR.nii.gz").write_bytes(b"\x1f\x8b garbage")
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/0] pre/FLAIR.nii.gz: cannot be read as NIfTI")


def test_truncated_voxel_data(source):
    path = source / "Utrecht/0/pre/FLAIR.nii.gz"
    path.write_bytes(path.read_bytes()[:-200])
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/0] pre/FLAIR.nii.gz: voxel data cannot be read")


def test_four_dimensional_image(source):
    save(np.ones((10, 10, 4, 2), np.float32), source / "Utrecht/0/pre/FLAIR.nii.gz")
    assert problems_of(source, mode="flair") == [
        "[Utrecht/0] pre/FLAIR.nii.gz: 4-D image with 2 volumes (shape (10, 10, 4, 2)); expected a 3-D image"
    ]


def test_nan_in_an_image(source):
    data = np.ones((10, 10, 4), np.float32)
    data[1, 2, 3] = np.nan
    data[0, 0, 0] = np.inf
    save(data, source / "Utrecht/1/pre/T1.nii.gz")
    assert problems_of(source) == [
        "[Utrecht/1] pre/T1.nii.gz: 2 voxel(s) are NaN or infinite; replace them (e.g. by 0) first"
    ]


def test_non_integer_label_values(source):
    lesion = np.zeros((10, 10, 4), np.float32)
    lesion[0, 0, 0] = 0.5
    save(lesion, source / "Utrecht/0/wmh.nii.gz")
    assert problems_of(source) == ["[Utrecht/0] wmh.nii.gz: label map holds non-integer values, e.g. [0.5]"]


def test_unexpected_lesion_values(source):
    lesion = np.zeros((10, 10, 4), np.uint8)
    lesion[0, 0, 0] = 255
    save(lesion, source / "Utrecht/0/wmh.nii.gz")
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/0] wmh.nii.gz: unexpected label values [255]")


def test_negative_region_value(source):
    regions = np.zeros((10, 10, 4), np.int16)
    regions[0, 0, 0] = -3
    save(regions, source / "Utrecht/1/regions.nii.gz")
    assert problems_of(source, mode="multitask") == ["[Utrecht/1] regions.nii.gz: negative label value -3"]


def test_sheared_affine(source):
    affine = oblique_affine()
    affine[0, 1] += 0.5
    for name in ("pre/FLAIR.nii.gz", "pre/T1.nii.gz", "wmh.nii.gz"):
        image = nib.load(source / "Utrecht/0" / name)
        save(np.asanyarray(image.dataobj), source / "Utrecht/0" / name, affine)
    (problem,) = problems_of(source)
    assert problem.startswith("[Utrecht/0] pre/FLAIR.nii.gz: affine has shear")


def test_all_problems_of_all_subjects_are_reported_at_once(source):
    (source / "Utrecht/0/wmh.nii.gz").unlink()
    save(np.zeros((10, 10, 3), np.uint8), source / "Utrecht/1/wmh.nii.gz")
    make_wmh2017_subject(source, "Singapore", "5", with_t1=False)
    problems = problems_of(source)
    assert [p.split("]")[0] + "]" for p in problems] == ["[Singapore/5]", "[Utrecht/0]", "[Utrecht/1]"]


def test_test_subject_problems_are_found_too(small_cohort):
    save(np.zeros((3, 3, 3), np.uint8), small_cohort / "test/Singapore/7/wmh.nii.gz")
    (problem,) = problems_of(small_cohort, mode="flair")
    assert problem.startswith("[Singapore/7] wmh.nii.gz: shape (3, 3, 3) != FLAIR shape")


def test_missing_files_in_bids_and_manifest_name_where_they_were_looked_for(bids_cohort_template, tmp_path):
    import shutil

    root = tmp_path / "bids"
    shutil.copytree(bids_cohort_template, root)
    (root / "derivatives/synth/sub-002/ses-01/anat/sub-002_ses-01_space-FLAIR_desc-wmh_mask.nii.gz").unlink()
    assert problems_of(root, mode="flair") == [
        "[sub-002/ses-01] derivatives/*/sub-002/ses-01/anat/sub-002_ses-01_*desc-wmh_mask.nii.gz: no lesion map"
    ]
    manifest = tmp_path / "cohort.csv"
    flair = root / "sub-001/ses-01/anat/sub-001_ses-01_FLAIR.nii.gz"
    manifest.write_text(f"subject,flair,t1,lesion\np1,{flair},,\n")
    assert problems_of(manifest, mode="flair_t1") == [
        "[p1] cohort.csv, line 2: empty 't1' cell: no T1 image (inputs flair_t1 need FLAIR and T1); "
        "`mode` interchangeable fills a missing modality by duplication",
        "[p1] cohort.csv, line 2: empty 'lesion' cell: no lesion map",
    ]


def test_label_values_of_float_and_integer_maps_agree():
    from nnunet_wmh.dataset_conversion.validation import label_values

    labels = np.zeros((6, 5, 4), np.uint8, order="F")
    labels[1, 2, 3] = 2
    labels[0, 0, 0] = 1
    assert label_values(labels) == (frozenset({0, 1, 2}), None)
    assert label_values(labels.astype(np.float32)) == (frozenset({0, 1, 2}), None)
    assert label_values(np.ones((2, 2, 2), np.float32)) == (frozenset({1}), None)
    assert label_values(np.full((2, 2, 2), np.nan, np.float32))[1] == "label map holds NaN or infinite values"
