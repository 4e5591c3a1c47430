"""Learning curves from nnU-Net's own training logs: loss and pseudo-Dice per epoch.

nnU-Net writes ``training_log_<date>.txt`` into each fold folder, one per run (a run continued with ``--c``
starts a new file and goes on from the checkpoint's epoch); each epoch logs ``Epoch N``, ``train_loss``,
``val_loss`` and ``Pseudo dice [..]`` (per foreground class, on validation patches). Reading the text, not the
checkpoint, needs no torch and works while a model is still training. Later files win for an epoch that
two runs logged.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

_EPOCH = re.compile(r":\s*Epoch (\d+)\s*$")
_VALUE = re.compile(r":\s*(train_loss|val_loss) (-?[0-9.eE+-]+|nan)\s*$")
_DICE = re.compile(r":\s*Pseudo dice \[(.*)\]\s*$")
_NUMBER = re.compile(r"(-?[0-9.]+(?:[eE][+-]?[0-9]+)?|nan)")


@dataclass
class LearningCurve:
    """One fold's curves, one value per epoch (NaN where an epoch did not log it).

    Attributes
    ----------
    epochs
        Epoch numbers (0-based, as nnU-Net counts).
    train_loss, val_loss
        nnU-Net's training and validation loss.
    pseudo_dice
        Mean over the foreground classes of nnU-Net's pseudo-Dice (validation patches; classes without
        any voxel in them left out).
    """

    epochs: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    pseudo_dice: list[float] = field(default_factory=list)

    @property
    def last_dice(self) -> float:
        """Pseudo-Dice of the last epoch (NaN before the first)."""
        return self.pseudo_dice[-1] if self.pseudo_dice else math.nan


def _parse_log(text: str) -> dict[int, dict[str, float]]:
    by_epoch: dict[int, dict[str, float]] = {}
    current: dict[str, float] | None = None
    for line in text.splitlines():
        if match := _EPOCH.search(line):
            current = by_epoch.setdefault(int(match.group(1)), {})
        elif current is not None and (match := _VALUE.search(line)):
            current[match.group(1)] = float(match.group(2))
        elif current is not None and (match := _DICE.search(line)):
            values = [float(v) for v in _NUMBER.findall(re.sub(r"np\.float\d+", "", match.group(1)))]
            finite = [v for v in values if math.isfinite(v)]
            current["pseudo_dice"] = float(np.mean(finite)) if finite else math.nan
    return by_epoch


def read_learning_curve(fold_folder: Path) -> LearningCurve | None:
    """The curves of one fold folder (every ``training_log_*.txt`` in it), None when it has no log."""
    logs = sorted(fold_folder.glob("training_log_*.txt"))
    if not logs:
        return None
    epochs: dict[int, dict[str, float]] = {}
    for log in logs:
        for epoch, values in _parse_log(log.read_text(encoding="utf-8", errors="replace")).items():
            epochs.setdefault(epoch, {}).update(values)
    curve = LearningCurve()
    for epoch in sorted(e for e, values in epochs.items() if values):
        values = epochs[epoch]
        curve.epochs.append(epoch)
        curve.train_loss.append(values.get("train_loss", math.nan))
        curve.val_loss.append(values.get("val_loss", math.nan))
        curve.pseudo_dice.append(values.get("pseudo_dice", math.nan))
    return curve


def read_model_curves(model_folder: Path, folds: list[int]) -> dict[int, LearningCurve]:
    """Fold → curves of a trained model folder (folds without a log left out)."""
    curves = {}
    for fold in folds:
        curve = read_learning_curve(model_folder / f"fold_{fold}")
        if curve is not None and curve.epochs:
            curves[fold] = curve
    return curves
