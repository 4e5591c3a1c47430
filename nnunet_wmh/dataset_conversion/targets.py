"""Targets: what a case's nnU-Net label map holds, and how it is made from the subject's label files.

* :class:`LesionTarget` — 0 background, 1 WMH, and the challenge's label 2 as nnU-Net's ``ignore``
  label (2), as background, or merged into lesion (``--other-pathology``).
* :class:`JointTarget` — lesion × region joint labels (``--mode multitask``, see
  :mod:`nnunet_wmh.labels.joint`).
* :class:`SeparateTarget` — the same joint label files, trained as nnU-Net regions: one sigmoid output
  per anatomical region and one for lesions (``--mode multitask --encoding separate``).
* :class:`RegionTarget` — region map only (``--mode regions``).
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.dataset_conversion.modes import OTHER_PATHOLOGY_CHOICES
from nnunet_wmh.errors import UsageError
from nnunet_wmh.io import compact_labels, copy_as_nii_gz, load_nifti, read_voxels, save_nifti
from nnunet_wmh.labels.conventions import CHALLENGE_LABEL_VALUES, CHALLENGE_LESION, CHALLENGE_OTHER_PATHOLOGY
from nnunet_wmh.labels.joint import JointEncoding, RegionIndex

logger = logging.getLogger(__name__)

LABEL_DESCRIPTION = "nnunet_wmh label map"

LESION_VALUES = CHALLENGE_LABEL_VALUES
WMH, OTHER_PATHOLOGY = CHALLENGE_LESION, CHALLENGE_OTHER_PATHOLOGY


def lesion_parts(lesion: np.ndarray, other_pathology: str) -> tuple[np.ndarray, np.ndarray | None]:
    """Split a challenge label map into (lesion mask, ignore mask or None) per ``other_pathology``."""
    wmh = lesion == WMH
    other = lesion == OTHER_PATHOLOGY
    if other_pathology == "lesion":
        return wmh | other, None
    if other_pathology == "ignore":
        return wmh, other
    return wmh, None


class Target:
    """Base class of label targets."""

    name = ""
    needs_lesion = False
    needs_regions = False

    @classmethod
    def has_label_files(cls, subject: Subject) -> bool:
        """Whether ``subject`` has every label file this target is made from."""
        return (not cls.needs_lesion or subject.lesion is not None) and (
            not cls.needs_regions or subject.regions is not None
        )

    def labels(self) -> dict[str, int]:
        """nnU-Net's ``labels`` dictionary."""
        raise NotImplementedError

    def describe(self) -> dict:
        """What dataset.json's ``nnunet_wmh`` block records about the labels."""
        raise NotImplementedError

    def regions_class_order(self) -> list[int] | None:
        """nnU-Net's ``regions_class_order`` for region-based (sigmoid) targets, else None."""
        return None

    def copies_unchanged(self, lesion_values: frozenset[int]) -> bool:
        """Whether the source label file can be copied byte for byte (no recoding needed)."""
        return False

    def write(self, subject: Subject, reference: Path, target: Path, lesion_values: frozenset[int]) -> int:
        """Write the case label for ``subject`` to ``target``; returns bytes written."""
        raise NotImplementedError


class LesionTarget(Target):
    """Binary WMH labels; the challenge's other-pathology label handled per ``other_pathology``."""

    name = "lesion"
    needs_lesion = True

    def __init__(self, other_pathology: str = "ignore") -> None:
        if other_pathology not in OTHER_PATHOLOGY_CHOICES:
            raise UsageError(
                f"`other_pathology` must be one of {OTHER_PATHOLOGY_CHOICES}, got {other_pathology!r}",
                "other_pathology",
            )
        self.other_pathology = other_pathology

    def labels(self) -> dict[str, int]:
        labels = {"background": 0, "wmh": 1}
        if self.other_pathology == "ignore":
            labels["ignore"] = 2
        return labels

    def describe(self) -> dict:
        return {"encoding": "lesion", "other_pathology": self.other_pathology}

    def copies_unchanged(self, lesion_values: frozenset[int]) -> bool:
        return self.other_pathology == "ignore" or OTHER_PATHOLOGY not in lesion_values

    def write(self, subject: Subject, reference: Path, target: Path, lesion_values: frozenset[int]) -> int:
        assert subject.lesion is not None
        if self.copies_unchanged(lesion_values):
            return copy_as_nii_gz(subject.lesion, target)
        lesion = read_voxels(load_nifti(subject.lesion), subject.lesion)
        mask, _ = lesion_parts(lesion, self.other_pathology)
        return save_nifti(mask.astype(np.uint8), target, reference=load_nifti(reference), description=LABEL_DESCRIPTION)


