"""The input configurations of the study, as in the paper, and which of them a source allows.

Each trained configuration is one ``convert`` mode, one trainer family and the input variants its test
cases come in; ``separate_models`` trains nothing: it combines the lesion prediction of the best lesion
configuration with atlas regions registered to each test subject.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nnunet_wmh.conversion_table import FLAIR_ONLY, PAIRED, T1_ONLY
from nnunet_wmh.errors import UsageError

#: Trainer families: nnU-Net's default trainer, modality dropout, lesion-weighted multi-task.
STOCK, DROPOUT, MULTITASK = "stock", "dropout", "multitask"


@dataclass(frozen=True)
class StudyConfig:
    """One configuration of the study.

    Attributes
    ----------
    name
        ``flair``, ``t1``, ``flair_t1``, ``interchangeable``, ``interchangeable_dropout``, ``multitask_joint``,
        ``multitask_separate`` or ``separate_models``.
    index
        Fixed position: dataset id = ``dataset_id_base`` + index.
    convert
        :class:`~nnunet_wmh.dataset_conversion.options.ConvertOptions` fields (mode and its options); empty
        for ``separate_models``.
    family
        Trainer family (:data:`STOCK`, :data:`DROPOUT`, :data:`MULTITASK`); empty for ``separate_models``.
    variants
        Input variants of its test cases.
    regions
        It predicts anatomical regions as well as lesions (localization table).
    decode
        nnU-Net's probabilities are decoded into joint labels (``multitask --encoding separate``).
    summary
        One line for tables and the page.
    """

    name: str
    index: int
    convert: dict[str, Any] = field(default_factory=dict)
    family: str = ""
    variants: tuple[str, ...] = (PAIRED,)
    regions: bool = False
    decode: bool = False
    summary: str = ""

    @property
    def trained(self) -> bool:
        """Whether the configuration trains a model of its own."""
        return bool(self.family)


ALL_VARIANTS = (PAIRED, FLAIR_ONLY, T1_ONLY)
CONFIGS: dict[str, StudyConfig] = {
    c.name: c
    for c in (
        StudyConfig("flair", 0, {"mode": "flair"}, STOCK, (FLAIR_ONLY,), summary="FLAIR only"),
        StudyConfig("t1", 1, {"mode": "t1"}, STOCK, (T1_ONLY,), summary="T1 only"),
        StudyConfig("flair_t1", 2, {"mode": "flair_t1"}, STOCK, (PAIRED,), summary="FLAIR + T1"),
        StudyConfig(
            "interchangeable",
            3,
            {"mode": "interchangeable"},
            STOCK,
            ALL_VARIANTS,
            summary="modality-interchangeable: every subject as FLAIR + T1, FLAIR twice and T1 twice",
        ),
        StudyConfig(
            "interchangeable_dropout",
            4,
            {"mode": "interchangeable", "train_variants": ("paired",)},
            DROPOUT,
            ALL_VARIANTS,
            summary="modality-interchangeable: paired cases, modality dropout in training",
        ),
        StudyConfig(
            "multitask_joint",
            5,
            {"mode": "multitask", "encoding": "joint"},
            STOCK,
            regions=True,
            summary="one model for lesions and regions, joint labels (softmax)",
        ),
        StudyConfig(
            "multitask_separate",
            6,
            {"mode": "multitask", "encoding": "separate"},
            MULTITASK,
            regions=True,
            decode=True,
            summary="one model, lesion and regions as separate outputs, lesion-weighted loss",
        ),
        StudyConfig(
            "separate_models",
            7,
            regions=True,
            summary="the best lesion model + atlas regions registered to each subject",
        ),
    )
}
LESION_CONFIGS = ("flair", "t1", "flair_t1", "interchangeable", "interchangeable_dropout")
REGION_CONFIGS = ("multitask_joint", "multitask_separate", "separate_models")


def select_configs(names: Sequence[str] | None, *, has_regions: bool, has_atlas: bool) -> list[StudyConfig]:
    """The configurations to run, in :data:`CONFIGS` order.

    Parameters
    ----------
    names
        Chosen names; None or empty for every configuration the source allows.
    has_regions
        Region maps exist for every subject (the source's, or an atlas registered to them).
    has_atlas
        An atlas is given (``separate_models`` registers it to the test subjects).

    Raises
    ------
    UsageError
        Unknown names, or a configuration the inputs do not allow (saying what it needs).
    """
    if not names:
        chosen = [n for n in CONFIGS if n in LESION_CONFIGS or (has_regions and n != "separate_models")]
        chosen += ["separate_models"] if has_atlas and has_regions else []
        return [CONFIGS[n] for n in CONFIGS if n in chosen]
    unknown = [n for n in names if n not in CONFIGS]
    if unknown:
        raise UsageError(f"unknown `configs` {unknown}; choose from {', '.join(CONFIGS)}", "configs")
    if not has_regions and any(CONFIGS[n].regions for n in names):
        raise UsageError(
            "`configs` multitask_* and separate_models need region maps: a source with region maps or an atlas "
            "(`atlas_image`, `atlas_labels`, `region_table`)",
            "configs",
        )
    if "separate_models" in names:
        if not has_atlas:
            raise UsageError("`configs` separate_models needs an atlas (`atlas_image`, `atlas_labels`)", "configs")
        if not any(n in LESION_CONFIGS for n in names):
            raise UsageError("`configs` separate_models needs a lesion configuration (e.g. flair_t1)", "configs")
    return [CONFIGS[n] for n in CONFIGS if n in names]
