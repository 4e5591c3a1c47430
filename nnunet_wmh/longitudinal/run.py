"""``nnunet_wmh change``: lesion change between the sessions of every participant of a ``segment`` output.

Participants are independent: ``jobs`` worker processes take one participant each. A participant whose files
cannot be read, or whose follow-up cannot be registered at all, is listed in ``skipped.tsv`` with the reason and
the others are written; a participant with one session is reported (``change.json``), not an error. The output
folder is built in a temporary place and moved into place when complete (see the docs' conventions).

Files: ``change.tsv``, ``lesion_changes.tsv``, ``pairs.tsv`` (:mod:`~nnunet_wmh.longitudinal.tables`),
``change.json`` (options, inputs, participants with one session, skipped ones), ``skipped.tsv``, a QC picture
per pair in ``qc/``, and per participant the change maps and transforms of
:mod:`~nnunet_wmh.longitudinal.subject_change`.
"""

from __future__ import annotations

import itertools
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.longitudinal.finish import (
    CHANGE_JSON,
    PICTURES_FOLDER,
    TABLES,
    ChangeResult,
    complete_change_part,
    with_summary,
)
from nnunet_wmh.longitudinal.matching import ChangeRules
from nnunet_wmh.longitudinal.pictures import pair_picture
from nnunet_wmh.longitudinal.subject_change import (
    match_pair,
    place_visits,
    read_visit,
    write_pair_files,
    write_transform,
)
from nnunet_wmh.longitudinal.tables import change_rows, lesion_rows, qc_row
from nnunet_wmh.longitudinal.visits import Visit, read_visits
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parallel import map_collecting_problems
from nnunet_wmh.runs.parts import PartData, cases_digest, part_cases, part_output
from nnunet_wmh.runs.summary import Stopwatch


@dataclass(frozen=True)
class ChangeOptions:
    """How ``change`` matches lesions and where the cohort is.

    Attributes
    ----------
    min_change_ml, min_change_percent, min_overlap_voxels
        The rules of :class:`~nnunet_wmh.longitudinal.matching.ChangeRules`.
    source
        The cohort ``segment`` read, where it has moved since (default: the one its ``report.json`` records).
    pictures
        A QC picture per pair (``qc/``).
    """

    min_change_ml: float = ChangeRules.min_change_ml
    min_change_percent: float = ChangeRules.min_change_percent
    min_overlap_voxels: int = ChangeRules.min_overlap_voxels
    source: str | None = None
    pictures: bool = True

    @property
    def rules(self) -> ChangeRules:
        """The matching rules."""
        return ChangeRules(min_change_ml=self.min_change_ml, min_change_percent=self.min_change_percent,
                           min_overlap_voxels=self.min_overlap_voxels)  # fmt: skip

    def check(self) -> None:
        """Raise UsageError for a bad value (naming the field)."""
        self.rules.check()


@dataclass(frozen=True)
class _Task:
    """One participant's work (picklable)."""

    visits: tuple[Visit, ...]
    folder: Path
    rules: ChangeRules
    connectivity: int
    min_lesion_mm3: float
    region_names: dict[int, str]
    pictures: bool


def participant_change(task: _Task) -> dict[str, list[dict[str, str]]]:
    """Every consecutive pair of one participant's visits: the rows of its tables, and its change maps,
    transforms and pictures written into the task's folder."""
    visits = [read_visit(v, connectivity=task.connectivity, min_lesion_mm3=task.min_lesion_mm3) for v in task.visits]
    place_visits(visits)
    rows: dict[str, list[dict[str, str]]] = {"change": [], "lesion_changes": [], "pairs": []}
    for visit in visits[1:]:
        write_transform(task.folder, visit, visits[0])
    for earlier, later in itertools.pairwise(visits):
        changes = match_pair(earlier, later, rules=task.rules, regions=visits[0].regions)
        write_pair_files(task.folder, earlier, later, changes)
        rows["change"] += change_rows(earlier, later, changes, task.region_names)
        rows["lesion_changes"] += lesion_rows(earlier, later, changes, task.region_names)
        rows["pairs"].append(qc_row(earlier, later))
        if task.pictures:
            pair_picture(task.folder / PICTURES_FOLDER, visits[0], earlier, later, changes)
    return rows


