"""One prediction against its reference: both read and checked, then the challenge metrics (and, for joint
lesion × region labels, the agreement of every region)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.evaluation.metrics import LesionMetrics, challenge_metrics, dice_coefficient, voxel_volume_mm3
from nnunet_wmh.io import read_subject_image
from nnunet_wmh.labels.conventions import LabelConvention, LabelValueError


@dataclass(frozen=True)
class CasePair:
    """A prediction and its reference: ``PRED_DIR/CASE.nii.gz`` and ``GT_DIR/CASE.nii.gz``."""

    case: str
    prediction: Path
    reference: Path


@dataclass(frozen=True)
class RegionMetrics:
    """Agreement of one anatomical region between reference and prediction (multitask models).

    Attributes
    ----------
    region_id, region_name
        As in the region maps and region table.
    reference_voxels, prediction_voxels, overlap_voxels
        Voxel counts of the region in the reference, the prediction, and both.
    voxel_volume_mm3
        Volume of one voxel in mm³.
    """

    region_id: int
    region_name: str
    reference_voxels: int
    prediction_voxels: int
    overlap_voxels: int
    voxel_volume_mm3: float

    @property
    def dice(self) -> float:
        """Dice of the region (NaN if it is in neither map)."""
        return dice_coefficient(self.reference_voxels, self.prediction_voxels, self.overlap_voxels)

    @property
    def volume_error_percent(self) -> float:
        """(V_pred − V_ref) / V_ref × 100, signed; NaN for a region absent from the reference."""
        if self.reference_voxels == 0:
            return math.nan
        return (self.prediction_voxels - self.reference_voxels) / self.reference_voxels * 100.0


@dataclass(frozen=True)
class CaseEvaluation:
    """Everything measured on one case.

    Attributes
    ----------
    pair
        The files.
    metrics
        Challenge lesion metrics.
    evaluated_voxels
        Voxels not ignored (for true negatives in summary.json).
    regions
        Per-region agreement (joint convention), else empty.
    warnings
        Oddities worth a look (e.g. a prediction with many label values under the challenge convention).
    """

    pair: CasePair
    metrics: LesionMetrics
    evaluated_voxels: int
    regions: tuple[RegionMetrics, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def region_dice_mean(self) -> float:
        """Mean Dice over the regions present in the reference (NaN without regions)."""
        values = [r.dice for r in self.regions if r.reference_voxels > 0]
        return float(np.mean(values)) if values else math.nan


def _region_metrics(
    reference: np.ndarray, prediction: np.ndarray, convention: LabelConvention, voxel_mm3: float
) -> tuple[RegionMetrics, ...]:
    assert convention.encoding is not None
    regions = convention.encoding.regions
    size = regions.count + 1
    reference_class = regions.to_class_index(reference).astype(np.intp)
    prediction_class = regions.to_class_index(prediction).astype(np.intp)
    confusion = np.bincount((reference_class * size + prediction_class).ravel(), minlength=size * size)
    confusion = confusion.reshape(size, size)
    return tuple(
        RegionMetrics(
            region_id=region_id,
            region_name=name,
            reference_voxels=int(confusion[k].sum()),
            prediction_voxels=int(confusion[:, k].sum()),
            overlap_voxels=int(confusion[k, k]),
            voxel_volume_mm3=voxel_mm3,
        )
        for k, (region_id, name) in enumerate(zip(regions.region_ids, regions.names, strict=True), start=1)
    )


def evaluate_case(pair: CasePair, convention: LabelConvention, *, threshold: float = 0.5) -> CaseEvaluation:
    """Challenge metrics (and region agreement for joint labels) of one prediction.

    Parameters
    ----------
    pair
        Prediction and reference files, on the same grid (see
        :func:`~nnunet_wmh.evaluation.evaluate.geometry_problems`).
    convention
        How to read both label maps.
    threshold
        Float predictions: lesion where ``threshold`` ≤ value ≤ 1000.

    Raises
    ------
    InputDataError
        If a file cannot be read (truncated, NaN values, not 3-D) or holds values the convention does not
        define; names the case and the file.
    """
    reference_image = read_subject_image(pair.case, pair.reference, "reference")
    prediction_image = read_subject_image(pair.case, pair.prediction, "prediction")
    try:
        reference = convention.read_reference(reference_image.voxels)
    except LabelValueError as exc:
        raise InputDataError(pair.case, str(pair.reference), f"reference {exc}") from exc
    prediction_values = prediction_image.voxels
    if prediction_values.shape != reference.lesion.shape:
        problem = f"shape {prediction_values.shape} != reference shape {reference.lesion.shape}"
        raise InputDataError(pair.case, str(pair.prediction), problem)
    try:
        prediction = convention.read_prediction(prediction_values, reference.ignore, threshold=threshold)
    except LabelValueError as exc:
        raise InputDataError(pair.case, str(pair.prediction), f"prediction {exc}") from exc
    affine = np.asarray(reference_image.image.affine, dtype=np.float64)
    regions: tuple[RegionMetrics, ...] = ()
    if reference.regions is not None and prediction.regions is not None:
        regions = _region_metrics(reference.regions, prediction.regions, convention, voxel_volume_mm3(affine))
    return CaseEvaluation(
        pair=pair,
        metrics=challenge_metrics(reference.lesion, prediction.lesion, affine),
        evaluated_voxels=int(reference.ignore.size - np.count_nonzero(reference.ignore)),
        regions=regions,
        warnings=convention.prediction_warnings(prediction_values),
    )
