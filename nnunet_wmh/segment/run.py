"""``nnunet_wmh segment``: a cohort of raw scans (or one subject) to WMH masks, region maps and burden tables.

A run reads the cohort, opens the model (folder or zip), routes every subject (:mod:`.routes`), checks the
images of its part, loads the model once and segments each subject (:mod:`.case`), then measures the cases
with the report's own code. A single run builds the whole output in a temporary folder and moves it into place
when complete; with ``num_parts > 1`` each run writes ``OUT/parts/part-K-of-N`` and ``report-merge`` joins them.

Output (``OUT``, also a BIDS derivatives dataset): the report's tables, ``qc.tsv`` with each case's route and
uncertainty, ``skipped.tsv``, ``qc/`` pictures, ``index.html``, ``report.json``, ``predictions/``,
``sub-X[/ses-Y]/anat/`` masks and region maps, ``dataset_description.json``, ``logs/``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from nnunet_wmh import __version__
from nnunet_wmh.cohorts.read import read_source
from nnunet_wmh.cohorts.subject import MODALITIES, MODALITY_NAMES, ZERO, Subject, image_fields, parse_modalities
from nnunet_wmh.errors import InputDataError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.io import read_subject_image
from nnunet_wmh.labels.conventions import LabelConvention
from nnunet_wmh.nnunet.device import torch_device
from nnunet_wmh.nnunet.model import TrainedModel, open_model
from nnunet_wmh.nnunet.model_route import ModelRoute
from nnunet_wmh.nnunet.predictor import ModelRunner
from nnunet_wmh.report.case import CaseSettings
from nnunet_wmh.report.parts import (
    KEPT_ON_MERGE,
    REPORT_JSON,
    PartData,
    ReportResult,
    cases_digest,
    finish_part,
    part_cases,
    part_folder,
    part_meta,
    rows_as_text,
)
from nnunet_wmh.report.run import CaseWriter
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import check_jobs, map_collecting_problems, map_with_progress
from nnunet_wmh.segment.case import PREDICTIONS_FOLDER, RegionSource, segment_subject
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.routes import SubjectRoute, route_subjects

logger = logging.getLogger(__name__)

LOGS_FOLDER = "logs"


def single_subject(
    flair: str | os.PathLike[str] | None,
    t1: str | os.PathLike[str] | None,
    subject_id: str,
    images: Mapping[str, str | os.PathLike[str]] | None = None,
) -> Subject:
    """A one-subject cohort from ``flair`` and/or ``t1`` files, and ``images`` of other modalities
    (``{"t2": path}``)."""
    given = {"flair": flair, "t1": t1, **(images or {})}
    paths = {k: Path(v).expanduser().absolute() for k, v in given.items() if v is not None}
    if not paths:
        raise UsageError("give a cohort `source`, or `flair` and/or `t1` (or `images`) of one subject", "source")
    parse_modalities(list(paths), "images")
    for kind, path in paths.items():
        parameter = kind if kind in ("flair", "t1") else "images"
        if not path.is_file():
            raise UsageError(f"`{parameter}` {path}: no such file", parameter)
    root = next(iter(paths.values())).parent
    return Subject(subject_id, None, "", root, subject_id, subject_id, split="test", **image_fields(paths))


def cohort_subjects(
    source: str | os.PathLike[str], *, layout: str | None, modalities: tuple[str, ...] = MODALITIES
) -> list[Subject]:
    """Every subject of a cohort (training and test subjects alike), with the images of ``modalities``.

    Raises
    ------
    InvalidInputsError
        Problems the reader found (ambiguous files, duplicate rows).
    """
    contents = read_source(source, layout=layout, modalities=modalities)
    if contents.problems:
        raise InvalidInputsError(contents.problems, consequence="nothing was written")
    subjects = [*contents.train, *contents.test]
    if not subjects:
        raise UsageError(f"`source` {source}: no subjects found", "source")
    return subjects


def input_subjects(
    source: str | os.PathLike[str] | None,
    flair: str | os.PathLike[str] | None,
    t1: str | os.PathLike[str] | None,
    subject_id: str,
    *,
    layout: str | None,
    modalities: tuple[str, ...] = MODALITIES,
    images: Mapping[str, str | os.PathLike[str]] | None = None,
) -> list[Subject]:
    """The subjects of a run: every subject of the cohort ``source`` (with the images of ``modalities``), or one
    subject from ``flair``/``t1`` and ``images`` of other modalities.

    Raises
    ------
    UsageError
        Both a cohort and single files, neither, or a file that does not exist.
    InvalidInputsError
        Problems the cohort reader found.
    """
    if source is not None and (flair is not None or t1 is not None or images):
        raise UsageError("give a cohort `source` or one subject's `flair`/`t1`/`images`, not both", "source")
    if source is not None:
        return cohort_subjects(source, layout=layout, modalities=modalities)
    return [single_subject(flair, t1, subject_id, images)]


def with_model_modalities(
    subjects: list[Subject], source: str | os.PathLike[str] | None, *, layout: str | None, route: ModelRoute
) -> list[Subject]:
    """``subjects`` read again with the model's other modalities (T2, PD, ...) when it takes any."""
    if route.reads == MODALITIES or source is None:
        return subjects
    return cohort_subjects(source, layout=layout, modalities=route.reads)


