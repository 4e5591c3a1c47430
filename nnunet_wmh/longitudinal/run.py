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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.errors import InvalidInputsError
from nnunet_wmh.longitudinal.matching import ChangeRules
from nnunet_wmh.longitudinal.pictures import pair_picture
from nnunet_wmh.longitudinal.subject_change import (
    match_pair,
    place_visits,
    read_visit,
    write_pair_files,
    write_transform,
)
from nnunet_wmh.longitudinal.tables import CHANGE_COLUMNS, LESION_COLUMNS, QC_COLUMNS, change_rows, lesion_rows, qc_row
from nnunet_wmh.longitudinal.visits import Visit, read_visits
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import map_collecting_problems
from nnunet_wmh.runs.summary import RunSummary, Stopwatch
from nnunet_wmh.tsv import write_tsv

CHANGE_JSON = "change.json"
SKIPPED_COLUMNS = ["participant_id", "reason"]


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


@dataclass
class _Done:
    rows: dict[str, list[dict[str, str]]] = field(default_factory=lambda: {"change": [], "lesions": [], "pairs": []})


def participant_change(task: _Task) -> _Done:
    """Every consecutive pair of one participant's visits: rows, change maps, transforms, pictures."""
    visits = [read_visit(v, connectivity=task.connectivity, min_lesion_mm3=task.min_lesion_mm3) for v in task.visits]
    place_visits(visits)
    done = _Done()
    for visit in visits[1:]:
        write_transform(task.folder, visit, visits[0])
    for earlier, later in itertools.pairwise(visits):
        changes = match_pair(earlier, later, rules=task.rules, regions=visits[0].regions)
        write_pair_files(task.folder, earlier, later, changes)
        done.rows["change"] += change_rows(earlier, later, changes, task.region_names)
        done.rows["lesions"] += lesion_rows(earlier, later, changes, task.region_names)
        done.rows["pairs"].append(qc_row(earlier, later))
        if task.pictures:
            pair_picture(task.folder / "qc", visits[0], earlier, later, changes)
    return done


@dataclass
class ChangeResult:
    """What ``change`` wrote.

    Attributes
    ----------
    out_dir
        The output folder.
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
    pairs: int
    flagged: dict[str, str]
    single_session: list[str]
    skipped: dict[str, str]
    run_summary: RunSummary | None = None


def _segment_settings(segment_dir: Path) -> tuple[int, float, dict[int, str]]:
    record = json.loads((segment_dir / "report.json").read_text())
    options = record.get("options", {})
    names = {int(r["id"]): r["name"] for r in record.get("regions", [])}
    return int(options.get("connectivity", 26)), float(options.get("min_lesion_mm3", 0.0)), names


def _write_tables(staging: Path, done: list[_Done], skipped: dict[str, str]) -> None:
    for name, columns, table in (("change", CHANGE_COLUMNS, "change"), ("lesion_changes", LESION_COLUMNS, "lesions"),
                                 ("pairs", QC_COLUMNS, "pairs")):  # fmt: skip
        write_tsv(staging / f"{name}.tsv", [row for d in done for row in d.rows[table]], columns)
    rows = [{"participant_id": p, "reason": reason} for p, reason in skipped.items()]
    write_tsv(staging / "skipped.tsv", rows, SKIPPED_COLUMNS)


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
        Jobs (participants at once), overwrite, progress (:class:`~nnunet_wmh.runs.options.RunOptions`).
    **fields
        Fields of either, by name: ``detect_change("seg", "change", min_change_percent=30, jobs=4)``.

    Raises
    ------
    UsageError
        Bad options, not a segment output, the cohort not found.
    InvalidInputsError
        No participant could be measured (every one's problem, at once).
    OutputExistsError, OutputError
        As every command that writes.
    """
    clock = Stopwatch()
    options, run = resolve_options(ChangeOptions, options, run, fields)
    options.check()
    run.check()
    segment_dir = Path(segment_dir).expanduser().absolute()
    visits = read_visits(segment_dir, source=options.source)
    connectivity, min_lesion_mm3, names = _segment_settings(segment_dir)
    single = [p for p, found in visits.items() if len(found) == 1]
    with atomic_output_folder(out, overwrite=run.overwrite) as staging:
        tasks = [_Task(tuple(found), staging, options.rules, connectivity, min_lesion_mm3, names, options.pictures)
                 for found in visits.values() if len(found) > 1]  # fmt: skip
        results, problems = map_collecting_problems(participant_change, tasks, jobs=run.jobs, desc="change",
                                                    unit="participant", progress=run.progress)  # fmt: skip
        if tasks and not any(results):
            raise InvalidInputsError(problems, consequence="no participant could be measured; nothing was written")
        skipped = {p.subject.split("/")[0]: p.problem for p in problems}
        done = [r for r in results if r is not None]
        _write_tables(staging, done, skipped)
        record = {"nnunet_wmh_version": __version__, "segment_dir": str(segment_dir), "options": asdict(options),
                  "connectivity": connectivity, "min_lesion_mm3": min_lesion_mm3, "single_session": single,
                  "skipped": skipped}  # fmt: skip
        (staging / CHANGE_JSON).write_text(json.dumps(record, indent=2) + "\n")
    out_dir = Path(out).expanduser().absolute()
    pairs = [row for d in done for row in d.rows["pairs"]]
    flagged = {f"{r['participant_id']} {r['session_from']}→{r['session_to']}": r["qc"] for r in pairs if r["qc"]}
    summary = RunSummary("change", out_dir, len(done), "participant", skipped=len(skipped), seconds=clock.seconds,
                         flagged=len(flagged))  # fmt: skip
    return ChangeResult(out_dir, len(pairs), flagged, single, skipped, summary)
