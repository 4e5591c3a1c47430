"""The rows one case gives each table of the report (regions.tsv, subjects.tsv, lesions.tsv, qc.tsv), before
the cohort-level columns (z-scores, flags, missing regions) are added by :mod:`nnunet_wmh.report.cohort_tables`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnunet_wmh.report.burden import MM3_PER_ML
from nnunet_wmh.report.case import CaseMeasurement
from nnunet_wmh.report.lesions import world_coordinates


@dataclass
class CaseRows:
    """Rows of one case for every table, and what the cohort step needs besides."""

    case: str
    regions: list[dict[str, Any]]
    subject: dict[str, Any]
    lesions: list[dict[str, Any]]
    qc: dict[str, Any]
    region_names: dict[int, str]
    warnings: list[str]
    #: The files the page's viewer shows (:func:`~nnunet_wmh.report.viewer.recorded_case_files`).
    files: dict[str, Any] = field(default_factory=dict)


def _identity(measured: CaseMeasurement) -> dict[str, Any]:
    info = measured.inputs.info
    identity: dict[str, Any] = {}
    if info is not None:
        identity = {"participant_id": info.participant_id, "session_id": info.session_id, "site": info.site}
    return {**identity, "case": measured.inputs.case}


def _subject_row(measured: CaseMeasurement, base: dict[str, Any]) -> dict[str, Any]:
    lesions, voxel_mm3, icv = measured.lesions, measured.voxel_volume_mm3, measured.icv_mm3
    total_mm3 = lesions.voxel_count * voxel_mm3
    pv_volume = deep_volume = math.nan
    if measured.periventricular is not None:
        pv_voxels = int(np.count_nonzero(measured.periventricular.voxel_periventricular))
        pv_volume, deep_volume = pv_voxels * voxel_mm3, (lesions.voxel_count - pv_voxels) * voxel_mm3
    return {
        **base,
        "total_lesion_volume_mm3": total_mm3,
        "total_lesion_volume_ml": total_mm3 / MM3_PER_ML,
        "lesion_count": lesions.count,
        "periventricular_volume_mm3": pv_volume,
        "deep_volume_mm3": deep_volume,
        "icv_mm3": icv,
        "total_lesion_percent_icv": total_mm3 / icv * 100 if icv > 0 else math.nan,
    }


def _lesion_rows(measured: CaseMeasurement, base: dict[str, Any]) -> list[dict[str, Any]]:
    lesions, burden = measured.lesions, measured.burden
    sizes = lesions.sizes()
    centroids = world_coordinates(lesions.centroids_voxel(), measured.image.affine) if lesions.count else None
    locations = measured.periventricular.locations() if measured.periventricular is not None else None
    rows = []
    for k in range(lesions.count):
        dominant = int(burden.dominant_class[k]) if burden is not None else None
        rows.append(
            {
                **base,
                "lesion_id": k + 1,
                "voxels": int(sizes[k]),
                "volume_mm3": int(sizes[k]) * measured.voxel_volume_mm3,
                "centroid_x_mm": float(centroids[k, 0]),
                "centroid_y_mm": float(centroids[k, 1]),
                "centroid_z_mm": float(centroids[k, 2]),
                "dominant_region_id": burden.region_id(dominant) if burden is not None else None,
                "dominant_region_name": burden.region_name(dominant) if burden is not None else None,
                "n_regions_touched": int(burden.regions_touched[k]) if burden is not None else None,
                "location": locations[k] if locations is not None else None,
            }
        )
    return rows


def _qc_row(measured: CaseMeasurement, base: dict[str, Any]) -> dict[str, Any]:
    lesions, icv = measured.lesions, measured.icv_mm3
    region_map_mm3 = math.nan
    if measured.regions is not None:
        region_map_mm3 = float(measured.regions.voxels[1:].sum()) * measured.voxel_volume_mm3
    return {
        **base,
        "empty_prediction": lesions.count == 0,
        "total_lesion_volume_ml": lesions.voxel_count * measured.voxel_volume_mm3 / MM3_PER_ML,
        "lesions_dropped_below_min_size": lesions.dropped,
        "lesion_outside_fraction_input": measured.outside_fraction_input,
        "lesion_outside_fraction": measured.outside_fraction,
        "region_map_volume_ml": region_map_mm3 / MM3_PER_ML,
        "region_map_to_icv_ratio": region_map_mm3 / icv if icv > 0 else math.nan,
        **dict(measured.inputs.qc_extra),
    }


def case_rows(measured: CaseMeasurement) -> CaseRows:
    """The rows of one measured case for every table of the report."""
    base = _identity(measured)
    region_rows = [] if measured.burden is None else [{**base, **row, "flag": ""} for row in measured.burden.rows()]
    region_names = {} if measured.regions is None else measured.regions.index.as_table()
    return CaseRows(
        case=measured.inputs.case,
        regions=region_rows,
        subject=_subject_row(measured, base),
        lesions=_lesion_rows(measured, base),
        qc=_qc_row(measured, base),
        region_names=region_names,
        warnings=list(measured.warnings),
    )