def require_served(routes: list[SubjectRoute], *, consequence: str) -> None:
    """Raise InvalidInputsError naming every subject when the model can serve none of them."""
    if not any(r.served for r in routes):
        problems = [InputDataError(r.subject.key, r.subject.where("flair"), r.reason or "") for r in routes]
        raise InvalidInputsError(problems, consequence=consequence)


def _image_problems(route: SubjectRoute) -> list[InputDataError]:
    """Every image the route uses, read whole and checked (3-D, finite)."""
    problems = []
    for modality in dict.fromkeys(c for c in route.channels if c != ZERO):
        path = route.subject.image(modality)  # type: ignore[arg-type]
        try:
            read_subject_image(route.subject.key, path, MODALITY_NAMES[modality])  # type: ignore[arg-type]
        except InputDataError as exc:
            problems.append(exc)
    return problems


def _region_source(model: TrainedModel, options: SegmentOptions, scratch: Path) -> RegionSource | None:
    from nnunet_wmh.registration.atlas import load_atlas  # heavy: SimpleITK
    from nnunet_wmh.registration.builtin_atlas import load_builtin_atlas

    if model.route.has_regions:
        return None
    if options.has_atlas:
        atlas = load_atlas(options.atlas_image, options.atlas_labels, options.region_table)  # type: ignore[arg-type]
        return RegionSource("atlas", atlas, options.transform)
    return RegionSource("builtin", load_builtin_atlas(scratch / "atlas"), options.transform)


def _skipped_row(route: SubjectRoute, reason: str) -> dict[str, str]:
    info = route.info()
    return {"participant_id": info.participant_id, "session_id": info.session_id, "site": info.site,
            "case": route.case, "subject": route.subject.key, "reason": reason}  # fmt: skip


def _checked_routes(routes: list[SubjectRoute], *, skip_invalid: bool, jobs: int, progress: bool):
    """The served routes whose images are readable, and the skipped rows (unserved, and unreadable when
    ``skip_invalid``)."""
    skipped = [_skipped_row(r, r.reason) for r in routes if not r.served]  # type: ignore[arg-type]
    served = [r for r in routes if r.served]
    found = map_with_progress(_image_problems, served, jobs=jobs, desc="checking images", progress=progress)
    problems = [p for route_problems in found for p in route_problems]
    if problems and not skip_invalid:
        raise InvalidInputsError(problems, consequence="nothing was written; `skip_invalid` lists them and goes on")
    bad = {route.case: problems for route, problems in zip(served, found, strict=True) if problems}
    skipped += [_skipped_row(r, "; ".join(p.problem for p in bad[r.case])) for r in served if r.case in bad]
    return [r for r in served if r.case not in bad], skipped


def _segment_all(routes, runner, folder, regions, *, skip_invalid: bool, progress: bool):
    """Segment every route; returns the report inputs and the skipped rows of failures (with ``skip_invalid``)."""

    inputs, skipped, problems = [], [], []
    for route in tqdm(routes, desc="segmenting", unit="subject", disable=not progress):
        try:
            inputs.append(segment_subject(route, runner, folder, regions))
        except InputDataError as exc:
            problems.append(exc)
            skipped.append(_skipped_row(route, exc.problem))
    if problems and not skip_invalid:
        raise InvalidInputsError(problems, consequence="nothing was written; `skip_invalid` lists them and goes on")
    return inputs, skipped


def _provenance(
    model: TrainedModel, options: SegmentOptions, inputs: dict[str, Any], cases: list[str], num_parts: int
) -> tuple[LabelConvention, dict[str, Any]]:
    """How the predictions read, and what every part of the run shares (checked by ``report-merge``)."""
    convention = model.convention
    segment = {k: v for k, v in asdict(options).items() if k != "report"}
    return convention, {
        "nnunet_wmh_version": __version__,
        "options": asdict(options.report),
        "inputs": {**inputs, "region_table": options.region_table, "regions": None, "segment": segment,
                   "model": model.describe()},
        "labels": convention.describe(),
        "num_parts": num_parts,
        "cases_total": len(cases),
        "cases_digest": cases_digest(cases),
    }  # fmt: skip


def _generated_by(model: TrainedModel) -> dict[str, Any]:
    return {
        "Name": "nnunet_wmh",
        "Version": __version__,
        "Description": "nnunet_wmh segment: WMH masks and region maps in native space from an nnU-Net model",
        "Model": {"Name": model.name, "Folds": list(model.folds), "Checkpoint": model.checkpoint,
                  "Source": str(model.source)},
    }  # fmt: skip


def _region_names(model: TrainedModel, regions: RegionSource | None) -> dict[int, str]:
    if regions is None:
        return model.encoding.regions.as_table()
    return dict(regions.atlas.table)  # type: ignore[attr-defined]


