"""The MICCAI WMH Segmentation Challenge 2017 metrics, as its official evaluation defines them.

Reference: ``evaluation.py`` of github.com/hjkuijf/wmhchallenge (MIT). This is an independent
implementation of the same definitions, on numpy arrays in nibabel's (X, Y, Z) voxel order:

* **Dice** = 2 |R ∩ P| / (|R| + |P|) over the volume.
* **HD95** (mm) = max of the two directed 95th-percentile distances between *boundary* voxels, measured
  between voxel centres in world coordinates. Boundary = mask minus its erosion by a 3 × 3 in-plane
  square (SimpleITK ``BinaryErode`` with radius (1, 1, 0)); voxels beyond the image edge count as
  foreground, so a lesion touching the edge has no boundary there. Percentiles interpolate linearly
  (numpy's default, as the official script).
* **AVD** (%) = |V_R − V_P| / V_R × 100.
* **Lesion recall** = fraction of the reference's 26-connected lesions that the prediction touches;
  **precision** = fraction of the prediction's 26-connected components that touch the reference;
  **F1** = 2 PR / (P + R), 0 when P + R = 0.

Where the official script fails, or divides by zero, we define (and document in docs/commands/evaluate.md):

* empty reference: Dice 0 if the prediction is not empty, AVD and HD95 NaN, recall 1.0 (the official
  script's own branch); both empty: Dice NaN;
* empty prediction: HD95 NaN (as the official script), precision 1.0 (its branch);
* a mask with no boundary at all (it fills whole slices): HD95 NaN.

The masks given here are already binary, with the prediction already removed where the reference has
"other pathology" (see :mod:`nnunet_wmh.labels.conventions`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from nnunet_wmh.masks import bounding_box, connected_components, in_plane_boundary

#: Percentile of the boundary distances (HD95).
HAUSDORFF_PERCENTILE = 95.0
#: Connectivity of lesions for detection metrics (26: faces, edges and corners).
LESION_CONNECTIVITY = 26


@dataclass(frozen=True)
class LesionMetrics:
    """Challenge metrics of one case, and the counts they come from.

    Attributes
    ----------
    dice
        Dice similarity coefficient, 0..1 (NaN when both masks are empty).
    hd95_mm
        95th-percentile Hausdorff distance in mm (NaN for an empty prediction or reference).
    avd_percent
        Absolute volume difference in % of the reference volume (NaN for an empty reference).
    lesion_recall, lesion_f1
        Lesion-wise detection recall and F1, 0..1.
    reference_voxels, prediction_voxels, overlap_voxels
        Voxel counts of R, P and R ∩ P.
    reference_lesions, prediction_lesions
        26-connected components of R and of P.
    detected_lesions
        Reference lesions touched by the prediction.
    true_detections
        Predicted components that touch the reference.
    voxel_volume_mm3
        Volume of one voxel in mm³.
    """

    dice: float
    hd95_mm: float
    avd_percent: float
    lesion_recall: float
    lesion_f1: float
    reference_voxels: int
    prediction_voxels: int
    overlap_voxels: int
    reference_lesions: int
    prediction_lesions: int
    detected_lesions: int
    true_detections: int
    voxel_volume_mm3: float

    @property
    def lesion_precision(self) -> float:
        """Fraction of predicted components that touch the reference (1.0 if there are none)."""
        return _ratio_or_one(self.true_detections, self.prediction_lesions)

    @property
    def reference_volume_mm3(self) -> float:
        """Reference lesion volume in mm³."""
        return self.reference_voxels * self.voxel_volume_mm3

    @property
    def prediction_volume_mm3(self) -> float:
        """Predicted lesion volume in mm³."""
        return self.prediction_voxels * self.voxel_volume_mm3


def _ratio_or_one(numerator: int, denominator: int) -> float:
    return 1.0 if denominator == 0 else numerator / denominator


def voxel_volume_mm3(affine: np.ndarray) -> float:
    """Volume of one voxel in mm³: |det| of the affine's 3 × 3 part."""
    return float(abs(np.linalg.det(np.asarray(affine, dtype=np.float64)[:3, :3])))


def dice_coefficient(reference_voxels: int, prediction_voxels: int, overlap_voxels: int) -> float:
    """Dice = 2 |R ∩ P| / (|R| + |P|); NaN when both are empty."""
    total = reference_voxels + prediction_voxels
    return math.nan if total == 0 else 2.0 * overlap_voxels / total


def absolute_volume_difference(reference_voxels: int, prediction_voxels: int) -> float:
    """AVD = |V_R − V_P| / V_R × 100 (%); NaN for an empty reference."""
    if reference_voxels == 0:
        return math.nan
    return abs(reference_voxels - prediction_voxels) / reference_voxels * 100.0


def lesion_f1(recall: float, precision: float) -> float:
    """F1 = 2 PR / (P + R); 0 when P + R = 0."""
    return 0.0 if precision + recall == 0 else 2.0 * precision * recall / (precision + recall)


def _world_points(boundary: np.ndarray, offset: np.ndarray, affine: np.ndarray) -> np.ndarray:
    indices = np.argwhere(boundary) + offset
    return indices @ affine[:3, :3].T + affine[:3, 3]


