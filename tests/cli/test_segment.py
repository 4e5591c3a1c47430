"""``nnunet_wmh segment``'s flags (the command itself runs end to end in tests/end_to_end/test_segment.py)."""

from __future__ import annotations

import pytest

from nnunet_wmh.cli import main
from nnunet_wmh.cli.main import build_parsers
from nnunet_wmh.cli.segment import model_location, run, segment_options, segment_source
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.errors import UsageError


def _args(*arguments: str):
    return build_parsers()[1]["segment"].parse_args(list(arguments))


def test_segment_without_a_cohort_or_a_subject_is_a_usage_error(tmp_path, capsys):
    code = main(["segment", "--model", str(tmp_path), "--out", str(tmp_path / "out")])
    assert code == 2
    assert "give a cohort INPUT, or one subject's images: --flair and/or --t1" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_cohort_and_one_subjects_images_together_are_refused(tmp_path, capsys):
    code = main(["segment", str(tmp_path), "--flair", "f.nii.gz", "--model", "m", "--out", str(tmp_path / "out")])
    assert code == 2 and "not both" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_a_model_folder_without_a_model_is_named(tmp_path, capsys, small_cohort):
    code = main(["segment", str(small_cohort), "--model", str(tmp_path / "empty"), "--out", str(tmp_path / "o")])
    assert code == 2
    assert "--model" in capsys.readouterr().err


def test_the_segment_handler_lives_in_its_own_cli_module():
    _, parsers = build_parsers()
    assert parsers["segment"].get_default("handler") is run


def test_one_subjects_contrasts_have_a_flag_each():
    source = segment_source(_args("--flair", "f.nii.gz", "--t2", "t2.nii.gz", "--subject-id", "7", "--out", "o"))
    assert source == SubjectFiles("f.nii.gz", None, {"t2": "t2.nii.gz"}, "7")


def test_the_image_flag_of_earlier_releases_still_works_and_says_so(tmp_path, capsys):
    args = _args("--model", "m", "--out", "o", "--image", "T2=a.nii.gz", "--image", "pd=b")
    assert args.images == [("t2", "a.nii.gz"), ("pd", "b")]
    assert segment_source(args) == SubjectFiles(others={"t2": "a.nii.gz", "pd": "b"})
    assert "--image MODALITY=PATH is deprecated" in capsys.readouterr().err
    code = main(["segment", "--model", str(tmp_path), "--out", str(tmp_path / "out"), "--image", "flair=x.nii.gz"])
    assert code == 2 and "MODALITY t2, pd, t2star, swi (FLAIR and T1: --flair, --t1)" in capsys.readouterr().err


def test_nnunet_spellings_name_the_model_in_nnunet_results(tmp_path, monkeypatch):
    folder = tmp_path / "Dataset501_WMH" / "nnUNetTrainer_x__nnUNetPlans__2d"
    folder.mkdir(parents=True)
    monkeypatch.setenv("nnUNet_results", str(tmp_path))
    args = _args("c", "--out", "o", "-d", "501", "-c", "2d", "-tr", "nnUNetTrainer_x", "-f", "0", "1,2", "-chk",
                 "checkpoint_best.pth", "--disable_tta", "-device", "cpu")  # fmt: skip
    assert model_location(args) == str(folder)
    options = segment_options(args)
    assert (options.folds, options.checkpoint, options.mirroring) == (("0", "1", "2"), "checkpoint_best.pth", False)
    assert args.device == "cpu"
    with pytest.raises(UsageError, match="give --model, or -d with -c, not both"):
        model_location(_args("c", "--out", "o", "--model", "m", "-d", "501"))
    with pytest.raises(UsageError, match=r"expected one Dataset502_\* in"):
        model_location(_args("c", "--out", "o", "-d", "502", "-c", "2d"))


def test_subject_ids_that_clash_once_cleaned_are_refused_before_any_work(tmp_path, capsys):
    manifest = tmp_path / "cohort.tsv"
    manifest.write_text("subject\tflair\ns.1\ta.nii.gz\ns_1\tb.nii.gz\n")
    code = main(["segment", str(manifest), "--model", str(tmp_path / "model"), "--out", str(tmp_path / "out")])
    assert code == 1
    err = capsys.readouterr().err
    assert "[s_1] " in err and "subject ids 's_1' and 's.1' (of s.1) both become sub-s1" in err
    assert "Traceback" not in err and not (tmp_path / "out").exists()


def test_atlas_labels_off_the_atlas_image_grid_are_refused_before_any_work(tmp_path, capsys, small_cohort):
    import nibabel as nib
    import numpy as np

    affine = np.diag([1.0, 1.0, 1.0, 1.0])
    nib.save(nib.Nifti1Image(np.ones((8, 8, 8), np.float32), affine), tmp_path / "template.nii.gz")
    affine[0, 3] = 8.0  # the template's shape, 8 mm off
    nib.save(nib.Nifti1Image(np.ones((8, 8, 8), np.uint8), affine), tmp_path / "labels.nii.gz")
    (tmp_path / "regions.tsv").write_text("id\tname\n1\tone\n")
    atlas = ["--atlas-image", str(tmp_path / "template.nii.gz"), "--atlas-labels", str(tmp_path / "labels.nii.gz"),
             "--region-table", str(tmp_path / "regions.tsv")]  # fmt: skip
    code = main(["segment", str(small_cohort), "--model", str(tmp_path / "no_model"), "--out", str(tmp_path / "o"),
                 *atlas])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 1 and "labels.nii.gz: origin" in err and "template.nii.gz" in err and "by 8 mm" in err
    assert not (tmp_path / "o").exists()
