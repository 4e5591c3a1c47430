"""From subjects to a checked plan: what to check for each subject, the validation of all of them (every
problem listed at once), the region index, the label target, each subject's cases and the folds."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from nnunet_wmh.cohorts.subject import MODALITY_NAMES, ZERO, Subject
from nnunet_wmh.dataset_conversion.inputs import InterchangeableInputs, MissingModalityError
from nnunet_wmh.dataset_conversion.leakage import shared_subjects
from nnunet_wmh.dataset_conversion.modes import ModeSpec
from nnunet_wmh.dataset_conversion.splits import assign_folds, splits_final
from nnunet_wmh.dataset_conversion.targets import (
    TARGET_CLASSES,
    JointTarget,
    LesionTarget,
    RegionTarget,
    SeparateTarget,
    Target,
)
from nnunet_wmh.dataset_conversion.validation import SubjectCheck, SubjectReport, validate_subject
from nnunet_wmh.dataset_conversion.writer import CasePlan, SubjectJob
from nnunet_wmh.errors import InputDataError, InvalidInputsError, UsageError
from nnunet_wmh.labels.joint import RegionIndex
from nnunet_wmh.labels.region_table import complete_region_table, read_region_table
from nnunet_wmh.runs.parallel import map_with_progress

logger = logging.getLogger(__name__)


def require_every_modality(subjects: Sequence[Subject], spec: ModeSpec) -> None:
    """Refuse interchangeable inputs over a modality no training subject has: its channel would only ever hold
    stand-ins, and the model would never see it.

    Raises
    ------
    UsageError
        Naming the modality and where it was looked for.
    """
    if not isinstance(spec.inputs, InterchangeableInputs):
        return
    train = [s for s in subjects if s.split == "train"]
    for modality in spec.inputs.modalities:
        if train and not any(s.image(modality) is not None for s in train):
            where = train[0].where(modality)
            raise UsageError(
                f"no training subject has a {MODALITY_NAMES[modality]} image (looked for {where} and alike); check "
                f"the file names, or leave {modality} out of `modalities`",
                "modalities",
            )


def subject_checks(subjects: Iterable[Subject], spec: ModeSpec, problems: list[InputDataError]) -> list[SubjectCheck]:
    """What to check for each subject; subjects the mode cannot serve add a problem to ``problems``."""
    target_class = TARGET_CLASSES[spec.target_kind]
    needs_lesion, needs_regions = target_class.needs_lesion, target_class.needs_regions
    checks = []
    for subject in subjects:
        try:
            channel_sets = spec.inputs.channel_sets(subject)
            modalities = tuple(dict.fromkeys(m for cs in channel_sets for m in cs.channels if m != ZERO))
        except MissingModalityError as exc:
            if exc.modality not in subject.ambiguous:  # an ambiguous file is reported by the reader
                problems.append(InputDataError(subject.key, subject.where(exc.modality), str(exc)))
            modalities = subject.modalities()  # still check the rest, to report every problem at once
        training = subject.split == "train"
        read_labels = training or target_class.has_label_files(subject)
        checks.append(
            SubjectCheck(
                subject=subject,
                modalities=modalities,
                read_lesion=needs_lesion and read_labels,
                require_lesion=needs_lesion and training,
                read_regions=needs_regions and read_labels,
                require_regions=needs_regions and training,
            )
        )
    return checks


def validate_subjects(
    subjects: Sequence[Subject],
    spec: ModeSpec,
    problems: list[InputDataError],
    *,
    jobs: int,
    progress: bool,
    skip_invalid: bool,
) -> tuple[list[SubjectReport], list[InputDataError]]:
    """Check every subject (and that no test subject is a training subject); return the reports of the valid
    ones and the problems of the skipped ones.

    Raises
    ------
    InvalidInputsError
        Every problem, unless ``skip_invalid`` (then only when no training subject is left).
    """
    checks = subject_checks(subjects, spec, problems)
    reports = map_with_progress(validate_subject, checks, jobs=jobs, desc="checking subjects", progress=progress)
    problems += [p for r in reports for p in r.problems]
    problems += shared_subjects(reports)
    if not problems:
        return reports, []
    if not skip_invalid:
        raise InvalidInputsError(problems)
    bad = {p.subject for p in problems}
    logger.warning("skipping %d subject(s) with problems", len(bad))
    reports = [r for r in reports if r.subject.key not in bad]
    if not any(r.subject.split == "train" for r in reports):
        raise InvalidInputsError(problems)
    return reports, problems


def make_target(spec: ModeSpec, other_pathology: str, regions: RegionIndex | None) -> Target:
    """The label target of the mode."""
    if spec.target_kind == "lesion":
        return LesionTarget(other_pathology)
    assert regions is not None
    if spec.target_kind == "joint":
        return JointTarget(regions, other_pathology)
    if spec.target_kind == "separate":
        return SeparateTarget(regions, other_pathology)
    return RegionTarget(regions)


def region_index(
    reports: Sequence[SubjectReport], table_path: Path | None, spec: ModeSpec
) -> tuple[RegionIndex | None, dict[str, Any]]:
    """The regions found in the maps, named by the region table (None for lesion modes)."""
    if not TARGET_CLASSES[spec.target_kind].needs_regions:
        return None, {}
    found = set().union(*(r.region_values for r in reports)) - {0}
    table = read_region_table(table_path) if table_path else {}
    if not table:
        logger.warning("no region table given or found; regions get generated names region_<id>")
    completed = complete_region_table(table, found, source=str(table_path) if table_path else "a region table")
    if not completed:
        raise InvalidInputsError([InputDataError("all subjects", "regions", "region maps hold no region (only 0)")])
    return RegionIndex.from_table(completed), {"region_table": str(table_path) if table_path else None}


def _case_plans(subject: Subject, spec: ModeSpec, number: int, prefix: str) -> tuple[CasePlan, ...]:
    base = f"{prefix}_{number:04d}"
    return tuple(
        CasePlan(
            case_id=f"{base}_{cs.suffix}" if cs.suffix else base,
            variant=cs.variant,
            channels=cs.channels,
        )
        for cs in spec.inputs.channel_sets(subject)
    )


def subject_jobs(reports: Sequence[SubjectReport], spec: ModeSpec, target: Target, prefix: str) -> list[SubjectJob]:
    """Number the subjects (training first, in source order) and plan each one's cases."""
    jobs = []
    ordered = sorted(reports, key=lambda r: r.subject.split != "train")
    for number, report in enumerate(ordered, start=1):
        subject = report.subject
        cases = _case_plans(subject, spec, number, prefix)
        write_label = subject.split == "train" or target.has_label_files(subject)
        jobs.append(SubjectJob(subject, cases, write_label, report.lesion_values))
    return jobs


def plan_splits(train_jobs: Sequence[SubjectJob], folds: int, seed: int) -> tuple[dict[str, int], list[dict] | None]:
    """Folds grouped by subject, stratified by site; no split for a single subject."""
    groups = {j.subject.group: j.subject.site for j in train_jobs}
    n_folds = min(folds, len(groups))
    if n_folds < 2:
        logger.warning("a single training subject: no splits_final.json written")
        return {}, None
    if n_folds < folds:
        logger.warning("only %d training subjects: writing %d folds instead of %d", len(groups), n_folds, folds)
    fold_of = assign_folds(groups, folds=n_folds, seed=seed)
    return fold_of, splits_final([(c.case_id, j.subject.group) for j in train_jobs for c in j.cases], fold_of, n_folds)
