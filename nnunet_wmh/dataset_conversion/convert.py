"""``convert_dataset``: a source cohort → an nnU-Net raw dataset, validated first, written atomically.

Flow: source reader → :class:`Subject` records → mode (input plan + label target) decides each case →
validation of every subject → folds grouped by subject → writer → dataset.json, splits_final.json,
conversion.tsv → rename into place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd

from nnunet_wmh import __version__
from nnunet_wmh.cohorts import SourceContents, apply_regions_override, detect_layout, read_source
from nnunet_wmh.cohorts.subject import MODALITY_NAMES, ZERO, Subject
from nnunet_wmh.dataset_conversion.coregistration import CoregisteredT1, coregister_subjects
from nnunet_wmh.dataset_conversion.inputs import VARIANT_SUFFIXES, InterchangeableInputs, MissingModalityError
from nnunet_wmh.dataset_conversion.modes import ModeSpec, parse_mode
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
from nnunet_wmh.dataset_conversion.writer import (
    FILE_ENDING,
    SPLIT_FOLDERS,
    CasePlan,
    SubjectJob,
    WriteStats,
    write_subject,
)
from nnunet_wmh.errors import DatasetExistsError, InputDataError, InvalidInputsError, SourceLayoutError, UsageError
from nnunet_wmh.io import atomic_output_folder
from nnunet_wmh.labels.joint import RegionIndex
from nnunet_wmh.labels.region_table import complete_region_table, read_region_table
from nnunet_wmh.parallel import map_with_progress

logger = logging.getLogger(__name__)

NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_\-]*")
CASE_PREFIX_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-]*")
CONVERSION_TSV = "conversion.tsv"


@dataclass
class ConversionResult:
    """What :func:`convert_dataset` did.

    Attributes
    ----------
    dataset_dir
        The new ``DatasetXXX_Name`` folder.
    train_cases, test_cases
        Number of cases in imagesTr / imagesTs.
    train_subjects, test_subjects
        Number of subjects (sessions) they come from.
    skipped
        Problems of subjects left out by ``skip_invalid``.
    bytes_written
        New bytes on disk (links not counted).
    links
        ``{"hardlink": n, "symlink": n, "copy": n}`` for duplicated files.
    seconds
        Wall time.
    warnings
        Things the user should act on (e.g. stale preprocessed data).
    """

    dataset_dir: Path
    train_cases: int = 0
    test_cases: int = 0
    train_subjects: int = 0
    test_subjects: int = 0
    skipped: list[InputDataError] = field(default_factory=list)
    bytes_written: int = 0
    links: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)


def _check_options(dataset_id: int, name: str, case_prefix: str, folds: int, jobs: int) -> None:
    if not 1 <= dataset_id <= 999:
        raise UsageError(f"--dataset-id must be 1..999 (nnU-Net's three digits), got {dataset_id}")
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"--name {name!r}: use letters, digits, '_' and '-' only")
    if not CASE_PREFIX_PATTERN.fullmatch(case_prefix):
        raise UsageError(f"--case-prefix {case_prefix!r}: use letters, digits and '-' only")
    if folds < 2:
        raise UsageError(f"--folds must be at least 2, got {folds}")
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")


def _resolve_folder(value: str | os.PathLike[str] | None, variable: str, *, required: bool) -> Path | None:
    if value is not None:
        return Path(value).expanduser().absolute()
    from_environment = os.environ.get(variable)
    if from_environment:
        return Path(from_environment).expanduser().absolute()
    if required:
        raise UsageError(f"{variable} is not set; pass --out or export {variable}")
    return None


def _datasets_with_id(folder: Path | None, dataset_id: int) -> list[Path]:
    if folder is None or not folder.is_dir():
        return []
    return sorted(p for p in folder.glob(f"Dataset{dataset_id:03d}_*") if p.is_dir())


def _check_existing(
    out: Path, dataset_name: str, dataset_id: int, overwrite: bool, others: dict[str, Path | None]
) -> list[Path]:
    """Refuse to clobber; return raw folders of the same id under another name (to remove on success)."""
    target = out / dataset_name
    if target.exists() and not overwrite:
        raise DatasetExistsError(f"{target} exists; pass --overwrite to replace it")
    same_id = [p for p in _datasets_with_id(out, dataset_id) if p.name != dataset_name]
    if same_id and not overwrite:
        raise DatasetExistsError(
            f"dataset id {dataset_id} is taken by {same_id[0]}; pick another --dataset-id, or pass "
            "--overwrite to replace it"
        )
    for variable, folder in others.items():
        clash = [p for p in _datasets_with_id(folder, dataset_id) if p.name != dataset_name]
        if clash and not overwrite:
            raise DatasetExistsError(
                f"dataset id {dataset_id} is used by {clash[0]} ({variable}); nnU-Net refuses one id with two "
                "names: pick another --dataset-id, or remove that folder"
            )
    return same_id


def _gather_subjects(
    source: str | os.PathLike[str],
    *,
    layout: str | None,
    images: str,
    derivatives: str | os.PathLike[str] | None,
    test_source: str | os.PathLike[str] | None,
    test_layout: str | None,
    drop_modality: str | None,
    regions: str | None,
) -> tuple[SourceContents, SourceContents | None, list[Subject], list[InputDataError]]:
    """Read the source (and test source); return them, all subjects (training first) and reader problems."""
    contents = read_source(source, layout=layout, images=images, derivatives=derivatives)
    train, test, problems = list(contents.train), list(contents.test), list(contents.problems)
    test_contents = None
    if test_source:
        test_layout = test_layout or detect_layout(Path(test_source).expanduser().absolute())
        test_images = images if test_layout == "wmh2017" else "pre"
        test_contents = read_source(test_source, layout=test_layout, images=test_images)
        if test:
            logger.info("using --test-source instead of the test subjects of %s", contents.root)
        # Keys get a "test/" prefix: a second cohort may reuse the training subjects' ids (sub-001...).
        test = [replace(s, split="test", key=f"test/{s.key}") for s in (test_contents.test or test_contents.train)]
        problems += [InputDataError(f"test/{p.subject}", p.path, p.problem) for p in test_contents.problems]
    if drop_modality:
        test = [s.without(drop_modality) for s in test]  # type: ignore[arg-type]
    if regions:
        train, test = apply_regions_override(train, regions), apply_regions_override(test, regions)
    if not train:
        raise SourceLayoutError(f"{contents.root}: no training subjects found ({contents.layout} layout)")
    return contents, test_contents, train + test, problems


def _validate(
    subjects: Sequence[Subject],
    spec: ModeSpec,
    problems: list[InputDataError],
    *,
    jobs: int,
    progress: bool,
    skip_invalid: bool,
) -> tuple[list[SubjectReport], list[InputDataError]]:
    """Check every subject; return the reports of the valid ones and the problems of skipped ones."""
    checks = _subject_checks(subjects, spec, problems)
    reports = map_with_progress(validate_subject, checks, jobs=jobs, desc="checking subjects", progress=progress)
    problems += [p for r in reports for p in r.problems]
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


def _make_target(spec: ModeSpec, other_pathology: str, regions: RegionIndex | None) -> Target:
    if spec.target_kind == "lesion":
        return LesionTarget(other_pathology)
    assert regions is not None
    if spec.target_kind == "joint":
        return JointTarget(regions, other_pathology)
    if spec.target_kind == "separate":
        return SeparateTarget(regions, other_pathology)
    return RegionTarget(regions)


def _subject_checks(subjects: Iterable[Subject], spec: ModeSpec, problems: list[InputDataError]) -> list[SubjectCheck]:
    target_class = TARGET_CLASSES[spec.target_kind]
    needs_lesion, needs_regions = target_class.needs_lesion, target_class.needs_regions
    checks = []
    for subject in subjects:
        try:
            channel_sets = spec.inputs.channel_sets(subject)
            modalities = tuple(dict.fromkeys(m for cs in channel_sets for m in cs.channels if m != ZERO))
        except MissingModalityError as exc:
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


def _region_index(
    reports: Sequence[SubjectReport], table_path: Path | None, spec: ModeSpec
) -> tuple[RegionIndex | None, dict[str, Any]]:
    if not TARGET_CLASSES[spec.target_kind].needs_regions:
        return None, {}
    found = set().union(*(r.region_values for r in reports)) - {0}
    table = read_region_table(table_path) if table_path else {}
    if not table:
        logger.warning("no region table given or found; regions get generated names region_<id>")
    completed = complete_region_table(table, found, source=str(table_path) if table_path else "a region table")
    if not completed:
        raise InputDataError("all subjects", "regions", "region maps hold no region (only 0)")
    return RegionIndex.from_table(completed), {"region_table": str(table_path) if table_path else None}


def _case_plans(subject: Subject, spec: ModeSpec, number: int, prefix: str) -> tuple[CasePlan, ...]:
    base = f"{prefix}_{number:04d}"
    return tuple(
        CasePlan(
            case_id=f"{base}_{VARIANT_SUFFIXES[cs.variant]}" if cs.variant else base,
            variant=cs.variant,
            channels=cs.channels,
        )
        for cs in spec.inputs.channel_sets(subject)
    )


def _subject_jobs(reports: Sequence[SubjectReport], spec: ModeSpec, target: Target, prefix: str) -> list[SubjectJob]:
    """Number the subjects (training first, in source order) and plan each one's cases."""
    jobs = []
    ordered = sorted(reports, key=lambda r: r.subject.split != "train")
    for number, report in enumerate(ordered, start=1):
        subject = report.subject
        cases = _case_plans(subject, spec, number, prefix)
        write_label = subject.split == "train" or target.has_label_files(subject)
        jobs.append(SubjectJob(subject, cases, write_label, report.lesion_values))
    return jobs


