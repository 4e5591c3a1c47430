"""The subjects of a segment run: a cohort, or one subject's files; the model must serve at least one."""

from __future__ import annotations

import pytest

from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import InvalidInputsError, SourceLayoutError, UsageError
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.inputs import cohort_subjects, input_subjects, require_served, with_model_modalities
from nnunet_wmh.segment.routes import route_subjects

FLAIR_ONLY = ModelRoute("flair", ("flair",), 1, "duplicate", "lesion", 1, "nnunet_wmh")


def test_a_folder_that_is_no_cohort_is_refused(tmp_path):
    with pytest.raises(SourceLayoutError, match="cannot tell the layout"):
        cohort_subjects(tmp_path, layout=None)


def test_no_source_is_a_usage_error_naming_both_ways_to_give_one():
    with pytest.raises(UsageError, match="give a cohort `source`, or one subject's files") as raised:
        input_subjects(None, layout=None)
    assert raised.value.parameter == "source"


def test_a_cohort_gives_every_subject_training_and_test(small_cohort_template):
    subjects = input_subjects(small_cohort_template, layout=None)
    assert len(subjects) == 6 + 5 and {s.split for s in subjects} == {"train", "test"}
    assert with_model_modalities(subjects, small_cohort_template, layout=None, route=FLAIR_ONLY) is subjects


def test_a_model_that_serves_nobody_is_refused_naming_each_subject(tmp_path):
    (tmp_path / "t1.nii.gz").write_bytes(b"x")
    routes = route_subjects(input_subjects(SubjectFiles(t1=tmp_path / "t1.nii.gz", subject_id="09"), layout=None),
                            FLAIR_ONLY)  # fmt: skip
    with pytest.raises(InvalidInputsError, match="nothing was submitted") as raised:
        require_served(routes, consequence="nothing was submitted")
    assert raised.value.problems[0].subject == "09" and "no FLAIR image" in raised.value.problems[0].problem
