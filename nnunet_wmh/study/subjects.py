"""Which subjects each configuration of a study uses: those that have the images it needs.

A mixed cohort (some subjects without T1, say) runs every configuration it can: a subject that lacks a
modality a configuration needs is left out of that configuration only (``convert --exclude``), counted per
configuration in ``--dry-run``, study.json and the page. Paired comparisons use the subjects common to both
sides (``comparisons.tsv``'s ``n``). A configuration left with too few training subjects is refused before any
work, saying why.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nnunet_wmh.cohorts.subject import MODALITY_NAMES
from nnunet_wmh.dataset_conversion.gather import gather_subjects
from nnunet_wmh.dataset_conversion.inputs import MissingModalityError
from nnunet_wmh.dataset_conversion.options import ConvertOptions, source_modalities
from nnunet_wmh.errors import UsageError

#: Training subjects a configuration needs at the least: one to train on and one to validate on.
MIN_TRAINING_SUBJECTS = 2


@dataclass(frozen=True)
class ConfigSubjects:
    """The subjects of one configuration.

    Attributes
    ----------
    train, test
        Training and test subjects it uses.
    excluded
        ``(subject key, reason)`` of the subjects left out (``no T1 image``).
    """

    train: int
    test: int
    excluded: tuple[tuple[str, str], ...] = ()

    @property
    def excluded_keys(self) -> tuple[str, ...]:
        """Keys of the subjects left out."""
        return tuple(key for key, _ in self.excluded)

    def as_json(self) -> dict[str, object]:
        """For study.json: the counts and every subject left out with its reason."""
        return {
            "train": self.train,
            "test": self.test,
            "excluded": [{"subject": k, "reason": r} for k, r in self.excluded],
        }

    def line(self) -> str:
        """``6 training, 3 test subjects; 2 left out (no T1 image)``."""
        text = f"{self.train} training, {self.test} test subjects"
        if self.excluded:
            reasons = ", ".join(dict.fromkeys(reason for _, reason in self.excluded))
            text += f"; {len(self.excluded)} left out ({reasons})"
        return text


def config_subjects(source: str | os.PathLike[str], convert: ConvertOptions) -> ConfigSubjects:
    """The subjects ``convert`` can serve from ``source`` (and its test source), and those it cannot.

    Only the file listing is read (no voxel): a subject is left out when the mode's inputs need an image it
    does not have. Unreadable files are not judged here; ``convert`` reports them as always.
    """
    spec = convert.mode_spec()
    probe = replace(convert, regions=None, exclude=())
    gathered = gather_subjects(source, probe, modalities=source_modalities(spec))
    excluded, train, test = [], 0, 0
    for subject in gathered.subjects:
        try:
            spec.inputs.channel_sets(subject)
        except MissingModalityError as missing:
            excluded.append((subject.key, f"no {MODALITY_NAMES[missing.modality]} image"))
            continue
        train, test = train + (subject.split == "train"), test + (subject.split != "train")
    return ConfigSubjects(train, test, tuple(excluded))


def check_enough_subjects(name: str, subjects: ConfigSubjects, folds: Sequence[int]) -> None:
    """Refuse a configuration with fewer training subjects than it needs, or without test subjects.

    Raises
    ------
    UsageError
        Naming the configuration, the counts and why.
    """
    left_out = f" ({subjects.line().split('; ', 1)[1]})" if subjects.excluded else ""
    needed = max(MIN_TRAINING_SUBJECTS, max(folds) + 1)
    if subjects.train < needed:
        why = "one to train on and one to validate on"
        if needed > MIN_TRAINING_SUBJECTS:
            why = f"the folds are dealt over the subjects, so fold {max(folds)} needs at least {needed}"
        raise UsageError(
            f"`configs` {name}: {subjects.train} training subject(s) have its inputs{left_out}; it needs at least "
            f"{needed} ({why}); leave {name} out of `configs`",
            "configs",
        )
    if subjects.test == 0:
        raise UsageError(f"`configs` {name}: no test subject has its inputs{left_out}", "configs")
