"""``run_study`` without training: the plan it writes (commands.sh), its checks and folder rules."""

import shlex
import shutil
import textwrap

import pytest

from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import OutputError, OutputExistsError, UsageError
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.plan import convert_command
from nnunet_wmh.study.run import run_study

PROGRAMS = ("set", "export", "nnunet_wmh", "nnUNetv2_plan_and_preprocess", "nnUNetv2_train", "nnUNetv2_predict")


def _commands(path):
    """The commands of commands.sh, without its shell functions and step guards."""
    lines = [line.strip() for line in path.read_text().splitlines()]
    return [shlex.split(line) for line in lines if line.split(" ")[0] in PROGRAMS]


def test_dry_run_writes_every_step_as_a_command_and_nothing_else(small_cohort_template, tmp_path):
    out = tmp_path / "study"
    result = run_study(small_cohort_template, out, configs=["flair", "interchangeable_dropout"], dry_run=True,
                       device="cpu")  # fmt: skip
    assert sorted(p.name for p in out.iterdir()) == ["commands.sh"]
    lines = _commands(result.commands)
    exports = {line[1].split("=")[0]: line[1].split("=", 1)[1] for line in lines if line[0] == "export"}
    assert exports["nnUNet_raw"] == str(out / "nnUNet_raw") and "nnUNet_extTrainer" in exports
    programs = [line[:2] for line in lines if line[0] not in ("set", "export")]
    assert [p[0] for p in programs] == ["nnunet_wmh", "nnUNetv2_plan_and_preprocess", "nnUNetv2_train",
                                        "nnUNetv2_predict", "nnunet_wmh"] * 2  # fmt: skip
    train = next(line for line in lines if line[0] == "nnUNetv2_train" and "804" in line)
    assert train == ["nnUNetv2_train", "804", "2d", "0", "-tr", "nnUNetTrainerModalityDropout_wmhQuick",
                     "-device", "cpu", "--c"]  # fmt: skip
    text = result.commands.read_text()
    assert text.count("if ! step_done ") == 10 and text.count("  step_finished ") == 10
    tables = shlex.split(text.splitlines()[-1])
    assert tables[1:4] == ["study", str(small_cohort_template), "--out"] and tables[-1] == "--tables-only"
    convert = next(line for line in lines if line[:2] == ["nnunet_wmh", "convert"] and "804" in line)
    assert convert[convert.index("--train-variants") + 1] == "paired"
    predict = next(line for line in lines if line[0] == "nnUNetv2_predict" and "800" in line)
    assert "--disable_tta" in predict and predict[predict.index("-o") + 1] == str(out / "predictions" / "flair")


def test_the_gpu_profile_plans_3d_with_tta_and_250_epochs(small_cohort_template, tmp_path):
    result = run_study(small_cohort_template, tmp_path / "s", configs=["flair_t1"], profile="gpu", dry_run=True,
                       device="cpu", folds=(0, 1))  # fmt: skip
    lines = _commands(result.commands)
    trains = [line for line in lines if line[0] == "nnUNetv2_train"]
    assert [t[3] for t in trains] == ["0", "1"] and trains[0][2] == "3d_fullres"
    assert trains[0][trains[0].index("-tr") + 1] == "nnUNetTrainer_250epochs"
    predict = next(line for line in lines if line[0] == "nnUNetv2_predict")
    assert "--disable_tta" not in predict and predict[predict.index("-f") + 1 : predict.index("-tr")] == ["0", "1"]


def test_a_study_needs_test_subjects(tmp_path):
    from nnunet_wmh.synthetic import make_synthetic_cohort

    make_synthetic_cohort(tmp_path / "c", subjects=2, size="small", progress=False)
    with pytest.raises(UsageError, match="has no test subjects; give a `test_source`"):
        run_study(tmp_path / "c", tmp_path / "s", dry_run=True)


