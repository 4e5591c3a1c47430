"""BIDS datasets: sessions, sites from participants.tsv, derivatives, ambiguous files."""

import shutil

from nnunet_wmh.cohorts import read_source
from nnunet_wmh.cohorts.bids import looks_like_bids, read_bids
from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.errors import InvalidInputsError


def test_bids_reads_sessions_sites_and_derivatives(bids_cohort_template):
    contents = read_source(bids_cohort_template)
    assert [s.key for s in contents.train][:3] == ["sub-001/ses-01", "sub-001/ses-02", "sub-002/ses-01"]
    first = contents.train[0]
    assert (first.subject, first.session, first.site, first.group) == ("sub-001", "ses-01", "Utrecht", "sub-001")
    assert first.flair.name == "sub-001_ses-01_FLAIR.nii.gz" and first.t1.name == "sub-001_ses-01_T1w.nii.gz"
    assert first.lesion.name == "sub-001_ses-01_space-FLAIR_desc-wmh_mask.nii.gz"
    assert first.regions.name == "sub-001_ses-01_space-FLAIR_desc-regions_dseg.nii.gz"
    assert contents.region_table.name == "desc-regions_dseg.tsv"


def test_bids_two_matching_files_is_a_problem_naming_both(bids_cohort_template, tmp_path):
    root = tmp_path / "bids"
    shutil.copytree(bids_cohort_template, root)
    anat = root / "sub-001/ses-01/anat"
    shutil.copy(anat / "sub-001_ses-01_FLAIR.nii.gz", anat / "sub-001_ses-01_run-2_FLAIR.nii.gz")
    contents = read_source(root)
    (problem,) = contents.problems
    assert problem.subject == "sub-001/ses-01"
    assert "run-2_FLAIR" in str(problem) and "2 FLAIR files" in str(problem)
    assert contents.train[0].ambiguous == ("flair",) and contents.train[0].flair is None


def test_an_ambiguous_file_is_one_problem_not_two(bids_cohort_template, tmp_path):
    root = tmp_path / "bids"
    shutil.copytree(bids_cohort_template, root)
    anat = root / "sub-002/ses-02/anat"
    shutil.copy(anat / "sub-002_ses-02_T1w.nii.gz", anat / "sub-002_ses-02_acq-mprage_T1w.nii.gz")
    try:
        convert_dataset(root, mode="flair_t1", dataset_id=44, out=tmp_path / "raw", progress=False)
    except InvalidInputsError as exc:
        assert [p.subject for p in exc.problems] == ["sub-002/ses-02"]
        assert "2 T1w files match" in str(exc.problems[0])
    else:
        raise AssertionError("an ambiguous T1 was converted")


def test_a_bids_root_is_told_by_its_description_or_subject_folders(tmp_path):
    assert not looks_like_bids(tmp_path)
    (tmp_path / "sub-01").mkdir()
    assert looks_like_bids(tmp_path)
    contents = read_bids(tmp_path)
    (subject,) = contents.train
    assert (subject.key, subject.flair, subject.site) == ("sub-01", None, "")
    assert subject.where("flair") == "sub-01/anat/sub-01_*FLAIR.nii.gz"
