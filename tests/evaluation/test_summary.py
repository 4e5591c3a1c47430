"""Grouped summaries and TSV cells, computed by hand."""

from __future__ import annotations

import math

import pytest

from nnunet_wmh.evaluation.summary import summarize, summary_columns

ROWS = [
    {"case": "a", "site": "Utrecht", "variant": "paired", "dice": 0.8, "hd95_mm": 2.0},
    {"case": "b", "site": "Utrecht", "variant": "t1_only", "dice": 0.4, "hd95_mm": math.nan},
    {"case": "c", "site": "Singapore", "variant": "paired", "dice": 0.6, "hd95_mm": 4.0},
]


def test_summary_skips_undefined_values_and_groups():
    rows = summarize(ROWS, ["dice", "hd95_mm"])
    overall = rows[0]
    assert (overall["grouping"], overall["cases"]) == ("all", 3)
    assert overall["dice_mean"] == pytest.approx(0.6)
    assert overall["dice_std"] == pytest.approx(0.2)  # sample std of 0.8, 0.4, 0.6
    assert overall["dice_median"] == pytest.approx(0.6)
    assert (overall["hd95_mm_mean"], overall["hd95_mm_n"]) == (pytest.approx(3.0), 2)
    by = {(r["grouping"], r.get("site"), r.get("variant")): r for r in rows}
    utrecht = by[("site", "Utrecht", None)]
    assert (utrecht["cases"], utrecht["dice_mean"]) == (2, pytest.approx(0.6))
    assert utrecht["hd95_mm_n"] == 1 and math.isnan(utrecht["hd95_mm_std"])  # one value: no spread
    t1 = by[("site+variant", "Utrecht", "t1_only")]
    assert t1["hd95_mm_n"] == 0 and math.isnan(t1["hd95_mm_mean"])
    assert [r["grouping"] for r in rows].count("variant") == 2
    assert list(summary_columns(["dice"]))[:4] == ["grouping", "site", "variant", "cases"]


def test_summary_without_groups_has_one_row():
    rows = summarize([{"case": "a", "dice": 0.5}], ["dice"])
    assert len(rows) == 1 and rows[0]["dice_n"] == 1
