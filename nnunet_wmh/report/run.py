"""``nnunet_wmh report``: region-wise lesion burden tables, QC flags, pictures and an HTML page.

A run processes the cases ``cases[part_id::num_parts]`` (nnU-Net's interleaved sharding) and writes their
rows into ``OUT/parts/part-I-of-N/``; :func:`merge_report` joins all parts into the final tables, adds the
cohort-level columns (z-scores, flags, missing regions), the cohort picture, ``index.html`` and
``report.json``, and removes the parts. A single run (``num_parts=1``) does both, so sharded and single
runs write the same files by construction.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh import __version__
from nnunet_wmh.case_files import companion_files, grid_problems, nifti_cases, require_folder
from nnunet_wmh.errors import InputDataError, InvalidInputsError, OutputExistsError, UsageError
from nnunet_wmh.io import load_nifti, read_voxels
from nnunet_wmh.labels.conventions import LabelConvention, LabelValueError, whole_number_labels
from nnunet_wmh.labels.region_table import generated_region_name, read_region_table
from nnunet_wmh.parallel import map_with_progress
from nnunet_wmh.report.burden import (
    MM3_PER_ML,
    OUTSIDE_POLICIES,
    CaseRegions,
    assign_outside_to_nearest,
    measure_burden,
    regions_from_joint,
    regions_from_map,
)
from nnunet_wmh.report.lesions import CONNECTIVITIES, find_lesions, world_coordinates
from nnunet_wmh.report.periventricular import (
    DEFAULT_PV_DISTANCE_MM,
    PV_RULES,
    VentricleMapError,
    classify_periventricular,
    ventricle_mask,
)
from nnunet_wmh.report.tables import (
    INFO_COLUMNS,
    LESION_COLUMNS,
    QC_COLUMNS,
    REGION_COLUMNS,
    SUBJECT_COLUMNS,
    finalize_tables,
)
from nnunet_wmh.tables import MISSING, format_cell, read_tsv, write_tsv

logger = logging.getLogger(__name__)

PARTS_FOLDER = "parts"
PART_FILE = "part.json"
REPORT_JSON = "report.json"


@dataclass(frozen=True)
class ReportOptions:
    """How lesions are counted and located (every field is recorded in report.json).

    Attributes
    ----------
    connectivity
        Lesion connectivity: 6, 18 or 26.
    min_lesion_mm3
        Lesions below this volume (mm³) are dropped before anything is counted.
    pv_rule
        ``distance``, ``contact`` or ``continuity`` (used with ventricle maps).
    pv_distance_mm
        Distance of the ``distance`` and ``continuity`` rules (mm).
    outside
        ``nearest`` or ``keep``: lesion voxels in no region.
    threshold
        Float (probability) lesion maps: lesion where value ≥ threshold.
    pictures
        Write ``qc/CASE.png``, ``cohort.png`` and ``index.html``.
    """

    connectivity: int = 26
    min_lesion_mm3: float = 0.0
    pv_rule: str = "distance"
    pv_distance_mm: float = DEFAULT_PV_DISTANCE_MM
    outside: str = "nearest"
    threshold: float = 0.5
    pictures: bool = True

    def check(self) -> None:
        """Raise UsageError for values out of range."""
        if self.connectivity not in CONNECTIVITIES:
            raise UsageError(f"--connectivity must be one of {CONNECTIVITIES}, got {self.connectivity}")
        if not self.min_lesion_mm3 >= 0:
            raise UsageError(f"--min-lesion-mm3 must be >= 0, got {self.min_lesion_mm3}")
        if self.pv_rule not in PV_RULES:
            raise UsageError(f"--pv-rule must be one of {PV_RULES}, got {self.pv_rule!r}")
        if not self.pv_distance_mm > 0:
            raise UsageError(f"--pv-distance-mm must be > 0, got {self.pv_distance_mm}")
        if self.outside not in OUTSIDE_POLICIES:
            raise UsageError(f"--outside must be one of {OUTSIDE_POLICIES}, got {self.outside!r}")
        if not self.threshold > 0:
            raise UsageError(f"--threshold must be > 0, got {self.threshold}")


@dataclass(frozen=True)
class CaseInputs:
    """The files of one case and what ``conversion.tsv`` says about it."""

    case: str
    prediction: Path
    regions: Path | None = None
    ventricles: Path | None = None
    brain_mask: Path | None = None
    image: Path | None = None
    info: Mapping[str, str] = field(default_factory=dict)
    bids: tuple[str, str | None, str] | None = None


@dataclass(frozen=True)
class CaseSettings:
    """Everything a worker needs besides the case (picklable)."""

    convention: LabelConvention
    region_table: Mapping[int, str]
    options: ReportOptions
    out_dir: Path
    bids_dir: Path | None


@dataclass
class CaseResult:
    """Rows of one case for every table, before cohort-level columns are added."""

    case: str
    regions: list[dict[str, Any]]
    subject: dict[str, Any]
    lesions: list[dict[str, Any]]
    qc: dict[str, Any]
    region_names: dict[int, str]
    warnings: list[str]


def _labels(case: str, path: Path) -> tuple[Any, np.ndarray]:
    image = load_nifti(path)
    try:
        return image, read_voxels(image, path)
    except Exception as exc:  # ImageReadError already names the file
        raise InputDataError(case, str(path), f"cannot be read ({exc})") from exc


def _read_prediction(
    inputs: CaseInputs, settings: CaseSettings
) -> tuple[Any, np.ndarray, CaseRegions | None, list[str]]:
    image, values = _labels(inputs.case, inputs.prediction)
    if values.ndim != 3:
        raise InputDataError(inputs.case, str(inputs.prediction), f"shape {values.shape} is not 3-D")
    convention = settings.convention
    warnings: list[str] = []
    try:
        if convention.encoding is not None:
            lesion, regions = regions_from_joint(whole_number_labels(values), convention.encoding)
            return image, lesion, regions, warnings
        lesion = convention.read_prediction(values, threshold=settings.options.threshold).lesion
    except (LabelValueError, ValueError) as exc:
        raise InputDataError(inputs.case, str(inputs.prediction), f"prediction {exc}") from exc
    warnings.extend(convention.prediction_warnings(values))
    regions = None
    if inputs.regions is not None:
        _, region_values = _labels(inputs.case, inputs.regions)
        try:
            regions = regions_from_map(whole_number_labels(region_values), settings.region_table)
        except (LabelValueError, ValueError) as exc:
            raise InputDataError(inputs.case, str(inputs.regions), f"region map {exc}") from exc
    return image, lesion, regions, warnings


def _voxel_geometry(image) -> tuple[tuple[float, ...], float]:
    spacing = tuple(float(z) for z in image.header.get_zooms()[:3])
    return spacing, float(np.prod(spacing))


def _brain_volume_mm3(inputs: CaseInputs, voxel_mm3: float) -> float:
    if inputs.brain_mask is None:
        return math.nan
    _, values = _labels(inputs.case, inputs.brain_mask)
    return float(np.count_nonzero(values)) * voxel_mm3


def report_case(inputs: CaseInputs, settings: CaseSettings) -> CaseResult:
    """Measure one case: rows for regions.tsv, subjects.tsv, lesions.tsv and qc.tsv; picture; BIDS files.

    Raises
    ------
    InputDataError
        A file that cannot be read or holds values its kind does not allow (names case and file).
    """
    options = settings.options
    image, lesion_mask, regions, warnings = _read_prediction(inputs, settings)
    spacing, voxel_mm3 = _voxel_geometry(image)
    lesions = find_lesions(
        lesion_mask,
        connectivity=options.connectivity,
        min_lesion_mm3=options.min_lesion_mm3,
        voxel_volume_mm3=voxel_mm3,
    )
    info = dict(inputs.info)
    base = {**info, "case": inputs.case}
    sizes = lesions.sizes()
    centroids = world_coordinates(lesions.centroids_voxel(), image.affine) if lesions.count else np.zeros((0, 3))
    locations: list[str | None] = [None] * lesions.count
    pv_volume = deep_volume = math.nan
    if inputs.ventricles is not None:
        _, ventricle_values = _labels(inputs.case, inputs.ventricles)
        try:
            ventricles = ventricle_mask(ventricle_values)
        except VentricleMapError as exc:
            raise InputDataError(inputs.case, str(inputs.ventricles), f"ventricle map: {exc}") from exc
        pv = classify_periventricular(
            lesions,
            ventricles,
            spacing=spacing,
            rule=options.pv_rule,
            distance_mm=options.pv_distance_mm,
            connectivity=options.connectivity,
        )
        pv_voxels = int(np.count_nonzero(pv.voxel_periventricular))
        pv_volume, deep_volume = pv_voxels * voxel_mm3, (lesions.voxel_count - pv_voxels) * voxel_mm3
        locations = list(pv.locations())
    region_rows: list[dict[str, Any]] = []
    dominant: list[tuple[Any, Any, Any]] = [(None, None, None)] * lesions.count
    outside_input = outside_after = math.nan
    region_names: dict[int, str] = {}
    region_map_mm3 = math.nan
    classes = None
    if regions is not None:
        map_classes = regions.classes_at(lesions.indices)
        classes = map_classes
        if options.outside == "nearest":
            classes = assign_outside_to_nearest(lesions, map_classes, regions, spacing=spacing, shape=lesion_mask.shape)
        burden = measure_burden(lesions, classes, regions, voxel_volume_mm3=voxel_mm3, map_classes=map_classes)
        region_rows = [{**base, **row} for row in burden.rows()]
        dominant = [
            (burden.region_id(int(k)), burden.region_name(int(k)), int(n))
            for k, n in zip(burden.dominant_class, burden.regions_touched, strict=True)
        ]
        if lesions.voxel_count:
            outside_input = float(np.count_nonzero(map_classes == 0)) / lesions.voxel_count
            outside_after = float(np.count_nonzero(classes == 0)) / lesions.voxel_count
        region_names = regions.index.as_table()
        region_map_mm3 = float(regions.voxels[1:].sum()) * voxel_mm3
    total_mm3 = lesions.voxel_count * voxel_mm3
    icv = _brain_volume_mm3(inputs, voxel_mm3)
    subject = {
        **base,
        "total_lesion_volume_mm3": total_mm3,
        "total_lesion_volume_ml": total_mm3 / MM3_PER_ML,
        "lesion_count": lesions.count,
        "periventricular_volume_mm3": pv_volume,
        "deep_volume_mm3": deep_volume,
        "icv_mm3": icv,
        "total_lesion_percent_icv": total_mm3 / icv * 100 if icv > 0 else math.nan,
    }
    lesion_rows = [
        {
            **base,
            "lesion_id": k + 1,
            "voxels": int(sizes[k]),
            "volume_mm3": int(sizes[k]) * voxel_mm3,
            "centroid_x_mm": float(centroids[k, 0]),
            "centroid_y_mm": float(centroids[k, 1]),
            "centroid_z_mm": float(centroids[k, 2]),
            "dominant_region_id": dominant[k][0],
            "dominant_region_name": dominant[k][1],
            "n_regions_touched": dominant[k][2],
            "location": locations[k],
        }
        for k in range(lesions.count)
    ]
    qc = {
        **base,
        "empty_prediction": lesions.count == 0,
        "total_lesion_volume_ml": total_mm3 / MM3_PER_ML,
        "lesions_dropped_below_min_size": lesions.dropped,
        "lesion_outside_fraction_input": outside_input,
        "lesion_outside_fraction": outside_after,
        "region_map_volume_ml": region_map_mm3 / MM3_PER_ML,
        "region_map_to_icv_ratio": region_map_mm3 / icv if icv > 0 else math.nan,
    }
    if options.pictures:
        from nnunet_wmh.report.pictures import case_picture

        case_picture(
            inputs.case,
            image,
            lesions.mask(lesion_mask.shape),
            regions,
            settings.out_dir / "qc" / f"{inputs.case}.png",
            background=inputs.image,
        )
    if settings.bids_dir is not None:
        from nnunet_wmh.report.bids import write_case_derivatives

        write_case_derivatives(settings.bids_dir, inputs.bids, image, lesions, regions, classes)
    return CaseResult(inputs.case, region_rows, subject, lesion_rows, qc, region_names, warnings)


# --------------------------------------------------------------------------------------------------------
# a run over the cases of one part
# --------------------------------------------------------------------------------------------------------


def _bids_label(prefix: str, value: str) -> str:
    value = value.strip()
    if value.startswith(f"{prefix}-"):
        value = value[len(prefix) + 1 :]
    label = re.sub(r"[^A-Za-z0-9]", "", value)
    return f"{prefix}-{label}" if label else ""


def case_info_from_conversion(path: str | os.PathLike[str], cases: Sequence[str]) -> dict[str, dict[str, str]]:
    """``participant_id`` (``sub-…``), ``session_id`` (``ses-…`` or empty), ``site`` and ``variant`` of each
    case, from ``conversion.tsv`` of ``convert``.

    Raises
    ------
    UsageError
        If the file is unreadable or has no row for some case.
    """
    from nnunet_wmh.evaluation.evaluate import read_case_info

    info = read_case_info(path, cases)
    return {
        case: {
            "participant_id": _bids_label("sub", row["subject"]),
            "session_id": _bids_label("ses", row["session"]) if row["session"] else MISSING,
            "site": row["site"],
            "variant": row["variant"],
            "subject": row["subject"],
            "session": row["session"],
        }
        for case, row in info.items()
    }


def _convention(prediction_dir: Path, dataset_json: str | os.PathLike[str] | None) -> LabelConvention:
    if dataset_json is not None:
        return LabelConvention.from_dataset_json(dataset_json)
    copied = prediction_dir / "dataset.json"  # nnUNetv2_predict copies the model's dataset.json here
    if copied.is_file():
        try:
            return LabelConvention.from_dataset_json(copied)
        except UsageError as exc:
            logger.warning("ignoring %s (%s); reading predictions as challenge labels", copied, exc)
    return LabelConvention.challenge()


def part_cases(cases: Sequence[str], part_id: int, num_parts: int) -> list[str]:
    """nnU-Net's interleaved sharding: ``sorted(cases)[part_id::num_parts]``."""
    if num_parts < 1 or not 0 <= part_id < num_parts:
        raise UsageError(f"--part-id must be in 0..{num_parts - 1} and --num-parts >= 1, got {part_id}, {num_parts}")
    return sorted(cases)[part_id::num_parts]


