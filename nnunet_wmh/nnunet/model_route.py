"""What a trained model takes and gives (its *route*), from its dataset.json.

The route (which images a case needs in which channel, how the labels read) comes from the ``nnunet_wmh`` block
that ``convert`` writes into dataset.json. A model without that block (any nnU-Net WMH model) is read by its
channel names (``FLAIR``, ``T1``/``T1w``, ``FLAIR_or_T1``) and the label named like ``wmh``/``lesion``.

Every field the route is read from is checked first: ``channel_names`` (``{"0": name, ..., "k-1": name}``),
``labels`` (``background`` 0, whole numbers or lists of them), ``file_ending`` where given, and the block's
fields; a malformed dataset.json is refused in one message that names the file and every problem in it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.dataset_json import JOINT_ENCODINGS, joint_encoding
from nnunet_wmh.labels.joint import LESION_OUTPUT_NAME
from nnunet_wmh.modalities import (
    EITHER_CHANNEL_NAME,
    FILL_CHOICES,
    FIXED_INPUTS,
    KNOWN_MODALITIES,
    MODALITIES,
    Modality,
    parse_modalities,
    resolve_fill_order,
)

CHANNEL_PATTERNS: tuple[tuple[Modality, re.Pattern[str]], ...] = (
    ("flair", re.compile(r"flair", re.IGNORECASE)),
    ("t1", re.compile(r"^t1(w|_?weighted)?$|mprage", re.IGNORECASE)),
    ("t2", re.compile(r"^t2(w|_?weighted)?$", re.IGNORECASE)),
    ("pd", re.compile(r"^pd(w|_?weighted)?$|proton", re.IGNORECASE)),
    ("t2star", re.compile(r"^t2(\*|star)w?$", re.IGNORECASE)),
    ("swi", re.compile(r"^swi$", re.IGNORECASE)),
)
LESION_LABEL_NAME = re.compile(r"wmh|lesion|hyperintens", re.IGNORECASE)
LESION_ENCODINGS = ("lesion", *JOINT_ENCODINGS)


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


def _shown(value: Any) -> str:
    """A value as dataset.json spells it (``"two"``, ``[1, 2]``, ``null``)."""
    return json.dumps(value, default=str)


def _is_number(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _malformed(path: str | os.PathLike[str], problems: list[str]) -> UsageError:
    return UsageError(f"`model` {path}: {'; '.join(problems)}", "model")


def _channel_names_problems(channel_names: Any) -> list[str]:
    """What is wrong with ``channel_names``: it must map ``"0"`` ... ``"k-1"`` to image names."""
    if not isinstance(channel_names, dict) or not channel_names:
        found = "none" if channel_names is None else _shown(channel_names)
        return [f'expected channel_names mapping channel numbers "0", "1", ... to image names, found {found}']
    problems = []
    keys = [str(key) for key in channel_names]
    if set(keys) != {str(i) for i in range(len(keys))}:
        expected = '"0"' if len(keys) == 1 else f'"0" to "{len(keys) - 1}"'
        found = ", ".join(_shown(key) for key in keys)
        problems.append(f"expected channel_names keys {expected} (the channel numbers), found {found}")
    unnamed = [f"{_shown(str(k))}: {_shown(v)}" for k, v in channel_names.items() if not isinstance(v, str) or not v]
    if unnamed:
        problems.append(f"expected channel_names values to be image names such as FLAIR, found {', '.join(unnamed)}")
    return problems


def _labels_problems(labels: Any) -> list[str]:
    """What is wrong with ``labels``: names to whole numbers (or lists of them), ``background`` 0."""
    if not isinstance(labels, dict) or not labels:
        found = "none" if labels is None else _shown(labels)
        return [f'expected labels mapping label names to values such as {{"background": 0, "wmh": 1}}, found {found}']
    problems = []
    if labels.get("background") != 0 or not _is_number(labels.get("background")):
        found = _shown(labels["background"]) if "background" in labels else "none"
        problems.append(f"expected label background with value 0, found {found}")

    def valid(value: Any) -> bool:
        if isinstance(value, (list, tuple)):  # regions of a region-based model
            return bool(value) and all(_is_number(v) and v >= 0 for v in value)
        return _is_number(value) and value >= 0

    invalid = [
        f"{_shown(name)}: {_shown(value)}"
        for name, value in labels.items()
        if name != "background" and not valid(value)
    ]
    if invalid:
        problems.append(
            f"expected label values to be whole numbers >= 0 (or lists of them), found {', '.join(invalid)}"
        )
    return problems


def _dataset_json_problems(dataset_json: dict[str, Any]) -> list[str]:
    """What is wrong with the fields every model needs, and with the types of the block's fields."""
    problems = [
        *_channel_names_problems(dataset_json.get("channel_names")),
        *_labels_problems(dataset_json.get("labels")),
    ]
    file_ending = dataset_json.get("file_ending", ".nii.gz")
    if not isinstance(file_ending, str) or not file_ending.startswith("."):
        problems.append(f'expected file_ending such as ".nii.gz", found {_shown(file_ending)}')
    block = dataset_json.get("nnunet_wmh")
    if block is not None and not isinstance(block, dict):
        problems.append(f"expected the nnunet_wmh block to be a mapping (as convert writes it), found {_shown(block)}")
    elif block:
        problems += _block_type_problems(block)
    return problems


