"""``nnunet_wmh evaluate``: challenge metrics for a folder of predictions against a folder of references.

Predictions are matched to references by nnU-Net's file names (``CASE.nii.gz`` in both folders). Every
pair is checked before anything is computed: a missing reference, a different shape, or a grid that
differs by more than 1e-4 mm is reported for all cases at once, naming both files.
"""

from __future__ import annotations

import json
import logging
import math
import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh import __version__
from nnunet_wmh.case_files import GEOMETRY_TOLERANCE_MM, nifti_cases, require_folder
from nnunet_wmh.errors import ImageReadError, InputDataError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.evaluation.metrics import LesionMetrics, challenge_metrics, dice_coefficient, voxel_volume_mm3
from nnunet_wmh.evaluation.summary import summarize, summary_columns
from nnunet_wmh.io import Geometry, geometry_differences, load_nifti, read_voxels
from nnunet_wmh.labels.conventions import LabelConvention, LabelValueError
from nnunet_wmh.parallel import map_with_progress
from nnunet_wmh.tables import read_tsv, write_tsv

logger = logging.getLogger(__name__)

#: The per-case metrics that are summarised, in table order.
SUMMARY_METRICS = ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1")
#: Columns taken from ``conversion.tsv``.
CASE_INFO_COLUMNS = ("subject", "session", "site", "variant")
VARIANT_BY_MODALITIES = {("FLAIR", "T1"): "paired", ("FLAIR",): "flair_only", ("T1",): "t1_only"}


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