def part_folder(out_dir: Path, part_id: int, num_parts: int) -> Path:
    """Where part ``part_id`` of ``num_parts`` writes its rows."""
    return out_dir / PARTS_FOLDER / f"part-{part_id}-of-{num_parts}"


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


def make_report(
    prediction_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    *,
    regions: str | os.PathLike[str] | None = None,
    dataset_json: str | os.PathLike[str] | None = None,
    region_table: str | os.PathLike[str] | None = None,
    conversion_tsv: str | os.PathLike[str] | None = None,
    images: str | os.PathLike[str] | None = None,
    ventricles: str | os.PathLike[str] | None = None,
    brain_mask: str | os.PathLike[str] | None = None,
    bids_derivatives: str | os.PathLike[str] | None = None,
    options: ReportOptions | None = None,
    part_id: int = 0,
    num_parts: int = 1,
    jobs: int = 1,
    overwrite: bool = False,
    progress: bool = True,
) -> ReportResult:
    """Lesion burden report of a folder of predictions (see the module docstring and the README).

    Parameters
    ----------
    prediction_dir
        ``CASE.nii.gz`` predictions: joint lesion × region labels of a multitask model, or lesion maps
        (binary, or probabilities with ``options.threshold``).
    out_dir
        Report folder.
    regions
        Folder of ``CASE.nii.gz`` region maps for lesion-map predictions.
    dataset_json
        The model's dataset.json (default: ``PRED_DIR/dataset.json`` when present).
    region_table
        Region names for ``regions`` (TSV/CSV, ``id name`` text or a colour LUT).
    conversion_tsv
        ``conversion.tsv`` of ``convert``: tables carry ``participant_id``, ``session_id``, ``site``.
    images
        Folder of images for the pictures (``CASE_0000.nii.gz`` as in imagesTs, or ``CASE.nii.gz``).
    ventricles
        Folder of ``CASE.nii.gz`` ventricle maps (binary, or FreeSurfer/SynthSeg labels 4 and 43).
    brain_mask
        Folder of ``CASE.nii.gz`` brain masks (intracranial volume).
    bids_derivatives
        Also write BIDS derivative files there.
    options
        Counting and location options.
    part_id, num_parts
        Process ``sorted(cases)[part_id::num_parts]``; with ``num_parts > 1`` run :func:`merge_report`
        once every part is done.
    jobs
        Worker processes.
    overwrite
        Replace an existing report (or part).
    progress
        Show a progress bar.

    Raises
    ------
    UsageError, InvalidInputsError, InputDataError, OutputExistsError
    """
    options = options or ReportOptions()
    options.check()
    if jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {jobs}")
    prediction_dir = require_folder(prediction_dir, "prediction")
    out_dir = Path(out_dir)
    convention = _convention(prediction_dir, dataset_json)
    if convention.encoding is not None and regions is not None:
        raise UsageError("joint label maps carry their regions; --regions is for lesion maps")
    if region_table is not None and regions is None:
        raise UsageError("--region-table names the maps of --regions; give both")
    all_cases = sorted(nifti_cases(prediction_dir))
    if not all_cases:
        raise UsageError(f"{prediction_dir} holds no .nii.gz or .nii predictions")
    cases = part_cases(all_cases, part_id, num_parts)
    table: Mapping[int, str] = {}
    if convention.encoding is not None:
        table = convention.encoding.regions.as_table()
    elif region_table is not None:
        table = read_region_table(region_table)
    info = case_info_from_conversion(conversion_tsv, all_cases) if conversion_tsv else {c: {} for c in all_cases}
    inputs = _case_inputs(prediction_dir, cases, info, regions, ventricles, brain_mask, images)
    if bids_derivatives is not None:
        from nnunet_wmh.report.bids import bids_prefixes

        names = bids_prefixes(all_cases, info)
        inputs = [replace(item, bids=names[item.case]) for item in inputs]
    part = part_folder(out_dir, part_id, num_parts)
    _check_outputs(out_dir, part, overwrite=overwrite, single=num_parts == 1)
    settings = CaseSettings(
        convention, table, options, out_dir, Path(bids_derivatives) if bids_derivatives is not None else None
    )
    (out_dir / "qc").mkdir(parents=True, exist_ok=True) if options.pictures else out_dir.mkdir(
        parents=True, exist_ok=True
    )
    results = map_with_progress(
        partial(report_case, settings=settings), inputs, jobs=jobs, desc="report", unit="case", progress=progress
    )
    provenance = {
        "nnunet_wmh_version": __version__,
        "options": asdict(options),
        "inputs": {
            "prediction_dir": str(prediction_dir),
            "regions": _text(regions),
            "dataset_json": _text(dataset_json),
            "region_table": _text(region_table),
            "conversion_tsv": _text(conversion_tsv),
            "images": _text(images),
            "ventricles": _text(ventricles),
            "brain_mask": _text(brain_mask),
            "bids_derivatives": _text(bids_derivatives),
        },
        "labels": convention.describe(),
        "num_parts": num_parts,
        "cases_total": len(all_cases),
    }
    rows, meta = _part_rows(results), _part_meta(results, table, provenance, part_id)
    if num_parts == 1:  # the same path as a merge of one part, without the round trip through files
        return _finish(out_dir, [(rows, meta)])
    _write_part(part, rows, meta)
    return ReportResult(out_dir, cases, finished=False, files={"part": part}, warnings=meta["warnings"])


