"""Resumable steps: done steps are skipped, changed ones refused or redone, unfinished ones cleaned."""

import json

import pytest

from nnunet_wmh.study.steps import Step, StudyConflictError, run_steps, study_ledger


def _chain(tmp_path, calls, *, option="a"):
    def record(name):
        def run():
            calls.append(name)
            (tmp_path / f"{name}.out").write_text(name)

        return run

    first = Step("c/first", "first", {"option": option}, [], [["echo", "1"]], record("first"), [tmp_path / "first.out"])
    second = Step("c/second", "second", {}, [first], [], record("second"), [tmp_path / "second.out"])
    return [first, second]


def test_a_rerun_skips_finished_steps(tmp_path):
    calls = []
    status = run_steps(_chain(tmp_path, calls), study_ledger(tmp_path))
    assert status == {"c/first": "ran", "c/second": "ran"} and calls == ["first", "second"]
    status = run_steps(_chain(tmp_path, calls), study_ledger(tmp_path))
    assert status == {"c/first": "done earlier", "c/second": "done earlier"} and calls == ["first", "second"]
    record = json.loads((tmp_path / "steps" / "c__first.json").read_text())
    assert record["options"] == {"option": "a"} and record["seconds"] >= 0


def test_a_changed_option_is_refused_naming_the_step_and_all_after_it(tmp_path):
    calls = []
    run_steps(_chain(tmp_path, calls), study_ledger(tmp_path))
    with pytest.raises(StudyConflictError, match=r"finished step\(s\) c/first, c/second") as raised:
        run_steps(_chain(tmp_path, calls, option="b"), study_ledger(tmp_path))
    assert raised.value.keys == ["c/first", "c/second"] and calls == ["first", "second"]  # nothing ran


def test_overwrite_redoes_the_changed_step_and_everything_after_it(tmp_path):
    calls = []
    run_steps(_chain(tmp_path, calls), study_ledger(tmp_path))
    status = run_steps(_chain(tmp_path, calls, option="b"), study_ledger(tmp_path), overwrite=True)
    assert status == {"c/first": "ran", "c/second": "ran"} and calls == ["first", "second", "first", "second"]


def test_a_step_killed_midway_is_redone_from_clean_outputs(tmp_path):
    calls = []
    steps = _chain(tmp_path, calls)
    run_steps(steps[:1], study_ledger(tmp_path))
    (tmp_path / "second.out").write_text("partial")  # the kill left a partial output and no record

    def check_clean():
        assert not (tmp_path / "second.out").exists()
        calls.append("second")

    steps[1].run = check_clean
    assert run_steps(steps, study_ledger(tmp_path))["c/second"] == "ran"


def test_a_resuming_step_keeps_its_outputs(tmp_path):
    kept = tmp_path / "checkpoint"
    kept.write_text("epoch 3")
    step = Step("c/train", "train", {}, outputs=[kept], resumes=True, run=lambda: None)
    run_steps([step], study_ledger(tmp_path))
    assert kept.read_text() == "epoch 3"


def test_a_failing_step_is_not_recorded(tmp_path):
    def fail():
        raise RuntimeError("boom")

    step = Step("c/x", "x", {}, run=fail)
    with pytest.raises(RuntimeError):
        run_steps([step], study_ledger(tmp_path))
    assert study_ledger(tmp_path).record("c/x") is None
