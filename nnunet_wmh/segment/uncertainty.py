"""How sure the model was of a case's lesions, from its probabilities.

* ``lesion_entropy_bits``: mean binary entropy H(p) = -p log2 p - (1-p) log2(1-p) of the lesion probability p
  over the predicted lesions and a one-voxel ring around them (26-neighbourhood), 0 (certain) to 1 bit; NaN
  for an empty prediction. Confident lesions score low even at their border; lesions the model hesitated on,
  or a blurred scan, score high.
* ``uncertain_volume_ml``: volume (mL) of the voxels with 0.25 ≤ p ≤ 0.75, wherever they are.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from nnunet_wmh.labels.joint import LESION_OUTPUT_NAME
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.report.burden import MM3_PER_ML

UNCERTAIN_BAND = (0.25, 0.75)


def lesion_probability(
    probabilities: np.ndarray, route: ModelRoute, dataset_json: Mapping[str, Any], label_values: list[int]
) -> np.ndarray:
    """The lesion probability of every voxel, shape of ``probabilities[0]``.

    Parameters
    ----------
    probabilities
        (C, ...) as the model gives them: softmax over ``label_values`` (lesion and joint models) or sigmoid
        outputs in dataset.json order (``separate`` models).
    """
    if route.encoding == "separate":
        return probabilities[list(dataset_json["nnunet_wmh"]["outputs"]).index(LESION_OUTPUT_NAME)]
    if route.encoding == "joint":
        count = len(dataset_json["nnunet_wmh"]["regions"])
        return probabilities[count + 1 : 2 * count + 2].sum(axis=0)
    return probabilities[label_values.index(route.lesion_label)]


def binary_entropy_bits(probability: np.ndarray) -> np.ndarray:
    """H(p) in bits, elementwise (0 at p = 0 or 1)."""
    p = np.clip(probability.astype(np.float64), 1e-12, 1 - 1e-12)
    return -(p * np.log2(p) + (1 - p) * np.log2(1 - p))


def uncertainty_figures(probability: np.ndarray, lesion: np.ndarray, voxel_volume_mm3: float) -> dict[str, float]:
    """``lesion_entropy_bits`` and ``uncertain_volume_ml`` of one case (see the module docstring).

    Parameters
    ----------
    probability
        Lesion probability, any 3-D shape.
    lesion
        Predicted lesion mask, same shape.
    voxel_volume_mm3
        Volume of one voxel (mm³).
    """
    from scipy import ndimage  # heavy: only when a case is measured

    low, high = UNCERTAIN_BAND
    uncertain_ml = float(np.count_nonzero((probability >= low) & (probability <= high))) * voxel_volume_mm3 / MM3_PER_ML
    if not lesion.any():
        return {"lesion_entropy_bits": math.nan, "uncertain_volume_ml": uncertain_ml}
    around = ndimage.binary_dilation(lesion, structure=np.ones((3, 3, 3), dtype=bool))
    entropy = float(binary_entropy_bits(probability[around]).mean())
    return {"lesion_entropy_bits": entropy, "uncertain_volume_ml": uncertain_ml}
