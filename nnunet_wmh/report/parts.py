"""A report in parts: nnU-Net's interleaved sharding, the files of a part, and the merge into the final report.

A run processes the cases ``sorted(cases)[part_id::num_parts]`` and writes their rows, pictures and BIDS
files into ``OUT/parts/part-I-of-N/``. :func:`merge_report` checks that the parts make up one run (same
options and inputs, every part present, complete and unchanged, every case once) and builds the final report
from them: the same files a single run writes, since a single run is the merge of its one part.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh.errors import InputDataError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.io import link_or_copy
from nnunet_wmh.labels.region_table import generated_region_name
from nnunet_wmh.report.bids import write_dataset_files
from nnunet_wmh.report.cohort_tables import (
    INFO_COLUMNS,
    LESION_COLUMNS,
    QC_COLUMNS,
    REGION_COLUMNS,
    SUBJECT_COLUMNS,
    finalize_tables,
    qc_columns,
)
from nnunet_wmh.report.rows import CaseRows
from nnunet_wmh.runs.outputs import atomic_output_folder, check_output
from nnunet_wmh.slurm.scripts import SLURM_FOLDER
from nnunet_wmh.tsv import format_cell, read_tsv, write_tsv

PARTS_FOLDER = "parts"
#: What the merge keeps of ``OUT``: the SLURM jobs' scripts, records and logs (the merge job's own log among them).
KEPT_ON_MERGE = (SLURM_FOLDER,)
PART_FILE = "part.json"
REPORT_JSON = "report.json"
PICTURES_FOLDER = "qc"
BIDS_FOLDER = "bids"
TABLE_COLUMNS = {"regions": REGION_COLUMNS, "subjects": SUBJECT_COLUMNS, "lesions": LESION_COLUMNS, "qc": QC_COLUMNS}
#: What parts of one run share (anything else differs from part to part).
RUN_FIELDS = ("nnunet_wmh_version", "options", "inputs", "labels", "num_parts", "cases_total", "cases_digest")
PART_NAME = re.compile(r"part-(\d+)-of-(\d+)")
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


def part_cases(cases: Sequence[str], part_id: int, num_parts: int) -> list[str]:
    """nnU-Net's interleaved sharding: ``sorted(cases)[part_id::num_parts]``."""
    if num_parts < 1:
        raise UsageError(f"`num_parts` must be at least 1, got {num_parts}", "num_parts")
    if not 0 <= part_id < num_parts:
        raise UsageError(f"`part_id` must be in 0..{num_parts - 1} (`num_parts` {num_parts}), got {part_id}", "part_id")
    return sorted(cases)[part_id::num_parts]


def part_folder(out_dir: Path, part_id: int, num_parts: int) -> Path:
    """Where part ``part_id`` of ``num_parts`` writes its rows, pictures and BIDS files."""
    return out_dir / PARTS_FOLDER / f"part-{part_id}-of-{num_parts}"


def cases_digest(cases: Sequence[str]) -> str:
    """A fingerprint of the cohort's case list (parts of one run share it)."""
    return hashlib.sha256("\n".join(sorted(cases)).encode()).hexdigest()


@dataclass
class PartData:
    """The rows (as text, as the part's TSV files hold them), the metadata and the folder of one part."""

    rows: dict[str, list[dict[str, str]]]
    meta: dict[str, Any]
    folder: Path


def table_columns(name: str, meta: Mapping[str, Any]) -> list[str]:
    """The columns of table ``name`` in a part (qc.tsv also has the part's extra qc columns)."""
    return qc_columns(meta.get("qc_extra_columns", ())) if name == "qc" else TABLE_COLUMNS[name]


def extra_qc_columns(results: Sequence[CaseRows]) -> list[str]:
    """Extra qc columns of the cases (``CaseInputs.qc_extra``), in first-seen order."""
    known = set(QC_COLUMNS)
    return list(dict.fromkeys(c for r in results for c in r.qc if c not in known))


