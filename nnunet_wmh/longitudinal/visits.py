"""The visits of each participant in a ``segment`` output: which sessions, in which order, with which files.

``segment`` writes every session of a participant as a case of its own (BIDS derivatives
``sub-X/ses-Y/anat/…_space-FLAIR_desc-wmh_mask.nii.gz`` and the region map ``…_desc-regions_dseg.nii.gz``);
``report.json`` records the cohort it read. A visit joins a case's mask and regions to its FLAIR image in that
cohort (read again, as ``segment`` read it) and to its acquisition time: BIDS ``sub-X/sub-X_sessions.tsv``
``acq_time`` when the cohort has it. Sessions are ordered by acquisition time, or by their labels when any
session of the participant has none (then no per-year figure is given).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from nnunet_wmh.errors import InputDataError, UsageError
from nnunet_wmh.report.schema import REPORT_JSON
from nnunet_wmh.segment.inputs import cohort_subjects
from nnunet_wmh.segment.routes import case_ids
from nnunet_wmh.tsv import read_tsv

#: Days in a year, for mL/year.
DAYS_PER_YEAR = 365.25
MISSING = "n/a"


@dataclass(frozen=True)
class Visit:
    """One session of one participant, as ``segment`` wrote it.

    Attributes
    ----------
    participant, session
        BIDS labels (``sub-001``, ``ses-01``; session ``""`` for a participant without session level).
    case
        ``segment``'s case id.
    flair
        The FLAIR image the mask lies on (from the cohort ``segment`` read).
    mask
        The lesion mask (uint8 0/1) on the FLAIR grid.
    regions
        The region map on the FLAIR grid (None when the run has no regions).
    acquired
        Acquisition time (None when the cohort does not say).
    """

    participant: str
    session: str
    case: str
    flair: Path
    mask: Path
    regions: Path | None
    acquired: datetime | None


def years_between(earlier: Visit, later: Visit) -> float | None:
    """The interval between two visits in years (None when either has no acquisition time)."""
    if earlier.acquired is None or later.acquired is None:
        return None
    return (later.acquired - earlier.acquired).total_seconds() / 86400 / DAYS_PER_YEAR


def _record(segment_dir: Path) -> dict:
    path = segment_dir / REPORT_JSON
    try:
        record = json.loads(path.read_text())
        record["inputs"]["source"], record["inputs"]["segment"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"`segment_dir` {segment_dir}: not a finished segment output ({path}: {exc})",
                         "segment_dir") from None  # fmt: skip
    return record


def _acquisition_times(source: Path, participant: str) -> dict[str, datetime]:
    """``{ses-Y: acq_time}`` from the cohort's ``sub-X/sub-X_sessions.tsv`` (empty when absent)."""
    path = source / participant / f"{participant}_sessions.tsv"
    if not path.is_file():
        return {}
    times = {}
    for row in read_tsv(path):
        text = (row.get("acq_time") or "").strip()
        if text and text != MISSING:
            try:
                times[row["session_id"]] = datetime.fromisoformat(text)
            except (ValueError, KeyError) as exc:
                problem = f"acq_time {text!r} is not an ISO 8601 date ({exc})"
                raise InputDataError(participant, str(path), problem) from None
    return times


def _anat(segment_dir: Path, participant: str, session: str) -> tuple[Path, str]:
    folder = segment_dir / participant / session / "anat"
    return folder, participant + (f"_{session}" if session else "")


def read_visits(segment_dir: str | os.PathLike[str], *, source: str | os.PathLike[str] | None = None
                ) -> dict[str, list[Visit]]:  # fmt: skip
    """Every participant's visits in a ``segment`` output, in time order.

    Parameters
    ----------
    segment_dir
        A finished ``segment`` output (``report.json``, ``subjects.tsv``, BIDS derivatives).
    source
        The cohort ``segment`` read, where it has moved since (default: the one ``report.json`` records).

    Raises
    ------
    UsageError
        Not a finished segment output, or a cohort that cannot be found.
    InvalidInputsError, InputDataError
        A visit's files are missing, or an acquisition time cannot be read.
    """
    segment_dir = Path(segment_dir).expanduser().absolute()
    record = _record(segment_dir)
    if source is None and not record["inputs"]["source"]:
        raise UsageError(f"`segment_dir` {segment_dir}: segment read one subject's files, not a cohort with sessions; "
                         "give the cohort as `source`", "segment_dir")  # fmt: skip
    cohort = Path(source or record["inputs"]["source"]).expanduser().absolute()
    if not cohort.is_dir() and not cohort.is_file():
        raise UsageError(f"`source` {cohort}: the cohort segment read is not there; give it as `source`", "source")
    subjects = cohort_subjects(cohort, layout=record["inputs"]["segment"].get("layout"))
    flair_of = {case: subject.flair for case, subject in zip(case_ids(subjects), subjects, strict=True)}
    visits: dict[str, list[Visit]] = {}
    for row in read_tsv(segment_dir / "subjects.tsv"):
        participant, session = row["participant_id"], "" if row["session_id"] == MISSING else row["session_id"]
        anat, prefix = _anat(segment_dir, participant, session)
        regions = anat / f"{prefix}_space-FLAIR_desc-regions_dseg.nii.gz"
        flair = flair_of.get(row["case"])
        if flair is None:
            raise InputDataError(row["case"], str(cohort), "is not in the cohort segment read; give it as `source`")
        mask = anat / f"{prefix}_space-FLAIR_desc-wmh_mask.nii.gz"
        visits.setdefault(participant, []).append(
            Visit(participant, session, row["case"], flair, mask, regions if regions.is_file() else None, None)
        )
    return {participant: _in_time_order(cohort, found) for participant, found in sorted(visits.items())}


def _in_time_order(cohort: Path, visits: list[Visit]) -> list[Visit]:
    times = _acquisition_times(cohort, visits[0].participant) if cohort.is_dir() else {}
    if all(v.session in times for v in visits):
        dated = [Visit(**{**v.__dict__, "acquired": times[v.session]}) for v in visits]
        return sorted(dated, key=lambda v: (v.acquired, v.session))
    return sorted(visits, key=lambda v: v.session)
