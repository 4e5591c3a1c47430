"""``convert_dataset``: a source cohort → an nnU-Net raw dataset, validated first, written atomically.

Flow: source reader → :class:`~nnunet_wmh.cohorts.Subject` records → (optional co-registration) →
validation of every subject (:mod:`~nnunet_wmh.dataset_conversion.plan`) → each subject's cases and the
folds → writer → dataset.json, splits_final.json, conversion.tsv → rename into place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from nnunet_wmh import __version__
from nnunet_wmh.cohorts.identity import require_distinct_ids
from nnunet_wmh.cohorts.subject import MODALITY_NAMES
from nnunet_wmh.conversion_table import CONVERSION_TSV, write_conversion_table
from nnunet_wmh.dataset_conversion.coregistration import Moved, coregister_subjects
from nnunet_wmh.dataset_conversion.gather import GatheredSubjects, gather_subjects
from nnunet_wmh.dataset_conversion.modes import ModeSpec
from nnunet_wmh.dataset_conversion.options import ConvertOptions, recorded_options, source_modalities
from nnunet_wmh.dataset_conversion.plan import (
    make_target,
    plan_splits,
    region_index,
    require_every_modality,
    subject_jobs,
    validate_subjects,
)
from nnunet_wmh.dataset_conversion.targets import Target
from nnunet_wmh.dataset_conversion.writer import FILE_ENDING, SPLIT_FOLDERS, SubjectJob, WriteStats, write_subject
from nnunet_wmh.errors import InputDataError
from nnunet_wmh.modalities import other_modalities
from nnunet_wmh.nnunet.dataset_ids import check_dataset_target, same_id_warnings, stale_preprocessed_warning
from nnunet_wmh.nnunet.folders import NnunetFolders
from nnunet_wmh.runs.options import RunOptions, resolve_options
from nnunet_wmh.runs.outputs import atomic_output_folder
from nnunet_wmh.runs.parallel import map_with_progress
from nnunet_wmh.runs.summary import RunSummary

logger = logging.getLogger(__name__)


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

    @property
    def run_summary(self) -> RunSummary:
        """What the run did, for the command's last line."""
        skipped = len({problem.subject for problem in self.skipped})
        subjects = self.train_subjects + self.test_subjects
        return RunSummary("convert", self.dataset_dir, subjects, "subject", skipped=skipped, seconds=self.seconds)


@dataclass
class _Written:
    """What was written into the staging folder."""

    jobs: list[SubjectJob]
    stats: WriteStats
    splits: list[dict] | None
    skipped: list[InputDataError]

    def result(self, dataset_dir: Path, warnings: list[str], seconds: float) -> ConversionResult:
        """The conversion's result, once the dataset is in place."""
        train_jobs = [j for j in self.jobs if j.subject.split == "train"]
        return ConversionResult(
            dataset_dir=dataset_dir,
            train_cases=sum(len(j.cases) for j in train_jobs),
            test_cases=sum(len(j.cases) for j in self.jobs if j.subject.split == "test"),
            train_subjects=len(train_jobs),
            test_subjects=len(self.jobs) - len(train_jobs),
            skipped=self.skipped,
            bytes_written=self.stats.bytes_written,
            links=dict(self.stats.links),
            seconds=seconds,
            warnings=warnings,
        )


def conversion_rows(
    jobs: Sequence[SubjectJob],
    fold_of: Mapping[str, int],
    coregistered: Mapping[str, Moved],
    modalities: Sequence[str] = ("flair", "t1"),
) -> list[dict[str, Any]]:
    """The rows of ``conversion.tsv``: one per case (a path column per modality, the source image where it
    was moved onto the FLAIR grid, and the moved file in ``…_coregistered``)."""
    rows = []
    others = other_modalities(modalities)
    for job in jobs:
        subject = job.subject
        moved = coregistered.get(subject.key, {})
        extra = {m: str(moved[m].source if m in moved else subject.image(m) or "") for m in others}
        extra.update({f"{m}_coregistered": moved[m].relative if m in moved else "" for m in others})
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
                    "t1": str(moved["t1"].source if "t1" in moved else subject.t1 or ""),
                    "lesion": str(subject.lesion or ""),
                    "regions": str(subject.regions or ""),
                    "t1_coregistered": moved["t1"].relative if "t1" in moved else "",
                    **extra,
                }
            )
    return rows


