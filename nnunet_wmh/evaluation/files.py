"""The files of an evaluation: per-case, summary and region tables, and nnU-Net's ``summary.json`` layout.

``OUT/metrics.tsv``, ``OUT/metrics_summary.tsv``, ``OUT/metrics_regions.tsv`` (multitask models) and
``OUT/summary.json`` are one set: all of them are checked before anything is evaluated and written together.
An ``OUT`` ending in ``.tsv`` is the spelling of earlier releases (deprecated): the files are then
``OUT.tsv``, ``OUT_summary.tsv``, ``OUT_regions.tsv`` and ``summary.json`` in OUT's folder.
"""

from __future__ import annotations

import json
import logging
import math
import os
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh.evaluation.evaluate import Evaluation, evaluate_folder
from nnunet_wmh.evaluation.options import EvaluateOptions
from nnunet_wmh.evaluation.summary import summary_columns
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_files
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.tsv import write_tsv

logger = logging.getLogger(__name__)

#: The per-case table is ``OUT/metrics.tsv``, the others are named after it.
METRICS_STEM = "metrics"


@dataclass(frozen=True)
class EvaluationFiles:
    """Paths of the files of an evaluation (``regions`` is None where there are no region metrics)."""

    metrics: Path
    summary: Path
    nnunet_summary: Path
    regions: Path | None
    run_summary: RunSummary | None = None

    def written(self) -> list[Path]:
        """The files, in the order the command lists them."""
        return [p for p in (self.metrics, self.summary, self.regions, self.nnunet_summary) if p is not None]


def evaluation_paths(out: str | os.PathLike[str]) -> EvaluationFiles:
    """Where an evaluation is written: ``OUT/metrics.tsv``, ``OUT/metrics_summary.tsv``,
    ``OUT/metrics_regions.tsv`` and ``OUT/summary.json`` (nnU-Net's layout); for an ``OUT`` ending in ``.tsv``
    (deprecated), ``OUT.tsv``, ``OUT_summary.tsv``, ``OUT_regions.tsv`` and ``summary.json`` beside it."""
    out = Path(out)
    if out.name.endswith(".tsv"):
        logger.warning("`out` %s names a table; give the output folder instead (a .tsv `out` is deprecated)", out)
        stem, folder = out.name[:-4], out.parent
    else:
        stem, folder = METRICS_STEM, out
    return EvaluationFiles(
        metrics=folder / f"{stem}.tsv",
        summary=folder / f"{stem}_summary.tsv",
        nnunet_summary=folder / "summary.json",
        regions=folder / f"{stem}_regions.tsv",
    )


def _output_set(paths: EvaluationFiles) -> list[Path]:
    return [paths.metrics, paths.summary, paths.nnunet_summary, paths.regions]  # type: ignore[list-item]


def _write(evaluation: Evaluation, staged: Sequence[Path], paths: EvaluationFiles) -> EvaluationFiles:
    metrics, summary, nnunet_json, regions = staged
    write_tsv(metrics, evaluation.case_rows(), evaluation.case_columns())
    write_tsv(summary, evaluation.summary_rows(), summary_columns(evaluation.summary_metrics()))
    if evaluation.convention.has_regions:
        write_tsv(regions, evaluation.region_rows(), evaluation.region_columns())
    nnunet_json.write_text(json.dumps(nnunet_summary(evaluation), indent=4, sort_keys=True) + "\n")
    return EvaluationFiles(
        paths.metrics, paths.summary, paths.nnunet_summary, paths.regions if evaluation.convention.has_regions else None
    )


def write_evaluation(
    evaluation: Evaluation, out: str | os.PathLike[str], *, overwrite: bool = False
) -> EvaluationFiles:
    """Write the per-case table, the summary table, the region table and nnU-Net-style ``summary.json``.

    Raises
    ------
    OutputExistsError
        If any file of the set exists and ``overwrite`` is False (nothing is written then).
    OutputError
        If a file cannot be written (e.g. ``summary.json`` is a folder).
    """
    paths = evaluation_paths(out)
    with atomic_output_files(_output_set(paths), overwrite=overwrite) as staged:
        return _write(evaluation, staged, paths)


