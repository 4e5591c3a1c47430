"""segment --slurm without a scheduler (sbatch stand-in): the job command, the array and merge, resubmission,
and the output rules. The real scheduler: tests/end_to_end/test_segment.py."""

from __future__ import annotations

import shlex

import pytest

from nnunet_wmh.cli.flags import run_options
from nnunet_wmh.cli.main import EXIT_USAGE, build_parsers, main
from nnunet_wmh.cli.segment import segment_options, segment_source
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import OutputExistsError, UsageError
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.slurm import segment_command, submit_segment
from nnunet_wmh.slurm.client import SlurmError
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.slurm.submit import read_submission
from tests.helpers.fake_slurm import FakeSlurm
from tests.helpers.models import write_model_folder

MODEL_JSON = {"channel_names": {"0": "FLAIR"}, "labels": {"background": 0, "wmh": 1},
              "nnunet_wmh": {"inputs": "flair", "channels": 1, "encoding": "lesion"}}  # fmt: skip


def _parse(argv: list[str]):
    parser, _ = build_parsers()
    return parser.parse_args(argv[argv.index("segment") :])


def test_the_job_command_gives_back_the_same_options_through_the_cli(tmp_path):
    options = SegmentOptions(
        folds=("0", "2"), checkpoint="checkpoint_best.pth", mirroring=False, atlas_image="a.nii.gz",
        atlas_labels="l.nii.gz", region_table="r.tsv", transform="affine+bspline", layout="bids", skip_invalid=True,
        trainer_paths=("mytrainers",), connectivity=6, min_lesion_mm3=2.5, pictures=False, part_by="participant",
    )  # fmt: skip
    argv = segment_command("cohort", "model", "out", options, RunOptions(jobs=3, device="cuda"))
    args = _parse(argv)
    parsed = segment_options(args)
    absolute = SegmentOptions(**{**options.__dict__, "atlas_image": str(tmp_path.cwd() / "a.nii.gz"),
                                 "atlas_labels": str(tmp_path.cwd() / "l.nii.gz"),
                                 "region_table": str(tmp_path.cwd() / "r.tsv"),
                                 "trainer_paths": (str(tmp_path.cwd() / "mytrainers"),)})  # fmt: skip
    assert parsed == absolute
    assert run_options(args) == RunOptions(jobs=3, device="cuda")
    assert args.source == str(tmp_path.cwd() / "cohort")
    assert (args.model, args.out) == (str(tmp_path.cwd() / "model"), str(tmp_path.cwd() / "out"))


def test_defaults_are_left_out_and_one_subject_is_given_by_its_files(tmp_path):
    files = SubjectFiles(flair=tmp_path / "F.nii.gz", others={"t2": tmp_path / "T2.nii.gz"}, subject_id="07")
    argv = segment_command(files, tmp_path / "m", tmp_path / "o", SegmentOptions(), RunOptions())
    expected = [f"--flair={tmp_path / 'F.nii.gz'}", f"--t2={tmp_path / 'T2.nii.gz'}", "--subject-id", "07",
                "--model", str(tmp_path / "m"), "--out", str(tmp_path / "o")]  # fmt: skip
    assert argv[argv.index("segment") + 1 :] == expected
    assert segment_source(_parse(argv)) == SubjectFiles(str(tmp_path / "F.nii.gz"), None,
                                                        {"t2": str(tmp_path / "T2.nii.gz")}, "07")  # fmt: skip


@pytest.fixture
def cohort(small_cohort, tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    return small_cohort, write_model_folder(tmp_path / "models", MODEL_JSON), fake


def test_an_array_over_the_parts_then_a_merge_that_runs_whatever_the_parts_did(cohort, tmp_path, monkeypatch):
    source, model, fake = cohort
    monkeypatch.setenv("nnUNet_extTrainer", "/my/trainers")
    out = tmp_path / "out"
    submission = submit_segment(source, model, out, SlurmOptions(gpu_partition="gpu", gres="gpu:1"),
                                num_parts=3, jobs=2)  # fmt: skip
    part, merge = submission.jobs
    assert (part.name, part.job_id, part.array, merge.job_id) == ("segment.part", "101", [0, 1, 2], "102")
    assert fake.calls("sbatch")[1][1] == "--dependency=afterany:101"
    script = (out / "slurm/segment.part.sbatch").read_text()
    assert "#SBATCH --array=0-2" in script and "#SBATCH --gres=gpu:1" in script and "--cpus-per-task=2" in script
    command = shlex.split(script.splitlines()[-1])
    assert command[command.index("--part-id") + 1] == "$SLURM_ARRAY_TASK_ID"
    assert command[command.index("--num-parts") + 1] == "3" and command[command.index("--jobs") + 1] == "2"
    exported = next(line for line in script.splitlines() if line.startswith("export nnUNet_extTrainer="))
    assert exported.endswith(":/my/trainers")  # the submitting shell's folders are searched too
    merge_script = (out / "slurm/segment.merge.sbatch").read_text()
    assert f"report-merge {out} -q" in merge_script and "--gres" not in merge_script


def test_submitting_again_sends_only_the_parts_not_done_and_the_merge(cohort, tmp_path):
    source, model, fake = cohort
    out = tmp_path / "out"
    submit_segment(source, model, out, SlurmOptions(), num_parts=3)
    (out / "parts/part-1-of-3").mkdir(parents=True)
    (out / "parts/part-1-of-3/part.json").write_text("{}")
    second = submit_segment(source, model, out, SlurmOptions(), num_parts=3)
    assert second.jobs[0].submitted_tasks == [0, 2] and second.jobs[0].earlier == {"1": "101"}
    assert "#SBATCH --array=0,2" in (out / "slurm/segment.part.sbatch").read_text()
    fake.answer("squeue", "103_0|RUNNING|None\n")
    with pytest.raises(Exception, match="still queued or running"):
        submit_segment(source, model, out, SlurmOptions(), num_parts=3)


def test_a_finished_report_or_another_runs_files_are_refused_unless_overwrite(cohort, tmp_path):
    source, model, _ = cohort
    out = tmp_path / "out"
    out.mkdir()
    (out / "report.json").write_text("{}")
    with pytest.raises(OutputExistsError):
        submit_segment(source, model, out, SlurmOptions(), num_parts=2)
    submission = submit_segment(source, model, out, SlurmOptions(), num_parts=2, overwrite=True)
    assert submission.jobs[0].submitted_tasks == [0, 1]
    assert "--overwrite" in (out / "slurm/segment.part.sbatch").read_text().splitlines()[-1]
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError, match="another run's files"):
        submit_segment(source, model, other, SlurmOptions(), num_parts=2)
    submit_segment(source, model, tmp_path / "first", SlurmOptions(), num_parts=2)
    (tmp_path / "first/parts/part-0-of-2").mkdir(parents=True)
    with pytest.raises(OutputExistsError, match="another run's files"):  # other options: another run
        submit_segment(source, model, tmp_path / "first", SlurmOptions(), num_parts=2, jobs=2)


