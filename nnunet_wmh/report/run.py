"""``nnunet_wmh report``: region-wise lesion burden tables, QC flags, pictures and an HTML page.

A run plans the report (which cases, how labels read, the companion maps of every case, checked before
anything is measured), then measures its part of the cases (:mod:`nnunet_wmh.report.case`), turns them into
rows (:mod:`nnunet_wmh.report.rows`) and draws their pictures. A single run builds the whole report in a
temporary folder and moves it into place when complete; a run with ``num_parts > 1`` writes its part into
``OUT/parts/`` for :func:`nnunet_wmh.report.finish.merge_report` (:mod:`nnunet_wmh.runs.parts`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.case_files import nifti_cases, require_folder
from nnunet_wmh.conversion_table import CaseInfo, read_conversion_table
from nnunet_wmh.errors import InvalidInputsError, UsageError
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.report.bids import bids_prefixes, check_bids_output, write_case_derivatives
from nnunet_wmh.report.case import CaseSettings, measure_case
from nnunet_wmh.report.finish import ReportResult, complete_part, with_run_summary
from nnunet_wmh.report.inputs import CaseInputs, find_case_inputs, prediction_convention
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.rows import CaseRows, case_rows
from nnunet_wmh.report.schema import BIDS_FOLDER, PICTURES_FOLDER, REPORT_JSON, part_meta, rows_as_text
from nnunet_wmh.report.viewer import recorded_case_files
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parallel import map_collecting_problems
from nnunet_wmh.runs.parts import PartData, PartTarget, cases_digest, part_cases, part_output, recorded_location
from nnunet_wmh.runs.summary import Stopwatch

__all__ = ["ReportOptions", "ReportResult", "make_report"]


@dataclass(frozen=True)
class CaseWriter:
    """Measures one case and writes its picture and BIDS files into a part's folder (picklable); its rows carry the
    files the page's viewer shows."""

    settings: CaseSettings
    folder: Path
    bids: bool

    def __call__(self, inputs: CaseInputs) -> CaseRows:
        measured = measure_case(inputs, self.settings)
        if self.settings.options.pictures:
            from nnunet_wmh.report.pictures import case_picture  # heavy: matplotlib

            picture = self.folder / PICTURES_FOLDER / f"{inputs.case}.png"
            mask = measured.lesions.mask(measured.image.shape[:3])
            case_picture(inputs.case, measured.image, mask, measured.regions, picture, background=inputs.image)
        if self.bids and inputs.bids is not None:
            write_case_derivatives(
                self.folder / BIDS_FOLDER,
                inputs.bids,
                measured.image,
                measured.lesions,
                measured.regions,
                measured.region_classes,
            )
        return replace(case_rows(measured), files=recorded_case_files(inputs, self.folder))


@dataclass(frozen=True)
class ReportPlan:
    """What a run reports: its cases with their files, how labels read, the region names, provenance."""

    inputs: list[CaseInputs]
    settings: CaseSettings
    provenance: dict[str, Any]


