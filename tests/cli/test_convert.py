"""``nnunet_wmh convert`` (after ``synth``) prints what it made; problems one line each, with flags."""

import json

import numpy as np

from nnunet_wmh.cli import convert, main
from tests.helpers.images import save


def test_synth_then_convert_prints_a_summary(tmp_path, nnunet_folders, capsys):
    synth = ["synth", "--out", str(tmp_path / "cohort"), "--subjects", "3", "--test-subjects", "2", "--size", "small"]
    assert main([*synth, "-q"]) == 0
    assert "wrote 3 training and 2 test subject(s) (wmh2017 layout)" in capsys.readouterr().out
    code = main(
        [
            "convert",
            str(tmp_path / "cohort"),
            "--mode",
            "interchangeable",
            "--dataset-id",
            "501",
            "--variants",
            "paired,flair",
            "-q",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Dataset501_WMH_interchangeable written to" in out
    assert "training: 6 case(s) from 3 subject(s)" in out and "test:     4 case(s) from 2 subject(s)" in out
    assert "hardlink(s)" in out
    assert "nnUNetv2_plan_and_preprocess -d 501 -c 3d_fullres --verify_dataset_integrity" in out
    dataset_json = json.loads(
        (nnunet_folders["nnUNet_raw"] / "Dataset501_WMH_interchangeable/dataset.json").read_text()
    )
    assert dataset_json["nnunet_wmh"]["variants"] == ["paired", "flair_only"]


def test_bad_input_prints_one_line_per_problem_and_exits_1(small_cohort, nnunet_folders, capsys):
    save(np.zeros((3, 3, 3), np.uint8), small_cohort / "training/Utrecht/0/wmh.nii.gz")
    (small_cohort / "training/Singapore/1/pre/T1.nii.gz").unlink()
    code = main(["convert", str(small_cohort), "--mode", "flair_t1", "--dataset-id", "7", "-q"])
    err = capsys.readouterr().err.splitlines()
    assert code == 1
    assert err[0] == "nnunet_wmh: error: 2 problem(s) in 2 subject(s); nothing was written:"
    assert err[1].startswith("nnunet_wmh: error: [Singapore/1] pre/T1.nii.gz: no T1 image")
    assert err[2].startswith("nnunet_wmh: error: [Utrecht/0] wmh.nii.gz: shape (3, 3, 3) != FLAIR shape")
    assert list(nnunet_folders["nnUNet_raw"].iterdir()) == []


def test_skip_invalid_lists_skipped_subjects(small_cohort, nnunet_folders, capsys):
    (small_cohort / "training/Utrecht/3/wmh.nii.gz").unlink()
    assert main(["convert", str(small_cohort), "--mode", "flair", "--dataset-id", "9", "--skip-invalid", "-q"]) == 0
    out = capsys.readouterr().out
    assert "skipped:  1 subject(s):" in out and "[Utrecht/3] wmh.nii.gz: no lesion map" in out


def test_skipped_subjects_are_told_in_flags_not_parameter_names(small_cohort, nnunet_folders, capsys):
    (small_cohort / "training/Utrecht/3/pre/T1.nii.gz").unlink()
    argv = ["convert", str(small_cohort), "--mode", "flair_t1", "-d", "9", "--skip-invalid", "-q"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert "[Utrecht/3] pre/T1.nii.gz: no T1 image (inputs flair_t1 need FLAIR and T1); --mode interchangeable" in out
    assert "`mode`" not in out


def test_every_flag_reaches_its_option():
    import argparse

    from nnunet_wmh.cli.flags import options_from
    from nnunet_wmh.dataset_conversion.options import ConvertOptions

    parser = argparse.ArgumentParser()
    convert.add_arguments(parser)
    args = parser.parse_args(["src", "--mode", "interchangeable", "-d", "5", "--modalities", "flair,t2", "--variants",
                              "full,t2", "--cv-folds", "3", "--image-folder", "orig", "--fill-missing", "zero",
                              "--out", "raw", "--seed", "7"])  # fmt: skip
    options = options_from(ConvertOptions, args)
    assert options == ConvertOptions(mode="interchangeable", dataset_id=5, modalities=("flair", "t2"),
                                     variants=("full", "t2"), cv_folds=3, image_folder="orig", fill_missing="zero",
                                     out="raw", seed=7)  # fmt: skip