def test_a_folder_that_is_not_a_study_is_refused_unless_overwrite(small_cohort_template, tmp_path):
    out = tmp_path / "s"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(OutputExistsError):
        run_study(small_cohort_template, out, configs=["flair"], dry_run=True)
    assert (out / "notes.txt").read_text() == "mine"
    run_study(small_cohort_template, out, configs=["flair"], dry_run=True, overwrite=True)
    assert not (out / "notes.txt").exists()
    (tmp_path / "file").write_text("x")
    with pytest.raises(OutputError, match="is a file"):
        run_study(small_cohort_template, tmp_path / "file", configs=["flair"], dry_run=True)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"folds": (5,)}, r"`folds` must be among 0..4"),
        ({"dataset_id_base": 995}, "`dataset_id_base` must be 1..992"),
        ({"atlas_image": "a.nii.gz"}, "`atlas_labels`, `region_table` missing: give `atlas_image`, `atlas_labels`"),
        ({"jobs": 0}, "jobs"),
        ({"profile": "fast"}, "unknown `profile`"),
        ({"device": "tpu"}, "`device` must be one of auto, cpu, cuda"),
        ({"num_parts": 2}, "this command does not run in parts"),
    ],
)
def test_bad_options_are_refused_before_anything_is_written(small_cohort_template, tmp_path, fields, message):
    with pytest.raises(UsageError, match=message):
        run_study(small_cohort_template, tmp_path / "s", dry_run=True, **fields)
    assert not (tmp_path / "s").exists()


def test_convert_command_names_only_what_differs_from_the_defaults(tmp_path):
    options = ConvertOptions(mode="multitask", dataset_id=805, name="WMHstudy_multitask_joint", encoding="joint",
                             out=str(tmp_path / "raw"), regions="regs", region_table="table.tsv")  # fmt: skip
    argv = convert_command(tmp_path / "src", options, jobs=3)
    assert argv[:7] == ["nnunet_wmh", "convert", str(tmp_path / "src"), "--mode", "multitask", "--dataset-id", "805"]
    assert argv[argv.index("--encoding") + 1] == "joint" and argv[argv.index("--regions") + 1] == "regs"
    assert argv[argv.index("--cv-folds") + 1] == "5" and argv[argv.index("--out") + 1] == str(tmp_path / "raw")
    assert "--test-source" not in argv and argv[-3:] == ["--jobs", "3", "--overwrite"]


def test_layout_paths():
    from pathlib import Path

    from nnunet_wmh.study.configs import CONFIGS

    layout = StudyLayout(Path("/s"), 800)
    config = CONFIGS["multitask_separate"]
    assert layout.dataset_dir(config) == Path("/s/nnUNet_raw/Dataset806_WMHstudy_multitask_separate")
    assert layout.label_maps(config) == Path("/s/predictions/multitask_separate_decoded")
    assert layout.model_dir(config, "T", "2d").name == "T__nnUNetPlans__2d"


def test_a_mixed_cohort_leaves_subjects_without_t1_out_of_the_configurations_that_need_it(small_cohort, tmp_path):
    (small_cohort / "training/Utrecht/0/pre/T1.nii.gz").unlink()
    (small_cohort / "test/Utrecht/6/pre/T1.nii.gz").unlink()
    result = run_study(small_cohort, tmp_path / "study", configs=["flair", "t1", "flair_t1"], dry_run=True,
                       device="cpu")  # fmt: skip
    assert result.uses["flair"] == "6 training, 5 test subjects; nnUNetTrainer_wmhQuick"
    assert result.uses["t1"] == "5 training, 4 test subjects; 2 left out (no T1 image); nnUNetTrainer_wmhQuick"
    assert result.uses["flair_t1"] == result.uses["t1"]
    converts = [line for line in _commands(result.commands) if line[:2] == ["nnunet_wmh", "convert"]]
    excluded = [line[line.index("--exclude") + 1] if "--exclude" in line else None for line in converts]
    assert excluded == [None, "Utrecht/0,Utrecht/6", "Utrecht/0,Utrecht/6"]


def test_a_configuration_with_too_few_training_subjects_is_refused_before_anything_is_written(small_cohort, tmp_path):
    for t1 in (small_cohort / "training").rglob("T1.nii.gz"):
        if t1.parent.parent.name != "0":
            t1.unlink()
    with pytest.raises(UsageError, match=r"`configs` t1: 1 training subject\(s\) have its inputs \(5 left out \(no T1"):
        run_study(small_cohort, tmp_path / "study", configs=["flair", "t1"], dry_run=True, device="cpu")
    assert not (tmp_path / "study").exists()
    with pytest.raises(UsageError, match="it needs at least 4 \\(fold 3 exists only with 4: convert deals"):
        run_study(small_cohort, tmp_path / "study", configs=["t1"], folds=(3,), cv_folds=5, dry_run=True)


