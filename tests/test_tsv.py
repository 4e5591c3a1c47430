"""TSV tables as BIDS writes them: n/a for missing values, a round trip."""

from __future__ import annotations

import math

import pytest

from nnunet_wmh.tsv import format_cell, number_cell, read_tsv, write_tsv

ROWS = [
    {"case": "a", "site": "Utrecht", "variant": "paired", "dice": 0.8, "hd95_mm": 2.0},
    {"case": "b", "site": "Utrecht", "variant": "t1_only", "dice": 0.4, "hd95_mm": math.nan},
    {"case": "c", "site": "Singapore", "variant": "paired", "dice": 0.6, "hd95_mm": 4.0},
]


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


def test_cells_read_back_as_numbers_with_missing_values_as_nan():
    assert number_cell("2.5") == 2.5 and number_cell("-3") == -3.0
    assert all(math.isnan(number_cell(text)) for text in ("n/a", "", None))
    with pytest.raises(ValueError):
        number_cell("abc")