@dataclass
class Evaluation:
    """Result of :func:`evaluate_folder`.

    Attributes
    ----------
    cases
        One entry per prediction, sorted by case id.
    case_info
        ``{case: {"subject", "session", "site", "variant"}}`` from ``conversion.tsv`` (empty without it).
    convention
        How labels were read.
    threshold
        Binarisation threshold of float predictions.
    unmatched_references
        Reference cases without a prediction (not evaluated).
    options
        The inputs and options, for provenance.
    """

    cases: list[CaseEvaluation]
    case_info: dict[str, dict[str, str]]
    convention: LabelConvention
    threshold: float
    unmatched_references: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Every case warning, prefixed with its case."""
        return [f"[{c.pair.case}] {w}" for c in self.cases for w in c.warnings]

    def _info_columns(self) -> list[str]:
        return list(CASE_INFO_COLUMNS) if self.case_info else []

    def case_columns(self) -> list[str]:
        """Columns of :meth:`case_rows`."""
        columns = ["case", *self._info_columns(), *SUMMARY_METRICS, "lesion_precision"]
        columns += ["reference_volume_mm3", "prediction_volume_mm3"]
        columns += ["reference_lesions", "prediction_lesions", "detected_lesions"]
        if self.convention.has_regions:
            columns.append("region_dice_mean")
        return [*columns, "prediction", "reference"]

    def case_rows(self) -> list[dict[str, Any]]:
        """One row per case: metrics, volumes (mm³), lesion counts and files."""
        rows = []
        for case in self.cases:
            m = case.metrics
            row = {"case": case.pair.case, **self.case_info.get(case.pair.case, {})}
            row.update({name: getattr(m, name) for name in SUMMARY_METRICS})
            row.update(
                lesion_precision=m.lesion_precision,
                reference_volume_mm3=m.reference_volume_mm3,
                prediction_volume_mm3=m.prediction_volume_mm3,
                reference_lesions=m.reference_lesions,
                prediction_lesions=m.prediction_lesions,
                detected_lesions=m.detected_lesions,
                region_dice_mean=case.region_dice_mean,
                prediction=str(case.pair.prediction),
                reference=str(case.pair.reference),
            )
            rows.append(row)
        return rows

    def region_columns(self) -> list[str]:
        """Columns of :meth:`region_rows`."""
        volumes = ["reference_volume_mm3", "prediction_volume_mm3", "volume_error_percent"]
        return ["case", *self._info_columns(), "region_id", "region_name", "dice", *volumes]

    def region_rows(self) -> list[dict[str, Any]]:
        """One row per case × region (joint convention only)."""
        rows = []
        for case in self.cases:
            info = self.case_info.get(case.pair.case, {})
            for region in case.regions:
                rows.append(
                    {
                        "case": case.pair.case,
                        **info,
                        "region_id": region.region_id,
                        "region_name": region.region_name,
                        "dice": region.dice,
                        "reference_volume_mm3": region.reference_voxels * region.voxel_volume_mm3,
                        "prediction_volume_mm3": region.prediction_voxels * region.voxel_volume_mm3,
                        "volume_error_percent": region.volume_error_percent,
                    }
                )
        return rows

    def summary_metrics(self) -> list[str]:
        """Metrics in the summary table."""
        return [*SUMMARY_METRICS, "region_dice_mean"] if self.convention.has_regions else list(SUMMARY_METRICS)

    def summary_rows(self) -> list[dict[str, Any]]:
        """Mean, std, median and count per metric: all cases, then per site, variant, site + variant."""
        return summarize(self.case_rows(), self.summary_metrics())

    def nnunet_summary(self) -> dict[str, Any]:
        """The layout of nnU-Net's ``summary.json`` (``metric_per_case``, ``mean``, ``foreground_mean``),
        with the challenge metrics added to the lesion entry; readable by nnU-Net's ``load_summary_json``."""
        return _nnunet_summary(self)

    def to_dataframe(self):
        """The per-case table as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.case_rows(), columns=self.case_columns())


def match_cases(
    prediction_dir: str | os.PathLike[str], reference_dir: str | os.PathLike[str]
) -> tuple[list[CasePair], list[str]]:
    """Pair every ``PRED_DIR/CASE.nii[.gz]`` with ``GT_DIR/CASE.nii[.gz]``.

    Returns
    -------
    pairs, unmatched_references
        The pairs sorted by case, and the reference cases that have no prediction.

    Raises
    ------
    UsageError
        If a folder is missing or the prediction folder holds no NIfTI file.
    InvalidInputsError
        If predictions have no reference (all listed).
    """
    prediction_dir = require_folder(prediction_dir, "prediction")
    reference_dir = require_folder(reference_dir, "reference")
    predictions, references = nifti_cases(prediction_dir), nifti_cases(reference_dir)
    if not predictions:
        raise UsageError(f"{prediction_dir} holds no .nii.gz or .nii predictions")
    missing = [
        InputDataError(case, str(path), f"no reference {case}.nii.gz in {reference_dir}")
        for case, path in predictions.items()
        if case not in references
    ]
    if missing:
        raise InvalidInputsError(missing, consequence="nothing was evaluated")
    pairs = [CasePair(case, path, references[case]) for case, path in predictions.items()]
    return pairs, sorted(set(references) - set(predictions))


def geometry_problems(
    pairs: Sequence[CasePair], *, tolerance_mm: float = GEOMETRY_TOLERANCE_MM
) -> list[InputDataError]:
    """Check from the headers that each prediction lies on its reference's grid.

    Shapes must be equal; spacing, origin (mm) and direction cosines may differ by ``tolerance_mm``.
    """
    problems = []
    for pair in pairs:
        try:
            prediction, reference = Geometry.of(load_nifti(pair.prediction)), Geometry.of(load_nifti(pair.reference))
        except ImageReadError as exc:
            problems.append(InputDataError(pair.case, exc.path, exc.problem))
            continue
        if len(prediction.shape) != 3 or len(reference.shape) != 3:
            problems.append(
                InputDataError(
                    pair.case,
                    str(pair.prediction),
                    f"shape {prediction.shape} and reference {pair.reference} shape {reference.shape} must both be 3-D",
                )
            )
            continue
        differences = geometry_differences(
            prediction,
            reference,
            reference_name=f"reference {pair.reference}",
            tolerance_mm=tolerance_mm,
            spacing_rtol=0.0,
            spacing_atol=tolerance_mm,
        )
        problems += [InputDataError(pair.case, str(pair.prediction), text) for text in differences]
    return problems


def read_case_info(path: str | os.PathLike[str], cases: Sequence[str]) -> dict[str, dict[str, str]]:
    """Subject, session, site and input variant of each case, from ``conversion.tsv`` of ``convert``.

    The variant is ``paired``, ``flair_only`` or ``t1_only``: conversion.tsv's ``variant`` column, or for
    datasets without variants, the modalities among the case's channels.

    Raises
    ------
    UsageError
        If the file is unreadable, lacks columns, or has no row for some case.
    """
    path = Path(path)
    try:
        rows = read_tsv(path)
    except OSError as exc:
        raise UsageError(f"cannot read conversion table {path} ({exc.strerror})") from exc
    needed = {"case", "subject", "session", "site", "variant", "channels"}
    if rows and not needed <= set(rows[0]):
        raise UsageError(f"{path}: not a conversion.tsv of nnunet_wmh convert (needs columns {sorted(needed)})")
    by_case = {row["case"]: row for row in rows}
    absent = [case for case in cases if case not in by_case]
    if absent:
        shown = ", ".join(absent[:5]) + (f" and {len(absent) - 5} more" if len(absent) > 5 else "")
        raise UsageError(f"{path} has no row for case(s) {shown}; is it the conversion table of this dataset?")
    return {case: _case_info(by_case[case]) for case in cases}


def _case_info(row: Mapping[str, str]) -> dict[str, str]:
    variant = row["variant"]
    if not variant:
        present = tuple(m for m in ("FLAIR", "T1") if m in row["channels"].split(","))
        variant = VARIANT_BY_MODALITIES.get(present, "")
    return {"subject": row["subject"], "session": row["session"], "site": row["site"], "variant": variant}


def _region_metrics(
    reference: np.ndarray, prediction: np.ndarray, convention: LabelConvention, voxel_mm3: float
) -> tuple[RegionMetrics, ...]:
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
        Prediction and reference files, on the same grid (see :func:`geometry_problems`).
    convention
        How to read both label maps.
    threshold
        Float predictions: lesion where ``threshold`` ≤ value ≤ 1000.

    Raises
    ------
    InputDataError
        If a file cannot be read or holds values the convention does not define.
    """
    reference_image = load_nifti(pair.reference)
    prediction_image = load_nifti(pair.prediction)
    try:
        reference = convention.read_reference(read_voxels(reference_image, pair.reference))
    except LabelValueError as exc:
        raise InputDataError(pair.case, str(pair.reference), f"reference {exc}") from exc
    prediction_values = read_voxels(prediction_image, pair.prediction)
    if prediction_values.shape != reference.lesion.shape:
        problem = f"shape {prediction_values.shape} != reference shape {reference.lesion.shape}"
        raise InputDataError(pair.case, str(pair.prediction), problem)
    try:
        prediction = convention.read_prediction(prediction_values, reference.ignore, threshold=threshold)
    except LabelValueError as exc:
        raise InputDataError(pair.case, str(pair.prediction), f"prediction {exc}") from exc
    affine = np.asarray(reference_image.affine, dtype=np.float64)
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


