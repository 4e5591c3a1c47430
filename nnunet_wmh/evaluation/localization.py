"""Lesion burden per region against the ground truth: how well a method localizes lesions.

The ground-truth burden of a region is the volume of ground-truth lesions (label 1) inside the
ground-truth region; a method's burden is the volume of its predicted lesions inside its predicted region
(a multi-task model's own regions, or atlas regions registered to the subject). Voxels of the reference's
"other pathology" (label 2) are left out of both, as the challenge's metrics do.

:func:`case_region_burden` measures one case; :func:`localization_rows` summarises many cases per method
and region (and over all regions) with the absolute and relative volume error, Pearson's r and ICC(3,1)
across subjects, and region Dice.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np

from nnunet_wmh.evaluation.statistics import icc_3_1, pearson_r

#: The row of :func:`localization_rows` over every region.
ALL_REGIONS = "all_regions"
LOCALIZATION_COLUMNS = (
    "config",
    "region_id",
    "region_name",
    "n_cases",
    "true_volume_ml_mean",
    "predicted_volume_ml_mean",
    "absolute_error_ml_mean",
    "relative_error_percent",
    "pearson_r",
    "icc_3_1",
    "region_dice_mean",
)


def _dice(a: np.ndarray, b: np.ndarray) -> float:
    total = int(a.sum()) + int(b.sum())
    return math.nan if total == 0 else 2.0 * int((a & b).sum()) / total


def case_region_burden(
    predicted_lesion: np.ndarray,
    predicted_regions: np.ndarray,
    true_lesion: np.ndarray,
    true_regions: np.ndarray,
    *,
    voxel_volume_mm3: float,
    region_table: Mapping[int, str],
    ignore: np.ndarray | None = None,
) -> list[dict[str, Any]]:
    """Lesion volume per region (mL) of one case, by the method and by the ground truth, and region Dice.

    Parameters
    ----------
    predicted_lesion, true_lesion
        Boolean lesion masks, shape (X, Y, Z) on one grid.
    predicted_regions, true_regions
        Integer region maps (region ids of ``region_table``, 0 outside), same shape.
    voxel_volume_mm3
        Volume of one voxel (mm³).
    region_table
        Region id → name.
    ignore
        Voxels left out of both lesion masks (the reference's label 2), or None.
    """
    predicted = predicted_lesion.astype(bool)
    true = true_lesion.astype(bool)
    if ignore is not None:
        predicted, true = predicted & ~ignore, true & ~ignore
    to_ml = voxel_volume_mm3 / 1000.0
    rows = []
    for region_id, name in sorted(region_table.items()):
        predicted_region, true_region = predicted_regions == region_id, true_regions == region_id
        rows.append(
            {
                "region_id": int(region_id),
                "region_name": name,
                "true_volume_ml": int((true & true_region).sum()) * to_ml,
                "predicted_volume_ml": int((predicted & predicted_region).sum()) * to_ml,
                "region_dice": _dice(predicted_region, true_region),
            }
        )
    return rows


def _summary(config: str, region_id: Any, name: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    true = np.array([float(r["true_volume_ml"]) for r in rows])
    predicted = np.array([float(r["predicted_volume_ml"]) for r in rows])
    dice = np.array([float(r["region_dice"]) for r in rows])
    error = np.abs(predicted - true)
    return {
        "config": config,
        "region_id": region_id,
        "region_name": name,
        "n_cases": len({r["case"] for r in rows}),
        "true_volume_ml_mean": float(true.mean()),
        "predicted_volume_ml_mean": float(predicted.mean()),
        "absolute_error_ml_mean": float(error.mean()),
        "relative_error_percent": float(100.0 * error.sum() / true.sum()) if true.sum() > 0 else math.nan,
        "pearson_r": pearson_r(true, predicted),
        "icc_3_1": icc_3_1(np.column_stack([true, predicted])),
        "region_dice_mean": float(np.nanmean(dice)) if np.isfinite(dice).any() else math.nan,
    }


def localization_rows(burden_rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Summary per config and region, then per config over all regions (:data:`ALL_REGIONS`).

    Parameters
    ----------
    burden_rows
        Rows of :func:`case_region_burden` with ``config`` and ``case`` added.

    Returns
    -------
    list of dict
        :data:`LOCALIZATION_COLUMNS`. The relative error is Σ|predicted − true| / Σ true × 100 over the
        cases (robust to regions without lesions in some subjects); r and ICC are across subjects (over
        subject × region pairs in the ``all_regions`` row).
    """
    by_config: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for row in burden_rows:
        by_config[str(row["config"])].append(row)
    table = []
    for config, rows in by_config.items():
        by_region: dict[int, list[Mapping[str, Any]]] = defaultdict(list)
        for row in rows:
            by_region[int(row["region_id"])].append(row)
        for region_id, region_rows in sorted(by_region.items()):
            table.append(_summary(config, region_id, str(region_rows[0]["region_name"]), region_rows))
        table.append(_summary(config, "", ALL_REGIONS, rows))
    return table
