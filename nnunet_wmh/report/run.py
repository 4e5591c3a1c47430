"""``nnunet_wmh report``: region-wise lesion burden tables, QC flags, pictures and an HTML page.

A run plans the report (which cases, how labels read, the companion maps of every case, checked before
anything is measured), then measures its part of the cases (:mod:`nnunet_wmh.report.case`), turns them into
rows (:mod:`nnunet_wmh.report.rows`) and draws their pictures. A single run builds the whole report in a
temporary folder and moves it into place when complete; a run with ``num_parts > 1`` writes its part into
``OUT/parts/`` for :func:`nnunet_wmh.report.parts.merge_report`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.case_files import nifti_cases, require_folder
from nnunet_wmh.conversion_table import CaseInfo, read_conversion_table
from nnunet_wmh.errors import InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.labels.region_table import read_region_table
from nnunet_wmh.report.bids import bids_prefixes, write_case_derivatives
from nnunet_wmh.report.case import CaseSettings, measure_case
from nnunet_wmh.report.inputs import CaseInputs, find_case_inputs, prediction_convention
from nnunet_wmh.report.options import ReportOptions
from nnunet_wmh.report.parts import (
    BIDS_FOLDER,
    PICTURES_FOLDER,
    REPORT_JSON,
    PartData,
    ReportResult,
    cases_digest,
    check_bids_output,
    finish_part,
    part_cases,
    part_folder,
    part_meta,
    rows_as_text,
)
from nnunet_wmh.report.rows import CaseRows, case_rows
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import check_jobs, map_collecting_problems

__all__ = ["ReportOptions", "ReportResult", "make_report"]


@dataclass(frozen=True)
class CaseWriter:
    """Measures one case and writes its picture and BIDS files into a part's folder (picklable)."""

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
        return case_rows(measured)


@dataclass(frozen=True)
class ReportPlan:
    """What a run reports: its cases with their files, how labels read, the region names, provenance."""

    inputs: list[CaseInputs]
    settings: CaseSettings
    provenance: dict[str, Any]