def _coregistered_counts(coregistered: Mapping[str, Moved], modalities: Sequence[str]) -> dict[str, int]:
    """``{"coregistered_t1": n}`` (and ``coregistered_t2`` etc. for the other modalities read)."""
    others = other_modalities(modalities)
    return {f"coregistered_{m}": sum(m in moved for moved in coregistered.values()) for m in ("t1", *others)}


def _write_dataset_json(
    folder: Path, spec: ModeSpec, target: Target, num_training: int, dataset_name: str, block: dict[str, Any]
) -> None:
    # heavy: nnU-Net's own helper, so the file follows nnU-Net's conventions by construction
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


def _provenance(
    options: ConvertOptions, spec: ModeSpec, target: Target, gathered: GatheredSubjects, extra: dict
) -> dict[str, Any]:
    """The ``nnunet_wmh`` block of dataset.json: how the dataset was made (read by the trainers and commands)."""
    test = gathered.test_contents
    return {
        "version": __version__,
        "mode": spec.name,
        **spec.inputs.describe(),
        **target.describe(),
        **extra,
        "source": {
            "path": str(gathered.contents.root),
            "layout": gathered.contents.layout,
            "images": options.image_folder,
        },
        "test_source": {"path": str(test.root), "layout": test.layout} if test else None,
        "drop_modality": options.drop_modality,
        "conversion_table": CONVERSION_TSV,
        "options": recorded_options(options, spec),
    }


def _write_dataset(
    staging: Path, subject_jobs_: Sequence[SubjectJob], target: Target, *, jobs: int, progress: bool
) -> WriteStats:
    """Write every subject's images and labels into ``staging``."""
    for split, (image_folder, label_folder) in SPLIT_FOLDERS.items():
        split_jobs = [j for j in subject_jobs_ if j.subject.split == split]
        if split_jobs:
            (staging / image_folder).mkdir()
        if any(j.write_label for j in split_jobs):
            (staging / label_folder).mkdir()
    stats = WriteStats()
    writer = partial(write_subject, dataset_dir=staging, target=target)
    for write in map_with_progress(writer, subject_jobs_, jobs=jobs, desc="writing cases", progress=progress):
        stats.add(write)
    return stats


def _convert_into(
    staging: Path, gathered: GatheredSubjects, options: ConvertOptions, spec: ModeSpec, run: RunOptions
) -> _Written:
    """Co-register, validate, plan and write the dataset into ``staging``."""
    subjects, problems = gathered.subjects, list(gathered.problems)
    coregistered: dict[str, Moved] = {}
    modalities = source_modalities(spec)
    jobs, progress = run.jobs, run.progress
    if options.coregister:  # inside the staging folder: a failure below leaves nothing behind
        subjects, coregistered, failed = coregister_subjects(
            subjects, staging, jobs=jobs, progress=progress, modalities=modalities
        )
        problems += failed
    reports, skipped = validate_subjects(
        subjects, spec, problems, jobs=jobs, progress=progress, skip_invalid=options.skip_invalid
    )
    region_table = Path(options.region_table).expanduser().absolute() if options.region_table else None
    regions, region_info = region_index(reports, region_table or gathered.contents.region_table, spec)
    target = make_target(spec, options.other_pathology, regions)
    jobs_ = subject_jobs(reports, spec, target, options.case_prefix)
    train_jobs = [j for j in jobs_ if j.subject.split == "train"]
    fold_of, splits = plan_splits(train_jobs, options.cv_folds, options.seed)
    stats = _write_dataset(staging, jobs_, target, jobs=jobs, progress=progress)
    split = {"folds": len(splits or []), "seed": options.seed, "grouped_by": "subject", "stratified_by": "site"}
    extra = {**region_info, **_coregistered_counts(coregistered, modalities), "split": split}
    block = _provenance(options, spec, target, gathered, extra)
    num_training = sum(len(j.cases) for j in train_jobs)
    _write_dataset_json(staging, spec, target, num_training, options.dataset_name, block)
    if splits is not None:
        (staging / "splits_final.json").write_text(json.dumps(splits, indent=1) + "\n")
    rows = conversion_rows(jobs_, fold_of, coregistered, modalities)
    write_conversion_table(staging / CONVERSION_TSV, rows, modalities)
    stats.bytes_written += sum(
        (staging / name).stat().st_size
        for name in ("dataset.json", "splits_final.json", CONVERSION_TSV)
        if (staging / name).exists()
    )
    return _Written(jobs_, stats, splits, skipped)


