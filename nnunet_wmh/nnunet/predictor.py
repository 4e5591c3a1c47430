"""nnU-Net's own ``nnUNetPredictor``, in this process: the model is loaded once, then every case is predicted.

Each case is read with the image reader of the model's plans (as ``nnUNetv2_predict`` reads it), preprocessed,
predicted (sliding window, folds ensembled, mirroring unless switched off) and brought back onto the input grid
by nnU-Net's own functions, so the labels equal those of ``nnUNetv2_predict`` on the same input files. What
nnU-Net prints goes to a log file, not to the terminal.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.nnunet.model import TrainedModel
from nnunet_wmh.nnunet.trainer_search import trainer_search


@dataclass(frozen=True)
class CasePrediction:
    """One case's prediction on its input grid, in nnU-Net's (z, y, x) axis order.

    Attributes
    ----------
    labels
        (z, y, x) label map as ``nnUNetv2_predict`` writes it.
    probabilities
        (C, z, y, x) float32: softmax per label, or sigmoid per output for region-based models.
    """

    labels: np.ndarray
    probabilities: np.ndarray


def _load_error(model: TrainedModel, exc: Exception) -> UsageError:
    """A load failure in words: a trainer nnU-Net cannot find, or a checkpoint it cannot read."""
    if "Could not find requested nnunet trainer" in str(exc):
        return UsageError(
            f"`model` {model.folder}: nnU-Net cannot find its trainer class {model.trainer}; give the folder of its "
            "file with `trainer_paths` (or list it in nnUNet_extTrainer)",
            "trainer_paths",
        )
    return UsageError(
        f"`model` {model.folder}: nnU-Net cannot load fold(s) {', '.join(model.folds)} from {model.checkpoint} "
        f"({type(exc).__name__}: {str(exc)[:200]})",
        "model",
    )


class ModelRunner:
    """A loaded model that predicts one case at a time.

    Parameters
    ----------
    model
        The model and its folds.
    device
        ``cpu`` or ``cuda``.
    mirroring
        Test-time mirroring (nnU-Net's default; off is faster).
    log
        File that receives what nnU-Net prints.
    trainer_paths
        Further folders with the trainer classes of the model.
    """

    def __init__(
        self,
        model: TrainedModel,
        *,
        device: str,
        mirroring: bool,
        log: Path,
        trainer_paths: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        import torch  # heavy: torch and nnU-Net only when a model runs
        from nnunetv2.inference.predict_from_raw_data import nnUNetPredictor

        self.model = model
        self.log = log
        log.parent.mkdir(parents=True, exist_ok=True)
        with self._quiet(), trainer_search(trainer_paths):
            self.predictor = nnUNetPredictor(
                use_mirroring=mirroring, device=torch.device(device), allow_tqdm=False, verbose=False
            )
            folds = tuple(f if f == "all" else int(f) for f in model.folds)
            try:
                self.predictor.initialize_from_trained_model_folder(str(model.folder), folds, model.checkpoint)
            except Exception as exc:  # nnU-Net raises RuntimeError, KeyError, pickle errors ... for a bad model
                raise _load_error(model, exc) from exc
        self.reader = self.predictor.plans_manager.image_reader_writer_class()

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        with self.log.open("a") as handle, contextlib.redirect_stdout(handle):
            yield

    @property
    def label_values(self) -> list[int]:
        """Label value of each probability channel (label models)."""
        return [int(v) for v in self.predictor.label_manager.all_labels]

    def read_channels(self, subject: str, files: Sequence[Path | None]) -> tuple[np.ndarray, dict[str, Any]]:
        """The (C, z, y, x) input of a case: each distinct file read once, None channels all zeros."""
        distinct = list(dict.fromkeys(f for f in files if f is not None))
        arrays: dict[Path, np.ndarray] = {}
        properties: dict[str, Any] = {}
        for path in distinct:
            try:
                data, read_properties = self.reader.read_images([str(path)])
            except Exception as exc:  # nnU-Net's readers raise anything
                raise InputDataError(subject, str(path), f"nnU-Net cannot read it ({exc})") from exc
            arrays[path] = data[0]
            properties = properties or read_properties
        shape = arrays[distinct[0]].shape
        channels = [arrays[f] if f is not None else np.zeros(shape, dtype=np.float32) for f in files]
        return np.stack(channels).astype(np.float32, copy=False), properties

    def predict(self, subject: str, files: Sequence[Path | None]) -> CasePrediction:
        """Predict one case from its channel files (None: a zero-filled channel); the first file is the
        reference grid.

        Raises
        ------
        InputDataError
            If nnU-Net cannot read an input file.
        """
        data, properties = self.read_channels(subject, files)
        with self._quiet():
            labels, probabilities = self.predictor.predict_single_npy_array(data, properties, None, None, True)
        return CasePrediction(np.asarray(labels), np.asarray(probabilities, dtype=np.float32))
