"""Writing one subject's cases: each file copied once, further uses linked, zero channels on the grid."""

import os

import nibabel as nib
import numpy as np

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.targets import LesionTarget
from nnunet_wmh.dataset_conversion.writer import CasePlan, SubjectJob, image_path, write_subject
from tests.helpers.images import make_wmh2017_subject


def test_a_subjects_variants_share_one_copy_of_each_file(tmp_path):
    folder = make_wmh2017_subject(tmp_path / "src", "Utrecht", "0")
    subject = Subject("0", None, "Utrecht", folder, "Utrecht/0", "Utrecht/0", flair=folder / "pre/FLAIR.nii.gz",
                      t1=folder / "pre/T1.nii.gz", lesion=folder / "wmh.nii.gz")  # fmt: skip
    cases = (
        CasePlan("wmh_0001_paired", "paired", ("flair", "t1")),
        CasePlan("wmh_0001_flair", "flair_only", ("flair", "zero")),
    )
    dataset = tmp_path / "Dataset001_X"
    for name in ("imagesTr", "labelsTr"):
        (dataset / name).mkdir(parents=True)
    stats = write_subject(SubjectJob(subject, cases, True, frozenset({0, 1, 2})), dataset, LesionTarget())
    paired = image_path(dataset / "imagesTr", "wmh_0001_paired", 0)
    single = image_path(dataset / "imagesTr", "wmh_0001_flair", 0)
    assert paired.read_bytes() == (folder / "pre/FLAIR.nii.gz").read_bytes()
    assert os.stat(paired).st_ino == os.stat(single).st_ino
    zeros = nib.load(image_path(dataset / "imagesTr", "wmh_0001_flair", 1))
    assert not np.asanyarray(zeros.dataobj).any()
    np.testing.assert_array_equal(zeros.affine, nib.load(folder / "pre/FLAIR.nii.gz").affine)
    labels = sorted(p.name for p in (dataset / "labelsTr").iterdir())
    assert labels == ["wmh_0001_flair.nii.gz", "wmh_0001_paired.nii.gz"]
    assert stats.links["hardlink"] == 2  # the second FLAIR channel and the second label
