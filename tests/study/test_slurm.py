"""study --slurm without a scheduler (sbatch stand-in): the job command, the jobs and their dependencies,
resubmission, and the step mode each job runs. The real scheduler: tests/end_to_end/test_study.py."""

from __future__ import annotations

import shlex
import shutil
from pathlib import Path

import pytest

from nnunet_wmh.cli.flags import run_options
from nnunet_wmh.cli.main import build_parsers
from nnunet_wmh.cli.study import study_options
from nnunet_wmh.errors import InvalidInputsError, UsageError
from nnunet_wmh.runs.options import RunOptions
from nnunet_wmh.slurm.client import SlurmError
from nnunet_wmh.slurm.options import SlurmOptions
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.run import finish_study, plan_study, run_study, run_study_steps
from nnunet_wmh.study.slurm import study_command, submit_study
from nnunet_wmh.study.steps import StudyConflictError, study_ledger
from tests.helpers.fake_slurm import FakeSlurm


def _parse(argv):
    parser, _ = build_parsers()
    return parser.parse_args(argv[argv.index("study") :])


def test_the_job_command_gives_back_the_same_options_through_the_cli(tmp_path):
    options = StudyOptions(
        configs=("flair", "multitask_separate"), profile="cpu", configuration="3d_fullres", folds=(0, 2), cv_folds=3,
        dataset_id_base=700, test_source=str(tmp_path / "test"), layout="wmh2017", test_layout="bids",
        atlas_image=str(tmp_path / "a.nii.gz"), atlas_labels=str(tmp_path / "l.nii.gz"),
        region_table=str(tmp_path / "r.tsv"), trainers=("flair=MyTrainer", "stock"),
        trainer_paths=(str(tmp_path / "t1"), str(tmp_path / "t2")), seed=3, deterministic=True,
    )  # fmt: skip
    run = RunOptions(device="cuda", jobs=6)
    args = _parse(study_command(tmp_path / "cohort", tmp_path / "study", options, run))
    parsed = study_options(args)
    assert parsed == options
    assert run_options(args) == RunOptions(device="cuda", jobs=6, progress=True)
    assert (args.source, args.out) == (str(tmp_path / "cohort"), str(tmp_path / "study"))
    defaults = study_command(tmp_path / "cohort", tmp_path / "study", StudyOptions(), RunOptions())
    assert defaults[defaults.index("study") :] == ["study", str(tmp_path / "cohort"), "--out", str(tmp_path / "study")]