def evaluate_folder(
    prediction_dir: str | os.PathLike[str],
    reference_dir: str | os.PathLike[str],
    *,
    dataset_json: str | os.PathLike[str] | None = None,
    conversion_tsv: str | os.PathLike[str] | None = None,
    threshold: float = 0.5,
    jobs: int = 1,
    progress: bool = True,
) -> Evaluation:
    """Evaluate every prediction of a folder against the reference of the same case.

    Parameters
    ----------
    prediction_dir
        ``CASE.nii.gz`` label maps (or float probability maps), e.g. ``nnUNetv2_predict``'s output.
    reference_dir
        ``CASE.nii.gz`` references: challenge labels (0/1/2) or a dataset's ``labelsTs``/``labelsTr``.
    dataset_json
        dataset.json of the nnU-Net dataset the labels follow (nnU-Net labels with ``ignore``, or the joint
        labels of a multitask dataset); without it, the challenge's 0/1/2.
    conversion_tsv
        ``conversion.tsv`` of ``convert``: adds subject, session, site and input variant to every case.
    threshold
        Float predictions: lesion where ``threshold`` ≤ value ≤ 1000 (default 0.5).
    jobs
        Worker processes.
    progress
        Show a progress bar.

    Raises
    ------
    UsageError
        Bad options or folders.
    InvalidInputsError
        Predictions without reference, or not on their reference's grid (every case listed, files named).
    InputDataError
        A label map with values the convention does not define.
    """
    if not threshold > 0:
        raise UsageError(f"--threshold must be > 0, got {threshold}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    convention = LabelConvention.from_dataset_json(dataset_json) if dataset_json else LabelConvention.challenge()
    pairs, unmatched = match_cases(prediction_dir, reference_dir)
    case_info = read_case_info(conversion_tsv, [p.case for p in pairs]) if conversion_tsv else {}
    problems = geometry_problems(pairs)
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was evaluated")
    if unmatched:
        logger.warning("%d reference case(s) have no prediction and are not evaluated", len(unmatched))
    cases = map_with_progress(
        partial(evaluate_case, convention=convention, threshold=threshold),
        pairs,
        jobs=jobs,
        desc="evaluate",
        unit="case",
        progress=progress,
    )
    options = {
        "prediction_dir": str(prediction_dir),
        "reference_dir": str(reference_dir),
        "dataset_json": None if dataset_json is None else str(dataset_json),
        "conversion_tsv": None if conversion_tsv is None else str(conversion_tsv),
        "threshold": threshold,
        "convention": convention.describe(),
        "nnunet_wmh_version": __version__,
    }
    return Evaluation(cases, case_info, convention, threshold, unmatched, options)


@dataclass(frozen=True)
class EvaluationFiles:
    """Paths written by :func:`write_evaluation` (``regions`` is None without region metrics)."""

    metrics: Path
    summary: Path
    nnunet_summary: Path
    regions: Path | None


def evaluation_paths(out: str | os.PathLike[str], *, with_regions: bool) -> EvaluationFiles:
    """Where :func:`write_evaluation` writes: ``OUT.tsv``, ``OUT_summary.tsv``, ``OUT_regions.tsv`` (multitask)
    and ``summary.json`` (nnU-Net's layout), all in OUT's folder."""
    out = Path(out)
    stem = out.name[:-4] if out.name.endswith(".tsv") else out.name
    folder = out.parent
    return EvaluationFiles(
        metrics=folder / f"{stem}.tsv",
        summary=folder / f"{stem}_summary.tsv",
        nnunet_summary=folder / "summary.json",
        regions=folder / f"{stem}_regions.tsv" if with_regions else None,
    )


def existing_outputs(out: str | os.PathLike[str], *, with_regions: bool, overwrite: bool) -> EvaluationFiles:
    """The output paths of :func:`write_evaluation`, after checking none exists (unless ``overwrite``).

    Raises
    ------
    OutputExistsError
        Naming the files that exist.
    """
    paths = evaluation_paths(out, with_regions=with_regions)
    targets = [p for p in (paths.metrics, paths.summary, paths.nnunet_summary, paths.regions) if p is not None]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not overwrite:
        raise OutputExistsError(f"{', '.join(existing)} already exist(s); pass --overwrite or choose another --out")
    return paths


def write_evaluation(
    evaluation: Evaluation, out: str | os.PathLike[str], *, overwrite: bool = False
) -> EvaluationFiles:
    """Write the per-case table, the summary table, region table and nnU-Net-style ``summary.json``.

    Raises
    ------
    OutputExistsError
        If any of the files exists and ``overwrite`` is False (nothing is written then).
    """
    paths = existing_outputs(out, with_regions=evaluation.convention.has_regions, overwrite=overwrite)
    paths.metrics.parent.mkdir(parents=True, exist_ok=True)
    write_tsv(paths.metrics, evaluation.case_rows(), evaluation.case_columns())
    write_tsv(paths.summary, evaluation.summary_rows(), summary_columns(evaluation.summary_metrics()))
    if paths.regions is not None:
        write_tsv(paths.regions, evaluation.region_rows(), evaluation.region_columns())
    paths.nnunet_summary.write_text(json.dumps(evaluation.nnunet_summary(), indent=4, sort_keys=True) + "\n")
    return paths


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


def _nnunet_summary(evaluation: Evaluation) -> dict[str, Any]:
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
    return {"metric_per_case": per_case, "mean": means, "foreground_mean": foreground, "nnunet_wmh": evaluation.options}
