"""Decode the probabilities nnU-Net saves (``nnUNetv2_predict --save_probabilities``) into joint labels.

A ``multitask --encoding separate`` model has one sigmoid output per anatomical region and one for
lesions; nnU-Net's exported label map cannot hold a lesion and its region in one voxel. The saved
probabilities can: per case ``CASE.npz`` (key ``probabilities``, float, shape (outputs, z, y, x) in
SimpleITK axis order on the original grid) and ``CASE.pkl`` (its geometry). :func:`decode_probabilities`
turns them into the joint encoding of :mod:`nnunet_wmh.labels.joint` (the same as ``--encoding joint``),
which ``report`` consumes.

Every case is read and checked (a complete archive, finite probabilities within 0..1, nnU-Net's geometry
record); all problems are listed at once and nothing is written unless every case decodes.
"""

from __future__ import annotations

import logging
import os
import pickle
import zipfile
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import SimpleITK as sitk

from nnunet_wmh.decode.options import DecodeOptions
from nnunet_wmh.errors import InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.io import exception_summary
from nnunet_wmh.labels.dataset_json import joint_encoding, read_dataset_json
from nnunet_wmh.labels.joint import LESION_OUTPUT_NAME, JointEncoding
from nnunet_wmh.runs.options import RunOptions, check_threshold, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import map_collecting_problems
from nnunet_wmh.runs.summary import RunSummary, Stopwatch

logger = logging.getLogger(__name__)

#: How far saved probabilities may stray outside 0..1 (float16 storage, rounding).
PROBABILITY_TOLERANCE = 1e-3


def _expected_outputs(dataset_json: Mapping[str, Any]) -> int:
    block = dataset_json["nnunet_wmh"]
    count = len(block["regions"])
    return 2 * count + 2 if block["encoding"] == "joint" else len(block["outputs"])


def probability_problem(probabilities: np.ndarray, expected_outputs: int) -> str | None:
    """What is wrong with a saved probability array, or None: its shape, NaN, values outside 0..1."""
    if probabilities.ndim != 4 or probabilities.shape[0] != expected_outputs:
        return f"probabilities of shape {probabilities.shape}; expected ({expected_outputs}, z, y, x)"
    if not np.issubdtype(probabilities.dtype, np.floating):
        return f"probabilities of type {probabilities.dtype}; expected floating-point values"
    finite = np.isfinite(probabilities)
    if not finite.all():
        return f"{int(np.count_nonzero(~finite))} probability value(s) are NaN or infinite"
    low, high = float(probabilities.min()), float(probabilities.max())
    if low < -PROBABILITY_TOLERANCE or high > 1 + PROBABILITY_TOLERANCE:
        return f"values {low:g}..{high:g} are not probabilities (0..1)"
    return None


def decode_probabilities(
    probabilities: np.ndarray, dataset_json: Mapping[str, Any], *, threshold: float = 0.5
) -> np.ndarray:
    """Turn one case's saved probabilities into joint labels.

    Parameters
    ----------
    probabilities
        Shape (outputs, z, y, x). For ``--encoding separate``: sigmoid outputs in dataset.json label
        order (the regions, then ``wmh``); for ``--encoding joint``: softmax over labels 0..2R+1, read through
        its lesion and region marginals (a lesion split over several regions' labels still counts).
    dataset_json
        The dataset.json of the multitask dataset (nnU-Net copies it into the prediction folder).
    threshold
        Sigmoid outputs at or above it count as present (separate encoding); strictly between 0 and 1.

    Returns
    -------
    np.ndarray
        Joint labels, shape (z, y, x): a voxel gets its most probable region (if that region's output
        reaches ``threshold``), plus the lesion flag.

    Raises
    ------
    ValueError
        If the probabilities do not fit the dataset (shape), or are not finite values within 0..1.
    """
    check_threshold(threshold)
    encoding = joint_encoding(dataset_json, "dataset.json", parameter="dataset_json")
    block = dataset_json["nnunet_wmh"]
    problem = probability_problem(probabilities, _expected_outputs(dataset_json))
    if problem:
        raise ValueError(problem)
    if block["encoding"] == "joint":
        return _decode_joint_marginals(probabilities, encoding, threshold)
    outputs = list(block["outputs"])
    lesion = probabilities[outputs.index(LESION_OUTPUT_NAME)] >= threshold
    region_channels = [i for i, name in enumerate(outputs) if name != LESION_OUTPUT_NAME]
    region_probabilities = probabilities[region_channels]
    best = np.argmax(region_probabilities, axis=0)
    best_probability = np.take_along_axis(region_probabilities, best[None], axis=0)[0]
    class_index = np.where(best_probability >= threshold, best + 1, 0)
    return encoding.encode(lesion, encoding.regions.to_region_ids(class_index))


