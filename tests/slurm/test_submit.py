"""Submission: scripts for the jobs not done, sbatch in dependency order, the record, resubmission."""

import json

import pytest

from nnunet_wmh.errors import UsageError
from nnunet_wmh.slurm import submit as submit_module
from nnunet_wmh.slurm.client import SlurmError
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.scripts import TASK_ID, JobSpec
from nnunet_wmh.slurm.submit import check_not_running, read_submission, submit_jobs
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.slurm import submit_study
from tests.helpers.fake_slurm import FakeSlurm


def _jobs() -> list[JobSpec]:
    part = JobSpec("run.part", "the parts", [("part", ["nnunet_wmh", "segment", "--part-id", TASK_ID])], gpu=True,
                   array=[0, 1, 2], done=[["parts/part-{task}-of-3/part.json"]])  # fmt: skip
    merge = JobSpec("run.merge", "the merge", [("merge", ["nnunet_wmh", "report-merge", "/out"])], after=["run.part"],
                    after_any=True)  # fmt: skip
    tables = JobSpec("run.tables", "the tables", [("t", ["true"])], after=["run.merge"], done=[["tables.tsv"]])
    return [part, merge, tables]


def _submit(tmp_path, **options):
    return submit_jobs(tmp_path, "segment", ["nnunet_wmh", "segment"], _jobs(), SlurmOptions(**options), {"A": "1"},
                       what="a run")  # fmt: skip


