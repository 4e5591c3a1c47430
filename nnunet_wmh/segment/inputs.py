"""The subjects of a ``segment`` run: every subject of a cohort, or one subject given as files; read again with
the model's other modalities when it takes any; and the check that the model can serve at least one."""

from __future__ import annotations

import os

from nnunet_wmh.cohorts.read import read_source
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.cohorts.subject import MODALITIES, Subject
from nnunet_wmh.errors import InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.modalities import Modality
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.segment.routes import SubjectRoute

#: What ``segment`` takes: a cohort (WMH 2017 tree, BIDS root, manifest) or one subject's files.
SegmentSource = str | os.PathLike[str] | SubjectFiles


def cohort_subjects(
    source: str | os.PathLike[str], *, layout: str | None, modalities: tuple[Modality, ...] = MODALITIES
) -> list[Subject]:
    """Every subject of a cohort (training and test subjects alike), with the images of ``modalities``.

    Raises
    ------
    InvalidInputsError
        Problems the reader found (ambiguous files, duplicate rows).
    """
    contents = read_source(source, layout=layout, modalities=modalities)
    if contents.problems:
        raise InvalidInputsError(contents.problems, consequence="nothing was written")
    subjects = [*contents.train, *contents.test]
    if not subjects:
        raise UsageError(f"`source` {source}: no subjects found", "source")
    return subjects


def input_subjects(source: SegmentSource | None, *, layout: str | None) -> list[Subject]:
    """The subjects of a run: every subject of the cohort ``source``, or the one subject of its files.

    Raises
    ------
    UsageError
        No source, or a file that does not exist.
    InvalidInputsError
        Problems the cohort reader found.
    """
    if source is None:
        raise UsageError("give a cohort `source`, or one subject's files (`flair`, `t1`, `others`)", "source")
    if isinstance(source, SubjectFiles):
        return [source.subject()]
    return cohort_subjects(source, layout=layout)


def with_model_modalities(
    subjects: list[Subject], source: SegmentSource, *, layout: str | None, route: ModelRoute
) -> list[Subject]:
    """``subjects`` read again with the model's other modalities (T2, PD, ...) when it takes any."""
    if route.reads == MODALITIES or isinstance(source, SubjectFiles):
        return subjects
    return cohort_subjects(source, layout=layout, modalities=route.reads)


def require_served(routes: list[SubjectRoute], *, consequence: str) -> None:
    """Raise InvalidInputsError naming every subject when the model can serve none of them."""
    if not any(r.served for r in routes):
        problems = [InputDataError(r.subject.key, r.subject.where("flair"), r.reason or "") for r in routes]
        raise InvalidInputsError(problems, consequence=consequence)