def _segment_settings(segment_dir: Path) -> tuple[int, float, dict[int, str]]:
    record = json.loads((segment_dir / "report.json").read_text())
    options = record.get("options", {})
    names = {int(r["id"]): r["name"] for r in record.get("regions", [])}
    return int(options.get("connectivity", 26)), float(options.get("min_lesion_mm3", 0.0)), names


def _measure_part(visits: dict[str, list[Visit]], mine: list[str], folder: Path, options: ChangeOptions,
                  run: RunOptions, settings: tuple[int, float, dict[int, str]]) -> tuple[dict, list[str]]:  # fmt: skip
    """The rows of this part's participants (those with two or more sessions) and the participants skipped."""
    connectivity, min_lesion_mm3, names = settings
    tasks = [_Task(tuple(visits[p]), folder, options.rules, connectivity, min_lesion_mm3, names, options.pictures)
             for p in mine if len(visits[p]) > 1]  # fmt: skip
    results, problems = map_collecting_problems(participant_change, tasks, jobs=run.jobs, desc="change",
                                                unit="participant", progress=run.progress)  # fmt: skip
    if tasks and not any(r is not None for r in results):
        raise InvalidInputsError(problems, consequence="no participant could be measured; nothing was written")
    rows: dict[str, list[dict[str, str]]] = {name: [] for name in TABLES}
    for result in results:
        for name, table in (result or {}).items():
            rows[name] += table
    rows["skipped"] = [{"participant_id": p.subject.split("/")[0], "reason": str(p)} for p in problems]
    return rows, [p for p in mine if len(visits[p]) == 1]


def detect_change(
    segment_dir: str | os.PathLike[str],
    out: str | os.PathLike[str],
    options: ChangeOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> ChangeResult:
    """Lesion change between consecutive sessions of every participant of a ``segment`` output.

    Parameters
    ----------
    segment_dir
        A finished ``segment`` output of a cohort with sessions (BIDS ``ses-*``).
    out
        Output folder (refused if it exists, unless ``overwrite``; replaced only once complete).
    options
        Matching rules, the cohort's place, pictures (:class:`ChangeOptions`).
    run
        Jobs (participants at once), overwrite, progress and parts (:class:`~nnunet_wmh.runs.options.RunOptions`):
        with ``num_parts > 1`` this run measures ``sorted(participants)[part_id::num_parts]`` into
        ``OUT/parts/``; then ``report-merge OUT`` joins them.
    **fields
        Fields of either, by name: ``detect_change("seg", "change", min_change_percent=30, jobs=4)``.

    Raises
    ------
    UsageError
        Bad options, not a segment output, the cohort not found.
    InvalidInputsError
        No participant of this part could be measured (every one's problem, at once).
    OutputExistsError, OutputError
        As every command that writes.
    """
    clock = Stopwatch()
    options, run = resolve_options(ChangeOptions, options, run, fields)
    options.check()
    run.check(parts=True)
    segment_dir = Path(segment_dir).expanduser().absolute()
    visits = read_visits(segment_dir, source=options.source)
    settings = _segment_settings(segment_dir)
    participants = sorted(visits)
    mine = part_cases(participants, run.part_id, run.num_parts)
    with part_output(out, run, finished=CHANGE_JSON) as target:
        rows, single = _measure_part(visits, mine, target.folder, options, run, settings)
        meta = {"command": "change", "nnunet_wmh_version": __version__, "segment_dir": str(segment_dir),
                "options": asdict(options), "connectivity": settings[0], "min_lesion_mm3": settings[1],
                "num_parts": run.num_parts, "cases_digest": cases_digest(participants),
                "cases_total": len(participants), "part_id": run.part_id, "cases": mine, "single_session": single,
                "extra_folders": sorted({*(p for p in mine if len(visits[p]) > 1), PICTURES_FOLDER})}  # fmt: skip
        result = complete_change_part(PartData(rows, meta, target.folder), target)
    return with_summary(result, "change", clock)
