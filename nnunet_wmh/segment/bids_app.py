"""The BIDS-App entry point: ``nnunet_wmh bids BIDS_DIR OUTPUT_DIR participant|group``, as the BIDS-Apps
convention has it (Gorgolewski et al., 2017), so the tool drops into existing BIDS pipelines.

* ``participant`` segments the participants named (``participant_labels``; all by default). Each participant is
  one part of a run by participant (:attr:`~nnunet_wmh.segment.options.SegmentOptions.part_by`): part K is the
  K-th participant of ``BIDS_DIR`` in sorted order, with all its sessions, written to
  ``OUTPUT_DIR/parts/part-K-of-N`` (masks, region maps, tables, QC) under a temporary name and renamed into place
  when complete. Runs for different labels can therefore run at the same time into one ``OUTPUT_DIR``; a
  participant already done is refused unless ``overwrite``, a stopped one resumes. One participant's failure does
  not stop the others of the same call. A dataset of one participant is finished by its participant level.
* ``group`` checks that every participant has its part (naming those that have none), then joins the parts into
  the cohort tables, QC page and BIDS derivatives in ``OUTPUT_DIR`` (as ``report-merge`` does).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts.identity import cleaned_ids, require_distinct_ids
from nnunet_wmh.conversion_table import bids_label
from nnunet_wmh.errors import InputDataError, InvalidInputsError, NnunetWmhError, UsageError
from nnunet_wmh.report.finish import REPORT_JSON, ReportResult, merge_report
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.parts import PARTS_FOLDER, part_folder
from nnunet_wmh.segment.inputs import input_subjects
from nnunet_wmh.segment.options import SegmentOptions
from nnunet_wmh.segment.run import segment_cohort

logger = logging.getLogger(__name__)

#: The analysis levels of the BIDS-Apps convention that this app has.
ANALYSIS_LEVELS = ("participant", "group")


@dataclass(frozen=True)
class BidsAppResult:
    """What one call of the app did.

    Attributes
    ----------
    level
        ``participant`` or ``group``.
    out_dir
        ``OUTPUT_DIR``.
    reports
        ``participant``: one result per participant segmented (a part, or the finished output of a one-participant
        dataset); ``group``: the joined report (none when there was nothing to join).
    note
        What a ``group`` call that had nothing to join found.
    """

    level: str
    out_dir: Path
    reports: list[ReportResult] = field(default_factory=list)
    note: str | None = None


def bids_participants(bids_dir: str | os.PathLike[str]) -> list[str]:
    """The participant labels (``sub-01``...) of a BIDS dataset, sorted: the order of the participant parts.

    Raises
    ------
    UsageError
        ``bids_dir`` is not a BIDS dataset with subjects.
    InvalidInputsError
        Two subjects or sessions whose labels become one once cleaned (:func:`~nnunet_wmh.cohorts.identity.id_clashes`).
    """
    subjects = input_subjects(str(bids_dir), layout="bids")
    require_distinct_ids(subjects)
    participants = sorted({cleaned_ids(subject)[0] for subject in subjects})
    if not participants:
        raise UsageError(f"`bids_dir` {bids_dir}: no sub-* folder with images", "bids_dir")
    return participants


def chosen_participants(participants: list[str], labels: list[str] | None) -> list[str]:
    """The labels asked for (``01`` or ``sub-01``) as the dataset names them; all when ``labels`` is empty.

    Raises
    ------
    UsageError
        A label the dataset does not have (every such label, and the labels it has).
    """
    if not labels:
        return participants
    wanted = list(dict.fromkeys(bids_label("sub", label.removeprefix("sub-")) for label in labels))
    unknown = [label for label in wanted if label not in participants]
    if unknown:
        shown = ", ".join(participants[:10]) + (" ..." if len(participants) > 10 else "")
        raise UsageError(
            f"`participant_labels` {', '.join(unknown)}: not in the dataset (it has {shown})", "participant_labels"
        )
    return wanted


def run_participant_level(
    bids_dir: str | os.PathLike[str],
    output_dir: str | os.PathLike[str],
    model: str | os.PathLike[str],
    *,
    participant_labels: list[str] | None = None,
    options: SegmentOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> BidsAppResult:
    """Segment the participants named, each into its own part of ``output_dir`` (see the module docstring).

    Parameters
    ----------
    bids_dir
        A BIDS dataset (``sub-*/[ses-*/]anat`` with ``_FLAIR`` and/or ``_T1w`` images).
    output_dir
        The app's output folder, shared by every participant-level run and the group level.
    model
        A trained model folder or zip (as :func:`~nnunet_wmh.segment.run.segment_cohort`).
    participant_labels
        Labels with or without ``sub-``; None or empty: every participant.
    options, run, **fields
        As :func:`~nnunet_wmh.segment.run.segment_cohort` (its parts are this app's to set).

    Raises
    ------
    UsageError
        Unknown labels, or parts given (``part_id``, ``num_parts``).
    InvalidInputsError
        The participants that could not be segmented (after the others were).
    """
    options, run = resolve_options(SegmentOptions, options, run, fields)
    if not run.single:
        raise UsageError("the participant level makes one part per participant; leave out `num_parts`", "num_parts")
    participants = bids_participants(bids_dir)
    chosen = chosen_participants(participants, participant_labels)
    options = replace(options, part_by="participant", layout="bids")
    reports, written, problems = [], [], []
    for label in chosen:
        part = replace(run, part_id=participants.index(label), num_parts=len(participants))
        try:
            reports.append(segment_cohort(bids_dir, model, output_dir, options, part))
            written.append(label)
        except (UsageError, KeyboardInterrupt):
            raise
        except NnunetWmhError as exc:
            logger.error("%s: %s", label, exc)
            problems.append(InputDataError(label, str(Path(bids_dir) / label), str(exc)))
    if problems:
        done = ", ".join(written) or "none"
        raise InvalidInputsError(problems, consequence=f"the other participants' outputs were written ({done})")
    return BidsAppResult("participant", Path(output_dir).expanduser().absolute(), reports)


def run_group_level(
    bids_dir: str | os.PathLike[str], output_dir: str | os.PathLike[str], *, overwrite: bool = False
) -> BidsAppResult:
    """Join every participant's part of ``output_dir`` into the cohort tables, page and BIDS derivatives.

    Raises
    ------
    InvalidInputsError
        Participants of ``bids_dir`` without a part (named, with what to run); nothing is joined.
    UsageError
        ``output_dir`` holds no participant-level output, or was joined already.
    """
    out = Path(output_dir).expanduser().absolute()
    participants = bids_participants(bids_dir)
    if not (out / PARTS_FOLDER).is_dir():
        if (out / REPORT_JSON).is_file() and len(participants) == 1:
            note = f"{out} is complete: the participant level of a one-participant dataset finishes it"
            return BidsAppResult("group", out, note=note)
        if (out / REPORT_JSON).is_file():
            raise UsageError(f"`output_dir` {out}: the group level has run (its parts are joined into report.json)")
        raise UsageError(f"`output_dir` {out} holds no participant-level output; run the participant level first")
    missing = [(k, label) for k, label in enumerate(participants)
               if not part_folder(out, k, len(participants)).is_dir()]  # fmt: skip
    if missing:
        problems = [InputDataError(label, str(part_folder(out, k, len(participants))),
                                   f"no participant-level output; run the participant level for {label}")
                    for k, label in missing]  # fmt: skip
        raise InvalidInputsError(problems, consequence="nothing was joined")
    return BidsAppResult("group", out, [merge_report(out, overwrite=overwrite)])