def _text(value: str | os.PathLike[str] | None) -> str | None:
    return None if value is None else str(value)


def _case_inputs(
    prediction_dir: Path,
    cases: Sequence[str],
    info: Mapping[str, Mapping[str, str]],
    regions: str | os.PathLike[str] | None,
    ventricles: str | os.PathLike[str] | None,
    brain_mask: str | os.PathLike[str] | None,
    images: str | os.PathLike[str] | None,
) -> list[CaseInputs]:
    predictions = nifti_cases(prediction_dir)
    problems: list[InputDataError] = []
    found: dict[str, dict[str, Path]] = {}
    for key, folder, what, channel in (
        ("regions", regions, "region map", False),
        ("ventricles", ventricles, "ventricle map", False),
        ("brain_mask", brain_mask, "brain mask", False),
        ("image", images, "image", True),
    ):
        if folder is not None:
            found[key], missing = companion_files(cases, folder, what, channel_suffix=channel, fields=info)
            problems += missing
    names = {"regions": "region map", "ventricles": "ventricle map", "brain_mask": "brain mask", "image": "image"}
    inputs = []
    for case in cases:
        files = {key: paths[case] for key, paths in found.items() if case in paths}
        problems += grid_problems(case, predictions[case], {names[key]: path for key, path in files.items()})
        case_info = {k: v for k, v in info.get(case, {}).items() if k in INFO_COLUMNS}
        inputs.append(CaseInputs(case, predictions[case], info=case_info, **files))
    if problems:
        raise InvalidInputsError(problems, consequence="no report was written")
    return inputs


