"""The study's figures (PNG): metrics per configuration × input variant, and region-volume agreement."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh.study.paper_tables import table_order

METRIC_LABELS = {"dice": "Dice", "hd95_mm": "HD95 (mm)", "avd_percent": "AVD (%)", "lesion_f1": "lesion F1"}
VARIANT_COLOURS = {"paired": "#1d3557", "flair_only": "#e63946", "t1_only": "#2a9d8f"}


def _pyplot():
    import matplotlib  # heavy: matplotlib only where a figure is drawn

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # heavy: as above

    return plt


def _save(figure, path: Path, *, dpi: int, rect: tuple[float, ...] | None = None) -> Path:
    """Lay the figure out (within ``rect``, leaving room for a title), write it as PNG and close it."""
    figure.tight_layout(rect=rect)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=dpi, bbox_inches="tight")
    _pyplot().close(figure)
    return path


def metric_figure(rows: Sequence[Mapping[str, Any]], metric: str, path: Path) -> Path:
    """Box plot with every case as a dot, one box per configuration × input variant (table order)."""
    plt = _pyplot()
    groups = sorted(
        {(r["config"], r["variant"]) for r in rows}, key=lambda g: table_order({"config": g[0], "variant": g[1]})
    )
    values = [
        [float(r[metric]) for r in rows if (r["config"], r["variant"]) == g and math.isfinite(float(r[metric]))]
        for g in groups
    ]
    figure, axes = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) + 2), 4.6))
    positions = np.arange(len(groups))
    axes.boxplot([v if v else [math.nan] for v in values], positions=positions, widths=0.6, showfliers=False)
    rng = np.random.default_rng(0)
    for position, group, group_values in zip(positions, groups, values, strict=True):
        jitter = rng.uniform(-0.15, 0.15, size=len(group_values))
        colour = VARIANT_COLOURS.get(group[1], "#555555")
        axes.scatter(position + jitter, group_values, s=14, alpha=0.75, color=colour, zorder=3)
    axes.set_xticks(positions, [f"{c}\n{v}" for c, v in groups], fontsize=8, rotation=30, ha="right")
    axes.set_ylabel(METRIC_LABELS.get(metric, metric))
    axes.set_title(f"{METRIC_LABELS.get(metric, metric)} per configuration and input (dots: test cases)")
    axes.grid(axis="y", alpha=0.3)
    return _save(figure, path, dpi=110)


def region_agreement_figure(burden: Sequence[Mapping[str, Any]], path: Path) -> Path:
    """Predicted vs ground-truth lesion volume per subject × region (mL), one panel per configuration."""
    plt = _pyplot()
    configs = list(dict.fromkeys(r["config"] for r in burden))
    figure, axes = plt.subplots(1, len(configs), figsize=(4.4 * len(configs), 4.8), squeeze=False)
    for axis, config in zip(axes[0], configs, strict=True):
        true = np.array([r["true_volume_ml"] for r in burden if r["config"] == config], dtype=float)
        predicted = np.array([r["predicted_volume_ml"] for r in burden if r["config"] == config], dtype=float)
        limit = max(float(true.max(initial=0)), float(predicted.max(initial=0)), 1e-3) * 1.05
        axis.plot([0, limit], [0, limit], color="#999999", linewidth=1, linestyle="--")
        axis.scatter(true, predicted, s=12, alpha=0.7, color="#1d3557")
        axis.set_xlim(0, limit)
        axis.set_ylim(0, limit)
        axis.set_xlabel("ground-truth lesion volume in region (mL)")
        axis.set_ylabel("predicted (mL)")
        axis.set_title(config)
        axis.set_aspect("equal")
    figure.suptitle("Lesion volume per subject and region: prediction vs ground truth")
    return _save(figure, path, dpi=110, rect=(0, 0, 1, 0.95))


def learning_curves_figure(curves: Mapping[str, Mapping[int, Any]], path: Path) -> Path:
    """Loss (left) and pseudo-Dice (right) per epoch, one row per configuration, one line per fold.

    Parameters
    ----------
    curves
        Configuration → fold → :class:`~nnunet_wmh.study.training_logs.LearningCurve`.
    """
    plt = _pyplot()
    figure, axes = plt.subplots(len(curves), 2, figsize=(10, 2.4 * len(curves) + 0.6), squeeze=False)
    for (loss_axis, dice_axis), (config, folds) in zip(axes, curves.items(), strict=True):
        for fold, curve in folds.items():
            loss_axis.plot(curve.epochs, curve.train_loss, color="#1d3557", label=f"train (fold {fold})")
            loss_axis.plot(
                curve.epochs, curve.val_loss, color="#e63946", linestyle="--", label=f"validation (fold {fold})"
            )
            dice_axis.plot(curve.epochs, curve.pseudo_dice, color="#2a9d8f", label=f"fold {fold}")
        loss_axis.set_ylabel(f"{config}\nloss", fontsize=9)
        dice_axis.set_ylabel("pseudo-Dice", fontsize=9)
        dice_axis.set_ylim(0, 1)
        for axis in (loss_axis, dice_axis):
            axis.grid(alpha=0.3)
            axis.tick_params(labelsize=8)
        loss_axis.legend(fontsize=7, loc="upper right")
    for axis in axes[-1]:
        axis.set_xlabel("epoch")
    figure.suptitle("Learning curves (nnU-Net's training logs; pseudo-Dice: mean over classes, validation patches)")
    return _save(figure, path, dpi=100, rect=(0, 0, 1, 0.97))
