"""Grouped summaries and TSV cells, computed by hand."""

from __future__ import annotations

import math

import pytest

from nnunet_wmh.evaluation.summary import summarize, summary_columns
from nnunet_wmh.tables import format_cell, read_tsv, write_tsv

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


def test_tsv_cells_and_round_trip(tmp_path):
    assert [format_cell(v) for v in (None, math.nan, 0.1 + 0.2, 3, True, "x")] == [
        "n/a",
        "n/a",
        "0.3",
        "3",
        "True",
        "x",
    ]
    path = write_tsv(tmp_path / "t.tsv", [{"a": 1, "b": math.nan}], ["a", "b"])
    assert path.read_text() == "a\tb\n1\tn/a\n"
    assert read_tsv(path) == [{"a": "1", "b": "n/a"}]
