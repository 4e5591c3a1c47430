"""``jobs``: each job's state from the files on disk, the exit records, squeue and sacct or scontrol."""

import json

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import JobSpec
from nnunet_wmh.slurm.status import count_states, job_status
from nnunet_wmh.slurm.submit import submit_jobs
from tests.helpers.fake_slurm import FakeSlurm


def _submit(run):
    part = JobSpec("seg.part", "parts", [("p", ["true"])], array=[0, 1, 2, 3],
                   done=[["parts/part-{task}-of-4/part.json"]])  # fmt: skip
    merge = JobSpec("seg.merge", "merge", [("m", ["true"])], after=["seg.part"], after_any=True)
    tables = JobSpec("seg.tables", "tables", [("t", ["true"])], after=["seg.merge"])
    return submit_jobs(run, "segment", ["x"], [part, merge, tables], SlurmOptions(), {}, what="w")


def _states(statuses):
    return {(s.name, s.task): (s.state, s.detail) for s in statuses}


def test_states_from_files_exit_records_and_the_queue(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    run = tmp_path / "run"
    run.mkdir()
    _submit(run)  # part = 101, merge = 102, tables = 103
    (run / "parts/part-0-of-4").mkdir(parents=True)
    (run / "parts/part-0-of-4/part.json").write_text("{}")
    (run / "slurm/exit/seg.part_101_1").write_text("1\n")
    (run / "slurm/logs/seg.part_101_1.out").write_text("nnunet_wmh: error: [sub-1] FLAIR: truncated\n")
    fake.answer("squeue", "101_2|RUNNING|None\n102|PENDING|Dependency\n")
    fake.answer("scontrol", "JobId=107 ArrayJobId=101 ArrayTaskId=3 JobState=CANCELLED Reason=None ExitCode=0:0\n",
                "101")  # fmt: skip
    fake.answer("scontrol", "JobId=103 JobState=CANCELLED Reason=DependencyNeverSatisfied ExitCode=0:0\n", "103")
    statuses = job_status(run)
    assert _states(statuses) == {
        ("seg.part", 0): ("done", ""), ("seg.part", 1): ("failed", "exit 1"), ("seg.part", 2): ("running", ""),
        ("seg.part", 3): ("cancelled", "cancelled"), ("seg.merge", None): ("pending", "Dependency"),
        ("seg.tables", None): ("cancelled", "a job it waits for failed"),
    }  # fmt: skip
    failed = next(s for s in statuses if s.state == "failed")
    assert failed.log == run / "slurm/logs/seg.part_101_1.out" and failed.job_id == "101"
    assert count_states(statuses) == {"done": 1, "running": 1, "pending": 1, "failed": 1, "cancelled": 2}
    (tmp_path / "fake/scontrol_103.txt").unlink()  # SLURM forgot it (MinJobAge) and there is no accounting
    assert _states(job_status(run))[("seg.tables", None)] == ("missing", "not queued and no record of how it ended")


def test_sacct_states_name_timeouts_and_cancelled_dependencies(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    run = tmp_path / "run"
    run.mkdir()
    _submit(run)
    (run / "slurm/exit/seg.merge_102_none").write_text("0\n")
    fake.answer("sacct", "101_0|TIMEOUT|0:0\n101_1|OUT_OF_MEMORY|0:125\n101_2|COMPLETED|0:0\n"
                "103|CANCELLED by 0|0:0\n")  # fmt: skip
    states = _states(job_status(run))
    assert states[("seg.part", 0)] == ("failed", "timeout (exit 0:0)")
    assert states[("seg.part", 1)] == ("failed", "out_of_memory (exit 0:125)")
    assert states[("seg.part", 2)] == ("failed", "exited 0 without writing its outputs")
    assert states[("seg.merge", None)] == ("done", "")  # no files to check: its exit record says 0
    assert states[("seg.tables", None)][0] == "cancelled"


def test_without_querying_only_the_files_count_and_unsubmitted_scripts_are_missing(tmp_path, monkeypatch):
    FakeSlurm(tmp_path / "fake", monkeypatch)
    run = tmp_path / "run"
    run.mkdir()
    part = JobSpec("p", "parts", [("p", ["true"])], array=[0, 1], done=[["done-{task}"]])
    submit_jobs(run, "segment", ["x"], [part], SlurmOptions(submit=False), {}, what="w")
    (run / "done-1").write_text("")
    assert _states(job_status(run, query=False)) == {
        ("p", 0): ("missing", "scripts written, not submitted"), ("p", 1): ("done", "")}  # fmt: skip


def test_a_folder_without_a_submission_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="no SLURM submission"):
        job_status(tmp_path)


def test_a_submission_that_records_no_job_is_a_usage_error_not_a_traceback(tmp_path, capsys):
    """What a submission that failed before sbatch accepted a job leaves (or a file written by hand)."""
    from nnunet_wmh.cli import main

    (tmp_path / "slurm").mkdir()
    record = {"kind": "segment", "fingerprint": [], "jobs": [], "submitted": False, "written": "2026-12-05"}
    (tmp_path / "slurm" / "submission.json").write_text(json.dumps(record))
    with pytest.raises(UsageError, match="records no job"):
        job_status(tmp_path, query=False)
    assert main(["jobs", str(tmp_path), "--no-query"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "records no job" in err[0] and "Traceback" not in err[0]
