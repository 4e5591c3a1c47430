"""The report's tables: columns, and the cohort-level step that completes them.

Per-case rows (as text, read back from the parts) are completed here: zero rows for regions a case's map
lacks, the wide table, the cohort z-score of lesion volume, missing regions, and QC flags.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nnunet_wmh.labels.joint import OUTSIDE_REGIONS_NAME
from nnunet_wmh.tsv import MISSING, format_cell, number_cell, write_tsv

INFO_COLUMNS = ("participant_id", "session_id", "site")
REGION_COLUMNS = [
    *INFO_COLUMNS,
    "case",
    "region_id",
    "region_name",
    "lesion_volume_mm3",
    "lesion_volume_ml",
    "lesion_count",
    "region_volume_mm3",
    "lesion_fraction",
    "flag",
]
SUBJECT_COLUMNS = [
    *INFO_COLUMNS,
    "case",
    "total_lesion_volume_mm3",
    "total_lesion_volume_ml",
    "lesion_count",
    "periventricular_volume_mm3",
    "deep_volume_mm3",
    "icv_mm3",
    "total_lesion_percent_icv",
]
LESION_COLUMNS = [
    *INFO_COLUMNS,
    "case",
    "lesion_id",
    "voxels",
    "volume_mm3",
    "centroid_x_mm",
    "centroid_y_mm",
    "centroid_z_mm",
    "dominant_region_id",
    "dominant_region_name",
    "n_regions_touched",
    "location",
]
QC_COLUMNS = [
    *INFO_COLUMNS,
    "case",
    "empty_prediction",
    "total_lesion_volume_ml",
    "lesion_volume_zscore",
    "lesions_dropped_below_min_size",
    "lesion_outside_fraction_input",
    "lesion_outside_fraction",
    "region_map_volume_ml",
    "region_map_to_icv_ratio",
    "regions_missing",
    "flag",
]
#: An extra qc column whose text joins the case's flag (see ``CaseInputs.qc_extra``).
EXTRA_FLAGS = "extra_flags"
#: An extra qc column on the case's regions (``segment``: ``pass``, ``failed: why``, ``n/a``); a case whose
#: text starts with :data:`FAILED_PREFIX` has no regions: its region rows say n/a and carry :data:`REGIONS_FAILED`.
REGIONS_QC, FAILED_PREFIX = "regions_qc", "failed: "
REGIONS_FAILED = "regions failed QC"
#: QC thresholds behind the flags.
OUTSIDE_FRACTION_FLAG = 0.10
ZSCORE_FLAG = 3.0
MIN_CASES_FOR_ZSCORE = 3


@dataclass
class FinalTables:
    """The finished tables (rows of text) and what the pictures and page need.

    Attributes
    ----------
    columns
        Table name → column list (info columns present in the cohort only).
    rows
        Table name → rows (``regions``, ``regions_wide``, ``subjects``, ``lesions``, ``qc``).
    cases
        Case ids in table order.
    region_names
        ``{region id: name}`` of the cohort, without ``outside_regions``.
    flagged
        ``{case: flag text}`` of flagged cases.
    """

    columns: dict[str, list[str]]
    rows: dict[str, list[dict[str, str]]]
    cases: list[str]
    region_names: dict[int, str]
    flagged: dict[str, str] = field(default_factory=dict)

    @property
    def has_regions(self) -> bool:
        """Whether the report has region tables."""
        return "regions" in self.rows

    def write(self, out_dir: Path) -> dict[str, Path]:
        """Write every table as ``OUT/NAME.tsv``; returns ``{file name: path}``."""
        written = {}
        for name, rows in self.rows.items():
            path = out_dir / f"{name}.tsv"
            write_tsv(path, rows, self.columns[name])
            written[path.name] = path
        return written

    def summary(self) -> dict[str, Any]:
        """Cohort figures: cases, lesion volume (mL) median and IQR, lesion count median, flagged cases."""
        volumes = np.array([number_cell(r["total_lesion_volume_ml"]) for r in self.rows["subjects"]])
        counts = np.array([number_cell(r["lesion_count"]) for r in self.rows["subjects"]])
        quartiles = np.percentile(volumes, [25, 50, 75]) if volumes.size else [math.nan] * 3
        return {
            "cases": len(self.cases),
            "lesion_volume_ml_median": float(quartiles[1]),
            "lesion_volume_ml_q1": float(quartiles[0]),
            "lesion_volume_ml_q3": float(quartiles[2]),
            "lesion_count_median": float(np.median(counts)) if counts.size else math.nan,
            "flagged": len(self.flagged),
        }


def _case_key(row: Mapping[str, str]) -> str:
    return row["case"]


def _region_row(base: dict[str, str], region_id: int, name: str, *, failed: bool) -> dict[str, str]:
    """The row of a region a case's map lacks (zero lesion), or of any region of a case whose regions failed
    their QC (every figure n/a, flagged)."""
    zero = MISSING if failed else format_cell(0.0)
    return {
        **base,
        "region_id": str(region_id),
        "region_name": name,
        "lesion_volume_mm3": zero,
        "lesion_volume_ml": zero,
        "lesion_count": MISSING if failed else "0",
        "region_volume_mm3": zero if region_id else MISSING,
        "lesion_fraction": MISSING,
        "flag": REGIONS_FAILED if failed else "",
    }


def _complete_regions(
    rows: Sequence[dict[str, str]],
    region_names: Mapping[int, str],
    cases: Sequence[str],
    info: dict[str, dict],
    failed: set[str],
) -> list[dict[str, str]]:
    by_case: dict[str, dict[int, dict[str, str]]] = {case: {} for case in cases}
    for row in rows:
        by_case[row["case"]][int(row["region_id"])] = row
    completed = []
    for case in cases:
        present = {} if case in failed else by_case[case]
        for region_id in [*sorted(region_names), 0]:
            row = present.get(region_id)
            if row is None:
                name = OUTSIDE_REGIONS_NAME if region_id == 0 else region_names[region_id]
                row = _region_row({**info[case], "case": case}, region_id, name, failed=case in failed)
            completed.append({"flag": "", **row})
    return completed


def _wide_regions(
    rows: Sequence[dict[str, str]], region_names: Mapping[int, str], info_columns: Sequence[str]
) -> tuple[list[str], list[dict[str, str]]]:
    names = {**{i: region_names[i] for i in sorted(region_names)}, 0: OUTSIDE_REGIONS_NAME}
    columns = [*info_columns, "case", *(f"{name}_ml" for name in names.values()), "flag"]
    wide: dict[str, dict[str, str]] = {}
    for row in rows:
        target = wide.setdefault(row["case"], {c: row.get(c, "") for c in [*info_columns, "case", "flag"]})
        target[f"{names[int(row['region_id'])]}_ml"] = row["lesion_volume_ml"]
    return columns, list(wide.values())


def _zscores(values: Sequence[float]) -> list[float]:
    array = np.asarray(values, dtype=np.float64)
    finite = array[np.isfinite(array)]
    if finite.size < MIN_CASES_FOR_ZSCORE or float(np.std(finite, ddof=1)) == 0:
        return [math.nan] * len(values)
    return list((array - finite.mean()) / np.std(finite, ddof=1))


def qc_columns(extra_columns: Sequence[str] = ()) -> list[str]:
    """qc.tsv's columns: the report's, then ``extra_columns`` (without ``extra_flags``) before ``flag``."""
    extra = [c for c in extra_columns if c != EXTRA_FLAGS and c not in QC_COLUMNS]
    return [*QC_COLUMNS[:-1], *extra, QC_COLUMNS[-1], *([EXTRA_FLAGS] if EXTRA_FLAGS in extra_columns else [])]


def _flags(row: Mapping[str, str], zscore: float, missing: int) -> str:
    flags = [row[EXTRA_FLAGS]] if row.get(EXTRA_FLAGS) else []
    if row["empty_prediction"] == "True":
        flags.append("empty prediction")
    outside = number_cell(row["lesion_outside_fraction"])
    if outside > OUTSIDE_FRACTION_FLAG:
        flags.append(f"{outside:.0%} of lesion outside regions")
    if abs(zscore) > ZSCORE_FLAG:
        flags.append(f"lesion volume z = {zscore:+.1f}")
    if missing:
        flags.append(f"{missing} region(s) missing from the region map")
    return "; ".join(flags)


def finalize_tables(
    tables: Mapping[str, Sequence[dict[str, str]]],
    region_names: Mapping[int, str],
    info_columns: Sequence[str],
    *,
    has_regions: bool,
    qc_extra_columns: Sequence[str] = (),
) -> FinalTables:
    """Complete the per-case rows into the report's tables.

    Parameters
    ----------
    tables
        ``regions``, ``subjects``, ``lesions``, ``qc`` rows as text (from the parts).
    region_names
        Every region of the cohort, ``{id: name}``.
    info_columns
        The info columns present (``participant_id``, ``session_id``, ``site``), possibly none.
    has_regions
        Whether the report has regions (else no region tables are written).
    qc_extra_columns
        Extra qc.tsv columns of the cases (``CaseInputs.qc_extra``).
    """
    info_columns = list(info_columns)

    def keep(columns: Sequence[str]) -> list[str]:
        return [c for c in columns if c not in INFO_COLUMNS or c in info_columns]

    subjects = sorted(tables["subjects"], key=_case_key)
    cases = [row["case"] for row in subjects]
    info = {row["case"]: {c: row.get(c, "") for c in info_columns} for row in subjects}
    rows: dict[str, list[dict[str, str]]] = {}
    columns: dict[str, list[str]] = {}
    missing_regions = {case: 0 for case in cases}
    failed = {row["case"] for row in tables["qc"] if row.get(REGIONS_QC, "").startswith(FAILED_PREFIX)}
    if has_regions:
        regions = _complete_regions(tables["regions"], region_names, cases, info, failed)
        for row in regions:
            if row["region_id"] != "0" and number_cell(row["region_volume_mm3"]) == 0:
                missing_regions[row["case"]] += 1
        rows["regions"], columns["regions"] = regions, keep(REGION_COLUMNS)
        columns["regions_wide"], rows["regions_wide"] = _wide_regions(regions, region_names, info_columns)
    rows["subjects"], columns["subjects"] = subjects, keep(SUBJECT_COLUMNS)
    rows["lesions"] = sorted(tables["lesions"], key=lambda r: (r["case"], int(r["lesion_id"])))
    columns["lesions"] = keep(LESION_COLUMNS)
    qc_rows = sorted(tables["qc"], key=_case_key)
    zscores = _zscores([number_cell(r["total_lesion_volume_ml"]) for r in qc_rows])
    flagged = {}
    for row, zscore in zip(qc_rows, zscores, strict=True):
        regions_counted = has_regions and row["case"] not in failed
        missing = missing_regions[row["case"]] if regions_counted else 0
        row["lesion_volume_zscore"] = format_cell(zscore)
        row["regions_missing"] = str(missing) if regions_counted else MISSING
        row["flag"] = _flags(row, zscore, missing)
        if row["flag"]:
            flagged[row["case"]] = row["flag"]
    rows["qc"] = qc_rows
    columns["qc"] = [c for c in keep(qc_columns(qc_extra_columns)) if c != EXTRA_FLAGS]
    return FinalTables(columns, rows, cases, dict(region_names), flagged)
