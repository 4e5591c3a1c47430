"""Every image and label map a study will convert, read and checked once before the first step (and in the dry run).

A study converts one dataset per configuration just before training it, so a damaged T1 would otherwise stop the
study at the ``flair_t1`` conversion, after hours of training other configurations. :func:`check_study_inputs`
reads, for every subject, the images any configuration takes and, for training subjects, the lesion map (and the
region map where a multi-task configuration reads the source's own), with ``convert``'s own checks
(:func:`~nnunet_wmh.dataset_conversion.validation.validate_subject`: readable 3-D NIfTI, on the FLAIR grid,
finite, labels 0/1/2), and reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from nnunet_wmh.cohorts.subject import ZERO, Modality, Subject
from nnunet_wmh.dataset_conversion.gather import gather_subjects
from nnunet_wmh.dataset_conversion.inputs import MissingModalityError
from nnunet_wmh.dataset_conversion.options import ConvertOptions, source_modalities
from nnunet_wmh.dataset_conversion.validation import SubjectCheck, validate_subject
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.runs.parallel import map_with_progress


@dataclass
class _Needs:
    """What the configurations take of one subject."""

    subject: Subject
    modalities: dict[Modality, None] = field(default_factory=dict)
    regions: bool = False

    def check(self) -> SubjectCheck:
        training = self.subject.split == "train"
        return SubjectCheck(
            self.subject, tuple(self.modalities), read_lesion=training, require_lesion=training,
            read_regions=self.regions and training, require_regions=self.regions and training,
        )  # fmt: skip


def _needs(source: Path, conversions: Sequence[ConvertOptions]) -> dict[str, _Needs]:
    """Subject key → what the configurations' conversions take of it (subjects no conversion serves: none)."""
    needs: dict[str, _Needs] = {}
    for convert in conversions:
        spec = convert.mode_spec()
        own_regions = spec.target_kind != "lesion" and convert.regions is None  # the source's region maps
        probe = replace(convert, regions=None, exclude=())
        for subject in gather_subjects(source, probe, modalities=source_modalities(spec)).subjects:
            try:
                channel_sets = spec.inputs.channel_sets(subject)
            except MissingModalityError:
                continue  # left out of this configuration (the mixed-cohort rule)
            entry = needs.setdefault(subject.key, _Needs(subject))
            others = dict(entry.subject.others) | dict(subject.others)  # each conversion reads its own modalities
            entry.subject = replace(entry.subject, others=tuple(others.items()))
            entry.modalities.update(dict.fromkeys(m for cs in channel_sets for m in cs.channels if m != ZERO))
            entry.regions = entry.regions or own_regions
    return needs


def check_study_inputs(source: Path, conversions: Sequence[ConvertOptions], *, jobs: int, progress: bool) -> int:
    """Read and check every file the conversions will read (see the module docstring); returns how many
    subjects were checked.

    Raises
    ------
    InvalidInputsError
        Every problem of every subject, naming subject and file (the study was not started).
    """
    needs = _needs(source, conversions)
    checks = [entry.check() for entry in needs.values()]
    reports = map_with_progress(validate_subject, checks, jobs=jobs, desc="checking subjects", progress=progress)
    problems = [problem for report in reports for problem in report.problems]
    if problems:
        raise InvalidInputsError(problems, consequence="the study was not started")
    return len(checks)