def directed_percentile_distance(source: np.ndarray, target: np.ndarray, percentile: float) -> float:
    """Percentile of the distances from each point of ``source`` to its nearest point of ``target``.

    Parameters
    ----------
    source, target
        World coordinates in mm, shapes (N, 3) and (M, 3), both non-empty.
    percentile
        0..100, linear interpolation.
    """
    from scipy.spatial import cKDTree  # heavy: scipy, imported on first use to keep the start-up short

    distances, _ = cKDTree(target).query(source, k=1)
    return float(np.percentile(distances, percentile))


def hausdorff_distance(
    reference: np.ndarray, prediction: np.ndarray, affine: np.ndarray, *, percentile: float = HAUSDORFF_PERCENTILE
) -> float:
    """Percentile Hausdorff distance (mm) between the in-plane boundaries of two masks.

    Parameters
    ----------
    reference, prediction
        Boolean masks, shape (X, Y, Z), on the grid of ``affine``.
    affine
        4 × 4 voxel-to-world matrix of the reference image (mm).
    percentile
        95 for the challenge's HD95.

    Returns
    -------
    float
        max(directed(R → P), directed(P → R)); NaN if either mask is empty or has no boundary.
    """
    box = bounding_box(reference | prediction, margin=(1, 1, 0))
    if box is None:
        return math.nan
    offset = np.array([axis.start for axis in box])
    affine = np.asarray(affine, dtype=np.float64)
    reference_points = _world_points(in_plane_boundary(reference[box]), offset, affine)
    prediction_points = _world_points(in_plane_boundary(prediction[box]), offset, affine)
    if len(reference_points) == 0 or len(prediction_points) == 0:
        return math.nan
    return max(
        directed_percentile_distance(reference_points, prediction_points, percentile),
        directed_percentile_distance(prediction_points, reference_points, percentile),
    )


@dataclass(frozen=True)
class DetectionCounts:
    """Lesion-wise counts: components of each mask and how many touch the other mask."""

    reference_lesions: int
    prediction_lesions: int
    detected_lesions: int
    true_detections: int

    @property
    def recall(self) -> float:
        """Detected reference lesions / reference lesions (1.0 without reference lesions)."""
        return _ratio_or_one(self.detected_lesions, self.reference_lesions)

    @property
    def precision(self) -> float:
        """Predicted components touching the reference / predicted components (1.0 without any)."""
        return _ratio_or_one(self.true_detections, self.prediction_lesions)


def _touched_components(components: np.ndarray, count: int, other: np.ndarray) -> int:
    if count == 0:
        return 0
    hits = np.bincount(components[other], minlength=count + 1)
    return int(np.count_nonzero(hits[1:]))


def lesion_detection(
    reference: np.ndarray, prediction: np.ndarray, *, connectivity: int = LESION_CONNECTIVITY
) -> DetectionCounts:
    """Connected lesions of both masks and their overlaps.

    Parameters
    ----------
    reference, prediction
        Boolean masks, same shape (X, Y, Z).
    connectivity
        26 (challenge), 18 or 6.
    """
    box = bounding_box(reference | prediction)
    if box is None:
        return DetectionCounts(0, 0, 0, 0)
    reference, prediction = reference[box], prediction[box]
    reference_components, reference_count = connected_components(reference, connectivity)
    prediction_components, prediction_count = connected_components(prediction, connectivity)
    return DetectionCounts(
        reference_lesions=reference_count,
        prediction_lesions=prediction_count,
        detected_lesions=_touched_components(reference_components, reference_count, prediction),
        true_detections=_touched_components(prediction_components, prediction_count, reference),
    )


def challenge_metrics(reference: np.ndarray, prediction: np.ndarray, affine: np.ndarray) -> LesionMetrics:
    """All challenge metrics of one case.

    Parameters
    ----------
    reference
        Boolean reference lesion mask (label 1), shape (X, Y, Z).
    prediction
        Boolean predicted lesion mask, same shape, already False where the reference has other
        pathology (label 2).
    affine
        4 × 4 voxel-to-world matrix of the reference (mm).

    Returns
    -------
    LesionMetrics
    """
    reference = np.asarray(reference, dtype=bool)
    prediction = np.asarray(prediction, dtype=bool)
    if reference.shape != prediction.shape:
        raise ValueError(f"reference shape {reference.shape} != prediction shape {prediction.shape}")
    reference_voxels = int(np.count_nonzero(reference))
    prediction_voxels = int(np.count_nonzero(prediction))
    overlap_voxels = int(np.count_nonzero(reference & prediction))
    detection = lesion_detection(reference, prediction)
    hd95 = math.nan
    if reference_voxels and prediction_voxels:
        hd95 = hausdorff_distance(reference, prediction, affine)
    return LesionMetrics(
        dice=dice_coefficient(reference_voxels, prediction_voxels, overlap_voxels),
        hd95_mm=hd95,
        avd_percent=absolute_volume_difference(reference_voxels, prediction_voxels),
        lesion_recall=detection.recall,
        lesion_f1=lesion_f1(detection.recall, detection.precision),
        reference_voxels=reference_voxels,
        prediction_voxels=prediction_voxels,
        overlap_voxels=overlap_voxels,
        reference_lesions=detection.reference_lesions,
        prediction_lesions=detection.prediction_lesions,
        detected_lesions=detection.detected_lesions,
        true_detections=detection.true_detections,
        voxel_volume_mm3=voxel_volume_mm3(affine),
    )
