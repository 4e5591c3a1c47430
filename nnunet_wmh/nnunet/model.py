"""A trained nnU-Net model, read once: its folder (or the exported zip it came from), dataset.json, plans,
folds, checkpoint and route; everything downstream takes this record instead of reading the files again.
"""

from __future__ import annotations

import functools
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.labels.joint import JointEncoding
from nnunet_wmh.nnunet.folders import RESULTS, resolve_folder
from nnunet_wmh.nnunet.model_route import ModelRoute, model_route

MODEL_FILES = ("dataset.json", "plans.json")
FOLD_FOLDER = re.compile(r"fold_(\d+|all)")


@dataclass(frozen=True)
class TrainedModel:
    """A model folder (``DatasetXXX/TRAINER__PLANS__CONFIG``), the folds used, and what its files say.

    Attributes
    ----------
    folder
        The model folder (inside the unpacked zip for a zip).
    source
        What the user gave: the folder, or the zip.
    folds, checkpoint
        The folds ensembled (``"0"`` ... ``"all"``) and the checkpoint file of each.
    dataset_json, plans
        The model's dataset.json and plans.json, parsed once.
    route
        What it takes and gives (:func:`~nnunet_wmh.nnunet.model_route.model_route`).
    """

    folder: Path
    source: Path
    folds: tuple[str, ...]
    checkpoint: str
    dataset_json: dict[str, Any]
    route: ModelRoute
    plans: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def name(self) -> str:
        """``DatasetXXX_Name/TRAINER__PLANS__CONFIG``."""
        return f"{self.folder.parent.name}/{self.folder.name}"

    @property
    def trainer(self) -> str:
        """The trainer class, from the folder name (``TRAINER__PLANS__CONFIG``)."""
        return self.folder.name.split("__")[0]

    @functools.cached_property
    def encoding(self) -> JointEncoding:
        """The joint lesion × region encoding of a multitask model (raises UsageError for a lesion model)."""
        convention = self.convention
        if convention.encoding is None:
            raise UsageError(f"`model` {self.folder} predicts lesions only; it has no region encoding", "model")
        return convention.encoding

    @functools.cached_property
    def convention(self) -> LabelConvention:
        """How its predictions read: joint labels (multitask models) or the challenge's lesion label."""
        if not self.route.has_regions:
            return LabelConvention.challenge()
        return LabelConvention.of_dataset(self.dataset_json, self.folder / "dataset.json", parameter="model")

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
    expected = "a folder with dataset.json, plans.json and fold_*"
    if not found:
        raise UsageError(
            f"`model` {model}: holds no trained model (expected {expected}); give the TRAINER__PLANS__CONFIG folder",
            "model",
        )
    if len(found) > 1:
        listed = ", ".join(str(f.relative_to(root)) for f in found[:4])
        raise UsageError(
            f"`model` {model}: expected one trained model ({expected}), found {len(found)} ({listed}); give the "
            "TRAINER__PLANS__CONFIG folder",
            "model",
        )
    return found[0]


def available_folds(folder: Path, checkpoint: str) -> tuple[str, ...]:
    """Folds of ``folder`` with ``checkpoint`` (``"0"`` ... , ``"all"``), in order."""
    names = [p.name for p in folder.iterdir() if FOLD_FOLDER.fullmatch(p.name) and (p / checkpoint).is_file()]
    values = [name.removeprefix("fold_") for name in names]
    return tuple(sorted(values, key=lambda v: (v == "all", int(v) if v.isdigit() else 0)))


def _read_json(folder: Path, name: str) -> dict[str, Any]:
    try:
        content = json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"`model` {folder}/{name}: cannot be read ({exc})", "model") from exc
    if not isinstance(content, dict):
        raise UsageError(f"`model` {folder}/{name}: expected a JSON object, found {type(content).__name__}", "model")
    return content


def open_model(
    model: str | os.PathLike[str], *, folds: tuple[str, ...] | None, checkpoint: str, unpack_dir: Path
) -> TrainedModel:
    """Find, check and read a trained model (see :func:`find_model_folder`).

    Parameters
    ----------
    folds
        Folds to ensemble (``("0", "1")``, ``("all",)``); None: every fold with ``checkpoint``.

    Raises
    ------
    UsageError
        No model, no checkpoint, a fold asked for that is missing, or a malformed dataset.json or one that gives
        no route (naming the file, what was expected and what was found).
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
    dataset_json = _read_json(folder, "dataset.json")
    plans = _read_json(folder, "plans.json")
    route = model_route(dataset_json, folder / "dataset.json")
    return TrainedModel(folder, source, chosen, checkpoint, dataset_json, route, plans)


def model_folder_of(
    dataset_id: str, configuration: str, *, trainer: str = "nnUNetTrainer", plans: str = "nnUNetPlans",
    results: str | os.PathLike[str] | None = None,
) -> Path:  # fmt: skip
    """The folder nnU-Net keeps a model in, named as ``nnUNetv2_predict -d -c -tr -p`` name it:
    ``RESULTS/DatasetXXX_NAME/TRAINER__PLANS__CONFIGURATION``.

    Parameters
    ----------
    dataset_id
        The dataset id (``501``) or name (``Dataset501_WMH``).
    configuration, trainer, plans
        nnU-Net's configuration (``2d``, ``3d_fullres``), trainer class and plans identifier.
    results
        nnU-Net's results folder; default ``$nnUNet_results`` (read now).

    Raises
    ------
    UsageError
        No results folder, or not exactly one dataset of that id there.
    """
    root = resolve_folder(results, RESULTS, parameter="results", required=True)
    assert root is not None, "a required folder is found or refused"
    name = dataset_id if dataset_id.startswith("Dataset") else None
    if name is None:
        if not dataset_id.isdigit():
            raise UsageError(
                f"`dataset_id` {dataset_id!r}: expected an id such as 501 or a name Dataset501_X", "dataset_id"
            )
        pattern = f"Dataset{int(dataset_id):03d}_*"
        found = sorted(p.name for p in root.glob(pattern) if p.is_dir())
        if len(found) != 1:
            what = "none" if not found else ", ".join(found)
            raise UsageError(f"`dataset_id` {dataset_id}: expected one {pattern} in {root}, found {what}", "dataset_id")
        name = found[0]
    return root / name / f"{trainer}__{plans}__{configuration}"