def _plan_splits(train_jobs: Sequence[SubjectJob], folds: int, seed: int) -> tuple[dict[str, int], list[dict] | None]:
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


def _write_dataset(
    staging: Path,
    subject_jobs: Sequence[SubjectJob],
    *,
    spec: ModeSpec,
    target: Target,
    dataset_name: str,
    block: dict[str, Any],
    fold_of: dict[str, int],
    splits: list[dict] | None,
    jobs: int,
    progress: bool,
    coregistered: Mapping[str, CoregisteredT1] | None = None,
) -> WriteStats:
    """Write images, labels, dataset.json, splits_final.json and conversion.tsv into ``staging``."""
    for split, (image_folder, label_folder) in SPLIT_FOLDERS.items():
        split_jobs = [j for j in subject_jobs if j.subject.split == split]
        if split_jobs:
            (staging / image_folder).mkdir()
        if any(j.write_label for j in split_jobs):
            (staging / label_folder).mkdir()
    stats = WriteStats()
    writer = partial(write_subject, dataset_dir=staging, target=target)
    for write in map_with_progress(writer, subject_jobs, jobs=jobs, desc="writing cases", progress=progress):
        stats.add(write)
    num_training = sum(len(j.cases) for j in subject_jobs if j.subject.split == "train")
    _write_dataset_json(staging, spec, target, num_training, dataset_name, block)
    if splits is not None:
        (staging / "splits_final.json").write_text(json.dumps(splits, indent=1) + "\n")
    rows = _conversion_rows(subject_jobs, fold_of, coregistered or {})
    pd.DataFrame(rows).to_csv(staging / CONVERSION_TSV, sep="\t", index=False)
    stats.bytes_written += sum(
        (staging / name).stat().st_size
        for name in ("dataset.json", "splits_final.json", CONVERSION_TSV)
        if (staging / name).exists()
    )
    return stats


