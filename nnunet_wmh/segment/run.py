"""``nnunet_wmh segment``: a cohort of raw scans (or one subject) to WMH masks, region maps and burden tables.

A run reads the cohort, opens the model (folder or zip), routes every subject (:mod:`.routes`), checks the
images of its part, registers the subjects in ``jobs`` worker processes (:mod:`.prepare`) while it predicts them
with the model loaded once (:mod:`.case`), then measures the cases with the report's own code. The subjects are
done in ``OUT.partial/`` and recorded one by one, so a stopped run continues where it stopped (:mod:`.resume`).
A single run builds the whole output in a temporary folder and moves it into place when complete; with
``num_parts > 1`` each run writes ``OUT/parts/part-K-of-N`` and ``report-merge`` joins them.

Output (``OUT``, also a BIDS derivatives dataset): the report's tables, ``qc.tsv`` with each case's route and
uncertainty, ``skipped.tsv``, ``qc/`` pictures, ``index.html``, ``report.json``, ``predictions/``,
``sub-X[/ses-Y]/anat/`` masks and region maps, ``dataset_description.json``, ``logs/``.
"""

from __future__ import annotations

import functools
import os
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tqdm.auto import tqdm

from nnunet_wmh import __version__
from nnunet_wmh.cohorts.identity import require_distinct_ids
from nnunet_wmh.cohorts.single_subject import SubjectFiles
from nnunet_wmh.cohorts.subject import MODALITY_NAMES, ZERO
from nnunet_wmh.errors import InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.io import read_subject_image
from nnunet_wmh.nnunet.device import compute_threads_beside_workers, torch_device
from nnunet_wmh.nnunet.model import TrainedModel, open_model
from nnunet_wmh.nnunet.predictor import ModelRunner
from nnunet_wmh.registration.atlas_grid import check_atlas_grid
from nnunet_wmh.report.case import CaseSettings
from nnunet_wmh.report.finish import ReportResult, complete_part, with_run_summary
from nnunet_wmh.report.inputs import CaseInputs
from nnunet_wmh.report.run import CaseWriter
from nnunet_wmh.report.schema import REPORT_JSON, part_meta, rows_as_text
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parallel import map_collecting_problems, map_with_progress, pipelined
from nnunet_wmh.runs.parts import KEPT_ON_MERGE, PartData, PartTarget, cases_digest, part_cases, part_output
from nnunet_wmh.runs.summary import Stopwatch
from nnunet_wmh.segment.case import segment_subject
from nnunet_wmh.segment.inputs import (
    SegmentSource,
    input_subjects,
    require_served,
    unused_inputs,
    unused_inputs_warning,
    with_model_modalities,
)
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.prepare import LOGS_FOLDER, PREDICTIONS_FOLDER, RegionSource, prepare_subject
from nnunet_wmh.segment.resume import (
    SubjectLedger,
    case_digest,
    clear_case,
    keep_only_finished_work,
    link_cases,
    model_stamp,
    relocated,
    remove_work,
    work_folder,
)
from nnunet_wmh.segment.routes import SubjectRoute, participants_of, route_subjects

#: What report.json records as ``inputs.zones`` when the built-in atlas gives the ventricle and brain masks.
BUILTIN_ZONES = (
    "built-in atlas: the MNI152 template's brain and lateral ventricles, registered with the regions; "
    "periventricular/deep by options.pv_rule, intracranial volume = registered template brain (eTIV-like)"
)


@dataclass(frozen=True)
class SegmentJob:
    """What every step of one run's part shares: the model, the options, where it writes."""

    model: TrainedModel
    options: SegmentOptions
    run: RunOptions
    target: PartTarget
    scratch: Path
    provenance: dict[str, Any]
    warnings: tuple[str, ...] = ()


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


