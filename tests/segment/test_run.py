"""segment's run: inputs, image checks and refusals before anything is written (the run itself: end to end)."""

from __future__ import annotations

import tempfile

import numpy as np
import pytest

from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.routes import route_subjects
from nnunet_wmh.segment.run import _checked_routes, segment_cohort
from tests.helpers.images import save
from tests.helpers.models import write_model_folder

ROUTE = ModelRoute("interchangeable", (), 2, "duplicate", "lesion", 1, "nnunet_wmh")


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


def test_an_image_with_nan_stops_the_run_naming_subject_and_file(tmp_path):
    flair = np.ones((4, 4, 2), np.float32)
    flair[0, 0, 0] = np.nan
    save(flair, tmp_path / "FLAIR.nii.gz")
    routes = route_subjects([SubjectFiles(tmp_path / "FLAIR.nii.gz", subject_id="09").subject()], ROUTE)
    with pytest.raises(InvalidInputsError) as raised:
        _checked_routes(routes, skip_invalid=False, jobs=1, progress=False)
    problem = raised.value.problems[0]
    assert problem.subject == "09" and problem.path.endswith("FLAIR.nii.gz") and "NaN" in problem.problem


def test_with_skip_invalid_the_subject_is_listed_and_the_others_go_on(tmp_path):
    good, bad = np.ones((4, 4, 2), np.float32), np.full((4, 4, 2), np.inf, np.float32)
    save(good, tmp_path / "a" / "FLAIR.nii.gz")
    save(bad, tmp_path / "b" / "FLAIR.nii.gz")
    subjects = [SubjectFiles(tmp_path / x / "FLAIR.nii.gz", subject_id=x).subject() for x in "ab"]
    served, skipped = _checked_routes(route_subjects(subjects, ROUTE), skip_invalid=True, jobs=1, progress=False)
    assert [r.case for r in served] == ["a"]
    assert [(row["subject"], "NaN or infinite" in row["reason"]) for row in skipped] == [("b", True)]


def test_a_run_that_could_segment_no_subject_is_an_error_and_writes_nothing(tmp_path):
    """--skip-invalid with every subject unreadable: no mask at all is an error (exit 1), not an empty report."""
    for x in "ab":
        save(np.full((4, 4, 2), np.nan, np.float32), tmp_path / x / "FLAIR.nii.gz")
    manifest = tmp_path / "manifest.tsv"
    manifest.write_text("subject\tflair\n" + "".join(f"{x}\t{tmp_path / x / 'FLAIR.nii.gz'}\n" for x in "ab"))
    block = {"inputs": "flair", "channels": 1, "encoding": "lesion"}
    model = write_model_folder(tmp_path, {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
                                     "nnunet_wmh": block})  # fmt: skip
    with pytest.raises(InvalidInputsError, match="no subject could be segmented; nothing was written") as raised:
        segment_cohort(manifest, model, tmp_path / "out", skip_invalid=True, device="cpu")
    assert sorted(p.subject for p in raised.value.problems) == ["a", "b"]
    assert all("NaN" in p.problem for p in raised.value.problems)
    assert not (tmp_path / "out").exists()


class _Route:
    """What a part's choice of cases reads of a route: its case and its participant."""

    def __init__(self, case: str) -> None:
        self.case = case

    def info(self):
        from types import SimpleNamespace

        return SimpleNamespace(participant_id=self.case.split("_")[0])


def test_parts_by_participant_keep_every_session_of_a_participant_together():
    from nnunet_wmh.errors import UsageError
    from nnunet_wmh.runs.options import RunOptions
    from nnunet_wmh.segment.run import _cases_of_part

    routes = [_Route(case) for case in ("sub-02_ses-01", "sub-01_ses-01", "sub-02_ses-02", "sub-01_ses-02")]
    assert _cases_of_part(routes, "participant", RunOptions(part_id=1, num_parts=2)) == {
        "sub-02_ses-01",
        "sub-02_ses-02",
    }
    assert _cases_of_part(routes, "case", RunOptions(part_id=1, num_parts=2)) == {"sub-01_ses-02", "sub-02_ses-02"}
    with pytest.raises(UsageError, match="must be the number of participants, 2"):
        _cases_of_part(routes, "participant", RunOptions(part_id=0, num_parts=3))


class _NoModel:
    """A model runner that loads nothing (the subjects never reach prediction)."""

    def __init__(self, *args, **kwargs) -> None:
        pass


def test_an_interruption_in_the_subject_loop_removes_the_scratch_and_work_folders(small_cohort, tmp_path, monkeypatch):
    """Ctrl-C (or SIGTERM, which the command line turns into the same interruption) while a subject is prepared."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    seen = []

    def interrupted(route, folder, regions):
        seen.extend(p.name for p in scratch.iterdir())
        raise KeyboardInterrupt

    monkeypatch.setattr("nnunet_wmh.segment.run.prepare_subject", interrupted)
    monkeypatch.setattr("nnunet_wmh.segment.run.ModelRunner", _NoModel)
    monkeypatch.setattr("nnunet_wmh.segment.run._region_source", lambda *args: None)
    block = {"inputs": "flair", "channels": 1, "encoding": "lesion"}
    model = write_model_folder(tmp_path, {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
                                     "nnunet_wmh": block})  # fmt: skip
    with pytest.raises(KeyboardInterrupt):
        segment_cohort(small_cohort, model, tmp_path / "out", device="cpu", progress=False)
    assert len(seen) == 1 and seen[0].startswith("nnunet_wmh_segment_")  # the scratch folder, while it ran
    assert list(scratch.iterdir()) == []
    assert not (tmp_path / "out").exists() and not (tmp_path / "out.partial").exists()
