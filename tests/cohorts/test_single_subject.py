"""One subject given as files: a one-subject cohort, every file checked and named."""

from __future__ import annotations

import numpy as np
import pytest

from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import UsageError
from tests.helpers.images import save


def test_one_subject_from_its_files(tmp_path):
    save(np.ones((4, 4, 2), np.float32), tmp_path / "FLAIR.nii.gz")
    subject = SubjectFiles(flair=tmp_path / "FLAIR.nii.gz", subject_id="42").subject()
    assert (subject.key, subject.flair, subject.t1) == ("42", tmp_path / "FLAIR.nii.gz", None)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UsageError, match=r"`t1` .*T1.nii.gz: no such file") as raised:
        SubjectFiles(t1=tmp_path / "T1.nii.gz").subject()
    assert raised.value.parameter == "t1"


def test_no_file_at_all_is_a_usage_error():
    with pytest.raises(UsageError, match="give a cohort `source`"):
        SubjectFiles().subject()


def test_other_contrasts_are_images_of_the_subject(tmp_path):
    for name in ("f.nii.gz", "t2.nii.gz"):
        (tmp_path / name).write_bytes(b"x")
    subject = SubjectFiles(tmp_path / "f.nii.gz", None, {"t2": tmp_path / "t2.nii.gz"}, "07").subject()
    assert subject.modalities() == ("flair", "t2") and subject.key == "07" and subject.split == "test"
    only_t2 = SubjectFiles(others={"t2": str(tmp_path / "t2.nii.gz")}, subject_id="07").subject()
    assert only_t2.reference_image == tmp_path / "t2.nii.gz"
    with pytest.raises(UsageError, match=r"`pd` .*missing\.nii\.gz: no such file"):
        SubjectFiles(others={"pd": tmp_path / "missing.nii.gz"}).subject()
    with pytest.raises(UsageError, match="unknown `others` dwi"):
        SubjectFiles(others={"dwi": tmp_path / "t2.nii.gz"}).subject()
