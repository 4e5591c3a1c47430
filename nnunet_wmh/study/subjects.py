"""Which subjects each configuration of a study uses: those that have the images it needs.

A mixed cohort (some subjects without T1, say) runs every configuration it can: a subject that lacks a
modality a configuration needs is left out of that configuration only (``convert --exclude``), counted per
configuration in ``--dry-run``, study.json and the page. Paired comparisons use the subjects common to both
sides (``comparisons.tsv``'s ``n``). A configuration left with too few training subjects is refused before any
work, saying why (:func:`subject_shortfalls`).

How many training subjects nnU-Net needs (read in nnU-Net 2.x, ``nnUNetTrainer.do_split``): ``convert`` deals the
subjects (sessions of one participant together) into ``min(cv_folds, participants)`` folds of
``splits_final.json`` and writes none for a single participant. Without that file nnU-Net makes its own 5-fold
split of the *cases* (``generate_crossval_split``, scikit-learn's ``KFold``), which stops with a traceback below 5
cases; a fold the file does not have is trained on a random 80:20 split of the cases instead, a participant's
cases on both sides. So fold ``f`` needs at least ``f + 1`` participants, and every fold at least 2.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, replace

from nnunet_wmh.cohorts.subject import MODALITY_NAMES
from nnunet_wmh.dataset_conversion.gather import gather_subjects
from nnunet_wmh.dataset_conversion.inputs import MissingModalityError
from nnunet_wmh.dataset_conversion.options import ConvertOptions, source_modalities

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
    train_participants
        Training participants (cross-validation groups: the sessions of one participant count once); None for
        as many as ``train``.
    """

    train: int
    test: int
    excluded: tuple[tuple[str, str], ...] = ()
    train_participants: int | None = None

    @property
    def participants(self) -> int:
        """Training participants, the units the folds are dealt in."""
        return self.train if self.train_participants is None else self.train_participants

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
    excluded, train, test, groups = [], 0, 0, set()
    for subject in gathered.subjects:
        try:
            spec.inputs.channel_sets(subject)
        except MissingModalityError as missing:
            excluded.append((subject.key, f"no {MODALITY_NAMES[missing.modality]} image"))
            continue
        train, test = train + (subject.split == "train"), test + (subject.split != "train")
        if subject.split == "train":
            groups.add(subject.group)
    return ConfigSubjects(train, test, tuple(excluded), train_participants=len(groups))


def training_subjects_needed(folds: Sequence[int]) -> tuple[int, str]:
    """The training participants a configuration needs to train ``folds``, and why (see the module docstring)."""
    highest = max(folds)
    if highest + 1 <= MIN_TRAINING_SUBJECTS:
        return MIN_TRAINING_SUBJECTS, (
            "one to train on and one to validate on: with one, convert writes no splits_final.json and nnU-Net's "
            "own 5-fold split of the cases fails below 5 cases"
        )
    return highest + 1, (
        f"fold {highest} exists only with {highest + 1}: convert deals the participants into min(`cv_folds`, "
        "participants) folds, and nnU-Net trains a fold missing from splits_final.json on a random 80:20 split of "
        "the cases, a participant on both sides"
    )


def subject_shortfalls(subjects: ConfigSubjects, folds: Sequence[int]) -> list[str]:
    """Why a configuration cannot be trained on ``subjects``: too few training participants for ``folds``, or no
    test subject (empty when it can).

    Each message gives the subjects found (and those left out, with why) and the number needed, with the reason:
    ``1 training subject(s) have its inputs; it needs at least 2 (one to train on and one to validate on: ...)``.
    """
    left_out = f" ({subjects.line().split('; ', 1)[1]})" if subjects.excluded else ""
    problems = []
    needed, why = training_subjects_needed(folds)
    if subjects.participants < needed:
        found = f"{subjects.train} training subject(s)"
        if subjects.participants != subjects.train:
            found += f" of {subjects.participants} participant(s)"
        problems.append(f"{found} have its inputs{left_out}; it needs at least {needed} ({why})")
    if subjects.test == 0:
        problems.append(f"no test subject has its inputs{left_out}")
    return problems