def test_the_gpu_profile_without_a_gpu_is_refused_unless_only_commands_are_written(small_cohort_template, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is visible here")
    with pytest.raises(UsageError, match="`profile` gpu: torch sees no GPU here"):
        run_study(small_cohort_template, tmp_path / "s", configs=["flair"], profile="gpu")
    with pytest.raises(UsageError, match="`device` cuda: torch sees no GPU here"):
        run_study(small_cohort_template, tmp_path / "s", configs=["flair"], device="cuda")
    assert not (tmp_path / "s").exists()
    dry = run_study(small_cohort_template, tmp_path / "s", configs=["flair"], profile="gpu", dry_run=True)
    train = next(line for line in _commands(dry.commands) if line[0] == "nnUNetv2_train")
    assert train[train.index("-device") + 1] == "cuda"  # the commands are for a machine with a GPU


def test_by_default_a_configuration_no_subject_can_serve_is_left_out_saying_why(small_cohort, tmp_path):
    for t1 in small_cohort.rglob("T1.nii.gz"):
        if "template" not in t1.parts:
            t1.unlink()  # a FLAIR-only cohort
    result = run_study(small_cohort, tmp_path / "study", dry_run=True, device="cpu")
    assert result.configs == ["flair", "interchangeable", "interchangeable_dropout", "separate_models"]  # they fill
    assert result.uses["t1"] == "not run: 0 training, 0 test subjects; 11 left out (no T1 image)"
    assert result.uses["multitask_joint"].startswith("not run: ")
    assert "built-in MNI152 atlas" in result.uses["separate_models"]


@pytest.fixture
def no_work(monkeypatch):
    """Conversion, registration and nnU-Net's commands fail the test if a study gets as far as any of them."""

    def refuse(*args, **kwargs):
        raise AssertionError("the study went past its up-front checks")

    for name in ("convert_dataset", "run_logged", "make_region_maps"):
        monkeypatch.setattr(f"nnunet_wmh.study.plan.{name}", refuse)


def _keep_one_training_subject(cohort):
    subjects = sorted(flair.parent.parent for flair in cohort.glob("training/**/pre/FLAIR.nii.gz"))
    for subject in subjects[1:]:
        shutil.rmtree(subject)
    return cohort


@pytest.mark.parametrize("dry_run", [True, False])
def test_one_training_subject_is_refused_before_any_work(small_cohort, tmp_path, no_work, dry_run):
    cohort = _keep_one_training_subject(small_cohort)
    with pytest.raises(UsageError) as refused:
        run_study(cohort, tmp_path / "study", configs=["flair"], dry_run=dry_run, device="cpu")
    assert str(refused.value) == (
        "`configs` flair: 1 training subject(s) have its inputs; it needs at least 2 (one to train on and one to "
        "validate on: with one, convert writes no splits_final.json and nnU-Net's own 5-fold split of the cases "
        "fails below 5 cases); leave flair out of `configs`"
    )
    assert refused.value.parameter == "configs"
    assert not (tmp_path / "study").exists()


@pytest.mark.parametrize("dry_run", [True, False])
def test_by_default_a_cohort_no_configuration_can_be_trained_on_is_refused_listing_them(
    small_cohort, tmp_path, no_work, dry_run
):
    cohort = _keep_one_training_subject(small_cohort)
    with pytest.raises(UsageError) as refused:
        run_study(cohort, tmp_path / "study", dry_run=dry_run, device="cpu")
    lines = str(refused.value).splitlines()
    assert lines[0] == f"`source` {cohort}: no configuration of the study can be trained:"
    trained = "flair, t1, flair_t1, interchangeable, interchangeable_dropout, multitask_joint, multitask_separate"
    assert lines[1].startswith(f"`configs` {trained}: 1 training subject(s) have its inputs; it needs at least 2")
    assert len(lines) == 2 and not (tmp_path / "study").exists()


def _manifest_where_one_training_subject_has_t1(cohort, tmp_path):
    """A manifest of the cohort's 4 Utrecht/Singapore training subjects (only the first with T1) and its test
    subjects there (all with T1)."""
    rows = ["subject\tflair\tt1\tlesion\tsplit"]
    for split, folder in (("train", "training"), ("test", "test")):
        for number, flair in enumerate(sorted(cohort.glob(f"{folder}/*/*/pre/FLAIR.nii.gz"))):
            t1 = flair.with_name("T1.nii.gz") if split == "test" or number == 0 else ""
            rows.append(f"{split}{number}\t{flair}\t{t1}\t{flair.parent.parent / 'wmh.nii.gz'}\t{split}")
    manifest = tmp_path / "cohort.tsv"
    manifest.write_text("\n".join(rows) + "\n")
    return manifest


def test_a_configuration_one_subject_has_the_inputs_for_is_refused_naming_it(small_cohort_template, tmp_path, no_work):
    manifest = _manifest_where_one_training_subject_has_t1(small_cohort_template, tmp_path)
    with pytest.raises(UsageError) as refused:
        run_study(manifest, tmp_path / "study", configs=["flair", "flair_t1"], dry_run=True, device="cpu")
    assert str(refused.value).startswith(
        "`configs` flair_t1: 1 training subject(s) have its inputs (3 left out (no T1 image)); it needs at least 2"
    )
    assert "`configs` flair:" not in str(refused.value) and not (tmp_path / "study").exists()


def test_by_default_a_configuration_one_subject_has_the_inputs_for_is_left_out(small_cohort_template, tmp_path):
    manifest = _manifest_where_one_training_subject_has_t1(small_cohort_template, tmp_path)
    result = run_study(manifest, tmp_path / "study", dry_run=True, device="cpu")
    assert "flair" in result.configs and "flair_t1" not in result.configs and "t1" not in result.configs
    assert result.uses["flair_t1"] == "not run: 1 training, 2 test subjects; 3 left out (no T1 image)"


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_trainer_nnunet_would_not_find_is_refused_before_any_work(small_cohort_template, tmp_path, no_work, dry_run):
    with pytest.raises(UsageError) as refused:
        run_study(small_cohort_template, tmp_path / "study", configs=["flair", "t1"], trainers=["flair=NoSuchTrainer"],
                  dry_run=dry_run, device="cpu")  # fmt: skip
    assert str(refused.value).startswith(
        "`trainers` flair: no trainer class NoSuchTrainer in nnU-Net's trainers, nnunet_wmh's or `trainer_paths` "
        "(searched "
    )
    assert refused.value.parameter == "trainers" and not (tmp_path / "study").exists()


def test_too_few_subjects_and_unknown_trainers_are_listed_at_once(small_cohort, tmp_path, no_work):
    cohort = _keep_one_training_subject(small_cohort)
    with pytest.raises(UsageError) as refused:
        run_study(cohort, tmp_path / "study", configs=["flair", "t1"], trainers=["t1=NoSuchTrainer"], dry_run=True)
    lines = str(refused.value).splitlines()
    assert [line.split(":")[0] for line in lines] == ["`configs` flair, t1", "`trainers` t1"]
    assert "NoSuchTrainer" in lines[1] and refused.value.parameter is None


def test_trainers_of_nnunet_of_this_package_and_of_a_trainer_path_are_accepted(small_cohort_template, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "my_trainer.py").write_text(textwrap.dedent("""
        from nnunetv2.training.nnUNetTrainer.nnUNetTrainer import nnUNetTrainer

        class MyTrainer(nnUNetTrainer):
            pass
    """))  # fmt: skip
    trainers = ["flair=nnUNetTrainer_5epochs", "t1=nnUNetTrainerModalityDropout_p025", "flair_t1=MyTrainer"]
    result = run_study(small_cohort_template, tmp_path / "study", configs=["flair", "t1", "flair_t1"],
                       trainers=trainers, trainer_paths=[str(mine)], dry_run=True, device="cpu")  # fmt: skip
    assert [line.rsplit("; ", 1)[1] for line in result.uses.values()] == [
        "nnUNetTrainer_5epochs", "nnUNetTrainerModalityDropout_p025", "MyTrainer",
    ]  # fmt: skip
    assert "-tr nnUNetTrainer_5epochs" in result.commands.read_text()