def _require_some(routes: list[SubjectRoute], left: list, skipped: list[dict[str, str]], target: PartTarget) -> None:
    """Raise InvalidInputsError naming every skipped subject when a single run has subjects but none ``left``
    to segment (or none segmented): a run that writes no mask at all is an error, not an empty report."""
    if left or not routes or not target.single:
        return
    subjects = {route.case: route.subject for route in routes}
    problems = [InputDataError(row["subject"], subjects[row["case"]].where("flair"), row["reason"]) for row in skipped]
    raise InvalidInputsError(problems, consequence="no subject could be segmented; nothing was written")


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


#: Options that do not change a subject's files: rerunning a stopped run with ``--skip-invalid`` redoes nothing.
NOT_IN_DIGEST = ("skip_invalid", "trainer_paths")


@dataclass(frozen=True)
class Workplace:
    """Where a part's subjects are segmented (``OUT.partial/part-K-of-N``), its ledger, each case's digest."""

    folder: Path
    ledger: SubjectLedger
    digests: dict[str, str]


def _workplace(routes: list[SubjectRoute], job: SegmentJob) -> Workplace:
    folder = work_folder(job.target.out_dir, job.run.part_id, job.run.num_parts)
    if job.run.overwrite:  # start over
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    model, options = model_stamp(job.model), job.options.recorded(job.run.device)
    for name in NOT_IN_DIGEST:  # they decide which subjects run, not what a subject's files hold
        options.pop(name)
    digests = {route.case: case_digest(route, model, options) for route in routes}
    return Workplace(folder, SubjectLedger(folder), digests)


def _restored(routes: list[SubjectRoute], work: Workplace) -> tuple[list[CaseInputs], list[SubjectRoute], dict]:
    """The inputs of the subjects an earlier run finished (and their stage seconds), and the routes left to do."""
    inputs, todo, seconds = [], [], {}
    for route in routes:
        restored = work.ledger.restore(route, work.digests[route.case])
        if restored is None:
            clear_case(work.folder, route)
            todo.append(route)
            continue
        inputs.append(restored[0])
        _add_seconds(seconds, restored[1])
    return inputs, todo, seconds


def _add_seconds(total: dict[str, float], seconds: dict[str, float]) -> None:
    for stage, value in seconds.items():
        total[stage] = total.get(stage, 0.0) + value


def _segment_all(routes, runner, work: Workplace, regions, *, skip_invalid: bool, jobs: int, progress: bool):
    """Segment every route not finished by an earlier run: ``jobs`` worker processes co-register and register
    the subjects ahead (:func:`~nnunet_wmh.segment.prepare.prepare_subject`) while this process predicts them one
    after another with the model loaded once; each finished subject is recorded. Returns the report inputs (in
    route order), the skipped rows of failures (with ``skip_invalid``), the seconds per stage summed over the
    subjects, and how many subjects an earlier run had finished."""
    earlier, todo, seconds = _restored(routes, work)
    fresh, skipped, problems = [], [], []
    prepare = functools.partial(prepare_subject, folder=work.folder, regions=regions)
    regions_name = None if regions is None else regions.name
    with tqdm(total=len(routes), initial=len(earlier), desc="segmenting", unit="subject",
              disable=not progress) as bar:  # fmt: skip
        for route, prepared, problem in pipelined(prepare, todo, jobs=jobs):
            try:
                if problem is not None:
                    raise problem
                started = time.perf_counter()
                inputs = segment_subject(route, runner, work.folder, prepared, regions_name)
                subject_seconds = {**prepared.seconds, "predict": time.perf_counter() - started}
                work.ledger.finish(route, work.digests[route.case], inputs, subject_seconds)
                fresh.append(inputs)
                _add_seconds(seconds, subject_seconds)
            except InputDataError as exc:
                problems.append(exc)
                skipped.append(_skipped_row(route, exc.problem))
            bar.update()
    if problems and not skip_invalid:
        raise InvalidInputsError(problems, consequence="nothing was written; `skip_invalid` lists them and goes on")
    order = {route.case: k for k, route in enumerate(routes)}
    inputs = sorted(earlier + fresh, key=lambda case_inputs: order[case_inputs.case])
    return inputs, skipped, seconds, len(earlier)


