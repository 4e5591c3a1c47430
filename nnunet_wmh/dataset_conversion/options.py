"""``ConvertOptions``: what ``convert`` makes of a cohort (frozen, checked, recorded in dataset.json)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.cohorts.subject import MODALITIES
from nnunet_wmh.dataset_conversion.inputs import InterchangeableInputs
from nnunet_wmh.dataset_conversion.modes import ModeSpec, parse_mode
from nnunet_wmh.dataset_conversion.targets import OTHER_PATHOLOGY_CHOICES
from nnunet_wmh.errors import UsageError

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
CASE_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")


@dataclass(frozen=True)
class ConvertOptions:
    """What ``convert`` makes of a cohort.

    Attributes
    ----------
    mode
        ``flair``, ``t1``, ``flair_t1``, ``interchangeable``, ``multitask`` or ``regions``.
    dataset_id
        nnU-Net dataset id, 1..999.
    name
        Dataset name (``Dataset{id:03d}_{name}``); default ``WMH_{mode}``.
    inputs
        ``multitask``/``regions`` modes: ``flair``, ``t1``, ``flair_t1`` (default) or ``interchangeable``.
    variants
        Interchangeable inputs: which of ``paired``, ``flair``, ``t1`` cases a subject with both modalities
        gives (default all; ``flair``, ``t1`` with one channel).
    train_variants
        Interchangeable inputs: the variants of the training subjects, when they differ from ``variants``
        (e.g. ``paired`` only for a model trained with modality dropout, tested on every variant).
    channels
        Interchangeable inputs: 2 (channel duplication, default) or 1 (one case per modality).
    fill_missing
        Interchangeable inputs: a missing channel is a copy of the other image (``duplicate``, default) or
        all zeros (``zero``, for models trained with ``nnUNetTrainerModalityDropoutZero``).
    encoding
        ``multitask`` only: ``joint`` (default; softmax over joint labels) or ``separate`` (nnU-Net regions:
        one sigmoid output per anatomical region and one for lesions).
    other_pathology
        Challenge label 2: ``ignore`` (nnU-Net ignore label, default), ``background`` or ``lesion``.
    drop_modality
        ``flair`` or ``t1``: remove that modality from the test subjects (simulate a missing scan);
        interchangeable inputs only.
    case_prefix
        Case ids are ``{case_prefix}_{NNNN}[_{variant}]``.
    folds, seed
        Cross-validation folds (grouped by subject, stratified by site) and shuffling seed.
    coregister
        Register each T1 that is not on its FLAIR's grid to the FLAIR (rigid) and use it resampled onto the
        FLAIR grid (kept in ``coregistered/`` of the dataset; conversion.tsv's ``t1_coregistered``).
    skip_invalid
        Convert the valid subjects and report the others instead of stopping.
    """

    mode: str
    dataset_id: int
    name: str | None = None
    inputs: str | None = None
    variants: Sequence[str] | None = None
    train_variants: Sequence[str] | None = None
    channels: int = 2
    fill_missing: str = "duplicate"
    encoding: str | None = None
    other_pathology: str = "ignore"
    drop_modality: str | None = None
    case_prefix: str = "wmh"
    folds: int = 5
    seed: int = 12345
    coregister: bool = False
    skip_invalid: bool = False

    @property
    def dataset_name(self) -> str:
        """``Dataset{id:03d}_{name}``."""
        return f"Dataset{self.dataset_id:03d}_{self.name or f'WMH_{self.mode}'}"

    def mode_spec(self) -> ModeSpec:
        """The parsed mode (input plan and label target kind); raises UsageError for bad combinations."""
        return parse_mode(
            self.mode,
            inputs=self.inputs,
            variants=list(self.variants) if self.variants else None,
            train_variants=list(self.train_variants) if self.train_variants else None,
            channels=self.channels,
            fill_missing=self.fill_missing,
            encoding=self.encoding,
        )

    def check(self) -> ModeSpec:
        """Raise UsageError for values out of range or options that do not fit together; return the mode."""
        spec = self.mode_spec()
        if not 1 <= self.dataset_id <= 999:
            raise UsageError(
                f"`dataset_id` must be 1..999 (nnU-Net's three digits), got {self.dataset_id}", "dataset_id"
            )
        name = self.name or f"WMH_{self.mode}"
        if not NAME_PATTERN.fullmatch(name):
            raise UsageError(f"`name` {name!r}: use letters, digits, '_' and '-' only", "name")
        if not CASE_PREFIX_PATTERN.fullmatch(self.case_prefix):
            raise UsageError(f"`case_prefix` {self.case_prefix!r}: use letters, digits and '-' only", "case_prefix")
        if self.folds < 2:
            raise UsageError(f"`folds` must be at least 2, got {self.folds}", "folds")
        if self.other_pathology not in OTHER_PATHOLOGY_CHOICES:
            choices = ", ".join(OTHER_PATHOLOGY_CHOICES)
            raise UsageError(
                f"`other_pathology` must be one of {choices}, got {self.other_pathology!r}", "other_pathology"
            )
        if self.drop_modality is not None:
            if self.drop_modality not in MODALITIES:
                raise UsageError(f"`drop_modality` must be flair or t1, got {self.drop_modality!r}", "drop_modality")
            if not isinstance(spec.inputs, InterchangeableInputs):
                raise UsageError(
                    "`drop_modality` needs interchangeable inputs (a model that accepts either modality)",
                    "drop_modality",
                )
        return spec