def rows_as_text(results: Sequence[CaseRows]) -> dict[str, list[dict[str, str]]]:
    """The rows of a part's cases, formatted exactly as the part's TSV files hold them."""
    raw = {
        "regions": [row for r in results for row in r.regions],
        "subjects": [r.subject for r in results],
        "lesions": [row for r in results for row in r.lesions],
        "qc": [r.qc for r in results],
    }
    columns = {**TABLE_COLUMNS, "qc": qc_columns(extra_qc_columns(results))}
    return {name: [{c: format_cell(row.get(c)) for c in columns[name]} for row in rows] for name, rows in raw.items()}


def part_meta(
    results: Sequence[CaseRows], table: Mapping[int, str], provenance: Mapping[str, Any], part_id: int
) -> dict[str, Any]:
    """``part.json`` without its file checksums: the run's provenance, this part's cases, regions, warnings."""
    names = dict(table)
    for result in results:
        names.update(result.region_names)
    return {
        **provenance,
        "part_id": part_id,
        "cases": [r.case for r in results],
        "regions": [{"id": i, "name": names[i]} for i in sorted(names)],
        "info_columns": sorted({k for r in results for k in r.subject if k in INFO_COLUMNS}),
        "qc_extra_columns": extra_qc_columns(results),
        "warnings": [f"[{r.case}] {w}" for r in results for w in r.warnings],
    }


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def write_part(folder: Path, rows: Mapping[str, list[dict[str, str]]], meta: Mapping[str, Any]) -> None:
    """Write a part's TSV files and ``part.json`` (with each table's row count and checksum) into ``folder``."""
    files = {}
    for name, table_rows in rows.items():
        path = write_tsv(folder / f"{name}.tsv", table_rows, table_columns(name, meta))
        files[path.name] = {"rows": len(table_rows), "sha256": _digest(path)}
    (folder / PART_FILE).write_text(json.dumps({**meta, "files": files}, indent=2, sort_keys=True) + "\n")


def _load_part(folder: Path) -> tuple[PartData | None, list[InputDataError]]:
    """Read one part folder; problems if it is not a complete, unchanged part."""
    name = folder.name
    meta_path = folder / PART_FILE
    try:
        meta = json.loads(meta_path.read_text())
        if not isinstance(meta, dict) or not all(k in meta for k in (*RUN_FIELDS, "part_id", "cases", "files")):
            raise ValueError("fields are missing")
    except (OSError, ValueError, UnicodeDecodeError) as exc:
        return None, [InputDataError(name, str(meta_path), f"not a readable part file ({exc}); rerun this part")]
    found = PART_NAME.fullmatch(name)
    if found is None or (int(found[1]), int(found[2])) != (meta["part_id"], meta["num_parts"]):
        made = f"part {meta['part_id']} of {meta['num_parts']}"
        return None, [InputDataError(name, str(folder), f"was made as {made}; the folder was renamed or copied")]
    rows, problems = {}, []
    for table in TABLE_COLUMNS:
        path, expected = folder / f"{table}.tsv", meta["files"].get(f"{table}.tsv", {})
        if not path.is_file() or _digest(path) != expected.get("sha256"):
            problems.append(InputDataError(name, str(path), "missing, truncated or changed since the part was written"))
            continue
        rows[table] = read_tsv(path)
    return (PartData(rows, meta, folder) if not problems else None), problems


def _run_problems(parts: Sequence[PartData]) -> list[InputDataError]:
    """Parts that belong to another run than the largest group of parts."""
    keys = [json.dumps({k: p.meta[k] for k in RUN_FIELDS}, sort_keys=True) for p in parts]
    reference_key, _ = Counter(keys).most_common(1)[0]
    reference = parts[keys.index(reference_key)]
    problems = []
    for part, key in zip(parts, keys, strict=True):
        if key != reference_key:
            differing = [k for k in RUN_FIELDS if part.meta[k] != reference.meta[k]]
            problems.append(
                InputDataError(
                    part.folder.name,
                    str(part.folder),
                    f"made by another run than {reference.folder.name} (different {', '.join(differing)}); "
                    "remove the parts of the run you do not want",
                )
            )
    return problems


