"""Writing one subject's cases into an nnU-Net raw dataset folder.

Each input file is copied once (bytes unchanged); every further use of it — the duplicated channel of
an interchangeable case, the label shared by a subject's variants — is a hard link to that copy
(falling back to a relative symlink, then a copy). A zero-filled channel (``fill_missing="zero"``) is an
all-zero image on the subject's grid.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnunet_wmh.cohorts.subject import ZERO, Modality, Subject
from nnunet_wmh.dataset_conversion.targets import Target
from nnunet_wmh.io import copy_as_nii_gz, link_or_copy, load_nifti, save_nifti

FILE_ENDING = ".nii.gz"
SPLIT_FOLDERS = {"train": ("imagesTr", "labelsTr"), "test": ("imagesTs", "labelsTs")}


@dataclass(frozen=True)
class CasePlan:
    """One nnU-Net case: its id, variant and the modality in each channel."""

    case_id: str
    variant: str
    channels: tuple[Modality, ...]


@dataclass(frozen=True)
class SubjectJob:
    """Everything to write for one subject (picklable for worker processes).

    Attributes
    ----------
    subject
        The subject.
    cases
        Its cases, in order.
    write_label
        Whether to write labels (always for training; for test where the label files exist).
    lesion_values
        Values found in the lesion map by validation (decides copy vs recode).
    """

    subject: Subject
    cases: tuple[CasePlan, ...]
    write_label: bool
    lesion_values: frozenset[int] = frozenset()


@dataclass
class WriteStats:
    """Bytes written and how each extra file was made (``hardlink``, ``symlink``, ``copy``)."""

    bytes_written: int = 0
    links: Counter = field(default_factory=Counter)

    def add(self, other: WriteStats) -> None:
        self.bytes_written += other.bytes_written
        self.links.update(other.links)


def image_path(folder: Path, case_id: str, channel: int) -> Path:
    """``folder/CASE_XXXX.nii.gz``."""
    return folder / f"{case_id}_{channel:04d}{FILE_ENDING}"


def _write_zero_image(subject: Subject, destination: Path) -> int:
    reference_path = subject.reference_image
    assert reference_path is not None
    reference = load_nifti(reference_path)
    zeros = np.zeros(reference.shape[:3], dtype=np.uint8)
    return save_nifti(zeros, destination, reference=reference, description="nnunet_wmh missing modality (zeros)")


def write_subject(job: SubjectJob, dataset_dir: Path, target: Target) -> WriteStats:
    """Write all cases of one subject (images and labels) into ``dataset_dir``."""
    stats = WriteStats()
    image_folder_name, label_folder_name = SPLIT_FOLDERS[job.subject.split]
    image_folder, label_folder = dataset_dir / image_folder_name, dataset_dir / label_folder_name
    first_copy: dict[Modality, Path] = {}
    for case in job.cases:
        for channel, modality in enumerate(case.channels):
            destination = image_path(image_folder, case.case_id, channel)
            if modality in first_copy:
                stats.links[link_or_copy(first_copy[modality], destination)] += 1
            elif modality == ZERO:
                stats.bytes_written += _write_zero_image(job.subject, destination)
                first_copy[modality] = destination
            else:
                source = job.subject.image(modality)
                assert source is not None, "validation guarantees the image exists"
                stats.bytes_written += copy_as_nii_gz(source, destination)
                first_copy[modality] = destination
    if job.write_label:
        reference = job.subject.reference_image
        assert reference is not None
        first_label: Path | None = None
        for case in job.cases:
            destination = label_folder / f"{case.case_id}{FILE_ENDING}"
            if first_label is None:
                stats.bytes_written += target.write(job.subject, reference, destination, job.lesion_values)
                first_label = destination
            else:
                stats.links[link_or_copy(first_label, destination)] += 1
    return stats