def test_more_parts_than_cases_and_bad_slurm_values_are_refused_before_anything_is_written(cohort, tmp_path):
    source, model, fake = cohort
    with pytest.raises(UsageError, match=r"`num_parts` must be 1..\d+"):
        submit_segment(source, model, tmp_path / "o", SlurmOptions(), num_parts=500)
    with pytest.raises(UsageError, match=r"`num_parts` must be \d+ \(the participants of the cohort\), got 1"):
        submit_segment(source, model, tmp_path / "o", SlurmOptions(), num_parts=1, part_by="participant")
    with pytest.raises(UsageError, match="`mem`"):
        submit_segment(source, model, tmp_path / "o", SlurmOptions(mem="lots"), num_parts=2)
    assert not (tmp_path / "o").exists() and fake.calls() == []


def test_one_part_is_one_job_that_writes_the_report_itself(cohort, tmp_path):
    source, model, fake = cohort
    submission = submit_segment(source, model, tmp_path / "out", SlurmOptions(), num_parts=1)
    assert [job.name for job in submission.jobs] == ["segment.part"] and len(fake.calls("sbatch")) == 1
    assert submission.jobs[0].done == [["report.json"]]


def test_without_sbatch_the_command_names_no_submit_and_writes_nothing(cohort, tmp_path, monkeypatch, capsys):
    source, model, _ = cohort
    (tmp_path / "bin").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    out = tmp_path / "out"
    argv = ["segment", str(source), "--model", str(model), "--out", str(out), "--slurm", "--num-parts", "2"]
    assert main(argv) == EXIT_USAGE
    assert capsys.readouterr().err == (
        "nnunet_wmh: usage error: sbatch not found on PATH; submit from a machine with SLURM (a login node), or write "
        "the scripts only (--no-submit)\n"
    )
    assert not out.exists()


def test_sbatch_refusing_the_first_job_leaves_no_output_folder(cohort, tmp_path):
    source, model, fake = cohort
    fake.refuse("segment.part")
    with pytest.raises(SlurmError, match=r"Invalid partition.*; nothing was submitted"):
        submit_segment(source, model, tmp_path / "out", SlurmOptions(), num_parts=2)
    assert not (tmp_path / "out").exists()


def test_sbatch_refusing_a_resubmission_leaves_the_last_submission_as_it_was(cohort, tmp_path):
    source, model, fake = cohort
    submit_segment(source, model, tmp_path / "out", SlurmOptions(), num_parts=2)
    before = {p: p.read_bytes() if p.is_file() else None for p in sorted((tmp_path / "out").rglob("*"))}
    fake.refuse("segment.part")
    with pytest.raises(SlurmError, match="nothing was submitted"):
        submit_segment(source, model, tmp_path / "out", SlurmOptions(partition="other"), num_parts=2)
    assert {p: p.read_bytes() if p.is_file() else None for p in sorted((tmp_path / "out").rglob("*"))} == before


def test_sbatch_refusing_the_merge_leaves_the_queued_parts_recorded(cohort, tmp_path):
    source, model, fake = cohort
    fake.refuse("segment.merge")
    with pytest.raises(SlurmError, match=r"submitted before it, still queued: segment.part \(job 101\)"):
        submit_segment(source, model, tmp_path / "out", SlurmOptions(), num_parts=2)
    assert [(job.name, job.job_id) for job in read_submission(tmp_path / "out").jobs] == [("segment.part", "101")]