def test_jobs_are_submitted_in_order_each_after_the_jobs_it_waits_for(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    submission = _submit(tmp_path, partition="cpu", gpu_partition="gpu")
    assert [j.job_id for j in submission.jobs] == ["101", "102", "103"]
    calls = fake.calls("sbatch")
    assert calls[0] == ["--parsable", str(tmp_path / "slurm/run.part.sbatch")]
    assert calls[1] == ["--parsable", "--dependency=afterany:101", str(tmp_path / "slurm/run.merge.sbatch")]
    assert calls[2][1:3] == ["--dependency=afterok:102", "--kill-on-invalid-dep=yes"]
    part = (tmp_path / "slurm/run.part.sbatch").read_text()
    assert "#SBATCH --array=0-2" in part and "#SBATCH --partition=gpu" in part
    assert "#SBATCH --partition=cpu" in (tmp_path / "slurm/run.merge.sbatch").read_text()
    assert (tmp_path / "slurm/logs").is_dir() and (tmp_path / "slurm/exit").is_dir()
    record = json.loads((tmp_path / "slurm/submission.json").read_text())
    assert [j["name"] for j in record["jobs"]] == ["run.part", "run.merge", "run.tables"]
    assert read_submission(tmp_path).jobs[0].submitted_tasks == [0, 1, 2]


def test_submit_sh_repeats_the_submissions_with_their_dependencies(tmp_path, monkeypatch):
    FakeSlurm(tmp_path / "fake", monkeypatch)
    _submit(tmp_path)
    text = (tmp_path / "slurm/submit.sh").read_text()
    assert f"run_part=$(sbatch --parsable {tmp_path}/slurm/run.part.sbatch | cut -d';' -f1)" in text
    assert "run_merge=$(sbatch --parsable --dependency=afterany:$run_part " in text
    assert "run_tables=$(sbatch --parsable --dependency=afterok:$run_merge --kill-on-invalid-dep=yes " in text


def test_done_tasks_and_jobs_are_not_submitted_again_and_their_ids_are_kept(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    first = _submit(tmp_path)
    for task in (0, 2):
        (tmp_path / f"parts/part-{task}-of-3").mkdir(parents=True)
        (tmp_path / f"parts/part-{task}-of-3/part.json").write_text("{}")
    (tmp_path / "tables.tsv").write_text("")
    second = submit_jobs(tmp_path, "segment", ["x"], _jobs(), SlurmOptions(), {}, what="a run", previous=first)
    part, merge, tables = second.jobs
    assert (part.job_id, part.submitted_tasks, part.earlier) == ("104", [1], {"0": "101", "2": "101"})
    assert "#SBATCH --array=1\n" in (tmp_path / "slurm/run.part.sbatch").read_text()
    assert merge.job_id == "105" and fake.calls("sbatch")[-1][1] == "--dependency=afterany:104"
    assert (tables.job_id, tables.script, tables.earlier) == (None, "", {"none": "103"})
    assert "run_tables" not in (tmp_path / "slurm/submit.sh").read_text()


def test_without_submitting_the_scripts_are_written_and_nothing_is_sent(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    submission = _submit(tmp_path, submit=False)
    assert fake.calls() == [] and not submission.submitted
    assert all(j.job_id is None and j.script for j in submission.jobs)


def test_a_refused_job_keeps_the_record_of_those_submitted_before_it(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    fake.refuse("run.merge")
    with pytest.raises(SlurmError, match="Invalid partition"):
        _submit(tmp_path)
    record = read_submission(tmp_path)
    assert [j.job_id for j in record.jobs] == ["101"]


def test_a_run_with_jobs_still_queued_is_refused_naming_them(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    _submit(tmp_path)
    fake.answer("squeue", "101_2|RUNNING|None\n103|PENDING|Dependency\n999|RUNNING|None\n")
    with pytest.raises(SlurmError, match=r"jobs 101, 103 of the last submission .* \(scancel 101 103\)"):
        check_not_running(tmp_path)
    fake.answer("squeue", "999|RUNNING|None\n")
    assert check_not_running(tmp_path).jobs[0].job_id == "101"


def test_job_names_and_dependencies_are_checked(tmp_path, monkeypatch):
    FakeSlurm(tmp_path / "fake", monkeypatch)
    bad = [JobSpec("a b", "t", [("s", ["true"])])]
    with pytest.raises(UsageError, match="job name 'a b'"):
        submit_jobs(tmp_path, "study", [], bad, SlurmOptions(), {}, what="w")
    waits = [JobSpec("a", "t", [("s", ["true"])], after=["later"]), JobSpec("later", "t", [("s", ["true"])])]
    with pytest.raises(UsageError, match="waits for later, not listed before it"):
        submit_jobs(tmp_path, "study", [], waits, SlurmOptions(), {}, what="w")


def test_a_damaged_record_is_named(tmp_path):
    (tmp_path / "slurm").mkdir()
    (tmp_path / "slurm/submission.json").write_text("{")
    with pytest.raises(UsageError, match="not a readable SLURM submission record"):
        read_submission(tmp_path)
    assert read_submission(tmp_path / "none") is None


def _tree(folder):
    """Every file under ``folder`` with its bytes (and every folder, as None)."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in sorted(folder.rglob("*"))}


def test_without_sbatch_nothing_is_written_and_the_message_names_the_switch(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(UsageError, match=r"sbatch not found on PATH; .* \(`submit` off\)") as raised:
        _submit(tmp_path)
    assert raised.value.parameter == "submit"  # shown as --no-submit by the command line
    assert not (tmp_path / "slurm").exists()


def test_sbatch_refusing_the_first_job_leaves_no_slurm_folder(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    fake.refuse("run.part")
    with pytest.raises(SlurmError, match=r"Invalid partition.*; nothing was submitted \(`submit` off writes"):
        _submit(tmp_path)
    assert not (tmp_path / "slurm").exists() and read_submission(tmp_path) is None


def test_sbatch_refusing_the_first_job_of_a_resubmission_leaves_the_last_submission_as_it_was(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    first = _submit(tmp_path)
    (tmp_path / "slurm/logs/run.part_101_0.out").write_text("part 0 ran\n")
    before = _tree(tmp_path / "slurm")
    fake.refuse("run.part")
    with pytest.raises(SlurmError, match="nothing was submitted"):
        submit_jobs(tmp_path, "segment", ["other"], _jobs()[:2], SlurmOptions(partition="x"), {}, what="w",
                    previous=first)  # fmt: skip
    assert _tree(tmp_path / "slurm") == before
    assert read_submission(tmp_path).job_ids == ["101", "102", "103"]


def test_a_later_refusal_names_the_jobs_queued_before_it_and_keeps_their_scripts(tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    fake.refuse("run.merge")
    with pytest.raises(SlurmError) as raised:
        _submit(tmp_path)
    assert str(raised.value).endswith(
        f"; submitted before it, still queued: run.part (job 101); recorded in {tmp_path / 'slurm/submission.json'} "
        f"(nnunet_wmh jobs {tmp_path}; scancel 101 cancels them)"
    )
    assert "run_part=$(sbatch" in (tmp_path / "slurm/submit.sh").read_text()
    assert (tmp_path / "slurm/run.part.sbatch").is_file() and (tmp_path / "slurm/logs").is_dir()


def _failing_sbatch(folder, *, succeeding: int) -> None:
    """An sbatch (a shell script) that queues ``succeeding`` jobs (ids 501, 502, ...), then refuses every other."""
    folder.mkdir()
    script = folder / "sbatch"
    script.write_text(
        "#!/bin/sh\n"
        f'count=$(cat "{folder}/count" 2>/dev/null || echo 0)\n'
        f'if [ "$count" -ge {succeeding} ]; then echo "sbatch: error: QOSMaxSubmitJobPerUserLimit" >&2; exit 1; fi\n'
        f'echo $((count + 1)) > "{folder}/count"\n'
        'echo "$((501 + count));cluster"\n'
    )
    script.chmod(0o755)


def test_a_shell_sbatch_that_queues_one_job_then_fails_leaves_that_job_recorded(tmp_path, monkeypatch):
    _failing_sbatch(tmp_path / "bin", succeeding=1)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    with pytest.raises(SlurmError, match=r"QOSMaxSubmitJobPerUserLimit; submitted before it, still queued: run.part"):
        _submit(tmp_path / "run")
    record = json.loads((tmp_path / "run/slurm/submission.json").read_text())
    assert [(job["name"], job["job_id"]) for job in record["jobs"]] == [("run.part", "501")]
    assert read_submission(tmp_path / "run").job_ids == ["501"]


def test_an_interruption_between_two_submissions_keeps_the_queued_job_recorded(tmp_path, monkeypatch, caplog):
    FakeSlurm(tmp_path / "fake", monkeypatch)
    real_sbatch, calls = submit_module.sbatch, []

    def interrupted_second_time(script, **kwargs):
        calls.append(script)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real_sbatch(script, **kwargs)

    monkeypatch.setattr(submit_module, "sbatch", interrupted_second_time)
    with pytest.raises(KeyboardInterrupt):
        _submit(tmp_path)
    assert read_submission(tmp_path).job_ids == ["101"]
    assert "stopped while submitting; still queued: run.part (job 101); recorded in" in caplog.text


def test_an_interruption_before_any_job_is_queued_leaves_no_slurm_folder(tmp_path, monkeypatch):
    FakeSlurm(tmp_path / "fake", monkeypatch)

    def interrupted(script, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(submit_module, "sbatch", interrupted)
    with pytest.raises(KeyboardInterrupt):
        _submit(tmp_path)
    assert not (tmp_path / "slurm").exists()


def test_a_study_whose_first_job_sbatch_refuses_leaves_no_study_folder_and_a_resubmission_as_it_was(
    small_cohort_template, tmp_path, monkeypatch
):
    """(study --slurm: here beside the submission rules it relies on.)"""
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    out, options = tmp_path / "study", StudyOptions(configs=("flair",))
    fake.refuse("study.flair.prepare")
    with pytest.raises(SlurmError, match="nothing was submitted"):
        submit_study(small_cohort_template, out, options, SlurmOptions(), device="cpu")
    assert not out.exists()
    (fake.folder / "sbatch_refuses.txt").unlink()
    submit_study(small_cohort_template, out, options, SlurmOptions(), device="cpu")
    before = _tree(out)
    fake.refuse("study.flair.prepare")
    with pytest.raises(SlurmError, match="nothing was submitted"):
        submit_study(small_cohort_template, out, options, SlurmOptions(partition="other"), device="cpu", jobs=3)
    assert _tree(out) == before
