"""A trained nnU-Net model as ``segment`` takes it: a model folder or an exported zip, its folds, and its route.

The route (which images a case needs in which channel, how the labels read) comes from the ``nnunet_wmh`` block
that ``convert`` writes into dataset.json. A model without that block (any nnU-Net WMH model) is read by its
channel names (``FLAIR``, ``T1``/``T1w``, ``FLAIR_or_T1``) and the label named like ``wmh``/``lesion``.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts.subject import MODALITIES, Modality
from nnunet_wmh.dataset_conversion.inputs import EITHER_CHANNEL_NAME, FIXED_INPUTS
from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.dataset_json import JOINT_ENCODINGS
from nnunet_wmh.modalities import parse_modalities

CHECKPOINT = "checkpoint_final.pth"
MODEL_FILES = ("dataset.json", "plans.json")
FOLD_FOLDER = re.compile(r"fold_(\d+|all)")
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


@dataclass(frozen=True)
class TrainedModel:
    """A model folder (``DatasetXXX/TRAINER__PLANS__CONFIG``), the folds used, and its route."""

    folder: Path
    source: Path
    folds: tuple[str, ...]
    checkpoint: str
    dataset_json: dict[str, Any]
    route: ModelRoute

    @property
    def name(self) -> str:
        """``DatasetXXX_Name/TRAINER__PLANS__CONFIG``."""
        return f"{self.folder.parent.name}/{self.folder.name}"

    def describe(self) -> dict[str, Any]:
        """What output files record about the model."""
        return {
            "name": self.name, "source": str(self.source), "folds": list(self.folds), "checkpoint": self.checkpoint,
            "inputs": self.route.inputs, "encoding": self.route.encoding, "route_from": self.route.described_by,
        }  # fmt: skip


def _safe_extract(archive: Path, destination: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as handle:
            for member in handle.namelist():
                target = (destination / member).resolve()
                if not target.is_relative_to(destination.resolve()):
                    raise UsageError(f"`model` {archive}: member {member!r} points outside the archive", "model")
            handle.extractall(destination)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UsageError(f"`model` {archive}: not a readable zip file ({exc})", "model") from exc


def _model_folders(root: Path) -> list[Path]:
    return sorted(p.parent for p in root.rglob("plans.json") if (p.parent / "dataset.json").is_file())


def find_model_folder(model: Path, unpack_dir: Path) -> Path:
    """The model folder of ``model`` (a folder, or a zip of ``nnUNetv2_export_model_to_zip`` unpacked into
    ``unpack_dir``).

    Raises
    ------
    UsageError
        Nothing at ``model``, or not exactly one model inside it.
    """
    if model.is_file() and zipfile.is_zipfile(model):
        unpack_dir.mkdir(parents=True, exist_ok=True)
        _safe_extract(model, unpack_dir)
        root = unpack_dir
    elif model.is_dir():
        root = model
    else:
        raise UsageError(f"`model` {model}: expected a model folder or an nnU-Net model zip; found neither", "model")
    if all((root / name).is_file() for name in MODEL_FILES):
        return root
    found = _model_folders(root)
    if len(found) != 1:
        what = "no" if not found else f"{len(found)} ({', '.join(str(f.relative_to(root)) for f in found[:4])})"
        raise UsageError(
            f"`model` {model}: expected one trained model (a folder with dataset.json, plans.json and fold_*), "
            f"found {what}; give the TRAINER__PLANS__CONFIG folder",
            "model",
        )
    return found[0]


def available_folds(folder: Path, checkpoint: str) -> tuple[str, ...]:
    """Folds of ``folder`` with ``checkpoint`` (``"0"`` ... , ``"all"``), in order."""
    names = [p.name for p in folder.iterdir() if FOLD_FOLDER.fullmatch(p.name) and (p / checkpoint).is_file()]
    values = [name.removeprefix("fold_") for name in names]
    return tuple(sorted(values, key=lambda v: (v == "all", int(v) if v.isdigit() else 0)))


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


def open_model(
    model: str | os.PathLike[str], *, folds: tuple[str, ...] | None, checkpoint: str, unpack_dir: Path
) -> TrainedModel:
    """Find, check and describe a trained model (see :func:`find_model_folder`).

    Parameters
    ----------
    folds
        Folds to ensemble (``("0", "1")``, ``("all",)``); None: every fold with ``checkpoint``.

    Raises
    ------
    UsageError
        No model, no checkpoint, a fold asked for that is missing, or a dataset.json that gives no route.
    """
    source = Path(model).expanduser().absolute()
    folder = find_model_folder(source, unpack_dir)
    present = available_folds(folder, checkpoint)
    if not present:
        raise UsageError(f"`model` {folder}: no fold_*/{checkpoint}; is the training finished?", "model")
    chosen = tuple(str(f) for f in folds) if folds else present
    missing = [f for f in chosen if f not in present]
    if missing:
        raise UsageError(
            f"`folds` {', '.join(missing)} not in {folder} (folds with {checkpoint}: {', '.join(present)})", "folds"
        )
    try:
        dataset_json = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"`model` {folder}/dataset.json: cannot be read ({exc})", "model") from exc
    return TrainedModel(folder, source, chosen, checkpoint, dataset_json, model_route(dataset_json))
