"""``ConvertOptions``: where ``convert`` reads a cohort, what it makes of it and where it writes (frozen, checked;
what it makes is recorded in dataset.json)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any, ClassVar

from nnunet_wmh.cohorts.read import LAYOUTS
from nnunet_wmh.cohorts.subject import MODALITIES, Modality, parse_modalities
from nnunet_wmh.dataset_conversion.inputs import FixedInputs, InterchangeableInputs
from nnunet_wmh.dataset_conversion.modes import OTHER_PATHOLOGY_CHOICES, ModeSpec, parse_mode
from nnunet_wmh.errors import UsageError
from nnunet_wmh.runs.options import DEFAULT_SEED, check_choice

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
CASE_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
#: The WMH 2017 image folders: ``pre`` (T1 registered to FLAIR, bias-corrected) or ``orig``.
IMAGE_FOLDERS = ("pre", "orig")
#: What dataset.json's ``nnunet_wmh`` block records of the options, in order, under these keys.
RECORDED_FIELDS = {
    "mode": "mode", "dataset_id": "dataset_id", "name": "name", "inputs": "inputs", "modalities": "modalities",
    "variants": "variants", "train_variants": "train_variants", "channels": "channels",
    "fill_missing": "fill_missing", "fill_order": "fill_order", "encoding": "encoding",
    "other_pathology": "other_pathology", "drop_modality": "drop_modality", "case_prefix": "case_prefix",
    "folds": "cv_folds", "seed": "seed", "coregister": "coregister", "skip_invalid": "skip_invalid",
    "exclude": "exclude",
}  # fmt: skip


@dataclass(frozen=True)
class ConvertOptions:
    """Where ``convert`` reads a cohort, what it makes of it, and where it writes.

    Attributes
    ----------
    mode
        ``flair``, ``t1``, ``flair_t1``, ``interchangeable``, ``multitask`` or ``regions``; or a list of
        modalities (``flair,t2``, ``t2``): fixed inputs, one channel each.
    dataset_id
        nnU-Net dataset id, 1..999.
    name
        Dataset name (``Dataset{id:03d}_{name}``); default ``WMH_{mode}``.
    inputs
        ``multitask``/``regions`` modes: ``flair``, ``t1``, ``flair_t1`` (default), ``interchangeable`` or a list
        of modalities.
    modalities
        Interchangeable inputs: the channel slots, in order (default ``("flair", "t1")``; any of ``flair``,
        ``t1``, ``t2``, ``pd``, ``t2star``, ``swi``). Sources are searched for these contrasts.
    variants
        Interchangeable inputs: which subsets a subject with every modality gives as cases: ``full`` (alias
        ``paired``), a modality (``t2``), a ``+``-joined subset (``flair+t2``) or ``all`` (every non-empty
        subset). Default: the full set and each modality alone (each modality alone with one channel).
    train_variants
        Interchangeable inputs: the variants of the training subjects, when they differ from ``variants``
        (e.g. ``paired`` only for a model trained with modality dropout, tested on every variant).
    channels
        Interchangeable inputs: one per modality (channel duplication, default; None) or 1 (one case per
        modality).
    fill_missing
        Interchangeable inputs: a missing channel is a copy of the first available modality of ``fill_order``
        (``duplicate``, default) or all zeros (``zero``, for models trained with
        ``nnUNetTrainerModalityDropoutZero``).
    fill_order
        Interchangeable inputs: which modality fills a missing channel first; default FLAIR > T2 > PD > T2star >
        SWI > T1 (restricted to ``modalities``); modalities not named follow in that order.
    encoding
        ``multitask`` only: ``joint`` (default; softmax over joint labels) or ``separate`` (nnU-Net regions:
        one sigmoid output per anatomical region and one for lesions).
    other_pathology
        Challenge label 2: ``ignore`` (nnU-Net ignore label, default), ``background`` or ``lesion``.
    drop_modality
        A modality or a comma list (``t1,t2``): remove them from the test subjects (simulate missing scans);
        interchangeable inputs only.
    case_prefix
        Case ids are ``{case_prefix}_{NNNN}[_{variant}]``.
    cv_folds, seed
        Cross-validation folds (grouped by subject, stratified by site) and shuffling seed.
    coregister
        Register each T1 that is not on its FLAIR's grid to the FLAIR (rigid) and use it resampled onto the
        FLAIR grid (kept in ``coregistered/`` of the dataset; conversion.tsv's ``t1_coregistered``).
    skip_invalid
        Convert the valid subjects and report the others instead of stopping.
    exclude
        Subjects left out of the dataset, by key (``Utrecht/0``, ``sub-01``, ``sub-01/ses-1``; a separate test
        source's as ``test/KEY``): e.g. the subjects without a modality the mode needs. An unknown key is an
        error.
    out, preprocessed, results
        nnU-Net's raw folder (where the dataset goes), preprocessed and results folders (checked for the same
        dataset id under another name and for stale preprocessed data); default ``$nnUNet_raw`` etc.
    layout, image_folder, derivatives
        The source's layout (``wmh2017``, ``bids``, ``manifest``; detected when None), its WMH 2017 image
        folder (``pre`` or ``orig``), its BIDS derivatives folder (default ``SOURCE/derivatives``).
    regions, region_table
        Region maps elsewhere (a folder, or a pattern with ``{subject}``, ``{session}``, ``{site}``,
        ``{key}``; see :func:`~nnunet_wmh.cohorts.apply_regions_override`) and their names (TSV/CSV,
        ``id name`` text, colour LUT; default: a table found in the source).
    test_source, test_layout
        A second cohort converted into imagesTs (its test split if it has one, else all subjects).
    """

    mode: str
    dataset_id: int
    name: str | None = None
    inputs: str | None = None
    modalities: Sequence[Modality] | str | None = None
    variants: Sequence[str] | None = None
    train_variants: Sequence[str] | None = None
    channels: int | None = None
    fill_missing: str = "duplicate"
    fill_order: Sequence[Modality] | str | None = None
    encoding: str | None = None
    other_pathology: str = "ignore"
    drop_modality: str | None = None
    case_prefix: str = "wmh"
    cv_folds: int = 5
    seed: int = DEFAULT_SEED
    coregister: bool = False
    skip_invalid: bool = False
    exclude: Sequence[str] = ()
    out: str | os.PathLike[str] | None = None
    preprocessed: str | os.PathLike[str] | None = None
    results: str | os.PathLike[str] | None = None
    layout: str | None = None
    image_folder: str = "pre"
    derivatives: str | os.PathLike[str] | None = None
    regions: str | None = None
    region_table: str | os.PathLike[str] | None = None
    test_source: str | os.PathLike[str] | None = None
    test_layout: str | None = None

    #: Names of earlier releases, still taken (with a deprecation warning) for one release.
    RENAMED: ClassVar[dict[str, str]] = {"folds": "cv_folds", "images": "image_folder"}

    @property
    def dataset_name(self) -> str:
        """``Dataset{id:03d}_{name}``."""
        return f"Dataset{self.dataset_id:03d}_{self.name or self.default_name}"

    @property
    def default_name(self) -> str:
        """``WMH_{mode}`` (a modality list joined by ``_``)."""
        return "WMH_" + self.mode.replace(",", "_")

    @property
    def dropped_modalities(self) -> tuple[Modality, ...]:
        """``drop_modality`` as a tuple (empty when None)."""
        return parse_modalities(self.drop_modality, "drop_modality") if self.drop_modality else ()

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
            modalities=parse_modalities(self.modalities),
            fill_order=parse_modalities(self.fill_order, "fill_order") if self.fill_order else None,
        )

    def check(self) -> ModeSpec:
        """Raise UsageError for values out of range or options that do not fit together; return the mode."""
        spec = self.mode_spec()
        if not 1 <= self.dataset_id <= 999:
            raise UsageError(
                f"`dataset_id` must be 1..999 (nnU-Net's three digits), got {self.dataset_id}", "dataset_id"
            )
        name = self.name or self.default_name
        if not NAME_PATTERN.fullmatch(name):
            raise UsageError(f"`name` {name!r}: use letters, digits, '_' and '-' only", "name")
        if not CASE_PREFIX_PATTERN.fullmatch(self.case_prefix):
            raise UsageError(f"`case_prefix` {self.case_prefix!r}: use letters, digits and '-' only", "case_prefix")
        if self.cv_folds < 2:
            raise UsageError(f"`cv_folds` must be at least 2, got {self.cv_folds}", "cv_folds")
        check_choice("image_folder", self.image_folder, IMAGE_FOLDERS)
        for name in ("layout", "test_layout"):
            if getattr(self, name) not in (None, *LAYOUTS):
                raise UsageError(f"unknown `{name}` {getattr(self, name)!r}; choose from {', '.join(LAYOUTS)}", name)
        check_choice("other_pathology", self.other_pathology, OTHER_PATHOLOGY_CHOICES)
        if self.drop_modality is not None:
            dropped = self.dropped_modalities
            if not set(dropped) <= set(source_modalities(spec)):
                raise UsageError(
                    f"`drop_modality` {','.join(dropped)} is not among the modalities "
                    f"{','.join(source_modalities(spec))}",
                    "drop_modality",
                )
            if not isinstance(spec.inputs, InterchangeableInputs):
                raise UsageError(
                    "`drop_modality` needs interchangeable inputs (a model that accepts either modality)",
                    "drop_modality",
                )
        return spec


def source_modalities(spec: ModeSpec) -> tuple[Modality, ...]:
    """The modalities a mode reads from its source: FLAIR and T1 (their grid is the labels' as before), and
    those of its inputs."""
    used = spec.inputs.modalities if isinstance(spec.inputs, InterchangeableInputs | FixedInputs) else ()
    return tuple(dict.fromkeys((*MODALITIES, *used)))


#: Options added with modality lists: recorded in dataset.json only when set, so FLAIR/T1 datasets keep the
#: block they always had.
_LATER_OPTIONS = ("modalities", "fill_order", "exclude")


def recorded_options(options: ConvertOptions, spec: ModeSpec) -> dict[str, Any]:
    """What to make, as dataset.json's ``nnunet_wmh`` block records it (:data:`RECORDED_FIELDS`; lists for
    tuples; ``channels`` as the number of channels of interchangeable inputs). Where the cohort was read from
    and where the dataset went are recorded apart (the block's ``source``)."""
    values = asdict(options)
    recorded = {key: values[name] for key, name in RECORDED_FIELDS.items()}
    recorded = {k: list(v) if isinstance(v, tuple) else v for k, v in recorded.items()}
    for name in _LATER_OPTIONS:
        if recorded[name] in (None, []):
            del recorded[name]
    if recorded["channels"] is None:
        channels = spec.inputs.channels if isinstance(spec.inputs, InterchangeableInputs) else 2
        recorded["channels"] = channels
    return recorded