def _decode_joint_marginals(probabilities: np.ndarray, encoding: JointEncoding, threshold: float) -> np.ndarray:
    """Joint labels from a softmax over them, read through its two marginals: a voxel is lesion when its lesion
    labels together reach ``threshold``; its region is the one whose two labels (with and without lesion)
    together are the most probable, against "outside every region" (background + lesion outside)."""
    count = encoding.regions.count
    lesion = probabilities[count + 1 : 2 * count + 2].sum(axis=0) >= threshold
    outside = probabilities[0] + probabilities[2 * count + 1]
    regions = probabilities[1 : count + 1] + probabilities[count + 1 : 2 * count + 1]
    class_index = np.argmax(np.concatenate([outside[None], regions]), axis=0)
    return encoding.encode(lesion, encoding.regions.to_region_ids(class_index))


@dataclass(frozen=True)
class SavedGeometry:
    """The grid nnU-Net recorded for a case (SimpleITK's spacing, origin, direction; array shape z, y, x)."""

    spacing: tuple[float, ...]
    origin: tuple[float, ...]
    direction: tuple[float, ...]
    shape: tuple[int, ...] | None


def _numbers(values: Any, count: int) -> tuple[float, ...] | None:
    try:
        numbers = tuple(float(v) for v in values)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == count and all(np.isfinite(numbers)) else None


def read_saved_geometry(case: str, pkl_path: Path) -> SavedGeometry:
    """Read ``CASE.pkl`` (nnU-Net's properties of the case).

    Raises
    ------
    InputDataError
        Missing, unreadable, or without a complete ``sitk_stuff`` record.
    """
    if not pkl_path.is_file():
        raise InputDataError(case, str(pkl_path), "missing: nnUNetv2_predict writes it beside CASE.npz")
    try:
        with open(pkl_path, "rb") as handle:
            properties = pickle.load(handle)  # nnU-Net's own format: written by nnUNetv2_predict
    except Exception as exc:  # unpickling raises nearly any type for a damaged file
        raise InputDataError(case, str(pkl_path), f"cannot be read ({exception_summary(exc)})") from exc
    stuff = properties.get("sitk_stuff") if isinstance(properties, dict) else None
    stuff = stuff if isinstance(stuff, dict) else {}
    spacing, origin = _numbers(stuff.get("spacing"), 3), _numbers(stuff.get("origin"), 3)
    direction = _numbers(stuff.get("direction"), 9)
    if spacing is None or origin is None or direction is None or min(spacing) <= 0:
        problem = "no complete nnU-Net geometry (sitk_stuff with 3 spacings > 0, 3 origin values, 9 direction cosines)"
        raise InputDataError(case, str(pkl_path), problem)
    shape = properties.get("shape_before_cropping")
    shape = tuple(int(s) for s in shape) if isinstance(shape, list | tuple) and len(shape) == 3 else None
    return SavedGeometry(spacing, origin, direction, shape)


def read_probabilities(case: str, npz_path: Path) -> np.ndarray:
    """The ``probabilities`` array of ``CASE.npz``.

    Raises
    ------
    InputDataError
        A truncated or damaged archive, or one without ``probabilities``.
    """
    if not zipfile.is_zipfile(npz_path):
        raise InputDataError(case, str(npz_path), "not an .npz archive (not a zip file); is it truncated or damaged?")
    try:
        with np.load(npz_path, allow_pickle=False) as archive:
            return archive["probabilities"]
    except KeyError:
        raise InputDataError(case, str(npz_path), "holds no 'probabilities' array") from None
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as exc:
        problem = f"cannot be read as nnU-Net probabilities ({exception_summary(exc)}); is it truncated?"
        raise InputDataError(case, str(npz_path), problem) from exc


