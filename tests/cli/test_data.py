"""The data commands: synth and convert print what they made; problems one line each."""

import json

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.data import run_regions
from tests.helpers.images import save


def test_synth_then_convert_prints_a_summary(tmp_path, nnunet_folders, capsys):
    assert (
        main(["synth", str(tmp_path / "cohort"), "--subjects", "3", "--test-subjects", "2", "--size", "small", "-q"])
        == 0
    )
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


@pytest.mark.slow
def test_regions_without_atlas_options_uses_the_builtin_atlas(tmp_path, capsys):
    from nnunet_wmh.registration.builtin_atlas import template_files

    code = main(["regions", str(template_files().t1), "--out", str(tmp_path / "regions")])

    assert code == 0
    assert "atlas: built-in" in capsys.readouterr().out
    labels = np.asanyarray(nib.load(tmp_path / "regions" / "regions.nii.gz").dataobj)
    assert set(np.unique(labels)) == set(range(32))  # the template onto itself: every region


def test_regions_with_only_some_atlas_options_is_a_usage_error(tmp_path, capsys):
    code = main(["regions", "x.nii.gz", "--out", str(tmp_path / "r"), "--atlas-image", "t.nii"])

    assert code == 2
    assert "--atlas-image, --atlas-labels and --region-table together" in capsys.readouterr().err


def test_regions_takes_the_spellings_of_earlier_releases_with_a_warning(small_cohort_template, tmp_path, capsys):
    template = small_cohort_template / "template"
    atlas = ["--atlas-image", str(template / "template_T1w.nii.gz"), "--atlas-labels",
             str(template / "template_regions.nii.gz"), "--region-table", str(template / "regions.tsv")]  # fmt: skip
    image = small_cohort_template / "training/Utrecht/0/pre/T1.nii.gz"
    code = main(["regions", "--subject", str(image), *atlas, "--out", str(tmp_path / "r.nii.gz"), "-q"])
    assert code == 0 and (tmp_path / "r.nii.gz").is_file() and (tmp_path / "r_transform.tfm").is_file()
    err = capsys.readouterr().err
    assert "--subject is deprecated and goes in the next release; use the positional INPUT" in err
    assert main(["regions", str(image), "--subject", str(image), "--out", str(tmp_path / "x"), *atlas]) == 2
    assert "give one INPUT" in capsys.readouterr().err
    assert run_regions.__module__ == "nnunet_wmh.cli.data"