def _text(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else str(value)


def _region_table(
    convention: LabelConvention, regions: object, region_table: str | os.PathLike[str] | None
) -> Mapping[int, str]:
    if convention.encoding is not None:
        if regions is not None:
            raise UsageError("joint label maps carry their regions; `regions` is for lesion maps", "regions")
        return convention.encoding.regions.as_table()
    if region_table is not None and regions is None:
        raise UsageError("`region_table` names the maps of `regions`; give both", "region_table")
    return read_region_table(region_table) if region_table is not None else {}


def _predictions(prediction_dir: Path) -> dict[str, Path]:
    predictions, doubled = nifti_cases(prediction_dir)
    if doubled:
        raise InvalidInputsError(doubled, consequence="no report was written")
    if not predictions:
        raise UsageError(f"`prediction_dir` {prediction_dir} holds no .nii.gz or .nii predictions", "prediction_dir")
    return predictions


def plan_report(
    prediction_dir: str | os.PathLike[str],
    companions: Mapping[str, str | os.PathLike[str] | None],
    *,
    options: ReportOptions,
    part_id: int = 0,
    num_parts: int = 1,
) -> ReportPlan:
    """Check the options and every case of this part (all problems at once) before anything is measured.

    Parameters
    ----------
    companions
        The locations :func:`make_report` takes: ``regions``, ``dataset_json``, ``region_table``,
        ``conversion_tsv``, ``images``, ``ventricles``, ``brain_mask``, ``bids_derivatives`` (None: absent).
    """
    options.check()
    prediction_dir = require_folder(prediction_dir, "prediction_dir")
    convention = prediction_convention(prediction_dir, companions.get("dataset_json"))
    table = _region_table(convention, companions.get("regions"), companions.get("region_table"))
    predictions = _predictions(prediction_dir)
    all_cases = sorted(predictions)
    cases = part_cases(all_cases, part_id, num_parts)
    conversion_tsv = companions.get("conversion_tsv")
    info: Mapping[str, CaseInfo] = read_conversion_table(conversion_tsv, all_cases) if conversion_tsv else {}
    inputs, problems = find_case_inputs(predictions, cases, info, companions)
    if problems:
        raise InvalidInputsError(problems, consequence="no report was written")
    if companions.get("bids_derivatives") is not None:
        names = bids_prefixes(all_cases, info)
        inputs = [replace(item, bids=names[item.case]) for item in inputs]
    recorded = {key: _text(value) for key, value in companions.items()}
    if recorded.get("bids_derivatives"):
        recorded["bids_derivatives"] = str(Path(recorded["bids_derivatives"]).expanduser().absolute())
    provenance = {
        "nnunet_wmh_version": __version__,
        "options": asdict(options),
        "inputs": {"prediction_dir": str(prediction_dir), **recorded},
        "labels": convention.describe(),
        "num_parts": num_parts,
        "cases_total": len(all_cases),
        "cases_digest": cases_digest(all_cases),
    }
    return ReportPlan(inputs, CaseSettings(convention, table, options), provenance)


def run_part(plan: ReportPlan, folder: Path, *, part_id: int, jobs: int, progress: bool) -> PartData:
    """Measure the plan's cases into ``folder`` (pictures, BIDS files) and return the part's rows.

    Raises
    ------
    InvalidInputsError
        Every case that cannot be read or holds values its kind does not allow.
    """
    writer = CaseWriter(plan.settings, folder, bids=plan.provenance["inputs"].get("bids_derivatives") is not None)
    results, problems = map_collecting_problems(
        writer, plan.inputs, jobs=jobs, desc="report", unit="case", progress=progress
    )
    if problems:
        raise InvalidInputsError(problems, consequence="no report was written")
    measured = [r for r in results if r is not None]
    return PartData(
        rows_as_text(measured), part_meta(measured, plan.settings.region_table, plan.provenance, part_id), folder
    )


def _check_report_outputs(out_dir: Path, bids: str | os.PathLike[str] | None, *, overwrite: bool, single: bool) -> None:
    if not single and (out_dir / REPORT_JSON).exists() and not overwrite:
        raise OutputExistsError(out_dir / REPORT_JSON)
    check_bids_output(bids, out_dir, overwrite=overwrite)


def make_report(
    prediction_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    regions: str | os.PathLike[str] | None = None,
    dataset_json: str | os.PathLike[str] | None = None,
    region_table: str | os.PathLike[str] | None = None,
    conversion_tsv: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    ventricles: str | os.PathLike[str] | None = None,
    brain_mask: str | os.PathLike[str] | None = None,
    bids_derivatives: str | os.PathLike[str] | None = None,
    options: ReportOptions | None = None,
    part_id: int = 0,
    num_parts: int = 1,
    jobs: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> ReportResult:
    """Lesion burden report of a folder of predictions (see the module docstring and the README).

    Parameters
    ----------
    prediction_dir
        ``CASE.nii.gz`` predictions: joint lesion × region labels of a multitask model, or lesion maps
        (binary, or probabilities with ``options.threshold``).
    out_dir
        Report folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    regions, ventricles, brain_mask, images
        Region maps (for lesion-map predictions), ventricle maps (binary, or FreeSurfer/SynthSeg labels 4 and
        43), brain masks (intracranial volume), images for the pictures (``CASE_0000.nii.gz`` or
        ``CASE.nii.gz``): each a folder of case files, or a pattern with ``{case}``, ``{subject}``,
        ``{session}``, ``{site}``.
    dataset_json, region_table, conversion_tsv
        The model's dataset.json (default: ``PRED_DIR/dataset.json`` when present); the names of the
        ``regions`` values; ``conversion.tsv`` of ``convert`` (participant, session, site of each case).
    bids_derivatives
        Also write BIDS derivative files into this folder (refused if it exists, unless ``overwrite``).
    options
        Counting and location options.
    part_id, num_parts
        Process ``sorted(cases)[part_id::num_parts]`` into ``OUT/parts/``; with ``num_parts > 1`` run
        :func:`~nnunet_wmh.report.parts.merge_report` once every part is done.
    jobs, overwrite, progress
        Worker processes; replace an existing report (or part, or BIDS folder); show a progress bar.

    Raises
    ------
    UsageError, InvalidInputsError, OutputExistsError, OutputError
    """
    check_jobs(jobs)
    options = options or ReportOptions()
    options.check()
    part_cases([], part_id, num_parts)  # checks the part options before anything is touched
    companions = {
        "regions": regions, "dataset_json": dataset_json, "region_table": region_table,
        "conversion_tsv": conversion_tsv, "images": images, "ventricles": ventricles, "brain_mask": brain_mask,
        "bids_derivatives": bids_derivatives,
    }  # fmt: skip
    out_dir = Path(out_dir).expanduser().absolute()
    single = num_parts == 1
    _check_report_outputs(out_dir, bids_derivatives, overwrite=overwrite, single=single)
    final = out_dir if single else part_folder(out_dir, part_id, num_parts)
    with atomic_output_folder(final, overwrite=overwrite) as staging:
        plan = plan_report(prediction_dir, companions, options=options, part_id=part_id, num_parts=num_parts)
        folder = part_folder(staging, 0, 1) if single else staging
        folder.mkdir(parents=True, exist_ok=True)
        part = run_part(plan, folder, part_id=part_id, jobs=jobs, progress=progress)
        return finish_part(part, staging, out_dir, num_parts=num_parts, bids=bids_derivatives, overwrite=overwrite)
