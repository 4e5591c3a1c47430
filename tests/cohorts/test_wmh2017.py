"""The WMH 2017 challenge tree: nested and oddly named sites, pre/ or orig/, missing images."""

import numpy as np

from nnunet_wmh.cohorts import read_source
from nnunet_wmh.cohorts.wmh2017 import find_subject_folders, looks_like_wmh2017, read_wmh2017
from tests.helpers.images import make_wmh2017_subject, save


def test_wmh2017_reads_nested_and_oddly_named_sites(small_cohort_template):
    contents = read_source(small_cohort_template)
    assert [s.key for s in contents.train] == [
        "Amsterdam/GE3T/2",
        "Amsterdam/GE3T/5",
        "Singapore/1",
        "Singapore/4",
        "Utrecht/0",
        "Utrecht/3",
    ]
    philips = next(s for s in contents.test if s.site == "Amsterdam/Philips_VU .PETMR_01.")
    assert philips.flair.name == "FLAIR.nii.gz" and philips.flair.parent.name == "pre"
    assert philips.lesion.name == "wmh.nii.gz" and philips.regions.name == "regions.nii.gz"
    assert contents.region_table == small_cohort_template / "regions.tsv"


def test_wmh2017_missing_modality_is_none_and_orig_folder_selectable(tmp_path):
    make_wmh2017_subject(tmp_path, "Utrecht", "0", with_t1=False)
    folder = make_wmh2017_subject(tmp_path, "Utrecht", "2")
    (folder / "orig").mkdir()
    (folder / "pre" / "FLAIR.nii.gz").rename(folder / "orig" / "FLAIR.nii.gz")
    pre = read_source(tmp_path, images="pre").train
    assert pre[0].t1 is None and pre[0].flair is not None
    orig = read_source(tmp_path, images="orig").train
    assert orig[1].flair == folder / "orig" / "FLAIR.nii.gz" and orig[1].t1 is None


def test_a_single_split_folder_is_read_as_training_subjects(tmp_path):
    make_wmh2017_subject(tmp_path / "training", "Utrecht", "10")
    make_wmh2017_subject(tmp_path / "training", "Utrecht", "9")
    assert looks_like_wmh2017(tmp_path) and looks_like_wmh2017(tmp_path / "training")
    assert [f.name for f in find_subject_folders(tmp_path / "training")] == ["9", "10"]  # natural order
    contents = read_wmh2017(tmp_path / "training")
    assert [s.key for s in contents.train] == ["Utrecht/9", "Utrecht/10"] and contents.test == []


def test_two_files_for_one_image_are_a_problem_and_neither_is_taken(tmp_path):
    folder = make_wmh2017_subject(tmp_path / "training", "Utrecht", "0")
    save(np.zeros((10, 10, 4), np.float32), folder / "pre" / "FLAIR.nii")
    contents = read_wmh2017(tmp_path)
    (problem,) = contents.problems
    assert str(problem) == "[Utrecht/0] pre/FLAIR.nii.gz: two files for one image (FLAIR.nii.gz, FLAIR.nii); keep one"
    assert contents.train[0].flair is None and contents.train[0].ambiguous == ("flair",)
