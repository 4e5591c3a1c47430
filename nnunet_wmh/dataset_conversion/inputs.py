"""Input plans: which image goes into which nnU-Net channel, for each case a subject yields.

* ``flair``, ``t1``, ``flair_t1``, or any list of modalities (``flair,t2``): one channel per modality; every
  one required.
* ``interchangeable`` over the dataset's ``modalities`` (default FLAIR, T1; any list, e.g. FLAIR, T1, T2):
  one channel per modality. A subject with every modality gives one case per chosen variant (default: the
  full set and each modality alone); a subject with some of them gives a case with what it has (and the
  chosen variants within that). Each channel outside a case's subset is filled by the rule of
  :mod:`nnunet_wmh.modalities`: a copy of the first available modality of the ``fill_order`` (the
  channel-duplication trick; ``fill_missing="duplicate"``), or an all-zero image (``fill_missing="zero"``,
  for models trained with zero-filling modality dropout).
* ``interchangeable`` with 1 channel: one single-channel case per available modality (the paper's design:
  one model that accepts either image).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, Modality, Subject
from nnunet_wmh.errors import UsageError
from nnunet_wmh.modalities import (
    EITHER_CHANNEL_NAME,
    FILL_CHOICES,
    FIXED_INPUTS,
    MANY_SUBSETS,
    Subset,
    canonical_order,
    case_suffix,
    fill_channels,
    parse_modalities,
    parse_variants,
    resolve_fill_order,
    variant_name,
)
from nnunet_wmh.runs.options import check_choice

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChannelSet:
    """The channels of one case.

    Attributes
    ----------
    variant
        ``""`` for plain modes; for interchangeable inputs the subset of modalities the case has:
        ``"paired"``, ``"flair_only"`` or ``"t1_only"`` (FLAIR/T1 datasets), ``"flair+t2"`` (others).
    channels
        Modality in each channel (or ``zero``), e.g. ``("flair", "flair")``.
    suffix
        The case id suffix of the variant (``paired``, ``flair``, ``flair-t2``); ``""`` for plain modes.
    """

    variant: str
    channels: tuple[Modality, ...]
    suffix: str = field(default="", compare=False)


class MissingModalityError(Exception):
    """Raised by a plan when a subject lacks an image the plan needs (turned into InputDataError)."""

    def __init__(self, modality: Modality, message: str) -> None:
        self.modality = modality
        super().__init__(message)


class InputPlan:
    """Base class: subclasses set :attr:`name` and implement the two methods."""

    name: str = ""

    def channel_names(self) -> dict[str, str]:
        """nnU-Net's ``channel_names`` (index as string → name)."""
        raise NotImplementedError

    def channel_sets(self, subject: Subject) -> list[ChannelSet]:
        """The cases of one subject; raises :class:`MissingModalityError` if it cannot have any."""
        raise NotImplementedError

    def describe(self) -> dict:
        """What dataset.json records about the inputs."""
        return {"inputs": self.name, "channels": len(self.channel_names())}


class FixedInputs(InputPlan):
    """One case per subject with fixed modalities per channel (``flair``, ``t1``, ``flair_t1``, ``flair,t2``)."""

    def __init__(self, name: str, modalities: tuple[Modality, ...]) -> None:
        self.name = name
        self.modalities = modalities

    def channel_names(self) -> dict[str, str]:
        return {str(i): MODALITY_NAMES[m] for i, m in enumerate(self.modalities)}

    def channel_sets(self, subject: Subject) -> list[ChannelSet]:
        missing = [m for m in self.modalities if subject.image(m) is None]
        if missing:
            needed = " and ".join(MODALITY_NAMES[m] for m in self.modalities)
            hint = (
                "; `mode` interchangeable fills a missing modality by duplication" if len(self.modalities) > 1 else ""
            )
            names = " or ".join(MODALITY_NAMES[m] for m in missing)
            raise MissingModalityError(missing[0], f"no {names} image (inputs {self.name} need {needed}){hint}")
        return [ChannelSet("", self.modalities)]


