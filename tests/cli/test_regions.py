"""``nnunet_wmh regions`` on the command line: the built-in atlas, atlas flags together, old spellings."""

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cli import main, regions
from nnunet_wmh.registration import region_maps


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


def test_no_input_is_a_usage_error(tmp_path, capsys):
    assert main([regions.NAME, "--out", str(tmp_path / "r")]) == 2
    assert "give one INPUT: an image or a cohort" in capsys.readouterr().err


def test_atlas_labels_moved_8_mm_are_refused_in_one_line_naming_both_files(small_cohort_template, tmp_path, capsys):
    template = small_cohort_template / "template"
    labels = nib.load(template / "template_regions.nii.gz")
    moved = labels.affine.copy()
    moved[:3, 3] += (8.0, 0.0, 0.0)
    nib.save(nib.Nifti1Image(np.asanyarray(labels.dataobj), moved), tmp_path / "moved_regions.nii.gz")
    image = small_cohort_template / "training/Utrecht/0/pre/T1.nii.gz"
    argv = ["regions", str(image), "--atlas-image", str(template / "template_T1w.nii.gz"), "--atlas-labels",
            str(tmp_path / "moved_regions.nii.gz"), "--region-table", str(template / "regions.tsv")]  # fmt: skip

    assert main([*argv, "--out", str(tmp_path / "out")]) == 1

    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"[atlas] {tmp_path / 'moved_regions.nii.gz'}: origin" in line
    assert f"differs from atlas image {template / 'template_T1w.nii.gz'} origin" in line
    assert "by 8 mm (tolerance 0.01 mm); the atlas labels must lie on the atlas image's grid" in line
    assert not (tmp_path / "out").exists()


def test_an_output_that_is_a_file_is_refused_before_the_builtin_atlas_is_built(tmp_path, capsys, monkeypatch):
    def build(folder):
        raise AssertionError("the built-in atlas was built before the output was checked")

    monkeypatch.setattr(region_maps, "load_builtin_atlas", build)
    image = tmp_path / "T1.nii.gz"
    nib.save(nib.Nifti1Image(np.zeros((10, 10, 4), np.float32), np.eye(4)), image)
    (tmp_path / "x.txt").write_text("notes")

    assert main(["regions", str(image), "--out", str(tmp_path / "x.txt")]) == 1

    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.endswith(f"{tmp_path / 'x.txt'}: is a file; expected a folder")
    assert (tmp_path / "x.txt").read_text() == "notes"
