"""The subjects of a ``segment`` run: every subject of a cohort, or one subject given as files; read again with
the model's other modalities when it takes any; and the check that the model can serve at least one."""

from __future__ import annotations

import os

from nnunet_wmh.cohorts.read import read_source
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, ZERO, Subject
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


def unused_inputs(routes: list[SubjectRoute]) -> dict[str, list[str]]:
    """``{modality name: keys of the subjects}`` for each image a subject has that the model does not take."""
    unused: dict[str, list[str]] = {}
    for route in routes:
        for modality in route.unused:
            unused.setdefault(MODALITY_NAMES[modality], []).append(route.subject.key)
    return unused


def unused_inputs_warning(routes: list[SubjectRoute], source: SegmentSource, *, strict: bool) -> str | None:
    """The warning naming the images the model does not use (None when it uses all of them).

    Raises
    ------
    UsageError
        With ``strict``, when the images were given as one subject's files (a cohort's are only reported).
    """
    unused = unused_inputs(routes)
    if not unused:
        return None
    takes = " and ".join(dict.fromkeys(MODALITY_NAMES[c] for r in routes if r.served for c in r.channels if c != ZERO))
    if isinstance(source, SubjectFiles):
        given = " and ".join(unused)
        image, was, it = ("images", "were", "them") if len(unused) > 1 else ("image", "was", "it")
        if strict:
            raise UsageError(f"the model takes {takes}; the {given} {image} given would not be used (leave {it} "
                             "out, or leave out `strict`)", "strict")  # fmt: skip
        return f"the model takes {takes}; the {given} {image} given {was} not used (`strict` refuses {it})"
    shown = "; ".join(
        f"{name} of {len(keys)} subject(s) ({', '.join(keys[:3])}{', ...' if len(keys) > 3 else ''})"
        for name, keys in unused.items()
    )
    return f"the model takes {takes}; images it does not use were left out: {shown}"
