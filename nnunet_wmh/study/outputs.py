"""The study's result files, written from its evaluations (each set atomically, so a kill leaves the
previous set): results.tsv, the tables, comparisons.tsv, figures/*.png and index.html."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.evaluation.localization import LOCALIZATION_COLUMNS, localization_rows
from nnunet_wmh.runs.outputs import atomic_output_files, atomic_output_folder
from nnunet_wmh.study.collect import RESULT_COLUMNS, best_lesion_config, burden_rows, results_rows
from nnunet_wmh.study.configs import StudyConfig
from nnunet_wmh.study.figures import learning_curves_figure, metric_figure, region_agreement_figure
from nnunet_wmh.study.findings import paper_findings
from nnunet_wmh.study.layout import StudyLayout
from nnunet_wmh.study.learning import MODEL_CHECK_COLUMNS, ModelCheck, check_models, unlearned
from nnunet_wmh.study.paper_tables import (
    COMPARISON_COLUMNS,
    SEGMENTATION_COLUMNS,
    comparisons,
    segmentation_markdown,
    segmentation_table,
    subject_localization_errors,
)
from nnunet_wmh.tsv import write_tsv

BURDEN_COLUMNS = (
    "config", "case", "participant_id", "region_id", "region_name", "true_volume_ml", "predicted_volume_ml",
    "region_dice",
)  # fmt: skip


@dataclass
class StudyTables:
    """What the study found.

    Attributes
    ----------
    results
        ``results.tsv`` rows (configuration × test case).
    segmentation
        ``table_segmentation.tsv`` rows (configuration × input variant).
    localization
        ``table_localization.tsv`` rows (region configuration × region, and over all regions).
    comparisons
        ``comparisons.tsv`` rows.
    best_lesion_config
        The lesion configuration ``separate_models`` used (None without it).
    findings
        The paper's three findings with a verdict each (:func:`~nnunet_wmh.study.findings.paper_findings`).
    model_checks
        Configuration → whether its model learned (:func:`~nnunet_wmh.study.learning.check_models`).
    files
        Every file written, by name.
    """

    results: list[dict[str, Any]]
    segmentation: list[dict[str, Any]]
    localization: list[dict[str, Any]]
    comparisons: list[dict[str, Any]]
    best_lesion_config: str | None
    findings: list[dict[str, str]] = field(default_factory=list)
    model_checks: dict[str, ModelCheck] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)


def compute_tables(
    layout: StudyLayout, configs: Sequence[StudyConfig], sources: Sequence[tuple[str, str | None]], *, seed: int
) -> tuple[StudyTables, list[dict[str, Any]]]:
    """Read the evaluations and compute every table; returns the tables and the per-case region burden."""
    results = results_rows(layout, configs)
    separate = any(c.name == "separate_models" for c in configs)
    best = best_lesion_config(results, configs) if separate else None
    burden = burden_rows(layout, configs, best, sources)
    identity = {r["case"]: (r["participant_id"], r["session"], r["site"]) for r in results}
    errors = subject_localization_errors(burden, identity)
    segmentation, _ = segmentation_table(results)
    compared = comparisons(results, best=best.name if best else None, localization=errors, seed=seed)
    checks = check_models(results, burden, configs, best=best.name if best else None)
    localization = localization_rows(burden)
    for row in [*results, *segmentation, *localization]:
        row["model_status"] = checks[row["config"]].status
    tables = StudyTables(results, segmentation, localization, compared, best.name if best else None)
    tables.model_checks = checks
    tables.findings = paper_findings(compared, unlearned=unlearned(checks))
    return tables, burden


def write_tables(out: Path, tables: StudyTables, burden: Sequence[Mapping[str, Any]]) -> None:
    """Write the TSV and Markdown tables into ``out`` (one atomic set; earlier ones replaced)."""
    names = ["results.tsv", "table_segmentation.tsv", "table_segmentation.md", "comparisons.tsv", "model_checks.tsv"]
    if tables.localization:
        names += ["table_localization.tsv", "localization_cases.tsv"]
    with atomic_output_files([out / n for n in names], overwrite=True) as staged:
        paths = dict(zip(names, staged, strict=True))
        write_tsv(paths["results.tsv"], tables.results, RESULT_COLUMNS)
        write_tsv(paths["table_segmentation.tsv"], tables.segmentation, SEGMENTATION_COLUMNS)
        paths["table_segmentation.md"].write_text(segmentation_markdown(tables.segmentation), encoding="utf-8")
        write_tsv(paths["comparisons.tsv"], tables.comparisons, COMPARISON_COLUMNS)
        checks = [check.as_row() for check in tables.model_checks.values()]
        write_tsv(paths["model_checks.tsv"], checks, MODEL_CHECK_COLUMNS)
        if tables.localization:
            write_tsv(paths["table_localization.tsv"], tables.localization, [*LOCALIZATION_COLUMNS, "model_status"])
            write_tsv(paths["localization_cases.tsv"], burden, BURDEN_COLUMNS)
    tables.files.update({name: out / name for name in names})


def write_figures(
    out: Path, tables: StudyTables, burden: Sequence[Mapping[str, Any]], curves: Mapping[str, Mapping] | None = None
) -> list[str]:
    """Draw the figures into ``out/figures`` (replaced as a whole); returns their file names.

    ``curves``: configuration → fold → :class:`~nnunet_wmh.study.training_logs.LearningCurve` (the learning
    curves figure, when any configuration has one).
    """
    names = []
    with atomic_output_folder(out / "figures", overwrite=True) as staging:
        if curves:
            learning_curves_figure(curves, staging / "learning_curves.png")
            names.append("learning_curves.png")
        for metric in ("dice", "hd95_mm"):
            metric_figure(tables.results, metric, staging / f"{metric}.png")
            names.append(f"{metric}.png")
        if burden:
            region_agreement_figure(burden, staging / "region_volume_agreement.png")
            names.append("region_volume_agreement.png")
    tables.files.update({f"figures/{name}": out / "figures" / name for name in names})
    return names
