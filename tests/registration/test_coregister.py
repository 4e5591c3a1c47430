"""``coregister``: T1 onto the FLAIR grid, checked against a known rigid motion."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.cli import main
from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.registration.coregister import coregister, moved_image_path, n4_correct
from nnunet_wmh.synthetic.cohort import save_image
from tests.helpers.registration import write_moved_pair

LPS = np.diag([-1.0, -1.0, 1.0])  # SimpleITK's physical space is LPS, nibabel's RAS


@pytest.fixture(scope="module")
def moved_pair(tmp_path_factory):
    return write_moved_pair(tmp_path_factory.mktemp("pair"))


def test_known_rigid_motion_is_recovered_within_1_mm(moved_pair, tmp_path):
    folder, rotation, shift = moved_pair
    out = tmp_path / "T1_in_FLAIR.nii.gz"
    result = coregister(folder / "FLAIR.nii.gz", folder / "T1.nii.gz", out, subject="sub-1")
    # landmarks around the brain, in FLAIR world (RAS) mm; their true T1 position is M^-1(p)
    grid = np.array([[x, y, z] for x in (-40, 0, 40) for y in (-50, 0, 50) for z in (-20, 10, 40)], dtype=float)
    truth = (grid - shift) @ np.linalg.inv(rotation).T
    transform = sitk.ReadTransform(str(result.transform))
    estimate = np.array([LPS @ np.array(transform.TransformPoint(tuple(LPS @ p))) for p in grid])
    errors = np.linalg.norm(estimate - truth, axis=1)
    assert errors.mean() < 1.0, errors
    # the output lies on the FLAIR grid with the FLAIR header
    flair, written = nib.load(folder / "FLAIR.nii.gz"), nib.load(out)
    np.testing.assert_array_equal(written.affine, flair.affine)
    assert written.shape == flair.shape and written.get_data_dtype() == np.float32
    assert result.head_overlap > 0.95


def test_cli_and_failure(moved_pair, tmp_path, capsys):
    folder, _, _ = moved_pair
    argv = ["coregister", str(folder / "FLAIR.nii.gz"), str(folder / "T1.nii.gz"), "--out", str(tmp_path / "out")]
    assert main([*argv, "--n4"]) == 0
    assert f"wrote {tmp_path / 'out' / 'T1_in_FLAIR.nii.gz'} (on the FLAIR grid)" in capsys.readouterr().out
    assert (tmp_path / "out" / "T1_in_FLAIR_transform.tfm").is_file()
    assert main(argv) == 1  # exists: refused without --overwrite
    noise = tmp_path / "noise.nii.gz"
    save_image(np.random.default_rng(0).random((30, 30, 20)).astype(np.float32), np.eye(4), noise)
    with pytest.raises(RegistrationError, match=r"did not converge|failed"):
        coregister(folder / "FLAIR.nii.gz", noise, tmp_path / "bad.nii.gz")


def test_without_require_qc_a_failed_registration_is_written_and_says_why(moved_pair, tmp_path):
    """segment's gate: a T1 that fails the QC is still moved (and the subject flagged), never silently passed."""
    folder, _, _ = moved_pair
    noise = tmp_path / "noise.nii.gz"
    save_image(np.random.default_rng(0).random((30, 30, 20)).astype(np.float32), np.eye(4), noise)
    result = coregister(folder / "FLAIR.nii.gz", noise, tmp_path / "moved.nii.gz", require_qc=False)
    assert result.problem is not None and result.problem.startswith("registration did not converge")
    assert result.image.is_file() and result.transform.is_file()
    good = coregister(folder / "FLAIR.nii.gz", folder / "T1.nii.gz", tmp_path / "good.nii.gz", require_qc=False)
    assert good.problem is None


def test_the_spelling_of_earlier_releases_still_works_and_says_so(moved_pair, tmp_path, capsys):
    folder, _, _ = moved_pair
    out = tmp_path / "t1.nii.gz"
    argv = ["coregister", "--fixed", str(folder / "FLAIR.nii.gz"), "--moving", str(folder / "T1.nii.gz")]
    assert main([*argv, "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "--fixed is deprecated and goes in the next release; use the positional FIXED" in err
    assert "give the output folder instead (a file --out is deprecated)" in err
    assert out.is_file() and moved_image_path("T1.nii.gz", tmp_path / "f") == tmp_path / "f" / "T1_in_FLAIR.nii.gz"


def test_n4_removes_a_smooth_bias():
    values = np.zeros((40, 40, 40), dtype=np.float32)
    x, y, z = np.indices(values.shape)
    inside = (x - 20) ** 2 + (y - 20) ** 2 + (z - 20) ** 2 < 15**2
    values[inside] = 100
    biased = values * np.exp(0.01 * (x - 20)).astype(np.float32)
    corrected = sitk.GetArrayFromImage(n4_correct(sitk.GetImageFromArray(biased)))
    spread = lambda v: float(np.std(v[inside]) / np.mean(v[inside]))  # noqa: E731
    assert spread(corrected) < 0.5 * spread(biased)
