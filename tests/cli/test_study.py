"""``nnunet_wmh study`` on the command line: usage errors with flags, the dry run (the study itself runs in
tests/end_to_end/test_study.py)."""

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
