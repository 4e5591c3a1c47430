"""The same subject in training and test: found by the images themselves, not by ids.

Two cohorts may reuse ids (``sub-001``) for different people, and one subject may appear under two ids (a
folder copied into both splits, or a test source that is the training source). A test subject whose image
has exactly the voxels of a training subject's image is the same subject: its results would be optimistic.
"""

from __future__ import annotations

from collections.abc import Sequence

from nnunet_wmh.dataset_conversion.validation import SubjectReport
from nnunet_wmh.errors import InputDataError


def shared_subjects(reports: Sequence[SubjectReport]) -> list[InputDataError]:
    """One problem per test subject that has an image identical to a training subject's image."""
    training: dict[str, tuple[str, str]] = {}
    for report in reports:
        if report.subject.split == "train":
            for modality, digest in report.image_digests.items():
                training.setdefault(digest, (report.subject.key, modality))
    problems = []
    for report in reports:
        if report.subject.split != "test":
            continue
        for modality, digest in report.image_digests.items():
            if digest in training:
                other, other_modality = training[digest]
                path = report.subject.where(modality.lower())
                problems.append(
                    InputDataError(
                        report.subject.key,
                        path,
                        f"the same {modality} image as training subject {other} ({other_modality}): a subject must "
                        "not be in both training and test",
                    )
                )
                break
    return problems
