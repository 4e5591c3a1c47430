"""What the study's evaluations found: ``results.tsv`` rows, the best lesion configuration, and the lesion
burden per region of every region configuration (for ``table_localization.tsv``)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh.cohorts.read import read_source
from nnunet_wmh.cohorts.region_override import apply_regions_override
from nnunet_wmh.cohorts.subject import Subject
from nnunet_wmh.evaluation.localization import case_region_burden
from nnunet_wmh.geometry import Geometry
from nnunet_wmh.io import load_nifti, read_voxels
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.study.configs import StudyConfig
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.tsv import number_cell, read_tsv

METRICS = ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1")
#: ``model_status``: whether the configuration's model learned (:mod:`~nnunet_wmh.study.learning`).
RESULT_COLUMNS = (
    "config", "variant", "case", "participant_id", "session", "site", *METRICS, "reference_volume_mm3",
    "prediction_volume_mm3", "model_status", "prediction", "reference",
)  # fmt: skip


def results_rows(layout: StudyLayout, configs: Sequence[StudyConfig]) -> list[dict[str, Any]]:
    """One row per configuration × test case, from each configuration's ``evaluation/CONFIG/metrics.tsv``."""
    rows = []
    for config in configs:
        if not config.trained:
            continue
        for row in read_tsv(layout.evaluation(config) / "metrics.tsv"):
            rows.append(
                {
                    "config": config.name,
                    "variant": row["variant"],
                    "case": row["case"],
                    "participant_id": row["subject"],
                    "session": row.get("session", ""),
                    "site": row["site"],
                    **{metric: number_cell(row[metric]) for metric in METRICS},
                    "reference_volume_mm3": number_cell(row["reference_volume_mm3"]),
                    "prediction_volume_mm3": number_cell(row["prediction_volume_mm3"]),
                    "prediction": row["prediction"],
                    "reference": row["reference"],
                }
            )
    return rows


def full_variant(config: StudyConfig) -> str:
    """The variant with every input the configuration uses: ``paired`` when it takes FLAIR and T1, the full
    subset (``flair+t1+t2``) of a configuration over modalities."""
    return "paired" if "paired" in config.variants else config.variants[0]


def best_lesion_config(rows: Sequence[Mapping[str, Any]], configs: Sequence[StudyConfig]) -> StudyConfig | None:
    """The lesion configuration with the highest mean Dice on its full input (ties: the earlier one)."""
    best, best_dice = None, -math.inf
    for config in configs:
        if not config.is_lesion_config:
            continue
        values = [r["dice"] for r in rows if r["config"] == config.name and r["variant"] == full_variant(config)]
        mean = float(np.nanmean(values)) if values and np.isfinite(values).any() else -math.inf
        if mean > best_dice:
            best, best_dice = config, mean
    return best


def _labels(path: str | Path) -> tuple[np.ndarray, float]:
    """Voxels of a label map in their stored type, and the volume of one voxel (mm³)."""
    image = load_nifti(path)
    return read_voxels(image, path), float(np.prod(Geometry.of(image).spacing[:3]))


def _multitask_burden(layout: StudyLayout, config: StudyConfig) -> list[dict[str, Any]]:
    dataset_json = layout.dataset_dir(config) / "dataset.json"
    convention = LabelConvention.from_dataset_json(dataset_json)
    table = convention.encoding.regions.as_table()  # type: ignore[union-attr]
    rows = []
    for case in read_tsv(layout.evaluation(config) / "metrics.tsv"):
        reference_values, voxel_mm3 = _labels(case["reference"])
        reference = convention.read_reference(reference_values)
        predicted = convention.read_prediction(_labels(case["prediction"])[0], reference.ignore)
        for row in case_region_burden(
            predicted.lesion, predicted.regions, reference.lesion, reference.regions,  # type: ignore[arg-type]
            voxel_volume_mm3=voxel_mm3, region_table=table, ignore=reference.ignore,
        ):  # fmt: skip
            rows.append({"config": config.name, "case": case["case"], "participant_id": case["subject"], **row})
    return rows


def _subjects_by_id(sources: Sequence[tuple[str, str | None]]) -> dict[tuple[str, str, str], Subject]:
    found = {}
    for source, layout in sources:
        contents = read_source(source, layout=layout)
        for subject in [*contents.train, *contents.test]:
            found[(subject.subject, subject.session or "", subject.site)] = subject
    return found


def _separate_burden(
    layout: StudyLayout, lesion_config: StudyConfig, sources: Sequence[tuple[str, str | None]]
) -> list[dict[str, Any]]:
    dataset = layout.dataset_dir(lesion_config)
    convention = LabelConvention.from_dataset_json(dataset / "dataset.json")
    table = read_region_table(layout.regions / "regions.tsv")
    subjects = _subjects_by_id(sources)
    rows = []
    for case in read_tsv(layout.evaluation(lesion_config) / "metrics.tsv"):
        if case["variant"] != full_variant(lesion_config):
            continue
        subject = subjects[(case["subject"], case.get("session", ""), case["site"])]
        registered = apply_regions_override([subject], str(layout.regions))[0].regions
        truth = subject.regions or registered  # the source's own maps when it has them
        reference_values, voxel_mm3 = _labels(case["reference"])
        reference = convention.read_reference(reference_values)
        predicted = convention.read_prediction(_labels(case["prediction"])[0], reference.ignore)
        for row in case_region_burden(
            predicted.lesion, _labels(registered)[0], reference.lesion, _labels(truth)[0],  # type: ignore[arg-type]
            voxel_volume_mm3=voxel_mm3, region_table=table, ignore=reference.ignore,
        ):  # fmt: skip
            rows.append({"config": "separate_models", "case": case["case"], "participant_id": case["subject"], **row})
    return rows


def burden_rows(
    layout: StudyLayout,
    configs: Sequence[StudyConfig],
    best: StudyConfig | None,
    sources: Sequence[tuple[str, str | None]],
) -> list[dict[str, Any]]:
    """Lesion volume per region (mL) by each region configuration and by the ground truth, per test case.

    Parameters
    ----------
    layout
        The study folder.
    configs
        The study's configurations (only ``multitask_*`` and ``separate_models`` count).
    best
        The lesion configuration ``separate_models`` takes its lesions from.
    sources
        ``(source, layout)`` of the cohorts, to find each subject's region maps.
    """
    rows = []
    for config in configs:
        if config.regions and config.trained:
            rows += _multitask_burden(layout, config)
        elif config.name == "separate_models" and best is not None:
            rows += _separate_burden(layout, best, sources)
    return rows
