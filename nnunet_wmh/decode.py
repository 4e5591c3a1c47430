"""Decode the probabilities nnU-Net saves (``nnUNetv2_predict --save_probabilities``) into joint labels.

A ``multitask --encoding separate`` model has one sigmoid output per anatomical region and one for
lesions; nnU-Net's exported label map cannot hold a lesion and its region in one voxel. The saved
probabilities can: per case ``CASE.npz`` (key ``probabilities``, float, shape (outputs, z, y, x) in
SimpleITK axis order on the original grid) and ``CASE.pkl`` (its geometry). :func:`decode_probabilities`
turns them into the joint encoding of :mod:`nnunet_wmh.labels.joint` (the same as ``--encoding joint``),
which ``report`` consumes.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.errors import InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.io import label_dtype_for
from nnunet_wmh.labels.joint import LESION_OUTPUT_NAME, JointEncoding
from nnunet_wmh.parallel import map_with_progress

logger = logging.getLogger(__name__)


def decode_probabilities(
    probabilities: np.ndarray, dataset_json: Mapping[str, Any], *, threshold: float = 0.5
) -> np.ndarray:
    """Turn one case's saved probabilities into joint labels.

    Parameters
    ----------
    probabilities
        Shape (outputs, z, y, x). For ``--encoding separate``: sigmoid outputs in dataset.json label
        order (the regions, then ``wmh``); for ``--encoding joint``: softmax over labels 0..2R+1.
    dataset_json
        The dataset.json of the multitask dataset (nnU-Net copies it into the prediction folder).
    threshold
        Sigmoid outputs at or above it count as present (separate encoding).

    Returns
    -------
    np.ndarray
        Joint labels, shape (z, y, x): a voxel gets its most probable region (if that region's output
        reaches ``threshold``), plus the lesion flag.
    """
    encoding = JointEncoding.from_dataset_json(dataset_json)
    block = dataset_json["nnunet_wmh"]
    count = encoding.regions.count
    if block["encoding"] == "joint":
        expected = 2 * count + 2
        _check_outputs(probabilities, expected)
        return np.argmax(probabilities, axis=0).astype(label_dtype_for(expected - 1))
    outputs = list(block["outputs"])
    _check_outputs(probabilities, len(outputs))
    lesion = probabilities[outputs.index(LESION_OUTPUT_NAME)] >= threshold
    region_channels = [i for i, name in enumerate(outputs) if name != LESION_OUTPUT_NAME]
    region_probabilities = probabilities[region_channels]
    best = np.argmax(region_probabilities, axis=0)
    best_probability = np.take_along_axis(region_probabilities, best[None], axis=0)[0]
    class_index = np.where(best_probability >= threshold, best + 1, 0)
    return encoding.encode(lesion, encoding.regions.to_region_ids(class_index))


def _check_outputs(probabilities: np.ndarray, expected: int) -> None:
    if probabilities.ndim != 4 or probabilities.shape[0] != expected:
        raise ValueError(f"probabilities of shape {probabilities.shape}; expected ({expected}, z, y, x)")


def _decode_case(npz_path: Path, *, dataset_json: Mapping[str, Any], out: Path, threshold: float) -> Path:
    case = npz_path.name[: -len(".npz")]
    pkl_path = npz_path.with_suffix(".pkl")
    if not pkl_path.is_file():
        raise InputDataError(case, pkl_path.name, "missing: nnUNetv2_predict writes it beside CASE.npz")
    try:
        with np.load(npz_path) as archive:
            probabilities = archive["probabilities"]
        with open(pkl_path, "rb") as handle:
            geometry = pickle.load(handle)["sitk_stuff"]
    except (OSError, KeyError, ValueError, pickle.UnpicklingError) as exc:
        raise InputDataError(case, npz_path.name, f"cannot be read as nnU-Net probabilities ({exc})") from exc
    try:
        joint = decode_probabilities(probabilities, dataset_json, threshold=threshold)
    except ValueError as exc:
        raise InputDataError(case, npz_path.name, str(exc)) from exc
    image = sitk.GetImageFromArray(joint)
    image.SetSpacing(geometry["spacing"])
    image.SetOrigin(geometry["origin"])
    image.SetDirection(geometry["direction"])
    target = out / f"{case}.nii.gz"
    sitk.WriteImage(image, str(target), True)
    return target


def decode_prediction_folder(
    prediction_dir: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    dataset_json: str | os.PathLike[str] | None = None,
    threshold: float = 0.5,
    jobs: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> list[Path]:
    """Decode every ``CASE.npz`` of an nnU-Net prediction folder into ``out/CASE.nii.gz`` joint labels.

    Parameters
    ----------
    prediction_dir
        Output folder of ``nnUNetv2_predict ... --save_probabilities``.
    out
        Where the joint label maps go; default ``prediction_dir/joint``.
    dataset_json
        The multitask dataset.json; default ``prediction_dir/dataset.json`` (written by nnU-Net).
    threshold
        Sigmoid threshold for the separate encoding.
    jobs
        Worker processes.
    overwrite
        Replace existing output files.
    progress
        Show a progress bar.

    Returns
    -------
    list of Path
        The written files, in case order. Geometry (spacing, origin, direction) is the one nnU-Net
        stored for the case, as in nnU-Net's own exported label maps.
    """
    prediction_dir = Path(prediction_dir)
    dataset_json_path = Path(dataset_json) if dataset_json else prediction_dir / "dataset.json"
    if not dataset_json_path.is_file():
        raise UsageError(f"{dataset_json_path}: no dataset.json; pass --dataset-json of the multitask dataset")
    loaded = json.loads(dataset_json_path.read_text())
    if loaded.get("nnunet_wmh", {}).get("encoding") not in ("joint", "separate"):
        raise UsageError(f"{dataset_json_path} is not a multitask dataset.json written by nnunet_wmh convert")
    cases = sorted(prediction_dir.glob("*.npz"))
    if not cases:
        raise UsageError(f"{prediction_dir}: no CASE.npz files; run nnUNetv2_predict with --save_probabilities")
    out_dir = Path(out) if out else prediction_dir / "joint"
    out_dir.mkdir(parents=True, exist_ok=True)
    existing = [p.name for p in (out_dir / f"{c.name[:-4]}.nii.gz" for c in cases) if p.exists()]
    if existing and not overwrite:
        raise UsageError(f"{out_dir} already holds {len(existing)} decoded case(s) (e.g. {existing[0]}); "
                         "pass --overwrite to replace them")  # fmt: skip
    decode = partial(_decode_case, dataset_json=loaded, out=out_dir, threshold=threshold)
    try:
        return map_with_progress(decode, cases, jobs=jobs, desc="decoding", unit="case", progress=progress)
    except InputDataError as exc:
        raise InvalidInputsError([exc]) from exc
