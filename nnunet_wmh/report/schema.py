"""What a part of a report holds: its four tables and their columns, the fields every part of one run shares,
and the rows and metadata of the measured cases (``report`` and ``segment`` write parts in this form)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from nnunet_wmh.report.cohort_tables import (
    INFO_COLUMNS,
    LESION_COLUMNS,
    QC_COLUMNS,
    REGION_COLUMNS,
    SUBJECT_COLUMNS,
    qc_columns,
)
from nnunet_wmh.report.rows import CaseRows
from nnunet_wmh.runs.parts import PartSchema
from nnunet_wmh.tsv import format_cell

REPORT_JSON = "report.json"
PICTURES_FOLDER = "qc"
BIDS_FOLDER = "bids"
TABLE_COLUMNS = {"regions": REGION_COLUMNS, "subjects": SUBJECT_COLUMNS, "lesions": LESION_COLUMNS, "qc": QC_COLUMNS}
#: What parts of one run share (anything else differs from part to part).
RUN_FIELDS = ("nnunet_wmh_version", "options", "inputs", "labels", "num_parts", "cases_total", "cases_digest")


def table_columns(name: str, meta: Mapping[str, Any]) -> list[str]:
    """The columns of table ``name`` in a part (qc.tsv also has the part's extra qc columns)."""
    return qc_columns(meta.get("qc_extra_columns", ())) if name == "qc" else TABLE_COLUMNS[name]


#: The parts of a report: regions.tsv, subjects.tsv, lesions.tsv and qc.tsv, and the run's fields.
REPORT_PARTS = PartSchema(tuple(TABLE_COLUMNS), RUN_FIELDS, table_columns)


def extra_qc_columns(results: Sequence[CaseRows]) -> list[str]:
    """Extra qc columns of the cases (``CaseInputs.qc_extra``), in first-seen order."""
    known = set(QC_COLUMNS)
    return list(dict.fromkeys(c for r in results for c in r.qc if c not in known))


def rows_as_text(results: Sequence[CaseRows]) -> dict[str, list[dict[str, str]]]:
    """The rows of a part's cases, formatted exactly as the part's TSV files hold them."""
    raw = {
        "regions": [row for r in results for row in r.regions],
        "subjects": [r.subject for r in results],
        "lesions": [row for r in results for row in r.lesions],
        "qc": [r.qc for r in results],
    }
    columns = {**TABLE_COLUMNS, "qc": qc_columns(extra_qc_columns(results))}
    return {name: [{c: format_cell(row.get(c)) for c in columns[name]} for row in rows] for name, rows in raw.items()}


def part_meta(
    results: Sequence[CaseRows], table: Mapping[int, str], provenance: Mapping[str, Any], part_id: int
) -> dict[str, Any]:
    """``part.json`` without its file checksums: the run's provenance, this part's cases, regions, warnings, and
    the files the page's viewer shows of each case."""
    names = dict(table)
    for result in results:
        names.update(result.region_names)
    return {
        **provenance,
        "part_id": part_id,
        "cases": [r.case for r in results],
        "regions": [{"id": i, "name": names[i]} for i in sorted(names)],
        "info_columns": sorted({k for r in results for k in r.subject if k in INFO_COLUMNS}),
        "qc_extra_columns": extra_qc_columns(results),
        "warnings": [f"[{r.case}] {w}" for r in results for w in r.warnings],
        "viewer_files": {r.case: r.files for r in results if r.files},
    }
