"""Conversion modes: a mode is an input plan (channels) plus a label target.

=================  ==========================  ==================================================
mode               channels (``--inputs``)     labels
=================  ==========================  ==================================================
``flair``          FLAIR                       0 background, 1 WMH, 2 ignore
``t1``             T1                          same
``flair_t1``       FLAIR, T1                   same
``interchangeable`` ``modalities`` (FLAIR, T1;   same
                   any subset, filled)
``flair,t2`` ...   the listed modalities         same (any list of modalities: fixed inputs)
``multitask``      ``--inputs`` (flair_t1)     joint lesion × region labels (``--encoding joint``,
                                               softmax) or one sigmoid output per region and one for
                                               lesions (``--encoding separate``)
``regions``        ``--inputs`` (flair_t1)     region labels
=================  ==========================  ==================================================
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnunet_wmh.cohorts.subject import KNOWN_MODALITIES
from nnunet_wmh.dataset_conversion.inputs import InputPlan, make_input_plan
from nnunet_wmh.errors import UsageError

LESION_MODES = ("flair", "t1", "flair_t1", "interchangeable")
REGION_MODES = ("multitask", "regions")
MODES = LESION_MODES + REGION_MODES
DEFAULT_REGION_MODE_INPUTS = "flair_t1"
MULTITASK_ENCODINGS = ("joint", "separate")
#: What becomes of the challenge's label 2 (other pathology).
OTHER_PATHOLOGY_CHOICES = ("ignore", "background", "lesion")


@dataclass(frozen=True)
class ModeSpec:
    """A parsed mode: its name, label target kind and input plan."""

    name: str
    target_kind: str  # "lesion", "joint", "separate" or "regions"
    inputs: InputPlan


def parse_mode(mode: str, *, inputs: str | None = None, encoding: str | None = None, **plan_options: Any) -> ModeSpec:
    """Turn ``--mode`` and its options into a :class:`ModeSpec`.

    Parameters
    ----------
    mode, inputs, encoding
        As :class:`~nnunet_wmh.dataset_conversion.options.ConvertOptions` names them.
    **plan_options
        The input plan's options: ``variants``, ``train_variants``, ``channels``, ``fill_missing``,
        ``modalities``, ``fill_order`` (:func:`~nnunet_wmh.dataset_conversion.inputs.make_input_plan`).

    Raises
    ------
    UsageError
        Unknown mode or encoding, ``--inputs`` given to a mode that fixes its own inputs, or
        ``--encoding`` given to a mode other than multitask.
    """
    if mode not in MODES and not is_modality_list(mode):
        raise UsageError(
            f"unknown `mode` {mode!r}; choose from {', '.join(MODES)} or a list of modalities (flair,t2)", "mode"
        )
    if encoding is not None and mode != "multitask":
        raise UsageError("`encoding` applies to `mode` multitask", "encoding")
    if encoding not in (None, *MULTITASK_ENCODINGS):
        raise UsageError(f"unknown `encoding` {encoding!r}; choose from {', '.join(MULTITASK_ENCODINGS)}", "encoding")
    if is_modality_list(mode):
        if inputs is not None and inputs != mode:
            raise UsageError(f"`inputs` applies to `mode` multitask/regions; mode {mode} fixes its inputs", "inputs")
        return ModeSpec(mode, "lesion", make_input_plan(mode, **plan_options))
    if mode in LESION_MODES:
        if inputs is not None and inputs != mode:
            raise UsageError(f"`inputs` applies to `mode` multitask/regions; mode {mode} fixes its inputs", "inputs")
        return ModeSpec(mode, "lesion", make_input_plan(mode, **plan_options))
    target_kind = (encoding or "joint") if mode == "multitask" else "regions"
    return ModeSpec(mode, target_kind, make_input_plan(inputs or DEFAULT_REGION_MODE_INPUTS, **plan_options))


def is_modality_list(mode: str) -> bool:
    """Whether ``mode`` is a list of modalities (``flair,t2``, ``t2``): fixed inputs, one channel each."""
    names = [n.strip() for n in mode.split(",")]
    return mode not in MODES and all(n in KNOWN_MODALITIES for n in names)
