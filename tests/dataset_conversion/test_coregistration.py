"""``convert`` with ``coregister``: a T1 off its FLAIR's grid is registered and resampled inside the dataset."""

from __future__ import annotations

import csv

import nibabel as nib
import numpy as np
import pytest

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.convert import convert_dataset
from nnunet_wmh.dataset_conversion.coregistration import off_grid
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.synthetic.cohort import save_image
from tests.helpers.images import read_labels
from tests.helpers.registration import write_moved_pair


@pytest.fixture(scope="module")
def moved_pair(tmp_path_factory):
    return write_moved_pair(tmp_path_factory.mktemp("pair"))


def _read_rows(path):
    with path.open() as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def test_convert_coregister_moves_off_grid_t1_onto_the_flair_grid(moved_pair, tmp_path):
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
        save_image(lesion, flair.affine, root / "training" / "Utrecht" / subject / "wmh.nii.gz")
    with pytest.raises(InvalidInputsError, match=r"\[Utrecht/0\] .*T1.nii.gz: shape"):
        convert_dataset(root, mode="flair_t1", dataset_id=640, out=tmp_path / "raw", progress=False)
    assert not (tmp_path / "raw" / "Dataset640_WMH_flair_t1").exists()
    result = convert_dataset(
        root, mode="flair_t1", dataset_id=640, out=tmp_path / "raw", coregister=True, cv_folds=2, progress=False
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


def test_only_a_t1_off_the_flair_grid_needs_coregistration(moved_pair, tmp_path):
    folder, _, _ = moved_pair
    flair, t1 = folder / "FLAIR.nii.gz", folder / "T1.nii.gz"
    subject = Subject("0", None, "", tmp_path, "0", "0", flair=flair, t1=t1)
    assert off_grid(subject, "t1")
    assert not off_grid(Subject("0", None, "", tmp_path, "0", "0", flair=flair, t1=flair), "t1")
    assert not off_grid(Subject("0", None, "", tmp_path, "0", "0", flair=flair), "t1")