def _coverage_problems(parts: Sequence[PartData], folder: Path) -> list[InputDataError]:
    """Missing parts, and cases that are not exactly the run's cohort, once each."""
    num_parts = parts[0].meta["num_parts"]
    present = {p.meta["part_id"] for p in parts}
    problems = [
        InputDataError(f"part-{i}-of-{num_parts}", str(folder), f"missing; run part_id {i} of {num_parts} first")
        for i in range(num_parts)
        if i not in present
    ]
    cases = [case for p in parts for case in p.meta["cases"]]
    doubled = sorted(case for case, n in Counter(cases).items() if n > 1)
    if doubled:
        problems.append(
            InputDataError("parts", str(folder), f"case(s) in more than one part: {', '.join(doubled[:5])}")
        )
    if not problems and cases_digest(cases) != parts[0].meta["cases_digest"]:
        problems.append(InputDataError("parts", str(folder), "the parts' cases do not make up the run's cohort"))
    return problems


def read_parts(out_dir: Path) -> list[PartData]:
    """Read and check every part of ``OUT/parts`` (see the module docstring), in part order.

    Raises
    ------
    UsageError
        If there are no parts.
    InvalidInputsError
        Every problem of every part (nothing is merged; the parts are kept).
    """
    folder = out_dir / PARTS_FOLDER
    candidates = sorted(p for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []
    if not candidates:
        raise UsageError(
            f"`out_dir` {folder} holds no report parts; run the report with `part_id` and `num_parts` first", "out_dir"
        )
    loaded, problems = [], []
    for candidate in candidates:
        part, found = _load_part(candidate)
        problems += found
        if part is not None:
            loaded.append(part)
    if loaded and not problems:
        problems += _run_problems(loaded) or _coverage_problems(loaded, folder)
    if problems:
        raise InvalidInputsError(problems, consequence="nothing was merged; the parts are kept")
    return sorted(loaded, key=lambda p: p.meta["part_id"])


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
    summary
        Cohort figures for printing (finished reports only).
    """

    out_dir: Path
    cases: list[str]
    finished: bool
    files: dict[str, Path] = field(default_factory=dict)
    flagged: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    summary: dict[str, Any] = field(default_factory=dict)


def _gather(parts: Sequence[PartData], subfolder: str, target: Path | None) -> None:
    """Link every file of each part's ``subfolder`` into ``target`` (the parts stay as they are)."""
    if target is None:
        return
    for part in parts:
        source = part.folder / subfolder
        for path in sorted(source.rglob("*")) if source.is_dir() else []:
            if path.is_file():
                destination = target / path.relative_to(source)
                destination.parent.mkdir(parents=True, exist_ok=True)
                link_or_copy(path, destination)


def _report_json(parts: Sequence[PartData], region_names: Mapping[int, str], cases: int, flagged: Mapping[str, str]):
    meta = parts[0].meta
    warnings = [w for p in parts for w in p.meta["warnings"]]
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
    }


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
    if any("skipped" in p.meta for p in parts):
        skipped = sorted((row for p in parts for row in p.meta.get("skipped", [])), key=lambda row: row["case"])
        files[SKIPPED_FILE] = write_tsv(target / SKIPPED_FILE, skipped, SKIPPED_COLUMNS)
    for subfolder in parts[0].meta.get("extra_folders", []):
        _gather(parts, subfolder, target / subfolder)
    report_json = _report_json(parts, region_names, len(final.cases), final.flagged)
    options = parts[0].meta["options"]
    if options["pictures"]:
        from nnunet_wmh.report.html import write_index  # heavy: matplotlib, only with pictures
        from nnunet_wmh.report.pictures import cohort_picture

        _gather(parts, PICTURES_FOLDER, target / PICTURES_FOLDER)
        files["cohort.png"] = cohort_picture(final, target / "cohort.png")
        files["index.html"] = write_index(final, report_json, target)
    (target / REPORT_JSON).write_text(json.dumps(report_json, indent=2) + "\n")
    files[REPORT_JSON] = target / REPORT_JSON
    if bids_target is not None:
        _gather(parts, BIDS_FOLDER, bids_target)
        write_dataset_files(
            bids_target, region_names, generated_by=parts[0].meta.get("generated_by"),
            atlas_regions=parts[0].meta.get("atlas_regions"),
        )  # fmt: skip
    files = {name: out_dir / path.relative_to(target) for name, path in files.items()}
    return ReportResult(out_dir, final.cases, True, files, final.flagged, report_json["warnings"], final.summary())


