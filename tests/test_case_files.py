"""Folders of case files: one file per case, companion maps by folder or pattern, grids checked from headers."""

import numpy as np
import pytest

from nnunet_wmh.case_files import companion_files, grid_problems, nifti_cases, require_folder
from nnunet_wmh.conversion_table import CaseInfo
from nnunet_wmh.errors import UsageError
from tests.helpers.images import oblique_affine, save


def test_two_files_for_one_case_are_a_problem_and_neither_is_taken(tmp_path):
    save(np.zeros((2, 2, 2), np.uint8), tmp_path / "a.nii.gz")
    save(np.zeros((2, 2, 2), np.uint8), tmp_path / "b.nii.gz")
    save(np.ones((2, 2, 2), np.uint8), tmp_path / "b.nii")
    (tmp_path / ".hidden.nii.gz").write_bytes(b"")
    (tmp_path / "notes.txt").write_text("")
    cases, problems = nifti_cases(tmp_path)
    assert list(cases) == ["a"]
    (problem,) = problems
    assert str(problem) == f"[b] {tmp_path}: two files for one case (b.nii, b.nii.gz); keep one"


def test_a_folder_argument_that_is_a_file_is_told_apart_from_a_missing_one(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(UsageError, match=r"`prediction_dir` .*file is a file; expected a folder") as raised:
        require_folder(tmp_path / "file", "prediction_dir")
    assert raised.value.parameter == "prediction_dir"
    with pytest.raises(UsageError, match=r"`regions` folder .*absent does not exist"):
        require_folder(tmp_path / "absent", "regions")


def test_companions_by_folder_accept_nnunet_channel_names(tmp_path):
    save(np.zeros((2, 2, 2), np.float32), tmp_path / "images" / "c1_0000.nii.gz")
    save(np.zeros((2, 2, 2), np.float32), tmp_path / "images" / "c2.nii.gz")
    files, problems = companion_files(["c1", "c2", "c3"], tmp_path / "images", "image", parameter="images",
                                      channel_suffix=True)  # fmt: skip
    assert files == {"c1": tmp_path / "images/c1_0000.nii.gz", "c2": tmp_path / "images/c2.nii.gz"}
    assert [str(p) for p in problems] == [f"[c3] {tmp_path / 'images'}: no image c3_0000.nii.gz or c3.nii.gz"]


def test_a_pattern_is_filled_from_the_conversion_table_and_a_miss_names_the_absolute_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    save(np.zeros((2, 2, 2), np.uint8), tmp_path / "maps" / "Utrecht" / "0" / "regions.nii.gz")
    info = {"wmh_0001": CaseInfo("0", "", "Utrecht", ""), "wmh_0002": CaseInfo("1", "", "Utrecht", "")}
    files, problems = companion_files(list(info), "maps/{site}/{subject}/regions.nii.gz", "region map",
                                      parameter="regions", info=info)  # fmt: skip
    assert files == {"wmh_0001": tmp_path / "maps/Utrecht/0/regions.nii.gz"}
    (problem,) = problems
    assert problem.path == str(tmp_path / "maps/Utrecht/1/regions.nii.gz")  # absolute, not ../../maps
    with pytest.raises(UsageError, match=r"`regions` pattern 'maps/\{nope\}'"):
        companion_files(["wmh_0001"], "maps/{nope}", "region map", parameter="regions", info=info)


def test_grid_problems_name_both_files_and_allow_a_single_fourth_axis(tmp_path):
    prediction = save(np.zeros((4, 4, 2), np.uint8), tmp_path / "pred.nii.gz")
    image = save(np.zeros((4, 4, 2, 1), np.float32), tmp_path / "image.nii.gz")
    shifted = oblique_affine()
    shifted[:3, 3] += 0.01
    regions = save(np.zeros((4, 4, 2), np.uint8), tmp_path / "regions.nii.gz", shifted)
    volumes = save(np.zeros((4, 4, 2, 3), np.uint8), tmp_path / "volumes.nii.gz")
    problems = grid_problems("c", prediction, {"image": image, "region map": regions, "ventricle map": volumes})
    assert [p.path for p in problems] == [str(regions), str(volumes)]
    assert problems[0].problem.startswith("region map: origin") and str(prediction) in problems[0].problem
    assert problems[1].problem == "ventricle map: 4-D image with 3 volumes (shape (4, 4, 2, 3)); expected a 3-D image"
