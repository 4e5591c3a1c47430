"""Measure one case of a report: its lesions, where they lie (regions, periventricular or deep) and the
intracranial volume; no file is written here.

Every map is read whole and checked (:func:`nnunet_wmh.io.read_image`) and must hold the values its kind
allows; each problem names the case and the file.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import nibabel as nib
import numpy as np

from nnunet_wmh.errors import InputDataError
from nnunet_wmh.io import CheckedImage, read_subject_image
from nnunet_wmh.labels.conventions import LabelConvention, LabelValueError, whole_number_labels
from nnunet_wmh.report.burden import (
    CaseRegions,
    RegionBurden,
    assign_outside_to_nearest,
    measure_burden,
    regions_from_joint,
    regions_from_map,
)
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.lesions import LesionVoxels, find_lesions
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.periventricular import (
    PvClassification,
    VentricleMapError,
    classify_periventricular,
    ventricle_mask,
)


@dataclass(frozen=True)
class CaseSettings:
    """Everything a worker needs besides the case (picklable)."""

    convention: LabelConvention
    region_table: Mapping[int, str]
    options: ReportOptions


@dataclass(frozen=True)
class CaseMeasurement:
    """What was measured on one case.

    Attributes
    ----------
    inputs
        The case's files.
    image
        The prediction's NIfTI image (its grid and header).
    lesions
        The lesions kept (after the minimum-size filter).
    regions
        The case's regions, or None without regions.
    burden
        Lesion burden per region, or None without regions.
    region_classes
        Region class of each lesion voxel after the ``outside`` policy, shape (N,), or None.
    outside_fraction_input, outside_fraction
        Share of lesion voxels in no region before and after the ``outside`` policy (NaN without regions).
    periventricular
        Periventricular / deep decision, or None without a ventricle map.
    voxel_volume_mm3
        Volume of one voxel.
    icv_mm3
        Intracranial volume from the brain mask (NaN without one).
    warnings
        Oddities worth a look.
    """

    inputs: CaseInputs
    image: nib.Nifti1Image
    lesions: LesionVoxels
    regions: CaseRegions | None
    burden: RegionBurden | None
    region_classes: np.ndarray | None
    outside_fraction_input: float
    outside_fraction: float
    periventricular: PvClassification | None
    voxel_volume_mm3: float
    icv_mm3: float
    warnings: tuple[str, ...] = ()

    @property
    def spacing(self) -> tuple[float, ...]:
        """Voxel size per axis in mm."""
        return tuple(float(z) for z in self.image.header.get_zooms()[:3])


def _lesions_and_regions(
    inputs: CaseInputs, settings: CaseSettings
) -> tuple[CheckedImage, np.ndarray, CaseRegions | None, tuple[str, ...]]:
    prediction = read_subject_image(inputs.case, inputs.prediction, "prediction")
    convention = settings.convention
    try:
        if convention.encoding is not None:
            lesion, regions = regions_from_joint(whole_number_labels(prediction.voxels), convention.encoding)
            return prediction, lesion, regions, ()
        lesion = convention.read_prediction(prediction.voxels, threshold=settings.options.threshold).lesion
    except (LabelValueError, ValueError) as exc:
        raise InputDataError(inputs.case, str(inputs.prediction), f"prediction {exc}") from exc
    warnings = convention.prediction_warnings(prediction.voxels)
    if inputs.regions is None:
        return prediction, lesion, None, warnings
    region_values = read_subject_image(inputs.case, inputs.regions, "region map").voxels
    try:
        regions = regions_from_map(whole_number_labels(region_values), settings.region_table)
    except (LabelValueError, ValueError) as exc:
        raise InputDataError(inputs.case, str(inputs.regions), f"region map {exc}") from exc
    return prediction, lesion, regions, warnings


def _periventricular(
    inputs: CaseInputs, lesions: LesionVoxels, spacing: tuple[float, ...], options: ReportOptions
) -> PvClassification | None:
    if inputs.ventricles is None:
        return None
    values = read_subject_image(inputs.case, inputs.ventricles, "ventricle map").voxels
    try:
        ventricles = ventricle_mask(values)
    except VentricleMapError as exc:
        raise InputDataError(inputs.case, str(inputs.ventricles), f"ventricle map: {exc}") from exc
    return classify_periventricular(
        lesions,
        ventricles,
        spacing=spacing,
        rule=options.pv_rule,
        distance_mm=options.pv_distance_mm,
        connectivity=options.connectivity,
    )


def _intracranial_volume_mm3(inputs: CaseInputs, voxel_mm3: float) -> float:
    if inputs.brain_mask is None:
        return math.nan
    values = read_subject_image(inputs.case, inputs.brain_mask, "brain mask").voxels
    return float(np.count_nonzero(values)) * voxel_mm3


def measure_case(inputs: CaseInputs, settings: CaseSettings) -> CaseMeasurement:
    """Measure one case (see the module docstring).

    Raises
    ------
    InputDataError
        A file that cannot be read or holds values its kind does not allow (names case and file).
    """
    options = settings.options
    prediction, lesion_mask, regions, warnings = _lesions_and_regions(inputs, settings)
    spacing = tuple(float(z) for z in prediction.image.header.get_zooms()[:3])
    voxel_mm3 = float(np.prod(spacing))
    lesions = find_lesions(
        lesion_mask,
        connectivity=options.connectivity,
        min_lesion_mm3=options.min_lesion_mm3,
        voxel_volume_mm3=voxel_mm3,
    )
    burden = classes = None
    outside_input = outside_after = math.nan
    if regions is not None:
        map_classes = regions.classes_at(lesions.indices)
        classes = map_classes
        if options.outside == "nearest":
            classes = assign_outside_to_nearest(lesions, map_classes, regions, spacing=spacing, shape=lesion_mask.shape)
        burden = measure_burden(lesions, classes, regions, voxel_volume_mm3=voxel_mm3, map_classes=map_classes)
        if lesions.voxel_count:
            outside_input = float(np.count_nonzero(map_classes == 0)) / lesions.voxel_count
            outside_after = float(np.count_nonzero(classes == 0)) / lesions.voxel_count
    return CaseMeasurement(
        inputs=inputs,
        image=prediction.image,
        lesions=lesions,
        regions=regions,
        burden=burden,
        region_classes=classes,
        outside_fraction_input=outside_input,
        outside_fraction=outside_after,
        periventricular=_periventricular(inputs, lesions, spacing, options),
        voxel_volume_mm3=voxel_mm3,
        icv_mm3=_intracranial_volume_mm3(inputs, voxel_mm3),
        warnings=tuple(warnings),
    )