class RegionTarget(Target):
    """Region labels 0..R (class k = k-th region id in increasing order)."""

    name = "regions"
    needs_regions = True

    def __init__(self, regions: RegionIndex) -> None:
        self.regions = regions

    def labels(self) -> dict[str, int]:
        return {"background": 0, **{name: k for k, name in enumerate(self.regions.names, start=1)}}

    def describe(self) -> dict:
        return {"encoding": "regions", "regions": self.regions.to_json()}

    def _ids_are_class_indices(self) -> bool:
        return self.regions.region_ids == tuple(range(1, self.regions.count + 1))

    def write(self, subject: Subject, reference: Path, target: Path, lesion_values: frozenset[int]) -> int:
        assert subject.regions is not None
        if self._ids_are_class_indices():
            return copy_as_nii_gz(subject.regions, target)
        region_map = read_voxels(load_nifti(subject.regions), subject.regions)
        class_index = self.regions.to_class_index(region_map.astype(np.int64, copy=False))
        return save_nifti(
            compact_labels(class_index), target, reference=load_nifti(reference), description=LABEL_DESCRIPTION
        )


class JointTarget(Target):
    """Joint lesion × region labels (see :mod:`nnunet_wmh.labels.joint`)."""

    name = "joint"
    needs_lesion = True
    needs_regions = True

    def __init__(self, regions: RegionIndex, other_pathology: str = "ignore") -> None:
        self.lesion_target = LesionTarget(other_pathology)
        self.encoding = JointEncoding(regions, has_ignore=other_pathology == "ignore")

    def labels(self) -> dict[str, int]:
        return self.encoding.labels()

    def describe(self) -> dict:
        return {**self.encoding.to_json(), "other_pathology": self.lesion_target.other_pathology}

    def write(self, subject: Subject, reference: Path, target: Path, lesion_values: frozenset[int]) -> int:
        assert subject.lesion is not None and subject.regions is not None
        lesion = read_voxels(load_nifti(subject.lesion), subject.lesion)
        region_map = read_voxels(load_nifti(subject.regions), subject.regions)
        mask, ignore = lesion_parts(lesion, self.lesion_target.other_pathology)
        joint = self.encoding.encode(mask, region_map.astype(np.int64, copy=False), ignore)
        return save_nifti(compact_labels(joint), target, reference=load_nifti(reference), description=LABEL_DESCRIPTION)


class SeparateTarget(JointTarget):
    """Joint label files, described to nnU-Net as overlapping regions (separate binary outputs)."""

    name = "separate"

    def labels(self) -> dict[str, int]:
        return self.encoding.region_based_labels()[0]  # type: ignore[return-value]

    def regions_class_order(self) -> list[int] | None:
        return self.encoding.region_based_labels()[1]

    def describe(self) -> dict:
        outputs = [name for name in self.labels() if name not in ("background", "ignore")]
        return {**super().describe(), "encoding": "separate", "outputs": outputs}


#: Target class per ``ModeSpec.target_kind``.
TARGET_CLASSES: dict[str, type[Target]] = {
    "lesion": LesionTarget,
    "joint": JointTarget,
    "separate": SeparateTarget,
    "regions": RegionTarget,
}