def _run_part(
    routes: list[SubjectRoute], model: TrainedModel, options: SegmentOptions, folder: Path, scratch: Path, *,
    provenance: dict[str, Any], convention: LabelConvention, part_id: int, jobs: int, progress: bool,
) -> PartData:  # fmt: skip
    """Segment and measure the routes of one part into ``folder``."""
    served, skipped = _checked_routes(routes, skip_invalid=options.skip_invalid, jobs=jobs, progress=progress)
    regions = _region_source(model, options, scratch)
    log = folder / LOGS_FOLDER / f"nnunet_part-{part_id}-of-{provenance['num_parts']}.log"
    runner = ModelRunner(model, device=torch_device(options.device), mirroring=options.mirroring, log=log,
                         trainer_paths=options.trainer_paths)  # fmt: skip
    inputs, failed = _segment_all(served, runner, folder, regions, skip_invalid=options.skip_invalid,
                                  progress=progress)  # fmt: skip
    table = _region_names(model, regions)
    writer = CaseWriter(CaseSettings(convention, table, options.report), folder, bids=True)
    measured, problems = map_collecting_problems(writer, inputs, jobs=jobs, desc="report", unit="case",
                                                 progress=progress)  # fmt: skip
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was written")
    results = [r for r in measured if r is not None]
    meta = part_meta(results, table, provenance, part_id)
    meta.update(
        cases=sorted(r.case for r in routes), skipped=sorted(skipped + failed, key=lambda row: row["case"]),
        extra_folders=[PREDICTIONS_FOLDER, LOGS_FOLDER], generated_by=_generated_by(model),
        atlas_regions={str(k): v for k, v in table.items()},
        routes={r.case: r.inputs_used for r in routes if r.served},
    )  # fmt: skip
    return PartData(rows_as_text(results), meta, folder)


def segment_cohort(
    source: str | os.PathLike[str] | None,
    model: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    flair: str | os.PathLike[str] | None = None,
    t1: str | os.PathLike[str] | None = None,
    images: Mapping[str, str | os.PathLike[str]] | None = None,
    subject_id: str = "01",
    options: SegmentOptions | None = None,
    part_id: int = 0,
    num_parts: int = 1,
    jobs: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> ReportResult:
    """Segment a cohort (or one subject) with a trained model: masks, region maps, tables, QC, BIDS files.

    Parameters
    ----------
    source
        A cohort in any layout ``convert`` reads (WMH 2017 tree, BIDS root, manifest), or None with ``flair``
        and/or ``t1`` of one subject (named ``subject_id``), and ``images`` of its other modalities
        (``{"t2": "sub-01_T2w.nii.gz"}``) for a model that takes them.
    model
        A trained model folder (``DatasetXXX/TRAINER__PLANS__CONFIG``) or a zip of
        ``nnUNetv2_export_model_to_zip``.
    out_dir
        Output folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    options
        How the model runs and where regions come from (:class:`SegmentOptions`).
    part_id, num_parts
        Segment ``sorted(cases)[part_id::num_parts]`` into ``OUT/parts/``; then run ``report-merge OUT``.
    jobs, overwrite, progress
        Worker processes for checking and measuring; replace existing output; show progress bars.

    Raises
    ------
    UsageError, InvalidInputsError, OutputExistsError, OutputError
    """
    options = options or SegmentOptions()
    options.check()
    check_jobs(jobs)
    part_cases([], part_id, num_parts)
    subjects = input_subjects(source, flair, t1, subject_id, layout=options.layout, images=images)
    out_dir = Path(out_dir).expanduser().absolute()
    single = num_parts == 1
    if not single and (out_dir / REPORT_JSON).exists() and not overwrite:
        raise OutputExistsError(out_dir / REPORT_JSON)
    final = out_dir if single else part_folder(out_dir, part_id, num_parts)
    with (
        tempfile.TemporaryDirectory(prefix="nnunet_wmh_segment_") as scratch_name,
        atomic_output_folder(final, overwrite=overwrite, keep=KEPT_ON_MERGE if single else ()) as staging,
    ):
        scratch = Path(scratch_name)
        trained = open_model(model, folds=options.folds, checkpoint=options.checkpoint, unpack_dir=scratch / "model")
        subjects = with_model_modalities(subjects, source, layout=options.layout, route=trained.route)
        routes = route_subjects(subjects, trained.route)
        require_served(routes, consequence="the model can serve no subject; nothing was written")
        all_cases = [r.case for r in routes]
        mine = set(part_cases(all_cases, part_id, num_parts))
        inputs = {"source": None if source is None else str(Path(source).absolute()), "model": str(trained.source),
                  "flair": None if flair is None else str(flair), "t1": None if t1 is None else str(t1),
                  "bids_derivatives": str(out_dir)}  # fmt: skip
        convention, provenance = _provenance(trained, options, inputs, all_cases, num_parts)
        folder = part_folder(staging, 0, 1) if single else staging
        folder.mkdir(parents=True, exist_ok=True)
        part = _run_part([r for r in routes if r.case in mine], trained, options, folder, scratch,
                         provenance=provenance, convention=convention, part_id=part_id, jobs=jobs,
                         progress=progress)  # fmt: skip
        return finish_part(part, staging, out_dir, num_parts=num_parts, bids=out_dir, overwrite=overwrite)