def _conversion_rows(
    jobs: Sequence[SubjectJob], fold_of: dict[str, int], coregistered: Mapping[str, CoregisteredT1]
) -> list[dict[str, Any]]:
    rows = []
    for job in jobs:
        subject = job.subject
        moved = coregistered.get(subject.key)
        for case in job.cases:
            rows.append(
                {
                    "case": case.case_id,
                    "split": subject.split,
                    "subject": subject.subject,
                    "session": subject.session or "",
                    "site": subject.site,
                    "variant": case.variant or "",
                    "channels": ",".join(MODALITY_NAMES[m] for m in case.channels),
                    "fold": fold_of.get(subject.group, "") if subject.split == "train" else "",
                    "has_label": job.write_label,
                    "flair": str(subject.flair or ""),
                    "t1": str(moved.source if moved else subject.t1 or ""),
                    "lesion": str(subject.lesion or ""),
                    "regions": str(subject.regions or ""),
                    "t1_coregistered": moved.relative if moved else "",
                }
            )
    return rows


def _stale_preprocessed_warning(preprocessed: Path | None, dataset_name: str, splits: list[dict] | None) -> str | None:
    if preprocessed is None or not (preprocessed / dataset_name).is_dir():
        return None
    folder = preprocessed / dataset_name
    detail = "its fingerprint and plans describe the replaced data"
    old_splits = folder / "splits_final.json"
    if splits is not None and old_splits.is_file():
        try:
            differs = json.loads(old_splits.read_text()) != splits
        except (OSError, ValueError):
            differs = True
        if differs:
            detail = (
                "its splits_final.json differs from the new split, and nnU-Net's planning stops on that "
                "with a bare AssertionError"
            )
    return (
        f"{folder} holds preprocessed data of the replaced dataset ({detail}): delete that folder before "
        "running nnUNetv2_plan_and_preprocess"
    )


