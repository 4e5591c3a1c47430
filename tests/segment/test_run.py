"""segment's run: inputs, image checks and refusals before anything is written (the run itself: end to end)."""

from __future__ import annotations

import numpy as np
import pytest

from nnunet_wmh.errors import InvalidInputsError, SourceLayoutError, UsageError
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.routes import route_subjects
from nnunet_wmh.segment.run import _checked_routes, cohort_subjects, segment_cohort, single_subject
from tests.helpers.images import save
from tests.helpers.models import write_model_folder

ROUTE = ModelRoute("interchangeable", (), 2, "duplicate", "lesion", 1, "nnunet_wmh")


def test_one_subject_from_its_files(tmp_path):
    save(np.ones((4, 4, 2), np.float32), tmp_path / "FLAIR.nii.gz")
    subject = single_subject(tmp_path / "FLAIR.nii.gz", None, "42")
    assert (subject.key, subject.flair, subject.t1) == ("42", tmp_path / "FLAIR.nii.gz", None)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(UsageError, match=r"`t1` .*T1.nii.gz: no such file"):
        single_subject(None, tmp_path / "T1.nii.gz", "01")


def test_no_input_at_all_is_a_usage_error():
    with pytest.raises(UsageError, match="give a cohort `source`"):
        single_subject(None, None, "01")


def test_a_cohort_the_model_can_serve_no_subject_of_is_refused_naming_each(tmp_path):
    (tmp_path / "bids" / "sub-01" / "anat").mkdir(parents=True)
    block = {"inputs": "flair", "channels": 1, "encoding": "lesion"}
    model = write_model_folder(tmp_path, {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
                                     "nnunet_wmh": block})  # fmt: skip
    with pytest.raises(InvalidInputsError, match="the model can serve no subject") as raised:
        segment_cohort(tmp_path / "bids", model, tmp_path / "out", options=SegmentOptions(layout="bids"))
    assert raised.value.problems[0].subject == "sub-01"
    assert "no FLAIR image" in raised.value.problems[0].problem
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_no_cohort_is_refused(tmp_path):
    with pytest.raises(SourceLayoutError, match="cannot tell the layout"):
        cohort_subjects(tmp_path, layout=None)


def test_an_image_with_nan_stops_the_run_naming_subject_and_file(tmp_path):
    flair = np.ones((4, 4, 2), np.float32)
    flair[0, 0, 0] = np.nan
    save(flair, tmp_path / "FLAIR.nii.gz")
    routes = route_subjects([single_subject(tmp_path / "FLAIR.nii.gz", None, "09")], ROUTE)
    with pytest.raises(InvalidInputsError) as raised:
        _checked_routes(routes, skip_invalid=False, jobs=1, progress=False)
    problem = raised.value.problems[0]
    assert problem.subject == "09" and problem.path.endswith("FLAIR.nii.gz") and "NaN" in problem.problem


def test_with_skip_invalid_the_subject_is_listed_and_the_others_go_on(tmp_path):
    good, bad = np.ones((4, 4, 2), np.float32), np.full((4, 4, 2), np.inf, np.float32)
    save(good, tmp_path / "a" / "FLAIR.nii.gz")
    save(bad, tmp_path / "b" / "FLAIR.nii.gz")
    subjects = [single_subject(tmp_path / x / "FLAIR.nii.gz", None, x) for x in "ab"]
    served, skipped = _checked_routes(route_subjects(subjects, ROUTE), skip_invalid=True, jobs=1, progress=False)
    assert [r.case for r in served] == ["a"]
    assert [(row["subject"], "NaN or infinite" in row["reason"]) for row in skipped] == [("b", True)]


def test_a_cohort_and_single_files_together_are_refused(tmp_path, small_cohort):
    save(np.ones((4, 4, 2), np.float32), tmp_path / "FLAIR.nii.gz")
    with pytest.raises(UsageError, match="not both"):
        segment_cohort(small_cohort, tmp_path, tmp_path / "out", flair=tmp_path / "FLAIR.nii.gz")
    assert not (tmp_path / "out").exists()


def test_one_subject_takes_other_contrasts_as_images(tmp_path):
    from nnunet_wmh.segment.run import single_subject

    for name in ("f.nii.gz", "t2.nii.gz"):
        (tmp_path / name).write_bytes(b"x")
    subject = single_subject(tmp_path / "f.nii.gz", None, "07", {"t2": tmp_path / "t2.nii.gz"})
    assert subject.modalities() == ("flair", "t2") and subject.key == "07" and subject.split == "test"
    only_t2 = single_subject(None, None, "07", {"t2": str(tmp_path / "t2.nii.gz")})
    assert only_t2.reference_image == tmp_path / "t2.nii.gz"
    with pytest.raises(UsageError, match=r"`images` .*missing\.nii\.gz: no such file"):
        single_subject(None, None, "07", {"pd": tmp_path / "missing.nii.gz"})
    with pytest.raises(UsageError, match="unknown `images` dwi"):
        single_subject(None, None, "07", {"dwi": tmp_path / "t2.nii.gz"})