def _text(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else str(value)


def _region_table(convention: LabelConvention, options: ReportOptions) -> Mapping[int, str]:
    if convention.encoding is not None:
        if options.regions is not None:
            raise UsageError("joint label maps carry their regions; `regions` is for lesion maps", "regions")
        return convention.encoding.regions.as_table()
    if options.region_table is not None and options.regions is None:
        raise UsageError("`region_table` names the maps of `regions`; give both", "region_table")
    return read_region_table(options.region_table) if options.region_table is not None else {}


def _predictions(prediction_dir: Path) -> dict[str, Path]:
    predictions, doubled = nifti_cases(prediction_dir)
    if doubled:
        raise InvalidInputsError(doubled, consequence="no report was written")
    if not predictions:
        raise UsageError(f"`prediction_dir` {prediction_dir} holds no .nii.gz or .nii predictions", "prediction_dir")
    return predictions


def _provenance(prediction_dir: Path, options: ReportOptions, convention: LabelConvention, cases: list[str],
                num_parts: int, out_dir: Path) -> dict[str, Any]:  # fmt: skip
    recorded = {key: _text(value) for key, value in options.companions().items()}
    recorded["bids_derivatives"] = recorded_location(options.bids_derivatives, out_dir)
    return {
        "nnunet_wmh_version": __version__,
        "options": options.counting(),
        "inputs": {"prediction_dir": str(prediction_dir), **recorded},
        "labels": convention.describe(),
        "num_parts": num_parts,
        "cases_total": len(cases),
        "cases_digest": cases_digest(cases),
    }


def plan_report(
    prediction_dir: str | os.PathLike[str], options: ReportOptions, run: RunOptions, *, out_dir: Path
) -> ReportPlan:
    """Check the options and every case of this part (all problems at once) before anything is measured.

    ``out_dir`` is the report's final folder: a BIDS folder inside it is recorded relative to it.
    """
    options.check()
    prediction_dir = require_folder(prediction_dir, "prediction_dir")
    convention = prediction_convention(prediction_dir, options.dataset_json)
    table = _region_table(convention, options)
    predictions = _predictions(prediction_dir)
    all_cases = sorted(predictions)
    cases = part_cases(all_cases, run.part_id, run.num_parts)
    conversion_tsv = options.conversion_tsv
    info: Mapping[str, CaseInfo] = read_conversion_table(conversion_tsv, all_cases) if conversion_tsv else {}
    inputs, problems = find_case_inputs(predictions, cases, info, options.companions())
    if problems:
        raise InvalidInputsError(problems, consequence="no report was written")
    if options.bids_derivatives is not None:
        names = bids_prefixes(all_cases, info)
        inputs = [replace(item, bids=names[item.case]) for item in inputs]
    provenance = _provenance(prediction_dir, options, convention, all_cases, run.num_parts, out_dir)
    return ReportPlan(inputs, CaseSettings(convention, table, options), provenance)


def run_part(plan: ReportPlan, target: PartTarget, run: RunOptions) -> PartData:
    """Measure the plan's cases into the part's folder (pictures, BIDS files) and return the part's rows.

    Raises
    ------
    InvalidInputsError
        Every case that cannot be read or holds values its kind does not allow.
    """
    bids = plan.provenance["inputs"].get("bids_derivatives") is not None
    writer = CaseWriter(plan.settings, target.folder, bids=bids)
    results, problems = map_collecting_problems(
        writer, plan.inputs, jobs=run.jobs, desc="report", unit="case", progress=run.progress
    )
    if problems:
        raise InvalidInputsError(problems, consequence="no report was written")
    measured = [r for r in results if r is not None]
    meta = part_meta(measured, plan.settings.region_table, plan.provenance, run.part_id)
    return PartData(rows_as_text(measured), meta, target.folder)


def make_report(
    prediction_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: ReportOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> ReportResult:
    """Lesion burden report of a folder of predictions (see the module docstring and the docs' report page).

    Parameters
    ----------
    prediction_dir
        ``CASE.nii.gz`` predictions: joint lesion × region labels of a multitask model, or lesion maps
        (binary, or probabilities with ``threshold``).
    out
        Report folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    options
        Companion maps and counting rules (:class:`~nnunet_wmh.report.options.ReportOptions`).
    run
        Jobs, overwrite, progress and parts (:class:`~nnunet_wmh.runs.options.RunOptions`): with
        ``num_parts > 1`` this run does ``sorted(cases)[part_id::num_parts]`` into ``OUT/parts/``; run
        :func:`~nnunet_wmh.report.finish.merge_report` once every part is done.
    **fields
        Fields of either, by name: ``make_report(pred, out, regions="maps", jobs=4)``.

    Raises
    ------
    UsageError, InvalidInputsError, OutputExistsError, OutputError
    """
    clock = Stopwatch()
    options, run = resolve_options(ReportOptions, options, run, fields)
    options.check()
    run.check(parts=True)
    with part_output(out, run, finished=REPORT_JSON) as target:
        check_bids_output(options.bids_derivatives, target.out_dir, overwrite=run.overwrite)
        plan = plan_report(prediction_dir, options, run, out_dir=target.out_dir)
        part = run_part(plan, target, run)
        result = complete_part(part, target, bids=options.bids_derivatives, overwrite=run.overwrite)
    return with_run_summary(result, "report", clock)
