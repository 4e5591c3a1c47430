"""The same subject in training and test, found by its images: an error, whatever the ids."""

import shutil

import pytest

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.leakage import shared_subjects
from nnunet_wmh.dataset_conversion.validation import SubjectReport
from nnunet_wmh.errors import InvalidInputsError


def test_a_test_image_equal_to_a_training_image_is_named_with_both_subjects(tmp_path):
    train = Subject("1", None, "", tmp_path, "Utrecht/1", "Utrecht/1", flair=tmp_path / "a.nii.gz")
    test = Subject("7", None, "", tmp_path, "test/Utrecht/7", "Utrecht/7", flair=tmp_path / "b.nii.gz", split="test")
    other = Subject("8", None, "", tmp_path, "test/Utrecht/8", "Utrecht/8", flair=tmp_path / "c.nii.gz", split="test")
    reports = [
        SubjectReport(train, image_digests={"FLAIR": "abc"}),
        SubjectReport(test, image_digests={"FLAIR": "abc"}),
        SubjectReport(other, image_digests={"FLAIR": "def"}),
    ]
    (problem,) = shared_subjects(reports)
    assert str(problem) == (
        "[test/Utrecht/7] b.nii.gz: the same FLAIR image as training subject Utrecht/1 (FLAIR): a subject must "
        "not be in both training and test"
    )


def test_a_test_source_that_is_the_training_source_is_refused(bids_cohort_template, tmp_path):
    with pytest.raises(InvalidInputsError, match="must not be in both training and test") as raised:
        convert_dataset(bids_cohort_template, mode="flair_t1", dataset_id=45, out=tmp_path / "raw",
                        test_source=bids_cohort_template, progress=False)  # fmt: skip
    subjects = [p.subject for p in raised.value.problems]
    assert len(subjects) == 8 and subjects[0] == "test/sub-001/ses-01"  # every test session, once
    assert not (tmp_path / "raw").exists()


def test_a_subject_copied_into_both_splits_is_refused_and_skip_invalid_drops_the_copy(small_cohort, tmp_path):
    shutil.copytree(small_cohort / "training/Utrecht/0", small_cohort / "test/Utrecht/99")
    with pytest.raises(InvalidInputsError, match=r"\[Utrecht/99\] pre/FLAIR.nii.gz: the same FLAIR image as training"):
        convert_dataset(small_cohort, mode="flair", dataset_id=46, out=tmp_path / "raw", progress=False)
    result = convert_dataset(small_cohort, mode="flair", dataset_id=46, out=tmp_path / "raw", skip_invalid=True,
                             progress=False)  # fmt: skip
    assert [p.subject for p in result.skipped] == ["Utrecht/99"] and result.test_subjects == 5
