"""Evaluate a folder of predictions against a folder of references.

Predictions are matched to references by nnU-Net's file names (``CASE.nii.gz`` in both folders). Every
pair is checked before anything is computed: a missing reference, two files for one case, a different
shape, or a grid that differs by more than 1e-4 mm is reported for all cases at once, naming both files;
then every case that cannot be read or holds values its labels do not allow is reported at once too.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.case_files import nifti_cases, require_folder
from nnunet_wmh.conversion_table import CaseInfo, read_conversion_table
from nnunet_wmh.errors import ImageReadError, InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.evaluation.case import CaseEvaluation, CasePair, evaluate_case
from nnunet_wmh.evaluation.summary import summarize
from nnunet_wmh.geometry import Geometry, prediction_grid_differences
from nnunet_wmh.io import dimension_problem, load_nifti
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.runs.options import check_threshold
from nnunet_wmh.runs.parallel import check_jobs, map_collecting_problems

logger = logging.getLogger(__name__)

#: The per-case metrics that are summarised, in table order.
SUMMARY_METRICS = ("dice", "hd95_mm", "avd_percent", "lesion_recall", "lesion_f1")
#: Columns taken from ``conversion.tsv``.
CASE_INFO_COLUMNS = ("subject", "session", "site", "variant")


@dataclass
class Evaluation:
    """Result of :func:`evaluate_folder`.

    Attributes
    ----------
    cases
        One entry per prediction, sorted by case id.
    case_info
        Subject, session, site and input variant of each case, from ``conversion.tsv`` (empty without it).
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
    case_info: dict[str, CaseInfo]
    convention: LabelConvention
    threshold: float
    unmatched_references: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def warnings(self) -> list[str]:
        """Every case warning, prefixed with its case."""
        return [f"[{c.pair.case}] {w}" for c in self.cases for w in c.warnings]

    def _info(self, case: str) -> dict[str, str]:
        info = self.case_info.get(case)
        return {} if info is None else {column: getattr(info, column) for column in CASE_INFO_COLUMNS}

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
            row = {"case": case.pair.case, **self._info(case.pair.case)}
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
            info = self._info(case.pair.case)
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

    def to_dataframe(self):
        """The per-case table as a pandas DataFrame."""
        import pandas as pd  # heavy: the command itself never needs pandas

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
        If predictions have no reference, or a case has two files (all listed).
    """
    prediction_dir = require_folder(prediction_dir, "prediction_dir")
    reference_dir = require_folder(reference_dir, "reference_dir")
    (predictions, prediction_problems), (references, reference_problems) = (
        nifti_cases(prediction_dir),
        nifti_cases(reference_dir),
    )
    if not predictions and not prediction_problems:
        raise UsageError(f"`prediction_dir` {prediction_dir} holds no .nii.gz or .nii predictions", "prediction_dir")
    doubled = {p.subject for p in reference_problems}
    missing = [
        InputDataError(case, str(path), f"no reference {case}.nii.gz in {reference_dir}")
        for case, path in predictions.items()
        if case not in references and case not in doubled
    ]
    problems = prediction_problems + [p for p in reference_problems if p.subject in predictions] + missing
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was evaluated")
    pairs = [CasePair(case, path, references[case]) for case, path in predictions.items()]
    return pairs, sorted(set(references) - set(predictions))


def geometry_problems(pairs: Sequence[CasePair]) -> list[InputDataError]:
    """Check from the headers that each prediction lies on its reference's grid.

    Shapes must be equal; spacing, origin (mm) and direction cosines may differ by 1e-4 mm.
    """
    problems = []
    for pair in pairs:
        try:
            prediction_image, reference_image = load_nifti(pair.prediction), load_nifti(pair.reference)
        except ImageReadError as exc:
            problems.append(InputDataError(pair.case, exc.path, exc.problem))
            continue
        shapes = {pair.prediction: prediction_image.shape, pair.reference: reference_image.shape}
        wrong = [(path, dimension_problem(tuple(shape))) for path, shape in shapes.items()]
        wrong = [(path, problem) for path, problem in wrong if problem]
        if wrong:
            problems += [InputDataError(pair.case, str(path), problem) for path, problem in wrong]
            continue
        differences = prediction_grid_differences(
            Geometry.of(prediction_image), Geometry.of(reference_image), reference_name=f"reference {pair.reference}"
        )
        problems += [InputDataError(pair.case, str(pair.prediction), text) for text in differences]
    return problems


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
        Float predictions: lesion where ``threshold`` ≤ value ≤ 1000; strictly between 0 and 1.
    jobs
        Worker processes.
    progress
        Show a progress bar.

    Raises
    ------
    UsageError
        Bad options or folders.
    InvalidInputsError
        Predictions without reference, not on their reference's grid, unreadable, or holding values the
        convention does not define (every case listed, files named).
    """
    check_threshold(threshold)
    check_jobs(jobs)
    convention = LabelConvention.from_dataset_json(dataset_json) if dataset_json else LabelConvention.challenge()
    pairs, unmatched = match_cases(prediction_dir, reference_dir)
    case_info = read_conversion_table(conversion_tsv, [p.case for p in pairs]) if conversion_tsv else {}
    problems = geometry_problems(pairs)
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was evaluated")
    if unmatched:
        logger.warning("%d reference case(s) have no prediction and are not evaluated", len(unmatched))
    cases, problems = map_collecting_problems(
        partial(evaluate_case, convention=convention, threshold=threshold),
        pairs,
        jobs=jobs,
        desc="evaluate",
        unit="case",
        progress=progress,
    )
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was evaluated")
    options = {
        "prediction_dir": str(prediction_dir),
        "reference_dir": str(reference_dir),
        "dataset_json": None if dataset_json is None else str(dataset_json),
        "conversion_tsv": None if conversion_tsv is None else str(conversion_tsv),
        "threshold": threshold,
        "convention": convention.describe(),
        "nnunet_wmh_version": __version__,
    }
    return Evaluation([c for c in cases if c is not None], case_info, convention, threshold, unmatched, options)
