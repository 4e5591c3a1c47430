"""The subjects a conversion starts from: the source's (training and, if any, test), or a second cohort's as
the test set, with region maps looked up elsewhere and a modality dropped from the test subjects on request."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from nnunet_wmh.cohorts import SourceContents, Subject, apply_regions_override, detect_layout, read_source
from nnunet_wmh.cohorts.subject import MODALITIES, Modality
from nnunet_wmh.dataset_conversion.options import ConvertOptions
from nnunet_wmh.errors import InputDataError, SourceLayoutError, UsageError

logger = logging.getLogger(__name__)


@dataclass
class GatheredSubjects:
    """Subjects of a conversion (training first) and what the readers noticed.

    Attributes
    ----------
    contents
        The source as read.
    test_contents
        The test source as read, or None.
    subjects
        Training subjects, then test subjects (keys of a second cohort start with ``test/``).
    problems
        Per-subject problems found by the readers.
    """

    contents: SourceContents
    test_contents: SourceContents | None
    subjects: list[Subject]
    problems: list[InputDataError]


def _test_subjects(
    test_source: str | os.PathLike[str], test_layout: str | None, images: str, modalities: tuple[Modality, ...]
) -> SourceContents:
    test_layout = test_layout or detect_layout(Path(test_source).expanduser().absolute())
    images = images if test_layout == "wmh2017" else "pre"
    return read_source(test_source, layout=test_layout, images=images, modalities=modalities)


def _without_excluded(train: list[Subject], test: list[Subject], exclude: Sequence[str]):
    """The subjects whose key is not in ``exclude``; raises UsageError for a key that names no subject."""
    if not exclude:
        return train, test
    keys = {s.key for s in (*train, *test)}
    unknown = [key for key in exclude if key not in keys]
    if unknown:
        known = ", ".join(sorted(keys)[:3])
        raise UsageError(f"`exclude` {', '.join(unknown)}: no such subject (keys look like {known})", "exclude")
    left_out = set(exclude)
    return [s for s in train if s.key not in left_out], [s for s in test if s.key not in left_out]


def gather_subjects(
    source: str | os.PathLike[str], options: ConvertOptions, *, modalities: tuple[Modality, ...] = MODALITIES
) -> GatheredSubjects:
    """Read the source (and ``options.test_source``): the images of ``modalities``; ``options.drop_modality``
    removed from the test subjects; region maps from ``options.regions`` when given.

    Raises
    ------
    SourceLayoutError
        If the source holds no training subject.
    """
    images, regions = options.image_folder, options.regions
    contents = read_source(source, layout=options.layout, images=images, derivatives=options.derivatives,
                           modalities=modalities)  # fmt: skip
    train, test, problems = list(contents.train), list(contents.test), list(contents.problems)
    test_contents = None
    if options.test_source:
        test_contents = _test_subjects(options.test_source, options.test_layout, images, modalities)
        if test:
            logger.info("using the test source instead of the test subjects of %s", contents.root)
        # Keys get a "test/" prefix: a second cohort may reuse the training subjects' ids (sub-001...).
        test = [replace(s, split="test", key=f"test/{s.key}") for s in (test_contents.test or test_contents.train)]
        problems += [InputDataError(f"test/{p.subject}", p.path, p.problem) for p in test_contents.problems]
    for modality in options.dropped_modalities:
        test = [s.without(modality) for s in test]
    train, test = _without_excluded(train, test, options.exclude)
    if regions:
        train, test = apply_regions_override(train, regions), apply_regions_override(test, regions)
    if not train:
        raise SourceLayoutError(f"{contents.root}: no training subjects found ({contents.layout} layout)")
    return GatheredSubjects(contents, test_contents, train + test, problems)
