"""The input configurations of the study, as in the paper, and which of them a source allows.

Each trained configuration is one ``convert`` mode, one trainer family and the input variants its test
cases come in; ``separate_models`` trains nothing: it combines the lesion prediction of the best lesion
configuration with atlas regions registered to each test subject.

Beyond FLAIR and T1, three configurations take a list of modalities (``NAME:flair,t1,t2``; named
``NAME_flair_t1_t2`` in tables and folders):

* ``interchangeable:LIST``: every subject as the full set and as each modality alone, channels filled by
  duplication; tested on every non-empty subset of the modalities;
* ``interchangeable_dropout:LIST``: full-set training cases, modality dropout over the k channels; tested on
  every subset;
* ``fixed:LIST``: one channel per modality, each one required (a stock nnU-Net model of those contrasts).

Their dataset ids follow the paper's eight: base + 8, + 9, ... in the order given.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nnunet_wmh.conversion_table import FLAIR_ONLY, PAIRED, T1_ONLY, variant_of_channels
from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import KNOWN_MODALITIES, MODALITY_NAMES, all_subsets, parse_modalities, variant_name

#: Trainer families: nnU-Net's default trainer, modality dropout, lesion-weighted multi-task (separate outputs),
#: multi-task on joint labels (one softmax). Both multi-task families train without mirroring
#: (:mod:`nnunet_wmh.training.positional`).
STOCK, DROPOUT, MULTITASK, JOINT = "stock", "dropout", "multitask", "joint"


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
        nnU-Net's probabilities are decoded into joint labels (``nnunet_wmh decode``: the separate outputs, or
        the joint softmax's marginals).
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
    modalities: tuple[str, ...] = ()

    @property
    def takes_list(self) -> bool:
        """Whether it is a configuration over a list of modalities (``interchangeable:flair,t1,t2``)."""
        return bool(self.modalities)

    @property
    def is_lesion_config(self) -> bool:
        """Whether it predicts lesions only (a candidate for the best lesion model)."""
        return self.name in LESION_CONFIGS or self.takes_list

    @property
    def trained(self) -> bool:
        """Whether the configuration trains a model of its own."""
        return bool(self.family)


ALL_VARIANTS = (PAIRED, FLAIR_ONLY, T1_ONLY)
# fmt: off
CONFIGS: dict[str, StudyConfig] = {c.name: c for c in (
    StudyConfig("flair", 0, {"mode": "flair"}, STOCK, (FLAIR_ONLY,), summary="FLAIR only"),
    StudyConfig("t1", 1, {"mode": "t1"}, STOCK, (T1_ONLY,), summary="T1 only"),
    StudyConfig("flair_t1", 2, {"mode": "flair_t1"}, STOCK, (PAIRED,), summary="FLAIR + T1"),
    StudyConfig("interchangeable", 3, {"mode": "interchangeable"}, STOCK, ALL_VARIANTS,
                summary="modality-interchangeable: every subject as FLAIR + T1, FLAIR twice and T1 twice"),
    StudyConfig("interchangeable_dropout", 4, {"mode": "interchangeable", "train_variants": ("paired",)}, DROPOUT,
                ALL_VARIANTS, summary="modality-interchangeable: paired cases, modality dropout in training"),
    StudyConfig("multitask_joint", 5, {"mode": "multitask", "encoding": "joint"}, JOINT, regions=True, decode=True,
                summary="one model for lesions and regions, joint labels (softmax) read through their marginals"),
    StudyConfig("multitask_separate", 6, {"mode": "multitask", "encoding": "separate"}, MULTITASK, regions=True,
                decode=True, summary="one model, lesion and regions as separate outputs, lesion-weighted loss"),
    StudyConfig("separate_models", 7, regions=True,
                summary="the best lesion model + atlas regions registered to each subject"),
)}
# fmt: on
LESION_CONFIGS = ("flair", "t1", "flair_t1", "interchangeable", "interchangeable_dropout")


def select_configs(names: Sequence[str] | None) -> list[StudyConfig]:
    """The configurations to run, in :data:`CONFIGS` order.

    The region configurations need no region maps in the source: the study registers an atlas (the one
    given, else the built-in MNI152 atlas) to every subject, as ``segment`` does.

    Parameters
    ----------
    names
        Chosen names; None or empty for the paper's eight.

    Raises
    ------
    UsageError
        Unknown names, or ``separate_models`` without a lesion configuration to take its lesions from.
    """
    if not names:
        return list(CONFIGS.values())
    resolved = resolve_configs(names)
    if any(c.name == "separate_models" for c in resolved) and not any(c.is_lesion_config for c in resolved):
        raise UsageError("`configs` separate_models needs a lesion configuration (e.g. flair_t1)", "configs")
    return resolved


#: Configurations that take a list of modalities (``NAME:flair,t1,t2``).
LIST_CONFIGS = ("interchangeable_dropout", "interchangeable", "fixed")
#: Index of the first configuration over a list of modalities (after the paper's eight).
FIRST_LIST_INDEX = len(CONFIGS)
_CANONICAL = re.compile(
    rf"^({'|'.join(LIST_CONFIGS)})_((?:{'|'.join(KNOWN_MODALITIES)})(?:_(?:{'|'.join(KNOWN_MODALITIES)}))*)$"
)


def parse_list_config(name: str) -> tuple[str, tuple[str, ...]] | None:
    """``("interchangeable_dropout", ("flair", "t1", "t2"))`` from ``interchangeable_dropout:flair,t1,t2`` (``+``
    also joins) or the canonical ``interchangeable_dropout_flair_t1_t2``; None for other names.

    Raises
    ------
    UsageError
        A ``NAME:LIST`` whose name takes no list, or whose list is not a list of known modalities.
    """
    base, colon, listed = name.partition(":")
    if colon:
        if base not in LIST_CONFIGS:
            raise UsageError(f"`configs` {name!r}: only {', '.join(LIST_CONFIGS)} take a list of modalities", "configs")
        modalities = parse_modalities(listed.replace("+", ","), "configs")
    else:
        match = _CANONICAL.match(name)
        if not match:
            return None
        base, modalities = match.group(1), tuple(match.group(2).split("_"))
    if base != "fixed" and len(modalities) < 2:
        raise UsageError(f"`configs` {name!r}: {base} needs at least two modalities", "configs")
    return base, modalities


def list_config(base: str, modalities: tuple[str, ...], index: int) -> StudyConfig:
    """The configuration ``base`` over ``modalities`` (see the module docstring), with its dataset index."""
    name = f"{base}_{'_'.join(modalities)}"
    shown = " + ".join(MODALITY_NAMES[m] for m in modalities)
    every = tuple(variant_name(s, modalities) for s in all_subsets(modalities))
    if base == "fixed":
        variant = variant_of_channels([MODALITY_NAMES[m] for m in modalities])
        return StudyConfig(name, index, {"mode": ",".join(modalities)}, STOCK, (variant,), summary=shown,
                           modalities=modalities)  # fmt: skip
    convert = {"mode": "interchangeable", "modalities": modalities, "variants": ("all",)}
    if base == "interchangeable":
        convert["train_variants"] = ("full", *modalities)
        summary = f"modality-interchangeable over {shown}: the full set and each alone, filled by duplication"
        return StudyConfig(name, index, convert, STOCK, every, summary=summary, modalities=modalities)
    convert["train_variants"] = ("full",)
    summary = f"modality-interchangeable over {shown}: full sets, modality dropout over {len(modalities)} channels"
    return StudyConfig(name, index, convert, DROPOUT, every, summary=summary, modalities=modalities)


def resolve_configs(names: Sequence[str]) -> list[StudyConfig]:
    """Configurations by name: the paper's eight in :data:`CONFIGS` order, then those over modality lists in the
    order given (dataset indices 8, 9, ...), each once.

    Raises
    ------
    UsageError
        An unknown name.
    """
    listed: list[tuple[str, tuple[str, ...]]] = []
    plain = []
    for name in names:
        parsed = parse_list_config(name)
        if parsed is None:
            if name not in CONFIGS:
                raise UsageError(
                    f"unknown `configs` {[name]}; choose from {', '.join(CONFIGS)} or {', '.join(LIST_CONFIGS)} with "
                    "a list of modalities (interchangeable_dropout:flair,t1,t2)",
                    "configs",
                )
            plain.append(name)
        elif parsed not in listed:
            listed.append(parsed)
    ordered = [CONFIGS[n] for n in CONFIGS if n in plain]
    return ordered + [list_config(b, m, FIRST_LIST_INDEX + i) for i, (b, m) in enumerate(listed)]


def join_config_tokens(tokens: Sequence[str]) -> list[str]:
    """A comma-split ``--configs`` value put back together: modality names right after ``NAME:flair`` belong to
    its list (``interchangeable_dropout:flair``, ``t1``, ``t2`` → ``interchangeable_dropout:flair,t1,t2``). Put
    such configurations last, or join their modalities with ``+``, to list ``flair`` or ``t1`` on their own."""
    joined: list[str] = []
    for token in tokens:
        if joined and ":" in joined[-1] and token in KNOWN_MODALITIES:
            joined[-1] += f",{token}"
        else:
            joined.append(token)
    return joined
