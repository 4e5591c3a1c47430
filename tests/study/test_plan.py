"""The study's steps: what each runs, and how nnU-Net's training is continued after an interruption."""

import sys
from pathlib import Path

from nnunet_wmh.study.configs import CONFIGS
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.options import StudyOptions
from nnunet_wmh.study.plan import StudyPlanner
from nnunet_wmh.study.profiles import PROFILES
from nnunet_wmh.study.steps import conflicting_steps, run_steps, study_ledger
from nnunet_wmh.study.subjects import ConfigSubjects


def _planner(tmp_path, *, source_has_regions=True, **fields):
    options = StudyOptions(**fields)
    layout = StudyLayout(tmp_path / "study", 800)
    planner = StudyPlanner(
        tmp_path / "cohort", options, layout, PROFILES["quick"], "2d", {}, "cpu", 1, {}, source_has_regions
    )
    planner.config_subjects = {name: ConfigSubjects(train=6, test=3) for name in CONFIGS}  # no cohort is read
    return planner


def test_an_nnunet_step_adds_c_only_when_an_earlier_run_left_a_checkpoint(tmp_path):
    planner = _planner(tmp_path)
    seen = tmp_path / "argv.txt"
    script = f"import sys; open({str(seen)!r}, 'a').write(' '.join(sys.argv[1:]) + chr(10))"
    checkpoint = tmp_path / "checkpoint_latest.pth"
    argv = [Path(sys.executable).name, "-c", script, "x"]
    step = planner.nnunet_step("c/train", "train", argv, {}, [], outputs=[checkpoint], started=checkpoint.exists)
    step.run()
    checkpoint.write_text("epoch 4")
    step.run()
    assert seen.read_text().splitlines() == ["x", "x --c"]
    assert step.resumes and step.commands == [argv]
    assert (planner.layout.logs / "c__train.log").read_text().startswith("$ ")


def test_a_configuration_runs_convert_plan_train_per_fold_predict_decode_evaluate(tmp_path):
    planner = _planner(tmp_path, folds=(0, 1))
    planner.config_steps(CONFIGS["multitask_separate"], [])
    assert [s.key for s in planner.steps] == [
        "multitask_separate/convert", "multitask_separate/plan", "multitask_separate/train_fold0",
        "multitask_separate/train_fold1", "multitask_separate/predict", "multitask_separate/decode",
        "multitask_separate/evaluate"]  # fmt: skip
    predict = planner.steps[4]
    assert predict.after == planner.steps[2:4] and "--save_probabilities" in predict.commands[0]
    assert planner.steps[2].outputs == [planner.layout.model_dir(CONFIGS["multitask_separate"],
        "nnUNetTrainerMultiTaskLesionWeighted_wmhQuick", "2d") / "fold_0"]  # fmt: skip


def test_multitask_takes_atlas_regions_only_when_the_source_has_none(tmp_path):
    atlas = {"atlas_image": "a.nii.gz", "atlas_labels": "l.nii.gz", "region_table": "t.tsv"}
    with_maps = _planner(tmp_path, **atlas)
    regions = with_maps.regions_step()
    convert = with_maps.convert_step(CONFIGS["multitask_joint"], [regions] if with_maps.region_override(
        CONFIGS["multitask_joint"]) else [])  # fmt: skip
    assert convert.after == [] and "--regions" not in convert.commands[0]
    without = _planner(tmp_path, source_has_regions=False, **atlas)
    assert without.region_override(CONFIGS["multitask_joint"]) == str(without.layout.regions)
    assert without.region_override(CONFIGS["flair"]) is None


def test_a_changed_trainer_invalidates_training_and_everything_after_it(tmp_path):
    first = _planner(tmp_path)
    first.config_steps(CONFIGS["flair"], [])
    for step in first.steps:
        step.run = None  # record the steps without running nnU-Net
    run_steps(first.steps, study_ledger(first.layout.root))
    changed = _planner(tmp_path, trainers=("flair=nnUNetTrainer_other",))
    changed.trainer_overrides = {"flair": "nnUNetTrainer_other"}
    changed.config_steps(CONFIGS["flair"], [])
    assert conflicting_steps(study_ledger(first.layout.root), changed.steps) == [
        "flair/train_fold0",
        "flair/predict",
        "flair/evaluate",
    ]