def _decode_case(npz_path: Path, *, dataset_json: Mapping[str, Any], out: Path, threshold: float) -> Path:
    case = npz_path.name[: -len(".npz")]
    geometry = read_saved_geometry(case, npz_path.with_suffix(".pkl"))
    probabilities = read_probabilities(case, npz_path)
    if geometry.shape is not None and probabilities.ndim == 4 and probabilities.shape[1:] != geometry.shape:
        problem = f"probabilities of shape {probabilities.shape[1:]} != the case's shape {geometry.shape} (CASE.pkl)"
        raise InputDataError(case, str(npz_path), problem)
    try:
        joint = decode_probabilities(probabilities, dataset_json, threshold=threshold)
    except ValueError as exc:
        raise InputDataError(case, str(npz_path), str(exc)) from exc
    image = sitk.GetImageFromArray(joint)
    image.SetSpacing(geometry.spacing)
    image.SetOrigin(geometry.origin)
    image.SetDirection(geometry.direction)
    target = out / f"{case}.nii.gz"
    sitk.WriteImage(image, str(target), True)
    return target


@dataclass(frozen=True)
class DecodeResult:
    """What :func:`decode_prediction_folder` wrote.

    Attributes
    ----------
    files
        The joint label maps ``OUT/CASE.nii.gz``, in case order.
    run_summary
        The end-of-run summary.
    """

    files: list[Path]
    run_summary: RunSummary


def _check_folders(prediction_dir: Path, out_dir: Path) -> None:
    if not prediction_dir.is_dir():
        state = "is a file" if prediction_dir.exists() else "does not exist"
        raise UsageError(f"`prediction_dir` {prediction_dir} {state}; expected a folder", "prediction_dir")
    resolved_out, resolved_predictions = out_dir.resolve(), prediction_dir.resolve()
    if resolved_out == resolved_predictions or resolved_out in resolved_predictions.parents:
        raise UsageError(f"`out` {out_dir} would replace the predictions in {prediction_dir}; choose another", "out")


def decode_prediction_folder(
    prediction_dir: str | os.PathLike[str],
    options: DecodeOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> DecodeResult:
    """Decode every ``CASE.npz`` of an nnU-Net prediction folder into ``out/CASE.nii.gz`` joint labels.

    Parameters
    ----------
    prediction_dir
        Output folder of ``nnUNetv2_predict ... --save_probabilities``.
    options
        Where to write, the dataset.json, the threshold (:class:`~nnunet_wmh.decode.options.DecodeOptions`).
    run
        Jobs, overwrite and progress (:class:`~nnunet_wmh.runs.options.RunOptions`).
    **fields
        Fields of either, by name: ``decode_prediction_folder("pred", out="joint", jobs=4)``.

    Returns
    -------
    DecodeResult
        The written files (``.files``, in case order) and the run's summary. Geometry (spacing, origin,
        direction) is the one nnU-Net stored for the case, as in nnU-Net's own exported label maps.

    Raises
    ------
    UsageError
        Bad options, folders or dataset.json.
    InvalidInputsError
        Every case that cannot be decoded (nothing is written).
    """
    options, run = resolve_options(DecodeOptions, options, run, fields)
    stopwatch = Stopwatch()
    options.check()
    run.check()
    out, dataset_json, threshold = options.out, options.dataset_json, options.threshold
    prediction_dir = Path(prediction_dir).expanduser().absolute()
    out_dir = Path(out).expanduser().absolute() if out else prediction_dir / "joint"
    _check_folders(prediction_dir, out_dir)
    json_path = Path(dataset_json) if dataset_json else prediction_dir / "dataset.json"
    loaded = read_dataset_json(json_path, parameter="dataset_json")
    joint_encoding(loaded, json_path, parameter="dataset_json")
    cases = sorted(p for p in prediction_dir.glob("*.npz") if p.is_file())
    if not cases:
        problem = "holds no CASE.npz files; run nnUNetv2_predict with --save_probabilities"
        raise UsageError(f"`prediction_dir` {prediction_dir} {problem}", "prediction_dir")
    with atomic_output_folder(out_dir, overwrite=run.overwrite) as staging:
        decode = partial(_decode_case, dataset_json=loaded, out=staging, threshold=threshold)
        written, problems = map_collecting_problems(
            decode, cases, jobs=run.jobs, desc="decoding", unit="case", progress=run.progress
        )
        if problems:
            raise InvalidInputsError(problems, consequence="nothing was written")
    files = [out_dir / path.name for path in written if path is not None]
    return DecodeResult(files, RunSummary("decode", out_dir, len(files), "case", seconds=stopwatch.seconds))