def finish_part(
    part: PartData, staging: Path, out_dir: Path, *, num_parts: int, bids: str | os.PathLike[str] | None,
    overwrite: bool,
) -> ReportResult:  # fmt: skip
    """End a run's part being built in ``staging``: with several parts, write its files (the part folder is
    ``staging``); alone, build the final report from it (BIDS files as :func:`bids_folder` places them)."""
    if num_parts > 1:
        write_part(part.folder, part.rows, part.meta)
        final = part_folder(out_dir, part.meta["part_id"], num_parts)
        return ReportResult(out_dir, part.meta["cases"], False, {"part": final}, warnings=part.meta["warnings"])
    with bids_folder(bids, out_dir, staging, overwrite=overwrite) as bids_staging:
        result = finish_report(staging, bids_staging, [part], out_dir)
    remove_parts(staging)
    return result


def merge_report(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> ReportResult:
    """Join the parts in ``OUT_DIR/parts`` into the final tables, pictures, index.html and report.json.

    The parts are checked first (:func:`read_parts`); the finished report replaces ``OUT_DIR`` (parts included,
    ``OUT_DIR/slurm`` kept) only once it is complete, so a failure keeps the parts.

    Raises
    ------
    UsageError
        If there are no parts.
    InvalidInputsError
        Parts missing, damaged, or from different runs (nothing is merged; the parts are kept).
    OutputExistsError
        If a finished report (or the BIDS folder) exists and ``overwrite`` is False.
    """
    out_dir = Path(out_dir).expanduser().absolute()
    parts = read_parts(out_dir)
    if (out_dir / REPORT_JSON).exists() and not overwrite:
        raise OutputExistsError(out_dir / REPORT_JSON)
    bids = parts[0].meta["inputs"]["bids_derivatives"]
    check_bids_output(bids, out_dir, overwrite=overwrite)
    with (
        atomic_output_folder(out_dir, overwrite=True, keep=KEPT_ON_MERGE) as staging,
        bids_folder(bids, out_dir, staging, overwrite=overwrite) as bids_staging,
    ):
        return finish_report(staging, bids_staging, parts, out_dir)


def check_bids_output(bids: str | os.PathLike[str] | None, out_dir: Path, *, overwrite: bool) -> None:
    """The output rule for a BIDS folder of its own (one inside the report is built with the report)."""
    if bids is not None and not Path(bids).expanduser().absolute().is_relative_to(out_dir):
        check_output(bids, overwrite=overwrite)


@contextlib.contextmanager
def bids_folder(
    bids: str | os.PathLike[str] | None, out_dir: Path, staging: Path, *, overwrite: bool
) -> Iterator[Path | None]:
    """Where the BIDS files go while the report is built in ``staging``: a folder of their own, built and moved
    into place like the report, or, when it lies inside the report, its place inside ``staging``."""
    if bids is None:
        yield None
        return
    bids = Path(bids).expanduser().absolute()
    if bids.is_relative_to(out_dir):
        inside = staging / bids.relative_to(out_dir)
        inside.mkdir(parents=True, exist_ok=True)
        yield inside
        return
    with atomic_output_folder(bids, overwrite=overwrite) as folder:
        yield folder


def remove_parts(folder: Path) -> None:
    """Remove the parts folder inside a finished report being built."""
    if (folder / PARTS_FOLDER).exists():
        shutil.rmtree(folder / PARTS_FOLDER)
