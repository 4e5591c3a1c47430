"""Label targets: what a case's label map holds, made from the subject's label files."""

import nibabel as nib
import numpy as np

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.targets import JointTarget, LesionTarget, RegionTarget, SeparateTarget, lesion_parts
from nnunet_wmh.labels.joint import RegionIndex
from tests.helpers.images import read_labels, save

REGIONS = RegionIndex.from_table({3: "frontal", 9: "occipital"})


def _subject(tmp_path):
    lesion = np.zeros((4, 4, 2), np.uint8)
    lesion[0, 0, 0], lesion[1, 1, 1], lesion[2, 2, 0] = 1, 2, 1
    regions = np.zeros((4, 4, 2), np.uint8)
    regions[:2], regions[2:] = 3, 9
    save(np.zeros((4, 4, 2), np.float32), tmp_path / "flair.nii.gz")
    save(lesion, tmp_path / "wmh.nii.gz")
    save(regions, tmp_path / "regions.nii.gz")
    return Subject("0", None, "", tmp_path, "0", "0", flair=tmp_path / "flair.nii.gz",
                   lesion=tmp_path / "wmh.nii.gz", regions=tmp_path / "regions.nii.gz")  # fmt: skip


def test_other_pathology_is_ignored_merged_or_dropped():
    lesion = np.array([0, 1, 2])
    mask, ignore = lesion_parts(lesion, "ignore")
    assert mask.tolist() == [False, True, False] and ignore.tolist() == [False, False, True]
    assert lesion_parts(lesion, "lesion")[0].tolist() == [False, True, True]
    mask, ignore = lesion_parts(lesion, "background")
    assert mask.tolist() == [False, True, False] and ignore is None


def test_lesion_labels_are_copied_unchanged_unless_they_must_be_recoded(tmp_path):
    subject = _subject(tmp_path)
    assert LesionTarget("ignore").labels() == {"background": 0, "wmh": 1, "ignore": 2}
    LesionTarget("ignore").write(subject, subject.flair, tmp_path / "copied.nii.gz", frozenset({0, 1, 2}))
    assert (tmp_path / "copied.nii.gz").read_bytes() == (tmp_path / "wmh.nii.gz").read_bytes()
    LesionTarget("background").write(subject, subject.flair, tmp_path / "recoded.nii.gz", frozenset({0, 1, 2}))
    assert np.unique(read_labels(tmp_path / "recoded.nii.gz")).tolist() == [0, 1]
    assert read_labels(tmp_path / "recoded.nii.gz").sum() == 2


def test_joint_separate_and_region_targets_on_hand_made_maps(tmp_path):
    subject = _subject(tmp_path)
    JointTarget(REGIONS, "ignore").write(subject, subject.flair, tmp_path / "joint.nii.gz", frozenset())
    joint = read_labels(tmp_path / "joint.nii.gz")
    assert (joint[0, 0, 0], joint[1, 1, 1], joint[2, 2, 0], joint[3, 3, 1]) == (3, 6, 4, 2)  # R = 2, ignore 6
    assert nib.load(tmp_path / "joint.nii.gz").get_data_dtype() == np.uint8
    separate = SeparateTarget(REGIONS, "ignore")
    assert separate.labels()["wmh"] == (3, 4, 5) and separate.regions_class_order() == [1, 2, 5]
    RegionTarget(REGIONS).write(subject, subject.flair, tmp_path / "regions.nii.gz", frozenset())
    assert np.unique(read_labels(tmp_path / "regions.nii.gz")).tolist() == [1, 2]
