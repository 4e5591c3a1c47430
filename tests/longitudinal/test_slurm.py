"""change --slurm without a scheduler (sbatch stand-in): the job command gives back the options, an array of parts
and a merge that runs report-merge, and resubmission sends only what is not done."""

from __future__ import annotations

from nnunet_wmh.cli.flags import options_from, run_options
from nnunet_wmh.cli.main import build_parsers, main
from nnunet_wmh.longitudinal.run import ChangeOptions, detect_change
from nnunet_wmh.longitudinal.slurm import MERGE_JOB, PART_JOB, change_command, submit_change
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.slurm.options import SlurmOptions
from tests.helpers.fake_slurm import FakeSlurm


def test_the_job_command_gives_back_the_same_options_through_the_cli(tmp_path):
    options = ChangeOptions(min_change_ml=0.05, min_change_percent=40.0, min_overlap_voxels=3,
                            source=str(tmp_path / "cohort"), pictures=False)  # fmt: skip
    argv = change_command(tmp_path / "seg", tmp_path / "out", options, RunOptions(jobs=3))
    args = build_parsers()[0].parse_args(argv[argv.index("change") :])
    assert options_from(ChangeOptions, args) == options and run_options(args).jobs == 3
    assert change_command("seg", tmp_path / "out", ChangeOptions(), RunOptions())[-3:] == [
        str(tmp_path.cwd() / "seg"), "--out", str(tmp_path / "out")]  # fmt: skip


def test_parts_then_a_merge_and_a_resubmission_sends_only_what_is_not_done(segmented, tmp_path, monkeypatch):
    _, segment = segmented
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    out = tmp_path / "change"
    submission = submit_change(segment, out, SlurmOptions(), num_parts=2)
    assert [job.name for job in submission.jobs] == [PART_JOB, MERGE_JOB]
    assert len(fake.calls("sbatch")) == 2
    part_script = (out / "slurm" / f"{PART_JOB}.sbatch").read_text()
    assert '--part-id "$SLURM_ARRAY_TASK_ID" --num-parts 2' in part_script and "report-merge" in (
        out / "slurm" / f"{MERGE_JOB}.sbatch").read_text()  # fmt: skip
    detect_change(segment, out, part_id=0, num_parts=2, progress=False)  # what task 0 does
    again = submit_change(segment, out, SlurmOptions(), num_parts=2)
    part = next(job for job in again.jobs if job.name == PART_JOB)
    assert part.submitted_tasks == [1]


def test_the_command_line_submits_and_a_slurm_option_without_slurm_is_refused(segmented, tmp_path, monkeypatch,
                                                                               capsys):  # fmt: skip
    _, segment = segmented
    FakeSlurm(tmp_path / "fake", monkeypatch)
    assert main(["change", str(segment), "--out", str(tmp_path / "c"), "--slurm", "--num-parts", "3"]) == 0
    assert "job(s) submitted" in capsys.readouterr().out
    assert main(["change", str(segment), "--out", str(tmp_path / "d"), "--slurm-partition", "cpu"]) == 2
    assert "--slurm-partition needs --slurm" in capsys.readouterr().err
