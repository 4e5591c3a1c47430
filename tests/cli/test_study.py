"""``nnunet_wmh study`` on the command line: usage errors with flags, the dry run (the study itself runs in
tests/end_to_end/test_study.py)."""

import shutil

from nnunet_wmh.cli import main


def test_dry_run_prints_the_configurations_and_the_commands_file(small_cohort_template, tmp_path, capsys):
    out = tmp_path / "study"
    assert main(["study", str(small_cohort_template), "--out", str(out), "--configs", "flair,t1", "--dry-run"]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [
        "2 configuration(s):",
        "  flair: 6 training, 5 test subjects; nnUNetTrainer_wmhQuick",
        "  t1: 6 training, 5 test subjects; nnUNetTrainer_wmhQuick",
        f"commands: {out / 'commands.sh'}",
    ]
    assert "nnUNetv2_train 801 2d 0 -tr nnUNetTrainer_wmhQuick" in (out / "commands.sh").read_text()


def test_usage_errors_name_the_flags(small_cohort_template, tmp_path, capsys):
    source, out = str(small_cohort_template), str(tmp_path / "s")
    assert main(["study", source, "--out", out, "--configs", "flair,bogus", "--dry-run"]) == 2
    assert "usage error: unknown --configs ['bogus']" in capsys.readouterr().err
    assert main(["study", source, "--out", out, "--folds", "0,x"]) == 2
    assert "--folds are whole numbers" in capsys.readouterr().err
    assert main(["study", source, "--out", out, "--trainer", "flair", "--dry-run"]) == 2
    assert "--trainer 'flair': use stock or CONFIG=TRAINER" in capsys.readouterr().err
    assert main(["study", source, "--out", out, "--configs", "multitask_joint", "--atlas-image", "a.nii.gz",
                 "--dry-run"]) == 2  # fmt: skip
    assert "--atlas-labels, --region-table missing: give --atlas-image, --atlas-labels and --region-table together" in (
        capsys.readouterr().err
    )


def test_a_folder_held_by_a_running_study_is_refused(small_cohort_template, tmp_path, capsys):
    import os
    import socket

    out = tmp_path / "s"
    out.mkdir()
    (out / "commands.sh").write_text("#\n")
    (out / ".nnunet_wmh_owner").write_text(f"{socket.gethostname()} {os.getppid()}\n")  # a live process
    assert main(["study", str(small_cohort_template), "--out", str(out), "--configs", "flair", "--dry-run"]) == 1
    assert f"another nnunet_wmh run ({socket.gethostname()} {os.getppid()}) is working in it" in capsys.readouterr().err
    (out / ".nnunet_wmh_owner").write_text(f"{socket.gethostname()} 999999\n")  # a stale lock is taken over
    assert main(["study", str(small_cohort_template), "--out", str(out), "--configs", "flair", "--dry-run"]) == 0
    assert not (out / ".nnunet_wmh_owner").exists()


def _one_training_subject(cohort):
    import shutil

    subjects = sorted(flair.parent.parent for flair in cohort.glob("training/**/pre/FLAIR.nii.gz"))
    for subject in subjects[1:]:
        shutil.rmtree(subject)
    return str(cohort)


def _refuse_work(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the study went past its up-front checks")

    for name in ("convert_dataset", "run_logged", "make_region_maps"):
        monkeypatch.setattr(f"nnunet_wmh.study.plan.{name}", refuse)


def test_one_training_subject_is_refused_up_front_in_one_line_per_problem(small_cohort, tmp_path, capsys, monkeypatch):
    _refuse_work(monkeypatch)
    source, out = _one_training_subject(small_cohort), tmp_path / "s"
    for dry_run in (["--dry-run"], []):
        assert main(["study", source, "--out", str(out), "--configs", "flair", "--device", "cpu", *dry_run]) == 2
        assert capsys.readouterr().err.splitlines() == [
            "nnunet_wmh: usage error: --configs flair: 1 training subject(s) have its inputs; it needs at least 2 "
            "(one to train on and one to validate on: with one, convert writes no splits_final.json and nnU-Net's "
            "own 5-fold split of the cases fails below 5 cases); leave flair out of --configs"
        ]
        assert not out.exists()
    assert main(["study", source, "--out", str(out), "--device", "cpu"]) == 2  # the default selection
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"nnunet_wmh: usage error: SOURCE {source}: no configuration of the study can be trained:"
    assert err[1].startswith("nnunet_wmh: usage error: --configs flair, t1, flair_t1, interchangeable, ")
    assert len(err) == 2 and not out.exists()


def test_an_unknown_trainer_is_refused_up_front_naming_it_and_its_configuration(
    small_cohort_template, tmp_path, capsys, monkeypatch
):
    _refuse_work(monkeypatch)
    out = tmp_path / "s"
    for dry_run in (["--dry-run"], []):
        argv = ["study", str(small_cohort_template), "--out", str(out), "--configs", "flair,t1", "--trainer",
                "flair=NoSuchTrainer", "--device", "cpu", *dry_run]  # fmt: skip
        assert main(argv) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith(
            "nnunet_wmh: usage error: --trainer flair: no trainer class NoSuchTrainer in nnU-Net's trainers, "
            "nnunet_wmh's or --trainer-path (searched "
        )
        assert line.endswith("; check the name, or pass the folder of its file as --trainer-path")
        assert not out.exists()


def test_a_trainer_of_nnunet_and_one_of_this_package_are_accepted(small_cohort_template, tmp_path, capsys):
    out = tmp_path / "s"
    argv = ["study", str(small_cohort_template), "--out", str(out), "--configs", "flair,t1", "--trainer",
            "flair=nnUNetTrainer_5epochs", "--trainer", "t1=nnUNetTrainer_wmhCpu", "--dry-run"]  # fmt: skip
    assert main(argv) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[1:3] == [
        "  flair: 6 training, 5 test subjects; nnUNetTrainer_5epochs",
        "  t1: 6 training, 5 test subjects; nnUNetTrainer_wmhCpu",
    ]


def test_ids_that_clash_once_cleaned_are_refused_in_the_dry_run(small_cohort, tmp_path, capsys):
    training = small_cohort / "training" / "Singapore"
    first = sorted(p.name for p in training.iterdir())[0]
    (training / first).rename(training / f"{first}_")  # Singapore/0_ becomes sub-0, as Singapore/0 ... would
    shutil.copytree(training / f"{first}_", training / first)
    out = tmp_path / "study"
    assert main(["study", str(small_cohort), "--out", str(out), "--configs", "flair", "--dry-run"]) == 1
    err = capsys.readouterr().err
    assert f"subject ids '{first}_' and '{first}'" in err or f"subject ids '{first}' and '{first}_'" in err
    assert "the study was not started" in err and not out.exists()
