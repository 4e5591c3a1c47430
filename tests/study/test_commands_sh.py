"""commands.sh runs on its own: it skips the steps recorded as finished and records those it finishes, in the
same records ``nnunet_wmh study`` reads."""

import subprocess

from nnunet_wmh.study.commands_sh import write_commands
from nnunet_wmh.study.steps import Step, study_ledger


def _bash(script, cwd):
    return subprocess.run(
        ["bash", str(script)], cwd=cwd, capture_output=True, text=True, timeout=60, env={"PATH": "/usr/bin:/bin"}
    )


def test_the_script_records_each_step_skips_finished_ones_and_ends_with_the_tables(tmp_path):
    first = Step("flair/convert", "flair: convert", {"a": 1}, commands=[["touch", "converted"]])
    train = Step("flair/train_fold0", "flair: train", {"b": 2}, [first], [["sh", "-c", 'echo "$@" >> trained', "x"]],
                 resumes=True)  # fmt: skip
    script = write_commands(tmp_path / "commands.sh", [first, train], {"MY_VAR": "a b"}, tables=["touch", "tables"])
    completed = _bash(script, tmp_path)
    assert completed.returncode == 0, completed.stderr
    ledger = study_ledger(tmp_path)
    assert ledger.is_done("flair/convert", first.digest) and ledger.is_done("flair/train_fold0", train.digest)
    assert ledger.record("flair/convert")["by"] == "commands.sh" and ledger.seconds("flair/convert") >= 0
    assert (tmp_path / "trained").read_text() == "--c\n"  # training is always continued
    assert (tmp_path / "converted").is_file() and (tmp_path / "tables").is_file()
    (tmp_path / "converted").unlink()
    assert _bash(script, tmp_path).returncode == 0
    assert not (tmp_path / "converted").exists()  # finished: skipped
    assert (tmp_path / "trained").read_text() == "--c\n"


def test_a_step_recorded_with_other_options_runs_again_and_a_failure_stops_the_script(tmp_path):
    step = Step("flair/convert", "flair: convert", {"a": 1}, commands=[["touch", "converted"]])
    study_ledger(tmp_path).finish("flair/convert", "another digest", seconds=1.0)
    failing = Step("flair/plan", "flair: plan", {}, [step], [["false"]])
    script = write_commands(tmp_path / "commands.sh", [step, failing], {}, tables=["touch", "tables"])
    completed = _bash(script, tmp_path)
    assert completed.returncode != 0 and (tmp_path / "converted").is_file() and not (tmp_path / "tables").exists()
    assert study_ledger(tmp_path).is_done("flair/convert", step.digest)
    assert study_ledger(tmp_path).record("flair/plan") is None