@pytest.fixture
def submitted(small_cohort_template, tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    template = small_cohort_template / "template"
    options = StudyOptions(configs=("flair", "multitask_separate", "separate_models"), folds=(0, 1),
                           atlas_image=str(template / "template_T1w.nii.gz"),
                           atlas_labels=str(template / "template_regions.nii.gz"),
                           region_table=str(template / "regions.tsv"))  # fmt: skip
    out = tmp_path / "study"
    slurm = SlurmOptions(partition="cpu", gpu_partition="gpu", gres="gpu:1")
    submission = submit_study(small_cohort_template, out, options, slurm, device="cpu")
    return small_cohort_template, out, options, slurm, submission, fake


def test_prepare_then_one_training_job_per_fold_then_predict_then_tables(submitted):
    _, out, _, _, submission, fake = submitted
    jobs = {job.name: job for job in submission.jobs}
    assert list(jobs) == [
        "study.regions", "study.flair.prepare", "study.flair.train_fold0", "study.flair.train_fold1",
        "study.flair.predict", "study.multitask_separate.prepare", "study.multitask_separate.train_fold0",
        "study.multitask_separate.train_fold1", "study.multitask_separate.predict", "study.tables",
    ]  # fmt: skip
    assert jobs["study.regions"].after == [] and jobs["study.multitask_separate.prepare"].after == []
    assert jobs["study.flair.train_fold1"].after == ["study.flair.prepare"]
    assert jobs["study.flair.predict"].after == ["study.flair.train_fold0", "study.flair.train_fold1"]
    assert jobs["study.tables"].after == [name for name in jobs if name != "study.tables"]
    assert [j.gpu for j in jobs.values()] == [".train_fold" in n or n.endswith(".predict") for n in jobs]
    ids = {name: job.job_id for name, job in jobs.items()}
    calls = {call[-1].rsplit("/", 1)[-1]: call for call in fake.calls("sbatch")}
    assert calls["study.flair.predict.sbatch"][1] == f"--dependency=afterok:{ids['study.flair.train_fold0']}:" \
        f"{ids['study.flair.train_fold1']}"  # fmt: skip
    train = (out / "slurm/study.flair.train_fold1.sbatch").read_text()
    assert "#SBATCH --partition=gpu" in train and "#SBATCH --gres=gpu:1" in train
    assert f"export nnUNet_results={out}/nnUNet_results" in train and "export nnUNet_extTrainer=" in train
    command = shlex.split(train.splitlines()[-1])
    assert command[command.index("--only-steps") + 1] == "flair/train_fold1"
    assert "# flair: nnUNetv2_train fold 1 (nnUNetTrainer_wmhQuick, cpu) (step flair/train_fold1)" in train
    prepare = (out / "slurm/study.flair.prepare.sbatch").read_text()
    assert "#SBATCH --partition=cpu" in prepare and "--gres" not in prepare
    assert "--only-steps flair/convert,flair/plan -q" in prepare
    assert "--tables-only" in (out / "slurm/study.tables.sbatch").read_text()
    assert (out / "commands.sh").is_file()


def test_the_regions_job_comes_first_for_a_multitask_configuration_without_source_regions(
    small_cohort_template, tmp_path, monkeypatch
):
    FakeSlurm(tmp_path / "fake", monkeypatch)
    cohort = tmp_path / "cohort"
    shutil.copytree(small_cohort_template, cohort)
    for regions in cohort.rglob("*regions*.nii.gz"):
        if "template" not in regions.parts:
            regions.unlink()
    template = cohort / "template"
    options = StudyOptions(configs=("multitask_separate",),
                           atlas_image=str(template / "template_T1w.nii.gz"),
                           atlas_labels=str(template / "template_regions.nii.gz"),
                           region_table=str(template / "regions.tsv"))  # fmt: skip
    submission = submit_study(cohort, tmp_path / "study", options, SlurmOptions())
    assert submission.jobs[0].name == "study.regions"
    assert submission.jobs[1].after == ["study.regions"]


def test_submitting_again_sends_only_the_jobs_with_unfinished_steps(submitted):
    source, out, options, slurm, first, fake = submitted
    ledger = study_ledger(out)
    finished = ("regions", "flair/convert", "flair/plan", "flair/train_fold0")
    for step in plan_study(source, out, options, RunOptions()).steps:
        if step.key in finished:
            ledger.finish(step.key, step.digest, seconds=1.0)
    second = submit_study(source, out, options, slurm)
    jobs = {job.name: job for job in second.jobs}
    not_sent = [name for name, job in jobs.items() if job.job_id is None]
    assert not_sent == ["study.regions", "study.flair.prepare", "study.flair.train_fold0"]
    assert jobs["study.flair.train_fold0"].earlier == {"none": first.jobs[2].job_id}
    predict = next(c for c in fake.calls("sbatch")[len(first.jobs) :] if c[-1].endswith("study.flair.predict.sbatch"))
    assert predict[1] == f"--dependency=afterok:{jobs['study.flair.train_fold1'].job_id}"  # the fold not done
    train = next(c for c in fake.calls("sbatch")[len(first.jobs) :] if c[-1].endswith("flair.train_fold1.sbatch"))
    assert train[1] == str(out / "slurm/study.flair.train_fold1.sbatch")  # its prepare job is done: no dependency


def test_changed_options_are_refused_unless_overwrite_which_forgets_those_steps(submitted):
    source, out, options, slurm, _, _ = submitted
    for step in plan_study(source, out, options, RunOptions()).steps[:2]:
        study_ledger(out).finish(step.key, step.digest, seconds=1.0)
    changed = StudyOptions(**{**options.__dict__, "seed": 99})
    with pytest.raises(StudyConflictError):
        submit_study(source, out, changed, slurm)
    submit_study(source, out, changed, slurm, overwrite=True)
    assert study_ledger(out).record("flair/convert") is None


def test_a_job_runs_only_its_steps_and_only_after_the_steps_it_waits_for(submitted):
    source, out, options, _, _, _ = submitted
    with pytest.raises(UsageError, match="wait for step\\(s\\) not finished: flair/plan"):
        run_study_steps(source, out, options, ["flair/train_fold0"])
    with pytest.raises(UsageError, match="not steps of this study"):
        run_study_steps(source, out, options, ["flair/train_fold7"])
    with pytest.raises(UsageError, match=r"step\(s\) not finished: regions, flair/convert, .* and 7 more"):
        finish_study(source, out, options)
    with pytest.raises(UsageError, match="not a study folder"):
        run_study_steps(source, Path(out).parent / "elsewhere", options, ["flair/convert"])


def test_a_local_run_is_refused_while_the_studys_jobs_are_queued(submitted):
    source, out, options, slurm, first, fake = submitted
    fake.answer("squeue", f"{first.jobs[3].job_id}|PENDING|Dependency\n")
    with pytest.raises(SlurmError, match=f"jobs {first.jobs[3].job_id} of the last submission are still queued"):
        run_study(source, out, options, dry_run=True)
    with pytest.raises(SlurmError, match="still queued"):
        submit_study(source, out, options, slurm)
    fake.answer("squeue", "")
    assert run_study(source, out, options, dry_run=True).commands == out / "commands.sh"


def test_a_damaged_image_stops_the_submission_not_the_job_that_converts_it(small_cohort, tmp_path, monkeypatch):
    fake = FakeSlurm(tmp_path / "fake", monkeypatch)
    t1 = sorted(small_cohort.glob("training/*/*/pre/T1.nii.gz"))[0]
    t1.write_bytes(t1.read_bytes()[:300])
    with pytest.raises(InvalidInputsError, match=r"the study was not started:\n.*T1\.nii\.gz"):
        submit_study(small_cohort, tmp_path / "study", StudyOptions(configs=("flair", "flair_t1")), SlurmOptions())
    assert not (tmp_path / "study").exists() and not fake.calls("sbatch")
