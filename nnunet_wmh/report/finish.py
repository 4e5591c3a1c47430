"""The final report from its parts: tables, pictures, ``index.html``, ``report.json`` and BIDS files.

A single run is the merge of its one part (:func:`complete_part`); ``report-merge`` joins the parts of a
sharded run (:func:`merge_report`) with the same code, through :mod:`nnunet_wmh.runs.parts`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import UsageError
from nnunet_wmh.labels.region_table import generated_region_name
from nnunet_wmh.report.bids import bids_folder, check_bids_output, write_dataset_files
from nnunet_wmh.report.cohort_tables import INFO_COLUMNS, FinalTables, finalize_tables
from nnunet_wmh.report.schema import BIDS_FOLDER, PICTURES_FOLDER, REPORT_JSON, REPORT_PARTS, TABLE_COLUMNS
from nnunet_wmh.report.viewer import page_case_files, viewer_data, write_viewer_files
from nnunet_wmh.runs.parts import (
    PartData,
    PartTarget,
    gather_files,
    made_in,
    merged_output,
    read_parts,
    refuse_finished,
    remove_parts,
    write_part,
)
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.tsv import write_tsv

#: Subjects a run could not report (``segment``), merged into ``skipped.tsv``.
SKIPPED_FILE = "skipped.tsv"
SKIPPED_COLUMNS = ["participant_id", "session_id", "site", "case", "subject", "reason"]
DEFINITIONS = {
    "volumes": "voxel count x voxel volume from the header's voxel size (native space)",
    "lesions": "connected components at the given connectivity, after dropping those under min_lesion_mm3",
    "lesion_count per region": "each lesion counted once, in the region holding most of its voxels",
    "lesion_fraction": "region lesion volume / region volume (0-1)",
    "outside_regions": "region_id 0: lesion voxels in no region (after the outside policy)",
}


@dataclass
class ReportResult:
    """What a report run or merge wrote.

    Attributes
    ----------
    out_dir
        The report folder.
    cases
        Cases in the tables (after a merge: all; after a part: that part's).
    finished
        True when the final tables exist (single run or merge); False for a part of several.
    files
        Files written, by name.
    flagged
        ``{case: flag}`` of flagged cases (finished reports only).
    warnings
        Warnings of the cases.
    figures
        Cohort figures for printing (finished reports only).
    skipped
        Cases left out (``skipped.tsv``'s rows; a part's own), which ``cases`` of a part still lists.
    run_summary
        What the run did (:class:`~nnunet_wmh.runs.summary.RunSummary`; set by the command that ran).
    """

    out_dir: Path
    cases: list[str]
    finished: bool
    files: dict[str, Path] = field(default_factory=dict)
    flagged: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    skipped: int = 0
    run_summary: RunSummary | None = None


def _report_json(parts: Sequence[PartData], region_names: Mapping[int, str], cases: int, flagged: Mapping[str, str]):
    meta = parts[0].meta
    warnings = list(dict.fromkeys(w for p in parts for w in p.meta["warnings"]))  # a run's own, once
    unnamed = [i for i in sorted(region_names) if region_names[i] == generated_region_name(i)]
    if unnamed and meta["inputs"]["region_table"]:
        shown = ", ".join(f"{i} -> {generated_region_name(i)}" for i in unnamed[:20])
        warnings.append(f"{len(unnamed)} region value(s) are not in the region table and got generated names: {shown}")
    return {
        **{k: meta[k] for k in ("nnunet_wmh_version", "options", "inputs", "labels", "num_parts")},
        "cases": cases,
        "regions": [{"id": i, "name": region_names[i]} for i in sorted(region_names)],
        "definitions": DEFINITIONS,
        "flagged_cases": dict(flagged),
        "warnings": warnings,
        **({"skipped": [row for p in parts for row in p.meta["skipped"]]} if "skipped" in meta else {}),
        **{k: meta[k] for k in ("generated_by", "routes") if k in meta},
        **({"stage_seconds": _summed_stage_seconds(parts)} if "stage_seconds" in meta else {}),
    }


def _summed_stage_seconds(parts: Sequence[PartData]) -> dict[str, float]:
    """``segment``'s seconds per stage (co-register, register, predict), summed over the subjects of every part."""
    summed: dict[str, float] = {}
    for part in parts:
        for stage, seconds in part.meta.get("stage_seconds", {}).items():
            summed[stage] = round(summed.get(stage, 0.0) + seconds, 2)
    return summed


def finish_report(target: Path, bids_target: Path | None, parts: Sequence[PartData], out_dir: Path) -> ReportResult:
    """Write the final report into ``target`` (and BIDS files into ``bids_target``) from every part.

    ``out_dir`` is where ``target`` will be moved to; the result names the final paths.
    """
    tables = {name: [row for p in parts for row in p.rows[name]] for name in TABLE_COLUMNS}
    region_names = {int(r["id"]): r["name"] for p in parts for r in p.meta["regions"]}
    info_columns = [c for c in INFO_COLUMNS if any(c in p.meta["info_columns"] for p in parts)]
    extra_columns = list(dict.fromkeys(c for p in parts for c in p.meta.get("qc_extra_columns", ())))
    final = finalize_tables(
        tables, region_names, info_columns, has_regions=bool(region_names) or bool(tables["regions"]),
        qc_extra_columns=extra_columns,
    )  # fmt: skip
    files = final.write(target)
    skipped = sorted((row for p in parts for row in p.meta.get("skipped", [])), key=lambda row: row["case"])
    if any("skipped" in p.meta for p in parts):
        files[SKIPPED_FILE] = write_tsv(target / SKIPPED_FILE, skipped, SKIPPED_COLUMNS)
    report_json = _report_json(parts, region_names, len(final.cases), final.flagged)
    pictures = parts[0].meta["options"]["pictures"]
    for subfolder in [*parts[0].meta.get("extra_folders", []), *([PICTURES_FOLDER] if pictures else [])]:
        gather_files(parts, subfolder, target / subfolder)
    if pictures:
        files.update(_write_page(final, report_json, parts, (target, bids_target, out_dir)))
    (target / REPORT_JSON).write_text(json.dumps(report_json, indent=2) + "\n")
    files[REPORT_JSON] = target / REPORT_JSON
    if bids_target is not None:
        gather_files(parts, BIDS_FOLDER, bids_target)
        write_dataset_files(
            bids_target, region_names, generated_by=parts[0].meta.get("generated_by"),
            atlas_regions=parts[0].meta.get("atlas_regions"),
        )  # fmt: skip
    files = {name: out_dir / path.relative_to(target) for name, path in files.items()}
    warnings = report_json["warnings"]
    return ReportResult(out_dir, final.cases, True, files, final.flagged, warnings, final.summary(), len(skipped))


def _write_page(
    final: FinalTables,
    report_json: Mapping[str, Any],
    parts: Sequence[PartData],
    places: tuple[Path, Path | None, Path],
) -> dict[str, Path]:
    """``cohort.png``, ``index.html`` and its viewer (``viewer/``) in ``target``, of ``places``: ``(target, where
    the BIDS files are built, where the report goes)``."""
    from nnunet_wmh.report.html import write_index  # heavy: matplotlib, only with pictures
    from nnunet_wmh.report.pictures import cohort_picture

    target, bids_target, out_dir = places
    recorded = {case: files for p in parts for case, files in p.meta.get("viewer_files", {}).items()}
    case_files = page_case_files(recorded, target, bids_target, out_dir)
    write_viewer_files(target)
    viewer = viewer_data(final, report_json, case_files)
    return {
        "cohort.png": cohort_picture(final, target / "cohort.png"),
        "index.html": write_index(final, report_json, target, viewer=viewer),
    }


def complete_part(
    part: PartData, target: PartTarget, *, bids: str | os.PathLike[str] | None, overwrite: bool
) -> ReportResult:
    """End a run's part: with several parts, write its files; alone, build the final report from it as a merge
    of one part would (BIDS files where :func:`~nnunet_wmh.report.bids.bids_folder` places them) and drop the
    part's folder."""
    if not target.single:
        write_part(part, REPORT_PARTS, run_folder=target.out_dir)
        files, warnings, skipped = {"part": target.final_part}, part.meta["warnings"], len(part.meta.get("skipped", []))
        return ReportResult(target.out_dir, part.meta["cases"], False, files, warnings=warnings, skipped=skipped)
    with bids_folder(bids, target.out_dir, target.staging, overwrite=overwrite) as bids_staging:
        result = finish_report(target.staging, bids_staging, [part], target.out_dir)
    remove_parts(target.staging)
    return result


def merge_report(out: str | os.PathLike[str], *, overwrite: bool = False) -> ReportResult:
    """Join the parts in ``OUT/parts`` into the final tables, pictures, index.html and report.json.

    The parts are checked first (:func:`~nnunet_wmh.runs.parts.read_parts`); the finished report replaces
    ``OUT`` (parts included, ``OUT/slurm`` kept) only once it is complete, so a failure keeps the parts
    (:func:`~nnunet_wmh.runs.parts.merged_output`).

    Raises
    ------
    UsageError
        If there are no parts.
    InvalidInputsError
        Parts missing, damaged, or from different runs (nothing is merged; the parts are kept).
    OutputExistsError
        If a finished report (or the BIDS folder) exists and ``overwrite`` is False.
    """
    clock = Stopwatch()
    out = Path(out).expanduser().absolute()
    parts = read_parts(out, REPORT_PARTS)
    refuse_finished(out, REPORT_JSON, overwrite=overwrite)
    bids = _bids_location(parts, out)
    check_bids_output(bids, out, overwrite=overwrite)
    with merged_output(out) as staging, bids_folder(bids, out, staging, overwrite=overwrite) as bids_staging:
        merged = finish_report(staging, bids_staging, parts, out)
    return with_run_summary(merged, "report-merge", clock)


def _bids_location(parts: Sequence[PartData], out: Path) -> Path | None:
    """Where the merge of the parts in ``out`` writes its BIDS files: inside ``out`` where the run recorded them
    inside its folder (so a copied or moved run writes into itself), or the folder of their own it recorded.

    Raises
    ------
    UsageError
        If the run was moved or copied from another folder and writes BIDS files outside it: merging the copy
        would overwrite the original run's.
    """
    recorded = parts[0].meta["inputs"]["bids_derivatives"]
    if recorded is None:
        return None
    bids = out / recorded  # a recorded absolute path stays absolute
    original = made_in(parts)
    if original != out and not bids.is_relative_to(out):
        raise UsageError(
            f"`out` {out} is a run made in {original} whose BIDS files go outside it, to {bids}; merge it in "
            f"{original}, or rerun it with `bids_derivatives` inside {out}",
            "out",
        )
    return bids


def with_run_summary(result: ReportResult, command: str, clock: Stopwatch, *, earlier: int = 0) -> ReportResult:
    """``result`` with the :class:`~nnunet_wmh.runs.summary.RunSummary` of the run that made it (``earlier``:
    cases a stopped run had finished, which this one resumed)."""
    done = len(result.cases) if result.finished else len(result.cases) - result.skipped  # a part lists its skipped
    out = result.out_dir if result.finished else result.files["part"]
    summary = RunSummary(command, out, done - earlier, "case", skipped=result.skipped, earlier=earlier,
                         seconds=clock.seconds, finished=result.finished, flagged=len(result.flagged))  # fmt: skip
    return replace(result, run_summary=summary)
