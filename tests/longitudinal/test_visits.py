"""The visits of a segment output: joined to the cohort's FLAIR, ordered by acquisition time (or session label),
and the cohort found where it moved."""

from __future__ import annotations

import json
import shutil
from datetime import datetime

import pytest

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.longitudinal.visits import read_visits, years_between
from nnunet_wmh.tsv import write_tsv


def test_visits_are_joined_to_the_cohorts_flair_and_ordered_by_acquisition_time(segmented):
    cohort, segment = segmented
    write_tsv(cohort / "sub-001/sub-001_sessions.tsv", [{"session_id": "ses-01", "acq_time": "2021-06-01T09:00:00"},
              {"session_id": "ses-02", "acq_time": "2020-06-01T09:00:00"}], ["session_id", "acq_time"])  # fmt: skip
    visits = read_visits(segment)
    assert list(visits) == ["sub-001", "sub-002", "sub-003"]
    first, second = visits["sub-001"]
    assert (first.session, second.session) == ("ses-02", "ses-01")  # the earlier acquisition is the baseline
    assert first.flair == cohort / "sub-001/ses-02/anat/sub-001_ses-02_FLAIR.nii.gz"
    assert first.acquired == datetime(2020, 6, 1, 9) and years_between(first, second) == pytest.approx(365 / 365.25)
    assert first.regions is not None and first.mask.is_file()


def test_without_acquisition_times_sessions_go_by_their_labels(segmented):
    cohort, segment = segmented
    for sessions in cohort.glob("sub-*/sub-*_sessions.tsv"):
        sessions.unlink()
    first, second = read_visits(segment)["sub-002"]
    assert (first.session, second.session, first.acquired) == ("ses-01", "ses-02", None)
    assert years_between(first, second) is None


def test_a_moved_cohort_is_named_and_can_be_given(segmented, tmp_path):
    cohort, segment = segmented
    moved = shutil.move(cohort, tmp_path / "moved")
    with pytest.raises(UsageError, match="the cohort segment read is not there; give it as `source`"):
        read_visits(segment)
    assert read_visits(segment, source=moved)["sub-003"][0].flair.is_relative_to(moved)


def test_an_acquisition_time_that_is_no_date_names_the_file(segmented):
    cohort, segment = segmented
    write_tsv(cohort / "sub-001/sub-001_sessions.tsv", [{"session_id": "ses-01", "acq_time": "last spring"}],
              ["session_id", "acq_time"])  # fmt: skip
    with pytest.raises(InputDataError, match=r"sub-001_sessions\.tsv: acq_time 'last spring' is not an ISO 8601"):
        read_visits(segment)


def test_a_segment_run_of_one_subjects_files_is_no_cohort(segmented):
    _, segment = segmented
    record = json.loads((segment / "report.json").read_text())
    record["inputs"]["source"] = None  # as segment --flair F --t1 T records it
    (segment / "report.json").write_text(json.dumps(record))
    with pytest.raises(UsageError, match="segment read one subject's files, not a cohort with sessions"):
        read_visits(segment)
