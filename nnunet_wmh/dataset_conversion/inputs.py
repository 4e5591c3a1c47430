"""Input plans: which image goes into which nnU-Net channel, for each case a subject yields.

* ``flair``, ``t1``: one channel.
* ``flair_t1``: channels FLAIR, T1; both required.
* ``interchangeable`` (2 channels): the paired case (FLAIR, T1), plus duplicated-channel cases
  (FLAIR, FLAIR) and (T1, T1) for subjects with both — the channel-duplication trick; a subject with
  one modality gets the available image duplicated into the missing channel.
* ``interchangeable`` with 1 channel: one single-channel case per available modality (the paper's
  design: one model that accepts either image).
* ``fill_missing="zero"``: the missing channel is an all-zero image instead of a duplicate (for models
  trained with zero-filling modality dropout).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nnunet_wmh.cohorts.subject import MODALITY_NAMES, ZERO, Modality, Subject
from nnunet_wmh.conversion_table import FLAIR_ONLY, PAIRED, T1_ONLY
from nnunet_wmh.errors import UsageError

#: ``variants`` names → variant names in conversion.tsv.
VARIANT_OPTIONS = {"paired": PAIRED, "flair": FLAIR_ONLY, "t1": T1_ONLY}
#: Case id suffix per variant.
VARIANT_SUFFIXES = {PAIRED: "paired", FLAIR_ONLY: "flair", T1_ONLY: "t1"}
#: Name of the single channel of a 1-channel interchangeable dataset (z-score normalized by nnU-Net).
EITHER_CHANNEL_NAME = "FLAIR_or_T1"
FILL_CHOICES = ("duplicate", "zero")


@dataclass(frozen=True)
class ChannelSet:
    """The channels of one case.

    Attributes
    ----------
    variant
        ``""`` for plain modes; ``"paired"``, ``"flair_only"`` or ``"t1_only"`` for interchangeable.
    channels
        Modality in each channel, e.g. ``("flair", "flair")``.
    """

    variant: str
    channels: tuple[Modality, ...]


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
    """One case per subject with fixed modalities per channel (``flair``, ``t1``, ``flair_t1``)."""

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
    """Either modality can stand in for the other (see module docstring)."""

    name = "interchangeable"

    def __init__(
        self,
        variants: Sequence[str] | None = None,
        channels: int = 2,
        fill_missing: str = "duplicate",
        train_variants: Sequence[str] | None = None,
    ) -> None:
        if channels not in (1, 2):
            raise UsageError(f"`channels` must be 1 or 2, got {channels}", "channels")
        if fill_missing not in FILL_CHOICES:
            raise UsageError(
                f"`fill_missing` must be one of {', '.join(FILL_CHOICES)}, got {fill_missing!r}", "fill_missing"
            )
        if fill_missing == "zero" and channels == 1:
            raise UsageError("`fill_missing` zero needs two `channels`", "fill_missing")
        default = ("paired", "flair", "t1") if channels == 2 else ("flair", "t1")
        self.variants = _checked_variants(tuple(variants) if variants else default, channels, "variants")
        self.train_variants = (
            _checked_variants(tuple(train_variants), channels, "train_variants") if train_variants else self.variants
        )
        self.channels = channels
        self.fill_missing = fill_missing

    def channel_names(self) -> dict[str, str]:
        if self.channels == 1:
            return {"0": EITHER_CHANNEL_NAME}
        return {"0": "FLAIR", "1": "T1"}

    def _single(self, modality: Modality) -> ChannelSet:
        variant = FLAIR_ONLY if modality == "flair" else T1_ONLY
        if self.fill_missing == "zero":
            return ChannelSet(variant, (modality, ZERO) if modality == "flair" else (ZERO, modality))
        return ChannelSet(variant, (modality,) * self.channels)

    def channel_sets(self, subject: Subject) -> list[ChannelSet]:
        available = subject.modalities()
        if not available:
            raise MissingModalityError("flair", "neither FLAIR nor T1 image")
        if len(available) == 1:
            return [self._single(available[0])]
        variants = self.train_variants if subject.split == "train" else self.variants
        sets = []
        if PAIRED in variants:
            sets.append(ChannelSet(PAIRED, ("flair", "t1")))
        sets += [self._single(m) for m, v in (("flair", FLAIR_ONLY), ("t1", T1_ONLY)) if v in variants]
        return sets

    def describe(self) -> dict:
        described = {**super().describe(), "variants": list(self.variants), "fill_missing": self.fill_missing}
        if self.train_variants != self.variants:
            described["train_variants"] = list(self.train_variants)
        return described


def _checked_variants(chosen: tuple[str, ...], channels: int, parameter: str) -> tuple[str, ...]:
    """``chosen`` (``paired``, ``flair``, ``t1``) as variant names; raises UsageError for bad ones."""
    unknown = [v for v in chosen if v not in VARIANT_OPTIONS]
    if unknown:
        raise UsageError(f"unknown `{parameter}` {unknown}; choose from {', '.join(VARIANT_OPTIONS)}", parameter)
    if channels == 1 and "paired" in chosen:
        raise UsageError(f"`{parameter}` paired needs two channels; drop it or use `channels` 2", parameter)
    if not chosen:
        raise UsageError(f"`{parameter}` is empty", parameter)
    return tuple(VARIANT_OPTIONS[v] for v in chosen)


def make_input_plan(
    inputs: str,
    *,
    variants: Sequence[str] | None = None,
    channels: int = 2,
    fill_missing: str = "duplicate",
    train_variants: Sequence[str] | None = None,
) -> InputPlan:
    """Build the plan for ``flair``, ``t1``, ``flair_t1`` or ``interchangeable``."""
    fixed = {"flair": ("flair",), "t1": ("t1",), "flair_t1": ("flair", "t1")}
    if inputs in fixed:
        for name, value in (("variants", variants), ("train_variants", train_variants)):
            if value:
                raise UsageError(f"`{name}` applies to interchangeable inputs only", name)
        if channels != 2:
            raise UsageError("`channels` applies to interchangeable inputs only", "channels")
        if fill_missing != "duplicate":
            raise UsageError("`fill_missing` applies to interchangeable inputs only", "fill_missing")
        return FixedInputs(inputs, fixed[inputs])  # type: ignore[arg-type]
    if inputs == "interchangeable":
        return InterchangeableInputs(variants, channels, fill_missing, train_variants)
    raise UsageError(f"unknown `inputs` {inputs!r}; choose from flair, t1, flair_t1, interchangeable", "inputs")