def _recorded_inputs(source: SegmentSource, model: TrainedModel, unused: dict[str, list[str]]) -> dict[str, Any]:
    """The inputs report.json records (``unused``: how many subjects had each image the model does not take)."""
    files = source if isinstance(source, SubjectFiles) else SubjectFiles()
    return {
        "source": None if isinstance(source, SubjectFiles) else str(Path(source).absolute()),
        "model": str(model.source),
        "flair": None if files.flair is None else str(files.flair),
        "t1": None if files.t1 is None else str(files.t1),
        "bids_derivatives": ".",  # the run folder itself, relative so that a moved run merges into itself
        "unused": {name: len(keys) for name, keys in unused.items()},
    }


def _provenance(
    model: TrainedModel, options: SegmentOptions, run: RunOptions, inputs: dict[str, Any], cases: list[str]
) -> dict[str, Any]:
    """What every part of the run shares (checked by ``report-merge``)."""
    return {
        "nnunet_wmh_version": __version__,
        "options": options.report.counting(),
        "inputs": {**inputs, "region_table": options.region_table, "regions": None,
                   "segment": options.recorded(run.device), "model": model.describe(),
                   "zones": None if model.route.has_regions or options.has_atlas else BUILTIN_ZONES},
        "labels": model.convention.describe(),
        "num_parts": run.num_parts,
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


def _run_part(routes: list[SubjectRoute], job: SegmentJob) -> PartData:
    """Segment the routes of one part in its work folder (resuming an earlier run's), then measure them into the
    part's folder, where the work folder's files are linked."""
    options, run, folder = job.options, job.run, job.target.folder
    served, skipped = _checked_routes(routes, skip_invalid=options.skip_invalid, jobs=run.jobs, progress=run.progress)
    _require_some(routes, served, skipped, job.target)
    regions = _region_source(job.model, options, job.scratch)
    work = _workplace(served, job)
    log = work.folder / LOGS_FOLDER / f"nnunet_part-{run.part_id}-of-{run.num_parts}.log"
    device = torch_device(run.device)
    runner = ModelRunner(job.model, device=device, mirroring=options.mirroring, log=log,
                         trainer_paths=options.trainer_paths)  # fmt: skip
    with compute_threads_beside_workers(device, min(run.jobs, len(served))):
        inputs, failed, seconds, earlier = _segment_all(
            served, runner, work, regions, jobs=run.jobs, skip_invalid=options.skip_invalid, progress=run.progress
        )
    _require_some(routes, inputs, skipped + failed, job.target)
    link_cases(work.folder, folder, [r for r in served if r.case in {i.case for i in inputs}])
    inputs = [relocated(case_inputs, work.folder, folder) for case_inputs in inputs]  # measured from the part's copy
    table = _region_names(job.model, regions)
    writer = CaseWriter(CaseSettings(job.model.convention, table, options.report), folder, bids=True)
    measured, problems = map_collecting_problems(writer, inputs, jobs=run.jobs, desc="report", unit="case",
                                                 progress=run.progress)  # fmt: skip
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was written")
    results = [r for r in measured if r is not None]
    meta = part_meta(results, table, job.provenance, run.part_id)
    meta.update(
        cases=sorted(r.case for r in routes), skipped=sorted(skipped + failed, key=lambda row: row["case"]),
        extra_folders=[PREDICTIONS_FOLDER, LOGS_FOLDER], generated_by=_generated_by(job.model),
        atlas_regions={str(k): v for k, v in table.items()},
        routes={r.case: r.inputs_used for r in routes if r.served},
        stage_seconds={stage: round(value, 2) for stage, value in seconds.items()}, resumed=earlier,
        warnings=[*job.warnings, *meta["warnings"]],
    )  # fmt: skip
    return PartData(rows_as_text(results), meta, folder)


def _cases_of_part(routes: list[SubjectRoute], part_by: str, run: RunOptions) -> set[str]:
    """The cases this part does (:attr:`~nnunet_wmh.segment.options.SegmentOptions.part_by`).

    Raises
    ------
    UsageError
        By participant, a ``num_parts`` that is not the number of participants.
    """
    if part_by == "case":
        return set(part_cases([r.case for r in routes], run.part_id, run.num_parts))
    participants = participants_of(routes)
    if run.num_parts != len(participants):
        raise UsageError(
            f"`num_parts` {run.num_parts}: with `part_by` participant it must be the number of participants, "
            f"{len(participants)}", "num_parts",
        )  # fmt: skip
    mine = participants[run.part_id]
    return {route.case for route in routes if route.info().participant_id == mine}


def segment_cohort(
    source: SegmentSource,
    model: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: SegmentOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> ReportResult:
    """Segment a cohort (or one subject) with a trained model: masks, region maps, tables, QC, BIDS files.

    Parameters
    ----------
    source
        A cohort in any layout ``convert`` reads (WMH 2017 tree, BIDS root, manifest), or one subject's
        :class:`~nnunet_wmh.cohorts.single_subject.SubjectFiles` (FLAIR and/or T1, and the other modalities a
        model takes: ``SubjectFiles(flair="F.nii.gz", others={"t2": "T2.nii.gz"})``).
    model
        A trained model folder (``DatasetXXX/TRAINER__PLANS__CONFIG``) or a zip of
        ``nnUNetv2_export_model_to_zip``.
    out
        Output folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    options
        How the model runs, where regions come from, how lesions are counted (:class:`SegmentOptions`).
    run
        Jobs (checking and measuring), overwrite, progress, device and parts
        (:class:`~nnunet_wmh.runs.options.RunOptions`): with ``num_parts > 1`` this run segments
        ``sorted(cases)[part_id::num_parts]`` into ``OUT/parts/``; then run ``report-merge OUT``.
    **fields
        Fields of either, by name: ``segment_cohort("cohort", "model", "out", device="cpu", jobs=4)``.

    Raises
    ------
    UsageError, InvalidInputsError, OutputExistsError, OutputError
    """
    clock = Stopwatch()
    options, run = resolve_options(SegmentOptions, options, run, fields)
    options.check()
    run.check(parts=True, device=True)
    if options.has_atlas:
        check_atlas_grid(options.atlas_image, options.atlas_labels)  # type: ignore[arg-type]
    subjects = input_subjects(source, layout=options.layout)
    require_distinct_ids(subjects)
    with (
        tempfile.TemporaryDirectory(prefix="nnunet_wmh_segment_") as scratch_name,
        part_output(out, run, finished=REPORT_JSON, keep=KEPT_ON_MERGE) as target,
    ):
        scratch = Path(scratch_name)
        trained = open_model(model, folds=options.folds, checkpoint=options.checkpoint, unpack_dir=scratch / "model")
        subjects = with_model_modalities(subjects, source, layout=options.layout, route=trained.route)
        routes = route_subjects(subjects, trained.route)
        require_served(routes, consequence="the model can serve no subject; nothing was written")
        unused = unused_inputs_warning(routes, source, strict=options.strict)
        all_cases = [r.case for r in routes]
        mine = _cases_of_part(routes, options.part_by, run)
        recorded = _recorded_inputs(source, trained, unused_inputs(routes))
        provenance = _provenance(trained, options, run, recorded, all_cases)
        job = SegmentJob(trained, options, run, target, scratch, provenance, (unused,) if unused else ())
        try:
            part = _run_part([r for r in routes if r.case in mine], job)
        except BaseException:
            keep_only_finished_work(target.out_dir, run.part_id, run.num_parts)
            raise
        result = complete_part(part, target, bids=target.out_dir, overwrite=run.overwrite)
    remove_work(target.out_dir, run.part_id, run.num_parts)
    return with_run_summary(result, "segment", clock, earlier=part.meta["resumed"])
