"""The cohort step: zero rows for absent regions, the wide table, z-scores and QC flags."""

import pytest

from nnunet_wmh.report.cohort_tables import QC_COLUMNS, SUBJECT_COLUMNS, finalize_tables
from nnunet_wmh.tsv import format_cell


def _subject(case, volume_ml):
    return {c: "" for c in SUBJECT_COLUMNS} | {
        "case": case,
        "total_lesion_volume_ml": format_cell(volume_ml),
        "lesion_count": "1",
    }


def _qc(case, volume_ml, empty=False, outside=0.0):
    row = {c: "n/a" for c in QC_COLUMNS} | {"case": case, "total_lesion_volume_ml": format_cell(volume_ml)}
    return row | {"empty_prediction": str(empty), "lesion_outside_fraction": format_cell(outside)}


def _region(case, region_volume_mm3):
    row = {"case": case, "region_id": "3", "region_name": "frontal", "lesion_volume_mm3": "0", "lesion_count": "0"}
    return row | {"lesion_volume_ml": "0", "region_volume_mm3": region_volume_mm3, "lesion_fraction": "0"}


def test_flags_say_why_a_case_needs_a_look():
    cases = [f"c{i}" for i in range(12)]
    volumes = [1.0] * 11 + [40.0]
    tables = {
        "subjects": [_subject(c, v) for c, v in zip(cases, volumes, strict=True)],
        "qc": [
            _qc(c, v, empty=c == "c0", outside=0.25 if c == "c1" else 0.0) for c, v in zip(cases, volumes, strict=True)
        ],
        "regions": [
            {
                "case": c,
                "region_id": "3",
                "region_name": "frontal",
                "lesion_volume_mm3": "0",
                "lesion_volume_ml": "0",
                "lesion_count": "0",
                "region_volume_mm3": "0" if c == "c2" else "90",
                "lesion_fraction": "0",
            }
            for c in cases
        ],
        "lesions": [],
    }
    final = finalize_tables(tables, {3: "frontal"}, [], has_regions=True)
    assert final.flagged["c0"] == "empty prediction"
    assert final.flagged["c1"] == "25% of lesion outside regions"
    assert final.flagged["c2"] == "1 region(s) missing from the region map"
    assert final.flagged["c11"].startswith("lesion volume z = +3.")
    assert final.columns["regions_wide"] == ["case", "frontal_ml", "outside_regions_ml", "flag"]
    assert final.summary()["lesion_volume_ml_median"] == pytest.approx(1.0)


def test_extra_qc_columns_come_before_the_flag_and_extra_flags_join_it():
    qc = [_qc(c, 1.0) | {"inputs_used": "FLAIR,T1", "extra_flags": "uncertain" if c == "b" else ""} for c in "abc"]
    tables = {"subjects": [_subject(c, 1.0) for c in "abc"], "qc": qc, "regions": [], "lesions": []}

    final = finalize_tables(tables, {}, [], has_regions=False, qc_extra_columns=["inputs_used", "extra_flags"])

    assert final.columns["qc"][-2:] == ["inputs_used", "flag"]
    assert "extra_flags" not in final.columns["qc"]
    assert final.flagged == {"b": "uncertain"}


def test_a_case_whose_regions_failed_qc_has_na_region_rows_with_a_flag():
    """segment's regions_qc 'failed: ...': every region row of the case says n/a (never a zero burden) and is
    flagged; the other cases keep their numbers; the case is not counted as missing regions."""
    qc = [_qc(c, 2.0) | {"regions_qc": "pass", "extra_flags": ""} for c in "ab"]
    qc[1] |= {"regions_qc": "failed: registration did not converge", "extra_flags": "regions failed QC: ..."}
    region_a = {**_region("a", "90"), "lesion_volume_mm3": "2000", "lesion_volume_ml": "2", "lesion_count": "1"}
    tables = {"subjects": [_subject(c, 2.0) for c in "ab"], "qc": qc, "regions": [region_a], "lesions": []}

    final = finalize_tables(tables, {3: "frontal"}, [], has_regions=True, qc_extra_columns=["regions_qc"])

    rows = {(r["case"], r["region_id"]): r for r in final.rows["regions"]}
    assert rows["a", "3"]["lesion_volume_ml"] == "2" and rows["a", "3"]["flag"] == ""
    assert rows["a", "0"]["lesion_volume_ml"] == "0" and rows["a", "0"]["flag"] == ""
    for region_id in ("3", "0"):
        failed = rows["b", region_id]
        assert failed["flag"] == "regions failed QC"
        assert [failed[c] for c in ("lesion_volume_mm3", "lesion_volume_ml", "lesion_count")] == ["n/a"] * 3
    wide = {r["case"]: r for r in final.rows["regions_wide"]}
    assert wide["a"]["frontal_ml"] == "2" and wide["b"]["frontal_ml"] == "n/a"
    assert wide["b"]["flag"] == "regions failed QC"
    qc_rows = {r["case"]: r for r in final.rows["qc"]}
    assert qc_rows["a"]["regions_missing"] == "0" and qc_rows["b"]["regions_missing"] == "n/a"
    assert final.flagged == {"b": "regions failed QC: ..."}