def convert_dataset(
    source: str | os.PathLike[str],
    *,
    mode: str,
    dataset_id: int,
    name: str | None = None,
    out: str | os.PathLike[str] | None = None,
    layout: str | None = None,
    images: str = "pre",
    derivatives: str | os.PathLike[str] | None = None,
    regions: str | None = None,
    region_table: str | os.PathLike[str] | None = None,
    test_source: str | os.PathLike[str] | None = None,
    test_layout: str | None = None,
    inputs: str | None = None,
    variants: Sequence[str] | None = None,
    channels: int = 2,
    fill_missing: str = "duplicate",
    encoding: str | None = None,
    other_pathology: str = "ignore",
    drop_modality: str | None = None,
    case_prefix: str = "wmh",
    folds: int = 5,
    seed: int = 12345,
    jobs: int = 1,
    overwrite: bool = False,
    skip_invalid: bool = False,
    preprocessed: str | os.PathLike[str] | None = None,
    results: str | os.PathLike[str] | None = None,
    coregister: bool = False,
    progress: bool = True,
) -> ConversionResult:
    """Convert a cohort into an nnU-Net v2 raw dataset.

    Parameters
    ----------
    source
        WMH 2017 tree (``training/``, ``test/``), BIDS root, or CSV/TSV manifest.
    mode
        ``flair``, ``t1``, ``flair_t1``, ``interchangeable``, ``multitask`` or ``regions``.
    dataset_id
        nnU-Net dataset id, 1..999.
    name
        Dataset name (``Dataset{id:03d}_{name}``); default ``WMH_{mode}``.
    out
        nnU-Net raw folder; default ``$nnUNet_raw`` (read when called).
    layout
        ``wmh2017``, ``bids`` or ``manifest``; detected when None.
    images
        WMH 2017: ``pre`` (default) or ``orig`` image folder.
    derivatives
        BIDS: folder with lesion and region maps (default ``SOURCE/derivatives``).
    regions
        Region maps elsewhere: a folder or a pattern with ``{subject}``, ``{session}``, ``{site}``,
        ``{key}`` placeholders (see :func:`~nnunet_wmh.cohorts.apply_regions_override`).
    region_table
        Region names (TSV/CSV, ``id name`` text, colour LUT); default: a table found in the source.
    test_source, test_layout
        A second cohort converted into imagesTs (its test split if it has one, else all subjects).
    inputs
        ``multitask``/``regions`` modes: ``flair``, ``t1``, ``flair_t1`` (default) or ``interchangeable``.
    variants
        Interchangeable inputs: which of ``paired``, ``flair``, ``t1`` cases a subject with both
        modalities gives (default all; ``flair``, ``t1`` with one channel).
    channels
        Interchangeable inputs: 2 (channel duplication, default) or 1 (one case per modality).
    fill_missing
        Interchangeable inputs: a missing channel is a copy of the other image (``duplicate``, default)
        or all zeros (``zero``, for models trained with ``nnUNetTrainerModalityDropoutZero``).
    encoding
        ``multitask`` only: ``joint`` (default; softmax over joint labels) or ``separate`` (nnU-Net
        regions: one sigmoid output per anatomical region and one for lesions).
    other_pathology
        Challenge label 2: ``ignore`` (nnU-Net ignore label, default), ``background`` or ``lesion``.
    drop_modality
        ``flair`` or ``t1``: remove that modality from the test subjects (simulate a missing scan);
        interchangeable inputs only.
    case_prefix
        Case ids are ``{case_prefix}_{NNNN}[_{variant}]``.
    folds, seed
        Cross-validation folds (grouped by subject, stratified by site) and shuffling seed.
    jobs
        Worker processes.
    overwrite
        Replace an existing dataset folder (and a raw folder with the same id under another name).
    skip_invalid
        Convert the valid subjects and report the others instead of stopping.
    preprocessed, results
        nnU-Net's preprocessed and results folders (default from the environment) checked for the
        same dataset id under another name and for stale preprocessed data.
    coregister
        Register each T1 that is not on its FLAIR's grid to the FLAIR (rigid) and use it resampled onto
        the FLAIR grid (kept in ``coregistered/`` of the dataset; conversion.tsv's ``t1_coregistered``).
    progress
        Show progress bars.

    Raises
    ------
    InvalidInputsError
        Problems found by validation (all of them, nothing written).
    DatasetExistsError
        Target exists and ``overwrite`` is False.
    UsageError
        Invalid option combination, ``nnUNet_raw`` unset and no ``out``.
    """
    started = time.perf_counter()
    spec = parse_mode(
        mode,
        inputs=inputs,
        variants=list(variants) if variants else None,
        channels=channels,
        fill_missing=fill_missing,
        encoding=encoding,
    )
    name = name or f"WMH_{mode}"
    _check_options(dataset_id, name, case_prefix, folds, jobs)
    if other_pathology not in ("ignore", "background", "lesion"):
        raise UsageError(f"--other-pathology must be ignore, background or lesion, got {other_pathology!r}")
    if drop_modality is not None:
        if drop_modality not in ("flair", "t1"):
            raise UsageError(f"--drop-modality must be flair or t1, got {drop_modality!r}")
        if not isinstance(spec.inputs, InterchangeableInputs):
            raise UsageError("--drop-modality needs interchangeable inputs (a model that accepts either modality)")
    if other_pathology == "lesion":
        logger.warning(
            "--other-pathology lesion: the challenge's label-2 masks were dilated in-plane, so merging "
            "them into the lesion class adds a rim of normal tissue"
        )
    raw = _resolve_folder(out, "nnUNet_raw", required=True)
    assert raw is not None
    other_folders = {
        "nnUNet_preprocessed": _resolve_folder(preprocessed, "nnUNet_preprocessed", required=False),
        "nnUNet_results": _resolve_folder(results, "nnUNet_results", required=False),
    }
    dataset_name = f"Dataset{dataset_id:03d}_{name}"
    replaced_same_id = _check_existing(raw, dataset_name, dataset_id, overwrite, other_folders)

    contents, test_contents, subjects, reader_problems = _gather_subjects(
        source, layout=layout, images=images, derivatives=derivatives, test_source=test_source,
        test_layout=test_layout, drop_modality=drop_modality, regions=regions,
    )  # fmt: skip
    with atomic_output_folder(raw / dataset_name, overwrite=overwrite) as staging:
        coregistered: dict[str, CoregisteredT1] = {}
        if coregister:  # inside the staging folder: a failure below leaves nothing behind
            subjects, coregistered, failed = coregister_subjects(subjects, staging, jobs=jobs, progress=progress)
            reader_problems += failed
        reports, skipped = _validate(
            subjects, spec, reader_problems, jobs=jobs, progress=progress, skip_invalid=skip_invalid
        )
        table_path = Path(region_table).expanduser().absolute() if region_table else contents.region_table
        region_index, region_info = _region_index(reports, table_path, spec)
        target = _make_target(spec, other_pathology, region_index)
        subject_jobs = _subject_jobs(reports, spec, target, case_prefix)
        train_jobs = [j for j in subject_jobs if j.subject.split == "train"]
        fold_of, splits = _plan_splits(train_jobs, folds, seed)
        test_block = {"path": str(test_contents.root), "layout": test_contents.layout} if test_contents else None
        block = {
            "version": __version__,
            "mode": spec.name,
            **spec.inputs.describe(),
            **target.describe(),
            **region_info,
            "source": {"path": str(contents.root), "layout": contents.layout, "images": images},
            "test_source": test_block,
            "drop_modality": drop_modality,
            "coregistered_t1": len(coregistered),
            "split": {"folds": len(splits or []), "seed": seed, "grouped_by": "subject", "stratified_by": "site"},
            "conversion_table": CONVERSION_TSV,
        }
        stats = _write_dataset(
            staging, subject_jobs, spec=spec, target=target, dataset_name=dataset_name, block=block,
            fold_of=fold_of, splits=splits, jobs=jobs, progress=progress, coregistered=coregistered,
        )  # fmt: skip
        preprocessed_dir = other_folders["nnUNet_preprocessed"]
        stale = _stale_preprocessed_warning(preprocessed_dir, dataset_name, splits) if overwrite else None

    warnings = []
    for old in replaced_same_id:
        shutil.rmtree(old)
        warnings.append(f"removed {old} (same dataset id, replaced by --overwrite)")
    if stale:
        warnings.append(stale)
    for variable, folder in other_folders.items():
        for clash in _datasets_with_id(folder, dataset_id):
            if clash.name != dataset_name:
                warnings.append(
                    f"{clash} ({variable}) has the same id under another name; nnU-Net will refuse the id until "
                    "it is removed"
                )
    for warning in warnings:
        logger.warning("%s", warning)
    return ConversionResult(
        dataset_dir=raw / dataset_name,
        train_cases=sum(len(j.cases) for j in train_jobs),
        test_cases=sum(len(j.cases) for j in subject_jobs if j.subject.split == "test"),
        train_subjects=len(train_jobs),
        test_subjects=len(subject_jobs) - len(train_jobs),
        skipped=skipped,
        bytes_written=stats.bytes_written,
        links=dict(stats.links),
        seconds=time.perf_counter() - started,
        warnings=warnings,
    )


def _write_dataset_json(
    folder: Path, spec: ModeSpec, target: Target, num_training: int, dataset_name: str, block: dict[str, Any]
) -> None:
    # nnU-Net's own helper, so the file follows nnU-Net's conventions by construction.
    from nnunetv2.dataset_conversion.generate_dataset_json import generate_dataset_json

    generate_dataset_json(
        str(folder),
        channel_names=spec.inputs.channel_names(),
        labels=target.labels(),
        num_training_cases=num_training,
        file_ending=FILE_ENDING,
        dataset_name=dataset_name,
        description=f"White matter hyperintensities, mode {spec.name}, written by nnunet_wmh {__version__}",
        license="see the source cohort",
        converted_by=f"nnunet_wmh {__version__}",
        regions_class_order=target.regions_class_order(),
        nnunet_wmh=block,
    )
