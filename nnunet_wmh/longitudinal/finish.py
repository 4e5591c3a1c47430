"""``change``'s final output from its parts: a single run is the merge of its one part, ``report-merge`` joins the
parts of a sharded run (``--part-id/--num-parts``, ``--slurm``) with the same code (:mod:`nnunet_wmh.runs.parts`).

A part holds the four tables of its participants, their BIDS folders (change maps, transforms) and QC pictures,
and ``part.json`` (the run's fields, its participants, those with one session).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from nnunet_wmh.longitudinal.tables import CHANGE_COLUMNS, LESION_COLUMNS, QC_COLUMNS
from nnunet_wmh.report.bids import BIDS_VERSION
from nnunet_wmh.runs.parts import (
    PartData,
    PartSchema,
    PartTarget,
    gather_files,
    merged_output,
    read_parts,
    refuse_finished,
    remove_parts,
    write_part,
)
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.tsv import write_tsv

CHANGE_JSON = "change.json"
PICTURES_FOLDER = "qc"
SKIPPED_COLUMNS = ["participant_id", "reason"]
TABLES = {"change": CHANGE_COLUMNS, "lesion_changes": LESION_COLUMNS, "pairs": QC_COLUMNS, "skipped": SKIPPED_COLUMNS}
#: What every part of one run shares (``command`` tells ``report-merge`` whose parts they are).
RUN_FIELDS = ("command", "nnunet_wmh_version", "segment_dir", "options", "connectivity", "min_lesion_mm3",
              "num_parts", "cases_digest")  # fmt: skip
CHANGE_PARTS = PartSchema(tuple(TABLES), RUN_FIELDS, lambda name, meta: TABLES[name])


@dataclass
class ChangeResult:
    """What ``change`` wrote.

    Attributes
    ----------
    out_dir
        The output folder.
    finished
        True when the final tables exist (single run or merge); False for a part of several.
    pairs
        Pairs of visits measured.
    flagged
        ``{participant ses-A→ses-B: why}`` of the pairs whose registration failed a check.
    single_session
        Participants with one session (nothing to compare).
    skipped
        ``{participant: reason}`` of those that could not be measured.
    run_summary
        What the run did.
    """

    out_dir: Path
    finished: bool
    pairs: int
    flagged: dict[str, str]
    single_session: list[str]
    skipped: dict[str, str]
    run_summary: RunSummary | None = None


def _result(out_dir: Path, parts: Sequence[PartData], *, finished: bool) -> ChangeResult:
    pairs = [row for p in parts for row in p.rows["pairs"]]
    flagged = {f"{r['participant_id']} {r['session_from']}→{r['session_to']}": r["qc"] for r in pairs if r["qc"]}
    single = sorted(p for part in parts for p in part.meta["single_session"])
    skipped = {r["participant_id"]: r["reason"] for p in parts for r in p.rows["skipped"]}
    return ChangeResult(out_dir, finished, len(pairs), flagged, single, skipped)


def finish_change(target: Path, parts: Sequence[PartData], out_dir: Path) -> ChangeResult:
    """Write the final tables, files and ``change.json`` into ``target`` (moved to ``out_dir`` afterwards)."""
    tables = {}
    for name, columns in TABLES.items():  # participants in order, as one run writes them
        tables[name] = sorted((row for p in parts for row in p.rows[name]), key=lambda row: row["participant_id"])
        write_tsv(target / f"{name}.tsv", tables[name], columns)
    for subfolder in sorted({f for p in parts for f in p.meta["extra_folders"]}):
        gather_files(parts, subfolder, target / subfolder)
    meta = parts[0].meta
    result = _result(out_dir, parts, finished=True)
    record = {**{k: meta[k] for k in RUN_FIELDS if k != "cases_digest"}, "participants": meta["cases_total"],
              "pairs": result.pairs, "single_session": result.single_session, "skipped": result.skipped,
              "flagged": result.flagged}  # fmt: skip
    (target / CHANGE_JSON).write_text(json.dumps(record, indent=2) + "\n")
    description = {"Name": "nnunet_wmh change", "BIDSVersion": BIDS_VERSION, "DatasetType": "derivative",
                   "GeneratedBy": [{"Name": "nnunet_wmh change", "Version": meta["nnunet_wmh_version"],
                                    "Description": "lesion change between sessions: change maps and transforms"}],
                   "SourceDatasets": [{"URL": Path(meta["segment_dir"]).as_uri()}]}  # fmt: skip
    (target / "dataset_description.json").write_text(json.dumps(description, indent=2) + "\n")
    if meta["options"]["pictures"]:
        from nnunet_wmh.longitudinal.page import write_change_page  # heavy: matplotlib, only with pictures

        write_change_page(target, tables, record)
    return result


def complete_change_part(part: PartData, target: PartTarget) -> ChangeResult:
    """End a run's part: with several parts, write it; alone, build the final output from it and drop it."""
    if not target.single:
        write_part(part, CHANGE_PARTS, run_folder=target.out_dir)
        return _result(target.out_dir, [part], finished=False)
    result = finish_change(target.staging, [part], target.out_dir)
    remove_parts(target.staging)
    return result


def is_change_run(meta: Mapping[str, Any]) -> bool:
    """Whether a part's ``part.json`` is one of ``change``'s."""
    return meta.get("command") == "change"


def merge_change(out: str | os.PathLike[str], *, overwrite: bool = False) -> ChangeResult:
    """Join the parts in ``OUT/parts`` into the final tables, files and ``change.json`` (the parts are checked
    first; a failure keeps them).

    Raises
    ------
    UsageError
        If there are no parts.
    InvalidInputsError
        Parts missing, damaged, or from different runs.
    OutputExistsError
        A finished output exists and ``overwrite`` is False.
    """
    clock = Stopwatch()
    out = Path(out).expanduser().absolute()
    parts = read_parts(out, CHANGE_PARTS)
    refuse_finished(out, CHANGE_JSON, overwrite=overwrite)
    with merged_output(out) as staging:
        result = finish_change(staging, parts, out)
    return with_summary(result, "report-merge", clock)


def with_summary(result: ChangeResult, command: str, clock: Stopwatch) -> ChangeResult:
    """``result`` with the summary of the run that made it."""
    summary = RunSummary(command, result.out_dir, result.pairs, "pair", skipped=len(result.skipped),
                         seconds=clock.seconds, finished=result.finished, flagged=len(result.flagged))  # fmt: skip
    return replace(result, run_summary=summary)
