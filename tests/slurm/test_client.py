"""SLURM's commands: job ids from sbatch, states from squeue, sacct and scontrol (as they print them)."""

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm.client import SlurmError, TaskState, finished, parse_states, queued, sbatch
from tests.helpers.fake_slurm import FakeSlurm


def test_squeue_lines_with_pending_arrays_are_expanded_to_tasks():
    text = "12_[0-2,5%2]|PENDING|Dependency\n13_4|RUNNING|None\n14|PENDING|Resources\nbad line\n"
    assert parse_states(text) == [
        TaskState("12", 0, "PENDING", "Dependency"), TaskState("12", 1, "PENDING", "Dependency"),
        TaskState("12", 2, "PENDING", "Dependency"), TaskState("12", 5, "PENDING", "Dependency"),
        TaskState("13", 4, "RUNNING", "None"), TaskState("14", None, "PENDING", "Resources"),
    ]  # fmt: skip


def test_sacct_states_keep_the_state_word_and_the_exit_code():
    assert parse_states("20_1|CANCELLED by 0|0:15\n21|TIMEOUT|0:0\n") == [
        TaskState("20", 1, "CANCELLED", "0:15"), TaskState("21", None, "TIMEOUT", "0:0")]  # fmt: skip


def test_sbatch_chains_dependencies_and_returns_the_job_id(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path, monkeypatch)
    assert sbatch("/s/a.sbatch") == "101"
    assert sbatch("/s/b.sbatch", after=["101", "7"]) == "102"
    assert sbatch("/s/c.sbatch", after=["102"], after_any=True) == "103"
    assert fake.calls("sbatch") == [
        ["--parsable", "/s/a.sbatch"],
        ["--parsable", "--dependency=afterok:101:7", "--kill-on-invalid-dep=yes", "/s/b.sbatch"],
        ["--parsable", "--dependency=afterany:102", "/s/c.sbatch"],
    ]


def test_a_refused_submission_says_what_sbatch_said(tmp_path, monkeypatch):
    FakeSlurm(tmp_path, monkeypatch).refuse("merge")
    with pytest.raises(SlurmError, match="Invalid partition name"):
        sbatch("/s/merge.sbatch")


def test_without_slurm_on_path_the_error_says_to_submit_from_a_login_node(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(UsageError, match="sbatch not found on PATH"):
        sbatch("/s/a.sbatch")


def test_queued_keeps_only_the_runs_jobs(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path, monkeypatch)
    fake.answer("squeue", "5_0|RUNNING|None\n6|PENDING|Priority\n")
    assert queued(["5"]) == [TaskState("5", 0, "RUNNING", "None")]
    assert queued([]) == []


def test_finished_uses_sacct_and_without_accounting_scontrol(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path, monkeypatch)
    fake.answer("scontrol", "JobId=9 ArrayJobId=8 ArrayTaskId=1 JobName=x JobState=FAILED ExitCode=1:0\n", "8")
    assert finished(["8"]) == [TaskState("8", 1, "FAILED", "1:0")]
    fake.answer("sacct", "8_1|OUT_OF_MEMORY|0:125\n")
    assert finished(["8"]) == [TaskState("8", 1, "OUT_OF_MEMORY", "0:125")]
    assert finished(["404"]) == [TaskState("8", 1, "OUT_OF_MEMORY", "0:125")]  # sacct answers for what it knows