def convert_dataset(
    source: str | os.PathLike[str],
    options: ConvertOptions | None = None,
    run: RunOptions | None = None,
    **fields: Any,
) -> ConversionResult:
    """Convert a cohort into an nnU-Net v2 raw dataset.

    Parameters
    ----------
    source
        WMH 2017 tree (``training/``, ``test/``), BIDS root, or CSV/TSV manifest.
    options
        Where the cohort is read, what to make and where it goes
        (:class:`~nnunet_wmh.dataset_conversion.options.ConvertOptions`).
    run
        Jobs, overwrite and progress (:class:`~nnunet_wmh.runs.options.RunOptions`); ``overwrite`` replaces an
        existing dataset folder (and a raw folder with the same id under another name), once the new dataset is
        complete.
    **fields
        Fields of either, by name: ``convert_dataset("cohort", mode="flair_t1", dataset_id=501, jobs=4)``.

    Raises
    ------
    InvalidInputsError
        Problems found by validation (all of them, nothing written), among them a test subject that is also
        a training subject.
    OutputExistsError, DatasetExistsError
        Target exists, or its id is taken, and ``overwrite`` is False.
    UsageError
        Invalid option combination, ``nnUNet_raw`` unset and no ``out``.
    """
    started = time.perf_counter()
    options, run = resolve_options(ConvertOptions, options, run, fields)
    spec = options.check()
    run.check()
    if options.other_pathology == "lesion":
        logger.warning("`other_pathology` lesion: the challenge's label-2 masks were dilated in-plane, so merging "
                       "them into the lesion class adds a rim of normal tissue")  # fmt: skip
    folders = NnunetFolders.resolve(options.out, options.preprocessed, options.results)
    replaced_same_id = check_dataset_target(folders, options.dataset_name, options.dataset_id, overwrite=run.overwrite)
    gathered = gather_subjects(source, options, modalities=source_modalities(spec))
    for from_test_source in (False, True):  # a second cohort (`test_source`) may reuse the training ids
        require_distinct_ids([s for s in gathered.subjects if s.key.startswith("test/") == from_test_source])
    require_every_modality(gathered.subjects, spec)
    with atomic_output_folder(folders.raw / options.dataset_name, overwrite=run.overwrite) as staging:
        written = _convert_into(staging, gathered, options, spec, run)
        stale = stale_preprocessed_warning(folders, options.dataset_name, written.splits) if run.overwrite else None
    warnings = _after_conversion(folders, options, replaced_same_id, stale)
    return written.result(folders.raw / options.dataset_name, warnings, time.perf_counter() - started)


def _after_conversion(
    folders: NnunetFolders, options: ConvertOptions, replaced_same_id: Sequence[Path], stale: str | None
) -> list[str]:
    """Remove raw folders of the same id under the old name; the warnings the user should act on."""
    warnings = []
    for old in replaced_same_id:
        shutil.rmtree(old)
        warnings.append(f"removed {old} (same dataset id, replaced with `overwrite`)")
    warnings += [stale] if stale else []
    warnings += same_id_warnings(folders, options.dataset_name, options.dataset_id)
    for warning in warnings:
        logger.warning("%s", warning)
    return warnings