#: Files and folders a finished report consists of (removed by a single run with ``overwrite``).
REPORT_OUTPUTS = (
    "regions.tsv",
    "regions_wide.tsv",
    "subjects.tsv",
    "lesions.tsv",
    "qc.tsv",
    "cohort.png",
    "index.html",
    REPORT_JSON,
    "qc",
)


def _check_outputs(out_dir: Path, part: Path, *, overwrite: bool, single: bool) -> None:
    existing = [p for p in (out_dir / REPORT_JSON, part) if p.exists()]
    if existing and not overwrite:
        shown = ", ".join(str(p) for p in existing)
        raise OutputExistsError(f"{shown} already exist(s); pass --overwrite or choose another --out")
    if part.exists():
        shutil.rmtree(part)
    if single and overwrite:  # a new report replaces the old one entirely, pictures of old cases included
        for name in REPORT_OUTPUTS:
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()


_TABLE_COLUMNS = {"regions": REGION_COLUMNS, "subjects": SUBJECT_COLUMNS, "lesions": LESION_COLUMNS, "qc": QC_COLUMNS}


def _part_rows(results: Sequence[CaseResult]) -> dict[str, list[dict[str, str]]]:
    """The rows of a part as text, exactly as the part's TSV files hold them."""
    raw = {
        "regions": [row for r in results for row in r.regions],
        "subjects": [r.subject for r in results],
        "lesions": [row for r in results for row in r.lesions],
        "qc": [r.qc for r in results],
    }
    return {
        name: [{c: format_cell(row.get(c)) for c in _TABLE_COLUMNS[name]} for row in rows] for name, rows in raw.items()
    }


