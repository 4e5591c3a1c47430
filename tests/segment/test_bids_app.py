"""The BIDS-App levels: which participants, which part each gets, what ``group`` refuses (the segmentation itself
is replaced by a recorder here; ``tests/end_to_end/test_segment.py`` runs the app for real)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from nnunet_wmh.errors import InvalidInputsError, UsageError
from nnunet_wmh.report.finish import ReportResult
from nnunet_wmh.segment import bids_app
from nnunet_wmh.segment.bids_app import chosen_participants, run_group_level, run_participant_level
from nnunet_wmh.synthetic import make_synthetic_cohort


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("app") / "bids"
    make_synthetic_cohort(root, subjects=3, sessions=2, layout="bids", size="small", progress=False)
    return root


def test_labels_are_taken_with_or_without_sub_and_unknown_ones_are_all_named():
    participants = ["sub-001", "sub-002", "sub-003"]
    assert chosen_participants(participants, None) == participants
    assert chosen_participants(participants, ["003", "sub-001", "003"]) == ["sub-003", "sub-001"]
    with pytest.raises(UsageError, match=r"sub-9, sub-01: not in the dataset \(it has sub-001, sub-002, sub-003\)"):
        chosen_participants(participants, ["9", "01"])


def test_each_participant_is_its_own_part_and_one_failure_does_not_stop_the_others(dataset, tmp_path, monkeypatch):
    calls = []

    def recorder(source, model, out, options, run):
        calls.append((options.part_by, options.layout, run.part_id, run.num_parts))
        if run.part_id == 0:
            raise InvalidInputsError([bids_app.InputDataError("sub-001", "F.nii.gz", "truncated")])
        return ReportResult(Path(out), [f"sub-00{run.part_id + 1}"], False, {})

    monkeypatch.setattr(bids_app, "segment_cohort", recorder)
    with pytest.raises(InvalidInputsError) as raised:
        run_participant_level(dataset, tmp_path / "out", "model", participant_labels=["003", "001"])
    assert calls == [("participant", "bids", 2, 3), ("participant", "bids", 0, 3)]
    assert "sub-001" in str(raised.value) and "sub-003" in str(raised.value)  # failed one, and the one written


def test_the_participant_level_makes_its_own_parts(dataset, tmp_path):
    with pytest.raises(UsageError, match="one part per participant"):
        run_participant_level(dataset, tmp_path / "out", "model", num_parts=2)


def test_group_names_the_participants_without_output_and_joins_nothing(dataset, tmp_path):
    out = tmp_path / "out"
    (out / "parts" / "part-1-of-3").mkdir(parents=True)
    with pytest.raises(InvalidInputsError) as raised:
        run_group_level(dataset, out)
    message = str(raised.value)
    assert "sub-001" in message and "sub-003" in message and "sub-002" not in message
    assert "nothing was joined" in message


def test_group_without_participant_output_says_what_to_run_first(dataset, tmp_path):
    with pytest.raises(UsageError, match="run the participant level first"):
        run_group_level(dataset, tmp_path / "empty")


def test_participant_labels_that_clash_once_cleaned_are_refused_naming_both(dataset, tmp_path):
    clashing = tmp_path / "bids"
    shutil.copytree(dataset, clashing)
    for path in sorted((clashing / "sub-001").rglob("*"), reverse=True):  # deepest first
        path.rename(path.with_name(path.name.replace("sub-001", "sub-0_01")))
    (clashing / "sub-001").rename(clashing / "sub-0_01")
    shutil.copytree(dataset / "sub-001", clashing / "sub-001")
    with pytest.raises(InvalidInputsError, match=r"subject ids 'sub-0*_*01' and 'sub-0_*01' .* both become sub-001"):
        bids_app.bids_participants(clashing)
