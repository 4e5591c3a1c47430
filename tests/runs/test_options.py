"""The run options every long command shares, and the one way a command takes its options."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import RunOptions, check_threshold, check_trainer_paths, resolve_options


@dataclass(frozen=True)
class ToyOptions:
    size: int
    colour: str = "red"


def test_keywords_go_to_the_options_that_have_them():
    options, run = resolve_options(ToyOptions, None, None, {"size": 3, "jobs": 4, "overwrite": True})
    assert options == ToyOptions(3) and run == RunOptions(jobs=4, overwrite=True)


def test_keywords_are_applied_on_top_of_the_objects_given():
    given = ToyOptions(1, "blue"), RunOptions(jobs=2)
    options, run = resolve_options(ToyOptions, *given, {"size": 5, "progress": False})
    assert options == ToyOptions(5, "blue") and run == RunOptions(jobs=2, progress=False)


def test_an_unknown_keyword_is_a_usage_error_naming_it_and_the_valid_ones():
    with pytest.raises(UsageError, match=r"unknown option\(s\) `sise`; valid: colour, device, jobs") as raised:
        resolve_options(ToyOptions, None, None, {"size": 1, "sise": 2})
    assert raised.value.parameter == "sise"


def test_a_required_field_left_out_is_named():
    with pytest.raises(UsageError, match=r"`size` is required \(ToyOptions\)"):
        resolve_options(ToyOptions, None, None, {"colour": "green"})


def test_options_of_another_kind_are_refused():
    with pytest.raises(UsageError, match="expected ToyOptions, got RunOptions"):
        resolve_options(ToyOptions, RunOptions(), None, {})


@pytest.mark.parametrize(
    ("run", "kwargs", "parameter"),
    [
        (RunOptions(jobs=0), {}, "jobs"),
        (RunOptions(jobs=True), {}, "jobs"),
        (RunOptions(num_parts=0), {"parts": True}, "num_parts"),
        (RunOptions(part_id=2, num_parts=2), {"parts": True}, "part_id"),
        (RunOptions(device="tpu"), {"device": True}, "device"),
        (RunOptions(part_id=1, num_parts=2), {}, "num_parts"),  # a command that does not run in parts
        (RunOptions(device="cuda"), {}, "device"),  # a command that runs no model
    ],
)
def test_run_options_out_of_range_or_not_taken_are_usage_errors(run, kwargs, parameter):
    with pytest.raises(UsageError) as raised:
        run.check(**kwargs)
    assert raised.value.parameter == parameter


def test_the_shared_defaults_and_a_probability_threshold():
    assert RunOptions().check(parts=True, device=True) == RunOptions(1, False, True, 0, 1, "auto")
    assert RunOptions(num_parts=3).single is False
    check_threshold(0.5)
    with pytest.raises(UsageError, match="`threshold` must be between 0 and 1"):
        check_threshold(1.0)


def test_trainer_paths_must_be_folders_and_every_missing_one_is_named(tmp_path):
    """study and segment hand them to nnU-Net as nnUNet_extTrainer, where a wrong path only shows as an unknown
    trainer at the training step, hours later."""
    (tmp_path / "trainers").mkdir()
    (tmp_path / "file.py").write_text("")
    check_trainer_paths([str(tmp_path / "trainers")])
    with pytest.raises(UsageError, match=r"`trainer_paths` /nonexistent, .*file.py: no such folder"):
        check_trainer_paths(["/nonexistent", str(tmp_path / "trainers"), str(tmp_path / "file.py")])


def test_study_and_segment_options_check_their_trainer_paths():
    from nnunet_wmh.segment.options import SegmentOptions
    from nnunet_wmh.study.options import StudyOptions

    with pytest.raises(UsageError, match="`trainer_paths` /nonexistent"):
        StudyOptions(trainer_paths=("/nonexistent",)).check()
    with pytest.raises(UsageError, match="`trainer_paths` /nonexistent"):
        SegmentOptions(trainer_paths=("/nonexistent",)).check()
