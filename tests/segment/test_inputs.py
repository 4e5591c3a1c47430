"""The subjects of a segment run: a cohort, or one subject's files; the model must serve at least one."""

from __future__ import annotations

import pytest

from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import InvalidInputsError, SourceLayoutError, UsageError
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.inputs import (
    cohort_subjects,
    input_subjects,
    require_served,
    unused_inputs,
    unused_inputs_warning,
    with_model_modalities,
)
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


def test_images_the_model_does_not_take_are_named_and_refused_only_when_given_with_strict(tmp_path):
    for name in ("F", "T1", "T2"):
        (tmp_path / f"{name}.nii.gz").touch()  # not read: only what the model takes is
    files = SubjectFiles(tmp_path / "F.nii.gz", tmp_path / "T1.nii.gz", others={"t2": tmp_path / "T2.nii.gz"})
    (route,) = route_subjects([files.subject()], FLAIR_ONLY)
    assert route.unused == ("t1", "t2")
    assert unused_inputs_warning([route], files, strict=False) == (
        "the model takes FLAIR; the T1 and T2 images given were not used (`strict` refuses them)"
    )
    with pytest.raises(UsageError, match="the T1 and T2 images given would not be used") as raised:
        unused_inputs_warning([route], files, strict=True)
    assert raised.value.parameter == "strict"


def test_a_cohorts_unused_images_are_counted_per_modality_and_never_refused(small_cohort_template):
    routes = route_subjects(input_subjects(small_cohort_template, layout=None), FLAIR_ONLY)
    assert {name: len(keys) for name, keys in unused_inputs(routes).items()} == {"T1": 11}
    warning = unused_inputs_warning(routes, small_cohort_template, strict=True)
    assert warning.startswith("the model takes FLAIR; images it does not use were left out: T1 of 11 subject(s) (")