class InterchangeableInputs(InputPlan):
    """Any non-empty subset of the modalities can stand in for the full set (see module docstring)."""

    name = "interchangeable"

    def __init__(
        self,
        variants: Sequence[str] | None = None,
        channels: int | None = None,
        fill_missing: str = "duplicate",
        train_variants: Sequence[str] | None = None,
        *,
        modalities: Sequence[Modality] = MODALITIES,
        fill_order: Sequence[Modality] | None = None,
    ) -> None:
        self.modalities = parse_modalities(modalities)
        k = len(self.modalities)
        channels = k if channels is None else channels
        if k < 2:
            raise UsageError("interchangeable inputs need at least two `modalities`", "modalities")
        if channels not in (1, k):
            raise UsageError(f"`channels` must be 1 or {k} (one per modality), got {channels}", "channels")
        check_choice("fill_missing", fill_missing, FILL_CHOICES)
        if fill_missing == "zero" and channels == 1:
            raise UsageError("`fill_missing` zero needs one channel per modality", "fill_missing")
        self.channels = channels
        self.fill_missing = fill_missing
        self.fill_order = resolve_fill_order(fill_order, self.modalities)
        singles = [(m,) for m in self.modalities]
        default = ([tuple(self.modalities)] if channels > 1 else []) + singles
        self.subsets = self._checked(variants, "variants") if variants else canonical_order(default, self.modalities)
        self.train_subsets = self._checked(train_variants, "train_variants") if train_variants else self.subsets

    def _checked(self, chosen: Sequence[str], parameter: str) -> list[Subset]:
        subsets = parse_variants(chosen, self.modalities, parameter)
        if len(subsets) > MANY_SUBSETS:
            logger.warning(
                "`%s` gives %d cases per subject with all %d modalities (every non-empty subset); each is a full "
                "set of images on disk (hard links) and in nnU-Net's preprocessed data",
                parameter, len(subsets), len(self.modalities),
            )  # fmt: skip
        several = [option for option in chosen if len(parse_variants([option], self.modalities)[0]) > 1]
        if self.channels == 1 and several:
            raise UsageError(
                f"`{parameter}` {', '.join(several)} needs one channel per modality; drop it or use `channels` "
                f"{len(self.modalities)}",
                parameter,
            )
        return subsets

    @property
    def variants(self) -> tuple[str, ...]:
        """Variant names of a subject with every modality (test subjects)."""
        return tuple(variant_name(s, self.modalities) for s in self.subsets)

    @property
    def train_variants(self) -> tuple[str, ...]:
        """Variant names of a training subject with every modality."""
        return tuple(variant_name(s, self.modalities) for s in self.train_subsets)

    def channel_names(self) -> dict[str, str]:
        if self.channels == 1:
            names = [MODALITY_NAMES[m] for m in self.modalities]
            return {"0": EITHER_CHANNEL_NAME if self.modalities == MODALITIES else "_or_".join(names)}
        return {str(i): MODALITY_NAMES[m] for i, m in enumerate(self.modalities)}

    def case_channels(self, subset: Sequence[Modality]) -> ChannelSet:
        """The channels of a case with ``subset`` of the modalities (filled per :attr:`fill_missing`)."""
        name, suffix = variant_name(subset, self.modalities), case_suffix(subset, self.modalities)
        if self.channels == 1:
            return ChannelSet(name, tuple(subset), suffix)
        filled = fill_channels(subset, self.modalities, fill=self.fill_missing, fill_order=self.fill_order)
        return ChannelSet(name, filled, suffix)

    def subsets_of(self, subject: Subject) -> list[Subset]:
        """The modality subsets of the cases ``subject`` gives."""
        available = subject.modalities(self.modalities)
        if not available:
            names = [MODALITY_NAMES[m] for m in self.modalities]
            what = "neither FLAIR nor T1" if len(names) == 2 else f"none of the {', '.join(names)}"
            raise MissingModalityError(self.modalities[0], f"{what} image{'s' if len(names) > 2 else ''}")
        chosen = self.train_subsets if subject.split == "train" else self.subsets
        if self.channels == 1:
            return [s for s in chosen if s[0] in available] or [available[:1]]
        if available == self.modalities:
            return list(chosen)
        within = [available if len(s) == len(self.modalities) else s for s in chosen]
        return canonical_order([s for s in within if set(s) <= set(available)], self.modalities) or [available]

    def channel_sets(self, subject: Subject) -> list[ChannelSet]:
        return [self.case_channels(s) for s in self.subsets_of(subject)]

    def describe(self) -> dict:
        described = {**super().describe(), "variants": list(self.variants), "fill_missing": self.fill_missing}
        if self.train_variants != self.variants:
            described["train_variants"] = list(self.train_variants)
        if self.modalities != MODALITIES:  # FLAIR/T1 datasets keep the block they always had
            described["modalities"] = list(self.modalities)
            described["fill_order"] = list(self.fill_order)
        return described


def make_input_plan(inputs: str, **plan_options: Any) -> InputPlan:
    """Build the plan for ``flair``, ``t1``, ``flair_t1``, a modality list (``flair,t2``) or ``interchangeable``.

    ``plan_options`` are :class:`InterchangeableInputs`'s (``variants``, ``channels``, ``fill_missing``,
    ``train_variants``, ``modalities``, ``fill_order``); fixed inputs take none of them but their defaults.

    Raises
    ------
    UsageError
        Unknown inputs, or an option of interchangeable inputs given to fixed ones (naming it).
    """
    if inputs == "interchangeable":
        return InterchangeableInputs(**plan_options)
    defaults = inspect.signature(InterchangeableInputs).parameters
    for name, value in plan_options.items():
        default = defaults[name].default
        same = value is None or value == default or (isinstance(value, list | tuple) and tuple(value) == default)
        if not same:
            raise UsageError(f"`{name}` applies to interchangeable inputs only (fixed inputs name their own)", name)
    if inputs in FIXED_INPUTS:
        return FixedInputs(inputs, FIXED_INPUTS[inputs])
    if "," not in inputs and inputs not in MODALITY_NAMES:
        raise UsageError(
            f"unknown `inputs` {inputs!r}; choose from flair, t1, flair_t1, interchangeable or a list of modalities "
            "(flair,t2)",
            "inputs",
        )
    listed = parse_modalities(inputs, "inputs")
    legacy = next((name for name, mods in FIXED_INPUTS.items() if mods == listed), None)
    return FixedInputs(legacy or ",".join(listed), listed)
