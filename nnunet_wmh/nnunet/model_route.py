"""What a trained model takes and gives (its *route*), from its dataset.json.

The route (which images a case needs in which channel, how the labels read) comes from the ``nnunet_wmh`` block
that ``convert`` writes into dataset.json. A model without that block (any nnU-Net WMH model) is read by its
channel names (``FLAIR``, ``T1``/``T1w``, ``FLAIR_or_T1``) and the label named like ``wmh``/``lesion``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.dataset_json import JOINT_ENCODINGS
from nnunet_wmh.modalities import EITHER_CHANNEL_NAME, FIXED_INPUTS, MODALITIES, Modality, parse_modalities

CHANNEL_PATTERNS: tuple[tuple[Modality, re.Pattern[str]], ...] = (
    ("flair", re.compile(r"flair", re.IGNORECASE)),
    ("t1", re.compile(r"^t1(w|_?weighted)?$|mprage", re.IGNORECASE)),
    ("t2", re.compile(r"^t2(w|_?weighted)?$", re.IGNORECASE)),
    ("pd", re.compile(r"^pd(w|_?weighted)?$|proton", re.IGNORECASE)),
    ("t2star", re.compile(r"^t2(\*|star)w?$", re.IGNORECASE)),
    ("swi", re.compile(r"^swi$", re.IGNORECASE)),
)
LESION_LABEL_NAME = re.compile(r"wmh|lesion|hyperintens", re.IGNORECASE)


@dataclass(frozen=True)
class ModelRoute:
    """What a model takes and gives.

    Attributes
    ----------
    inputs
        ``flair``, ``t1``, ``flair_t1``, a modality list ``flair,t2`` (fixed channels, in ``modalities`` order) or
        ``interchangeable``.
    modalities
        The modality of each channel (fixed inputs) or the channel slots (interchangeable inputs).
    channels, fill_missing
        Interchangeable inputs: 1 or one channel per modality; ``duplicate`` or ``zero`` for a missing modality.
    encoding
        ``lesion`` (a label map with a lesion label), ``joint`` or ``separate`` (multitask: lesions and regions).
    lesion_label
        The lesion label of ``lesion`` models.
    described_by
        ``nnunet_wmh`` (the dataset.json block) or ``channel names``.
    """

    inputs: str
    modalities: tuple[Modality, ...]
    channels: int
    fill_missing: str
    encoding: str
    lesion_label: int
    described_by: str
    fill_order: tuple[Modality, ...] | None = None

    @property
    def reads(self) -> tuple[Modality, ...]:
        """The modalities to look for in a cohort: FLAIR and T1, and the model's others."""
        return tuple(dict.fromkeys((*MODALITIES, *self.modalities)))

    @property
    def has_regions(self) -> bool:
        """Whether the model predicts regions as well as lesions."""
        return self.encoding in JOINT_ENCODINGS


def _route_from_block(block: dict[str, Any], dataset_json: dict[str, Any]) -> ModelRoute:
    inputs, encoding = block.get("inputs"), block.get("encoding")
    if encoding == "regions":
        raise UsageError("`model` predicts regions only (mode regions); segment needs a lesion model", "model")
    try:
        if inputs == "interchangeable":
            modalities = parse_modalities(block.get("modalities") or MODALITIES)
        else:
            modalities = FIXED_INPUTS.get(str(inputs)) or parse_modalities(str(inputs))
    except UsageError:
        modalities = ()
    if not modalities or encoding not in ("lesion", *JOINT_ENCODINGS):
        raise UsageError(f"`model`: dataset.json's nnunet_wmh block is damaged (inputs {inputs!r})", "model")
    fill_order = tuple(block["fill_order"]) if block.get("fill_order") else None
    return ModelRoute(
        str(inputs), modalities, int(block.get("channels", 2)), block.get("fill_missing", "duplicate"),
        encoding, int(dataset_json["labels"].get("wmh", 1)) if encoding == "lesion" else 0, "nnunet_wmh", fill_order,
    )  # fmt: skip


def _lesion_label(labels: dict[str, Any]) -> int:
    named = [v for k, v in labels.items() if LESION_LABEL_NAME.search(k) and isinstance(v, int)]
    foreground = [v for k, v in labels.items() if isinstance(v, int) and v != 0 and k.lower() != "ignore"]
    if len(named) == 1:
        return named[0]
    if len(foreground) == 1:
        return foreground[0]
    raise UsageError(
        f"`model`: cannot tell the lesion label among {sorted(labels)}; expected one label named like 'wmh' or "
        "'lesion'",
        "model",
    )


def _route_from_channel_names(dataset_json: dict[str, Any]) -> ModelRoute:
    names = [str(dataset_json["channel_names"][k]) for k in sorted(dataset_json["channel_names"], key=int)]
    if names == [EITHER_CHANNEL_NAME]:
        return ModelRoute("interchangeable", MODALITIES, 1, "duplicate", "lesion",
                          _lesion_label(dataset_json["labels"]), "channel names")  # fmt: skip
    modalities = []
    for name in names:
        matches = [modality for modality, pattern in CHANNEL_PATTERNS if pattern.search(name)]
        if len(matches) != 1:
            raise UsageError(
                f"`model`: channel {name!r} is none of FLAIR, T1, T2, PD, T2star, SWI (channels {names})", "model"
            )
        modalities.append(matches[0])
    if len(set(modalities)) != len(modalities):
        raise UsageError(f"`model`: channels {names} name one modality twice", "model")
    legacy = {("t1", "flair"): "t1_flair", **{mods: name for name, mods in FIXED_INPUTS.items()}}
    inputs = legacy.get(tuple(modalities)) or ",".join(modalities)
    return ModelRoute(inputs, tuple(modalities), len(modalities), "duplicate", "lesion",
                      _lesion_label(dataset_json["labels"]), "channel names")  # fmt: skip


def model_route(dataset_json: dict[str, Any]) -> ModelRoute:
    """The route of a model from its dataset.json (see the module docstring)."""
    if not isinstance(dataset_json.get("channel_names"), dict) or not isinstance(dataset_json.get("labels"), dict):
        raise UsageError("`model`: its dataset.json has no channel_names or labels", "model")
    block = dataset_json.get("nnunet_wmh")
    if isinstance(block, dict) and block.get("inputs"):
        return _route_from_block(block, dataset_json)
    return _route_from_channel_names(dataset_json)