def evaluate_to_files(
    prediction_dir: str | os.PathLike[str],
    reference_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: EvaluateOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> tuple[Evaluation, EvaluationFiles]:
    """:func:`~nnunet_wmh.evaluation.evaluate.evaluate_folder`, then :func:`write_evaluation` (what
    ``nnunet_wmh evaluate`` does); the outputs are checked before anything is evaluated.

    Parameters
    ----------
    prediction_dir, reference_dir
        ``CASE.nii.gz`` predictions and references with the same names.
    out
        The output folder (see :func:`evaluation_paths`).
    options, run, **fields
        :class:`~nnunet_wmh.evaluation.options.EvaluateOptions` and
        :class:`~nnunet_wmh.runs.options.RunOptions` (jobs, overwrite, progress), or their fields by name.

    Raises
    ------
    OutputExistsError, OutputError
        As :func:`write_evaluation`, before any case is evaluated.
    UsageError, InvalidInputsError
        As ``evaluate_folder``.
    """
    clock = Stopwatch()
    options, run = resolve_options(EvaluateOptions, options, run, fields)
    options.check()
    run.check()
    paths = evaluation_paths(out)
    with atomic_output_files(_output_set(paths), overwrite=run.overwrite) as staged:
        evaluation = evaluate_folder(
            prediction_dir,
            reference_dir,
            dataset_json=options.dataset_json,
            conversion_tsv=options.conversion_tsv,
            threshold=options.threshold,
            jobs=run.jobs,
            progress=run.progress,
        )
        files = _write(evaluation, staged, paths)
    summary = RunSummary("evaluate", paths.metrics.parent, len(evaluation.cases), "case", seconds=clock.seconds)
    return evaluation, replace(files, run_summary=summary)


def _confusion_entry(tp: int, fp: int, fn: int, evaluated: int) -> dict[str, Any]:
    union = tp + fp + fn
    return {
        "Dice": math.nan if union == 0 else 2 * tp / (2 * tp + fp + fn),
        "IoU": math.nan if union == 0 else tp / union,
        "TP": tp,
        "FP": fp,
        "FN": fn,
        "TN": evaluated - union,
        "n_pred": tp + fp,
        "n_ref": tp + fn,
    }


def _label_key(values: Sequence[int]) -> str:
    return str(values[0]) if len(values) == 1 else str(tuple(values))


def nnunet_summary(evaluation: Evaluation) -> dict[str, Any]:
    """The layout of nnU-Net's ``summary.json`` (``metric_per_case``, ``mean``, ``foreground_mean``), with the
    challenge metrics added to the lesion entry; readable by nnU-Net's ``load_summary_json``."""
    convention = evaluation.convention
    lesion_key = _label_key(convention.lesion_values)
    per_case = []
    for case in evaluation.cases:
        m = case.metrics
        overlap = m.overlap_voxels
        lesion = _confusion_entry(
            overlap, m.prediction_voxels - overlap, m.reference_voxels - overlap, case.evaluated_voxels
        )
        lesion.update(
            {
                "HD95_mm": m.hd95_mm,
                "AVD_percent": m.avd_percent,
                "LesionRecall": m.lesion_recall,
                "LesionF1": m.lesion_f1,
            }
        )
        metrics = {lesion_key: lesion}
        count = convention.encoding.regions.count if convention.encoding else 0
        for k, region in enumerate(case.regions, start=1):
            tp = region.overlap_voxels
            fp, fn = region.prediction_voxels - tp, region.reference_voxels - tp
            metrics[str((k, count + k))] = _confusion_entry(tp, fp, fn, case.evaluated_voxels)
        files = {"prediction_file": str(case.pair.prediction), "reference_file": str(case.pair.reference)}
        per_case.append({**files, "metrics": metrics})
    means: dict[str, dict[str, float]] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns give NaN, as in nnU-Net
        for key in per_case[0]["metrics"] if per_case else ():
            names = per_case[0]["metrics"][key].keys()
            means[key] = {n: float(np.nanmean([c["metrics"][key][n] for c in per_case])) for n in names}
        shared = set.intersection(*(set(v) for v in means.values())) if means else set()
        foreground = {n: float(np.mean([means[k][n] for k in means])) for n in sorted(shared)}
    return {
        "metric_per_case": per_case,
        "mean": means,
        "foreground_mean": foreground,
        "nnunet_wmh": {**evaluation.options, "warnings": evaluation.warnings},
    }
