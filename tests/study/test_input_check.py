"""The study reads every file its configurations will convert once, before the first step: a damaged T1 stops it
at once (dry run too), not at the flair_t1 conversion hours later; a subject a configuration leaves out is not
judged by it."""

from __future__ import annotations

import pytest

from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.study.input_check import check_study_inputs


def _conversions(*modes: str) -> list[ConvertOptions]:
    return [ConvertOptions(mode=mode, dataset_id=500 + k) for k, mode in enumerate(modes)]


def test_every_image_any_configuration_takes_and_the_training_lesion_maps_are_checked(small_cohort):
    assert check_study_inputs(small_cohort, _conversions("flair"), jobs=1, progress=False) == 11
    t1 = sorted(small_cohort.glob("training/*/*/pre/T1.nii.gz"))[0]
    t1.write_bytes(t1.read_bytes()[:200])
    check_study_inputs(small_cohort, _conversions("flair"), jobs=1, progress=False)  # no configuration reads it
    with pytest.raises(InvalidInputsError, match=r"T1\.nii\.gz: cannot be read as NIfTI") as raised:
        check_study_inputs(small_cohort, _conversions("flair", "flair_t1"), jobs=1, progress=False)
    assert "the study was not started" in str(raised.value)
    lesion = sorted(small_cohort.glob("training/*/*/wmh.nii.gz"))[-1]
    lesion.write_bytes(b"not a nifti")
    with pytest.raises(InvalidInputsError) as raised:
        check_study_inputs(small_cohort, _conversions("flair", "flair_t1"), jobs=2, progress=False)
    assert sorted(p.path.rsplit("/", 1)[-1] for p in raised.value.problems) == ["T1.nii.gz", "wmh.nii.gz"]


def test_a_subject_without_t1_is_left_out_of_flair_t1_not_reported(small_cohort):
    next(iter(sorted(small_cohort.glob("training/*/*/pre/T1.nii.gz")))).unlink()
    assert check_study_inputs(small_cohort, _conversions("flair_t1"), jobs=1, progress=False) == 10
    assert check_study_inputs(small_cohort, _conversions("flair", "flair_t1"), jobs=1, progress=False) == 11