#: Each field of the ``nnunet_wmh`` block the route reads: its check, and what it should be.
BLOCK_FIELDS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "inputs": (lambda v: isinstance(v, str), "flair, t1, flair_t1, interchangeable or a list such as flair,t2"),
    "encoding": (lambda v: v in (*LESION_ENCODINGS, "regions"), f"one of {', '.join(LESION_ENCODINGS)}"),
    "channels": (lambda v: _is_number(v) and v >= 1, "a whole number of channels such as 2"),
    "fill_missing": (lambda v: v in FILL_CHOICES, f"one of {', '.join(FILL_CHOICES)}"),
    "modalities": (lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v), 'a list such as ["flair"]'),
    "fill_order": (lambda v: isinstance(v, list) and all(isinstance(m, str) for m in v), 'a list such as ["flair"]'),
}


def _block_type_problems(block: dict[str, Any]) -> list[str]:
    """Fields of the block of the wrong type (a field left out, or null, takes its default)."""
    return [
        f"expected nnunet_wmh.{name} to be {expected}, found {_shown(block[name])}"
        for name, (check, expected) in BLOCK_FIELDS.items()
        if block.get(name) is not None and not check(block[name])
    ]


def _block_modalities(block: dict[str, Any], problems: list[str]) -> tuple[Modality, ...]:
    """The modalities of the block's inputs (empty, with the problem added, if they name none)."""
    inputs, listed = block["inputs"], block.get("modalities")
    known = ", ".join(KNOWN_MODALITIES)
    try:
        if inputs == "interchangeable":
            return parse_modalities(listed) if listed is not None else MODALITIES
        return FIXED_INPUTS.get(inputs) or parse_modalities(inputs)
    except UsageError:
        field, found = ("modalities", listed) if inputs == "interchangeable" else ("inputs", inputs)
        problems.append(f"expected nnunet_wmh.{field} to name modalities among {known}, found {_shown(found)}")
        return ()


def _interchangeable_problems(block: dict[str, Any], modalities: tuple[Modality, ...], channels: int) -> list[str]:
    """What the block's interchangeable inputs cannot do (as ``convert`` would refuse them)."""
    problems = []
    if len(modalities) < 2:
        problems.append(f"expected nnunet_wmh.modalities to list two or more, found {_shown(list(modalities))}")
    elif channels not in (1, len(modalities)):
        problems.append(f"expected nnunet_wmh.channels 1 or {len(modalities)} (one per modality), found {channels}")
    if block.get("fill_missing") == "zero" and channels == 1:
        problems.append('expected nnunet_wmh.channels to be one per modality with fill_missing "zero", found 1')
    try:
        resolve_fill_order(block.get("fill_order"), modalities)
    except UsageError:
        problems.append(
            f"expected nnunet_wmh.fill_order among the modalities {','.join(modalities)}, "
            f"found {_shown(block['fill_order'])}"
        )
    return problems


def _block_channels(block: dict[str, Any], modalities: tuple[Modality, ...], named: int) -> tuple[int, list[str]]:
    """The number of channels the block's inputs take, and what disagrees with it (or with ``named`` names)."""
    inputs, given = block["inputs"], block.get("channels")
    if inputs == "interchangeable":
        channels = given or named
        problems = _interchangeable_problems(block, modalities, channels)
    else:
        channels = len(modalities)
        wrong = given not in (None, channels)
        problems = [f"expected nnunet_wmh.channels {channels} (inputs {inputs}), found {given}"] if wrong else []
    if not problems and channels != named:
        problems.append(f"expected {channels} channel_names (the channels of inputs {inputs}), found {named}")
    return channels, problems