def _part_meta(
    results: Sequence[CaseResult], table: Mapping[int, str], provenance: dict[str, Any], part_id: int
) -> dict[str, Any]:
    names = dict(table)
    for result in results:
        names.update(result.region_names)
    return {
        **provenance,
        "part_id": part_id,
        "cases": [r.case for r in results],
        "regions": [{"id": i, "name": names[i]} for i in sorted(names)],
        "info_columns": sorted({k for r in results for k in r.subject if k in INFO_COLUMNS}),
        "warnings": [f"[{r.case}] {w}" for r in results for w in r.warnings],
    }


def _write_part(part: Path, rows: Mapping[str, list[dict[str, str]]], meta: Mapping[str, Any]) -> None:
    staging = part.with_name(part.name + ".partial")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    for name, table_rows in rows.items():
        write_tsv(staging / f"{name}.tsv", table_rows, _TABLE_COLUMNS[name])
    (staging / PART_FILE).write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    staging.rename(part)


# --------------------------------------------------------------------------------------------------------
# merging the parts
# --------------------------------------------------------------------------------------------------------


def _read_parts(out_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    folder = out_dir / PARTS_FOLDER
    parts = sorted(folder.glob("part-*-of-*")) if folder.is_dir() else []
    parts = [p for p in parts if p.is_dir() and not p.name.endswith(".partial")]
    if not parts:
        raise UsageError(f"{folder} holds no report parts; run nnunet_wmh report with --part-id/--num-parts first")
    loaded = [(p, json.loads((p / PART_FILE).read_text())) for p in parts]
    counts = {meta["num_parts"] for _, meta in loaded}
    if len(counts) != 1:
        raise UsageError(f"{folder} mixes parts of runs with different --num-parts {sorted(counts)}")
    num_parts = counts.pop()
    present = {meta["part_id"] for _, meta in loaded}
    missing = sorted(set(range(num_parts)) - present)
    if missing:
        raise UsageError(f"parts {missing} of {num_parts} are missing in {folder}; run them before merging")
    reference = {k: v for k, v in loaded[0][1].items() if k in ("options", "inputs", "labels", "nnunet_wmh_version")}
    for path, meta in loaded[1:]:
        differing = [k for k, v in reference.items() if meta.get(k) != v]
        if differing:
            raise UsageError(f"{path} was made with other {', '.join(differing)} than {loaded[0][0]}")
    return sorted(loaded, key=lambda item: item[1]["part_id"])


def merge_report(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> ReportResult:
    """Join the parts in ``OUT_DIR/parts`` into the final tables, pictures, index.html and report.json.

    Raises
    ------
    UsageError
        If parts are missing or were made with different options.
    OutputExistsError
        If a finished report exists and ``overwrite`` is False.
    """
    out_dir = Path(out_dir)
    parts = _read_parts(out_dir)
    if (out_dir / REPORT_JSON).exists() and not overwrite:
        raise OutputExistsError(f"{out_dir / REPORT_JSON} already exists; pass --overwrite")
    loaded = [({name: read_tsv(path / f"{name}.tsv") for name in _TABLE_COLUMNS}, meta) for path, meta in parts]
    result = _finish(out_dir, loaded)
    shutil.rmtree(out_dir / PARTS_FOLDER)
    return result


def _finish(
    out_dir: Path, parts: Sequence[tuple[Mapping[str, list[dict[str, str]]], Mapping[str, Any]]]
) -> ReportResult:
    """Final tables, report.json, pictures and page from the rows and metadata of every part."""
    tables = {name: [row for rows, _ in parts for row in rows[name]] for name in _TABLE_COLUMNS}
    region_names: dict[int, str] = {}
    for _, meta in parts:
        region_names.update({int(r["id"]): r["name"] for r in meta["regions"]})
    meta = parts[0][1]
    info_columns = [c for c in INFO_COLUMNS if any(c in m["info_columns"] for _, m in parts)]
    has_regions = bool(region_names) or bool(tables["regions"])
    final = finalize_tables(tables, region_names, info_columns, has_regions=has_regions)
    files = final.write(out_dir)
    warnings = [w for _, m in parts for w in m["warnings"]]
    unnamed = [i for i in sorted(region_names) if region_names[i] == generated_region_name(i)]
    if unnamed and meta["inputs"]["region_table"]:
        shown = ", ".join(f"{i} -> {generated_region_name(i)}" for i in unnamed[:20])
        warnings.append(f"{len(unnamed)} region value(s) are not in the region table and got generated names: {shown}")
    report_json = {
        "nnunet_wmh_version": meta["nnunet_wmh_version"],
        "options": meta["options"],
        "inputs": meta["inputs"],
        "labels": meta["labels"],
        "num_parts": meta["num_parts"],
        "cases": len(final.cases),
        "regions": [{"id": i, "name": region_names[i]} for i in sorted(region_names)],
        "definitions": _DEFINITIONS,
        "flagged_cases": final.flagged,
        "warnings": warnings,
    }
    if meta["options"]["pictures"]:
        from nnunet_wmh.report.html import write_index
        from nnunet_wmh.report.pictures import cohort_picture

        files["cohort.png"] = cohort_picture(final, out_dir / "cohort.png")
        files["index.html"] = write_index(final, report_json, out_dir)
    (out_dir / REPORT_JSON).write_text(json.dumps(report_json, indent=2) + "\n")
    files[REPORT_JSON] = out_dir / REPORT_JSON
    if meta["inputs"]["bids_derivatives"]:
        from nnunet_wmh.report.bids import write_dataset_files

        write_dataset_files(Path(meta["inputs"]["bids_derivatives"]), region_names)
    return ReportResult(out_dir, final.cases, True, files, final.flagged, warnings, final.summary())


_DEFINITIONS = {
    "volumes": "voxel count x voxel volume from the header's voxel size (native space)",
    "lesions": "connected components at the given connectivity, after dropping those under min_lesion_mm3",
    "lesion_count per region": "each lesion counted once, in the region holding most of its voxels",
    "lesion_fraction": "region lesion volume / region volume (0-1)",
    "outside_regions": "region_id 0: lesion voxels in no region (after the outside policy)",
}
