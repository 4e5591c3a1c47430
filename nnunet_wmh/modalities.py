"""MRI contrasts, their subsets, and how a missing contrast's channel is filled.

A dataset's ``modalities`` (default FLAIR and T1) are its channel slots, in order. A case has a non-empty
*subset* of them; its *variant* names that subset, and every slot outside it is *filled*:

* ``fill="duplicate"`` (default): with the first modality of the ``fill_order`` that the case has (default
  order FLAIR > T2 > PD > T2star > SWI > T1: the contrasts in which lesions look alike come first);
* ``fill="zero"``: with an all-zero image.

``convert`` writes its cases with these rules, and the modality-dropout trainers fill the channels they drop
with the same ones, so a dropped training sample looks exactly like a converted case with those
modalities missing.

Variant names: a two-modality FLAIR/T1 dataset keeps the names it always had (``paired``, ``flair_only``,
``t1_only``); any other set names a subset by its modalities joined with ``+`` (``flair+t2``, ``t2``).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

from nnunet_wmh.errors import UsageError

#: A contrast by its short name: ``flair``, ``t1``, ``t2``, ``pd``, ``t2star``, ``swi``.
Modality = str
#: The default modalities (every command without ``modalities`` reads these two only).
MODALITIES: tuple[Modality, ...] = ("flair", "t1")
#: Every contrast the readers know, in the order ``modalities`` lists are shown.
KNOWN_MODALITIES: tuple[Modality, ...] = ("flair", "t1", "t2", "pd", "t2star", "swi")
#: Pseudo-modality of a channel filled with zeros (``fill_missing="zero"``).
ZERO = "zero"
MODALITY_NAMES: dict[str, str] = {
    "flair": "FLAIR", "t1": "T1", "t2": "T2", "pd": "PD", "t2star": "T2star", "swi": "SWI", ZERO: "zeros"
}  # fmt: skip
#: Default preference for the modality that fills a missing channel (restricted to a dataset's modalities).
DEFAULT_FILL_ORDER: tuple[Modality, ...] = ("flair", "t2", "pd", "t2star", "swi", "t1")
FILL_CHOICES = ("duplicate", "zero")
#: Variant names of the two-modality FLAIR/T1 datasets (kept as they were).
PAIRED, FLAIR_ONLY, T1_ONLY = "paired", "flair_only", "t1_only"
_LEGACY_NAMES = {("flair", "t1"): PAIRED, ("flair",): FLAIR_ONLY, ("t1",): T1_ONLY}
_LEGACY_SUFFIXES = {("flair", "t1"): "paired", ("flair",): "flair", ("t1",): "t1"}
#: Names of the fixed input plans that predate modality lists.
FIXED_INPUTS: dict[str, tuple[Modality, ...]] = {"flair": ("flair",), "t1": ("t1",), "flair_t1": ("flair", "t1")}
#: Name of the single channel of a 1-channel interchangeable FLAIR/T1 dataset (z-score normalized by nnU-Net).
EITHER_CHANNEL_NAME = "FLAIR_or_T1"
#: Above this many subsets, ``variants="all"`` is worth a warning (more cases than images).
MANY_SUBSETS = 7

Subset = tuple[Modality, ...]


def parse_modalities(value: str | Sequence[str] | None, parameter: str = "modalities") -> tuple[Modality, ...]:
    """``"flair,t1,t2"`` (or a sequence) as a checked tuple of known modalities; None gives :data:`MODALITIES`.

    Raises
    ------
    UsageError
        An unknown name, a name given twice, or an empty list (naming ``parameter``).
    """
    if value is None:
        return MODALITIES
    names = [v.strip().lower() for v in (value.split(",") if isinstance(value, str) else value)]
    names = [n for n in names if n]
    unknown = [n for n in names if n not in KNOWN_MODALITIES]
    if unknown:
        raise UsageError(
            f"unknown `{parameter}` {', '.join(unknown)}; choose from {', '.join(KNOWN_MODALITIES)}", parameter
        )
    if not names:
        raise UsageError(f"`{parameter}` is empty; give modalities such as flair,t1,t2", parameter)
    if len(set(names)) != len(names):
        raise UsageError(f"`{parameter}` names a modality twice: {','.join(names)}", parameter)
    return tuple(names)


def other_modalities(modalities: Sequence[Modality]) -> tuple[Modality, ...]:
    """The modalities beyond FLAIR and T1, in the given order: those a subject record keeps in ``others`` and
    ``conversion.tsv`` gives columns of their own."""
    return tuple(m for m in modalities if m not in MODALITIES)


def resolve_fill_order(fill_order: str | Sequence[str] | None, modalities: Sequence[Modality]) -> tuple[Modality, ...]:
    """The fill order over ``modalities``: the given modalities first, the rest in :data:`DEFAULT_FILL_ORDER`.

    Raises
    ------
    UsageError
        ``fill_order`` names a modality that is not among ``modalities``.
    """
    given = parse_modalities(fill_order, "fill_order") if fill_order is not None else ()
    outside = [m for m in given if m not in modalities]
    if outside:
        raise UsageError(
            f"`fill_order` names {', '.join(outside)}, not among the modalities {','.join(modalities)}", "fill_order"
        )
    return (*given, *(m for m in DEFAULT_FILL_ORDER if m in modalities and m not in given))


def in_channel_order(subset: Sequence[Modality], modalities: Sequence[Modality]) -> Subset:
    """``subset`` sorted into the channel order of ``modalities``."""
    return tuple(m for m in modalities if m in subset)


def all_subsets(modalities: Sequence[Modality]) -> list[Subset]:
    """Every non-empty subset, largest first, then in channel order (``(flair, t1), (flair,), (t1,)``)."""
    found = [s for size in range(len(modalities), 0, -1) for s in itertools.combinations(modalities, size)]
    return [tuple(s) for s in found]


def canonical_order(subsets: Sequence[Subset], modalities: Sequence[Modality]) -> list[Subset]:
    """``subsets`` without repeats, in :func:`all_subsets` order."""
    wanted = {in_channel_order(s, modalities) for s in subsets}
    return [s for s in all_subsets(modalities) if s in wanted]


def variant_name(subset: Sequence[Modality], modalities: Sequence[Modality]) -> str:
    """``paired``/``flair_only``/``t1_only`` in a FLAIR/T1 dataset, else ``flair+t2``-style names."""
    ordered = in_channel_order(subset, modalities)
    if tuple(modalities) == MODALITIES:
        return _LEGACY_NAMES[ordered]
    return "+".join(ordered)


def case_suffix(subset: Sequence[Modality], modalities: Sequence[Modality]) -> str:
    """The case id suffix of a variant: ``paired``/``flair``/``t1`` (FLAIR/T1 datasets), else ``flair-t2``."""
    ordered = in_channel_order(subset, modalities)
    if tuple(modalities) == MODALITIES:
        return _LEGACY_SUFFIXES[ordered]
    return "-".join(ordered)


def parse_variants(chosen: Sequence[str], modalities: Sequence[Modality], parameter: str = "variants") -> list[Subset]:
    """Variant options as subsets, in canonical order.

    Each option is ``full`` (alias ``paired``: every modality), ``all`` (every non-empty subset), a modality
    (``t2``: that one alone) or a ``+``-joined subset (``flair+t2``).

    Raises
    ------
    UsageError
        An option naming an unknown modality or one outside ``modalities``, or an empty list.
    """
    if not chosen:
        raise UsageError(f"`{parameter}` is empty", parameter)
    subsets: list[Subset] = []
    for option in chosen:
        text = option.strip().lower()
        if text in ("full", "paired"):
            subsets.append(tuple(modalities))
        elif text == "all":
            subsets += all_subsets(modalities)
        else:
            names = [n.strip() for n in text.split("+")]
            if not all(n in modalities for n in names):
                raise UsageError(
                    f"unknown `{parameter}` {option!r}; choose from full, all, a modality of {','.join(modalities)} "
                    "or several joined by '+' (flair+t2)",
                    parameter,
                )
            subsets.append(in_channel_order(names, modalities))
    return canonical_order(subsets, modalities)


def fill_channels(
    subset: Sequence[Modality], modalities: Sequence[Modality], *, fill: str, fill_order: Sequence[Modality]
) -> tuple[Modality, ...]:
    """The modality in each channel slot of a case that has ``subset``: its own, or the fill (a modality or ``zero``).

    >>> fill_channels(("t2",), ("flair", "t1", "t2"), fill="duplicate", fill_order=("flair", "t2", "t1"))
    ('t2', 't2', 't2')
    """
    if not subset:
        raise ValueError("a case needs at least one modality")
    stand_in = ZERO if fill == "zero" else next(m for m in fill_order if m in subset)
    return tuple(m if m in subset else stand_in for m in modalities)


def fill_sources(kept: Sequence[int], channels: int, *, fill: str, fill_order: Sequence[int]) -> list[int | None]:
    """:func:`fill_channels` by channel index: the channel each slot is copied from (None: zeros).

    Parameters
    ----------
    kept
        Indices of the channels a sample keeps.
    channels
        Number of channels, k.
    fill, fill_order
        ``duplicate`` or ``zero``; the channel indices in order of preference as stand-ins.
    """
    if fill == "zero":
        return [i if i in kept else None for i in range(channels)]
    stand_in = next(i for i in fill_order if i in kept)
    return [i if i in kept else stand_in for i in range(channels)]
