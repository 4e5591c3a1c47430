"""``nnunet_wmh coregister``'s inputs on the command line (the registration: tests/registration/test_coregister.py)."""

from nnunet_wmh.cli import coregister, main


def test_each_image_is_given_once(tmp_path, capsys):
    out = ["--out", str(tmp_path / "out")]
    assert main([coregister.NAME, "FLAIR.nii.gz", *out]) == 2
    assert "MOVING is required" in capsys.readouterr().err
    assert main([coregister.NAME, "FLAIR.nii.gz", "T1.nii.gz", "--fixed", "F.nii.gz", *out]) == 2
    assert "give FIXED once" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