def _route_from_block(block: dict[str, Any], dataset_json: dict[str, Any], path: str) -> ModelRoute:
    inputs, encoding, outputs = block["inputs"], block.get("encoding"), block.get("outputs")
    if encoding == "regions":
        raise UsageError(f"`model` {path}: predicts regions only (mode regions); segment needs a lesion model", "model")
    problems: list[str] = []
    if encoding not in LESION_ENCODINGS:
        problems.append(
            f"expected nnunet_wmh.encoding to be one of {', '.join(LESION_ENCODINGS)}, found {_shown(encoding)}"
        )
    modalities = _block_modalities(block, problems)
    channels = 0
    if modalities:
        channels, channel_problems = _block_channels(block, modalities, len(dataset_json["channel_names"]))
        problems += channel_problems
    if encoding == "separate" and not (isinstance(outputs, list) and LESION_OUTPUT_NAME in outputs):
        problems.append(f'expected nnunet_wmh.outputs, a list with "{LESION_OUTPUT_NAME}", found {_shown(outputs)}')
    if problems:
        raise _malformed(path, problems)
    if encoding in JOINT_ENCODINGS:
        joint_encoding(dataset_json, path, parameter="model")  # its region list, read as the decoding reads it
    lesion_label = _block_lesion_label(dataset_json["labels"], path) if encoding == "lesion" else 0
    ordered = inputs == "interchangeable" and block.get("fill_order")
    fill_order = parse_modalities(block["fill_order"], "fill_order") if ordered else None
    fill_missing = block.get("fill_missing") or "duplicate"
    return ModelRoute(inputs, modalities, channels, fill_missing, encoding, lesion_label, "nnunet_wmh", fill_order)


def _block_lesion_label(labels: dict[str, Any], path: str) -> int:
    """The ``wmh`` label ``convert`` writes, else the one label named like a lesion."""
    if LESION_OUTPUT_NAME not in labels:
        return _lesion_label(labels, path)
    if not _is_number(labels[LESION_OUTPUT_NAME]):
        found = _shown(labels[LESION_OUTPUT_NAME])
        raise _malformed(path, [f"expected the lesion label wmh of a lesion model to be one value, found {found}"])
    return int(labels[LESION_OUTPUT_NAME])


def _lesion_label(labels: dict[str, Any], path: str) -> int:
    named = [v for k, v in labels.items() if LESION_LABEL_NAME.search(k) and _is_number(v)]
    foreground = [v for k, v in labels.items() if _is_number(v) and v != 0 and k.lower() != "ignore"]
    if len(named) == 1:
        return named[0]
    if len(foreground) == 1:
        return foreground[0]
    raise UsageError(
        f"`model` {path}: cannot tell the lesion label among {sorted(labels)}; expected one label named like 'wmh' "
        "or 'lesion'",
        "model",
    )


def _route_from_channel_names(dataset_json: dict[str, Any], path: str) -> ModelRoute:
    channel_names = {str(k): v for k, v in dataset_json["channel_names"].items()}
    names = [channel_names[str(i)] for i in range(len(channel_names))]
    if names == [EITHER_CHANNEL_NAME]:
        return ModelRoute("interchangeable", MODALITIES, 1, "duplicate", "lesion",
                          _lesion_label(dataset_json["labels"], path), "channel names")  # fmt: skip
    modalities = []
    for name in names:
        matches = [modality for modality, pattern in CHANNEL_PATTERNS if pattern.search(name)]
        if len(matches) != 1:
            raise UsageError(
                f"`model` {path}: channel {name!r} is none of FLAIR, T1, T2, PD, T2star, SWI (channels {names})",
                "model",
            )
        modalities.append(matches[0])
    if len(set(modalities)) != len(modalities):
        raise UsageError(f"`model` {path}: channels {names} name one modality twice", "model")
    legacy = {("t1", "flair"): "t1_flair", **{mods: name for name, mods in FIXED_INPUTS.items()}}
    inputs = legacy.get(tuple(modalities)) or ",".join(modalities)
    return ModelRoute(inputs, tuple(modalities), len(modalities), "duplicate", "lesion",
                      _lesion_label(dataset_json["labels"], path), "channel names")  # fmt: skip


def model_route(dataset_json: dict[str, Any], path: str | os.PathLike[str] = "dataset.json") -> ModelRoute:
    """The route of a model from its dataset.json (see the module docstring).

    Parameters
    ----------
    dataset_json
        The model's dataset.json, parsed.
    path
        The file it was read from, named in errors.

    Raises
    ------
    UsageError
        A malformed dataset.json (every problem in one message that names ``path``), a region-only model, or
        channels or labels that give no route.
    """
    path = str(path)
    problems = _dataset_json_problems(dataset_json)
    if problems:
        raise _malformed(path, problems)
    block = dataset_json.get("nnunet_wmh")
    if block and block.get("inputs"):
        return _route_from_block(block, dataset_json, path)
    return _route_from_channel_names(dataset_json, path)
