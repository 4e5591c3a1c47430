"""What a reader returns, and the small helpers readers share."""

from nnunet_wmh.cohorts.contents import SourceContents, natural_key, nifti_files


def test_natural_order_puts_2_before_10():
    assert sorted(["10", "2", "sub-10", "sub-2"], key=natural_key) == ["2", "10", "sub-2", "sub-10"]


def test_nifti_files_lists_both_endings_that_exist(tmp_path):
    (tmp_path / "FLAIR.nii.gz").write_bytes(b"")
    assert nifti_files(tmp_path, "FLAIR") == [tmp_path / "FLAIR.nii.gz"]
    (tmp_path / "FLAIR.nii").write_bytes(b"")
    assert nifti_files(tmp_path, "FLAIR") == [tmp_path / "FLAIR.nii.gz", tmp_path / "FLAIR.nii"]
    assert nifti_files(tmp_path, "T1") == []


def test_empty_contents_have_no_subjects_and_no_problems(tmp_path):
    contents = SourceContents(layout="bids", root=tmp_path)
    assert (contents.train, contents.test, contents.problems, contents.region_table) == ([], [], [], None)
