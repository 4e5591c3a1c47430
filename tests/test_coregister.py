"""``coregister``: T1 onto the FLAIR grid, checked against a known rigid motion."""

from __future__ import annotations

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from nnunet_wmh.cli import main
from nnunet_wmh.errors import RegistrationError
from nnunet_wmh.registration.coregister import coregister, n4_correct
from nnunet_wmh.synthetic.cohort import native_affine, save_nifti
from nnunet_wmh.synthetic.phantom import SubjectTransform, random_pathology, random_rotation, sample_subject

LPS = np.diag([-1.0, -1.0, 1.0])  # SimpleITK's physical space is LPS, nibabel's RAS


@pytest.fixture(scope="module")
def moved_pair(tmp_path_factory):
    """A FLAIR on a 2-D-like grid and a 3-D T1 of the same head, whose scanner frame moved by a known
    rigid motion M (5° and 4 mm): T1 world x is FLAIR world M(x)."""
    folder = tmp_path_factory.mktemp("pair")
    rng = np.random.default_rng(11)
    head = SubjectTransform(random_rotation(rng, 6) @ np.diag(rng.uniform(0.95, 1.05, 3)), rng.uniform(-4, 4, 3))
    pathology = random_pathology(rng)
    flair_shape, flair_spacing = (120, 120, 48), (1.916, 1.916, 3.0)
    flair_affine = native_affine(flair_shape, flair_spacing, "LAS", rng)
    flair = sample_subject(flair_shape, flair_affine, head, pathology, rng).flair
    rotation, shift = random_rotation(np.random.default_rng(5), 5.0), np.array([4.0, -3.0, 2.0])
    moved = SubjectTransform(head.matrix @ rotation, head.matrix @ shift + head.translation)
    t1_shape, t1_spacing = (100, 116, 96), (1.6, 1.6, 1.6)
    t1_affine = native_affine(t1_shape, t1_spacing, "RAS", rng)
    t1 = sample_subject(t1_shape, t1_affine, moved, pathology, rng).t1
    save_nifti(flair, flair_affine, folder / "FLAIR.nii.gz")
    save_nifti(t1, t1_affine, folder / "T1.nii.gz")
    return folder, rotation, shift


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
    out = tmp_path / "t1.nii.gz"
    argv = ["coregister", "--fixed", str(folder / "FLAIR.nii.gz"), "--moving", str(folder / "T1.nii.gz")]
    assert main([*argv, "--out", str(out), "--n4"]) == 0
    assert "T1 on the FLAIR grid" in capsys.readouterr().out
    assert main([*argv, "--out", str(out)]) == 2  # exists
    noise = tmp_path / "noise.nii.gz"
    save_nifti(np.random.default_rng(0).random((30, 30, 20)).astype(np.float32), np.eye(4), noise)
    with pytest.raises(RegistrationError, match=r"did not converge|failed"):
        coregister(folder / "FLAIR.nii.gz", noise, tmp_path / "bad.nii.gz")


def test_n4_removes_a_smooth_bias():
    values = np.zeros((40, 40, 40), dtype=np.float32)
    x, y, z = np.indices(values.shape)
    inside = (x - 20) ** 2 + (y - 20) ** 2 + (z - 20) ** 2 < 15**2
    values[inside] = 100
    biased = values * np.exp(0.01 * (x - 20)).astype(np.float32)
    corrected = sitk.GetArrayFromImage(n4_correct(sitk.GetImageFromArray(biased)))
    spread = lambda v: float(np.std(v[inside]) / np.mean(v[inside]))  # noqa: E731
    assert spread(corrected) < 0.5 * spread(biased)


def test_convert_coregister_moves_off_grid_t1_onto_the_flair_grid(moved_pair, tmp_path):
    from nnunet_wmh.dataset_conversion import convert_dataset
    from nnunet_wmh.errors import InvalidInputsError
    from tests.conftest import read_labels

    folder, _, _ = moved_pair
    root = tmp_path / "wmh2017"
    flair = nib.load(folder / "FLAIR.nii.gz")
    lesion = np.zeros(flair.shape, dtype=np.uint8)
    lesion[60:63, 60:63, 20] = 1
    for subject, t1 in (("0", folder / "T1.nii.gz"), ("1", folder / "FLAIR.nii.gz")):  # subject 1: already aligned
        pre = root / "training" / "Utrecht" / subject / "pre"
        pre.mkdir(parents=True)
        (pre / "FLAIR.nii.gz").write_bytes((folder / "FLAIR.nii.gz").read_bytes())
        (pre / "T1.nii.gz").write_bytes(t1.read_bytes())
        save_nifti(lesion, flair.affine, root / "training" / "Utrecht" / subject / "wmh.nii.gz")
    with pytest.raises(InvalidInputsError, match=r"\[Utrecht/0\] .*T1.nii.gz: shape"):
        convert_dataset(root, mode="flair_t1", dataset_id=640, out=tmp_path / "raw", progress=False)
    assert not (tmp_path / "raw" / "Dataset640_WMH_flair_t1").exists()
    result = convert_dataset(
        root, mode="flair_t1", dataset_id=640, out=tmp_path / "raw", coregister=True, folds=2, progress=False
    )
    dataset = result.dataset_dir
    rows = {row["subject"]: row for row in _read_rows(dataset / "conversion.tsv")}
    assert rows["0"]["t1_coregistered"] == "coregistered/Utrecht/0/T1_in_FLAIR.nii.gz"
    assert rows["0"]["t1"] == str((root / "training/Utrecht/0/pre/T1.nii.gz").absolute())
    assert rows["1"]["t1_coregistered"] == ""
    t1_channel = nib.load(dataset / "imagesTr" / f"{rows['0']['case']}_0001.nii.gz")
    np.testing.assert_array_equal(t1_channel.affine, flair.affine)
    assert t1_channel.shape == flair.shape
    assert (dataset / "coregistered/Utrecht/0/T1_in_FLAIR_transform.tfm").is_file()
    assert read_labels(dataset / "labelsTr" / f"{rows['0']['case']}.nii.gz").sum() == 9


def _read_rows(path):
    import csv

    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
